/// Why a config file was refused; every case names the key or line at fault.
public enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The text is not valid TOML (of the subset we accept) at this line.
    case syntax(line: Int, message: String)
    /// A key or table appears twice.
    case duplicateKey(String, line: Int)
    /// A key the daemon does not know (often a typo).
    case unknownKey(String, line: Int)
    /// A key has a value of the wrong type.
    case wrongType(String, expected: String, found: String, line: Int)
    /// A key's value is outside what the daemon accepts.
    case invalidValue(String, String, line: Int?)

    /// `EX_CONFIG` from sysexits.h: the daemon exits with it on any configuration error.
    public static let exitCode: Int32 = 78

    /// One line naming the cause.
    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "cannot read config file \(path): \(reason)"
        case .syntax(let line, let message): return "config line \(line): \(message)"
        case .duplicateKey(let key, let line): return "config key \(key) (line \(line)) is set twice"
        case .unknownKey(let key, let line): return "config key \(key) (line \(line)) is not a known setting"
        case .wrongType(let key, let expected, let found, let line):
            return "config key \(key) (line \(line)) must be \(expected), not \(found)"
        case .invalidValue(let key, let reason, let line):
            return "config key \(key)\(line.map { " (line \($0))" } ?? ""): \(reason)"
        }
    }
}
