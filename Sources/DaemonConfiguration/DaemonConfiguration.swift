#if canImport(Glibc)
import Glibc
#endif

/// Everything `occlumeshd` reads from `/etc/occlumesh/occlumesh.toml`; defaults match `config/occlumesh.toml`.
///
/// Command-line flags (`--source`, `--socket`) override the file by assigning to the fields after loading.
public struct DaemonConfiguration: Sendable, Equatable {
    /// `[source]`: where frames come from.
    public var source = Source()
    /// `[model]`: files the pipeline loads.
    public var model = Models()
    /// `[tracking]`: detection and tracking.
    public var tracking = Tracking()
    /// `[smoothing.expression]`, `[smoothing.translation]`, `[smoothing.rotation]`, `[smoothing.identity]`.
    public var smoothing = Smoothing()
    /// `[socket]`: the mesh socket file.
    public var socket = Socket()
    /// `[clients]`: per-client limits.
    public var clients = Clients()
    /// `[log]`: logging.
    public var log = Logging()

    /// The documented defaults.
    public init() {}

    /// Reads and validates the file at `path`.
    public static func load(path: String) throws(ConfigurationError) -> DaemonConfiguration {
        guard let file = fopen(path, "r") else {
            throw .unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            bytes.append(contentsOf: chunk[0..<count])
            if count < chunk.count { break }
        }
        guard ferror(file) == 0 else { throw .unreadable(path: path, reason: "read error") }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw .unreadable(path: path, reason: "not UTF-8") }
        return try parse(text)
    }

    /// Parses and validates config text; keys left out keep their defaults.
    public static func parse(_ text: String) throws(ConfigurationError) -> DaemonConfiguration {
        var configuration = DaemonConfiguration()
        for entry in try TOMLParser.parse(text) {
            guard let binding = ConfigurationKeys.bindings[entry.key] else {
                throw .unknownKey(entry.key, line: entry.line)
            }
            do {
                try binding(&configuration, KeyValue(entry: entry))
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw .invalidValue(entry.key, "\(error)", line: entry.line)
            }
        }
        try configuration.validate()
        return configuration
    }

    /// Checks rules that involve more than one key, or values set from the command line.
    public func validate() throws(ConfigurationError) {
        guard !source.input.isEmpty else { throw .invalidValue("source.input", "must not be empty", line: nil) }
        guard socket.path.hasPrefix("/"), socket.path.utf8.count <= 107 else {
            throw .invalidValue("socket.path", "must be an absolute path of at most 107 bytes", line: nil)
        }
        guard tracking.trackLossFrames >= tracking.detectorInterval else {
            throw .invalidValue("tracking.track_loss_frames",
                                "\(tracking.trackLossFrames) must be at least tracking.detector_interval (\(tracking.detectorInterval))", line: nil)
        }
        guard tracking.lostFaceScore <= tracking.minimumFaceScore else {
            throw .invalidValue("tracking.lost_face_score",
                                "\(tracking.lostFaceScore) must not exceed tracking.min_face_score (\(tracking.minimumFaceScore))", line: nil)
        }
        guard (source.width == 0) == (source.height == 0) else {
            throw .invalidValue("source.width", "source.width and source.height must both be 0 or both be set", line: nil)
        }
    }
}

/// Where the daemon's frames come from, guessed from `source.input`.
public enum SourceKind: Sendable, Equatable {
    /// A V4L2 camera (`/dev/video…`).
    case device
    /// A network stream (anything with `://`).
    case url
    /// A video file.
    case file
}

extension DaemonConfiguration {
    /// `[source]`.
    public struct Source: Sendable, Equatable {
        /// V4L2 device, video file or URL.
        public var input = "/dev/video0"
        /// Camera capture width, and the width larger files and streams are scaled down to fit; 0 keeps the source's.
        public var width = 1280
        /// Camera capture height, and the height larger files and streams are scaled down to fit; 0 keeps the source's.
        public var height = 720
        /// Camera frame rate to ask for; 0 keeps the device's default.
        public var framesPerSecond = 30.0
        /// Files only: play at the file's own pace instead of as fast as possible.
        public var realtime = false

        /// What `input` names.
        public var kind: SourceKind {
            if input.hasPrefix("/dev/video") { return .device }
            if input.contains("://") { return .url }
            return .file
        }
    }

