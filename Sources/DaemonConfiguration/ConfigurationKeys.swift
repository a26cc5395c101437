/// A config entry being read into a field, with typed accessors that throw errors naming the key.
struct KeyValue {
    let entry: TOMLEntry

    private func wrongType(_ expected: String) -> ConfigurationError {
        .wrongType(entry.key, expected: expected, found: entry.value.typeName, line: entry.line)
    }

    private func outOfRange(_ reason: String) -> ConfigurationError {
        .invalidValue(entry.key, reason, line: entry.line)
    }

    func string(nonEmpty: Bool = false) throws(ConfigurationError) -> String {
        guard case .string(let text) = entry.value else { throw wrongType("a string") }
        if nonEmpty, text.isEmpty { throw outOfRange("must not be empty") }
        return text
    }

    func integer(_ range: ClosedRange<Int64>) throws(ConfigurationError) -> Int {
        guard case .integer(let number) = entry.value else { throw wrongType("an integer") }
        guard range.contains(number) else { throw outOfRange("\(number) is outside \(range.lowerBound)…\(range.upperBound)") }
        return Int(number)
    }

    /// A float; integers are accepted too (`fps = 30`).
    func number(_ range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        let number: Double
        switch entry.value {
        case .float(let value): number = value
        case .integer(let value): number = Double(value)
        default: throw wrongType("a number")
        }
        guard range.contains(number) else { throw outOfRange("\(number) is outside \(range.lowerBound)…\(range.upperBound)") }
        return number
    }

    func boolean() throws(ConfigurationError) -> Bool {
        guard case .boolean(let flag) = entry.value else { throw wrongType("true or false") }
        return flag
    }

