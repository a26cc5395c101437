import OSCEncoding
import Testing

/// OSC 1.0 encoding against the byte examples of the OSC 1.0 specification and the padding rules.
@Suite("OSC encoding")
struct OSCMessageTests {
    @Test("the specification's /oscillator/4/frequency 440.0 example, byte for byte")
    func specificationFloatExample() {
        let bytes = OSCMessage("/oscillator/4/frequency", [.float32(440)]).encoded
        #expect(bytes == [
            0x2f, 0x6f, 0x73, 0x63, 0x69, 0x6c, 0x6c, 0x61, 0x74, 0x6f, 0x72, 0x2f, 0x34, 0x2f, 0x66, 0x72,
            0x65, 0x71, 0x75, 0x65, 0x6e, 0x63, 0x79, 0x00, 0x2c, 0x66, 0x00, 0x00, 0x43, 0xdc, 0x00, 0x00,
        ])
    }

    @Test("the specification's /foo 1000 -1 \"hello\" 1.234 5.678 example, byte for byte")
    func specificationMixedExample() {
        let bytes = OSCMessage("/foo", [.int32(1000), .int32(-1), .string("hello"), .float32(1.234), .float32(5.678)]).encoded
        #expect(bytes == [
            0x2f, 0x66, 0x6f, 0x6f, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x69, 0x69, 0x73, 0x66, 0x66, 0x00, 0x00,
            0x00, 0x00, 0x03, 0xe8, 0xff, 0xff, 0xff, 0xff, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x00, 0x00,
            0x3f, 0x9d, 0xf3, 0xb6, 0x40, 0xb5, 0xb2, 0x2d,
        ])
    }

    @Test("strings always end in 1 to 4 NULs; blobs are sized and padded; booleans live in the type tags")
    func padding() {
        #expect(OSCMessage("/abc").encoded == Array("/abc".utf8) + [0, 0, 0, 0] + [0x2c, 0, 0, 0])
        #expect(OSCMessage("/a", [.blob([1, 2, 3, 4, 5])]).encoded
            == [0x2f, 0x61, 0, 0, 0x2c, 0x62, 0, 0, 0, 0, 0, 5, 1, 2, 3, 4, 5, 0, 0, 0])
        #expect(OSCMessage("/a", [.boolean(true), .boolean(false)]).encoded == [0x2f, 0x61, 0, 0, 0x2c, 0x54, 0x46, 0])
        for message in [OSCMessage("/x", [.string("")]), OSCMessage("/xyz", [.string("abcd")]), OSCMessage("/ü", [.string("ß")])] {
            #expect(message.encoded.count % 4 == 0)
        }
    }

    @Test("a bundle is #bundle, the time tag, then each element's size and bytes")
    func bundle() {
        let first = OSCMessage("/a", [.int32(7)])
        let second = OSCMessage("/bb")
        let bytes = OSCBundle([first, second]).encoded
        let expected: [UInt8] = Array("#bundle".utf8) + [0] + [0, 0, 0, 0, 0, 0, 0, 1]
            + [0, 0, 0, UInt8(first.encoded.count)] + first.encoded + [0, 0, 0, UInt8(second.encoded.count)] + second.encoded
        #expect(bytes == expected)
    }

    @Test("a bad destination is one line naming it", arguments: [
        ("127.0.0.1", "expected HOST:PORT"), ("127.0.0.1:0", "port must be"), ("127.0.0.1:70000", "port must be"),
        ("example.org:9000", "not an IPv4 address"), ("127.0.0.1:x", "port must be"),
    ])
    func badDestination(destination: String, cause: String) {
        #expect { try UDPSender(destination: destination) } throws: { error in
            let text = (error as? UDPSenderError)?.description ?? ""
            return text.contains(destination) && text.contains(cause) && !text.contains("\n")
        }
    }
}
