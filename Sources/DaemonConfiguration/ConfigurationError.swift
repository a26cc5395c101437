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

    /// One line naming the cause; keys and values quoted from the file are cut to a bounded length.
    public var description: String {
        switch abbreviated {
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

    /// The error with every string taken from the file cut to a bounded length (one line of log per error,
    /// however long the hostile key or value).
    private var abbreviated: ConfigurationError {
        let cut = { (text: String) in TOMLParser.excerpt(text) }
        // Every message is flattened too: whatever character a message quotes, the error stays one line.
        let cutLong = { (text: String) -> String in
            let flat = String(text.flatMap { $0.isNewline ? Array("\\n") : [$0] })
            return flat.count <= 200 ? flat : "\(flat.prefix(200))… (\(text.count) characters)"
        }
        switch self {
        case .unreadable(let path, let reason): return .unreadable(path: path, reason: cutLong(reason))
        case .syntax(let line, let message): return .syntax(line: line, message: cutLong(message))
        case .duplicateKey(let key, let line): return .duplicateKey(cut(key), line: line)
        case .unknownKey(let key, let line): return .unknownKey(cut(key), line: line)
        case .wrongType(let key, let expected, let found, let line):
            return .wrongType(cut(key), expected: expected, found: found, line: line)
        case .invalidValue(let key, let reason, let line): return .invalidValue(cut(key), cutLong(reason), line: line)
        }
    }
}
