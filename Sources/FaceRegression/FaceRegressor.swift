import FaceModel
import FaceTracking
import Foundation
import InferenceCore
import InferenceGraph
import VideoIngest

/// Runs the ORN regressor (`models/orn.onnx`, described by `models/orn.json`) on face crops and
/// reads its outputs as identity, expression, pose, landmark visibility and, for models with the sixth
/// output, the face score.
///
/// One regressor owns one inference session and its input and output buffers, so a run allocates
/// nothing but the arrays of the returned value; use one regressor per pipeline stage.
public final class FaceRegressor {
    /// The sidecar the regressor was loaded with.
    public let specification: RegressorSpecification
    /// Writes crops as the sidecar's crop convention says.
    public let cropper: FaceCropper
    private let session: Session
    private var input: [Tensor]
    private var outputs: [Tensor]
    /// The model's output names, in `outputs` order, for messages.
    private let outputNames: [String]

    /// Loads the model at `modelPath` and its sidecar at `specificationPath`, and checks that they agree.
    public init(modelPath: String, specificationPath: String) throws(FaceRegressionError) {
        specification = try RegressorSpecification.load(path: specificationPath)
        cropper = FaceCropper(size: specification.crop.size, normalisation: specification.crop.normalisation)
        let model: Model
        do {
            model = try Model(contentsOf: URL(fileURLWithPath: modelPath))
        } catch {
            throw .inference(error)
        }
        let side = specification.crop.size
        guard model.inputs.count == 1, model.inputs[0].shape == [1, 3, side, side] else {
            throw .modelMismatch(path: modelPath, reason: "input \(model.inputs.map(\.shape)) is not [1, 3, \(side), \(side)]")
        }
        let expectedOutputs = [specification.identityModes, specification.expressionNames.count, 6, 3, specification.landmarkCount]
            + (specification.hasFaceScore ? [1] : [])
        guard model.outputs.map({ $0.shape.reduce(1, *) }) == expectedOutputs else {
            throw .modelMismatch(path: modelPath, reason: "output sizes \(model.outputs.map { $0.shape.reduce(1, *) }) are not \(expectedOutputs)")
        }
        session = model.makeSession()
        input = [Tensor(zeros: [1, 3, side, side])]
        outputs = session.makeOutputBuffers()
        outputNames = model.outputs.map(\.name)
    }

    /// Values one crop holds: 3 × side × side.
    public var cropValueCount: Int { 3 * specification.crop.size * specification.crop.size }

    /// Regresses one crop given as normalised planar floats (channel-major RGB, `cropValueCount` values), for callers
    /// that cut and normalise crops themselves.
    public func regress(normalisedCrop: UnsafeBufferPointer<Float>) throws(FaceRegressionError) -> RegressedFace {
        guard normalisedCrop.count == cropValueCount else {
            throw .cropSizeMismatch(expected: cropValueCount, actual: normalisedCrop.count)
        }
        input[0].elements.withUnsafeMutableBufferPointer { destination in
            _ = destination.initialize(from: normalisedCrop)
        }
        do {
            try session.run(inputs: input, outputs: &outputs)
        } catch {
            throw .inference(error)
        }
        return try decodeOutputs()
    }

    /// Cuts the crop of `frame` under `transform` (see `FaceCropper`) straight into the network's input, normalised
    /// as the sidecar says, and regresses it.
    public func regress(_ frame: VideoFrame, transform: CropTransform) throws(FaceRegressionError) -> RegressedFace {
        let cropper = self.cropper
        input[0].elements.withUnsafeMutableBufferPointer { destination in
            cropper.crop(frame, transform: transform, into: destination)
        }
        do {
            try session.run(inputs: input, outputs: &outputs)
        } catch {
            throw .inference(error)
        }
        return try decodeOutputs()
    }

    /// Largest identity coefficient accepted, in standard deviations of its mode: the training faces stay within a
    /// few; beyond this the mesh is no face at all.
    public static let identityLimit: Float = 20
    /// Largest |tx|, |ty| accepted, in crop sides from the crop's corner: a face centred this far outside its own
    /// crop is a diverged output, not a face.
    public static let translationLimit: Float = 8
    /// Range of the scale accepted, in crop sides per centimetre: a 15 cm face between 0.0015 and 15 crop sides.
    public static let scaleRange: ClosedRange<Float> = 1e-4...1

    /// Reads the five outputs and the optional face score; pose follows the sidecar's projection
    /// `pixel = S · (scale·(R v)_x + tx, −scale·(R v)_y + ty)`, which is `FacePose.project` in crop pixels.
    /// Outputs that are not finite, or identity, translation or scale beyond the limits above, throw
    /// `unusableOutput` (a diverged or corrupt model must not reach clients as a face); expression weights,
    /// visibilities and the face score, sigmoids, are clamped to [0, 1] against rounding.
    private func decodeOutputs() throws(FaceRegressionError) -> RegressedFace {
        for (index, output) in outputs.enumerated() {
            if let position = output.elements.firstIndex(where: { !$0.isFinite }) {
                throw .unusableOutput("\(outputNames[index])[\(position)] is \(output.elements[position])")
            }
        }
        if let position = outputs[0].elements.firstIndex(where: { abs($0) > Self.identityLimit }) {
            throw .unusableOutput("identity[\(position)] = \(outputs[0].elements[position]) is beyond ±\(Self.identityLimit)")
        }
        let side = Float(specification.crop.size)
        let rotation = outputs[2].elements
        let translationScale = outputs[3].elements
        guard abs(translationScale[0]) <= Self.translationLimit, abs(translationScale[1]) <= Self.translationLimit else {
            throw .unusableOutput("translation (\(translationScale[0]), \(translationScale[1])) is beyond ±\(Self.translationLimit) crop sides")
        }
        guard Self.scaleRange.contains(translationScale[2]) else {
            throw .unusableOutput("scale \(translationScale[2]) is outside \(Self.scaleRange.lowerBound)…\(Self.scaleRange.upperBound) crop sides per cm")
        }
        func probabilities(_ values: [Float]) -> [Float] { values.map { min(max($0, 0), 1) } }
        let pose = FacePose(
            rotation: SixDimensionalRotation.quaternion(SIMD3(rotation[0], rotation[1], rotation[2]),
                                                        SIMD3(rotation[3], rotation[4], rotation[5])),
            translation: SIMD3(side * translationScale[0], side * translationScale[1], 0),
            scale: side * translationScale[2])
        return RegressedFace(identity: outputs[0].elements, expression: probabilities(outputs[1].elements), pose: pose,
                             visibility: probabilities(outputs[4].elements),
                             faceScore: specification.hasFaceScore ? min(max(outputs[5].elements[0], 0), 1) : nil)
    }
}
