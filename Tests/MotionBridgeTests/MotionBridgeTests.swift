import Foundation
import DaemonConfiguration
import FaceModel
import FaceReadout
import MeshProtocol
import MotionBridge
import OSCEncoding
import Testing

/// The ICT → ARKit mapping, the calibration file and the VMC/OSC messages built from frames.
@Suite("motion bridge")
struct MotionBridgeTests {
    /// The 53 ICT-FaceKit expression names in the face model's order.
    static let ictNames = [
        "browDown_L", "browDown_R", "browInnerUp_L", "browInnerUp_R", "browOuterUp_L", "browOuterUp_R", "cheekPuff_L",
        "cheekPuff_R", "cheekSquint_L", "cheekSquint_R", "eyeBlink_L", "eyeBlink_R", "eyeLookDown_L", "eyeLookDown_R",
        "eyeLookIn_L", "eyeLookIn_R", "eyeLookOut_L", "eyeLookOut_R", "eyeLookUp_L", "eyeLookUp_R", "eyeSquint_L",
        "eyeSquint_R", "eyeWide_L", "eyeWide_R", "jawForward", "jawLeft", "jawOpen", "jawRight", "mouthClose",
        "mouthDimple_L", "mouthDimple_R", "mouthFrown_L", "mouthFrown_R", "mouthFunnel", "mouthLeft", "mouthLowerDown_L",
        "mouthLowerDown_R", "mouthPress_L", "mouthPress_R", "mouthPucker", "mouthRight", "mouthRollLower",
        "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper", "mouthSmile_L", "mouthSmile_R", "mouthStretch_L",
        "mouthStretch_R", "mouthUpperUp_L", "mouthUpperUp_R", "noseSneer_L", "noseSneer_R",
    ]

    @Test("every ICT name feeds exactly one ARKit shape; browInnerUp and cheekPuff are the means of their pairs")
    func mapping() throws {
        #expect(ARKitBlendshapes.names.count == 52 && Set(ARKitBlendshapes.names).count == 52)
        let mapping = ARKitBlendshapes(expressionNames: Self.ictNames)
        #expect(mapping.missing.isEmpty)
        #expect(mapping.sourceIndices.flatMap { $0 }.sorted() == Array(0..<53))
        var weights = (0..<53).map { Float($0) / 100 }
        weights[2] = 0.2; weights[3] = 0.6; weights[6] = 0.1; weights[7] = 0.0
        let arkit = mapping.weights(from: weights)
        func value(_ name: String) throws -> Float { arkit[try #require(ARKitBlendshapes.names.firstIndex(of: name))] }
        #expect(try abs(value("browInnerUp") - 0.4) < 1e-6)
        #expect(try abs(value("cheekPuff") - 0.05) < 1e-6)
        #expect(try value("eyeBlinkLeft") == 0.10 && value("eyeBlinkRight") == 0.11)
        #expect(try value("jawLeft") == 0.25 && value("mouthRight") == 0.40)
        #expect(try value("noseSneerRight") == 0.52 && value("tongueOut") == 0)
        #expect(ARKitBlendshapes.perfectSyncName("eyeBlinkLeft") == "EyeBlinkLeft")
    }

    @Test("a calibration file scales and shifts the shapes it names and clamps to 0…1")
    func calibration() throws {
        let calibration = try ShapeCalibration(toml: "[jawOpen]\ngain = 2\n[eyeBlinkLeft]\noffset = -0.25\ngain = 1.5\n")
        var weights = Array(repeating: Float(0.4), count: 52)
        weights[24] = 0.7  // jawOpen
        let result = calibration.apply(weights)
        #expect(result[24] == 1)  // 1.4 clamped
        #expect(abs(result[8] - 0.35) < 1e-6)  // eyeBlinkLeft: 1.5 · 0.4 − 0.25
        #expect(result[0] == 0.4)
    }

    @Test("a bad calibration file is one line naming the key and line", arguments: [
        ("[jawOpen]\ngain = 1e9\n", "jawOpen.gain (line 2)"),
        ("[jawOpen]\ngain = nan\n", "jawOpen.gain (line 2)"),
        ("[jawOpen]\noffset = -3\n", "jawOpen.offset (line 2)"),
        ("[jawopen]\ngain = 1\n", "jawopen.gain (line 2)"),
        ("[jawOpen]\nscale = 1\n", "jawOpen.scale (line 2)"),
        ("[jawOpen]\ngain = \"big\"\n", "jawOpen.gain"),
        ("gain = 2\n", "gain (line 1)"),
        ("[jawOpen\n", "line 1"),
    ])
    func badCalibration(text: String, named: String) {
        #expect { try ShapeCalibration(toml: text) } throws: { error in
            let line = "\(error)"
            return line.contains(named) && !line.contains("\n")
        }
    }

    static func face(track: UInt32, confidence: Float = 0.9, rotation: SIMD4<Float> = SIMD4(1, 0, 0, 0)) -> PublishedFace {
        var weights = Array(repeating: Float(0), count: 53)
        weights[26] = 0.75  // jawOpen
        return PublishedFace(
            trackIdentifier: track, confidence: confidence, pose: PublishedPose(rotation: rotation, translation: SIMD3(320, 240, 0), scale: 10),
            expressionWeights: weights, identity: [], landmarks: [], landmarkVisibility: Array(repeating: 1, count: 68), vertices: [])
    }

    @Test("VMC: OK, time, root, Head, 52 Blend/Val by Perfect-Sync name, then Apply; a frame without faces says tracking 0")
    func vmcMessages() throws {
        var encoder = VMCEncoder(expressionNames: Self.ictNames)
        let frame = ReceivedFrame(sequence: 3, sourceTimestamp: 0.1, latency: 0.001, droppedBefore: 0, faces: [Self.face(track: 4)])
        let messages = encoder.bundle(for: frame).messages
        #expect(messages.map(\.address) == ["/VMC/Ext/OK", "/VMC/Ext/T", "/VMC/Ext/Root/Pos", "/VMC/Ext/Bone/Pos"]
            + Array(repeating: "/VMC/Ext/Blend/Val", count: 52) + ["/VMC/Ext/Blend/Apply"])
        #expect(messages[0].arguments == [.int32(1), .int32(3), .int32(0), .int32(1)])
        #expect(messages[3].arguments == [.string("Head"), .float32(0), .float32(0), .float32(0), .float32(0), .float32(0), .float32(0), .float32(1)])
        #expect(messages[4 + 24].arguments == [.string("JawOpen"), .float32(0.75)])
        let empty = ReceivedFrame(sequence: 4, sourceTimestamp: 0.2, latency: 0.001, droppedBefore: 0, faces: [])
        #expect(encoder.bundle(for: empty).messages.first?.arguments == [.int32(1), .int32(3), .int32(0), .int32(0)])
    }

