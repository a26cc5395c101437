import Foundation
import Glibc
import MeshProtocol
import OcclumeshClient
import TestSupport
import Testing
import UnixSocket

/// The client's handshake against a scripted server on a real socket: what it sends, and each way a server can answer.
@Suite("client handshake")
struct HandshakeTests {
    @Test("the client sends hello then its subscription, and keeps the welcome and topology it is answered with")
    func handshake() throws {
        let server = try ScriptedServer([.send(ScriptedServer.handshake), .waitForClientToClose])
        let subscription = Subscription(vertexFormat: .float16, region: .faceArea, landmarks: false, maximumRate: 15)
        let client = try OcclumeshClient(socketPath: server.path, subscription: subscription)
        #expect(client.welcome == ScriptedServer.welcome)
        #expect(client.topology == ScriptedServer.topology)
        #expect(client.subscription == subscription)
        client.close()
        #expect(server.clientBytes() == MessageEncoder.hello() + MessageEncoder.subscribe(subscription))
    }

    @Test("a handshake arriving one byte at a time is put back together")
    func handshakeInManyReads() throws {
        let server = try ScriptedServer([.trickle(ScriptedServer.handshake), .waitForClientToClose])
        let client = try OcclumeshClient(socketPath: server.path)
        #expect(client.welcome == ScriptedServer.welcome)
        #expect(client.topology == ScriptedServer.topology)
        client.close()
        #expect(server.clientBytes() != nil)
    }

    @Test("a goodbye instead of a welcome refuses the connection with the server's reason")
    func refusedWithGoodbye() throws {
        let goodbye = Goodbye(code: .tooManyClients, reason: "server full (4 clients)")
        let server = try ScriptedServer([.send(MessageEncoder.goodbye(goodbye))])
        #expect(throws: ClientError.refused(goodbye)) { try OcclumeshClient(socketPath: server.path) }
        #expect(ClientError.refused(goodbye).description == "server refused the connection (tooManyClients): server full (4 clients)")
    }

    @Test("a goodbye after the welcome, before the topology, also refuses")
    func refusedAfterWelcome() throws {
        let goodbye = Goodbye(code: .unsupportedVersion, reason: "version 1 only")
        let server = try ScriptedServer([.send(MessageEncoder.welcome(ScriptedServer.welcome) + MessageEncoder.goodbye(goodbye))])
        #expect(throws: ClientError.refused(goodbye)) { try OcclumeshClient(socketPath: server.path) }
    }

    @Test("a server that closes before answering is 'closed', not 'mid-message'")
    func closedBeforeAnswering() throws {
        let server = try ScriptedServer([])
        #expect(throws: ClientError.connectionClosed(midMessage: false)) { try OcclumeshClient(socketPath: server.path) }
    }

    @Test("a server that closes in the middle of its welcome is 'closed mid-message'")
    func closedMidWelcome() throws {
        let welcome = MessageEncoder.welcome(ScriptedServer.welcome)
        let server = try ScriptedServer([.send(Array(welcome.prefix(welcome.count - 3)))])
        let error = #expect(throws: ClientError.self) { try OcclumeshClient(socketPath: server.path) }
        #expect(error == .connectionClosed(midMessage: true))
        #expect(error?.description == "server closed the connection in the middle of a message")
    }

    @Test("a topology before the welcome is refused as out of turn, naming the message")
    func topologyFirst() throws {
        let server = try ScriptedServer([.send(MessageEncoder.topology(ScriptedServer.topology) + MessageEncoder.welcome(ScriptedServer.welcome))])
        #expect(throws: ClientError.unexpectedMessage(.topology)) { try OcclumeshClient(socketPath: server.path) }
    }

    @Test("a length over 256 MiB is refused from the header alone, without waiting for the body")
    func oversizedLength() throws {
        let length = ProtocolConstants.maximumServerMessageLength + 1
        let header = withUnsafeBytes(of: length.littleEndian) { Array($0) } + [MessageType.welcome.rawValue]
        // The server then stays silent with the connection open: a client waiting for the body would hang here.
        let server = try ScriptedServer([.send(header), .waitForClientToClose])
        #expect(throws: ClientError.protocolViolation(.invalidLength(length, limit: ProtocolConstants.maximumServerMessageLength))) {
            try OcclumeshClient(socketPath: server.path)
        }
        #expect(server.clientBytes() != nil, "the client closed its socket after refusing")
    }

    @Test("a zero length, an unknown type and a malformed welcome are protocol violations", arguments: [
        ([0, 0, 0, 0] as [UInt8], ProtocolError.invalidLength(0, limit: ProtocolConstants.maximumServerMessageLength)),
        ([3, 0, 0, 0, 0x7F, 1, 2], ProtocolError.unknownMessageType(0x7F)),
        ([3, 0, 0, 0, 0x01, 1, 2], ProtocolError.unknownMessageType(0x01)),
        ([2, 0, 0, 0, 0x81, 1], ProtocolError.truncated(.welcome, needed: 2, available: 1)),
    ])
    func garbage(bytes: [UInt8], expected: ProtocolError) throws {
        let server = try ScriptedServer([.send(bytes), .waitForClientToClose])
        #expect(throws: ClientError.protocolViolation(expected)) { try OcclumeshClient(socketPath: server.path) }
    }

    @Test("a path that is too long or has no server is a socket error naming it")
    func socketErrors() throws {
        let long = "/tmp/" + String(repeating: "l", count: 120)
        #expect(throws: ClientError.socket(.invalidAddress(long, "longer than 107 bytes"))) { try OcclumeshClient(socketPath: long) }
        let missing = SocketPaths.fresh()
        let error = #expect(throws: ClientError.self) { try OcclumeshClient(socketPath: missing) }
        #expect(error == .socket(.systemCall("connect", ENOENT, missing)))
        #expect(error?.description.contains("No such file or directory") == true)
    }
}
