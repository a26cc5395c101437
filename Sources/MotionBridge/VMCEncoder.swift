import FaceReadout
import MeshProtocol
import OSCEncoding

/// Turns received frames into VMC protocol bundles (OSC over UDP, as VSeeFace, VNyan, Warudo, VMagicMirror and the
/// Unity/Blender VMC add-ons receive), one bundle per frame, for one tracked face:
///
/// - `/VMC/Ext/Blend/Val` (s name, f weight) for each of ARKit's 52 shapes by Perfect-Sync name, then `/VMC/Ext/Blend/Apply`;
/// - `/VMC/Ext/Bone/Pos` (s "Head", f px py pz, f qx qy qz qw): the head's rotation in Unity's axes, position 0;
/// - `/VMC/Ext/Root/Pos` (s "root", f px py pz, f qx qy qz qw): the head's movement since the track was first seen,
///   in metres, identity rotation;
/// - `/VMC/Ext/OK` (i loaded 1, i calibration state 3, i calibration mode 0, i tracking 1 or 0) and `/VMC/Ext/T` (f time).
///
/// Without a face only `/VMC/Ext/OK` with tracking 0 and `/VMC/Ext/T` are sent, so the avatar holds its last pose.
public struct VMCEncoder: Sendable {
    private let mapping: ARKitBlendshapes
    private let calibration: ShapeCalibration
    private var selection = FaceSelection()
    private var origin: (track: UInt32, position: SIMD3<Float>)?
    private static let blendAddresses = ARKitBlendshapes.names.map { OSCArgument.string(ARKitBlendshapes.perfectSyncName($0)) }

    /// An encoder for a topology's expression names, with a calibration applied to the ARKit weights.
    public init(expressionNames: [String], calibration: ShapeCalibration = ShapeCalibration()) {
        mapping = ARKitBlendshapes(expressionNames: expressionNames)
        self.calibration = calibration
    }

    /// The bundle for one frame.
    public mutating func bundle(for frame: ReceivedFrame) -> OSCBundle {
        var messages: [OSCMessage] = []
        let time = OSCArgument.float32(Float(frame.sourceTimestamp))
        guard let face = selection.follow(frame.faces) else {
            origin = nil
            return OSCBundle([OSCMessage("/VMC/Ext/OK", [.int32(1), .int32(3), .int32(0), .int32(0)]), OSCMessage("/VMC/Ext/T", [time])])
        }
        messages.append(OSCMessage("/VMC/Ext/OK", [.int32(1), .int32(3), .int32(0), .int32(1)]))
        messages.append(OSCMessage("/VMC/Ext/T", [time]))
        let head = Self.unityRotation(face.pose.rotation)
        if !(head.x.isFinite && head.y.isFinite && head.z.isFinite && head.w.isFinite) { return OSCBundle(messages) }
        let position = Self.metres(face.pose)
        if origin?.track != face.trackIdentifier { origin = (face.trackIdentifier, position) }
        let moved = position - (origin?.position ?? position)
        messages.append(OSCMessage("/VMC/Ext/Root/Pos", [.string("root")] + Self.floats([moved.x, moved.y, moved.z, 0, 0, 0, 1])))
        messages.append(OSCMessage("/VMC/Ext/Bone/Pos", [.string("Head")] + Self.floats([0, 0, 0, head.x, head.y, head.z, head.w])))
        let weights = calibration.apply(mapping.weights(from: face.expressionWeights))
        for (name, weight) in zip(Self.blendAddresses, weights) {
            messages.append(OSCMessage("/VMC/Ext/Blend/Val", [name, .float32(weight)]))
        }
        messages.append(OSCMessage("/VMC/Ext/Blend/Apply"))
        return OSCBundle(messages)
    }

    /// The head's rotation in Unity's left-handed axes (x the avatar's right, y up, z forward), as (x, y, z, w):
    /// the model rotation (`HeadAngles.modelRotation`, x the person's left) mirrored in x, which negates y and z.
    /// The avatar turns the way the person turns (not a mirror image); receivers offer mirroring themselves.
    public static func unityRotation(_ rotation: SIMD4<Float>) -> SIMD4<Float> {
        let model = HeadAngles.modelRotation(rotation)
        return SIMD4(model.x, -model.y, -model.z, model.w)
    }

    /// The head's position in Unity's axes, in metres: image pixels over the face's scale (pixels per centimetre),
    /// x toward the avatar's right (the image's left), y up, no depth.
    static func metres(_ pose: PublishedPose) -> SIMD3<Float> {
        guard pose.scale.isFinite, pose.scale > 0 else { return .zero }
        let centimetres = pose.translation / pose.scale
        let position = SIMD3(-centimetres.x, -centimetres.y, 0) / 100
        return position.x.isFinite && position.y.isFinite ? position : .zero
    }

    static func floats(_ values: [Float]) -> [OSCArgument] { values.map { .float32($0) } }
}

/// Which face a single-avatar bridge follows: the track it followed last while it is present, otherwise the most
/// confident face (lowest track id on ties).
public struct FaceSelection: Sendable {
    /// The track followed now.
    public private(set) var track: UInt32?

    /// Starts following nothing.
    public init() {}

    /// The face to use among `faces`, updating the followed track.
    public mutating func follow(_ faces: [PublishedFace]) -> PublishedFace? {
        if let track, let face = faces.first(where: { $0.trackIdentifier == track }) { return face }
        let best = faces.min { left, right in
            left.confidence != right.confidence ? left.confidence > right.confidence : left.trackIdentifier < right.trackIdentifier
        }
        track = best?.trackIdentifier
        return best
    }
}
