/// A mesh of the morphable model in model space (centimetres), held in caller-owned storage so a tracker
/// can rebuild it every frame without allocating: make it once with `MorphableModel.makeMesh(_:)`, then
/// pass it to `MorphableModel.evaluate(identity:expression:into:)` each frame.
public struct FaceMesh: Sendable {
    /// Which part of the head this mesh covers.
    public let variant: MeshVariant
    /// Number of vertices.
    public let vertexCount: Int
    /// Vertex positions, packed x, y, z per vertex.
    public internal(set) var positions: [Float]

    /// A zeroed mesh of `vertexCount` vertices.
    init(variant: MeshVariant, vertexCount: Int) {
        self.variant = variant
        self.vertexCount = vertexCount
        positions = [Float](repeating: 0, count: vertexCount * 3)
    }

    /// Vertex `index` as a vector.
    @inline(__always)
    public func vertex(_ index: Int) -> SIMD3<Float> {
        SIMD3(positions[3 * index], positions[3 * index + 1], positions[3 * index + 2])
    }

    /// Every vertex after `transform`, written into `vertices` (which must hold `vertexCount` elements).
    public func posed(by transform: MeshTransform, into vertices: inout [SIMD3<Float>]) throws(FaceModelError) {
        guard vertices.count == vertexCount else {
            throw .bufferSizeMismatch(kind: "posed vertex", expected: vertexCount, actual: vertices.count)
        }
        let (c0, c1, c2) = transform.rotation.matrixColumns
        let s0 = transform.scale * c0, s1 = transform.scale * c1, s2 = transform.scale * c2, t = transform.translation
        positions.withUnsafeBufferPointer { source in
            vertices.withUnsafeMutableBufferPointer { output in
                for index in 0..<vertexCount {
                    let x = source[3 * index], y = source[3 * index + 1], z = source[3 * index + 2]
                    output[index] = s0 * x + s1 * y + s2 * z + t
                }
            }
        }
    }

    /// Every vertex projected into the image by `pose` (weak perspective), written into `points`
    /// (which must hold `vertexCount` elements).
    public func projected(by pose: FacePose, into points: inout [SIMD2<Float>]) throws(FaceModelError) {
        guard points.count == vertexCount else {
            throw .bufferSizeMismatch(kind: "projected point", expected: vertexCount, actual: points.count)
        }
        let (c0, c1, c2) = pose.rotation.matrixColumns
        let flip = SIMD2<Float>(pose.scale, -pose.scale)
        let r0 = flip * SIMD2(c0.x, c0.y), r1 = flip * SIMD2(c1.x, c1.y), r2 = flip * SIMD2(c2.x, c2.y)
        let t = SIMD2(pose.translation.x, pose.translation.y)
        positions.withUnsafeBufferPointer { source in
            points.withUnsafeMutableBufferPointer { output in
                for index in 0..<vertexCount {
                    let x = source[3 * index], y = source[3 * index + 1], z = source[3 * index + 2]
                    output[index] = r0 * x + r1 * y + r2 * z + t
                }
            }
        }
    }
}

extension MorphableModel {
    /// A mesh buffer for `variant`, to be reused across frames.
    public func makeMesh(_ variant: MeshVariant) -> FaceMesh {
        FaceMesh(variant: variant, vertexCount: vertexCount(of: variant))
    }

    /// Builds `neutral + Σ identity[i]·identityMode(i) + Σ expression[j]·expressionMode(j)` into `mesh`,
    /// in place and without allocating. Zero coefficients are skipped.
    /// - Throws: `coefficientCountMismatch` when a vector's length differs from `identityCount` /
    ///   `expressionCount`; `bufferSizeMismatch` when `mesh` was made by a model of another size.
    public func evaluate(identity: [Float], expression: [Float], into mesh: inout FaceMesh) throws(FaceModelError) {
        guard expression.count == expressionCount else {
            throw .coefficientCountMismatch(kind: "expression", expected: expressionCount, actual: expression.count)
        }
        try identityShape(identity: identity, into: &mesh)
        try addExpressions(expression, to: &mesh)
    }

    /// Builds the identity part alone, `neutral + Σ identity[i]·identityMode(i)`, into `shape`: a person's
    /// shape, which `evaluate(identityShape:expression:into:)` reuses frame after frame.
    public func identityShape(identity: [Float], into shape: inout FaceMesh) throws(FaceModelError) {
        guard identity.count == identityCount else {
            throw .coefficientCountMismatch(kind: "identity", expected: identityCount, actual: identity.count)
        }
        let floats = try checkedFloatCount(of: shape)
        let stride = vertexCount * 3
        let identityBase = pointer(.identityBasis).assumingMemoryBound(to: Float.self)
        let neutralBase = pointer(.neutral).assumingMemoryBound(to: Float.self)
        shape.positions.withUnsafeMutableBufferPointer { output in
            let out = output.baseAddress!
            out.update(from: neutralBase, count: floats)
            for (index, weight) in identity.enumerated() where weight != 0 {
                accumulate(weight, identityBase + index * stride, into: out, count: floats)
            }
        }
    }

