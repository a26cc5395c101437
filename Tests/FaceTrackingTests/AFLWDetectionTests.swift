import FaceTracking
import Foundation
import VideoIngest
import TestSupport
import Testing

/// The detector on the AFLW2000-3D photographs (evaluation only): a face is found, and its box overlaps the
/// box of the 68 ground-truth landmarks with IoU ≥ 0.5, in at least 98 % of the images. The onnxruntime
/// reference (tools/evaluate-detector-aflw.py, best anchor, OpenCV INTER_AREA letterbox) reaches 98.5 %.
@Suite("short-range detector on AFLW2000-3D")
struct AFLWDetectionTests {
    struct Truth: Decodable {
        let name: String
        let box: [Float]
    }

    /// Every `stride`-th image (`OCCLUMESH_AFLW_STRIDE`, default 1: all 2,000).
    static var stride: Int { Int(ProcessInfo.processInfo.environment["OCCLUMESH_AFLW_STRIDE"] ?? "") ?? 1 }

    @Test("the short-range detector finds the labelled face in ≥ 98 % of the images", .enabled(if: Repository.hasSharedData("aflw2000-3d"), "needs ../shared/data/aflw2000-3d (third-party data)"))
    func shortRangeFindsTheLabelledFace() throws {
        let folder = Repository.sharedData.appendingPathComponent("aflw2000-3d")
        // python3 with numpy reads labels.npz (scripts/setup.sh installs it): its absence is a failure, not a skip.
        let json = try Subprocess.check("python3", [Repository.root.appendingPathComponent("tools/aflw-landmark-boxes.py").path,
                                                   folder.appendingPathComponent("labels.npz").path])
        let truths = try JSONDecoder().decode([Truth].self, from: json)
        #expect(truths.count == 2000)
        let detector = try FaceDetector(sidecarPath: DetectorFixtures.detectorSidecar())
        var evaluated = 0, found = 0, overlapping = 0, strongEnoughForANewTrack = 0
        let newFaceScore = TrackerConfiguration().minimumNewFaceScore
        var sideRatios: [Float] = [], centreShifts: [SIMD2<Float>] = []
        for truth in Swift.stride(from: 0, to: truths.count, by: Self.stride).map({ truths[$0] }) {
            let source = try FFmpegSource(input: folder.appendingPathComponent("images/\(truth.name)").path)
            let frame = try #require(try source.nextFrame(), "\(truth.name): no picture decoded")
            evaluated += 1
            guard let best = try detector.detect(in: frame).first else { continue }
            found += 1
            let landmarks = BoundingBox(minimum: SIMD2(truth.box[0], truth.box[1]), maximum: SIMD2(truth.box[2], truth.box[3]))
            if best.box.intersectionOverUnion(landmarks) >= 0.5 {
                overlapping += 1
                if best.score >= newFaceScore { strongEnoughForANewTrack += 1 }
                // How the 3DDFA crop box (√2 × the landmark box's larger side, same centre) sits on the detection box.
                let side = best.box.maximum.x - best.box.minimum.x
                let landmarkSize = landmarks.maximum - landmarks.minimum
                sideRatios.append(Float(2).squareRoot() * max(landmarkSize.x, landmarkSize.y) / side)
                centreShifts.append(((landmarks.minimum + landmarks.maximum) - (best.box.minimum + best.box.maximum)) / 2 / side)
            }
        }
        let median = { (values: [Float]) -> Float in values.sorted()[values.count / 2] }
        print("AFLW2000-3D, every \(Self.stride). image: face found in \(found)/\(evaluated), box IoU ≥ 0.5 in \(overlapping)/\(evaluated) "
              + "(\(String(format: "%.1f", 100 * Float(overlapping) / Float(evaluated))) %); crop side / detection box side median "
              + "\(median(sideRatios)), centre shift / side median (\(median(centreShifts.map(\.x))), \(median(centreShifts.map(\.y)))); "
              + "scoring ≥ \(newFaceScore) (enough to begin a track) in \(strongEnoughForANewTrack)/\(evaluated)")
        #expect(Float(overlapping) / Float(evaluated) >= 0.98, "IoU ≥ 0.5 in \(overlapping) of \(evaluated)")
    }
}
