import Foundation

/// Why no kernel level could be chosen: one line naming the cause and the way out.
public enum KernelSelectionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `OCCLUMESH_ISA` holds something other than a level's name.
    case unknownOverride(value: String)
    /// A level was asked for (by `OCCLUMESH_ISA` or by the caller) that this CPU cannot run.
    case unsupportedLevel(KernelLevel, missing: [String], requestedBy: String)
    /// The CPU lacks even the AVX2 level (the whole binary is built for x86-64-v3).
    case noSupportedLevel(missing: [String])

    public var description: String {
        switch self {
        case .unknownOverride(let value):
            "\(ProcessorCheck.overrideVariable)=\(String(value.prefix(32)).debugDescription)\(value.count > 32 ? "…" : "") "
                + "names no kernel level "
                + "(use \(KernelLevel.allCases.map(\.rawValue).joined(separator: " or ")), or unset it to choose from the CPU)"
        case .unsupportedLevel(let level, let missing, let requestedBy):
            "\(requestedBy) asks for the \(level.rawValue) kernels but this CPU lacks \(missing.joined(separator: ", "))"
                + (level == .avx2 ? "" : "; use \(ProcessorCheck.overrideVariable)=avx2 or unset it")
        case .noSupportedLevel(let missing):
            "this CPU lacks \(missing.joined(separator: ", ")), which even the avx2 (x86-64-v3) kernels need"
        }
    }
}

/// Which InferenceCore kernels this CPU gets. Every binary holds every `KernelLevel`; the widest one the CPU (and its
/// operating system) supports is chosen once per process, unless `OCCLUMESH_ISA` names another. Compiled for the
/// x86-64-v3 baseline of the rest of the package, so the choice never runs an instruction the CPU lacks.
public enum ProcessorCheck {
    /// The environment variable that overrides the choice: `avx2` or `avx512`.
    public static let overrideVariable = "OCCLUMESH_ISA"

    /// The level for a CPU with `features`, given the override's value (nil: unset or empty).
    public static func selectLevel(features: ProcessorFeatures, override: String?) -> Result<KernelLevel, KernelSelectionError> {
        if let override, !override.isEmpty {
            guard let level = KernelLevel(rawValue: override) else { return .failure(.unknownOverride(value: override)) }
            let missing = features.missing(for: level)
            return missing.isEmpty ? .success(level)
                : .failure(.unsupportedLevel(level, missing: missing, requestedBy: "\(overrideVariable)=\(override)"))
        }
        guard let best = features.bestLevel else { return .failure(.noSupportedLevel(missing: features.missing(for: .avx2))) }
        return .success(best)
    }

    /// This process's choice, made once from cpuid and `OCCLUMESH_ISA`.
    public static let selection: Result<KernelLevel, KernelSelectionError> =
        selectLevel(features: .current, override: ProcessInfo.processInfo.environment[overrideVariable])

    /// The level to use when the caller asks for `requested` (nil: this process's choice): `requested` if the CPU
    /// supports it, else an error naming what is missing.
    public static func level(requested: KernelLevel?) -> Result<KernelLevel, KernelSelectionError> {
        guard let requested else { return selection }
        let missing = ProcessorFeatures.current.missing(for: requested)
        return missing.isEmpty ? .success(requested)
            : .failure(.unsupportedLevel(requested, missing: missing, requestedBy: "the caller"))
    }

    /// One line for logs: the kernels chosen (or why none) and the CPU's vector features.
    public static var report: String {
        let vector = ProcessorFeatures.current.names.filter { $0.hasPrefix("avx") || $0.hasPrefix("os-") || $0 == "fma" }
        let features = vector.sorted().joined(separator: " ")
        switch selection {
        case .success(let level): return "inference kernels: \(level) (CPU: \(features))"
        case .failure(let error): return "inference kernels: none (\(error)) (CPU: \(features))"
        }
    }
}
