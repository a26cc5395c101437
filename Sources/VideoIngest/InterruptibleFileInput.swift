import CFFmpeg
#if canImport(Glibc)
import Glibc
#endif

/// FFmpeg's input from a FIFO or character device, read through a custom `AVIOContext` that waits
/// for data with `poll` in 100 ms slices: FFmpeg's own file protocol blocks in `read`, where a
/// `SourceInterruption` cannot reach it. Owned by one `FFmpegSource`.
final class InterruptibleFileInput {
    /// The I/O context to install as the format context's `pb` (with `AVFMT_FLAG_CUSTOM_IO`).
    private(set) var context: UnsafeMutablePointer<AVIOContext>?
    private let descriptor: Int32
    private let interruption: SourceInterruption
    private static let bufferSize = 1 << 16

    /// Opens `path` for reading (for a FIFO this waits for a writer, as FFmpeg's `open` would).
    init(path: String, interruption: SourceInterruption) throws {
        descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw FFmpegSource.openError(input: path, code: occlumesh_averror(errno))
        }
        self.interruption = interruption
        guard let buffer = av_malloc(Self.bufferSize) else {
            close(descriptor)
            throw FFmpegSource.openError(input: path, code: occlumesh_averror(ENOMEM))
        }
        context = avio_alloc_context(buffer.assumingMemoryBound(to: UInt8.self), Int32(Self.bufferSize), 0,
                                     Unmanaged.passUnretained(self).toOpaque(), { opaque, buffer, size in
            guard let opaque, let buffer else { return occlumesh_averror(EINVAL) }
            return Unmanaged<InterruptibleFileInput>.fromOpaque(opaque).takeUnretainedValue().read(into: buffer, size: size)
        }, nil, nil)
        guard let context else {
            av_free(buffer)
            close(descriptor)
            throw FFmpegSource.openError(input: path, code: occlumesh_averror(ENOMEM))
        }
        context.pointee.seekable = 0
    }

    deinit {
        if context != nil { av_freep(&context!.pointee.buffer) }
        avio_context_free(&context)
        close(descriptor)
    }

    /// FFmpeg's read callback: up to `size` bytes, `AVERROR_EOF` when the writer closed, `AVERROR_EXIT` once interrupted.
    private func read(into buffer: UnsafeMutablePointer<UInt8>, size: Int32) -> Int32 {
        while !interruption.isInterrupted {
            var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            let ready = poll(&request, 1, 100)
            if ready == 0 || (ready < 0 && errno == EINTR) { continue }
            if ready < 0 { return occlumesh_averror(errno) }
            let count = Glibc.read(descriptor, buffer, Int(size))
            if count > 0 { return Int32(count) }
            if count == 0 { return occlumesh_averror_eof() }
            if errno == EINTR || errno == EAGAIN { continue }
            return occlumesh_averror(errno)
        }
        return occlumesh_averror_exit()
    }
}
