#if canImport(Glibc)
import Glibc
#endif

/// Opens the right kind of source for `input`: a V4L2 camera for character devices such as
/// `/dev/video0`, FFmpeg for everything else (files, FIFOs, URLs).
public func openFrameSource(_ input: String, outputSize: OutputSize? = nil) throws -> any FrameSource {
    var status = stat()
    if !input.contains("://"), stat(input, &status) == 0, (status.st_mode & S_IFMT) == S_IFCHR {
        return try V4L2CameraSource(device: input, options: .init(outputSize: outputSize))
    }
    return try FFmpegSource(input: input, options: .init(outputSize: outputSize))
}
