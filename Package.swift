// swift-tools-version: 6.0
import PackageDescription
import Foundation

/// Every Swift target is compiled for x86-64-v3 (AVX2 + FMA): without it Swift's SIMD types fall
/// back to SSE2 and per-lane `fmaf` calls, which is two orders of magnitude slower.
let vectorISA: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"]),
]

/// Numeric inner loops (mesh evaluation, filters, kernels) are compiled with -O even in debug builds,
/// so the test suite runs them at a useful speed.
let numericInDebug: [SwiftSetting] = [
    .unsafeFlags(["-O"]),
]

/// InferenceCore's kernels are compiled once per `ProcessorSupport.KernelLevel`, into one binary: the same sources
/// (Sources/InferenceEngine; Sources/InferenceEngineAVX512 is a link to it) as two targets, and the level is chosen
/// when the process starts, from cpuid (`ProcessorCheck`; `OCCLUMESH_ISA=avx2|avx512` overrides it). Nothing here
/// depends on the machine that builds.
///
/// AVX-512: x86-64-v4's features (AVX-512 F, BW, CD, DQ, VL) with Zen 4's tuning. `-target-cpu x86-64-v4` would
/// carry Skylake-SP's preference for 256-bit vectors, which splits every `SIMD16<Float>` into two ymm registers;
/// `znver4` keeps them in zmm, and each extension of Zen 4 beyond x86-64-v4 is switched off (the Swift compiler takes
/// its target features from the Clang importer's `-Xcc` flags), so the code runs on Ice Lake and Skylake-SP too.
let avx512Level: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "znver4"] + [
        "avx512bf16", "avx512bitalg", "avx512ifma", "avx512vbmi", "avx512vbmi2", "avx512vnni", "avx512vpopcntdq",
        "gfni", "vaes", "vpclmulqdq", "sse4a", "sha", "adx", "clzero", "mwaitx", "rdpru", "wbnoinvd",
    ].flatMap { ["-Xcc", "-mno-\($0)"] }),
    .define("INFERENCECORE_AVX512"),
]

