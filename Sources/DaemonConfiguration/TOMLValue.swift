/// A value of the TOML subset occlumesh's config file uses.
public enum TOMLValue: Sendable, Equatable {
    /// A basic (`"…"`) or literal (`'…'`) string.
    case string(String)
    /// A decimal, hexadecimal (`0x`), octal (`0o`) or binary (`0b`) integer.
    case integer(Int64)
    /// A float, including `inf` and `nan`.
    case float(Double)
    /// `true` or `false`.
    case boolean(Bool)
    /// An array of values, on one or several lines.
    case array([TOMLValue])

    /// The TOML type name, for error messages.
    public var typeName: String {
        switch self {
        case .string: return "string"
        case .integer: return "integer"
        case .float: return "float"
        case .boolean: return "boolean"
        case .array: return "array"
        }
    }
}

/// One `key = value` line of a parsed document.
public struct TOMLEntry: Sendable, Equatable {
    /// The full dotted key, table name included (`socket.path`).
    public var key: String
    /// The value.
    public var value: TOMLValue
    /// 1-based line the key is on.
    public var line: Int
}
