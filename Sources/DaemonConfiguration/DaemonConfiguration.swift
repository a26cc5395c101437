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
    /// `[smoothing]`: temporal filters of pose, expression and identity.
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
        /// Capture (or scaling) width in pixels; 0 keeps the source's.
        public var width = 1280
        /// Capture (or scaling) height in pixels; 0 keeps the source's.
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
        /// Trained ORN network weights.
        public var network = "/usr/share/occlumesh/orn.weights"
        /// The 3D morphable face model (mean shape, identity and expression bases, topology).
        public var faceModel = "/usr/share/occlumesh/face-model.bin"
        /// Face detector weights.
        public var detector = "/usr/share/occlumesh/detector.weights"
    }

    /// `[tracking]`.
    public struct Tracking: Sendable, Equatable {
        /// Most faces tracked at once.
        public var maximumFaces = 4
        /// Full detection every this many frames; tracking alone in between.
        public var detectorInterval = 10
        /// Detections below this confidence are ignored.
        public var minimumConfidence = 0.5
        /// Frames a track survives without a match before it is dropped.
        public var trackLossFrames = 15
    }

    /// `[smoothing]`: One Euro filters on pose and expression, an exponential average on identity.
    public struct Smoothing: Sendable, Equatable {
        /// One Euro minimum cutoff frequency in Hz: lower is smoother at rest.
        public var minimumCutoff = 1.0
        /// One Euro speed coefficient: higher follows fast motion with less lag.
        public var beta = 0.05
        /// One Euro cutoff for the derivative, in Hz.
        public var derivativeCutoff = 1.0
        /// Weight of the previous identity estimate per frame, 0…1 (1 freezes it).
        public var identityMomentum = 0.95
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
