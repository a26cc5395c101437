import FaceModel
import Foundation
import TestSupport
import Testing

@Suite("meshes, poses and landmarks")
struct MeshTests {
    let temporary = TemporaryDirectory("mesh")

    @Test("evaluation matches a double-precision sum")
    func evaluationMatchesADoublePrecisionSum() throws {
        let contents = SyntheticModel.contents()
        let model = try temporary.model(contents.encoded())
        let identity: [Float] = [0.7, -1.3, 0.25], expression: [Float] = [0.9, 0]
        for variant in MeshVariant.allCases {
            var mesh = model.makeMesh(variant)
            try model.evaluate(identity: identity, expression: expression, into: &mesh)
            #expect(mesh.vertexCount == (variant == .wholeHead ? 100 : 70))
            var worst: Double = 0
            for index in 0..<(mesh.vertexCount * 3) {
                var expected = Double(contents.neutral[index])
                for mode in 0..<3 { expected += Double(identity[mode]) * Double(contents.identityModes[mode][index]) }
                for mode in 0..<2 { expected += Double(expression[mode]) * Double(contents.expressionModes[mode][index]) }
                worst = max(worst, abs(expected - Double(mesh.positions[index])))
            }
            #expect(worst < 1e-5, "\(variant)")
        }
    }

    @Test("a mesh built on an identity shape equals the full evaluation")
    func aMeshBuiltOnAnIdentityShapeEqualsTheFullEvaluation() throws {
        let model = try temporary.model()
        let identity: [Float] = [0.7, -1.3, 0.25], expression: [Float] = [0.9, 0.4]
        for variant in MeshVariant.allCases {
            var full = model.makeMesh(variant), shape = model.makeMesh(variant), mesh = model.makeMesh(variant)
            try model.evaluate(identity: identity, expression: expression, into: &full)
            try model.identityShape(identity: identity, into: &shape)
            try model.evaluate(identityShape: shape, expression: expression, into: &mesh)
            #expect(mesh.positions == full.positions, "\(variant)")
        }
        var wholeHead = model.makeMesh(.wholeHead)
        #expect(throws: (any Error).self) { try model.evaluate(identityShape: model.makeMesh(.faceArea), expression: expression, into: &wholeHead) }
    }

    @Test("identity displacement is the root-mean-square vertex movement")
    func identityDisplacementIsTheRootMeanSquareVertexMovement() throws {
        let model = try temporary.model()
        let metric = IdentityDisplacement(model: model)
        let first: [Float] = [0.7, -1.3, 0.25], second: [Float] = [0.5, -1.0, 0.75]
        var a = model.makeMesh(.wholeHead), b = model.makeMesh(.wholeHead)
        try model.identityShape(identity: first, into: &a)
        try model.identityShape(identity: second, into: &b)
        var squares: Double = 0
        for index in 0..<a.positions.count { squares += pow(Double(a.positions[index] - b.positions[index]), 2) }
        let expected = (squares / Double(a.vertexCount)).squareRoot()
        #expect(abs(Double(metric.rootMeanSquare(from: first, to: second)) - expected) <= expected * 1e-4)
        #expect(metric.rootMeanSquare(from: first, to: first) == 0)
    }

