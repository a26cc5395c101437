import Foundation
import XCTest

@testable import DaemonConfiguration

/// The shipped config, overrides, and the error for each kind of mistake.
final class DaemonConfigurationTests: XCTestCase {
    private var shippedConfigPath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/occlumesh.toml").path
    }

    func testShippedConfigDocumentsEveryKeyWithItsDefault() throws {
        XCTAssertEqual(try DaemonConfiguration.load(path: shippedConfigPath), DaemonConfiguration())
        let text = try String(contentsOfFile: shippedConfigPath, encoding: .utf8)
        let keys = Set(try TOMLParser.parse(text).map(\.key))
        XCTAssertEqual(keys, Set(ConfigurationKeys.bindings.keys), "the shipped file lists exactly the known keys")
    }

    func testValuesOverrideDefaults() throws {
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
        XCTAssertEqual(configuration.source.input, "/srv/clips/face.mp4")
        XCTAssertEqual(configuration.source.kind, .file)
        XCTAssertEqual(configuration.source.width, 0)
        XCTAssertEqual(configuration.source.framesPerSecond, 29.97)
        XCTAssertTrue(configuration.source.realtime)
        XCTAssertEqual(configuration.socket.path, "/tmp/occlumesh test.sock")
        XCTAssertEqual(configuration.socket.mode, 0o600)
        XCTAssertEqual(configuration.socket.group, "video")
        XCTAssertEqual(configuration.clients.maximumClients, 1000)
        XCTAssertEqual(configuration.clients.stallTimeout, 2)
        XCTAssertEqual(configuration.clients.queueCapacity, 4, "unset keys keep their defaults")
        XCTAssertEqual(configuration.log.level, .debug)
        XCTAssertEqual(DaemonConfiguration().source.kind, .device)
        var url = DaemonConfiguration()
        url.source.input = "rtsp://camera.local/stream"
        XCTAssertEqual(url.source.kind, .url)
    }

    private func assertError(_ text: String, _ expected: ConfigurationError, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try DaemonConfiguration.parse(text), file: file, line: line) { error in
            XCTAssertEqual(error as? ConfigurationError, expected, file: file, line: line)
            XCTAssertFalse("\(error)".isEmpty)
        }
    }

    func testEachMistakeNamesItsKeyOrLine() {
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
        XCTAssertThrowsError(try DaemonConfiguration.load(path: "/nonexistent/occlumesh.toml")) {
            XCTAssertEqual($0 as? ConfigurationError, .unreadable(path: "/nonexistent/occlumesh.toml", reason: "No such file or directory"))
        }
        XCTAssertEqual(ConfigurationError.exitCode, 78)
    }

    func testParserReadsTheTOMLSubset() throws {
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
        XCTAssertEqual(entries.map(\.key), ["top", "a.b.list", "a.b.quoted key", "a.b.flag"])
        XCTAssertEqual(entries[0].value, .string("a\tbé\"q\""))
        XCTAssertEqual(entries[1].value, .array([.integer(1), .integer(31), .integer(5), .float(-2500), .float(.infinity)]))
        XCTAssertEqual(entries[2].value, .string("C:\\raw"))
        XCTAssertEqual(entries[3], TOMLEntry(key: "a.b.flag", value: .boolean(false), line: 8))
        XCTAssertThrowsError(try TOMLParser.parse("x = { a = 1 }")) {
            XCTAssertEqual($0 as? ConfigurationError, .syntax(line: 1, message: "inline tables are not supported"))
        }
        XCTAssertThrowsError(try TOMLParser.parse("a.b = 1")) {
            XCTAssertEqual($0 as? ConfigurationError, .syntax(line: 1, message: "dotted keys are not supported; use a [table] header"))
        }
    }
}
