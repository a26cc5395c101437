import DaemonConfiguration

/// Per-shape gain and offset applied to ARKit weights before they are sent, read from a small TOML file, since
/// every avatar is rigged differently: `sent = min(max(gain · weight + offset, 0), 1)`.
///
/// ```toml
/// [jawOpen]
/// gain = 1.4        # 0 … 10
/// [eyeBlinkLeft]
/// offset = -0.05    # -1 … 1
/// ```
/// Tables are ARKit names (`ARKitBlendshapes.names`); the only keys are `gain` and `offset`.
public struct ShapeCalibration: Sendable, Equatable {
    /// Largest gain accepted: beyond it any weight saturates and the number is a typo.
    public static let gainRange: ClosedRange<Double> = 0...10
    /// Offsets accepted: weights live in 0…1.
    public static let offsetRange: ClosedRange<Double> = -1...1

    /// Gain per ARKit name, in `ARKitBlendshapes.names` order.
    public private(set) var gains: [Float]
    /// Offset per ARKit name, in `ARKitBlendshapes.names` order.
    public private(set) var offsets: [Float]

    /// Gain 1 and offset 0 for every shape.
    public init() {
        gains = Array(repeating: 1, count: ARKitBlendshapes.names.count)
        offsets = Array(repeating: 0, count: ARKitBlendshapes.names.count)
    }

    /// Reads a calibration file's text; a bad key, type or number is an error naming the key and its line.
    public init(toml text: String) throws(ConfigurationError) {
        self.init()
        var index: [String: Int] = [:]
        for (position, name) in ARKitBlendshapes.names.enumerated() { index[name] = position }
        for entry in try TOMLParser.parse(text) {
            let parts = entry.key.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, let shape = index[String(parts[0])] else {
                let reason = parts.count == 2
                    ? "\(parts[0]) is not an ARKit blendshape name (jawOpen, eyeBlinkLeft, …)"
                    : "expected gain or offset under an [ARKit name] table"
                throw .invalidValue(entry.key, reason, line: entry.line)
            }
            let value: Double
            switch entry.value {
            case .float(let number): value = number
            case .integer(let number): value = Double(number)
            default: throw .wrongType(entry.key, expected: "number", found: entry.value.typeName, line: entry.line)
            }
            switch parts[1] {
            case "gain":
                guard Self.gainRange.contains(value) else {
                    throw .invalidValue(entry.key, "\(value) is outside \(Self.gainRange.lowerBound)…\(Self.gainRange.upperBound)", line: entry.line)
                }
                gains[shape] = Float(value)
            case "offset":
                guard Self.offsetRange.contains(value) else {
                    throw .invalidValue(entry.key, "\(value) is outside \(Self.offsetRange.lowerBound)…\(Self.offsetRange.upperBound)", line: entry.line)
                }
                offsets[shape] = Float(value)
            default:
                throw .unknownKey(entry.key, line: entry.line)
            }
        }
    }

    /// `weights` (ARKit order) with each shape's gain and offset applied, clamped to 0…1.
    public func apply(_ weights: [Float]) -> [Float] {
        weights.indices.map { index in
            guard index < gains.count else { return weights[index] }
            return min(max(gains[index] * weights[index] + offsets[index], 0), 1)
        }
    }
}
