import DaemonConfiguration
import Testing

/// `[smoothing.motion]`: the motion-guided pose of causal smoothing.
@Suite("motion smoothing keys")
struct MotionSmoothingKeyTests {
    @Test("the keys are read, guided with 0.15 / 0.15 / 3 steps / 0.3 when absent")
    func theKeysAreRead() throws {
        let defaults = try DaemonConfiguration.parse("").smoothing.motion
        #expect(defaults.guided && defaults.correction == 0.15 && defaults.rotationCorrection == 0.15
                && defaults.averagedSteps == 3 && defaults.fallbackCorrection == 0.3)
        let configuration = try DaemonConfiguration.parse("""
            [smoothing.motion]
            correction = 0.2
            rotation_correction = 0.4
            averaged_steps = 3
            fallback_correction = 0.0
            gain = 1.25
            """)
        let motion = configuration.smoothing.motion
        #expect(motion.correction == 0.2 && motion.rotationCorrection == 0.4 && motion.averagedSteps == 3
                && motion.fallbackCorrection == 0 && motion.gain == 1.25 && motion.guided)
        #expect(try !DaemonConfiguration.parse("[smoothing.motion]\nguided = false\n").smoothing.motion.guided)
    }

    @Test("an out-of-range or mistyped value is refused in one line naming the key", arguments: [
        ("correction", "0"), ("correction", "1.5"), ("rotation_correction", "-0.1"), ("rotation_correction", "nan"),
        ("averaged_steps", "0"), ("averaged_steps", "5"), ("averaged_steps", "2.5"), ("fallback_correction", "2"),
        ("guided", "1"), ("correction", "\"a little\""), ("gain", "0.4"), ("gain", "2.5"), ("gain", "inf"),
    ])
    func badValuesAreRefused(key: String, value: String) {
        #expect {
            _ = try DaemonConfiguration.parse("[smoothing.motion]\n\(key) = \(value)\n")
        } throws: { error in
            let message = "\(error)"
            return message.contains("smoothing.motion.\(key)") && !message.contains("\n")
        }
    }
}
