import Foundation
import Testing

@testable import DaemonConfiguration

/// The shipped config, overrides, and the error for each kind of mistake.
@Suite("daemon configuration")
struct DaemonConfigurationTests {
    private var shippedConfigPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/occlumesh.toml").path
    }

    @Test("the shipped config documents every key with its default")
    func shippedConfigDocumentsEveryKeyWithItsDefault() throws {
        #expect(try DaemonConfiguration.load(path: shippedConfigPath) == DaemonConfiguration())
        let text = try String(contentsOfFile: shippedConfigPath, encoding: .utf8)
        let keys = Set(try TOMLParser.parse(text).map(\.key))
        #expect(keys == Set(ConfigurationKeys.bindings.keys), "the shipped file lists exactly the known keys")
    }

    @Test("values override defaults; unset keys keep theirs")
    func valuesOverrideDefaults() throws {
        let configuration = try DaemonConfiguration.parse("""
            # a file source at its own pace
            [source]
            input = "/srv/clips/face.mp4"   # trailing comment
            width = 0
            height = 0
            fps = 29.97
            realtime = true

            [socket]
            path = '/tmp/occlumesh test.sock'
            mode = 0o600
            group = "video"

            [clients]
            max_clients = 1_000
            stall_timeout = 2

            [log]
            level = "debug"
            """)
        #expect(configuration.source.input == "/srv/clips/face.mp4")
        #expect(configuration.source.kind == .file)
        #expect(configuration.source.width == 0)
        #expect(configuration.source.framesPerSecond == 29.97)
        #expect(configuration.source.realtime)
        #expect(configuration.socket.path == "/tmp/occlumesh test.sock")
        #expect(configuration.socket.mode == 0o600)
        #expect(configuration.socket.group == "video")
        #expect(configuration.clients.maximumClients == 1000)
        #expect(configuration.clients.stallTimeout == 2)
        #expect(configuration.clients.queueCapacity == 4, "unset keys keep their defaults")
        #expect(configuration.log.level == .debug)
        #expect(DaemonConfiguration().source.kind == .device)
        var url = DaemonConfiguration()
        url.source.input = "rtsp://camera.local/stream"
        #expect(url.source.kind == .url)
    }

    /// Parsing `text` throws exactly `expected`, and its description is not empty.
    private func assertError(_ text: String, _ expected: ConfigurationError, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: ConfigurationError.self, sourceLocation: sourceLocation) { try DaemonConfiguration.parse(text) }
        #expect(error == expected, sourceLocation: sourceLocation)
        #expect(!"\(expected)".isEmpty, sourceLocation: sourceLocation)
    }

    @Test("each mistake names its key or line")
    func eachMistakeNamesItsKeyOrLine() {
        assertError("[source]\nwidht = 640\n", .unknownKey("source.widht", line: 2))
        assertError("[sockets]\npath = \"/x\"\n", .unknownKey("sockets.path", line: 2))
        assertError("[source]\nwidth = \"640\"\n", .wrongType("source.width", expected: "an integer", found: "string", line: 2))
        assertError("[tracking]\nmax_faces = 0\n", .invalidValue("tracking.max_faces", "0 is outside 1…64", line: 2))
        assertError("[socket]\nmode = 0o1777\n", .invalidValue("socket.mode", "1023 is outside 0…511", line: 2))
        assertError("[log]\nlevel = \"loud\"\n",
            .invalidValue("log.level", "'loud' is not one of trace, debug, info, notice, warning, error, critical", line: 2))
        assertError("[source]\nfps = 30\nfps = 25\n", .duplicateKey("source.fps", line: 3))
        assertError("[source]\n[source]\n", .duplicateKey("[source]", line: 2))
        assertError("[source]\ninput = /dev/video1\n", .syntax(line: 2, message: "invalid value /dev/video1 (strings need quotes)"))
        assertError("[source]\ninput = \"/dev/video1\n", .syntax(line: 2, message: "unterminated string"))
        assertError("[source]\nwidth = 640 height = 480\n", .syntax(line: 2, message: "unexpected 'h' after the value; one key per line"))
        assertError("[socket]\nmode = 0660\n", .syntax(line: 2, message: "leading zeros are not allowed in 0660 (octal is written 0o…)"))
        assertError("[socket]\npath = \"run/mesh.sock\"\n", .invalidValue("socket.path", "must be an absolute path of at most 107 bytes", line: nil))
        assertError("[source]\nwidth = 640\nheight = 0\n",
            .invalidValue("source.width", "source.width and source.height must both be 0 or both be set", line: nil))
        #expect(throws: ConfigurationError.unreadable(path: "/nonexistent/occlumesh.toml", reason: "No such file or directory")) {
            try DaemonConfiguration.load(path: "/nonexistent/occlumesh.toml")
        }
        #expect(ConfigurationError.exitCode == 78)
    }

    @Test("the parser reads the TOML subset and refuses the rest by line")
    func parserReadsTheTOMLSubset() throws {
        let entries = try TOMLParser.parse("""
            top = "a\\tb\\u00e9\\"q\\""
            [a.b]
            list = [
              1, 0x1F, 0b101, # comment inside
              -2.5e3, inf,
            ]
            "quoted key" = 'C:\\raw'
            flag = false
            """)
        #expect(entries.map(\.key) == ["top", "a.b.list", "a.b.quoted key", "a.b.flag"])
        #expect(entries[0].value == .string("a\tbé\"q\""))
        #expect(entries[1].value == .array([.integer(1), .integer(31), .integer(5), .float(-2500), .float(.infinity)]))
        #expect(entries[2].value == .string("C:\\raw"))
        #expect(entries[3] == TOMLEntry(key: "a.b.flag", value: .boolean(false), line: 8))
        #expect(throws: ConfigurationError.syntax(line: 1, message: "inline tables are not supported")) {
            try TOMLParser.parse("x = { a = 1 }")
        }
        #expect(throws: ConfigurationError.syntax(line: 1, message: "dotted keys are not supported; use a [table] header")) {
            try TOMLParser.parse("a.b = 1")
        }
    }
}
