import DaemonConfiguration
import Testing

/// Config files an attacker with write access to a config path (or a damaged file) can produce: each is one
/// error naming the cause, never a crash, a silent fallback or a line holding the whole hostile value.
@Suite("hostile config files")
struct HostileConfigurationTests {
    @Test("arrays nested 20,000 and 100,000 deep are a syntax error, not a stack overflow", arguments: [20_000, 100_000])
    func deepNesting(depth: Int) {
        let text = "x = " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        #expect {
            try DaemonConfiguration.parse(text)
        } throws: { error in
            guard case .syntax(let line, let message) = error as? ConfigurationError else { return false }
            return line == 1 && message.contains("nested")
        }
    }

    @Test("arrays nested within the limit still parse")
    func shallowNesting() throws {
        let entries = try TOMLParser.parse("x = [[[1, 2], [3]], []]\n")
        #expect(entries.map(\.value) == [.array([.array([.array([.integer(1), .integer(2)]), .array([.integer(3)])]), .array([])])])
    }

    @Test("CR-only line endings are refused instead of reading as one comment and falling back to defaults")
    func carriageReturnOnly() {
        let text = "# occlumesh\r[clients]\rmax_clients = 3\r"
        #expect {
            try DaemonConfiguration.parse(text)
        } throws: { error in
            guard case .syntax(_, let message) = error as? ConfigurationError else { return false }
            return message.contains("carriage return")
        }
        let windows = try? DaemonConfiguration.parse("# occlumesh\r\n[clients]\r\nmax_clients = 3\r\n")
        #expect(windows?.clients.maximumClients == 3, "CRLF stays accepted")
    }

    @Test("the error for a 1 MB number or string quotes a bounded prefix of it, on one line", arguments: [
        "[clients]\nmax_clients = " + String(repeating: "9", count: 1 << 20) + "\n",
        "[clients]\nmax_clients = " + String(repeating: "9", count: 1 << 20) + ".5\n",
        "[clients]\nmax_clients = 0x" + String(repeating: "f", count: 1 << 20) + "\n",
        "[log]\nlevel = \"" + String(repeating: "a", count: 1 << 20) + "\"\n",
        "[clients]\nmax_clients = " + String(repeating: "x", count: 1 << 20) + "\n",
    ])
    func hugeValues(text: String) {
        #expect {
            try DaemonConfiguration.parse(text)
        } throws: { error in
            let description = "\(error)"
            return description.utf8.count < 300 && !description.contains("\n")
        }
    }

    @Test("an error quoting the character found shows a line break instead of writing one (a libFuzzer finding)", arguments: [
        "[\nx = 1\n", "[clients\n", "[clients]\nmax_clients = 3 \u{2028}\n", "= 1\n", "[log]\nlevel = \"de\\\n",
    ])
    func lineBreakInError(text: String) {
        #expect {
            try DaemonConfiguration.parse(text)
        } throws: { error in
            let description = "\(error)"
            return !description.contains(where: \.isNewline)
        }
    }
}
