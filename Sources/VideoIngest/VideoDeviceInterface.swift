import CV4L2
#if canImport(Glibc)
import Glibc
#endif

/// The outcome of waiting for a camera to have a frame ready.
public enum DeviceWaitResult: Sendable, Equatable {
    /// A buffer can be dequeued.
    case ready
    /// Nothing arrived within the timeout.
    case timedOut
    /// The wait itself failed, with this errno (`ENODEV` when the device went away).
    case failed(Int32)
}

/// The system calls `V4L2CameraSource` makes on a device, and nothing else.
///
/// The seam exists so the V4L2 logic (format negotiation, buffer cycling, error handling) runs
/// unchanged against a real `/dev/videoN` through libv4l2 or against a simulated device in tests.
/// Every call has the semantics of its V4L2 counterpart.
public protocol VideoDeviceInterface: AnyObject {
    /// Performs a `VIDIOC_*` request; returns 0 on success or the errno the driver set.
    func control(_ request: UInt, _ argument: UnsafeMutableRawPointer) -> Int32
    /// Maps a streaming buffer at the offset `VIDIOC_QUERYBUF` reported; `nil` on failure.
    func mapBuffer(length: Int, offset: Int64) -> UnsafeMutableRawPointer?
    /// Unmaps a buffer returned by `mapBuffer`.
    func unmapBuffer(_ address: UnsafeMutableRawPointer, length: Int)
    /// Waits until a buffer can be dequeued, as `poll(POLLIN)` on the device does.
    func waitForFrame(timeoutMilliseconds: Int32) -> DeviceWaitResult
    /// Closes the device; no call follows.
    func close()
}

/// A real V4L2 device opened through libv4l2 (which also adds format emulation for odd cameras).
public final class LibV4L2Device: VideoDeviceInterface {
    private var descriptor: Int32

    /// Opens `path` non-blocking; throws when it cannot be opened.
    public init(path: String) throws {
        descriptor = occlumesh_v4l2_open(path)
        guard descriptor >= 0 else {
            switch errno {
            case ENOENT: throw VideoIngestError.fileNotFound(path: path)
            case EACCES, EPERM: throw VideoIngestError.permissionDenied(path: path)
            case ENODEV, ENXIO: throw VideoIngestError.deviceVanished(device: path)
            case ENOTTY, EINVAL: throw VideoIngestError.notACamera(device: path, reason: "VIDIOC_QUERYCAP is not supported")
            default: throw VideoIngestError.deviceFailure(device: path, operation: "open", errno: errno)
            }
        }
    }

    deinit { close() }

    public func control(_ request: UInt, _ argument: UnsafeMutableRawPointer) -> Int32 {
        occlumesh_v4l2_ioctl(descriptor, request, argument) == 0 ? 0 : errno
    }

    public func mapBuffer(length: Int, offset: Int64) -> UnsafeMutableRawPointer? {
        occlumesh_v4l2_mmap(descriptor, length, offset)
    }

    public func unmapBuffer(_ address: UnsafeMutableRawPointer, length: Int) {
        _ = occlumesh_v4l2_munmap(address, length)
    }

    public func waitForFrame(timeoutMilliseconds: Int32) -> DeviceWaitResult {
        switch occlumesh_v4l2_wait_readable(descriptor, timeoutMilliseconds) {
        case 1: .ready
        case 0: .timedOut
        default: .failed(errno)
        }
    }

    public func close() {
        if descriptor >= 0 { _ = occlumesh_v4l2_close(descriptor) }
        descriptor = -1
    }
}
