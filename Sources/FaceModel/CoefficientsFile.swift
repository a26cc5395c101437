import Foundation

/// Coefficients (and optionally a pose) read from a JSON file, for `occlumesh mesh` and for tests.
///
/// Accepted keys: `identity` (or ICT-FaceKit's `identity_coefficients`): a list, shorter lists are padded
/// with zeros; `expression` (or `expression_coefficients`): a list in model order, or an object mapping
/// blendshape names to weights; optional `rotation` [x, y, z, w], `translation` [x, y, z], `scale`.
public struct CoefficientsFile: Sendable, Equatable {
    /// Identity coefficients, exactly `model.identityCount` of them.
    public var identity: [Float]
    /// Expression weights, exactly `model.expressionCount` of them.
    public var expression: [Float]
    /// The pose, when the file gives any of rotation, translation or scale (the rest default).
    public var transform: MeshTransform?

    /// Reads `path` and fits its coefficients to `model`.
    public init(path: String, model: MorphableModel) throws(FaceModelError) {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .invalidCoefficients(path: path, reason: "cannot read the file")
        }
        try self.init(json: data, path: path, model: model)
    }

    /// Parses JSON `data` (named `path` in errors) and fits its coefficients to `model`.
    public init(json data: Data, path: String, model: MorphableModel) throws(FaceModelError) {
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw .invalidCoefficients(path: path, reason: "not a JSON object")
        }
        func numbers(_ value: Any?, key: String) throws(FaceModelError) -> [Float]? {
            guard let value else { return nil }
            guard let list = value as? [Any] else { throw .invalidCoefficients(path: path, reason: "\(key) is not a list") }
            var result: [Float] = []
            for element in list {
                guard let number = element as? NSNumber else {
                    throw .invalidCoefficients(path: path, reason: "\(key) holds a non-number")
                }
                result.append(number.floatValue)
            }
            return result
        }
        let identity = try numbers(object["identity"] ?? object["identity_coefficients"], key: "identity") ?? []
        guard identity.count <= model.identityCount else {
            throw .invalidCoefficients(path: path, reason: "\(identity.count) identity coefficients, the model uses \(model.identityCount)")
        }
        self.identity = identity + [Float](repeating: 0, count: model.identityCount - identity.count)

        var expression = [Float](repeating: 0, count: model.expressionCount)
        let expressionValue = object["expression"] ?? object["expression_coefficients"]
        if let named = expressionValue as? [String: Any] {
            for (name, value) in named {
                guard let index = model.expressionIndex(named: name) else {
                    throw .invalidCoefficients(path: path, reason: "the model has no blendshape named \(name)")
                }
                guard let number = value as? NSNumber else {
                    throw .invalidCoefficients(path: path, reason: "weight of \(name) is not a number")
                }
                expression[index] = number.floatValue
            }
        } else if let list = try numbers(expressionValue, key: "expression") {
            guard list.count <= model.expressionCount else {
                throw .invalidCoefficients(path: path, reason: "\(list.count) expression weights, the model has \(model.expressionCount)")
            }
            expression.replaceSubrange(0..<list.count, with: list)
        }
        self.expression = expression

        let rotation = try numbers(object["rotation"], key: "rotation")
        let translation = try numbers(object["translation"], key: "translation")
        let scale = object["scale"] as? NSNumber
        if rotation == nil, translation == nil, scale == nil {
            transform = nil
        } else {
            var transform = MeshTransform()
            if let rotation {
                guard rotation.count == 4 else { throw .invalidCoefficients(path: path, reason: "rotation needs 4 numbers (x, y, z, w)") }
                let quaternion = Quaternion(x: rotation[0], y: rotation[1], z: rotation[2], w: rotation[3])
                guard quaternion.length > 1e-6 else { throw .invalidCoefficients(path: path, reason: "rotation is the zero quaternion") }
                transform.rotation = quaternion.normalized
            }
            if let translation {
                guard translation.count == 3 else { throw .invalidCoefficients(path: path, reason: "translation needs 3 numbers") }
                transform.translation = SIMD3(translation[0], translation[1], translation[2])
            }
            if let scale { transform.scale = scale.floatValue }
            self.transform = transform
        }
    }
}
