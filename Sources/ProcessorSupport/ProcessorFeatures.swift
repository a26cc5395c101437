import CProcessorFeatures

/// The instruction-set features a CPU reports through cpuid (and its operating system through XCR0), by the names
/// Linux's /proc/cpuinfo uses.
public struct ProcessorFeatures: Sendable, Equatable {
    /// Feature names present, e.g. "avx2", "avx512f", "os-avx512".
    public let names: Set<String>

    /// Features named explicitly (tests, and machines described by their /proc/cpuinfo).
    public init(names: Set<String>) { self.names = names }

    /// Decodes the cpuid words: leaf 1 ECX, leaf 7 EBX, leaf 0x80000001 ECX, and XCR0 for the register states the
    /// operating system saves (without them a CPU's AVX or AVX-512 cannot be used even when cpuid lists it).
    public init(maximumLeaf: UInt32, leaf1ECX: UInt32, leaf7EBX: UInt32, extended1ECX: UInt32, xcr0: UInt64) {
        var names = Set<String>()
        func bit(_ word: UInt32, _ index: UInt32, _ name: String) { if word & (1 << index) != 0 { names.insert(name) } }
        bit(leaf1ECX, 12, "fma")
        bit(leaf1ECX, 22, "movbe")
        bit(leaf1ECX, 28, "avx")
        bit(leaf1ECX, 29, "f16c")
        if maximumLeaf >= 7 {
            bit(leaf7EBX, 3, "bmi1")
            bit(leaf7EBX, 5, "avx2")
            bit(leaf7EBX, 8, "bmi2")
            bit(leaf7EBX, 16, "avx512f")
            bit(leaf7EBX, 17, "avx512dq")
            bit(leaf7EBX, 28, "avx512cd")
            bit(leaf7EBX, 30, "avx512bw")
            bit(leaf7EBX, 31, "avx512vl")
        }
        bit(extended1ECX, 5, "abm")
        let osxsave = leaf1ECX & (1 << 27) != 0
        // XCR0 bits 1-2: SSE and AVX (ymm) state; 5-7: opmask, upper zmm0-15, zmm16-31.
        if osxsave && xcr0 & 0b110 == 0b110 { names.insert("os-avx") }
        if osxsave && xcr0 & 0b1110_0110 == 0b1110_0110 { names.insert("os-avx512") }
        self.names = names
    }

    /// This CPU's features, read once per process.
    public static let current: ProcessorFeatures = {
        var words = occlumesh_cpuid_words()
        occlumesh_read_cpuid(&words)
        return ProcessorFeatures(maximumLeaf: words.maximum_leaf, leaf1ECX: words.leaf1_ecx, leaf7EBX: words.leaf7_ebx,
                                 extended1ECX: words.extended1_ecx, xcr0: words.xcr0)
    }()

    /// The features `level` needs that are absent, in the level's order; empty when the level can run.
    public func missing(for level: KernelLevel) -> [String] { level.requiredFeatures.filter { !names.contains($0) } }

    /// Whether every feature `level` needs is present.
    public func supports(_ level: KernelLevel) -> Bool { missing(for: level).isEmpty }

    /// The widest level this CPU supports, or nil when it lacks even AVX2 + FMA.
    public var bestLevel: KernelLevel? { KernelLevel.allCases.reversed().first(where: supports) }
}
