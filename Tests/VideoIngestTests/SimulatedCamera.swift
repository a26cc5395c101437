import CV4L2
import Foundation
@testable import VideoIngest

/// A V4L2 capture device in memory that answers the calls `V4L2CameraSource` makes the way the
/// V4L2 specification says a driver does: enumeration ends in `EINVAL`, `S_FMT` adjusts instead of
/// failing, buffers cycle through `QBUF`/`DQBUF`, `DQBUF` on an empty queue is `EAGAIN`, a device that
/// is gone answers `ENODEV`, and a file that is not a video device answers `ENOTTY`.
final class SimulatedCamera: VideoDeviceInterface {
    struct Mode {
        let fourcc: UInt32
        let sizes: [(width: Int, height: Int, rates: [Int])]
    }

    // Behaviour set by the test.
    var modes: [Mode]
    var isVideoDevice = true
    /// The device disappears when this many frames have been dequeued.
    var vanishAfterFrames: Int?
    /// Every n-th wait reports readiness but the following DQBUF finds nothing (`EAGAIN`), as after a spurious wakeup.
    var spuriousWakeupEvery: Int?
    /// The camera stops delivering after this many frames (a stalled camera).
    var stallAfterFrames: Int?
    /// Bytes of frame `index` for the negotiated mode.
    var frameBytes: (_ index: Int, _ fourcc: UInt32, _ width: Int, _ height: Int) -> [UInt8]

    // What the test can inspect.
    private(set) var negotiated: (fourcc: UInt32, width: Int, height: Int, bytesPerLine: Int, sizeImage: Int)?
    private(set) var buffers: [UnsafeMutableRawPointer] = []
    private(set) var bufferLength = 0
    private(set) var queued: [Int] = []
    private(set) var dequeuedIndices: [Int] = []
    private(set) var mostBuffersHeldByApplication = 0
    private(set) var streaming = false
    private(set) var streamOffCalled = false
    private(set) var unmappedCount = 0
    private(set) var closed = false
    private var delivered = 0
    private var waits = 0
    private var pendingSpuriousWakeup = false
    private var vanished = false

    init(modes: [Mode], frameBytes: @escaping (Int, UInt32, Int, Int) -> [UInt8]) {
        self.modes = modes
        self.frameBytes = frameBytes
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }

