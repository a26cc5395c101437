import FaceReadout
import MeshProtocol
import OSCEncoding

/// Turns received frames into plain OSC for TouchDesigner, Max, Pure Data and the like: one bundle per frame, one
/// message per value group, every face (`docs/bridges.md` lists the address space):
///
/// - `/occlumesh/frame` (i sequence, f timestamp s, f latency ms, i faces)
/// - per face n (0, 1, … in the frame's order): `/occlumesh/face/n/track` (i), `/occlumesh/face/n/confidence` (f),
///   `/occlumesh/face/n/pose` (f yaw, f pitch, f roll; degrees, `HeadAngles`), `/occlumesh/face/n/position`
///   (f x, f y image pixels, f scale pixels per cm), `/occlumesh/face/n/visible` (i landmarks visible of 68),
///   `/occlumesh/face/n/expression/NAME` (f weight) for each of ARKit's 52 names.
public struct GenericOSCEncoder: Sendable {
    private let mapping: ARKitBlendshapes
    private let calibration: ShapeCalibration

    /// An encoder for a topology's expression names, with a calibration applied to the ARKit weights.
    public init(expressionNames: [String], calibration: ShapeCalibration = ShapeCalibration()) {
        mapping = ARKitBlendshapes(expressionNames: expressionNames)
        self.calibration = calibration
    }

    /// The bundle for one frame.
    public func bundle(for frame: ReceivedFrame) -> OSCBundle {
        var messages = [OSCMessage("/occlumesh/frame", [
            .int32(Int32(truncatingIfNeeded: frame.sequence)), .float32(Float(frame.sourceTimestamp)),
            .float32(Float(frame.latency * 1000)), .int32(Int32(frame.faces.count)),
        ])]
        for (slot, face) in frame.faces.enumerated() {
            let prefix = "/occlumesh/face/\(slot)"
            let angles = HeadAngles(rotation: face.pose.rotation)
            messages.append(OSCMessage(prefix + "/track", [.int32(Int32(bitPattern: face.trackIdentifier))]))
            messages.append(OSCMessage(prefix + "/confidence", [.float32(face.confidence)]))
            messages.append(OSCMessage(prefix + "/pose", [.float32(angles.yaw), .float32(angles.pitch), .float32(angles.roll)]))
            messages.append(OSCMessage(prefix + "/position", [
                .float32(face.pose.translation.x), .float32(face.pose.translation.y), .float32(face.pose.scale),
            ]))
            let visible = face.landmarkVisibility.filter { $0 >= ReadableSummary.visibleThreshold }.count
            messages.append(OSCMessage(prefix + "/visible", [.int32(Int32(visible))]))
            let weights = calibration.apply(mapping.weights(from: face.expressionWeights))
            for (name, weight) in zip(ARKitBlendshapes.names, weights) {
                messages.append(OSCMessage(prefix + "/expression/" + name, [.float32(weight)]))
            }
        }
        return OSCBundle(messages)
    }
}
