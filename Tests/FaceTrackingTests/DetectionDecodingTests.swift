import FaceTracking
import Foundation
import Testing

/// The committed detector sidecars, and decoding of raw outputs built by code (the network itself runs in
/// InferenceCore; its outputs are checked against TFLite by tools/convert-detector.py).
@Suite("detection decoding")
struct DetectionDecodingTests {
    static let models = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models")

    private func shortRange() throws -> DetectorSpecification {
        try DetectorSpecification.load(path: Self.models.appendingPathComponent("face_detection_short_range.json").path)
    }

    @Test("the committed sidecars describe their networks")
    func committedSidecarsDescribeTheirNetworks() throws {
        let short = try shortRange()
        #expect(short.model == "face_detection_short_range_occlusion.onnx")
        #expect(short.input.shape == [1, 3, 128, 128])
        #expect(short.anchors.count == 896)
        #expect(short.decoding.numCoords == 16)
        #expect(short.keypoints.count == 6)
        #expect(abs(short.input.normalization.scale * 255 + short.input.normalization.offset - 1) <= 1e-6)
        // 16×16 cells with 2 anchors each at stride 8, then 8×8 cells with 6 anchors each.
        #expect(short.anchors.centers[0] == [0.03125, 0.03125])
        #expect(short.anchors.centers[1] == [0.03125, 0.03125])
        #expect(short.anchors.centers[2] == [0.09375, 0.03125])
        #expect(short.anchors.centers[512] == [0.0625, 0.0625])
        #expect(short.anchors.centers[895] == [0.9375, 0.9375])
        let full = try DetectorSpecification.load(path: Self.models.appendingPathComponent("face_detection_full_range.json").path)
        #expect(full.input.shape == [1, 3, 192, 192])
        #expect(full.anchors.count == 48 * 48)
        #expect(full.decoding.minScoreThresh == 0.6)
        let original = try DetectorSpecification.load(
            path: Self.models.appendingPathComponent("face_detection_short_range_mediapipe.json").path)
        #expect(original.model == "face_detection_short_range.onnx")
        #expect(original.anchors.centers == short.anchors.centers)
        for name in ["face_detection_short_range_occlusion.onnx", "face_detection_short_range.onnx",
                     "face_detection_full_range.onnx", "LICENSE-mediapipe.txt"] {
            #expect(FileManager.default.fileExists(atPath: Self.models.appendingPathComponent(name).path), "\(name)")
        }
    }

    /// Raw outputs with every anchor at logit −10 except the ones given: (anchor, logit, box dx, dy, w, h in input px).
    private func raw(_ specification: DetectorSpecification, faces: [(Int, Float, SIMD4<Float>)]) -> (regressors: [Float], classificators: [Float]) {
        var regressors = [Float](repeating: 0, count: specification.anchors.count * 16)
        var classificators = [Float](repeating: -10, count: specification.anchors.count)
        for (anchor, logit, box) in faces {
            classificators[anchor] = logit
            for index in 0..<4 { regressors[anchor * 16 + index] = box[index] }
            for keypoint in 0..<6 {  // keypoints spread around the box centre
                regressors[anchor * 16 + 4 + 2 * keypoint] = box.x + Float(keypoint) - 2.5
                regressors[anchor * 16 + 5 + 2 * keypoint] = box.y + Float(keypoint % 2)
            }
        }
        return (regressors, classificators)
    }

    @Test("an anchor decodes to its box and keypoints")
    func anAnchorDecodesToItsBoxAndKeypoints() throws {
        let specification = try shortRange()
        let anchor = 2 * (16 * 5 + 7)  // cell x 7, y 5 of the stride-8 grid: centre (7.5/16, 5.5/16)
        let outputs = raw(specification, faces: [(anchor, 3, SIMD4(2, -4, 40, 48))])
        let decoder = DetectionDecoder(specification: specification)
        let found = try decoder.candidates(regressors: outputs.regressors, classificators: outputs.classificators)
        #expect(found.count == 1)
        let center = SIMD2<Float>(7.5 / 16 + 2.0 / 128, 5.5 / 16 - 4.0 / 128)
        #expect(abs(found[0].score - (1 / (1 + expf(-3)))) <= 1e-6)
        #expect(maxDifference(found[0].box.minimum, center - SIMD2(20, 24) / 128) < 1e-6)
        #expect(maxDifference(found[0].box.maximum, center + SIMD2(20, 24) / 128) < 1e-6)
        #expect(maxDifference(found[0].keypoints[5], SIMD2(7.5 / 16 + 4.5 / 128, 5.5 / 16 - 3.0 / 128)) < 1e-6)
        // A lower threshold lets the −10 logits through.
        #expect(try decoder.candidates(regressors: outputs.regressors, classificators: outputs.classificators, minimumScore: 0).count == 896)
    }