    func choice<Choice: RawRepresentable & CaseIterable>(_: Choice.Type) throws(ConfigurationError) -> Choice
    where Choice.RawValue == String {
        let text = try string()
        guard let choice = Choice(rawValue: text) else {
            throw outOfRange("'\(TOMLParser.excerpt(text))' is not one of \(Choice.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return choice
    }
}

/// Every key the config file may hold, and the field it sets.
enum ConfigurationKeys {
    /// Sets one field; throws only `ConfigurationError` (closure literals cannot spell typed throws here).
    typealias Binding = @Sendable (inout DaemonConfiguration, KeyValue) throws -> Void

    static let bindings: [String: Binding] = [
        "source.input": { $0.source.input = try $1.string(nonEmpty: true) },
        "source.width": { $0.source.width = try $1.integer(0...16384) },
        "source.height": { $0.source.height = try $1.integer(0...16384) },
        "source.fps": { $0.source.framesPerSecond = try $1.number(0...1000) },
        "source.realtime": { $0.source.realtime = try $1.boolean() },
        "model.regressor": { $0.model.regressor = try $1.string(nonEmpty: true) },
        "model.face_model": { $0.model.faceModel = try $1.string(nonEmpty: true) },
        "model.detector": { $0.model.detector = try $1.string(nonEmpty: true) },
        "model.full_range_detector": { $0.model.fullRangeDetector = try $1.string() },
        "model.mirror_average": { $0.model.mirrorAverage = try $1.boolean() },
        "model.mirror_average_stills": { $0.model.mirrorAverageStills = try $1.boolean() },
        "tracking.max_faces": { $0.tracking.maximumFaces = try $1.integer(1...64) },
        "tracking.detector_interval": { $0.tracking.detectorInterval = try $1.integer(1...10000) },
        "tracking.min_confidence": { $0.tracking.minimumConfidence = try $1.number(0...1) },
        "tracking.min_new_face_score": { $0.tracking.minimumNewFaceScore = try $1.number(0...1) },
        "tracking.min_visibility": { $0.tracking.minimumVisibility = try $1.number(0...1) },
        "tracking.follow_landmarks": { $0.tracking.followLandmarks = try $1.boolean() },
        "tracking.track_loss_frames": { $0.tracking.trackLossFrames = try $1.integer(1...10000) },
        "tracking.instant_new_face_score": { $0.tracking.instantNewFaceScore = try $1.number(0...1) },
        "tracking.min_face_score": { $0.tracking.minimumFaceScore = try $1.number(0...1) },
        "tracking.lost_face_score": { $0.tracking.lostFaceScore = try $1.number(0...1) },
        "tracking.mirror_face_score": { $0.tracking.mirrorFaceScore = try $1.boolean() },
        "tracking.reframe_face_score": { $0.tracking.reframeFaceScore = try $1.boolean() },
        "tracking.reframe_min_face_score": { $0.tracking.reframeMinimumFaceScore = try $1.number(0...1) },
        "tracking.full_range_interval": { $0.tracking.fullRangeInterval = try $1.integer(0...10000) },
        "tracking.tiled_look": { $0.tracking.tiledLook = try $1.boolean() },
        "tracking.tiled_min_face_score": { $0.tracking.tiledMinimumFaceScore = try $1.number(0...1) },
        "tracking.tile_grid": { $0.tracking.tileGrid = try $1.integer(2...4) },  // TrackerConfiguration.tileGrids
        "smoothing.expression.min_cutoff": { $0.smoothing.expression.minimumCutoff = try $1.number(0.000_001...1000) },
        "smoothing.expression.beta": { $0.smoothing.expression.beta = try $1.number(0...10000) },
        "smoothing.expression.derivative_cutoff": { $0.smoothing.expression.derivativeCutoff = try $1.number(0.000_001...1000) },
        "smoothing.expression.prediction": { $0.smoothing.expression.prediction = try $1.number(0...10) },
        "smoothing.translation.min_cutoff": { $0.smoothing.translation.minimumCutoff = try $1.number(0.000_001...1000) },
        "smoothing.translation.beta": { $0.smoothing.translation.beta = try $1.number(0...10000) },
        "smoothing.translation.derivative_cutoff": { $0.smoothing.translation.derivativeCutoff = try $1.number(0.000_001...1000) },
        "smoothing.translation.prediction": { $0.smoothing.translation.prediction = try $1.number(0...10) },
        "smoothing.rotation.min_cutoff": { $0.smoothing.rotation.minimumCutoff = try $1.number(0.000_001...1000) },
        "smoothing.rotation.beta": { $0.smoothing.rotation.beta = try $1.number(0...10000) },
        "smoothing.rotation.derivative_cutoff": { $0.smoothing.rotation.derivativeCutoff = try $1.number(0.000_001...1000) },
        "smoothing.rotation.prediction": { $0.smoothing.rotation.prediction = try $1.number(0...10) },
        "smoothing.identity.occluded_weight": { $0.smoothing.identity.occludedWeight = try $1.number(0...1) },
        "smoothing.identity.occlusion_threshold": { $0.smoothing.identity.occlusionThreshold = try $1.number(0...1) },
        "smoothing.identity.maximum_weight": { $0.smoothing.identity.maximumWeight = try $1.number(0.000_001...1_000_000) },
        "smoothing.files.lookahead_frames": { $0.smoothing.files.lookaheadFrames = try $1.integer(0...30) },
        "smoothing.motion.guided": { $0.smoothing.motion.guided = try $1.boolean() },
        "smoothing.motion.correction": { $0.smoothing.motion.correction = try $1.number(0.001...1) },
        "smoothing.motion.rotation_correction": { $0.smoothing.motion.rotationCorrection = try $1.number(0.001...1) },
        "smoothing.motion.averaged_steps": { $0.smoothing.motion.averagedSteps = try $1.integer(1...4) },
        "smoothing.motion.fallback_correction": { $0.smoothing.motion.fallbackCorrection = try $1.number(0...1) },
        "smoothing.motion.gain": { $0.smoothing.motion.gain = try $1.number(0.5...2) },
        "socket.path": { $0.socket.path = try $1.string(nonEmpty: true) },
        "socket.mode": { $0.socket.mode = UInt32(try $1.integer(0...0o777)) },
        "socket.group": { $0.socket.group = try $1.string() },
        "clients.max_clients": { $0.clients.maximumClients = try $1.integer(1...1024) },
        "clients.queue_capacity": { $0.clients.queueCapacity = try $1.integer(1...1024) },
        "clients.stall_timeout": { $0.clients.stallTimeout = try $1.number(0.001...3600) },
        "clients.handshake_timeout": { $0.clients.handshakeTimeout = try $1.number(0.001...3600) },
        "clients.send_buffer_bytes": { $0.clients.sendBufferBytes = try $1.integer(0...(64 << 20)) },
        "log.level": { $0.log.level = try $1.choice(DaemonConfiguration.LogLevel.self) },
        "log.status_interval": { $0.log.statusInterval = try $1.number(0.1...86400) },
    ]
}
