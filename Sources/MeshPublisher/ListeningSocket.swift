#if canImport(Glibc)
import Glibc
#endif
import UnixSocket

/// The server's listening socket: created with the configured mode and group, replacing a stale socket file
/// only when it is a socket that nobody answers on.
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
        do {
            let bound = address.withSocketAddress { bind(descriptor, $0, $1) }
            guard bound == 0 else { throw SocketError.systemCall("bind", errno, address.text) }
            // Permissions are set between bind and listen: until listen, connecting is refused anyway.
            if !address.isAbstract {
                guard chmod(address.text, mode_t(configuration.socketMode)) == 0 else {
                    throw SocketError.systemCall("chmod", errno, address.text)
                }
                // The file already has the process's group; chown only to change it, as the shipped unit filters
                // chown out (its socket group is the service's own).
                var status = stat()
                if let groupIdentifier, stat(address.text, &status) != 0 || status.st_gid != groupIdentifier,
                    chown(address.text, uid_t.max, groupIdentifier) != 0
                {
                    throw SocketError.systemCall("chown", errno, address.text)
                }
            }
            guard listen(descriptor, 64) == 0 else { throw SocketError.systemCall("listen", errno, address.text) }
        } catch let error as SocketError {
            close(descriptor)
            throw .socket(error)
        } catch {
            close(descriptor)
            throw .invalidConfiguration("\(error)")
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
