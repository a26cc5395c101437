import FaceModel
import FaceRegression
import FaceTracking
import MeshProtocol
import VideoIngest

/// A face the tracking stage hands on: which track, where its crop goes.
public struct TrackedFace: Sendable {
    /// The track's id (stable while the face is followed).
    public var track: Int
    /// The tracker's confidence in the face (detector score, or the last regressed visibility).
    public var confidence: Float
    /// The face's last box in image pixels.
    public var box: BoundingBox
    /// Where the regressor's crop is cut.
    public var region: CropRegion
    /// How the face moved in the image since frame `motionSince` (the frame the tracking stage saw before this
    /// one), measured on the pixels when the smoothing asks for it (`MotionGuidance`); nil otherwise.
    public var motion: ImageMotion? = nil
    /// The frame `motion` starts from.
    public var motionSince: Int = -1
}

/// A frame and the faces to regress in it.
public struct TrackedFrame: Sendable {
    /// The decoded frame (its pixels are shared, not copied).
    public var frame: VideoFrame
    /// Up to the maximum number of faces, oldest track first.
    public var faces: [TrackedFace]
    /// Detections left out because the regressor's outputs on their crops were unusable (the face check).
    public var rejectedFaces: Int

    /// A frame's faces to regress.
    public init(frame: VideoFrame, faces: [TrackedFace], rejectedFaces: Int = 0) {
        self.frame = frame
        self.faces = faces
        self.rejectedFaces = rejectedFaces
    }
}

/// One face as the regressor saw it, mapped back to image pixels.
public struct RegressedImageFace: Sendable {
    /// The tracked face it came from.
    public var tracked: TrackedFace
    /// Identity, expression (in the face model's order) and visibility; pose in image pixels.
    public var face: RegressedFace
}

/// A frame after regression: what the smoothing and mesh stage needs (no pixels).
public struct RegressedFrame: Sendable {
    /// The frame's index in decode order.
    public var index: Int
    /// Presentation time in seconds.
    public var presentationTime: Double
    /// Capture time on the monotonic clock, in seconds.
    public var captureTime: Double
    /// The faces.
    public var faces: [RegressedImageFace]
    /// Faces of the frame whose regression was unusable (`PipelineError.unusableRegression`), not in `faces`.
    public var rejectedFaces: Int

    /// A frame's regressed faces.
    public init(index: Int, presentationTime: Double, captureTime: Double, faces: [RegressedImageFace],
                rejectedFaces: Int = 0) {
        self.index = index
        self.presentationTime = presentationTime
        self.captureTime = captureTime
        self.faces = faces
        self.rejectedFaces = rejectedFaces
    }
}

/// One face of a finished frame: what was published, and what offline outputs need besides.
public struct ProcessedFace: Sendable {
    /// The face as published (camera-space pose and vertices, image-pixel landmarks).
    public var published: PublishedFace
    /// The face's box in image pixels.
    public var box: BoundingBox
    /// Smoothed pose in image pixels (FaceModel's convention), for mesh export.
    public var imagePose: FaceModel.FacePose
    /// The regressor's face score on the face's crop (for a still image the crop framed on its detector box, the
    /// one `tracking.min_face_score` is compared with); nil for regressors without the `face` output.
    public var faceScore: Float?
}

/// A finished frame: the published frame with the extra per-face data offline outputs write.
public struct ProcessedFrame: Sendable {
    /// Frame index in decode order.
    public var index: Int
    /// The frame as the publisher takes it.
    public var published: PublishedFrame
    /// Per face, in the order of `published.faces`.
    public var faces: [ProcessedFace]
}
