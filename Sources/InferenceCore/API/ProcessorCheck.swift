import Foundation

/// The instruction set InferenceCore's kernels were compiled for, and whether this CPU has it.
/// The package compiles the kernels for the build machine (see Package.swift); a binary carried to
/// a CPU without those features would die of an illegal instruction in the first run, so models
/// refuse to load there instead, with an error saying how to rebuild. (The check itself is compiled with
/// the module's flags; it uses nothing beyond AVX, which every CPU of the AVX2 baseline has.)
public enum ProcessorCheck {
    #if INFERENCECORE_AVX512
    /// The name of the instruction set the kernels use.
    public static let instructionSet = "AVX-512 (AMD Zen 4 level)"
    static let requiredFlags = ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd", "avx512vbmi", "avx512_bf16"]
    #else
    /// The name of the instruction set the kernels use.
    public static let instructionSet = "AVX2 + FMA (x86-64-v3)"
    static let requiredFlags = ["avx2", "fma", "bmi1", "bmi2", "f16c", "movbe"]
    #endif

    /// Flags the kernels need that this CPU's /proc/cpuinfo does not list; empty when all are
    /// present, or when /proc/cpuinfo cannot be read (nothing to judge by).
    public static let missingFeatures: [String] = {
        guard let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return [] }
        let flags = Set(line.split(separator: " ").map(String.init))
        return requiredFlags.filter { !flags.contains($0) }
    }()

    /// Throws `InferenceError.unsupportedProcessor` when this CPU lacks what the kernels need.
    static func verify() throws(InferenceError) {
        if !missingFeatures.isEmpty {
            throw .unsupportedProcessor(instructionSet: instructionSet, missing: missingFeatures)
        }
    }
}
