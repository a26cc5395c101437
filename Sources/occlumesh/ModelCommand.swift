import ArgumentParser
import Foundation
import InferenceCore
import InferenceGraph

/// `occlumesh model`: runs or benchmarks an ONNX model on InferenceCore, for users debugging a
/// model and for outside checks against other runtimes.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Run or benchmark an ONNX model on occlumesh's own inference core.",
        subcommands: [RunModel.self, BenchModel.self]
    )
}

/// `occlumesh model run MODEL.onnx --input in.npy --output out.npy`.
struct RunModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model once on float32 .npy inputs and write its outputs as .npy."
    )

    @Argument(help: "The ONNX model file.")
    var model: String

    @Option(name: .long, help: "An input: FILE.npy for the first input, or NAME=FILE.npy (repeat for several).")
    var input: [String] = []

    @Option(name: .long, help: "An output: FILE.npy for the first output, or NAME=FILE.npy (repeat for several).")
    var output: [String] = []

    @Option(name: .long, help: "Threads large layers may use.")
    var threads: Int = 1

    func run() throws {
        let loaded = try Model(contentsOf: URL(fileURLWithPath: model))
        let files = try ModelFiles.assign(input, to: loaded.inputs.map(\.name), kind: "input")
        var inputs: [Tensor] = []
        for description in loaded.inputs {
            guard let path = files[description.name] else {
                throw ValidationError("no --input given for model input '\(description.name)' \(description.shape)")
            }
            var tensor = try NumpyFile.read(URL(fileURLWithPath: path))
            if tensor.shape != description.shape && tensor.count == description.shape.reduce(1, *) {
                tensor.shape = description.shape   // e.g. a [3,128,128] image for a [1,3,128,128] input
            }
            inputs.append(tensor)
        }
        let outputs = try loaded.makeSession(threads: threads).run(inputs: inputs)
        let destinations = try ModelFiles.assign(output, to: loaded.outputs.map(\.name), kind: "output")
        for (description, tensor) in zip(loaded.outputs, outputs) {
            if let path = destinations[description.name] {
                try NumpyFile.write(tensor, to: URL(fileURLWithPath: path))
            }
            let minimum = tensor.elements.min() ?? 0, maximum = tensor.elements.max() ?? 0
            print("\(description.name) shape=\(tensor.shape) min=\(minimum) max=\(maximum)")
        }
    }
}

/// `occlumesh model bench MODEL.onnx [--threads T] [--runs N] --json`.
struct BenchModel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time repeated runs of a model on a fixed random input (batch as declared)."
    )

    @Argument(help: "The ONNX model file.")
    var model: String

    @Option(name: .long, help: "Threads large layers may use.")
    var threads: Int = 1

    @Option(name: .long, help: "Timed runs.")
    var runs: Int = 200

    @Option(name: .long, help: "Untimed warm-up runs.")
    var warmup: Int = 20

    @Flag(name: .long, help: "Print {\"median_ms\": …, \"p90_ms\": …, \"kernels\": \"avx2|avx512\"} instead of text.")
    var json = false

    @Flag(name: .long, help: "Also print every run's time in milliseconds, one per line (for Benchmarks/).")
    var rawTimes = false

    @Flag(name: .long, help: "Print each plan step's median time instead, slowest first, to see which layers dominate.")
    var profile = false

    func validate() throws {
        guard runs > 0, warmup >= 0, threads > 0 else { throw ValidationError("runs and threads must be positive") }
    }

    func run() throws {
        let loaded = try Model(contentsOf: URL(fileURLWithPath: model))
        let session = loaded.makeSession(threads: threads)
        var generator = SplitMix64(seed: 42)
        let inputs = loaded.inputs.map { description in
            Tensor(shape: description.shape,
                   elements: (0..<description.shape.reduce(1, *)).map { _ in Float(generator.nextUnit()) * 2 - 1 })
        }
        var outputs = session.makeOutputBuffers()
        for _ in 0..<warmup { try session.run(inputs: inputs, outputs: &outputs) }
        if profile {
            let timings = try session.profileSteps(inputs: inputs, runs: runs)
            let total = timings.reduce(0) { $0 + $1.milliseconds }
            print(String(format: "%d steps, sum of medians %.3f ms", timings.count, total))
            for timing in timings.enumerated().sorted(by: { $0.element.milliseconds > $1.element.milliseconds }) {
                print(String(format: "%3d %8.4f ms %5.1f%%  ", timing.offset, timing.element.milliseconds,
                             100 * timing.element.milliseconds / total) + timing.element.step)
            }
            return
        }
        var times: [Double] = []
        times.reserveCapacity(runs)
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            try session.run(inputs: inputs, outputs: &outputs)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        if rawTimes { for time in times { print(String(format: "%.4f", time)) } }
        let sorted = times.sorted()
        let median = sorted[sorted.count / 2], p90 = sorted[min(sorted.count - 1, sorted.count * 9 / 10)]
        let gflops = Double(2 * loaded.multiplyAccumulateCount) / (median * 1e6)
        if json {
            print(String(format: "{\"median_ms\": %.4f, \"p90_ms\": %.4f, \"gflops\": %.2f, \"macs\": %d, \"threads\": %d, ",
                         median, p90, gflops, loaded.multiplyAccumulateCount, threads) + "\"kernels\": \"\(loaded.kernels.rawValue)\"}")
        } else {
            print(String(format: "median %.3f ms, p90 %.3f ms, %.2f GFLOP/s (%d runs, %d threads, ", median, p90, gflops, runs,
                         threads) + "\(loaded.kernels.rawValue) kernels)")
        }
    }
}

/// Maps `FILE` / `NAME=FILE` arguments onto a model's tensor names.
enum ModelFiles {
    static func assign(_ arguments: [String], to names: [String], kind: String) throws -> [String: String] {
        var result: [String: String] = [:]
        for argument in arguments {
            if let equals = argument.firstIndex(of: "="), names.contains(String(argument[..<equals])) {
                result[String(argument[..<equals])] = String(argument[argument.index(after: equals)...])
            } else if let first = names.first, result[first] == nil, arguments.count == 1 {
                result[first] = argument
            } else {
                throw ValidationError("--\(kind) \(argument): use NAME=FILE.npy with NAME one of \(names)")
            }
        }
        return result
    }
}

/// A small deterministic generator for benchmark inputs.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextUnit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