let package = Package(
    name: "occlumesh",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "occlumesh", targets: ["occlumesh"]),
        .executable(name: "occlumeshd", targets: ["occlumeshd"]),
        .library(name: "VideoIngest", targets: ["VideoIngest"]),
        .library(name: "InferenceCore", targets: ["InferenceCore", "InferenceGraph"]),
        .library(name: "FaceModel", targets: ["FaceModel"]),
        .library(name: "FaceTracking", targets: ["FaceTracking"]),
        .library(name: "FaceRegression", targets: ["FaceRegression"]),
        .library(name: "FaceSmoothing", targets: ["FaceSmoothing"]),
        .library(name: "MeshPublisher", targets: ["MeshPublisher"]),
        .library(name: "OcclumeshClient", targets: ["OcclumeshClient"]),
        .library(name: "DaemonConfiguration", targets: ["DaemonConfiguration"]),
        .library(name: "SystemdNotify", targets: ["SystemdNotify"]),
        .library(name: "DaemonRuntime", targets: ["DaemonRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // MARK: C shims
        .systemLibrary(
            name: "CFFmpeg",
            pkgConfig: "libavformat libavcodec libswscale libavutil",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]
        ),
        .target(
            name: "CV4L2",
            linkerSettings: [.linkedLibrary("v4l2")]
        ),

        // MARK: Pipeline modules, in the order a frame meets them
        // The one clock every capture time, publish time and deadline is read from.
        .target(name: "MonotonicTime", swiftSettings: vectorISA),
        .target(
            name: "VideoIngest",
            dependencies: ["CFFmpeg", "CV4L2", "MonotonicTime"],
            swiftSettings: vectorISA
        ),

        // Which kernel level this CPU gets: cpuid and XCR0 (C), read once per process.
        .target(name: "CProcessorFeatures"),
        .target(name: "ProcessorSupport", dependencies: ["CProcessorFeatures"], swiftSettings: vectorISA),
        // The ONNX importer, the graph, tensors, errors, the plan interface and the worker pool: level-independent.
        .target(
            name: "InferenceGraph",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: vectorISA + numericInDebug
        ),
        // The planner and every kernel, once per level.
        .target(
            name: "InferenceEngineAVX2", dependencies: ["InferenceGraph"], path: "Sources/InferenceEngine",
            swiftSettings: vectorISA + numericInDebug
        ),
        .target(name: "InferenceEngineAVX512", dependencies: ["InferenceGraph"], swiftSettings: avx512Level + numericInDebug),
        .target(
            name: "InferenceCore",
            dependencies: ["ProcessorSupport", "InferenceGraph", "InferenceEngineAVX2", "InferenceEngineAVX512"],
            swiftSettings: vectorISA + numericInDebug
        ),
        .target(
            name: "FaceModel",
            swiftSettings: vectorISA + numericInDebug
        ),
        .target(
            name: "FaceTracking",
            dependencies: ["FaceModel", "InferenceCore", "InferenceGraph", "VideoIngest"],
            swiftSettings: vectorISA + numericInDebug
        ),
        .target(
            name: "FaceRegression",
            dependencies: ["FaceTracking", "InferenceCore", "InferenceGraph", "FaceModel", "VideoIngest"],
            swiftSettings: vectorISA + numericInDebug
        ),
        .target(
            name: "FaceSmoothing",
            dependencies: ["FaceModel"],
            swiftSettings: vectorISA + numericInDebug
        ),

        // MARK: Publishing and daemon plumbing: wire protocol, socket server, client, config, systemd
        .target(name: "UnixSocket", swiftSettings: vectorISA),
        .target(name: "MeshProtocol", swiftSettings: vectorISA),
        .target(name: "MeshPublisher", dependencies: ["MeshProtocol", "MonotonicTime", "UnixSocket"], swiftSettings: vectorISA),
        .target(name: "OcclumeshClient", dependencies: ["MeshProtocol", "UnixSocket"], swiftSettings: vectorISA),
        // What clients make of received frames for people and for other programs: head angles, readable lines.
        .target(name: "FaceReadout", dependencies: ["MeshProtocol", "OcclumeshClient"], swiftSettings: vectorISA),
        // `occlumesh view`'s web server: the page, three.js from libjs-three, the live mesh over WebSocket.
        .target(
            name: "MeshViewer",
            dependencies: [
                "OcclumeshClient", "MeshProtocol", "FaceReadout", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
            ],
            swiftSettings: vectorISA
        ),
        // OSC 1.0 messages and bundles, and the UDP socket that carries them.
        .target(name: "OSCEncoding", swiftSettings: vectorISA),
        // Frames as VMC and plain OSC for animation and VTuber programs: ARKit names, calibration, face choice.
        .target(
            name: "MotionBridge", dependencies: ["FaceReadout", "OSCEncoding", "MeshProtocol", "DaemonConfiguration"],
            swiftSettings: vectorISA
        ),
        .target(name: "DaemonConfiguration", swiftSettings: vectorISA),
        .target(name: "SystemdNotify", dependencies: ["UnixSocket"], swiftSettings: vectorISA),
        .target(
            name: "DaemonRuntime",
            dependencies: [
                "SystemdNotify", "DaemonConfiguration", "MeshProtocol", "MeshPublisher",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: vectorISA
        ),
        // The pipeline: stages, hand-offs and still images, shared by the daemon and the command line.
        .target(
            name: "FacePipeline",
            dependencies: [
                "VideoIngest", "FaceTracking", "FaceRegression", "FaceSmoothing", "FaceModel", "MeshProtocol",
                "MonotonicTime", "DaemonConfiguration",
            ],
            swiftSettings: vectorISA + numericInDebug
        ),
        // The process: occlumeshd's lifecycle around the pipeline.
        .target(
            name: "Daemon",
            dependencies: [
                "FacePipeline", "VideoIngest", "FaceTracking", "FaceSmoothing", "MeshProtocol", "MeshPublisher",
                "MonotonicTime", "DaemonConfiguration", "DaemonRuntime", "SystemdNotify", "ProcessorSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: vectorISA
        ),

        // MARK: Command line
        .executableTarget(
            name: "occlumesh",
            dependencies: [
                "VideoIngest",
                "InferenceCore",
                "InferenceGraph",
                "FaceModel",
                "FaceTracking",
                "FaceSmoothing",
                "MeshProtocol",
                "OcclumeshClient",
                "FaceReadout",
                "MotionBridge",
                "OSCEncoding",
                "MeshViewer",
                "FacePipeline",
                "DaemonConfiguration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: vectorISA
        ),

        .executableTarget(
            name: "occlumeshd",
            dependencies: ["Daemon", "DaemonConfiguration", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: vectorISA
        ),

        // MARK: Tools, samples and benchmarks
        // A service with the daemon's lifecycle (config, socket, notify, watchdog, signals) and synthetic
        // frames, run by scripts/systemd-integration.sh under a real systemd beside the real occlumeshd: it checks
        // the unit's lifecycle without the trained model and the third-party data.
        .executableTarget(
            name: "occlumesh-systemd-probe",
            dependencies: [
                "DaemonConfiguration", "DaemonRuntime", "MeshProtocol", "MeshPublisher", "SystemdNotify",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: vectorISA
        ),
        .executableTarget(
            name: "occlumesh-client-sample", dependencies: ["MeshProtocol", "OcclumeshClient"], path: "samples/SwiftClient",
            swiftSettings: vectorISA
        ),
        .executableTarget(
            name: "occlumesh-publisher-benchmark", dependencies: ["MeshProtocol", "MeshPublisher", "OcclumeshClient"],
            path: "Benchmarks/PublisherBenchmark", swiftSettings: vectorISA
        ),

        // MARK: Tests
        .testTarget(
            name: "VideoIngestTests",
            dependencies: ["VideoIngest", "CV4L2", "TestSupport"],
            swiftSettings: vectorISA
        ),
        .testTarget(
            name: "FaceModelTests",
            dependencies: ["FaceModel", "TestSupport"],
            swiftSettings: vectorISA
        ),
        .testTarget(
            name: "FaceTrackingTests",
            dependencies: ["FaceTracking", "FaceModel", "InferenceCore", "VideoIngest", "CMallocCounter", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: vectorISA
        ),
        .testTarget(
            name: "FaceRegressionTests",
            dependencies: ["FaceRegression", "FaceTracking", "FaceModel", "InferenceCore", "VideoIngest", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: vectorISA
        ),
        .testTarget(name: "FaceSmoothingTests", dependencies: ["FaceSmoothing", "FaceModel"], swiftSettings: vectorISA),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon", "FacePipeline", "DaemonConfiguration", "FaceTracking", "FaceRegression", "FaceSmoothing", "FaceModel", "VideoIngest",
                "MeshProtocol", "MonotonicTime", "OcclumeshClient", "UnixSocket", "occlumeshd", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: vectorISA
        ),
        .testTarget(
            name: "FacePipelineTests",
            dependencies: ["FacePipeline", "DaemonConfiguration", "FaceTracking", "FaceSmoothing", "FaceModel", "VideoIngest",
                           "FaceRegression", "TestSupport"],
            swiftSettings: vectorISA
        ),
        .testTarget(
            name: "OcclumeshCommandTests",
            dependencies: ["occlumesh", "occlumeshd", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: vectorISA
        ),
        .testTarget(name: "MeshProtocolTests", dependencies: ["MeshProtocol"], swiftSettings: vectorISA),
        .testTarget(name: "FaceReadoutTests", dependencies: ["FaceReadout", "FaceModel"], swiftSettings: vectorISA),
        .testTarget(name: "OSCEncodingTests", dependencies: ["OSCEncoding"], swiftSettings: vectorISA),
        .testTarget(name: "MeshViewerTests", dependencies: ["MeshViewer", "MeshProtocol"], swiftSettings: vectorISA),
        .testTarget(name: "MotionBridgeTests", dependencies: ["MotionBridge", "FaceReadout", "FaceModel"], swiftSettings: vectorISA),
        .testTarget(
            name: "MeshPublisherTests",
            dependencies: ["MeshProtocol", "MeshPublisher", "OcclumeshClient", "UnixSocket", "TestSupport"],
            swiftSettings: vectorISA
        ),
        .testTarget(name: "UnixSocketTests", dependencies: ["UnixSocket", "TestSupport"], swiftSettings: vectorISA),
        .testTarget(
            name: "OcclumeshClientTests", dependencies: ["OcclumeshClient", "MeshProtocol", "UnixSocket", "TestSupport"],
            swiftSettings: vectorISA
        ),
        .testTarget(name: "DaemonConfigurationTests", dependencies: ["DaemonConfiguration"], swiftSettings: vectorISA),
        .testTarget(name: "SystemdNotifyTests", dependencies: ["SystemdNotify", "UnixSocket"], swiftSettings: vectorISA),
        .testTarget(
            name: "DaemonRuntimeTests",
            dependencies: [
                "DaemonRuntime", "DaemonConfiguration", "MeshPublisher", "UnixSocket", "occlumesh-systemd-probe",
                "TestSupport",
            ],
            swiftSettings: vectorISA
        ),
        .testTarget(name: "ProcessorSupportTests", dependencies: ["ProcessorSupport"], swiftSettings: vectorISA),
        .testTarget(
            name: "InferenceCoreTests",
            dependencies: [
                "InferenceCore", "InferenceGraph", "InferenceEngineAVX2", "InferenceEngineAVX512", "ProcessorSupport",
                "CMallocCounter", "TestSupport",
            ],
            exclude: ["Fixtures"],
            swiftSettings: vectorISA
        ),
        // Helpers shared by the test targets: the repository's paths, running tools and long-running children,
        // temporary folders and socket paths, seeded random numbers.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // Counts malloc calls, for the test that proves inference allocates nothing per run.
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
    ],
    swiftLanguageModes: [.v6]
)
