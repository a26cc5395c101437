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

/// CPU features the AVX-512 build of InferenceCore relies on (those of AMD Zen 4 and later, whose
/// full-width 512-bit units make it pay off); `ProcessorSupport.ProcessorCheck` checks the same list at run time.
let zen4Features = ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd", "avx512vbmi", "avx512_bf16"]

/// The build machine's CPU flags, from /proc/cpuinfo (empty where there is none).
let hostFlags: Set<Substring> = {
    guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
    return Set(line.split(separator: " "))
}()

/// InferenceCore is compiled for the machine that builds it, as occlumesh is built where it runs:
/// for AMD Zen 4 (AVX-512, 32-wide GEMM panels) when the build machine has Zen 4's AVX-512 features,
/// for x86-64-v3 (AVX2 + FMA) otherwise. `OCCLUMESH_ISA=avx2` builds a binary for any AVX2 machine;
/// `OCCLUMESH_ISA=avx512` forces the AVX-512 build. A binary run on a CPU without the features it
/// was built for refuses to load models with an error saying so. True: the AVX-512 build.
let inferenceCoreAVX512: Bool = {
    let requested = Context.environment["OCCLUMESH_ISA"]
    if let requested, requested != "avx2", requested != "avx512" {
        fatalError("OCCLUMESH_ISA=\(requested): use avx2 or avx512, or leave it unset to build for this machine")
    }
    return requested == "avx512" || (requested != "avx2" && zen4Features.allSatisfy { hostFlags.contains(Substring($0)) })
}()
/// InferenceCore's compiler settings for the instruction set chosen above.
let inferenceCoreISA: [SwiftSetting] = inferenceCoreAVX512
    ? [.unsafeFlags(["-target-cpu", "znver4"]), .define("INFERENCECORE_AVX512")] : vectorISA

/// ProcessorSupport knows which instruction set InferenceCore was built for, but is itself compiled for the
/// x86-64-v3 baseline, so its check runs on any CPU that can run the rest of occlumesh.
let processorSupportSettings: [SwiftSetting] = vectorISA + (inferenceCoreAVX512 ? [.define("INFERENCECORE_AVX512")] : [])

