/// Why a source could not be opened or stopped delivering frames. Every case reads as one line.
public enum VideoIngestError: Error, Equatable, CustomStringConvertible {
    /// The path does not exist.
    case fileNotFound(path: String)
    /// The path names a directory, not a video.
    case isDirectory(path: String)
    /// The process may not read the path.
    case permissionDenied(path: String)
    /// The file exists but holds no bytes.
    case emptyFile(path: String)
    /// FFmpeg could not recognise a container in the input.
    case unrecognizedFormat(input: String, reason: String)
    /// The input has streams, but none of them is video.
    case noVideoStream(input: String)
    /// The video stream's codec has no decoder in this FFmpeg build.
    case unsupportedCodec(input: String, codec: String)
    /// Decoding failed part-way through.
    case decodeFailed(input: String, frameIndex: Int, reason: String)
    /// The device is not a V4L2 video capture device.
    case notACamera(device: String, reason: String)
    /// The camera offers none of the pixel formats we can decode.
    case noUsableCameraFormat(device: String, offered: [String])
    /// The camera disappeared (unplugged, driver unloaded) while streaming.
    case deviceVanished(device: String)
    /// The camera produced no frame within the timeout.
    case cameraTimedOut(device: String, seconds: Double)
    /// A system call on the device failed for another reason.
    case deviceFailure(device: String, operation: String, errno: Int32)

    /// One line naming the input and the cause.
    public var description: String {
        switch self {
        case .fileNotFound(let path): "\(path): no such file"
        case .isDirectory(let path): "\(path): is a directory, not a video"
        case .permissionDenied(let path): "\(path): permission denied"
        case .emptyFile(let path): "\(path): file is empty"
        case .unrecognizedFormat(let input, let reason): "\(input): not a recognised video container (\(reason))"
        case .noVideoStream(let input): "\(input): contains no video stream"
        case .unsupportedCodec(let input, let codec): "\(input): no decoder for codec '\(codec)'"
        case .decodeFailed(let input, let frameIndex, let reason): "\(input): decoding failed at frame \(frameIndex) (\(reason))"
        case .notACamera(let device, let reason): "\(device): not a V4L2 video capture device (\(reason))"
        case .noUsableCameraFormat(let device, let offered):
            "\(device): camera offers no usable pixel format (offers \(offered.joined(separator: ", ")); need MJPEG, YUYV or NV12"
        case .deviceVanished(let device): "\(device): camera disappeared while streaming"
        case .cameraTimedOut(let device, let seconds): "\(device): no frame from camera within \(seconds) s"
        case .deviceFailure(let device, let operation, let errno):
            "\(device): \(operation) failed: \(String(cString: strerror(errno)))"
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
