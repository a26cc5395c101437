/// Which parts of the face trade places when an image of it is mirrored left to right: what test-time mirror
/// averaging needs to map a face regressed from a mirrored crop back onto the original.
extension MorphableModel {
    /// For each of the 68 Multi-PIE landmarks, the landmark it becomes in the mirror image (the jaw line, brows,
    /// eyes, nostrils and lips reversed; points on the face's midline map to themselves).
    public static let mirroredLandmarkOrder: [Int] =
        Array((0...16).reversed()) + Array((17...26).reversed()) + [27, 28, 29, 30] + [35, 34, 33, 32, 31]
        + [45, 44, 43, 42, 47, 46] + [39, 38, 37, 36, 41, 40] + [54, 53, 52, 51, 50, 49, 48] + [59, 58, 57, 56, 55]
        + [64, 63, 62, 61, 60] + [67, 66, 65]

    /// For each expression, in model order, the index of the expression it becomes in the mirror image: ARKit
    /// names ending in `_L` and `_R` swap (`eyeBlink_L` ↔ `eyeBlink_R`), and so do names ending in `Left` and
    /// `Right` (`mouthLeft` ↔ `mouthRight`), every other expression maps to itself. Nil when a swapped name is missing from
    /// the model, so that no mirror mapping is made up.
    public var mirroredExpressionOrder: [Int]? {
        var order: [Int] = []
        order.reserveCapacity(expressionCount)
        for name in expressionNames {
            let mirroredName: String
            if name.hasSuffix("_L") {
                mirroredName = String(name.dropLast(2)) + "_R"
            } else if name.hasSuffix("_R") {
                mirroredName = String(name.dropLast(2)) + "_L"
            } else if name.hasSuffix("Left") {
                mirroredName = String(name.dropLast(4)) + "Right"
            } else if name.hasSuffix("Right") {
                mirroredName = String(name.dropLast(5)) + "Left"
            } else {
                mirroredName = name
            }
            guard let index = expressionIndex(named: mirroredName) else { return nil }
            order.append(index)
        }
        return order
    }
}
