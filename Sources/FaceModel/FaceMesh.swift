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

    /// Every vertex after `pose`, written into `vertices` (which must hold `vertexCount` elements).
    public func posed(by pose: FacePose, into vertices: inout [SIMD3<Float>]) throws(FaceModelError) {
        guard vertices.count == vertexCount else {
            throw .bufferSizeMismatch(kind: "posed vertex", expected: vertexCount, actual: vertices.count)
        }
        let (c0, c1, c2) = pose.rotation.matrixColumns
        let s0 = pose.scale * c0, s1 = pose.scale * c1, s2 = pose.scale * c2, t = pose.translation
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
        guard identity.count == identityCount else {
            throw .coefficientCountMismatch(kind: "identity", expected: identityCount, actual: identity.count)
        }
        guard expression.count == expressionCount else {
            throw .coefficientCountMismatch(kind: "expression", expected: expressionCount, actual: expression.count)
        }
        let floats = vertexCount(of: mesh.variant) * 3
        guard mesh.positions.count == floats else {
            throw .bufferSizeMismatch(kind: "mesh position", expected: floats, actual: mesh.positions.count)
        }
        let stride = vertexCount * 3
        let identityBase = pointer(.identityBasis).assumingMemoryBound(to: Float.self)
        let expressionBase = pointer(.expressionBasis).assumingMemoryBound(to: Float.self)
        let neutralBase = pointer(.neutral).assumingMemoryBound(to: Float.self)
        mesh.positions.withUnsafeMutableBufferPointer { output in
            let out = output.baseAddress!
            out.update(from: neutralBase, count: floats)
            for (index, weight) in identity.enumerated() where weight != 0 {
                accumulate(weight, identityBase + index * stride, into: out, count: floats)
            }
            for (index, weight) in expression.enumerated() where weight != 0 {
                accumulate(weight, expressionBase + index * stride, into: out, count: floats)
            }
        }
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
