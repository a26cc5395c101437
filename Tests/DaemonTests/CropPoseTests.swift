import Daemon
import FaceModel
import FaceTracking
import Foundation
import Testing

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
        let camera = pose.cameraSpacePose
        for vertex in Self.vertices {
            let posed = camera.apply(vertex)
            let projected = pose.project(vertex)
            #expect(abs(posed.x - projected.x) < 1e-3 && abs(posed.y - projected.y) < 1e-3)
            #expect(abs(posed.z + pose.apply(vertex).z) < 1e-3, "the nose (+z toward the viewer) has smaller camera depth")
        }
    }
}
