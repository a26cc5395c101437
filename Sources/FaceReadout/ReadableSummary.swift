import MeshProtocol
import OcclumeshClient

/// What `occlumesh subscribe` prints for people: one line per interval (a second) with the frame rate and
/// latency seen over it and, for each face of the newest frame, its track, head angles, three strongest
/// expressions and how many landmarks are visible.
///
/// Times are passed in (seconds on any monotonic clock), so the summary is the same for the same frames.
public struct ReadableSummary: Sendable {
    /// Seconds each line covers.
    public let interval: Double
    /// Expression names in weight order, from the topology.
    public let expressionNames: [String]
    /// A landmark counts as visible at or above this visibility.
    public static let visibleThreshold: Float = 0.5

    private var windowStart: Double?
    private var framesInWindow = 0
    private var lastFrameTime = 0.0
    private var latencySum = 0.0
    private var droppedInWindow: UInt64 = 0
    private var newest: ReceivedFrame?
    private var status: StatusReport?

    /// A summary over `interval` seconds, naming weights by `expressionNames`.
    public init(expressionNames: [String], interval: Double = 1) {
        self.expressionNames = expressionNames
        self.interval = interval
    }

    /// Takes a frame received at `time`; returns the line for the interval it closes, if it closes one.
    public mutating func add(_ frame: ReceivedFrame, at time: Double) -> String? {
        var line: String?
        if let start = windowStart, time - start >= interval { line = flush(at: time) }
        if windowStart == nil { windowStart = time }
        framesInWindow += 1
        lastFrameTime = time
        latencySum += frame.latency
        droppedInWindow += UInt64(frame.droppedBefore)
        newest = frame
        return line
    }

    /// Takes a status message; its counters appear on the next line.
    public mutating func add(_ status: StatusReport) {
        self.status = status
    }

    /// The line for what arrived since the last one (nil if nothing did), starting a new interval.
    public mutating func flush(at time: Double) -> String? {
        guard let start = windowStart, let frame = newest, framesInWindow > 0 else { return nil }
        // A full interval: frames over its length. A shorter last one (the stream ended): the spacing of its frames.
        let elapsed = time - start
        let fps = elapsed >= interval ? Double(framesInWindow) / elapsed
            : framesInWindow > 1 && lastFrameTime > start ? Double(framesInWindow - 1) / (lastFrameTime - start)
            : Double(framesInWindow) / interval
        var line = "\(FrameFormatting.fixed(fps, 1)) fps, latency \(FrameFormatting.fixed(latencySum / Double(framesInWindow) * 1000, 1)) ms"
        if droppedInWindow > 0 { line += ", \(droppedInWindow) dropped" }
        if let pipelineFPS = status?["fps"] { line += " (pipeline \(FrameFormatting.fixed(pipelineFPS, 1)) fps)" }
        line += " | frame \(frame.sequence): "
        line += frame.faces.isEmpty ? "no face" : frame.faces.map(describe).joined(separator: " | ")
        windowStart = time
        framesInWindow = 0
        latencySum = 0
        droppedInWindow = 0
        return line
    }

    /// One face: `track 3: yaw -12° pitch 4° roll 1°; jawOpen 0.42, eyeBlink_L 0.31, mouthSmile_R 0.20; 61/68 landmarks visible`.
    public func describe(_ face: PublishedFace) -> String {
        let angles = HeadAngles(rotation: face.pose.rotation)
        var text = "track \(face.trackIdentifier): yaw \(FrameFormatting.fixed(Double(angles.yaw), 0))° "
            + "pitch \(FrameFormatting.fixed(Double(angles.pitch), 0))° roll \(FrameFormatting.fixed(Double(angles.roll), 0))°; "
        text += Self.strongest(face.expressionWeights, count: 3).map { index in
            let name = index < expressionNames.count ? expressionNames[index] : "#\(index)"
            return "\(name) \(FrameFormatting.fixed(Double(face.expressionWeights[index]), 2))"
        }.joined(separator: ", ")
        if !face.landmarkVisibility.isEmpty {
            let visible = face.landmarkVisibility.filter { $0 >= Self.visibleThreshold }.count
            text += "; \(visible)/\(face.landmarkVisibility.count) landmarks visible"
        }
        return text
    }

    /// Indices of the `count` largest finite weights, largest first (ties: lower index first).
    public static func strongest(_ weights: [Float], count: Int) -> [Int] {
        let finite = weights.indices.filter { weights[$0].isFinite }
        let sorted = finite.sorted { weights[$0] != weights[$1] ? weights[$0] > weights[$1] : $0 < $1 }
        return Array(sorted.prefix(count))
    }
}
