import FaceReadout
import MeshProtocol

/// The WebSocket messages the viewer page receives (`docs/viewer.md`): JSON text for what people read, binary for
/// the mesh. All binary numbers are little-endian.
public enum ViewerMessages {
    /// Binary message kinds: the first byte.
    public enum Kind: UInt8 {
        /// Topology: kind, 3 zero bytes, u32 generation, u32 vertex count V, u32 triangle count T, T × 3 u32 indices.
        case topology = 1
        /// Vertices: kind, 1 zero byte, u16 faces, u32 sequence (low 32 bits), then per face u32 track, u32 V, V × 3 f16
        /// (x right, y down, z away, image pixels).
        case vertices = 2
    }

    /// `{"type":"daemon","running":true|false,"message":"…"}`.
    public static func daemonState(running: Bool, message: String) -> String {
        "{\"type\":\"daemon\",\"running\":\(running),\"message\":\(quoted(message))}"
    }

    /// `{"type":"topology","generation":g,"model":"…","vertices":V,"triangles":T,"expressionNames":[…],
    /// "landmarkVertices":[…]}`: the last is, per landmark, the index in the region's vertex array of the vertex
    /// standing for it (-1 if the region lacks it), so the page can put the landmarks on the mesh.
    public static func topologyText(_ topology: RegionTopology, generation: Int) -> String {
        var regionIndex: [UInt32: Int] = [:]
        for (index, head) in topology.headVertexIndices.enumerated() where regionIndex[head] == nil { regionIndex[head] = index }
        let landmarkVertices = topology.landmarkIndices.map { head -> Int in
            if topology.headVertexIndices.isEmpty { return Int(head) < topology.vertexCount ? Int(head) : -1 }
            return regionIndex[head] ?? -1
        }
        return "{\"type\":\"topology\",\"generation\":\(generation),\"model\":\(quoted(topology.modelIdentifier)),"
            + "\"vertices\":\(topology.vertexCount),\"triangles\":\(topology.triangles.count),"
            + "\"expressionNames\":[\(topology.expressionNames.map(quoted).joined(separator: ","))],"
            + "\"landmarkVertices\":[\(landmarkVertices.map(String.init).joined(separator: ","))]}"
    }

    /// The topology's triangles as a binary message.
    public static func topologyBinary(_ topology: RegionTopology, generation: Int) -> [UInt8] {
        var bytes: [UInt8] = [Kind.topology.rawValue, 0, 0, 0]
        bytes.reserveCapacity(16 + topology.triangles.count * 12)
        append(UInt32(truncatingIfNeeded: generation), to: &bytes)
        append(UInt32(topology.vertexCount), to: &bytes)
        append(UInt32(topology.triangles.count), to: &bytes)
        for triangle in topology.triangles {
            append(triangle.x, to: &bytes)
            append(triangle.y, to: &bytes)
            append(triangle.z, to: &bytes)
        }
        return bytes
    }

    /// One frame for people: sequence, time, latency, the daemon's counters and per face track, confidence,
    /// yaw/pitch/roll in degrees, expression weights, landmarks `[x0, y0, x1, y1, …]` and their visibility.
    public static func frameText(_ frame: ReceivedFrame, status: StatusReport?) -> String {
        var text = "{\"type\":\"frame\",\"sequence\":\(frame.sequence),\"timestamp\":\(number(frame.sourceTimestamp)),"
        text += "\"latencyMs\":\(number(frame.latency * 1000)),\"droppedBefore\":\(frame.droppedBefore),"
        text += "\"status\":{"
        if let status {
            var fields = ["\"droppedForViewer\":\(status.droppedForClient)"]
            for name in ["fps", "frames_in", "frames_out", "frames_dropped", "clients"] {
                if let value = status[name] { fields.append("\(quoted(name)):\(number(value))") }
            }
            text += fields.joined(separator: ",")
        }
        text += "},\"faces\":["
        text += frame.faces.map { face in
            let angles = HeadAngles(rotation: face.pose.rotation)
            var object = "{\"track\":\(face.trackIdentifier),\"confidence\":\(number(Double(face.confidence))),"
            object += "\"yaw\":\(number(Double(angles.yaw))),\"pitch\":\(number(Double(angles.pitch))),\"roll\":\(number(Double(angles.roll))),"
            object += "\"expression\":\(list(face.expressionWeights)),"
            object += "\"landmarks\":\(list(face.landmarks.flatMap { [$0.x, $0.y] })),"
            object += "\"visibility\":\(list(face.landmarkVisibility))}"
            return object
        }.joined(separator: ",")
        return text + "]}"
    }

    /// The frame's vertices as a binary message of float16 values.
    public static func verticesBinary(_ frame: ReceivedFrame) -> [UInt8] {
        var bytes: [UInt8] = [Kind.vertices.rawValue, 0]
        let faceCount = UInt16(min(frame.faces.count, Int(UInt16.max)))
        bytes += [UInt8(faceCount & 0xFF), UInt8(faceCount >> 8)]
        append(UInt32(truncatingIfNeeded: frame.sequence), to: &bytes)
        bytes.reserveCapacity(bytes.count + frame.faces.reduce(0) { $0 + 8 + $1.vertices.count * 6 })
        for face in frame.faces.prefix(Int(faceCount)) {
            append(face.trackIdentifier, to: &bytes)
            append(UInt32(face.vertices.count), to: &bytes)
            for vertex in face.vertices {
                for component in [vertex.x, vertex.y, vertex.z] {
                    let half = Float16(component.isFinite ? component : 0).bitPattern
                    bytes += [UInt8(half & 0xFF), UInt8(half >> 8)]
                }
            }
        }
        return bytes
    }

    static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value & 0xFF), UInt8((value >> 8) & 0xFF), UInt8((value >> 16) & 0xFF), UInt8(value >> 24)]
    }

    static func number(_ value: Double) -> String { value.isFinite ? "\(value)" : "null" }

    static func list(_ values: [Float]) -> String {
        "[" + values.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ",") + "]"
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    result.unicodeScalars.append(scalar)
                }
            }
        }
        return result + "\""
    }
}
