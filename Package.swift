// swift-tools-version: 6.0
import PackageDescription

/// Every Swift target is compiled for x86-64-v3 (AVX2 + FMA): without it Swift's SIMD types fall
/// back to SSE2 and per-lane `fmaf` calls, which is two orders of magnitude slower.
let vectorISA: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"]),
]

let package = Package(
    name: "occlumesh",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "VideoIngest", targets: ["VideoIngest"]),
        // MARK: Publishing side (issue 6)
        .library(name: "MeshPublisher", targets: ["MeshPublisher"]),
        .library(name: "OcclumeshClient", targets: ["OcclumeshClient"]),
        .library(name: "DaemonConfiguration", targets: ["DaemonConfiguration"]),
        .library(name: "SystemdNotify", targets: ["SystemdNotify"]),
        .library(name: "DaemonRuntime", targets: ["DaemonRuntime"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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

        // MARK: Publishing side (issue 6): wire protocol, socket server, client, config, systemd
        .target(name: "UnixSocket", swiftSettings: vectorISA),
        .target(name: "MeshProtocol", swiftSettings: vectorISA),
        .target(name: "MeshPublisher", dependencies: ["MeshProtocol", "UnixSocket"], swiftSettings: vectorISA),
        .target(name: "OcclumeshClient", dependencies: ["MeshProtocol", "UnixSocket"], swiftSettings: vectorISA),
        .target(name: "DaemonConfiguration", swiftSettings: vectorISA),
        .target(name: "SystemdNotify", dependencies: ["UnixSocket"], swiftSettings: vectorISA),
        .target(
            name: "DaemonRuntime", dependencies: ["SystemdNotify", "DaemonConfiguration", "MeshPublisher"],
            swiftSettings: vectorISA
        ),
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
        .testTarget(name: "MeshProtocolTests", dependencies: ["MeshProtocol"], swiftSettings: vectorISA),
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
    ],
    swiftLanguageModes: [.v6]
)
