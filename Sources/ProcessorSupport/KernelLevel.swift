/// A set of InferenceCore kernels compiled for one x86-64 instruction-set level. Every level is in every binary;
/// `ProcessorCheck` picks one per process from what the CPU reports.
public enum KernelLevel: String, CaseIterable, Sendable, Comparable, CustomStringConvertible {
    /// x86-64-v3: AVX2 + FMA, 256-bit vectors; GEMM panels of 16 columns. Compiled with `-target-cpu haswell`.
    case avx2
    /// x86-64-v4 with 512-bit vectors: AVX-512 F/BW/CD/DQ/VL (Skylake-SP, Ice Lake, Zen 4 and later); GEMM panels of
    /// 32 columns. Compiled with `-target-cpu znver4` minus every extension beyond that set (Package.swift), so the
    /// compiler keeps Zen 4's 512-bit tuning but emits nothing an Ice Lake server lacks.
    case avx512

    /// The level's name and what it needs, for logs and errors.
    public var description: String {
        switch self {
        case .avx2: "avx2 (AVX2 + FMA, x86-64-v3)"
        case .avx512: "avx512 (AVX-512 F/BW/CD/DQ/VL with 512-bit vectors, x86-64-v4)"
        }
    }

    /// The features the level's code may use, in the names Linux's /proc/cpuinfo gives them; `os-avx` and
    /// `os-avx512` stand for the operating system saving the ymm and the opmask/zmm registers (XCR0).
    public var requiredFeatures: [String] {
        let baseline = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "movbe", "abm", "os-avx"]
        switch self {
        case .avx2: return baseline
        case .avx512: return baseline + ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "os-avx512"]
        }
    }

    public static func < (left: KernelLevel, right: KernelLevel) -> Bool {
        allCases.firstIndex(of: left)! < allCases.firstIndex(of: right)!
    }
}
