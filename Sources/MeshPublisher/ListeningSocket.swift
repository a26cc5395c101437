#if canImport(Glibc)
import Glibc
#endif
import UnixSocket

/// The server's listening socket: created with the configured mode and group, replacing a stale socket file
/// only when it is a socket that nobody answers on. A socket file appears at the configured path only once it
/// listens: `bind` creates the file and only `listen` makes it answer, so the socket is bound under a temporary
/// name beside the path and linked to the path afterwards — a client that connects as soon as the file exists
/// (a script, a path unit, a test) is never refused.
struct ListeningSocket {
    let descriptor: Int32
    let address: UnixSocketAddress
    /// Device and inode of the socket file we bound, so stop removes only our own file.
    private let fileIdentity: (dev_t, ino_t)?

    /// Opens, binds and listens; reports a replaced stale socket through `report`.
    init(configuration: PublisherConfiguration, report: (PublisherEvent) -> Void) throws(PublisherError) {
        let address: UnixSocketAddress
        do { address = try UnixSocketAddress(configuration.socketPath) } catch { throw .socket(error) }
        var groupIdentifier: gid_t?
        if let group = configuration.socketGroup {
            guard let entry = getgrnam(group) else { throw .unknownGroup(group) }
            groupIdentifier = entry.pointee.gr_gid
        }
        if !address.isAbstract, try Self.removeStaleSocket(at: address) { report(.staleSocketReplaced(address.text)) }

        let descriptor: Int32
        do { descriptor = try Descriptor.unixSocket(type: Int32(SOCK_STREAM.rawValue), nonBlocking: true) } catch {
            throw .socket(error)
        }
        // Bound under the temporary name when there is one (a path, not too long); the abstract namespace has no
        // file to wait for.
        let temporary = Self.temporaryAddress(beside: address)
        let bindAddress = temporary ?? address
        do {
            let bound = bindAddress.withSocketAddress { bind(descriptor, $0, $1) }
            guard bound == 0 else { throw SocketError.systemCall("bind", errno, bindAddress.text) }
            // Permissions are set between bind and listen: until listen, connecting is refused anyway.
            if !bindAddress.isAbstract {
                guard chmod(bindAddress.text, mode_t(configuration.socketMode)) == 0 else {
                    throw SocketError.systemCall("chmod", errno, bindAddress.text)
                }
                // The file already has the process's group; chown only to change it, as the shipped unit filters
                // chown out (its socket group is the service's own).
                var status = stat()
                if let groupIdentifier, stat(bindAddress.text, &status) != 0 || status.st_gid != groupIdentifier,
                    chown(bindAddress.text, uid_t.max, groupIdentifier) != 0
                {
                    throw SocketError.systemCall("chown", errno, bindAddress.text)
                }
            }
            guard listen(descriptor, 64) == 0 else { throw SocketError.systemCall("listen", errno, bindAddress.text) }
            if let temporary { try Self.publish(temporary, as: address) }
        } catch {
            close(descriptor)
            if let temporary { unlink(temporary.text) }
            switch error {
            case let error as SocketError: throw .socket(error)
            case let error as PublisherError: throw error
            default: throw .invalidConfiguration("\(error)")
            }
        }
        self.descriptor = descriptor
        self.address = address
        if address.isAbstract {
            fileIdentity = nil
        } else {
            var status = stat()
            fileIdentity = lstat(address.text, &status) == 0 ? (status.st_dev, status.st_ino) : nil
        }
    }

    /// The name the socket is bound under before it listens: the path with this process's id appended, when the
    /// address is a path and the longer name still fits `sockaddr_un`; a socket file left there by a process that
    /// died before publishing is removed. Nil (bind at the path itself) otherwise.
    static func temporaryAddress(beside address: UnixSocketAddress) -> UnixSocketAddress? {
        guard !address.isAbstract, let temporary = try? UnixSocketAddress("\(address.text).\(getpid())") else { return nil }
        var status = stat()
        if lstat(temporary.text, &status) == 0 {
            guard (status.st_mode & S_IFMT) == S_IFSOCK, unlink(temporary.text) == 0 else { return nil }
        }
        return temporary
    }

    /// Gives the listening socket bound at `temporary` its configured name: a hard link, which fails rather than
    /// replace a file another process created at the path meanwhile, then the temporary name removed. A file system
    /// without hard links gets a rename instead.
    static func publish(_ temporary: UnixSocketAddress, as address: UnixSocketAddress) throws {
        if link(temporary.text, address.text) != 0 {
            let linkError = errno
            guard linkError != EEXIST else { throw PublisherError.pathOccupied(address.text) }
            guard rename(temporary.text, address.text) == 0 else {
                throw SocketError.systemCall("link", linkError, address.text)
            }
            return
        }
        unlink(temporary.text)
    }

    /// Removes a socket file nobody answers on; throws if the path is something else or a server answers.
    /// Returns whether a file was removed.
    private static func removeStaleSocket(at address: UnixSocketAddress) throws(PublisherError) -> Bool {
        var status = stat()
        guard lstat(address.text, &status) == 0 else { return false }
        guard (status.st_mode & S_IFMT) == S_IFSOCK else { throw .pathOccupied(address.text) }
        let probe: Int32
        do { probe = try Descriptor.unixSocket(type: Int32(SOCK_STREAM.rawValue), nonBlocking: false) } catch {
            throw .socket(error)
        }
        defer { close(probe) }
        do {
            try Descriptor.connect(probe, to: address)
            throw PublisherError.alreadyServed(address.text)
        } catch let error as SocketError {
            guard error.errorNumber == ECONNREFUSED else { throw .socket(error) }
        } catch let error as PublisherError {
            throw error
        } catch {
            throw .invalidConfiguration("\(error)")
        }
        guard unlink(address.text) == 0 || errno == ENOENT else {
            throw .socket(.systemCall("unlink", errno, address.text))
        }
        return true
    }

    /// Closes the socket and removes its file if it is still the one we created.
    func closeAndRemove() {
        _ = Glibc.close(descriptor)
        guard let fileIdentity else { return }
        var status = stat()
        if lstat(address.text, &status) == 0, status.st_dev == fileIdentity.0, status.st_ino == fileIdentity.1 {
            unlink(address.text)
        }
    }
}
