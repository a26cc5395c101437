import FaceModel
import FaceSmoothing
import Testing

/// The filters' lag compensation (`OneEuroSettings.prediction`): a steady motion is followed without lag.
@Suite("filter prediction")
struct PredictionTests {
    @Test("a steady ramp: the plain filter trails by about a frame, the predicting one by almost nothing")
    func rampIsFollowedWithoutLag() {
        func error(prediction: Float) -> Float {
            var filter = OneEuroFilter(dimension: 1, settings: OneEuroSettings(minimumCutoff: 0.05, beta: 30, derivativeCutoff: 1,
                                                                               prediction: prediction))
            var value: [Float] = [0]
            for frame in 0..<90 {
                value[0] = 0.5 * Float(frame)
                filter.filter(&value, time: Double(frame) / 30, scale: 100)
            }
            return 0.5 * 89 - value[0]
        }
        #expect(error(prediction: 0) > 0.4, "about one frame (0.5) behind")
        #expect(abs(error(prediction: 3)) < 0.05)
    }

    @Test("a steady turn: the predicting rotation filter keeps up")
    func turnIsFollowedWithoutLag() {
        func error(prediction: Float) -> Float {
            var filter = RotationFilter(settings: OneEuroSettings(minimumCutoff: 0.05, beta: 4, derivativeCutoff: 1.5, prediction: prediction))
            var output = Quaternion.identity, truth = Quaternion.identity
            for frame in 0..<90 {
                truth = Quaternion(angle: 0.02 * Float(frame), axis: SIMD3(0, 1, 0))
                output = filter.filter(truth, time: Double(frame) / 30)
            }
            return output.angle(to: truth)
        }
        #expect(error(prediction: 0) > 0.01, "more than half a frame's turn behind")
        #expect(error(prediction: 3) < 0.002)
    }
}
