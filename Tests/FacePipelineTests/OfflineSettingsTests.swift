import DaemonConfiguration
import FacePipeline
import FaceSmoothing
import FaceTracking
import Foundation
import Testing

/// The settings the offline commands (`occlumesh run`, `landmarks`) build from a daemon config and a model folder.
@Suite("offline settings")
struct OfflineSettingsTests {
    @Test("every switch of the config comes through; the models come from the folder and the pace is the file's")
    func configSwitchesComeThrough() throws {
        let configuration = try DaemonConfiguration.parse("""
            [source]
            realtime = true
            [model]
            regressor = "/elsewhere/orn.onnx"
            mirror_average = true
            mirror_average_stills = false
            full_range_detector = ""
            [tracking]
            min_face_score = 0.6
            mirror_face_score = false
            reframe_face_score = true
            reframe_min_face_score = 0.93
            follow_landmarks = true
            tiled_look = true
            tiled_min_face_score = 0.97
            """)
        let settings = PipelineSettings(configuration, modelFolder: "/m")
        #expect(!settings.mirrorFaceScore && settings.reframeFaceScore && settings.mirrorAverage && settings.followLandmarks)
        #expect(!settings.mirrorAverageStills)
        #expect(settings.tracker.minimumFaceScore == 0.6 && settings.reframeMinimumFaceScore == 0.93)
        #expect(settings.tracker.tiledLook && settings.tracker.tiledMinimumFaceScore == 0.97)
        #expect(settings.regressorPath == "/m/orn.onnx" && settings.regressorSidecarPath == "/m/orn.json")
        #expect(settings.faceModelPath == "/m/ict-face-model.ocfm" && settings.detectorSidecarPath == "/m/face_detection_short_range.json")
        #expect(settings.fallbackDetectorSidecarPath == nil, "turned off in the config")
        #expect(!settings.realtime, "offline commands read files as fast as they can")
        let plain = PipelineSettings(DaemonConfiguration(), modelFolder: "/m")
        // Without a config the offline commands track as the daemon does with its defaults (before session 23 they
        // took TrackerConfiguration()'s, whose minimum confidence is 0.5 where the daemon's minimum_visibility is 0.3).
        #expect(plain.tracker == TrackerConfiguration(DaemonConfiguration().tracking))
        #expect(plain.smoothing == SmoothingSettings(DaemonConfiguration().smoothing))
        #expect(plain.mirrorFaceScore && !plain.reframeFaceScore && !plain.mirrorAverage && plain.mirrorAverageStills)
        #expect(plain.reframeMinimumFaceScore == Float(DaemonConfiguration().tracking.reframeMinimumFaceScore))
        #expect(plain.fallbackDetectorSidecarPath == nil, "no full-range detector in /m")
    }
}
