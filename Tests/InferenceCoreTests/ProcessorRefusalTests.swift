import Foundation
import InferenceCore
import InferenceGraph
import ProcessorSupport
import Testing

/// Asking for kernels this CPU cannot run is a one-line error before any of their code runs, never a crash.
@Suite struct ProcessorRefusalTests {
    @Test("a level the CPU lacks is refused with the missing features named",
          .enabled(if: !KernelLevels.avx512Runs, "this CPU runs the avx512 kernels: nothing to refuse"))
    func avx512RefusedWhereMissing() throws {
        #expect(throws: InferenceError.self) { try Model(contentsOf: Fixtures.model("relu"), kernels: .avx512) }
        do {
            _ = try Model(contentsOf: Fixtures.model("relu"), kernels: .avx512)
        } catch {
            #expect(error.description.contains("avx512"))
            #expect(error.description.contains(KernelLevels.avx512Missing[0]))
            #expect(!error.description.contains("\n"))
            #expect(error.description.hasSuffix("use OCCLUMESH_ISA=avx2 or unset it"), "cut: \(error.description)")
        }
    }

    @Test("the level asked for is the level used")
    func requestedLevelIsUsed() throws {
        let model = try Model(contentsOf: Fixtures.model("relu"), kernels: .avx2)
        #expect(model.kernels == .avx2)
        #expect(try Model(contentsOf: Fixtures.model("relu")).kernels == ProcessorCheck.selection.get())
    }
}
