/// ARKit's 52 face blendshapes, and how occlumesh's 53 ICT-FaceKit expression weights become them.
///
/// ICT-FaceKit names follow ARKit's with `_L`/`_R` for `Left`/`Right` (`eyeBlink_L` → `eyeBlinkLeft`; `jawLeft`,
/// `mouthLeft` and their right-hand twins keep their names). Two ARKit shapes are one value for both sides where
/// ICT has a pair: `browInnerUp` is the mean of `browInnerUp_L` and `browInnerUp_R`, `cheekPuff` the mean of
/// `cheekPuff_L` and `cheekPuff_R` (the inverse of training, which feeds one ARKit value to both sides).
/// ARKit's `tongueOut` has no ICT shape and is always 0. A name the topology lacks also gives 0.
public struct ARKitBlendshapes: Sendable {
    /// ARKit's names, in Apple's (alphabetical) order; VMC's Perfect-Sync names are these with a capital first letter.
    public static let names = [
        "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight", "cheekPuff",
        "cheekSquintLeft", "cheekSquintRight", "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight",
        "eyeLookInLeft", "eyeLookInRight", "eyeLookOutLeft", "eyeLookOutRight", "eyeLookUpLeft", "eyeLookUpRight",
        "eyeSquintLeft", "eyeSquintRight", "eyeWideLeft", "eyeWideRight", "jawForward", "jawLeft", "jawOpen", "jawRight",
        "mouthClose", "mouthDimpleLeft", "mouthDimpleRight", "mouthFrownLeft", "mouthFrownRight", "mouthFunnel",
        "mouthLeft", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthPressLeft", "mouthPressRight", "mouthPucker",
        "mouthRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmileLeft",
        "mouthSmileRight", "mouthStretchLeft", "mouthStretchRight", "mouthUpperUpLeft", "mouthUpperUpRight",
        "noseSneerLeft", "noseSneerRight", "tongueOut",
    ]

    /// The Perfect-Sync name of an ARKit name: its first letter capitalised (`jawOpen` → `JawOpen`).
    public static func perfectSyncName(_ name: String) -> String {
        name.prefix(1).uppercased() + name.dropFirst()
    }

    /// The ICT names an ARKit name is formed from (their mean); empty for `tongueOut`.
    public static func ictSources(of name: String) -> [String] {
        switch name {
        case "browInnerUp", "cheekPuff": return [name + "_L", name + "_R"]
        case "tongueOut": return []
        case "jawLeft", "jawRight", "mouthLeft", "mouthRight": return [name]
        default:
            if name.hasSuffix("Left") { return [name.dropLast(4) + "_L"] }
            if name.hasSuffix("Right") { return [name.dropLast(5) + "_R"] }
            return [name]
        }
    }

    /// For each ARKit name, the indices of its ICT sources in the topology's weight order.
    public let sourceIndices: [[Int]]
    /// ARKit names none of whose sources the topology has (besides `tongueOut`), for a warning.
    public let missing: [String]

    /// The mapping for a topology's expression names.
    public init(expressionNames: [String]) {
        var position: [String: Int] = [:]
        for (index, name) in expressionNames.enumerated() where position[name] == nil { position[name] = index }
        var missing: [String] = []
        sourceIndices = Self.names.map { name in
            let sources = Self.ictSources(of: name)
            let indices = sources.compactMap { position[$0] }
            if indices.count != sources.count { missing.append(name) }
            return indices
        }
        self.missing = missing
    }

    /// The 52 ARKit weights, in `names` order, of one face's weights in topology order (non-finite weights count as 0).
    public func weights(from expression: [Float]) -> [Float] {
        sourceIndices.map { indices in
            guard !indices.isEmpty else { return 0 }
            var sum: Float = 0
            for index in indices where index < expression.count && expression[index].isFinite { sum += expression[index] }
            return sum / Float(indices.count)
        }
    }
}
