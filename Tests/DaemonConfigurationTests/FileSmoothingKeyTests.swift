import DaemonConfiguration
import Testing

/// `[smoothing.files] lookahead_frames`: the centred window of files read as fast as possible.
@Suite("file smoothing key")
struct FileSmoothingKeyTests {
    @Test("the window's half width is read, 4 frames when absent")
    func theHalfWidthIsRead() throws {
        #expect(try DaemonConfiguration.parse("").smoothing.files.lookaheadFrames == 4)
        #expect(try DaemonConfiguration.parse("[smoothing.files]\nlookahead_frames = 0\n").smoothing.files.lookaheadFrames == 0)
        #expect(try DaemonConfiguration.parse("[smoothing.files]\nlookahead_frames = 30\n").smoothing.files.lookaheadFrames == 30)
    }

    @Test("a negative, fractional, huge or non-numeric width is refused in one line naming the key", arguments: [
        "-1", "2.5", "31", "9223372036854775807", "\"four\"",
    ])
    func badWidthsAreRefused(value: String) {
        #expect {
            _ = try DaemonConfiguration.parse("[smoothing.files]\nlookahead_frames = \(value)\n")
        } throws: { error in
            let message = "\(error)"
            return message.contains("smoothing.files.lookahead_frames") && !message.contains("\n")
        }
    }
}
