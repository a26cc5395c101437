import Foundation
import ProcessorSupport
import Testing

/// Which kernels a CPU gets: cpuid decoding (against register values of known CPUs and against Linux's own
/// decoding in /proc/cpuinfo), and the choice with and without `OCCLUMESH_ISA`.
@Suite struct ProcessorCheckTests {
    // Leaf 1 ECX with FMA (12), MOVBE (22), OSXSAVE (27), AVX (28), F16C (29).
    static let leaf1 = UInt32(1 << 12 | 1 << 22 | 1 << 27 | 1 << 28 | 1 << 29)
    // Leaf 7 EBX with BMI1 (3), AVX2 (5), BMI2 (8).
    static let leaf7AVX2 = UInt32(1 << 3 | 1 << 5 | 1 << 8)
    // ... and AVX-512 F (16), DQ (17), CD (28), BW (30), VL (31).
    static let leaf7AVX512 = leaf7AVX2 | UInt32(1 << 16 | 1 << 17 | 1 << 28 | 1 << 30 | 1 << 31)
    // LZCNT ("abm", 0x80000001 ECX bit 5); XCR0 with x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM.
    static let extended = UInt32(1 << 5)
    static let xcr0AVX512: UInt64 = 0b1110_0111, xcr0AVX: UInt64 = 0b111

    static func features(leaf7: UInt32 = leaf7AVX512, xcr0: UInt64 = xcr0AVX512, leaf1: UInt32 = leaf1) -> ProcessorFeatures {
        ProcessorFeatures(maximumLeaf: 13, leaf1ECX: leaf1, leaf7EBX: leaf7, extended1ECX: extended, xcr0: xcr0)
    }

    @Test("a Zen 4 / Ice Lake register set gets avx512, a Haswell one avx2")
    func levelsFromRegisters() {
        #expect(Self.features().bestLevel == .avx512)
        #expect(Self.features(leaf7: Self.leaf7AVX2, xcr0: Self.xcr0AVX).bestLevel == .avx2)
        #expect(Self.features(leaf7: Self.leaf7AVX2, xcr0: Self.xcr0AVX).missing(for: .avx512)
                == ["avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl", "os-avx512"])
    }

    @Test("each AVX-512 bit is needed on its own")
    func eachBitMatters() {
        for (bit, name) in [(16, "avx512f"), (17, "avx512dq"), (28, "avx512cd"), (30, "avx512bw"), (31, "avx512vl")] {
            let features = Self.features(leaf7: Self.leaf7AVX512 & ~UInt32(1 << bit))
            #expect(features.missing(for: .avx512) == [name])
            #expect(features.bestLevel == .avx2)
        }
    }

    @Test("a CPU with AVX-512 whose operating system does not save zmm state gets avx2")
    func operatingSystemState() {
        #expect(Self.features(xcr0: Self.xcr0AVX).missing(for: .avx512) == ["os-avx512"])
        #expect(Self.features(xcr0: Self.xcr0AVX).bestLevel == .avx2)
        // Without OSXSAVE, XCR0 cannot be read and nothing vector-wide is usable.
        let noXSAVE = Self.features(leaf1: Self.leaf1 & ~UInt32(1 << 27))
        #expect(noXSAVE.bestLevel == nil)
        #expect(noXSAVE.missing(for: .avx2) == ["os-avx"])
    }

    @Test("OCCLUMESH_ISA picks a supported level, and refuses one the CPU lacks or a name it does not know")
    func override() {
        let zen4 = Self.features(), haswell = Self.features(leaf7: Self.leaf7AVX2, xcr0: Self.xcr0AVX)
        #expect(ProcessorCheck.selectLevel(features: zen4, override: nil) == .success(.avx512))
        #expect(ProcessorCheck.selectLevel(features: zen4, override: "") == .success(.avx512))
        #expect(ProcessorCheck.selectLevel(features: zen4, override: "avx2") == .success(.avx2))
        #expect(ProcessorCheck.selectLevel(features: haswell, override: nil) == .success(.avx2))
        let refused = ProcessorCheck.selectLevel(features: haswell, override: "avx512")
        guard case .failure(let error) = refused else {
            Issue.record("avx512 on a Haswell register set was accepted")
            return
        }
        #expect(error.description.contains("OCCLUMESH_ISA=avx512") && error.description.contains("avx512f"))
        #expect(ProcessorCheck.selectLevel(features: zen4, override: "sse4") == .failure(.unknownOverride(value: "sse4")))
        #expect(ProcessorCheck.selectLevel(features: ProcessorFeatures(names: []), override: nil)
                == .failure(.noSupportedLevel(missing: KernelLevel.avx2.requiredFeatures)))
    }

    static let cpuinfoFlags: Set<String>? = {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
        return Set(line.split(separator: " ").map(String.init))
    }()

    /// Linux decodes cpuid (and masks what the kernel does not support) into /proc/cpuinfo; our decoding must say the
    /// same for every feature a level needs, present or absent.
    @Test("cpuid decoding agrees with /proc/cpuinfo", .enabled(if: cpuinfoFlags != nil, "no /proc/cpuinfo flags line to compare with"))
    func agreesWithLinux() throws {
        let flags = try #require(Self.cpuinfoFlags)
        let current = ProcessorFeatures.current
        for name in KernelLevel.avx512.requiredFeatures where !name.hasPrefix("os-") {
            #expect(current.names.contains(name) == flags.contains(name), "\(name): cpuid \(current.names.contains(name)), cpuinfo \(flags.contains(name))")
        }
        #expect(current.names.contains("os-avx") == flags.contains("avx"))
        #expect(current.names.contains("os-avx512") == flags.contains("avx512f"))
    }

    @Test("the report names the level chosen")
    func report() throws {
        let level = try ProcessorCheck.selection.get()
        #expect(ProcessorCheck.report.contains("inference kernels: \(level.rawValue)"))
    }
}
