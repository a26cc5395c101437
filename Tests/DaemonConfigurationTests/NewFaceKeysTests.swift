import DaemonConfiguration
import Testing

/// The `[tracking]` keys of face confirmation and the full-range fallback, and the filters' `prediction`.
@Suite("new-face and prediction keys")
struct NewFaceKeysTests {
    @Test("the keys are read, and the full-range detector lies beside the detector unless absolute or empty")
    func keysAreRead() throws {
        let configuration = try DaemonConfiguration.parse("""
            [model]
            detector = "/opt/m/short.json"
            [tracking]
            instant_new_face_score = 0.9
            min_face_score = 0.6
            lost_face_score = 0.2
            full_range_interval = 0
            mirror_face_score = false
            reframe_face_score = true
            reframe_min_face_score = 0.93
            tiled_look = false
            tiled_min_face_score = 0.97
            tile_grid = 2
            [smoothing.rotation]
            prediction = 2.5
            """)
        #expect(configuration.tracking.instantNewFaceScore == 0.9 && configuration.tracking.minimumFaceScore == 0.6)
        #expect(configuration.tracking.lostFaceScore == 0.2 && configuration.tracking.fullRangeInterval == 0)
        #expect(!configuration.tracking.mirrorFaceScore && DaemonConfiguration().tracking.mirrorFaceScore)
        #expect(configuration.tracking.reframeFaceScore && !DaemonConfiguration().tracking.reframeFaceScore)
        #expect(configuration.tracking.reframeMinimumFaceScore == 0.93)
        #expect(!configuration.tracking.tiledLook && configuration.tracking.tiledMinimumFaceScore == 0.97)
        #expect(DaemonConfiguration().tracking.tiledLook && DaemonConfiguration().tracking.tiledMinimumFaceScore == 0.95)
        #expect(configuration.tracking.tileGrid == 2 && DaemonConfiguration().tracking.tileGrid == 3)
        #expect(throws: ConfigurationError.self) { try DaemonConfiguration.parse("[tracking]\ntile_grid = 9\n") }
        #expect(configuration.smoothing.rotation.prediction == 2.5 && configuration.smoothing.expression.prediction == 0)
        #expect(configuration.model.fullRangeDetectorPath == "/opt/m/face_detection_full_range.json")
        #expect(try DaemonConfiguration.parse("[model]\nfull_range_detector = \"\"\n").model.fullRangeDetectorPath == nil)
        #expect(try DaemonConfiguration.parse("[model]\nfull_range_detector = \"/x/f.json\"\n").model.fullRangeDetectorPath == "/x/f.json")
    }

    @Test("bad values are refused in one line naming the key", arguments: [
        ("[tracking]\nmin_face_score = 1.5\n", "tracking.min_face_score"),
        ("[tracking]\nlost_face_score = 0.9\n", "tracking.lost_face_score"),
        ("[tracking]\ninstant_new_face_score = -0.1\n", "tracking.instant_new_face_score"),
        ("[tracking]\nfull_range_interval = -1\n", "tracking.full_range_interval"),
        ("[tracking]\nmirror_face_score = 1\n", "tracking.mirror_face_score"),
        ("[tracking]\nreframe_face_score = \"yes\"\n", "tracking.reframe_face_score"),
        ("[tracking]\nreframe_min_face_score = 1.01\n", "tracking.reframe_min_face_score"),
        ("[tracking]\ntiled_look = \"on\"\n", "tracking.tiled_look"),
        ("[tracking]\ntiled_min_face_score = -0.5\n", "tracking.tiled_min_face_score"),
        ("[tracking]\ntile_grid = 1\n", "tracking.tile_grid"),
        ("[smoothing.expression]\nprediction = 11.0\n", "smoothing.expression.prediction"),
    ])
    func badValuesAreRefused(text: String, key: String) {
        #expect {
            _ = try DaemonConfiguration.parse(text)
        } throws: { error in
            let message = "\(error)"
            return message.contains(key) && !message.contains("\n")
        }
    }
}
