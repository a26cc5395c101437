import CFFmpeg
import CV4L2
#if canImport(Glibc)
import Glibc
#endif
import MonotonicTime

/// Streams frames from a V4L2 camera (`/dev/videoN`) with memory-mapped buffers.
///
/// Opening negotiates the best of MJPEG, YUYV and NV12 at the requested size and rate
/// (`CameraFormatNegotiation`); each frame carries the kernel's capture timestamp and is converted
/// to RGB straight out of the mapped buffer (MJPEG is decoded with libavcodec first).
public final class V4L2CameraSource: FrameSource {
    /// Ends a wait for the camera's next frame from another thread.
    public let interruption = SourceInterruption()
    /// What to ask the camera for.
    public struct Options: Sendable {
        /// Requested frame width; the nearest size the camera offers is used.
        public var width: Int
        /// Requested frame height.
        public var height: Int
        /// Requested frame rate.
        public var framesPerSecond: Double
        /// Scale frames to this size on conversion; `nil` keeps the camera's size.
        public var outputSize: OutputSize?
        /// Streaming buffers to request from the driver.
        public var bufferCount: Int
        /// How long `nextFrame()` waits for a frame before it reports the camera as stalled.
        public var frameTimeoutSeconds: Double

        /// Creates options; the defaults ask for 640×480 at 30 fps with four buffers and a 2 s timeout.
        public init(width: Int = 640, height: Int = 480, framesPerSecond: Double = 30, outputSize: OutputSize? = nil,
                    bufferCount: Int = 4, frameTimeoutSeconds: Double = 2) {
            self.width = width
            self.height = height
            self.framesPerSecond = framesPerSecond
            self.outputSize = outputSize
            self.bufferCount = bufferCount
            self.frameTimeoutSeconds = frameTimeoutSeconds
        }
    }

    public let format: VideoFormat
    public let isLive = true
    /// The mode negotiated with the camera.
    public let mode: CameraMode

    private let deviceName: String
    private let device: VideoDeviceInterface
    private let options: Options
    private var buffers: [(address: UnsafeMutableRawPointer, length: Int)] = []
    private let bytesPerLine: Int
    private let converter: PixelConverter
    private let mjpegDecoder: MJPEGDecoder?
    private var streaming = false
    private var nextIndex = 0
    private var firstCaptureTime: Double?

    /// Opens the camera at `device` through libv4l2.
    public convenience init(device: String, options: Options = Options()) throws {
        try self.init(deviceName: device, interface: LibV4L2Device(path: device), options: options)
    }

    /// Drives an already opened device interface; `deviceName` is used in messages.
    public init(deviceName: String, interface: VideoDeviceInterface, options: Options = Options()) throws {
        self.deviceName = deviceName
        self.device = interface
        self.options = options
        converter = PixelConverter(outputSize: options.outputSize)
        do {
            try Self.checkCapabilities(interface, deviceName: deviceName)
            let offered = try Self.enumerateModes(interface, deviceName: deviceName)
            guard let chosen = CameraFormatNegotiation.choose(
                from: offered, width: options.width, height: options.height, framesPerSecond: options.framesPerSecond)
            else {
                throw VideoIngestError.noUsableCameraFormat(
                    device: deviceName, offered: Array(Set(offered.map(\.fourccName))).sorted())
            }
            let negotiated = try Self.setFormat(chosen, on: interface, deviceName: deviceName)
            mode = negotiated.mode
            bytesPerLine = negotiated.bytesPerLine
            Self.setFrameRate(options.framesPerSecond, on: interface)
            mjpegDecoder = mode.pixelFormat == occlumesh_pix_fmt_mjpeg ? MJPEGDecoder() : nil
            let (width, height) = converter.outputDimensions(sourceWidth: mode.width, sourceHeight: mode.height)
            format = VideoFormat(width: width, height: height, framesPerSecond: mode.framesPerSecond,
                                 codecName: Self.codecName(mode.pixelFormat))
        } catch {
            interface.close()
            throw error
        }
        // Fully initialised from here: if streaming cannot start, deinit unmaps and closes.
        try startStreaming()
    }

