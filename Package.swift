// swift-tools-version: 6.0
import PackageDescription

/// Every Swift target is compiled for x86-64-v3 (AVX2 + FMA): without it Swift's SIMD types fall
/// back to SSE2 and per-lane `fmaf` calls, which is two orders of magnitude slower.
let vectorISA: [SwiftSetting] = [
    .unsafeFlags(["-target-cpu", "haswell"]),
]

/// InferenceCore normally uses `vectorISA`. Opt-in experiment, never the default:
/// `OCCLUMESH_AVX512=1 swift build -c release` compiles it for AMD Zen 4 (AVX-512) with 32-wide GEMM panels.
let inferenceCoreISA: [SwiftSetting] = Context.environment["OCCLUMESH_AVX512"] == "1"
    ? [.unsafeFlags(["-target-cpu", "znver4"]), .define("INFERENCECORE_AVX512")]
    : vectorISA

let package = Package(
    name: "occlumesh",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "VideoIngest", targets: ["VideoIngest"]),
        .library(name: "InferenceCore", targets: ["InferenceCore"]),
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

        // MARK: InferenceCore (issue 3)
        // Numeric kernels are compiled with -O even in debug builds, so whole-network tests stay quick.
        .target(
            name: "InferenceCore",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: inferenceCoreISA + [.unsafeFlags(["-O"])]
        ),
        .target(name: "CMallocCounter", path: "Tests/CMallocCounter"),
        .testTarget(
            name: "InferenceCoreTests",
            dependencies: ["InferenceCore", "CMallocCounter"],
            exclude: ["Fixtures"],
            swiftSettings: vectorISA
        ),
        // Stand-in executable for `occlumesh model run|bench` until the lead wires ModelCommand.swift
        // into the real `occlumesh` executable; Sources/InferenceTool/ModelCommand.swift is a symlink.
        .executableTarget(
            name: "inference-tool",
            dependencies: ["InferenceCore", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Sources/InferenceTool",
            swiftSettings: vectorISA
        ),
    ],
    swiftLanguageModes: [.v6]
)