    @Test("wrong coefficient counts and buffers are rejected")
    func wrongCoefficientCountsAndBuffersAreRejected() throws {
        let model = try temporary.model()
        var mesh = model.makeMesh(.wholeHead)
        #expect(throws: FaceModelError.coefficientCountMismatch(kind: "identity", expected: 3, actual: 2)) {
            try model.evaluate(identity: [1, 2], expression: [0, 0], into: &mesh)
        }
        #expect(throws: FaceModelError.coefficientCountMismatch(kind: "expression", expected: 2, actual: 1)) {
            try model.evaluate(identity: [0, 0, 0], expression: [0], into: &mesh)
        }
        var points = [SIMD2<Float>](repeating: .zero, count: 5)
        #expect(throws: FaceModelError.bufferSizeMismatch(kind: "projected point", expected: 100, actual: 5)) {
            try mesh.projected(by: .identity, into: &points)
        }
    }

    @Test("a transform rotates, scales and translates; a pose projects the same with y down")
    func poseRotatesScalesTranslatesAndProjectsWithYDown() throws {
        let model = try temporary.model()
        var mesh = model.makeMesh(.wholeHead)
        try model.evaluate(identity: [0, 0, 0], expression: [0, 0], into: &mesh)
        // 90° about +y takes +x to −z and +z to +x.
        let pose = FacePose(rotation: Quaternion(angle: .pi / 2, axis: SIMD3(0, 1, 0)), translation: SIMD3(100, 50, 3), scale: 2)
        var posed = [SIMD3<Float>](repeating: .zero, count: mesh.vertexCount)
        var projected = [SIMD2<Float>](repeating: .zero, count: mesh.vertexCount)
        try mesh.posed(by: pose.modelAxesTransform, into: &posed)
        try mesh.projected(by: pose, into: &projected)
        for index in [0, 37, 99] {
            let v = mesh.vertex(index)
            let expected = SIMD3<Float>(2 * v.z + 100, 2 * v.y + 50, -2 * v.x + 3)
            #expect(maxDifference(posed[index], expected) < 1e-5)
            #expect(maxDifference(projected[index], SIMD2(2 * v.z + 100, 50 - 2 * v.y)) < 1e-5)
            #expect(maxDifference(pose.modelAxesTransform.apply(v), expected) < 1e-5)
        }
    }

    @Test("jaw landmarks switch to the side facing the camera")
    func jawLandmarksSwitchToTheSideFacingTheCamera() throws {
        let model = try temporary.model()
        var indices = [Int32](repeating: 0, count: 68)
        try model.landmarkVertexIndices(for: .identity, into: &indices)
        #expect(indices == (0..<68).map { Int32($0) })
        // Positive yaw about +y turns the subject's right cheek (−x) toward the camera (+z).
        try model.landmarkVertexIndices(for: Quaternion(angle: 0.6, axis: SIMD3(0, 1, 0)), into: &indices)
        #expect(Array(indices[0..<8]) == (80..<88).map { Int32($0) })
        #expect(Array(indices[8..<68]) == (8..<68).map { Int32($0) })
        try model.landmarkVertexIndices(for: Quaternion(angle: -0.6, axis: SIMD3(0, 1, 0)), into: &indices)
        #expect(Array(indices[9..<17]) == (88..<96).map { Int32($0) })
        #expect(Array(indices[0..<9]) == (0..<9).map { Int32($0) })
        // Below the 20° switch angle nothing changes; pitch alone changes nothing.
        try model.landmarkVertexIndices(for: Quaternion(angle: 0.3, axis: SIMD3(0, 1, 0)), into: &indices)
        #expect(indices == (0..<68).map { Int32($0) })
        try model.landmarkVertexIndices(for: Quaternion(angle: 0.8, axis: SIMD3(1, 0, 0)), into: &indices)
        #expect(indices == (0..<68).map { Int32($0) })
    }

    @Test("landmarks from coefficients equal those of the evaluated mesh")
    func landmarksFromCoefficientsEqualThoseOfTheEvaluatedMesh() throws {
        let model = try temporary.model()
        var mesh = model.makeMesh(.wholeHead)
        var indices = [Int32](repeating: 0, count: 68)
        var fromMesh = [SIMD2<Float>](repeating: .zero, count: 68)
        var direct = [SIMD2<Float>](repeating: .zero, count: 68)
        for (identity, expression, yaw) in [([Float](arrayLiteral: 1, 0, -1), [Float](arrayLiteral: 0.5, 0.5), Float(0.6)),
                                            ([0.2, -0.7, 1.4], [0, 0.9], -0.6), ([0, 0, 0], [0, 0], 0.1)] {
            let pose = FacePose(rotation: Quaternion(angle: yaw, axis: SIMD3(0, 1, 0)), translation: SIMD3(10, 20, 0), scale: 3)
            try model.evaluate(identity: identity, expression: expression, into: &mesh)
            try model.landmarks(of: mesh, pose: pose, indices: &indices, into: &fromMesh)
            try model.landmarks(identity: identity, expression: expression, pose: pose, indices: &indices, into: &direct)
            for slot in 0..<68 { #expect(((fromMesh[slot] - direct[slot]) * (fromMesh[slot] - direct[slot])).sum().squareRoot() < 1e-4, "yaw \(yaw), landmark \(slot)") }
        }
        #expect(throws: (any Error).self) { try model.landmarks(identity: [1], expression: [0, 0], pose: .identity, indices: &indices, into: &direct) }
    }

    @Test("landmarks are the projected vertices")
    func landmarksAreTheProjectedVertices() throws {
        let model = try temporary.model()
        var mesh = model.makeMesh(.wholeHead)
        try model.evaluate(identity: [1, 0, -1], expression: [0.5, 0.5], into: &mesh)
        let pose = FacePose(rotation: Quaternion(angle: 0.6, axis: SIMD3(0, 1, 0)), translation: SIMD3(10, 20, 0), scale: 3)
        var indices = [Int32](repeating: 0, count: 68)
        var points = [SIMD2<Float>](repeating: .zero, count: 68)
        var points3D = [SIMD3<Float>](repeating: .zero, count: 68)
        try model.landmarks(of: mesh, pose: pose, indices: &indices, into: &points)
        try model.landmarks3D(of: mesh, transform: pose.modelAxesTransform, indices: &indices, into: &points3D)
        #expect(indices[0] == 80)
        for slot in [0, 8, 30, 67] {
            #expect(points[slot] == pose.project(mesh.vertex(Int(indices[slot]))))
            #expect(points3D[slot] == pose.modelAxesTransform.apply(mesh.vertex(Int(indices[slot]))))
        }
        // The face-area mesh (70 vertices) cannot hold the substitutes at 80…95.
        var faceArea = model.makeMesh(.faceArea)
        try model.evaluate(identity: [1, 0, -1], expression: [0.5, 0.5], into: &faceArea)
        #expect(throws: (any Error).self) { try model.landmarks(of: faceArea, pose: pose, indices: &indices, into: &points) }
    }

    @Test("quaternion slerp and products")
    func quaternionSlerpAndProducts() {
        let a = Quaternion(angle: 0.2, axis: SIMD3(0, 0, 1)), b = Quaternion(angle: 1.0, axis: SIMD3(0, 0, 1))
        #expect(abs(a.slerp(to: b, t: 0.5).angle - 0.6) <= 1e-5)
        #expect(abs((a * b).angle - 1.2) <= 1e-5)
        #expect(abs(a.angle(to: b) - 0.8) <= 1e-4)
        // −b is the same rotation: slerp must take the short way.
        let negated = Quaternion(vector: -b.vector)
        #expect(abs(a.slerp(to: negated, t: 0.5).angle - 0.6) <= 1e-5)
        let rotated = Quaternion(angle: .pi / 2, axis: SIMD3(0, 0, 1)).rotate(SIMD3(1, 0, 0))
        #expect(maxDifference(rotated, SIMD3(0, 1, 0)) < 1e-6)
    }
}

func maxDifference<V: SIMD>(_ a: V, _ b: V) -> Float where V.Scalar == Float {
    (a - b).indices.map { abs(a[$0] - b[$0]) }.max() ?? 0
}