    /// `[model]`.
    public struct Models: Sendable, Equatable {
        /// The ORN regressor network (ONNX); its sidecar, the same path with `.json`, lies beside it.
        public var regressor = "/usr/share/occlumesh/orn.onnx"
        /// The 3D morphable face model file written by `tools/setup-face-model.sh`.
        public var faceModel = "/usr/share/occlumesh/ict-face-model.ocfm"
        /// The face detector's JSON sidecar; the ONNX file it names lies beside it.
        public var detector = "/usr/share/occlumesh/face_detection_short_range.json"
        /// The full-range detector's JSON sidecar, tried where `detector` finds nothing; a relative path lies
        /// beside `detector`, and "" means none.
        public var fullRangeDetector = "face_detection_full_range.json"
        /// Whether each face is also regressed from its mirrored crop and the two answers averaged: landmarks
        /// closer to the truth under occlusion for twice the regressor's time per face.
        public var mirrorAverage = false
        /// Whether the faces of still images (`occlumesh landmarks`) are mirror-averaged even with `mirrorAverage`
        /// off: no camera paces them, and on the validation pictures it lowered the landmark error of every face
        /// reported on all four sets (docs/face-tracking.md, "Session 26").
        public var mirrorAverageStills = true

        /// The full-range detector's sidecar path (`fullRangeDetector` resolved beside `detector`), or nil for none.
        public var fullRangeDetectorPath: String? {
            if fullRangeDetector.isEmpty { return nil }
            if fullRangeDetector.hasPrefix("/") { return fullRangeDetector }
            guard let slash = detector.lastIndex(of: "/") else { return fullRangeDetector }
            return String(detector[...slash]) + fullRangeDetector
        }

        /// The regressor's sidecar: `regressor` with its extension replaced by `.json`.
        public var regressorSidecar: String {
            let name = regressor.hasSuffix(".onnx") ? String(regressor.dropLast(5)) : regressor
            return name + ".json"
        }
    }

    /// `[tracking]`.
    public struct Tracking: Sendable, Equatable {
        /// Most faces tracked at once.
        public var maximumFaces = 4
        /// Full detection every this many frames; tracking alone in between.
        public var detectorInterval = 10
        /// Detections scoring below this are ignored.
        public var minimumConfidence = 0.5
        /// A face not yet tracked becomes a track only with detections scoring at least this on two frames in
        /// a row; weaker ones only continue tracks (background false positives stay below it).
        public var minimumNewFaceScore = 0.7
        /// A regressed face whose mean landmark visibility is below this does not count as seen, and the
        /// detector runs on the next frame.
        public var minimumVisibility = 0.3
        /// Without a face score: a detection scoring at least this becomes a track on the frame it first
        /// appears (1 turns it off).
        public var instantNewFaceScore = 0.8
        /// With a face score: the score a new detection's crop needs to become a track at once.
        public var minimumFaceScore = 0.8
        /// With a face score: a track ends when its averaged face score falls below this.
        public var lostFaceScore = 0.3
        /// With a face score: a new detection's score is the mean of its crop's and the crop's mirror image's (one
        /// more regressor run per new detection), which separates heavily covered faces from background better
        /// than either alone (`docs/face-tracking.md`, session 22).
        public var mirrorFaceScore = true
        /// With a face score: a new detection whose crop scores below `minimumFaceScore` gets a second look, on a crop
        /// framed on the landmarks the regressor found in the first (as a tracked face's next crop is framed), whose
        /// score counts when it reaches `reframeMinimumFaceScore`: a detector box that sits off a covered face costs
        /// the face less often.
        public var reframeFaceScore = false
        /// With `reframeFaceScore`: the score the second look must reach to count; a value below `minimumFaceScore`
        /// (the default 0) means `minimumFaceScore`. A second chance for every failing detection is a second chance
        /// for background too, so this may be stricter.
        public var reframeMinimumFaceScore = 0.0
        /// Frames between two tries of the full-range detector where the detector finds nothing (0: never).
        public var fullRangeInterval = 10
        /// Whether those tries end with the detector on tiles of the frame (`tileGrid`), where a small face is seen
        /// larger (`FaceTracker.lookInTiles`; on by default since its rule was measured, docs/face-tracking.md).
        public var tiledLook = true
        /// With `tiledLook` and a face score: the score a face found in a tile needs; a value below
        /// `minimumFaceScore` means `minimumFaceScore`. `tileGrid`² more detector runs on a frame with nothing in it
        /// are as many more chances for background, so this is stricter: 0.95, the lowest bar that passed the rule.
        public var tiledMinimumFaceScore = 0.95
        /// With `tiledLook`: tiles per row and column, spread from edge to edge (2: the four corners; 3: also the
        /// edges' middles and the centre, nine detector runs, the default since its rule was measured;
        /// `TrackerConfiguration.tileGrids`).
        public var tileGrid = 3
        /// Frames a track survives unseen before it ends (at least `detectorInterval`).
        public var trackLossFrames = 15
        /// Whether each face's next crop is framed on its regressed landmarks (and those count as seeing the
        /// face), or on its last detector box.
        public var followLandmarks = false
    }

