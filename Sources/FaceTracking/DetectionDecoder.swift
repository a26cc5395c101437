#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the image was fitted into the square detector input: scaled to fit, keeping its aspect ratio,
/// centred, the rest padded (MediaPipe's letterbox). Maps detector coordinates back to image pixels.
public struct Letterbox: Sendable, Equatable {
    /// Input pixels per image pixel.
    public let scale: Float
    /// Padding (input pixels) left of and above the image.
    public let padding: SIMD2<Float>
    /// Input size in pixels.
    public let inputSize: SIMD2<Float>

    /// The letterbox of an image of this size in an input of this size.
    public init(imageWidth: Int, imageHeight: Int, inputWidth: Int, inputHeight: Int) {
        inputSize = SIMD2(Float(inputWidth), Float(inputHeight))
        scale = min(inputSize.x / Float(imageWidth), inputSize.y / Float(imageHeight))
        padding = (inputSize - scale * SIMD2(Float(imageWidth), Float(imageHeight))) / 2
    }

    /// Image pixel of a point given in input-normalised coordinates ([0, 1] across the input).
    public func imagePoint(normalized point: SIMD2<Float>) -> SIMD2<Float> {
        (point * inputSize - padding) / scale
    }

    /// Input-normalised coordinates of an image pixel.
    public func normalizedPoint(image point: SIMD2<Float>) -> SIMD2<Float> {
        (point * scale + padding) / inputSize
    }
}

/// Turns the detector's raw outputs into faces: anchor decoding, score threshold, weighted non-maximum
/// suppression (MediaPipe's blending of overlapping boxes), and the letterbox undone — several faces per frame.
public struct DetectionDecoder: Sendable {
    /// The network description the decoding follows.
    public let specification: DetectorSpecification
    /// For a face found in a mirrored input, keypoint `i` mapped back is its keypoint `mirroredKeypointOrder[i]`:
    /// the sidecar's names with "right" and "left" swapped (BlazeFace: the eyes and the ear tragions), others kept.
    public let mirroredKeypointOrder: [Int]

    /// A decoder for the network described by `specification`.
    public init(specification: DetectorSpecification) {
        self.specification = specification
        let names = specification.keypoints
        mirroredKeypointOrder = names.indices.map { index in
            let name = names[index]
            let swapped = name.contains("right") ? name.replacingOccurrences(of: "right", with: "left")
                : name.replacingOccurrences(of: "left", with: "right")
            return names.firstIndex(of: swapped) ?? index
        }
    }

    /// Every anchor scoring at least `minimumScore` (default: the sidecar's), in input-normalised coordinates.
    /// `regressors` has `anchors × numCoords` values, `classificators` one logit per anchor.
    public func candidates(regressors: [Float], classificators: [Float], minimumScore: Float? = nil) throws(FaceTrackingError) -> [FaceDetection] {
        let decoding = specification.decoding
        let count = specification.anchors.count
        guard regressors.count == count * decoding.numCoords else {
            throw .outputSizeMismatch(output: "regressors", expected: count * decoding.numCoords, actual: regressors.count)
        }
        guard classificators.count == count else {
            throw .outputSizeMismatch(output: "classificators", expected: count, actual: classificators.count)
        }
        let threshold = minimumScore ?? decoding.minScoreThresh
        let scale = SIMD2(decoding.xScale, decoding.yScale), sizeScale = SIMD2(decoding.wScale, decoding.hScale)
        var detections: [FaceDetection] = []
        for anchor in 0..<count {
            var logit = classificators[anchor]
            var score = logit
            if decoding.sigmoidScore {
                logit = min(max(logit, -decoding.scoreClippingThresh), decoding.scoreClippingThresh)
                score = 1 / (1 + expf(-logit))
            }
            guard score >= threshold else { continue }
            let row = anchor * decoding.numCoords
            let center = SIMD2(specification.anchors.centers[anchor][0], specification.anchors.centers[anchor][1])
            let box = decoding.boxCoordOffset + row
            var offset = SIMD2(regressors[box], regressors[box + 1])
            var size = SIMD2(regressors[box + 2], regressors[box + 3])
            if !decoding.reverseOutputOrder {
                offset = SIMD2(offset.y, offset.x)
                size = SIMD2(size.y, size.x)
            }
            let boxCenter = offset / scale + center, boxSize = size / sizeScale
            // A network output of NaN or infinity (or a sidecar scale of 0) makes no face.
            guard boxCenter.x.isFinite, boxCenter.y.isFinite, boxSize.x.isFinite, boxSize.y.isFinite else { continue }
            var keypoints: [SIMD2<Float>] = []
            keypoints.reserveCapacity(decoding.numKeypoints)
            for keypoint in 0..<decoding.numKeypoints {
                let index = row + decoding.keypointCoordOffset + keypoint * decoding.numValuesPerKeypoint
                var value = SIMD2(regressors[index], regressors[index + 1])
                if !decoding.reverseOutputOrder { value = SIMD2(value.y, value.x) }
                keypoints.append(value / scale + center)
            }
            detections.append(FaceDetection(
                box: BoundingBox(minimum: boxCenter - boxSize / 2, maximum: boxCenter + boxSize / 2),
                score: score, keypoints: keypoints))
        }
        return detections
    }

