/// Rigid pose and scale of a face as the protocol carries it, in camera space: model space → camera space is
/// `scale * rotate(v) + translation`, x right and y down in image pixels, z away from the viewer (docs/protocol.md).
/// FaceModel's `FacePose` is the image pose the pipeline computes with (y up, projected with y flipped).
public struct PublishedPose: Sendable, Equatable {
    /// Unit quaternion as (x, y, z, w).
    public var rotation: SIMD4<Float>
    /// Translation in camera space.
    public var translation: SIMD3<Float>
    /// Uniform scale.
    public var scale: Float

    /// Creates a pose.
    public init(rotation: SIMD4<Float>, translation: SIMD3<Float>, scale: Float) {
        self.rotation = rotation
        self.translation = translation
        self.scale = scale
    }

    /// No rotation, no translation, unit scale.
    public static let identity = PublishedPose(rotation: SIMD4(0, 0, 0, 1), translation: .zero, scale: 1)
}

/// One tracked face of a frame, as the pipeline hands it to the publisher and as clients decode it.
public struct PublishedFace: Sendable, Equatable {
    /// Stable identifier of the face's track across frames.
    public var trackIdentifier: UInt32
    /// Detection/tracking confidence in 0…1.
    public var confidence: Float
    /// Rigid pose of the head.
    public var pose: PublishedPose
    /// Expression weights, in the order of `MeshTopology.expressionNames`.
    public var expressionWeights: [Float]
    /// Identity coefficients. The publisher sends them only when they changed for the track; a decoded face
    /// carries them empty otherwise (the `OcclumeshClient` library fills them from its cache).
    public var identity: [Float]
    /// The 68 landmarks in image pixels (x right, y down), or empty.
    public var landmarks: [SIMD2<Float>]
    /// Visibility of each landmark in 0…1 (0 = occluded), as many as `landmarks`.
    public var landmarkVisibility: [Float]
    /// Vertices in camera space, in head order (publisher input) or in the subscribed region's order (decoded).
    public var vertices: [SIMD3<Float>]

    /// Creates a face.
    public init(
        trackIdentifier: UInt32, confidence: Float, pose: PublishedPose, expressionWeights: [Float], identity: [Float],
        landmarks: [SIMD2<Float>], landmarkVisibility: [Float], vertices: [SIMD3<Float>]
    ) {
        self.trackIdentifier = trackIdentifier
        self.confidence = confidence
        self.pose = pose
        self.expressionWeights = expressionWeights
        self.identity = identity
        self.landmarks = landmarks
        self.landmarkVisibility = landmarkVisibility
        self.vertices = vertices
    }
}

/// One video frame's result: what the pipeline publishes.
public struct PublishedFrame: Sendable, Equatable {
    /// Frame sequence number, increasing by one per source frame (gaps mean frames were dropped upstream).
    public var sequence: UInt64
    /// The frame's presentation time from the source, in seconds.
    public var sourceTimestamp: Double
    /// When the frame was captured, on the monotonic clock in seconds (`VideoFrame.captureTime`); the publisher
    /// subtracts it from the time of publishing to get the latency it sends.
    public var captureTime: Double
    /// The faces found in the frame.
    public var faces: [PublishedFace]

    /// Creates a frame.
    public init(sequence: UInt64, sourceTimestamp: Double, captureTime: Double, faces: [PublishedFace]) {
        self.sequence = sequence
        self.sourceTimestamp = sourceTimestamp
        self.captureTime = captureTime
        self.faces = faces
    }
}

/// A frame as a client decodes it.
public struct ReceivedFrame: Sendable, Equatable {
    /// The frame's sequence number.
    public var sequence: UInt64
    /// The frame's presentation time from the source, in seconds.
    public var sourceTimestamp: Double
    /// Capture → publish latency in seconds, measured by the server.
    public var latency: Double
    /// Messages the server dropped from this client's queue since the previous frame it delivered.
    public var droppedBefore: UInt32
    /// The faces, with vertices of the subscribed region and format (converted to `Float`).
    public var faces: [PublishedFace]

    /// Creates a decoded frame.
    public init(sequence: UInt64, sourceTimestamp: Double, latency: Double, droppedBefore: UInt32, faces: [PublishedFace]) {
        self.sequence = sequence
        self.sourceTimestamp = sourceTimestamp
        self.latency = latency
        self.droppedBefore = droppedBefore
        self.faces = faces
    }
}

/// One named counter of a status message.
public struct StatusCounter: Sendable, Equatable {
    /// Counter name, e.g. `frames_in` or `stage_regress_ms`.
    public var name: String
    /// Its value.
    public var value: Double

    /// Creates a counter.
    public init(_ name: String, _ value: Double) {
        self.name = name
        self.value = value
    }
}

/// Counters of the pipeline and of the receiving connection.
public struct StatusReport: Sendable, Equatable {
    /// Messages dropped from this client's queue since it connected.
    public var droppedForClient: UInt64
    /// Pipeline and publisher counters.
    public var counters: [StatusCounter]

    /// Creates a status report.
    public init(droppedForClient: UInt64, counters: [StatusCounter]) {
        self.droppedForClient = droppedForClient
        self.counters = counters
    }

    /// The value of the counter named `name`, if present.
    public subscript(name: String) -> Double? { counters.first { $0.name == name }?.value }
}

/// The server's answer to a hello.
public struct Welcome: Sendable, Equatable {
    /// The protocol version the server will speak.
    public var version: UInt16
    /// How many frame and status messages the server queues for this client before dropping the oldest.
    public var queueCapacity: UInt16
    /// Free text naming the server, e.g. `occlumeshd 0.1`.
    public var serverName: String

    /// Creates a welcome.
    public init(version: UInt16, queueCapacity: UInt16, serverName: String) {
        self.version = version
        self.queueCapacity = queueCapacity
        self.serverName = serverName
    }
}

/// The last message on a connection the server closes.
public struct Goodbye: Sendable, Equatable {
    /// Why the connection is closed.
    public var code: GoodbyeCode
    /// One line for people.
    public var reason: String

    /// Creates a goodbye.
    public init(code: GoodbyeCode, reason: String) {
        self.code = code
        self.reason = reason
    }
}