    /// One One Euro filter's settings.
    public struct OneEuro: Sendable, Equatable {
        /// Minimum cutoff frequency in Hz: lower is steadier at rest but lags more.
        public var minimumCutoff: Double
        /// Speed coefficient: higher follows fast motion with less lag but lets more jitter through.
        public var beta: Double
        /// Cutoff frequency of the speed estimate in Hz.
        public var derivativeCutoff: Double
        /// Most frames of lag the filter compensates by leading along the filtered speed (0: none).
        public var prediction: Double

        /// Settings from their parts.
        public init(minimumCutoff: Double, beta: Double, derivativeCutoff: Double, prediction: Double = 0) {
            self.minimumCutoff = minimumCutoff
            self.beta = beta
            self.derivativeCutoff = derivativeCutoff
            self.prediction = prediction
        }
    }

    /// Identity averaging settings.
    public struct IdentityAveraging: Sendable, Equatable {
        /// Weight factor of a frame judged occluded.
        public var occludedWeight = 0.1
        /// Occlusion (1 − mean landmark visibility) at or above which a frame counts as occluded.
        public var occlusionThreshold = 0.3
        /// Total weight at which the running mean becomes an exponential average.
        public var maximumWeight = 300.0
    }

    /// `[smoothing.*]`: the per-track filters; defaults are FaceTracking's `SmoothingSettings` defaults.
    public struct Smoothing: Sendable, Equatable {
        /// Expression weights.
        public var expression = OneEuro(minimumCutoff: 0.05, beta: 10, derivativeCutoff: 1.5)
        /// Translation and scale (speed normalised by the face size).
        public var translation = OneEuro(minimumCutoff: 0.05, beta: 30, derivativeCutoff: 1)
        /// Rotation (speed in radians per second, filtered on the quaternion sphere).
        public var rotation = OneEuro(minimumCutoff: 0.05, beta: 4, derivativeCutoff: 1.5)
        /// Identity averaging.
        public var identity = IdentityAveraging()
        /// `[smoothing.files]`: the centred window that replaces the filters where the source is a file.
        public var files = FileSmoothing()
        /// `[smoothing.motion]`: the pose of the causal filters carried by the face's measured image motion.
        public var motion = MotionSmoothing()
    }

    /// `[smoothing.motion]` (FaceSmoothing's `MotionGuidance`).
    public struct MotionSmoothing: Sendable, Equatable {
        /// Whether the causal filters' pose follows the measured image motion (false: the One Euro filters).
        public var guided = true
        /// Share of the way from the carried pose to the regressed one, per frame.
        public var correction = 0.15
        /// Share of the way from the carried rotation to the regressed one, per frame.
        public var rotationCorrection = 0.15
        /// Frames of measured motion averaged per step (1…4).
        public var averagedSteps = 3
        /// Share of the way to the regressed pose on a frame without a measured motion.
        public var fallbackCorrection = 0.3
        /// Factor on the measured motion before it carries the pose.
        public var gain = 1.0
    }

    /// `[smoothing.files]`.
    public struct FileSmoothing: Sendable, Equatable {
        /// Frames on each side of a frame that its centred window averages; 0 uses the filters for files too.
        public var lookaheadFrames = 4
    }

    /// `[socket]`.
    public struct Socket: Sendable, Equatable {
        /// Path of the mesh socket.
        public var path = "/run/occlumesh/mesh.sock"
        /// Permission bits of the socket file.
        public var mode: UInt32 = 0o660
        /// Group of the socket file; empty keeps the daemon's group.
        public var group = ""
    }

    /// `[clients]`.
    public struct Clients: Sendable, Equatable {
        /// Most clients at once.
        public var maximumClients = 16
        /// Frame/status messages queued per client before the oldest is dropped.
        public var queueCapacity = 4
        /// Seconds a client may leave queued messages unread before it is disconnected.
        public var stallTimeout = 5.0
        /// Seconds a client has to send hello and subscribe.
        public var handshakeTimeout = 5.0
        /// `SO_SNDBUF` of client sockets in bytes; 0 keeps the kernel default.
        public var sendBufferBytes = 262_144
    }

    /// `[log]`.
    public struct Logging: Sendable, Equatable {
        /// Least severe level written.
        public var level = LogLevel.info
        /// Seconds between status log lines and status messages to clients.
        public var statusInterval = 10.0
    }

    /// Log severities, as swift-log names them.
    public enum LogLevel: String, Sendable, Equatable, CaseIterable {
        /// Everything, including per-frame detail.
        case trace
        /// Diagnostics for developers.
        case debug
        /// Start, stop, clients connecting, periodic status.
        case info
        /// Conditions worth attention that need no action.
        case notice
        /// Problems the daemon works around (dropped frames, evicted clients).
        case warning
        /// Failures of an operation.
        case error
        /// Failures that stop the daemon.
        case critical
    }
}
