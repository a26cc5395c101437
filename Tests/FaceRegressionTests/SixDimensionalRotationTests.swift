import Foundation
import FaceModel
import Testing
@testable import FaceRegression
import TestSupport

@Suite("6D rotation to quaternion")
struct SixDimensionalRotationTests {
    /// Columns of the matrix of `rotation`.
    private func columns(_ rotation: Quaternion) -> (SIMD3<Float>, SIMD3<Float>, SIMD3<Float>) {
        (rotation.rotate(SIMD3(1, 0, 0)), rotation.rotate(SIMD3(0, 1, 0)), rotation.rotate(SIMD3(0, 0, 1)))
    }

    private func angleBetween(_ a: Quaternion, _ b: Quaternion) -> Float {
        let dot = min(1, abs((a.vector * b.vector).sum()))
        return 2 * acos(dot)
    }

    @Test("recovers rotations from their first two columns, in every branch of the conversion")
    func recoversRotations() {
        var generator = SeededGenerator(seed: 11)
        let fixed = [Quaternion.identity, Quaternion(angle: .pi, axis: SIMD3(1, 0, 0)),
                     Quaternion(angle: .pi, axis: SIMD3(0, 1, 0)), Quaternion(angle: .pi, axis: SIMD3(0, 0, 1))]
        let random = (0..<200).map { _ in
            Quaternion(vector: SIMD4((0..<4).map { _ in Float.random(in: -1..<1, using: &generator) })).normalized
        }
        for rotation in fixed + random {
            let (first, second, _) = columns(rotation)
            let recovered = SixDimensionalRotation.quaternion(first, second)
            #expect(angleBetween(recovered, rotation) < 1e-3, "\(rotation) → \(recovered)")
            #expect(recovered.vector.w >= 0)
            #expect(abs(recovered.length - 1) < 1e-5)
        }
    }

    @Test("unnormalised, non-orthogonal columns give the Gram–Schmidt rotation")
    func gramSchmidt() {
        let rotation = Quaternion(angle: 0.7, axis: SIMD3<Float>(1, 2, 3) / Float(14).squareRoot())
        let (first, second, _) = columns(rotation)
        let recovered = SixDimensionalRotation.quaternion(3.5 * first, 0.4 * second + 2 * first)
        #expect(angleBetween(recovered, rotation) < 1e-3)
    }

    @Test("degenerate outputs still give a unit quaternion")
    func degenerate() {
        let zero = SixDimensionalRotation.quaternion(.zero, .zero)
        #expect(abs(zero.length - 1) < 1e-5)
        let parallel = SixDimensionalRotation.quaternion(SIMD3(1, 0, 0), SIMD3(2, 0, 0))
        #expect(abs(parallel.length - 1) < 1e-5)
    }
}
