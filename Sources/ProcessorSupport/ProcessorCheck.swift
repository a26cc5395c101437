import Foundation

/// The instruction set InferenceCore's kernels were compiled for, and whether this CPU has it.
///
/// The package compiles the kernels for the build machine (see Package.swift); a binary carried to a CPU without
/// those features would die of an illegal instruction in the first run, so models refuse to load there instead, with
/// an error saying how to rebuild. The check lives in its own target, compiled for the x86-64-v3 baseline of every
/// target whatever InferenceCore is built for, so that its own work (reading /proc/cpuinfo, comparing sets) cannot
/// use an instruction the CPU lacks; InferenceCore calls it first thing when loading a model.
public enum ProcessorCheck {
    #if INFERENCECORE_AVX512
    /// The name of the instruction set the kernels use.
    public static let instructionSet = "AVX-512 (AMD Zen 4 level)"
    /// The /proc/cpuinfo flags the kernels need (Package.swift's `zen4Features` decides the build from the same list).
    public static let requiredFeatures = ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd", "avx512vbmi", "avx512_bf16"]
    #else
    /// The name of the instruction set the kernels use.
    public static let instructionSet = "AVX2 + FMA (x86-64-v3)"
    /// The /proc/cpuinfo flags the kernels need.
    public static let requiredFeatures = ["avx2", "fma", "bmi1", "bmi2", "f16c", "movbe"]
    #endif

    /// Flags the kernels need that this CPU's /proc/cpuinfo does not list; empty when all are present, or when
    /// /proc/cpuinfo cannot be read (nothing to judge by).
    public static let missingFeatures: [String] = {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        let flags = Set(line.split(separator: " ").map(String.init))
        return requiredFeatures.filter { !flags.contains($0) }
    }()
}
