import Foundation
import MeshProtocol
import OcclumeshClient
import TestSupport
import Testing

/// What the client makes of the stream after the handshake: frames split across reads, identities sent once, status
/// and goodbye, and a server that goes away between or in the middle of messages.
@Suite("client stream")
struct StreamTests {
    @Test("frames split across many reads decode whole and in order")
    func framesInManyReads() throws {
        let faces = [ScriptedServer.face(track: 3, identity: [0.5, -1])]
        let frames = (0..<3).map { ScriptedServer.frame(UInt64($0), faces: faces, identityFor: [3]) }.reduce([], +)
        let server = try ScriptedServer([.send(ScriptedServer.handshake), .trickle(frames)])
        let client = try OcclumeshClient(socketPath: server.path)
        var sequences: [UInt64] = []
        while let frame = try client.nextFrame() {
            sequences.append(frame.sequence)
            #expect(frame.faces.count == 1)
            #expect(frame.faces.first?.vertices == [SIMD3(0, 0, 0), SIMD3(4, 0, 0), SIMD3(9, 0, 0)])
            #expect(frame.faces.first?.expressionWeights == [0.25, 0.75])
        }
        #expect(sequences == [0, 1, 2])
    }

    @Test("an identity sent once is filled into the later frames of its track, and only of its track")
    func identityCache() throws {
        let first = ScriptedServer.frame(0, faces: [ScriptedServer.face(track: 3, identity: [0.5, -1])], identityFor: [3])
        // Later frames leave track 3's identity out; track 4 is new and its identity was never sent.
        let second = ScriptedServer.frame(1, faces: [ScriptedServer.face(track: 3, identity: [0.5, -1]), ScriptedServer.face(track: 4, identity: [9, 9])],
                                          identityFor: [])
        let third = ScriptedServer.frame(2, faces: [ScriptedServer.face(track: 3, identity: [2, 2])], identityFor: [3])
        let fourth = ScriptedServer.frame(3, faces: [ScriptedServer.face(track: 3, identity: [2, 2])], identityFor: [])
        let server = try ScriptedServer([.send(ScriptedServer.handshake + first + second + third + fourth)])
        let client = try OcclumeshClient(socketPath: server.path)
        var identities: [[[Float]]] = []
        while let frame = try client.nextFrame() { identities.append(frame.faces.map(\.identity)) }
        #expect(identities == [[[0.5, -1]], [[0.5, -1], []], [[2, 2]], [[2, 2]]])
    }

    @Test("status messages are kept and skipped by nextFrame; a goodbye ends the stream and is kept")
    func statusAndGoodbye() throws {
        let status = StatusReport(droppedForClient: 2, counters: [StatusCounter("frames_in", 42)])
        let goodbye = Goodbye(code: .serverStopping, reason: "stopping")
        let frame = ScriptedServer.frame(7, faces: [], identityFor: [])
        let server = try ScriptedServer([
            .send(ScriptedServer.handshake + MessageEncoder.status(status) + frame + MessageEncoder.goodbye(goodbye)),
            .waitForClientToClose,
        ])
        let client = try OcclumeshClient(socketPath: server.path)
        #expect(try client.nextFrame()?.sequence == 7)
        #expect(client.lastStatus == status)
        #expect(client.goodbye == nil)
        #expect(try client.nextFrame() == nil)
        #expect(client.goodbye == goodbye)
        // After a goodbye the client reads no more: the server's silence does not block it.
        #expect(try client.nextMessage() == nil)
        client.close()
    }

    @Test("a server closing between messages ends the stream; closing mid-frame is an error")
    func serverGoesAway() throws {
        let frame = ScriptedServer.frame(1, faces: [ScriptedServer.face(track: 1, identity: [1, 1])], identityFor: [1])
        let between = try ScriptedServer([.send(ScriptedServer.handshake + frame)])
        let first = try OcclumeshClient(socketPath: between.path)
        #expect(try first.nextFrame()?.sequence == 1)
        #expect(try first.nextFrame() == nil)
        #expect(first.goodbye == nil)

        let midFrame = try ScriptedServer([.send(ScriptedServer.handshake + frame + Array(frame.prefix(frame.count / 2)))])
        let second = try OcclumeshClient(socketPath: midFrame.path)
        #expect(try second.nextFrame()?.sequence == 1)
        #expect(throws: ClientError.connectionClosed(midMessage: true)) { try second.nextFrame() }
    }

    @Test("a corrupt frame after the handshake is a protocol violation")
    func corruptFrame() throws {
        var frame = ScriptedServer.frame(1, faces: [ScriptedServer.face(track: 1, identity: [1, 1])], identityFor: [1])
        frame.removeLast(4)
        frame.replaceSubrange(0..<4, with: withUnsafeBytes(of: UInt32(frame.count - 4).littleEndian) { Array($0) })
        let server = try ScriptedServer([.send(ScriptedServer.handshake + frame), .waitForClientToClose])
        let client = try OcclumeshClient(socketPath: server.path)
        let error = #expect(throws: ClientError.self) { try client.nextFrame() }
        guard case .protocolViolation(.truncated(.frame, _, _))? = error else {
            Issue.record("expected a truncated frame, got \(String(describing: error))")
            return
        }
    }

    @Test("resubscribing sends the new subscription, and the topology that follows replaces the old one")
    func resubscribe() throws {
        var wholeHead = ScriptedServer.topology
        wholeHead.region = .wholeHead
        wholeHead.vertexCount = 10
        wholeHead.headVertexIndices = Array(0..<10)
        let subscription = Subscription(vertexFormat: .none, region: .wholeHead, landmarks: false)
        let resubscription = MessageEncoder.subscribe(subscription)
        let server = try ScriptedServer([
            .send(ScriptedServer.handshake), .read(resubscription.count), .send(MessageEncoder.topology(wholeHead)),
            .waitForClientToClose,
        ])
        let client = try OcclumeshClient(socketPath: server.path)
        #expect(client.topology == ScriptedServer.topology)
        try client.resubscribe(subscription)
        #expect(client.subscription == subscription)
        #expect(try client.nextMessage() == .topology(wholeHead))
        #expect(client.topology == wholeHead)
        client.close()
        #expect(server.clientBytes() == MessageEncoder.hello() + MessageEncoder.subscribe(Subscription()) + resubscription)
    }
}
