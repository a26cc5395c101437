import FaceModel
import FaceSmoothing
import Foundation
import Testing

/// The centred window (files): no delay on a moving face, less noise on a still one, rotations averaged on the
/// sphere, and a clear answer for frames it does not hold.
@Suite("centred window smoothing")
struct CentredWindowTests {
    private func parameters(x: Float, expression: Float = 0, rotation: Quaternion = .identity) -> FaceParameters {
        FaceParameters(identity: [0, 0], expression: [expression, 1 - expression],
                       pose: FacePose(rotation: rotation, translation: SIMD3(x, 0, 0), scale: 2))
    }

    /// Smooths `values` (translation x, one per frame) with a window of `halfWidth` the way the mesh stage does:
    /// frame t is asked for once frame t + halfWidth is in, the last frames at the end.
    private func smoothed(_ values: [Float], halfWidth: Int) -> [Float] {
        var window = CentredWindowSmoother(halfWidth: halfWidth)
        var out: [Float] = []
        func emit(_ frame: Int) {
            var result = parameters(x: .nan)
            #expect(window.smoothed(at: frame, into: &result))
            out.append(result.pose.translation.x)
        }
        for (frame, value) in values.enumerated() {
            window.append(parameters(x: value), frame: frame)
            if frame >= halfWidth { emit(frame - halfWidth) }
        }
        for frame in max(values.count - halfWidth, 0)..<values.count { emit(frame) }
        return out
    }

    @Test("a face moving at constant speed is followed without delay")
    func aFaceMovingAtConstantSpeedIsFollowedWithoutDelay() {
        let ramp = (0..<60).map { Float($0) * 3 }
        let result = smoothed(ramp, halfWidth: 4)
        #expect(result.count == ramp.count)
        // A symmetric window on a straight line returns the line itself wherever the window is whole.
        for frame in 4..<56 { #expect(abs(result[frame] - ramp[frame]) < 1e-3, "frame \(frame): \(result[frame])") }
        // Cut short at the ends it leans inwards, but never by more than the half window's travel.
        #expect(abs(result[0] - ramp[0]) < 4 * 3)
    }

    @Test("noise on a still face is cut by more than half")
    func noiseOnAStillFaceIsCutByMoreThanHalf() {
        var source = NoiseSource(seed: 11)
        let noisy = (0..<300).map { _ in Float(100 + source.gaussian(sigma: 1.5)) }
        let result = smoothed(noisy, halfWidth: 4)
        let reduction = 1 - frameToFrameJitter(result.map(Double.init), in: 10..<290)
            / frameToFrameJitter(noisy.map(Double.init), in: 10..<290)
        print("centred window (half width 4): frame-to-frame jitter cut by \(percent(reduction))")
        #expect(reduction > 0.6)
        #expect(smoothed(noisy, halfWidth: 0) == noisy)
    }

    @Test("expression weights and rotations are averaged, the two signs of a quaternion as one")
    func expressionWeightsAndRotationsAreAveraged() {
        var window = CentredWindowSmoother(halfWidth: 1)
        let turn = Quaternion(angle: 0.2, axis: SIMD3(0, 1, 0))
        window.append(parameters(x: 0, expression: 0.2, rotation: turn), frame: 0)
        window.append(parameters(x: 0, expression: 0.4, rotation: Quaternion(vector: -turn.vector)), frame: 1)
        window.append(parameters(x: 0, expression: 0.6, rotation: turn), frame: 2)
        var result = parameters(x: 0)
        #expect(window.smoothed(at: 1, into: &result))
        #expect(abs(result.expression[0] - 0.4) < 1e-5 && abs(result.expression[1] - 0.6) < 1e-5)
        #expect(result.pose.rotation.angle(to: turn) < 1e-4)
        #expect(result.pose.scale == 2)
    }

    @Test("a frame never held, or already passed, is refused and changes nothing")
    func aFrameNeverHeldOrAlreadyPassedIsRefused() {
        var window = CentredWindowSmoother(halfWidth: 2)
        for frame in 0..<6 { window.append(parameters(x: Float(frame)), frame: frame) }
        var result = parameters(x: -1)
        #expect(!window.smoothed(at: 9, into: &result))
        #expect(window.smoothed(at: 3, into: &result))
        #expect(window.heldFrames == [2, 3, 4, 5])  // frame 1 reaches no later window
        result = parameters(x: -1)
        #expect(!window.smoothed(at: 1, into: &result))
        #expect(result.pose.translation.x == -1)
    }
}
