import FaceModel
import Testing

/// `ImageMotion` and `FacePose.moved(by:)`: a pose carried by an image motion projects every vertex where the motion
/// takes its old projection.
@Suite("image motion")
struct ImageMotionTests {
    let motion = ImageMotion(centre: SIMD2(200, 150), scale: 1.1, angle: 0.3, translation: SIMD2(7, -4))

    @Test("a quarter turn about the centre, then the shift")
    func quarterTurn() {
        let turn = ImageMotion(centre: SIMD2(10, 10), scale: 2, angle: .pi / 2, translation: SIMD2(1, 0))
        let moved = turn.apply(SIMD2(11, 10))  // one pixel right of the centre: turned to below it, twice as far
        #expect(abs(moved.x - 11) < 1e-5 && abs(moved.y - 12) < 1e-5, "\(moved)")
        #expect(ImageMotion.none.apply(SIMD2(3, 4)) == SIMD2(3, 4))
    }

    @Test("written about another centre, the motion moves every point the same way")
    func aboutAnotherCentre() {
        let other = motion.about(SIMD2(-40, 310))
        for point in [SIMD2<Float>(0, 0), SIMD2(200, 150), SIMD2(512, -20), SIMD2(77, 431)] {
            let difference = motion.apply(point) - other.apply(point)
            #expect((difference * difference).sum() < 1e-6, "at \(point)")
        }
        #expect(other.scale == motion.scale && other.angle == motion.angle)
    }

    @Test("a moved pose projects each vertex where the motion takes its old projection")
    func movedPoseProjectsAsTheMotionSays() {
        let pose = FacePose(rotation: Quaternion(angle: 0.4, axis: SIMD3(0.3, 1, 0.2)),
                            translation: SIMD3(180, 140, 12), scale: 6)
        let moved = pose.moved(by: motion)
        for vertex in [SIMD3<Float>(0, 0, 0), SIMD3(5, 3, 9), SIMD3(-7, -4, 2), SIMD3(1, 8, -6)] {
            let expected = motion.apply(pose.project(vertex)), actual = moved.project(vertex)
            #expect(((expected - actual) * (expected - actual)).sum() < 1e-6, "vertex \(vertex): \(actual) vs \(expected)")
        }
        #expect(abs(moved.translation.z - 1.1 * 12) < 1e-5, "depth scales with the image")
    }

    @Test("a motion with a non-finite part or a scale of zero is not finite")
    func finiteness() {
        #expect(motion.isFinite)
        #expect(!ImageMotion(centre: SIMD2(.nan, 0)).isFinite)
        #expect(!ImageMotion(centre: .zero, scale: 0).isFinite)
        #expect(!ImageMotion(centre: .zero, angle: .infinity).isFinite)
        #expect(!ImageMotion(centre: .zero, translation: SIMD2(0, -.infinity)).isFinite)
    }
}