    /// Builds `identityShape + Σ expression[j]·expressionMode(j)` into `mesh` (both of one variant): the mesh
    /// of a person whose identity part was built once by `identityShape(identity:into:)`, for the cost of
    /// the expressions only.
    public func evaluate(identityShape: FaceMesh, expression: [Float], into mesh: inout FaceMesh) throws(FaceModelError) {
        guard identityShape.variant == mesh.variant else {
            throw .bufferSizeMismatch(kind: "identity shape vertex", expected: mesh.vertexCount, actual: identityShape.vertexCount)
        }
        let floats = try checkedFloatCount(of: mesh)
        guard identityShape.positions.count == floats else {
            throw .bufferSizeMismatch(kind: "identity shape position", expected: floats, actual: identityShape.positions.count)
        }
        mesh.positions.withUnsafeMutableBufferPointer { output in
            identityShape.positions.withUnsafeBufferPointer { output.baseAddress!.update(from: $0.baseAddress!, count: floats) }
        }
        try addExpressions(expression, to: &mesh)
    }

    private func addExpressions(_ expression: [Float], to mesh: inout FaceMesh) throws(FaceModelError) {
        guard expression.count == expressionCount else {
            throw .coefficientCountMismatch(kind: "expression", expected: expressionCount, actual: expression.count)
        }
        let floats = try checkedFloatCount(of: mesh)
        let stride = vertexCount * 3
        let expressionBase = pointer(.expressionBasis).assumingMemoryBound(to: Float.self)
        mesh.positions.withUnsafeMutableBufferPointer { output in
            let out = output.baseAddress!
            for (index, weight) in expression.enumerated() where weight != 0 {
                accumulate(weight, expressionBase + index * stride, into: out, count: floats)
            }
        }
    }

    /// Floats in a mesh of `mesh`'s variant, checked against the mesh's storage.
    private func checkedFloatCount(of mesh: FaceMesh) throws(FaceModelError) -> Int {
        let floats = vertexCount(of: mesh.variant) * 3
        guard mesh.positions.count == floats else {
            throw .bufferSizeMismatch(kind: "mesh position", expected: floats, actual: mesh.positions.count)
        }
        return floats
    }
}

/// How far identity coefficients move a face: the root-mean-square vertex displacement (centimetres,
/// over the whole head) between the identity shapes of two coefficient vectors, from the Gram matrix of
/// the identity modes (they are not orthogonal). Lets a tracker keep a person's identity shape until
/// the estimate has really moved.
public struct IdentityDisplacement: Sendable {
    private let gram: [Float]
    private let dimension: Int
    private let vertexCount: Int

    /// The metric of `model`'s identity modes (about 30 M multiply-adds for 40 modes, once).
    public init(model: MorphableModel) {
        dimension = model.identityCount
        vertexCount = model.vertexCount
        let modes = (0..<dimension).map { model.identityMode($0) }
        var gram = [Float](repeating: 0, count: dimension * dimension)
        for row in 0..<dimension {
            for column in row..<dimension {
                var sum = SIMD8<Float>()
                let a = modes[row], b = modes[column]
                var index = 0
                while index + 8 <= a.count {
                    let left = UnsafeRawPointer(a.baseAddress! + index).loadUnaligned(as: SIMD8<Float>.self)
                    let right = UnsafeRawPointer(b.baseAddress! + index).loadUnaligned(as: SIMD8<Float>.self)
                    sum = sum.addingProduct(left, right)
                    index += 8
                }
                var total = sum.sum()
                while index < a.count { total += a[index] * b[index]; index += 1 }
                gram[row * dimension + column] = total
                gram[column * dimension + row] = total
            }
        }
        self.gram = gram
    }

    /// RMS vertex displacement, in centimetres, between the identity shapes of `first` and `second`.
    public func rootMeanSquare(from first: [Float], to second: [Float]) -> Float {
        precondition(first.count == dimension && second.count == dimension, "identity vectors of \(dimension) coefficients expected")
        var quadratic: Float = 0
        for row in 0..<dimension {
            let difference = second[row] - first[row]
            if difference == 0 { continue }
            var inner: Float = 0
            for column in 0..<dimension { inner += gram[row * dimension + column] * (second[column] - first[column]) }
            quadratic += difference * inner
        }
        return (max(quadratic, 0) / Float(vertexCount)).squareRoot()
    }
}

/// `out[i] += weight · source[i]` for `count` floats, eight lanes at a time with fused multiply-add.
@inline(__always)
private func accumulate(_ weight: Float, _ source: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int) {
    let lanes = SIMD8<Float>(repeating: weight)
    let input = UnsafeRawPointer(source), output = UnsafeMutableRawPointer(out)
    var index = 0
    while index + 8 <= count {
        let offset = index * MemoryLayout<Float>.size
        let sum = output.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            .addingProduct(lanes, input.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self))
        output.storeBytes(of: sum, toByteOffset: offset, as: SIMD8<Float>.self)
        index += 8
    }
    while index < count {
        out[index] = out[index].addingProduct(weight, source[index])
        index += 1
    }
}
