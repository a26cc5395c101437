#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped read-only into memory; unmapped when the last reference goes.
/// Immutable after creation, so sharing it across threads is safe.
final class MappedFile: @unchecked Sendable {
    /// Start of the mapping (nil for an empty file).
    let base: UnsafeRawPointer?
    /// Length of the file in bytes.
    let count: Int

    /// Maps `path`, throwing `cannotOpen` with the failing call's errno.
    init(path: String) throws(FaceModelError) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .cannotOpen(path: path, errno: errno) }
        count = Int(status.st_size)
        if count == 0 {
            base = nil
            return
        }
        guard let mapping = mmap(nil, count, PROT_READ, MAP_PRIVATE, descriptor, 0), mapping != MAP_FAILED else {
            throw .cannotOpen(path: path, errno: errno)
        }
        base = UnsafeRawPointer(mapping)
    }

    /// The mapped bytes.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }
}