    @Test("overlapping boxes merge by score and separate faces stay")
    func overlappingBoxesMergeByScoreAndSeparateFacesStay() throws {
        let specification = try shortRange()
        let first = 2 * (16 * 5 + 7)
        let outputs = raw(specification, faces: [
            (first, 3, SIMD4(0, 0, 40, 40)),           // score 0.953
            (first + 1, 1, SIMD4(4, 0, 40, 40)),       // score 0.731, IoU 0.82 with the first
            (2 * (16 * 12 + 2), 2, SIMD4(0, 0, 30, 30)),  // another face, far away
        ])
        let decoder = DetectionDecoder(specification: specification)
        let candidates = try decoder.candidates(regressors: outputs.regressors, classificators: outputs.classificators)
        #expect(candidates.count == 3)
        let merged = WeightedSuppression.apply(candidates, threshold: specification.nonMaximumSuppression.minSuppressionThreshold)
        #expect(merged.count == 2)
        let high = 1 / (1 + expf(-3)), low = 1 / (1 + expf(-1))
        #expect(abs(merged[0].score - high) <= 1e-6)
        // The merged box moved toward the weaker one by its share of the score.
        let shift = (4.0 / 128) * low / (high + low)
        #expect(abs(merged[0].box.minimum.x - (7.5 / 16 - 20.0 / 128 + shift)) <= 1e-6)
        #expect(abs(merged[1].score - (1 / (1 + expf(-2)))) <= 1e-6)
    }

    @Test("faces are mapped out of the letterbox into image pixels")
    func facesAreMappedOutOfTheLetterboxIntoImagePixels() throws {
        let specification = try shortRange()
        let anchor = 2 * (16 * 8 + 8)  // centre (8.5/16, 8.5/16) of the input
        let outputs = raw(specification, faces: [(anchor, 4, SIMD4(0, 0, 32, 32))])
        let faces = try DetectionDecoder(specification: specification)
            .faces(regressors: outputs.regressors, classificators: outputs.classificators, imageWidth: 640, imageHeight: 480)
        #expect(faces.count == 1)
        // 640×480 in 128×128: scale 0.2, 16 px of padding above and below.
        let letterbox = Letterbox(imageWidth: 640, imageHeight: 480, inputWidth: 128, inputHeight: 128)
        #expect(letterbox.scale == 0.2)
        #expect(letterbox.padding == SIMD2(0, 16))
        let centerInput = SIMD2<Float>(8.5 / 16, 8.5 / 16) * 128
        #expect(maxDifference(faces[0].box.minimum, (centerInput - 16 - SIMD2(0, 16)) / 0.2) < 1e-3)
        #expect(maxDifference(faces[0].box.maximum, (centerInput + 16 - SIMD2(0, 16)) / 0.2) < 1e-3)
        let point = SIMD2<Float>(123, 456)
        #expect(maxDifference(letterbox.imagePoint(normalized: letterbox.normalizedPoint(image: point)), point) < 1e-3)
    }