    deinit {
        if streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            _ = device.control(occlumesh_vidioc_streamoff, &type)
        }
        releaseBuffers()
        device.close()
    }

    public func nextFrame() throws -> VideoFrame? {
        let timeout = options.frameTimeoutSeconds
        while true {
            // Waits in slices of at most 100 ms so an interruption ends the wait promptly.
            let began = MonotonicClock.now()
            var waiting = true
            while waiting {
                if interruption.isInterrupted { return nil }
                let left = timeout - (MonotonicClock.now() - began)
                switch device.waitForFrame(timeoutMilliseconds: Int32(max(0, min(0.1, left)) * 1000)) {
                case .ready: waiting = false
                case .timedOut:
                    if left <= 0.1 { throw VideoIngestError.cameraTimedOut(device: deviceName, seconds: timeout) }
                case .failed(let code): throw deviceError(operation: "poll", code: code)
                }
            }
            var buffer = v4l2_buffer()
            buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            buffer.memory = V4L2_MEMORY_MMAP.rawValue
            let result = device.control(occlumesh_vidioc_dqbuf, &buffer)
            if result == EAGAIN { continue }
            guard result == 0 else { throw deviceError(operation: "VIDIOC_DQBUF", code: result) }
            defer {
                var requeued = buffer
                _ = device.control(occlumesh_vidioc_qbuf, &requeued)
            }
            // A buffer the driver flags as corrupt is returned to it and the next one awaited.
            if buffer.flags & UInt32(V4L2_BUF_FLAG_ERROR) != 0 { continue }
            guard Int(buffer.index) < buffers.count else {
                throw deviceError(operation: "VIDIOC_DQBUF", code: EINVAL)
            }
            let mapped = buffers[Int(buffer.index)]
            let bytes = UnsafeRawBufferPointer(start: mapped.address, count: min(Int(buffer.bytesused), mapped.length))
            guard let frame = try convert(bytes, timestamp: buffer.timestamp, flags: buffer.flags) else { continue }
            return frame
        }
    }

    // MARK: Conversion

    private func convert(_ bytes: UnsafeRawBufferPointer, timestamp: timeval, flags: UInt32) throws -> VideoFrame? {
        let converted: (width: Int, height: Int, bytesPerRow: Int, pixels: [UInt8])?
        if let mjpegDecoder {
            switch mjpegDecoder.decode(bytes, { converter.convert($0) }) {
            case .success(let result): converted = result
            case .failure: return nil  // a torn JPEG from the camera: skip it, as players do
            }
        } else {
            converted = convertRaw(bytes)
        }
        guard let converted else { return nil }
        let isMonotonic = flags & UInt32(V4L2_BUF_FLAG_TIMESTAMP_MASK) == UInt32(V4L2_BUF_FLAG_TIMESTAMP_MONOTONIC)
        let kernelTime = Double(timestamp.tv_sec) + Double(timestamp.tv_usec) * 1e-6
        let captureTime = isMonotonic && kernelTime > 0 ? kernelTime : MonotonicClock.now()
        let start = firstCaptureTime ?? captureTime
        firstCaptureTime = start
        defer { nextIndex += 1 }
        return VideoFrame(index: nextIndex, presentationTime: captureTime - start, captureTime: captureTime,
                          width: converted.width, height: converted.height, layout: .rgb24,
                          bytesPerRow: converted.bytesPerRow, pixels: converted.pixels)
    }

    /// Wraps a raw YUYV or NV12 buffer in an `AVFrame` header (no copy) and converts it.
    private func convertRaw(_ bytes: UnsafeRawBufferPointer) -> (width: Int, height: Int, bytesPerRow: Int, pixels: [UInt8])? {
        let isNV12 = mode.pixelFormat == occlumesh_pix_fmt_nv12
        let lumaBytes = bytesPerLine * mode.height
        let needed = isNV12 ? lumaBytes + bytesPerLine * (mode.height / 2) : lumaBytes
        guard bytes.count >= needed, let base = bytes.baseAddress else { return nil }
        var picture = AVFrame()
        picture.width = Int32(mode.width)
        picture.height = Int32(mode.height)
        picture.format = (isNV12 ? AV_PIX_FMT_NV12 : AV_PIX_FMT_YUYV422).rawValue
        // Cameras do not tag raw frames; "unspecified" makes swscale use its BT.601 default, as ffmpeg does.
        picture.colorspace = AVCOL_SPC_UNSPECIFIED
        picture.color_range = AVCOL_RANGE_UNSPECIFIED
        let start = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: UInt8.self))
        picture.data.0 = start
        picture.linesize.0 = Int32(bytesPerLine)
        if isNV12 {
            picture.data.1 = start + lumaBytes
            picture.linesize.1 = Int32(bytesPerLine)
        }
        return withUnsafePointer(to: &picture) { converter.convert($0) }
    }

    // MARK: Setup

    private static func checkCapabilities(_ device: VideoDeviceInterface, deviceName: String) throws {
        var capability = v4l2_capability()
        let result = device.control(occlumesh_vidioc_querycap, &capability)
        if result == ENOTTY || result == EINVAL {
            throw VideoIngestError.notACamera(device: deviceName, reason: "VIDIOC_QUERYCAP is not supported")
        }
        guard result == 0 else { throw mapError(deviceName, "VIDIOC_QUERYCAP", result) }
        let capabilities = capability.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0
            ? capability.device_caps : capability.capabilities
        guard capabilities & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0 else {
            throw VideoIngestError.notACamera(device: deviceName, reason: "no video capture capability")
        }
        guard capabilities & UInt32(V4L2_CAP_STREAMING) != 0 else {
            throw VideoIngestError.notACamera(device: deviceName, reason: "no streaming I/O")
        }
    }

    /// Every (format, size, best rate) the camera lists; formats without size enumeration are offered at the requested size.
    private static func enumerateModes(_ device: VideoDeviceInterface, deviceName: String) throws -> [CameraMode] {
        var modes: [CameraMode] = []
        for formatIndex in 0..<64 {
            var description = v4l2_fmtdesc()
            description.index = UInt32(formatIndex)
            description.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            let result = device.control(occlumesh_vidioc_enum_fmt, &description)
            if result == EINVAL { break }
            guard result == 0 else { throw mapError(deviceName, "VIDIOC_ENUM_FMT", result) }
            let sizes = enumerateSizes(device, pixelFormat: description.pixelformat)
            if sizes.isEmpty {
                modes.append(CameraMode(pixelFormat: description.pixelformat, width: 0, height: 0, framesPerSecond: 0))
            }
            for (width, height) in sizes {
                let rate = bestRate(device, pixelFormat: description.pixelformat, width: width, height: height)
                modes.append(CameraMode(pixelFormat: description.pixelformat, width: width, height: height, framesPerSecond: rate))
            }
        }
        return modes
    }

    private static func enumerateSizes(_ device: VideoDeviceInterface, pixelFormat: UInt32) -> [(Int, Int)] {
        var sizes: [(Int, Int)] = []
        for sizeIndex in 0..<256 {
            var size = v4l2_frmsizeenum()
            size.index = UInt32(sizeIndex)
            size.pixel_format = pixelFormat
            guard device.control(occlumesh_vidioc_enum_framesizes, &size) == 0 else { break }
            if size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                sizes.append((Int(size.discrete.width), Int(size.discrete.height)))
            } else {
                // Stepwise or continuous: offer the largest size; S_FMT adjusts to what is asked.
                sizes.append((Int(size.stepwise.max_width), Int(size.stepwise.max_height)))
                break
            }
        }
        return sizes
    }

    private static func bestRate(_ device: VideoDeviceInterface, pixelFormat: UInt32, width: Int, height: Int) -> Double {
        var best = 0.0
        for intervalIndex in 0..<64 {
            var interval = v4l2_frmivalenum()
            interval.index = UInt32(intervalIndex)
            interval.pixel_format = pixelFormat
            interval.width = UInt32(width)
            interval.height = UInt32(height)
            guard device.control(occlumesh_vidioc_enum_frameintervals, &interval) == 0 else { break }
            let fraction = interval.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue ? interval.discrete : interval.stepwise.min
            if fraction.numerator > 0 { best = max(best, Double(fraction.denominator) / Double(fraction.numerator)) }
            if interval.type != V4L2_FRMIVAL_TYPE_DISCRETE.rawValue { break }
        }
        return best
    }

    private static func setFormat(_ wanted: CameraMode, on device: VideoDeviceInterface, deviceName: String) throws
        -> (mode: CameraMode, bytesPerLine: Int)
    {
        var format = v4l2_format()
        format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        format.fmt.pix.width = UInt32(wanted.width)
        format.fmt.pix.height = UInt32(wanted.height)
        format.fmt.pix.pixelformat = wanted.pixelFormat
        format.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        let result = device.control(occlumesh_vidioc_s_fmt, &format)
        guard result == 0 else { throw mapError(deviceName, "VIDIOC_S_FMT", result) }
        let pix = format.fmt.pix
        guard pix.width > 0, pix.height > 0, CameraFormatNegotiation.supportedFormats.contains(pix.pixelformat) else {
            throw VideoIngestError.noUsableCameraFormat(device: deviceName, offered: [fourccString(pix.pixelformat)])
        }
        let packedLine = pix.pixelformat == occlumesh_pix_fmt_yuyv ? Int(pix.width) * 2 : Int(pix.width)
        let mode = CameraMode(pixelFormat: pix.pixelformat, width: Int(pix.width), height: Int(pix.height),
                              framesPerSecond: wanted.framesPerSecond)
        return (mode, max(Int(pix.bytesperline), packedLine))
    }

    /// Asks for the frame rate; cameras that cannot set it keep their own, which is not an error.
    private static func setFrameRate(_ framesPerSecond: Double, on device: VideoDeviceInterface) {
        guard framesPerSecond > 0 else { return }
        var parameters = v4l2_streamparm()
        parameters.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        parameters.parm.capture.timeperframe = v4l2_fract(numerator: 1000, denominator: UInt32(framesPerSecond * 1000))
        _ = device.control(occlumesh_vidioc_s_parm, &parameters)
    }

    private func startStreaming() throws {
        var request = v4l2_requestbuffers()
        request.count = UInt32(options.bufferCount)
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        request.memory = V4L2_MEMORY_MMAP.rawValue
        var result = device.control(occlumesh_vidioc_reqbufs, &request)
        guard result == 0 else { throw deviceError(operation: "VIDIOC_REQBUFS", code: result) }
        guard request.count > 0 else { throw deviceError(operation: "VIDIOC_REQBUFS", code: ENOMEM) }
        for index in 0..<request.count {
            var buffer = v4l2_buffer()
            buffer.index = index
            buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            buffer.memory = V4L2_MEMORY_MMAP.rawValue
            result = device.control(occlumesh_vidioc_querybuf, &buffer)
            guard result == 0 else { throw deviceError(operation: "VIDIOC_QUERYBUF", code: result) }
            guard let address = device.mapBuffer(length: Int(buffer.length), offset: Int64(buffer.m.offset)) else {
                throw deviceError(operation: "mmap", code: errno == 0 ? ENOMEM : errno)
            }
            buffers.append((address, Int(buffer.length)))
            result = device.control(occlumesh_vidioc_qbuf, &buffer)
            guard result == 0 else { throw deviceError(operation: "VIDIOC_QBUF", code: result) }
        }
        var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        result = device.control(occlumesh_vidioc_streamon, &type)
        guard result == 0 else { throw deviceError(operation: "VIDIOC_STREAMON", code: result) }
        streaming = true
    }

    private func releaseBuffers() {
        for buffer in buffers { device.unmapBuffer(buffer.address, length: buffer.length) }
        buffers.removeAll()
    }

    private func deviceError(operation: String, code: Int32) -> VideoIngestError {
        Self.mapError(deviceName, operation, code)
    }

    private static func mapError(_ deviceName: String, _ operation: String, _ code: Int32) -> VideoIngestError {
        code == ENODEV || code == ENXIO ? .deviceVanished(device: deviceName)
            : .deviceFailure(device: deviceName, operation: operation, errno: code)
    }

    private static func codecName(_ pixelFormat: UInt32) -> String {
        switch pixelFormat {
        case occlumesh_pix_fmt_mjpeg: "mjpeg"
        case occlumesh_pix_fmt_yuyv: "yuyv422"
        case occlumesh_pix_fmt_nv12: "nv12"
        default: fourccString(pixelFormat)
        }
    }
}
