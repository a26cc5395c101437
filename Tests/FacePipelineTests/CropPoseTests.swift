@testable import FacePipeline
import DaemonConfiguration
import FaceModel
import FaceSmoothing
import FaceTracking
import Foundation
import Testing
import VideoIngest

/// The regressor's crop-pixel pose carried to image pixels, and the protocol's camera-space pose.
@Suite("crop pose")
struct CropPoseTests {
    static let vertices: [SIMD3<Float>] = [SIMD3(0, 0, 0), SIMD3(5, 2, 1), SIMD3(-4, -3, 2), SIMD3(1, 7, -3), SIMD3(-6, 4, 5)]

    @Test("a vertex projected by the image pose lands where the crop pose puts it, mapped through the crop",
          arguments: [Float(0), 0.3, -1.1, 2.5])
    func imagePoseMatchesTheCropTransform(cropRotation: Float) {
        let region = CropRegion(centre: SIMD2(300, 220), side: 180, rotation: cropRotation)
        let transform = region.transform(cropSize: 128)
        let cropPose = FacePose(rotation: Quaternion(angle: 0.4, axis: SIMD3(0.3, 1, 0.2)), translation: SIMD3(61, 70, 3), scale: 4.2)
        let imagePose = transform.imagePose(fromCrop: cropPose)
        for vertex in Self.vertices {
            let expected = transform.imagePoint(crop: cropPose.project(vertex))
            let actual = imagePose.project(vertex)
            #expect(abs(expected.x - actual.x) < 1e-3 && abs(expected.y - actual.y) < 1e-3, "\(expected) vs \(actual)")
        }
        #expect(abs(imagePose.scale - cropPose.scale * 180 / 128) < 1e-4)
    }

    @Test("camera-space vertices have the image projection in x and y, and depth away from the viewer")
    func cameraSpace() {
        let pose = FacePose(rotation: Quaternion(angle: -0.7, axis: SIMD3(1, 0.5, 0)), translation: SIMD3(320, 240, 0), scale: 15)
        let camera = pose.cameraSpaceTransform
        for vertex in Self.vertices {
            let posed = camera.apply(vertex)
            let projected = pose.project(vertex)
            #expect(abs(posed.x - projected.x) < 1e-3 && abs(posed.y - projected.y) < 1e-3)
            #expect(abs(posed.z + pose.modelAxesTransform.apply(vertex).z) < 1e-3, "the nose (+z toward the viewer) has smaller camera depth")
        }
    }
}

/// The config's documented defaults are the smoothing code's own defaults, and its keys reach the pipeline.
@Suite("pipeline settings from the config")
struct PipelineSettingsTests {
    @Test("[smoothing.*] defaults equal FaceTracking's SmoothingSettings defaults")
    func smoothingDefaults() {
        #expect(SmoothingSettings(DaemonConfiguration().smoothing) == SmoothingSettings())
    }

    @Test("[smoothing.motion] reaches the smoother; guided = false gives the One Euro filters")
    func motionGuidance() {
        // Parsing the keys is DaemonConfigurationTests' part (MotionSmoothingKeyTests); this is the mapping.
        var smoothing = DaemonConfiguration().smoothing
        smoothing.motion.correction = 0.2
        smoothing.motion.rotationCorrection = 0.4
        smoothing.motion.averagedSteps = 3
        smoothing.motion.fallbackCorrection = 0
        smoothing.motion.gain = 1.25
        #expect(SmoothingSettings(smoothing).motionGuidance
                == MotionGuidance(correction: 0.2, rotationCorrection: 0.4, averagedSteps: 3, fallbackCorrection: 0, gain: 1.25))
        smoothing.motion.guided = false
        #expect(SmoothingSettings(smoothing).motionGuidance == nil)
    }

    @Test("tracking and model keys map onto the pipeline's settings")
    func mapping() throws {
        let configuration = try DaemonConfiguration.parse("""
            [model]
            regressor = "/opt/m/orn.onnx"
            [tracking]
            max_faces = 2
            detector_interval = 5
            min_confidence = 0.7
            min_visibility = 0.4
            track_loss_frames = 9
            min_new_face_score = 0.8
            [smoothing.expression]
            beta = 3.5
            """)
        let settings = PipelineSettings(configuration)
        #expect(settings.regressorPath == "/opt/m/orn.onnx" && settings.regressorSidecarPath == "/opt/m/orn.json")
        #expect(settings.maximumFaces == 2 && settings.minimumDetectionScore == 0.7)
        #expect(settings.tracker == TrackerConfiguration(detectionInterval: 5, maximumUnseenFrames: 9, minimumConfidence: 0.4,
                                                         minimumNewFaceScore: 0.8))
        #expect(settings.smoothing.expression.beta == 3.5)
    }
}

/// Files and streams larger than the configured size are scaled down to fit, keeping their aspect ratio.
@Suite("source size")
struct SourceSizeTests {
    @Test("scaled down to fit, aspect kept, even sides; smaller sources and 0 × 0 untouched", arguments: [
        (1920, 1080, 1280, 720, Optional((1280, 720))), (1080, 1920, 1280, 720, Optional((404, 720))),
        (480, 480, 1280, 720, nil), (3840, 1600, 1280, 720, Optional((1280, 532))), (1920, 1080, 0, 0, nil),
        (1232, 693, 640, 360, Optional((640, 360))),
    ] as [(Int, Int, Int, Int, (Int, Int)?)])
    func fitted(width: Int, height: Int, limitWidth: Int, limitHeight: Int, expected: (Int, Int)?) {
        let size = limitWidth > 0 ? OutputSize.fitting(sourceWidth: width, sourceHeight: height,
                                                        inside: OutputSize(width: limitWidth, height: limitHeight)) : nil
        #expect(size.map { [$0.width, $0.height] } == expected.map { [$0.0, $0.1] })
    }
}