    @Test("VMC head rotation: Unity's axes, so a yaw toward the person's left turns the avatar to its left (about +y, negative)")
    func vmcHeadRotation() {
        let radians: Float = .pi / 180
        let published = (Quaternion(x: 1, y: 0, z: 0, w: 0) * Quaternion(angle: 30 * radians, axis: SIMD3(0, 1, 0))).vector
        let unity = VMCEncoder.unityRotation(published)
        // 30° about the model's +y (the person's left) is −30° about Unity's +y (left-handed, x to the right).
        #expect(abs(unity.y + sinf(15 * radians)) < 1e-5 && abs(unity.w - cosf(15 * radians)) < 1e-5)
        #expect(abs(unity.x) < 1e-6 && abs(unity.z) < 1e-6)
    }

    @Test("the followed face stays while present; otherwise the most confident one is taken")
    func faceSelection() {
        var selection = FaceSelection()
        #expect(selection.follow([Self.face(track: 1, confidence: 0.5), Self.face(track: 2, confidence: 0.8)])?.trackIdentifier == 2)
        #expect(selection.follow([Self.face(track: 2, confidence: 0.3), Self.face(track: 5, confidence: 0.9)])?.trackIdentifier == 2)
        #expect(selection.follow([Self.face(track: 5, confidence: 0.9)])?.trackIdentifier == 5)
        #expect(selection.follow([]) == nil)
    }

    @Test("plain OSC: a frame message, then per face track, confidence, pose in degrees, position, visible, 52 expressions")
    func genericMessages() {
        let encoder = GenericOSCEncoder(expressionNames: Self.ictNames)
        let frame = ReceivedFrame(sequence: 9, sourceTimestamp: 0.3, latency: 0.002, droppedBefore: 0,
                                  faces: [Self.face(track: 4), Self.face(track: 6)])
        let messages = encoder.bundle(for: frame).messages
        #expect(messages.count == 1 + 2 * (5 + 52))
        #expect(messages[0].address == "/occlumesh/frame" && messages[0].arguments == [.int32(9), .float32(0.3), .float32(2), .int32(2)])
        #expect(messages[1 + 57].address == "/occlumesh/face/1/track" && messages[1 + 57].arguments == [.int32(6)])
        #expect(messages[3].address == "/occlumesh/face/0/pose" && messages[3].arguments == [.float32(0), .float32(0), .float32(0)])
        #expect(messages[5].arguments == [.int32(68)])
        #expect(messages[6 + 24].address == "/occlumesh/face/0/expression/jawOpen" && messages[6 + 24].arguments == [.float32(0.75)])
    }
}
