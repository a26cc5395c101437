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
        .executable(name: "occlumesh", targets: ["occlumesh"]),
        .library(name: "VideoIngest", targets: ["VideoIngest"]),
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

        // MARK: Command line
        .executableTarget(
            name: "occlumesh",
            dependencies: [
                "VideoIngest",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: vectorISA
        ),

        // MARK: Tests
        .testTarget(
            name: "VideoIngestTests",
            dependencies: ["VideoIngest", "CV4L2"],
            swiftSettings: vectorISA
        ),
        .testTarget(
            name: "OcclumeshCommandTests",
            dependencies: ["occlumesh"],
            swiftSettings: vectorISA
        ),
    ],
    swiftLanguageModes: [.v6]
)