    func control(_ request: UInt, _ argument: UnsafeMutableRawPointer) -> Int32 {
        if closed { return EBADF }
        if vanished { return ENODEV }
        switch request {
        case occlumesh_vidioc_querycap:
            guard isVideoDevice else { return ENOTTY }
            let capture = UInt32(V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING)
            argument.withMemoryRebound(to: v4l2_capability.self, capacity: 1) {
                $0.pointee.capabilities = capture | UInt32(V4L2_CAP_DEVICE_CAPS)
                $0.pointee.device_caps = capture
            }
            return 0
        case occlumesh_vidioc_enum_fmt:
            return argument.withMemoryRebound(to: v4l2_fmtdesc.self, capacity: 1) { description in
                guard description.pointee.type == V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue,
                      Int(description.pointee.index) < modes.count else { return EINVAL }
                description.pointee.pixelformat = modes[Int(description.pointee.index)].fourcc
                return 0
            }
        case occlumesh_vidioc_enum_framesizes:
            return argument.withMemoryRebound(to: v4l2_frmsizeenum.self, capacity: 1) { size in
                guard let mode = modes.first(where: { $0.fourcc == size.pointee.pixel_format }),
                      Int(size.pointee.index) < mode.sizes.count else { return EINVAL }
                let entry = mode.sizes[Int(size.pointee.index)]
                size.pointee.type = V4L2_FRMSIZE_TYPE_DISCRETE.rawValue
                size.pointee.discrete = v4l2_frmsize_discrete(width: UInt32(entry.width), height: UInt32(entry.height))
                return 0
            }
        case occlumesh_vidioc_enum_frameintervals:
            return argument.withMemoryRebound(to: v4l2_frmivalenum.self, capacity: 1) { interval in
                guard let mode = modes.first(where: { $0.fourcc == interval.pointee.pixel_format }),
                      let size = mode.sizes.first(where: { $0.width == Int(interval.pointee.width) && $0.height == Int(interval.pointee.height) }),
                      Int(interval.pointee.index) < size.rates.count else { return EINVAL }
                interval.pointee.type = V4L2_FRMIVAL_TYPE_DISCRETE.rawValue
                interval.pointee.discrete = v4l2_fract(numerator: 1, denominator: UInt32(size.rates[Int(interval.pointee.index)]))
                return 0
            }
        case occlumesh_vidioc_s_fmt:
            if !buffers.isEmpty { return EBUSY }
            return argument.withMemoryRebound(to: v4l2_format.self, capacity: 1) { format in
                guard format.pointee.type == V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue else { return EINVAL }
                // Drivers adjust rather than refuse: an unknown format becomes the first, the size the nearest.
                let mode = modes.first { $0.fourcc == format.pointee.fmt.pix.pixelformat } ?? modes[0]
                let wantedArea = Int(format.pointee.fmt.pix.width * format.pointee.fmt.pix.height)
                let size = mode.sizes.min { abs($0.width * $0.height - wantedArea) < abs($1.width * $1.height - wantedArea) }!
                let bytesPerLine = mode.fourcc == occlumesh_pix_fmt_yuyv ? size.width * 2
                    : mode.fourcc == occlumesh_pix_fmt_nv12 ? size.width : 0
                let sizeImage = mode.fourcc == occlumesh_pix_fmt_mjpeg ? size.width * size.height * 2
                    : mode.fourcc == occlumesh_pix_fmt_nv12 ? size.width * size.height * 3 / 2 : bytesPerLine * size.height
                format.pointee.fmt.pix.pixelformat = mode.fourcc
                format.pointee.fmt.pix.width = UInt32(size.width)
                format.pointee.fmt.pix.height = UInt32(size.height)
                format.pointee.fmt.pix.bytesperline = UInt32(bytesPerLine)
                format.pointee.fmt.pix.sizeimage = UInt32(sizeImage)
                negotiated = (mode.fourcc, size.width, size.height, bytesPerLine, sizeImage)
                return 0
            }
        case occlumesh_vidioc_s_parm:
            return 0
        case occlumesh_vidioc_reqbufs:
            return argument.withMemoryRebound(to: v4l2_requestbuffers.self, capacity: 1) { request in
                guard request.pointee.memory == V4L2_MEMORY_MMAP.rawValue else { return EINVAL }
                guard !streaming, let negotiated else { return EBUSY }
                for buffer in buffers { buffer.deallocate() }
                let count = min(Int(request.pointee.count), 8)
                bufferLength = negotiated.sizeImage
                buffers = (0..<count).map { _ in UnsafeMutableRawPointer.allocate(byteCount: bufferLength, alignment: 64) }
                request.pointee.count = UInt32(count)
                return 0
            }
        case occlumesh_vidioc_querybuf:
            return argument.withMemoryRebound(to: v4l2_buffer.self, capacity: 1) { buffer in
                guard Int(buffer.pointee.index) < buffers.count else { return EINVAL }
                buffer.pointee.length = UInt32(bufferLength)
                buffer.pointee.m.offset = buffer.pointee.index * 4096
                return 0
            }
        case occlumesh_vidioc_qbuf:
            return argument.withMemoryRebound(to: v4l2_buffer.self, capacity: 1) { buffer in
                let index = Int(buffer.pointee.index)
                guard index < buffers.count, !queued.contains(index) else { return EINVAL }
                queued.append(index)
                dequeuedIndices.removeAll { $0 == index }
                return 0
            }
        case occlumesh_vidioc_dqbuf:
            return argument.withMemoryRebound(to: v4l2_buffer.self, capacity: 1) { buffer in
                guard streaming else { return EINVAL }
                if let vanishAfterFrames, delivered >= vanishAfterFrames {
                    vanished = true
                    return ENODEV
                }
                if pendingSpuriousWakeup {
                    pendingSpuriousWakeup = false
                    return EAGAIN
                }
                guard !queued.isEmpty, stallAfterFrames.map({ delivered < $0 }) ?? true else { return EAGAIN }
                let index = queued.removeFirst()
                let negotiated = negotiated!
                let bytes = frameBytes(delivered, negotiated.fourcc, negotiated.width, negotiated.height)
                precondition(bytes.count <= bufferLength)
                bytes.withUnsafeBytes { buffers[index].copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
                var now = timespec()
                clock_gettime(CLOCK_MONOTONIC, &now)
                buffer.pointee.index = UInt32(index)
                buffer.pointee.bytesused = UInt32(bytes.count)
                buffer.pointee.sequence = UInt32(delivered)
                buffer.pointee.flags = UInt32(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC | V4L2_BUF_FLAG_DONE)
                buffer.pointee.timestamp = timeval(tv_sec: now.tv_sec, tv_usec: now.tv_nsec / 1000)
                delivered += 1
                dequeuedIndices.append(index)
                mostBuffersHeldByApplication = max(mostBuffersHeldByApplication, dequeuedIndices.count)
                return 0
            }
        case occlumesh_vidioc_streamon:
            guard !buffers.isEmpty else { return EINVAL }
            streaming = true
            return 0
        case occlumesh_vidioc_streamoff:
            streaming = false
            streamOffCalled = true
            queued.removeAll()
            return 0
        default:
            return ENOTTY
        }
    }

    func mapBuffer(length: Int, offset: Int64) -> UnsafeMutableRawPointer? {
        let index = Int(offset / 4096)
        guard index < buffers.count, length == bufferLength else { return nil }
        return buffers[index]
    }

    func unmapBuffer(_ address: UnsafeMutableRawPointer, length: Int) {
        unmappedCount += 1
    }

    func waitForFrame(timeoutMilliseconds: Int32) -> DeviceWaitResult {
        if vanished { return .failed(ENODEV) }
        if let stallAfterFrames, delivered >= stallAfterFrames { return .timedOut }
        waits += 1
        if let every = spuriousWakeupEvery, waits % every == 0 { pendingSpuriousWakeup = true }
        return .ready
    }

    func close() {
        closed = true
    }
}
