import FaceModel
import FaceSmoothing
import Foundation
import Testing

@Suite("identity estimate and face smoother")
struct IdentityAndSmootherTests {
    /// 300 frames of one person: per-frame identity noise σ 0.5, and every fourth frame occluded — the
    /// regressor's answer is then biased by +1.5 (a hand over the face pulls the shape). The estimate must
    /// end far closer to the truth than any single frame, and closer than an unweighted mean.
    @Test("identity converges and occluded frames weigh less")
    func identityConvergesAndOccludedFramesWeighLess() {
        let dimension = 40
        var source = NoiseSource(seed: 11)
        let truth = (0..<dimension).map { _ in Float(source.gaussian(sigma: 1)) }
        var estimator = IdentityEstimator(dimension: dimension)
        var unweightedSum = [Double](repeating: 0, count: dimension)
        var frame = [Float](repeating: 0, count: dimension)
        var singleFrameError: Double = 0
        for index in 0..<300 {
            let occluded = index % 4 == 3
            for element in 0..<dimension {
                frame[element] = truth[element] + Float(source.gaussian(sigma: 0.5)) + (occluded ? 1.5 : 0)
                unweightedSum[element] += Double(frame[element])
            }
            if index == 0 { singleFrameError = rmsError(frame, truth) }
            estimator.update(&frame, confidence: 0.9, occlusion: occluded ? 0.6 : 0.05)
            #expect(frame == estimator.mean, "the frame is replaced by the estimate")
        }
        let estimateError = rmsError(estimator.mean, truth)
        let unweightedError = rmsError(unweightedSum.map { Float($0 / 300) }, truth)
        print("identity: single frame RMS error \(singleFrameError), unweighted mean \(unweightedError), weighted estimate \(estimateError)")
        #expect(estimateError < 0.1)
        #expect(estimateError < unweightedError / 2)
        #expect(estimateError < singleFrameError / 4)
    }

    @Test("identity weights and reset")

    func identityWeightsAndReset() {
        var estimator = IdentityEstimator(dimension: 2, settings: IdentitySettings(occludedWeight: 0.1, occlusionThreshold: 0.3, maximumWeight: 300))
        #expect(abs(estimator.weight(confidence: 0.8, occlusion: 0.1) - 0.8) <= 1e-6)
        #expect(abs(estimator.weight(confidence: 0.8, occlusion: 0.5) - 0.08) <= 1e-6)
        #expect(estimator.weight(confidence: 1.7, occlusion: 0) == 1)
        var first: [Float] = [1, 2], second: [Float] = [3, 6]
        estimator.update(&first, confidence: 1, occlusion: 0)
        estimator.update(&second, confidence: 1, occlusion: 0)
        #expect(estimator.mean == [2, 4])
        var zeroConfidence: [Float] = [100, 100]
        estimator.update(&zeroConfidence, confidence: 0, occlusion: 0)
        #expect(zeroConfidence == [2, 4], "a frame of zero confidence changes nothing")
        estimator.reset()
        #expect(estimator.mean == [0, 0])
        #expect(estimator.totalWeight == 0)
    }

    @Test("identity memory is capped so a late correction still arrives")

    func identityMemoryIsCappedSoALateCorrectionStillArrives() {
        var estimator = IdentityEstimator(dimension: 1, settings: IdentitySettings(maximumWeight: 30))
        var value: [Float] = [0]
        for _ in 0..<1000 { value = [0]; estimator.update(&value, confidence: 1, occlusion: 0) }
        for _ in 0..<90 { value = [1]; estimator.update(&value, confidence: 1, occlusion: 0) }
        // With an uncapped mean the estimate would be 90/1090 ≈ 0.08; capped at 30 it moves most of the way.
        #expect(estimator.mean[0] > 0.9)
    }

    @Test("smoother: the first frame passes through and still frames stay still, guided by motion or not",
          arguments: [MotionGuidance(), nil])
    func smootherFirstFramePassesThroughAndStillFramesStayStill(guidance: MotionGuidance?) {
        var smoother = FaceSmoother(identityCount: 3, expressionCount: 2, settings: SmoothingSettings(motionGuidance: guidance))
        let pose = FacePose(rotation: Quaternion(angle: 0.3, axis: SIMD3(0, 1, 0)), translation: SIMD3(320, 240, 0), scale: 9)
        let still = FaceParameters(identity: [0.5, -0.5, 1], expression: [0.2, 0.8], pose: pose)
        var parameters = still
        smoother.smooth(&parameters, time: 0, faceSize: 150, confidence: 1, occlusion: 0)
        #expect(parameters.expression == still.expression)
        #expect(parameters.pose.translation == still.pose.translation)
        #expect(parameters.pose.rotation.angle(to: pose.rotation) < 1e-6)
        #expect(parameters.identity == still.identity)
        for frame in 1..<30 {
            parameters = still
            smoother.smooth(&parameters, time: Double(frame) / 30, faceSize: 150, confidence: 1, occlusion: 0)
        }
        #expect(abs(parameters.pose.scale - 9) <= 1e-4)
        #expect(maxDifference(parameters.pose.translation, still.pose.translation) < 1e-3)
        #expect(abs(parameters.identity[2] - 1) <= 1e-5)
        // After reset a very different face passes straight through.
        smoother.reset()
        var other = FaceParameters(identity: [2, 2, 2], expression: [1, 0], pose: FacePose(translation: SIMD3(10, 10, 0), scale: 3))
        let expected = other
        smoother.smooth(&other, time: 5, faceSize: 50, confidence: 1, occlusion: 0)
        #expect(other == expected)
    }

    @Test("settings round-trip through JSON")

    func settingsRoundTripThroughJSON() throws {
        var settings = SmoothingSettings()
        settings.expression.beta = 12
        settings.identity.occludedWeight = 0.2
        let decoded = try JSONDecoder().decode(SmoothingSettings.self, from: JSONEncoder().encode(settings))
        #expect(decoded == settings)
        for guidance in [nil, MotionGuidance(correction: 0.2, rotationCorrection: 0.1, averagedSteps: 3, fallbackCorrection: 0, gain: 1.3)] {
            settings.motionGuidance = guidance
            let again = try JSONDecoder().decode(SmoothingSettings.self, from: JSONEncoder().encode(settings))
            #expect(again.motionGuidance == guidance, "guidance \(String(describing: guidance)) round-trips")
        }
        // Guidance written before `gain` existed decodes with the motion as measured.
        let older = #"{"correction": 0.2, "rotationCorrection": 0.1, "averagedSteps": 2, "fallbackCorrection": 0.3}"#
        #expect(try JSONDecoder().decode(MotionGuidance.self, from: Data(older.utf8))
                == MotionGuidance(correction: 0.2, rotationCorrection: 0.1, averagedSteps: 2, fallbackCorrection: 0.3, gain: 1))
        #expect(OneEuroSettings.mediaPipeFace == OneEuroSettings(minimumCutoff: 0.05, beta: 80, derivativeCutoff: 1))
    }
}

func rmsError(_ values: [Float], _ truth: [Float]) -> Double {
    (zip(values, truth).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +) / Double(values.count)).squareRoot()
}

func maxDifference(_ a: SIMD3<Float>, _ b: SIMD3<Float>) -> Float {
    max(abs(a.x - b.x), abs(a.y - b.y), abs(a.z - b.z))
}
