import Foundation
import InferenceCore
import InferenceGraph
import VideoIngest

/// Finds faces in a frame: anything that can. The tracker depends on this seam, not on BlazeFace.
public protocol FaceDetecting: AnyObject {
    /// The faces in `frame`, in image pixels, best first, found in `view` of it (its mirror image, or turned) and
    /// mapped back onto the frame: a second look, since a detector is neither mirror- nor rotation-symmetric and
    /// finds some faces (occluded, turned, tilted) only one way round.
    func detect(in frame: VideoFrame, view: DetectorView) throws(FaceTrackingError) -> [FaceDetection]
}

extension FaceDetecting {
    /// The faces in `frame`, looked at as it is.
    public func detect(in frame: VideoFrame) throws(FaceTrackingError) -> [FaceDetection] {
        try detect(in: frame, view: .upright)
    }
}

/// MediaPipe's BlazeFace detector run on InferenceCore: the frame is letterboxed into the network input
/// (size and normalisation from the sidecar), the network runs on this detector's own session, and the
/// raw outputs are decoded (anchors, score threshold, weighted non-maximum suppression) into faces in
/// image pixels. Input, output and resampling buffers are made once (per frame size), so detecting in a
/// stream of frames allocates only the few returned detections. Not thread-safe: one detector per thread.
public final class FaceDetector: FaceDetecting {
    /// The sidecar the detector follows.
    public let specification: DetectorSpecification
    /// Detections scoring below this are dropped (the sidecar's minimum unless overridden).
    public var minimumScore: Float
    private let decoder: DetectionDecoder
    private let session: Session
    private var inputs: [Tensor]
    private var outputs: [Tensor]
    private let regressorsIndex: Int, classificatorsIndex: Int
    private var resampler: LetterboxResampler
    /// The upright letterboxed input, kept apart while a view other than upright is rendered from it.
    private var uprightInput: [Float]

    /// Loads the detector whose JSON sidecar is at `sidecarPath` (the ONNX file named in it lies beside it).
    /// `threads` > 1 lets large layers spread over cores.
    public init(sidecarPath: String, threads: Int = 1) throws(FaceTrackingError) {
        let specification = try DetectorSpecification.load(path: sidecarPath)
        let networkPath = URL(fileURLWithPath: sidecarPath).deletingLastPathComponent()
            .appendingPathComponent(specification.model).path
        let model: Model
        do {
            model = try Model(contentsOf: URL(fileURLWithPath: networkPath))
        } catch {
            throw .cannotLoadNetwork(path: networkPath, reason: error.description)
        }
        guard model.inputs.count == 1, model.inputs[0].shape == specification.input.shape else {
            throw .networkMismatch(path: networkPath, reason: "expected one input of shape \(specification.input.shape), "
                                   + "found \(model.inputs.map(\.shape))")
        }
        guard let regressors = model.outputs.firstIndex(where: { $0.name == "regressors" }),
              let classificators = model.outputs.firstIndex(where: { $0.name == "classificators" }) else {
            throw .networkMismatch(path: networkPath, reason: "outputs 'regressors' and 'classificators' are required, "
                                   + "found \(model.outputs.map(\.name))")
        }
        let anchors = specification.anchors.count
        let (rowValues, overflow) = anchors.multipliedReportingOverflow(by: specification.decoding.numCoords)
        guard !overflow, Self.elementCount(model.outputs[regressors].shape) == rowValues,
              Self.elementCount(model.outputs[classificators].shape) == anchors else {
            throw .networkMismatch(path: networkPath, reason: "output sizes do not match \(anchors) anchors")
        }
        self.specification = specification
        minimumScore = specification.decoding.minScoreThresh
        decoder = DetectionDecoder(specification: specification)
        session = model.makeSession(threads: threads)
        inputs = [Tensor(zeros: specification.input.shape)]
        outputs = session.makeOutputBuffers()
        regressorsIndex = regressors
        classificatorsIndex = classificators
        resampler = LetterboxResampler(inputWidth: specification.inputWidth, inputHeight: specification.inputHeight,
                                       normalization: specification.input.normalization)
        uprightInput = [Float](repeating: 0, count: inputs[0].count)
    }

    /// The number of elements of `shape`, or nil when a dimension is negative or the product overflows.
    static func elementCount(_ shape: [Int]) -> Int? {
        var product = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            product = next
        }
        return product
    }

    /// The faces in `frame` (packed RGB), in image pixels, best first, found in `view` of the letterboxed input
    /// (rendered from it, the padding's value where the view shows nothing) and mapped back.
    public func detect(in frame: VideoFrame, view: DetectorView) throws(FaceTrackingError) -> [FaceDetection] {
        guard frame.layout == .rgb24, frame.width > 0, frame.height > 0 else {
            throw .unsupportedFrame(reason: "\(frame.width)x\(frame.height) \(frame.layout.rawValue); the detector needs non-empty RGB")
        }
        let width = specification.inputWidth, height = specification.inputHeight
        if view.isUpright {
            inputs[0].elements.withUnsafeMutableBufferPointer { _ = resampler.resample(frame, into: $0) }
        } else {
            uprightInput.withUnsafeMutableBufferPointer { _ = resampler.resample(frame, into: $0) }
            let fill = specification.input.normalization.offset
            uprightInput.withUnsafeBufferPointer { upright in
                inputs[0].elements.withUnsafeMutableBufferPointer { destination in
                    view.render(upright, into: destination, width: width, height: height, fill: fill)
                }
            }
        }
        try runNetwork()
        return try decoder.faces(regressors: outputs[regressorsIndex].elements,
                                 classificators: outputs[classificatorsIndex].elements,
                                 imageWidth: frame.width, imageHeight: frame.height, minimumScore: minimumScore,
                                 view: view)
    }

    /// The network's raw outputs for an input already normalised and laid out as the sidecar says
    /// (`1×3×H×W`, NCHW): regressors (anchors × 16) and classificator logits (one per anchor).
    /// For parity checks against other runtimes.
    public func rawOutputs(input: [Float]) throws(FaceTrackingError) -> (regressors: [Float], classificators: [Float]) {
        guard input.count == inputs[0].count else {
            throw .inferenceFailed(reason: "input has \(input.count) values, the network takes \(inputs[0].count)")
        }
        inputs[0].elements = input
        try runNetwork()
        return (outputs[regressorsIndex].elements, outputs[classificatorsIndex].elements)
    }

    /// The network input the last `detect(in:)` call built (normalised NCHW), for inspection and tests.
    public var lastInput: [Float] { inputs[0].elements }

    private func runNetwork() throws(FaceTrackingError) {
        do {
            try session.run(inputs: inputs, outputs: &outputs)
        } catch {
            throw .inferenceFailed(reason: error.description)
        }
    }
}
