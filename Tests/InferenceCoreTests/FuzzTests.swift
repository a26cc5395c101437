import Foundation
import InferenceCore
import InferenceGraph
import TestSupport
import Testing

/// Seeded mutations of real fixture models: every mutant either loads (and then runs) or is
/// refused with an `InferenceError`; nothing crashes and no session asks for an absurd arena.
@Suite struct FuzzTests {
    static let seeds = ["conv_bn_relu6", "concat_channels", "shape_arithmetic_flatten", "resize_bilinear", "gemm_transb",
                        "pad_reflect", "slice_steps", "split", "conv_residual_relu", "maxpool_ceil"]

    enum Mutation: CaseIterable { case flipBytes, truncate, insertBytes, maximiseVarints, duplicateChunk, zeroRun }

    static func mutate(_ original: [UInt8], using generator: inout SeededGenerator) -> [UInt8] {
        var bytes = original
        guard !bytes.isEmpty else { return bytes }
        switch Mutation.allCases.randomElement(using: &generator)! {
        case .flipBytes:
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator)
            }
        case .truncate:
            bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &generator)))
        case .insertBytes:
            let position = Int.random(in: 0...bytes.count, using: &generator)
            bytes.insert(contentsOf: (0..<Int.random(in: 1...16, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) },
                         at: position)
        case .maximiseVarints:
            // Large varints turn into huge lengths, dimensions and attribute values.
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                for offset in 0..<min(5, bytes.count - position) { bytes[position + offset] = offset == 4 ? 0x0F : 0xFF }
            }
        case .duplicateChunk:
            let start = Int.random(in: 0..<bytes.count, using: &generator)
            let end = min(bytes.count, start + Int.random(in: 1...64, using: &generator))
            bytes.insert(contentsOf: bytes[start..<end], at: Int.random(in: 0...bytes.count, using: &generator))
        case .zeroRun:
            let start = Int.random(in: 0..<bytes.count, using: &generator)
            for index in start..<min(bytes.count, start + Int.random(in: 1...12, using: &generator)) { bytes[index] = 0 }
        }
        return bytes
    }

    @Test("400 mutated models: typed error or a working model")
    func mutatedModels() throws {
        var generator = SeededGenerator(seed: 2022)
        var loaded = 0, refused = 0
        for round in 0..<400 {
            let name = Self.seeds[round % Self.seeds.count]
            let original = [UInt8](try Data(contentsOf: Fixtures.model(name)))
            let mutant = Self.mutate(original, using: &generator)
            do {
                let model = try Model(data: Data(mutant))
                #expect(model.arenaElementCount <= 1 << 29, "\(name) round \(round): arena \(model.arenaElementCount)")
                let inputs = model.inputs.map { Tensor(zeros: $0.shape) }
                _ = try model.makeSession().run(inputs: inputs)
                loaded += 1
            } catch {
                #expect(!error.description.isEmpty)
                refused += 1
            }
        }
        print("fuzz: \(loaded) mutants loaded and ran, \(refused) refused with a typed error")
        // Both outcomes must occur: a loader that refused every file, or accepted every file, fails here.
        #expect(loaded >= 20, "some mutants (unchanged weights, names) should still load and run (\(loaded))")
        #expect(refused > 100, "most mutants should be refused (\(refused))")
    }
}
