#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed socket operation, with the system call and `errno` that caused it.
public enum SocketError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The address cannot be used (too long, empty, NUL byte); the string says why.
    case invalidAddress(String, String)
    /// A system call failed; carries the call's name, the `errno` value and the address or object involved.
    case systemCall(String, Int32, String)

    /// One line naming the cause.
    public var description: String {
        switch self {
        case .invalidAddress(let address, let reason):
            return "invalid socket address '\(address)': \(reason)"
        case .systemCall(let call, let code, let subject):
            return "\(call)(\(subject)) failed: \(errorText(code)) (errno \(code))"
        }
    }

    /// The `errno` value, for `systemCall` errors.
    public var errorNumber: Int32? {
        if case .systemCall(_, let code, _) = self { return code }
        return nil
    }
}

/// The C library's text for an `errno` value.
public func errorText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
