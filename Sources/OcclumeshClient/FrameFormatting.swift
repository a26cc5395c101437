import MeshProtocol

/// Text forms of received frames, for `occlumesh subscribe` and logs.
public enum FrameFormatting {
    /// One JSON object on one line:
    /// `{"sequence": n, "timestamp": t, "latency_ms": l, "dropped_before": d, "faces": [{"track": id,
    /// "confidence": c, "rotation": [x,y,z,w], "translation": [x,y,z], "scale": s, "expression": […],
    /// "identity": […], "landmarks68": [[x,y], …], "visibility68": […], "vertices": count}]}`.
    /// Non-finite numbers are written as `null`.
    public static func jsonLine(_ frame: ReceivedFrame) -> String {
        var text = "{\"sequence\": \(frame.sequence), \"timestamp\": \(number(frame.sourceTimestamp)), "
        text += "\"latency_ms\": \(number(frame.latency * 1000)), \"dropped_before\": \(frame.droppedBefore), \"faces\": ["
        text += frame.faces.map { face in
            var object = "{\"track\": \(face.trackIdentifier), \"confidence\": \(number(face.confidence)), "
            object += "\"rotation\": \(list((0..<4).map { face.pose.rotation[$0] })), "
            object += "\"translation\": \(list((0..<3).map { face.pose.translation[$0] })), "
            object += "\"scale\": \(number(face.pose.scale)), "
            object += "\"expression\": \(list(face.expressionWeights)), \"identity\": \(list(face.identity)), "
            object += "\"landmarks68\": [" + face.landmarks.map { list([$0.x, $0.y]) }.joined(separator: ", ") + "], "
            object += "\"visibility68\": \(list(face.landmarkVisibility)), \"vertices\": \(face.vertices.count)}"
            return object
        }.joined(separator: ", ")
        return text + "]}"
    }

    /// One short line for people: sequence, time, latency, and per face its track, confidence and vertex count.
    public static func summaryLine(_ frame: ReceivedFrame) -> String {
        let faces = frame.faces.map { "track \($0.trackIdentifier) (confidence \(fixed(Double($0.confidence), 2)), \($0.vertices.count) vertices)" }
        var line = "frame \(frame.sequence) t=\(fixed(frame.sourceTimestamp, 3))s latency \(fixed(frame.latency * 1000, 2)) ms"
        if frame.droppedBefore > 0 { line += " (\(frame.droppedBefore) dropped before)" }
        return line + ": " + (faces.isEmpty ? "no faces" : faces.joined(separator: ", "))
    }

    private static func number(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "null"
    }

    private static func number(_ value: Float) -> String {
        value.isFinite ? "\(value)" : "null"
    }

    private static func list(_ values: [Float]) -> String {
        "[" + values.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ", ") + "]"
    }

    /// `value` with `digits` decimals, without Foundation's locale-dependent formatting (a comma would break the
    /// lines programs parse); shared by every readable view of the stream.
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (abs(value) * scale).rounded()
        let whole = Int(rounded / scale)
        let fraction = String(Int(rounded.truncatingRemainder(dividingBy: scale)))
        let padded = String(repeating: "0", count: max(0, digits - fraction.count)) + fraction
        return (value < 0 && rounded > 0 ? "-" : "") + "\(whole)" + (digits > 0 ? ".\(padded)" : "")
    }
}
