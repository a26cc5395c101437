import UnixSocket

/// Why the mesh socket could not be opened.
public enum PublisherError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Something other than a socket exists at the socket path; it is left alone.
    case pathOccupied(String)
    /// A live server already answers on the socket path.
    case alreadyServed(String)
    /// The configured socket group does not exist.
    case unknownGroup(String)
    /// The configuration holds an unusable value; names the field.
    case invalidConfiguration(String)
    /// A socket or file system call failed.
    case socket(SocketError)

    /// One line naming the cause.
    public var description: String {
        switch self {
        case .pathOccupied(let path): return "\(path) exists and is not a socket; refusing to replace it"
        case .alreadyServed(let path): return "another server is listening on \(path)"
        case .unknownGroup(let group): return "socket group '\(group)' does not exist"
        case .invalidConfiguration(let field): return "invalid publisher configuration: \(field)"
        case .socket(let error): return error.description
        }
    }
}