    /// A face found in another view of the input comes back onto the image: each keypoint where the view's
    /// `sourcePoint` says, the box's centre too with its size kept, right and left keypoints swapped in a mirror view
    /// (BlazeFace: right eye, left eye, nose tip, mouth centre, right and left ear tragion); a face that mapping back
    /// sends to infinity makes none. A 128×128 image fills the input exactly, so input and image pixels coincide.
    @Test("faces found in a turned or mirrored view are mapped back onto the image")
    func facesInOtherViewsAreMappedBack() throws {
        let specification = try shortRange()
        let decoder = DetectionDecoder(specification: specification)
        let outputs = raw(specification, faces: [(2 * (16 * 5 + 7), 3, SIMD4(2, -4, 40, 48))])
        func decode(_ view: DetectorView, _ regressors: [Float]? = nil) throws -> [FaceDetection] {
            try decoder.faces(regressors: regressors ?? outputs.regressors, classificators: outputs.classificators,
                              imageWidth: 128, imageHeight: 128, view: view)
        }
        let seen = try #require(try decode(.upright).first)
        let size = SIMD2<Float>(128, 128)
        func centre(_ box: BoundingBox) -> SIMD2<Float> { (box.minimum + box.maximum) / 2 }
        for view in [DetectorView.rotated(by: Float.pi / 2), .rotated(by: -0.35), .mirror,
                     DetectorView(mirrored: true, rotation: 0.35)] {
            let back = try #require(try decode(view).first, "\(view)")
            let order = view.mirrored ? [1, 0, 2, 3, 5, 4] : [0, 1, 2, 3, 4, 5]
            for (index, source) in order.enumerated() {
                let expected = view.sourcePoint(seen.keypoints[source], inputSize: size)
                #expect(maxDifference(back.keypoints[index], expected) < 1e-3, "\(view), keypoint \(index)")
            }
            #expect(maxDifference(centre(back.box), view.sourcePoint(centre(seen.box), inputSize: size)) < 1e-3, "\(view)")
            #expect(maxDifference(back.box.maximum - back.box.minimum, seen.box.maximum - seen.box.minimum) < 1e-3)
        }
        var overflowing = outputs.regressors
        let row = 2 * (16 * 5 + 7) * 16
        overflowing[row + 4] = 3.4e38   // the first keypoint at (+huge, -huge): finite upright, infinite turned
        overflowing[row + 5] = -3.4e38
        #expect(try decode(.upright, overflowing).count == 1)
        #expect(try decode(.rotated(by: 20 * Float.pi / 180), overflowing).isEmpty)
    }

    @Test("wrong output sizes and broken sidecars are rejected")
    func wrongOutputSizesAndBrokenSidecarsAreRejected() throws {
        let specification = try shortRange()
        let decoder = DetectionDecoder(specification: specification)
        #expect(throws: FaceTrackingError.outputSizeMismatch(output: "regressors", expected: 896 * 16, actual: 2)) {
            try decoder.candidates(regressors: [1, 2], classificators: [Float](repeating: 0, count: 896))
        }
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.models.appendingPathComponent("face_detection_short_range.json"))) as! [String: Any]
        var anchors = json["anchors"] as! [String: Any]
        anchors["count"] = 895
        json["anchors"] = anchors
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sidecar-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("face_detection_short_range.json").path
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
        #expect(throws: FaceTrackingError.invalidSpecification(path: path, reason: "anchor count and centres disagree")) {
            try DetectorSpecification.load(path: path)
        }
        #expect(throws: FaceTrackingError.cannotReadSpecification(path: "/nonexistent.json", reason: "cannot read the file")) {
            try DetectorSpecification.load(path: "/nonexistent.json")
        }
    }
}

func maxDifference(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> Float { max(abs(a.x - b.x), abs(a.y - b.y)) }

/// Detections holding NaN (from a network output or a sidecar scale of 0) end suppression instead of hanging it.
@Suite("non-finite detections")
struct NonFiniteDetectionTests {
    /// Written by the suppression thread once, read after the semaphore.
    private final class ResultBox: @unchecked Sendable {
        var count = -1
    }

    @Test("suppression of a NaN box ends")
    func suppressionOfANaNBoxEnds() {
        let nan = Float.nan
        let detections = [
            FaceDetection(box: BoundingBox(minimum: SIMD2(nan, 0), maximum: SIMD2(1, 1)), score: 0.9, keypoints: []),
            FaceDetection(box: BoundingBox(minimum: SIMD2(0, 0), maximum: SIMD2(1, 1)), score: 0.8, keypoints: []),
        ]
        // Run apart, so that a hang fails the test (after 5 s) instead of stalling the suite.
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox()
        Thread.detachNewThread {
            result.count = WeightedSuppression.apply(detections, threshold: 0.3).count
            done.signal()
        }
        #expect(done.wait(timeout: .now() + 5) == .success, "suppression of a NaN box did not end")
        #expect(result.count == 2)
    }

    @Test("non-finite rows make no candidate")
    func nonFiniteRowsMakeNoCandidate() throws {
        var specification = try DetectorSpecification.load(
            path: DetectionDecodingTests.models.appendingPathComponent("face_detection_short_range.json").path)
        specification.decoding.xScale = 0
        let anchors = specification.anchors.count, values = specification.decoding.numCoords
        // Every anchor scores high; with x_scale 0 a zero offset is 0/0 and any other one infinite.
        let candidates = try DetectionDecoder(specification: specification).candidates(
            regressors: [Float](repeating: 0, count: anchors * values), classificators: [Float](repeating: 6, count: anchors))
        #expect(candidates.count == 0)
    }
}
