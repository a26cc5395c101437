import FaceModel
import FaceReadout
import Testing

/// Head angles read from published rotations: known rotations give their angles back, with the documented signs.
@Suite("head angles")
struct HeadAnglesTests {
    /// The published rotation of a face turned by these model-axis angles (yaw, then pitch, then roll).
    static func published(yaw: Float, pitch: Float, roll: Float) -> SIMD4<Float> {
        let radians: Float = .pi / 180
        let frontal = Quaternion(x: 1, y: 0, z: 0, w: 0)
        let turn = Quaternion(angle: yaw * radians, axis: SIMD3(0, 1, 0))
            * Quaternion(angle: pitch * radians, axis: SIMD3(1, 0, 0))
            * Quaternion(angle: roll * radians, axis: SIMD3(0, 0, 1))
        return (frontal * turn).vector
    }

    @Test("a frontal face is yaw 0, pitch 0, roll 0")
    func frontal() {
        let angles = HeadAngles(rotation: SIMD4(1, 0, 0, 0))
        #expect(abs(angles.yaw) < 1e-4 && abs(angles.pitch) < 1e-4 && abs(angles.roll) < 1e-4)
    }

    @Test("angles come back from the rotation they built", arguments: [
        (30, 0, 0), (0, 20, 0), (0, 0, -15), (-40, 10, 25), (70, -35, 5), (-120, 60, -170),
    ] as [(Float, Float, Float)])
    func roundTrip(yaw: Float, pitch: Float, roll: Float) {
        let angles = HeadAngles(rotation: Self.published(yaw: yaw, pitch: pitch, roll: roll))
        #expect(abs(angles.yaw - yaw) < 0.01, "yaw \(angles.yaw)")
        #expect(abs(angles.pitch - pitch) < 0.01, "pitch \(angles.pitch)")
        #expect(abs(angles.roll - roll) < 0.01, "roll \(angles.roll)")
    }

    @Test("a quaternion and its negation are the same rotation and give the same angles")
    func doubleCover() {
        let rotation = Self.published(yaw: 25, pitch: -10, roll: 8)
        let angles = HeadAngles(rotation: -rotation)
        #expect(abs(angles.yaw - 25) < 0.01 && abs(angles.pitch + 10) < 0.01 && abs(angles.roll - 8) < 0.01)
    }

    @Test("signs: yaw > 0 faces the image's right, pitch > 0 lowers the chin, roll > 0 tips the top to the image's left")
    func signsInImageSpace() {
        let front = SIMD3<Float>(0, 0, 1), up = SIMD3<Float>(0, 1, 0)
        let yawed = Quaternion(vector: Self.published(yaw: 30, pitch: 0, roll: 0)).rotate(front)
        #expect(yawed.x > 0.4)  // image x to the right
        let pitched = Quaternion(vector: Self.published(yaw: 0, pitch: 30, roll: 0)).rotate(front)
        #expect(pitched.y > 0.4)  // image y down
        let rolled = Quaternion(vector: Self.published(yaw: 0, pitch: 0, roll: 30)).rotate(up)
        #expect(rolled.x < -0.4)  // the top of the head (image y < 0) leans to the left
    }
}