let package = Package(
    name: "occlumesh",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "occlumesh", targets: ["occlumesh"]),
        .executable(name: "occlumeshd", targets: ["occlumeshd"]),
        .library(name: "VideoIngest", targets: ["VideoIngest"]),
        .library(name: "InferenceCore", targets: ["InferenceCore"]),
        .library(name: "FaceModel", targets: ["FaceModel"]),
        .library(name: "FaceTracking", targets: ["FaceTracking"]),
        .library(name: "FaceRegression", targets: ["FaceRegression"]),
        .library(name: "MeshPublisher", targets: ["MeshPublisher"]),
        .library(name: "OcclumeshClient", targets: ["OcclumeshClient"]),
        .library(name: "DaemonConfiguration", targets: ["DaemonConfiguration"]),
        .library(name: "SystemdNotify", targets: ["SystemdNotify"]),
        .library(name: "DaemonRuntime", targets: ["DaemonRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
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

        // MARK: Pipeline modules
        .target(
            name: "VideoIngest",
            dependencies: ["CFFmpeg", "CV4L2"],
            swiftSettings: vectorISA
        ),

        .target(name: "ProcessorSupport", swiftSettings: processorSupportSettings),
        .target(
            name: "InferenceCore",
            dependencies: ["ProcessorSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: inferenceCoreISA + numericInDebug
        ),
        .target(
            name: "FaceModel",
            swiftSettings: vectorISA + numericInDebug
        ),
        .target(
            name: "FaceTracking",
            dependencies: ["FaceModel", "InferenceCore", "VideoIngest"],
            swiftSettings: vectorISA + numericInDebug
        ),
        .target(
            name: "FaceRegression",
            dependencies: ["InferenceCore", "FaceModel"],
            swiftSettings: vectorISA + numericInDebug
        ),

        // MARK: Publishing and daemon plumbing: wire protocol, socket server, client, config, systemd
        .target(name: "UnixSocket", swiftSettings: vectorISA),
        .target(name: "MeshProtocol", swiftSettings: vectorISA),
        .target(name: "MeshPublisher", dependencies: ["MeshProtocol", "UnixSocket"], swiftSettings: vectorISA),
        .target(name: "OcclumeshClient", dependencies: ["MeshProtocol", "UnixSocket"], swiftSettings: vectorISA),
        // What clients make of received frames for people and for other programs: head angles, readable lines.
        .target(name: "FaceReadout", dependencies: ["MeshProtocol"], swiftSettings: vectorISA),
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
            name: "DaemonRuntime", dependencies: ["SystemdNotify", "DaemonConfiguration", "MeshPublisher"],
            swiftSettings: vectorISA
        ),
        .target(
            name: "Daemon",
            dependencies: [
                "VideoIngest", "FaceTracking", "FaceRegression", "FaceModel", "MeshPublisher", "DaemonConfiguration",
                "DaemonRuntime", "SystemdNotify",
            ],
            swiftSettings: vectorISA + numericInDebug
        ),

        // MARK: Command line
        .executableTarget(
            name: "occlumesh",
            dependencies: [
                "VideoIngest",
                "InferenceCore",
                "FaceModel",
                "FaceTracking",
                "OcclumeshClient",
                "FaceReadout",
                "MotionBridge",
                "OSCEncoding",
                "Daemon",
                "DaemonConfiguration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: vectorISA
        ),

        .executableTarget(
            name: "occlumeshd",
            dependencies: ["Daemon", "DaemonConfiguration", "DaemonRuntime", "MeshPublisher", "SystemdNotify", "VideoIngest"],
            swiftSettings: vectorISA
        ),

        // MARK: Tools, samples and benchmarks
        // A service with the daemon's lifecycle (config, socket, notify, watchdog, signals) and synthetic
        // frames, run by scripts/systemd-integration.sh under a real systemd until occlumeshd exists.
        .executableTarget(
            name: "occlumesh-systemd-probe",
            dependencies: ["DaemonConfiguration", "DaemonRuntime", "MeshPublisher", "SystemdNotify"],
            path: "Tests/SystemdProbe",
            swiftSettings: vectorISA
        ),
        .executableTarget(
            name: "occlumesh-client-sample", dependencies: ["OcclumeshClient"], path: "samples/SwiftClient",
            swiftSettings: vectorISA
        ),
        .executableTarget(
            name: "occlumesh-publisher-benchmark", dependencies: ["MeshPublisher", "OcclumeshClient"],
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
            dependencies: ["FaceTracking", "FaceModel", "InferenceCore", "VideoIngest", "CMallocCounter"],
            exclude: ["Fixtures"],
            swiftSettings: vectorISA
        ),
        .testTarget(
            name: "FaceRegressionTests",
            dependencies: ["FaceRegression", "FaceModel", "InferenceCore", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: vectorISA
        ),
        .testTarget(
            name: "DaemonTests",
            dependencies: [
                "Daemon", "DaemonConfiguration", "FaceTracking", "FaceModel", "VideoIngest", "OcclumeshClient", "UnixSocket",
                "occlumeshd", "TestSupport",
            ],
            swiftSettings: vectorISA
        ),
        .testTarget(
            name: "OcclumeshCommandTests",
            dependencies: ["occlumesh", "occlumeshd"],
            exclude: ["Fixtures"],
            swiftSettings: vectorISA
        ),
        .testTarget(name: "MeshProtocolTests", dependencies: ["MeshProtocol"], swiftSettings: vectorISA),
        .testTarget(name: "FaceReadoutTests", dependencies: ["FaceReadout", "FaceModel"], swiftSettings: vectorISA),
        .testTarget(name: "OSCEncodingTests", dependencies: ["OSCEncoding"], swiftSettings: vectorISA),
        .testTarget(name: "MotionBridgeTests", dependencies: ["MotionBridge", "FaceReadout", "FaceModel"], swiftSettings: vectorISA),
        .testTarget(
            name: "MeshPublisherTests",
            dependencies: ["MeshPublisher", "OcclumeshClient", "UnixSocket"],
            swiftSettings: vectorISA
        ),
        .testTarget(name: "DaemonConfigurationTests", dependencies: ["DaemonConfiguration"], swiftSettings: vectorISA),
        .testTarget(name: "SystemdNotifyTests", dependencies: ["SystemdNotify", "UnixSocket"], swiftSettings: vectorISA),
        .testTarget(
            name: "DaemonRuntimeTests", dependencies: ["DaemonRuntime", "DaemonConfiguration", "MeshPublisher", "UnixSocket"],
            swiftSettings: vectorISA
        ),
        .testTarget(name: "ProcessorSupportTests", dependencies: ["ProcessorSupport"], swiftSettings: vectorISA),
        .testTarget(
            name: "InferenceCoreTests",
            dependencies: ["InferenceCore", "CMallocCounter", "TestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: vectorISA
        ),
        // Helpers shared by the test targets (seeded random numbers).
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        // Counts malloc calls, for the test that proves inference allocates nothing per run.
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
    ],
    swiftLanguageModes: [.v6]
)
