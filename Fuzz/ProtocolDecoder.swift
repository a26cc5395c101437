// libFuzzer target: the mesh protocol's framer and decoders (Sources/MeshProtocol), compiled into one module with
// them by tools/fuzz.sh. The input is a byte stream as a peer would send it; it is split by both sides' framers
// and every message is decoded as a client message and as a server message. Any trap is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzProtocolDecoder(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    // As the server reads a client: small limit, client messages.
    var fromClient = MessageFramer(maximumLength: ProtocolConstants.maximumClientMessageLength)
    // Fed in two parts, as the socket may split it.
    let half = size / 2
    fromClient.append(UnsafeRawBufferPointer(rebasing: bytes[..<half]))
    drain(&fromClient)
    fromClient.append(UnsafeRawBufferPointer(rebasing: bytes[half...]))
    drain(&fromClient)
    _ = fromClient.hasPartialMessage
    // As a client reads the server: large limit, server messages.
    var fromServer = MessageFramer(maximumLength: ProtocolConstants.maximumServerMessageLength)
    fromServer.append(bytes)
    while fromServer.hasCompleteMessage, let message = try? fromServer.nextMessage() {
        _ = try? MessageDecoder.serverMessage(type: message.type, body: message.body)
        _ = try? MessageDecoder.clientMessage(type: message.type, body: message.body)
    }
    return 0
}

private func drain(_ framer: inout MessageFramer) {
    while framer.hasCompleteMessage, let message = try? framer.nextMessage() {
        _ = framer.bufferedByteCount
        if case .subscribe(let subscription)? = try? MessageDecoder.clientMessage(type: message.type, body: message.body) {
            // What the server does with an accepted subscription's numbers.
            _ = subscription.maximumRate > 0 ? 0.999 / Double(subscription.maximumRate) : 0
            _ = MessageEncoder.subscribe(subscription)
        }
        _ = try? MessageDecoder.serverMessage(type: message.type, body: message.body)
    }
}