    /// The faces in an image of `imageWidth × imageHeight` that was letterboxed into the input: candidates,
    /// then weighted non-maximum suppression, then mapped to image pixels; best first.
    /// With a `view` other than upright, the detector saw that view of the letterboxed input
    /// (`FaceDetector.detect(in:view:)`): each face is mapped back (`mappedBack`) before the letterbox is undone.
    public func faces(regressors: [Float], classificators: [Float], imageWidth: Int, imageHeight: Int,
                      minimumScore: Float? = nil, view: DetectorView = .upright) throws(FaceTrackingError) -> [FaceDetection] {
        let letterbox = Letterbox(imageWidth: imageWidth, imageHeight: imageHeight,
                                  inputWidth: specification.inputWidth, inputHeight: specification.inputHeight)
        var merged = WeightedSuppression.apply(
            try candidates(regressors: regressors, classificators: classificators, minimumScore: minimumScore),
            threshold: specification.nonMaximumSuppression.minSuppressionThreshold)
        if !view.isUpright {
            // Mapping back can overflow a huge but finite box into infinity or NaN: such a box makes no face.
            func isFinite(_ point: SIMD2<Float>) -> Bool { point.x.isFinite && point.y.isFinite }
            merged = merged.map { mappedBack($0, from: view) }.filter { detection in
                isFinite(detection.box.minimum) && isFinite(detection.box.maximum) && detection.keypoints.allSatisfy(isFinite)
            }
        }
        return merged.map { detection in
            FaceDetection(
                box: BoundingBox(minimum: letterbox.imagePoint(normalized: detection.box.minimum),
                                 maximum: letterbox.imagePoint(normalized: detection.box.maximum)),
                score: detection.score,
                keypoints: detection.keypoints.map { letterbox.imagePoint(normalized: $0) })
        }
    }

    /// A detection of `view` of the input, in input-normalised coordinates, as a detection of the input itself:
    /// keypoints mapped point by point (in a mirror view the right and left ones trade places), the box's centre
    /// mapped and its size kept (a face's box barely changes size when the face tilts; the keypoints carry the tilt).
    func mappedBack(_ detection: FaceDetection, from view: DetectorView) -> FaceDetection {
        let size = SIMD2(Float(specification.inputWidth), Float(specification.inputHeight))
        func back(_ point: SIMD2<Float>) -> SIMD2<Float> { view.sourcePoint(point * size, inputSize: size) / size }
        let order = view.mirrored && detection.keypoints.count == mirroredKeypointOrder.count
            ? mirroredKeypointOrder : Array(detection.keypoints.indices)
        let centre = back((detection.box.minimum + detection.box.maximum) / 2)
        let halfSize = (detection.box.maximum - detection.box.minimum) / 2
        return FaceDetection(box: BoundingBox(minimum: centre - halfSize, maximum: centre + halfSize),
                             score: detection.score, keypoints: order.map { back(detection.keypoints[$0]) })
    }
}

/// MediaPipe's weighted non-maximum suppression: the best remaining detection absorbs every other whose
/// IoU with it exceeds the threshold; the merged box and keypoints are the score-weighted mean of the
/// absorbed ones, the score that of the best. Steadier boxes than plain suppression.
public enum WeightedSuppression {
    /// The merged detections, best first.
    public static func apply(_ detections: [FaceDetection], threshold: Float) -> [FaceDetection] {
        var remaining = detections.sorted { $0.score > $1.score }
        var result: [FaceDetection] = []
        while let best = remaining.first {
            // The best absorbs itself by position, not by equality: a box holding NaN equals nothing, not even
            // itself, and kept it in `remaining` for ever.
            var absorbed: [FaceDetection] = [best]
            var kept: [FaceDetection] = []
            for detection in remaining.dropFirst() {
                if detection.box.intersectionOverUnion(best.box) > threshold {
                    absorbed.append(detection)
                } else {
                    kept.append(detection)
                }
            }
            let total = absorbed.reduce(Float(0)) { $0 + $1.score }
            var minimum = SIMD2<Float>.zero, maximum = SIMD2<Float>.zero
            var keypoints = [SIMD2<Float>](repeating: .zero, count: best.keypoints.count)
            for detection in absorbed {
                let weight = detection.score / total
                minimum += weight * detection.box.minimum
                maximum += weight * detection.box.maximum
                for index in keypoints.indices where index < detection.keypoints.count {
                    keypoints[index] += weight * detection.keypoints[index]
                }
            }
            result.append(FaceDetection(box: BoundingBox(minimum: minimum, maximum: maximum), score: best.score, keypoints: keypoints))
            remaining = kept
        }
        return result
    }
}
