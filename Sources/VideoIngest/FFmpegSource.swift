import CFFmpeg
#if canImport(Glibc)
import Glibc
#endif
import MonotonicTime

/// Decodes video from anything the FFmpeg libraries read: files, pipes, FIFOs and network URLs,
/// in any container and codec they support.
///
/// Corrupt packets inside an otherwise readable input are skipped, as the `ffmpeg` command line
/// does; an input that yields no frame at all ends in `VideoIngestError.decodeFailed`.
public final class FFmpegSource: FrameSource {
    /// How to open the input and what to hand out.
    public struct Options: Sendable {
        /// Scale frames to this size on conversion; `nil` keeps the stream's size.
        public var outputSize: OutputSize?
        /// Without `outputSize`: scale frames down, aspect kept and sides even, when the stream is larger than this.
        /// Decided frame by frame, so a pipe or stream is opened only once and a stream that changes resolution
        /// stays inside the limit (`format` gives the size at opening; each frame carries its own).
        public var fitInside: OutputSize?
        /// Treat the input as live (newest frame wins downstream); `nil` decides from the input's kind:
        /// FIFOs, character devices and network URLs are live, regular files are not.
        public var isLive: Bool?
        /// Force a demuxer (`rawvideo`, `mjpeg`, …) instead of probing; needed for headerless raw input.
        public var inputFormat: String?
        /// Demuxer options such as `video_size`, `pixel_format` and `framerate` for raw input.
        public var inputOptions: [String: String]
        /// Decoder threads; 0 lets FFmpeg choose one per core.
        public var decoderThreads: Int

        /// Creates options; the defaults decode at the stream's size with automatic threading.
        public init(outputSize: OutputSize? = nil, fitInside: OutputSize? = nil, isLive: Bool? = nil,
                    inputFormat: String? = nil, inputOptions: [String: String] = [:], decoderThreads: Int = 0) {
            self.outputSize = outputSize
            self.fitInside = fitInside
            self.isLive = isLive
            self.inputFormat = inputFormat
            self.inputOptions = inputOptions
            self.decoderThreads = decoderThreads
        }
    }

    public let format: VideoFormat
    public let isLive: Bool
    /// Ends a read blocked in FFmpeg (through its interrupt callback) from another thread.
    public let interruption = SourceInterruption()
    /// Packets the decoder rejected as corrupt and that were skipped.
    public private(set) var skippedPackets = 0

    private let input: String
    /// The reader of a FIFO or device input (nil for files and URLs, which FFmpeg reads itself).
    private var fileInput: InterruptibleFileInput?
    private var formatContext: UnsafeMutablePointer<AVFormatContext>?
    private var codecContext: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var decodedPicture: UnsafeMutablePointer<AVFrame>?
    private let converter: PixelConverter
    private let streamIndex: Int32
    private let timeBase: AVRational
    private var nextIndex = 0
    private var draining = false
    private var finished = false
    private var lastDecodeError: Int32 = 0

    /// Opens `input` (a path or URL) and prepares its best video stream for decoding.
    public init(input: String, options: Options = Options()) throws {
        self.input = input
        _ = ffmpegLoggingConfigured
        let isURL = input.contains("://")
        var fileKind: mode_t = 0
        if !isURL { fileKind = try Self.checkReadablePath(input) }
        isLive = options.isLive ?? (isURL && !input.hasPrefix("file://")
            || (fileKind & S_IFMT) == S_IFIFO || (fileKind & S_IFMT) == S_IFCHR)
        converter = PixelConverter(outputSize: options.outputSize, fitInside: options.fitInside)

        var dictionary: OpaquePointer?
        for (key, value) in options.inputOptions { av_dict_set(&dictionary, key, value, 0) }
        defer { av_dict_free(&dictionary) }
        let demuxer = options.inputFormat.flatMap { av_find_input_format($0) }
        if let name = options.inputFormat, demuxer == nil {
            throw VideoIngestError.unrecognizedFormat(input: input, reason: "unknown input format '\(name)'")
        }
        // FFmpeg polls the interrupt callback while it waits for input, so `interruption` ends a blocked read.
        guard let allocated = avformat_alloc_context() else { throw Self.openError(input: input, code: occlumesh_averror(ENOMEM)) }
        var openedContext: UnsafeMutablePointer<AVFormatContext>? = allocated
        allocated.pointee.interrupt_callback = AVIOInterruptCB(
            callback: { opaque in
                guard let opaque else { return 0 }
                return Unmanaged<SourceInterruption>.fromOpaque(opaque).takeUnretainedValue().isInterrupted ? 1 : 0
            },
            opaque: Unmanaged.passUnretained(interruption).toOpaque())
        let demuxerOpensItself = demuxer.map { $0.pointee.flags & AVFMT_NOFILE != 0 } ?? false
        if !isURL && !demuxerOpensItself && ((fileKind & S_IFMT) == S_IFIFO || (fileKind & S_IFMT) == S_IFCHR) {
            // FFmpeg would block in read() on a quiet pipe or device, out of the interrupt callback's reach.
            do {
                let reader = try InterruptibleFileInput(path: input, interruption: interruption)
                fileInput = reader
                allocated.pointee.pb = reader.context
                allocated.pointee.flags |= AVFMT_FLAG_CUSTOM_IO
            } catch {
                avformat_free_context(allocated)
                throw error
            }
        }
        let openResult = avformat_open_input(&openedContext, input, demuxer, &dictionary)
        guard openResult >= 0, let context = openedContext else { throw Self.openError(input: input, code: openResult) }
        do {
            let infoResult = avformat_find_stream_info(context, nil)
            guard infoResult >= 0 else {
                throw VideoIngestError.unrecognizedFormat(input: input, reason: ffmpegErrorDescription(infoResult))
            }
            var decoder: UnsafePointer<AVCodec>?
            let best = av_find_best_stream(context, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0)
            if best == occlumesh_averror_stream_not_found() { throw VideoIngestError.noVideoStream(input: input) }
            if best == occlumesh_averror_decoder_not_found() || (best >= 0 && decoder == nil) {
                let parameters = Self.firstVideoParameters(context)
                let name = parameters.map { String(cString: avcodec_get_name($0.pointee.codec_id)) } ?? "unknown"
                throw VideoIngestError.unsupportedCodec(input: input, codec: name)
            }
            guard best >= 0, let decoder, let stream = context.pointee.streams[Int(best)] else {
                throw VideoIngestError.unrecognizedFormat(input: input, reason: ffmpegErrorDescription(best))
            }
            streamIndex = best
            let parameters = stream.pointee.codecpar.pointee
            guard parameters.width > 0, parameters.height > 0 else {
                throw VideoIngestError.unrecognizedFormat(input: input, reason: "video stream has no picture size")
            }
            timeBase = stream.pointee.time_base
            let decoderContext = try Self.openDecoder(decoder, parameters: stream.pointee.codecpar, input: input,
                                                threads: options.decoderThreads, isLive: isLive)
            formatContext = context
            codecContext = decoderContext
            let rate = av_guess_frame_rate(context, stream, nil)
            let (width, height) = converter.outputDimensions(sourceWidth: Int(parameters.width),
                                                             sourceHeight: Int(parameters.height))
            format = VideoFormat(width: width, height: height,
                                 framesPerSecond: rate.den > 0 ? Double(rate.num) / Double(rate.den) : 0,
                                 codecName: String(cString: avcodec_get_name(parameters.codec_id)))
            packet = av_packet_alloc()
            decodedPicture = av_frame_alloc()
        } catch {
            avformat_close_input(&openedContext)
            throw error
        }
    }

    deinit {
        releaseFFmpegObjects()
    }

    public func nextFrame() throws -> VideoFrame? {
        guard let codecContext, let formatContext, let packet, let decodedPicture else { return nil }
        while !finished && !interruption.isInterrupted {
            let received = avcodec_receive_frame(codecContext, decodedPicture)
            if received == 0 {
                defer { av_frame_unref(decodedPicture) }
                return try makeFrame(from: decodedPicture)
            }
            if received == occlumesh_averror_eof() {
                finished = true
                break
            }
            if received != occlumesh_averror_eagain() {
                lastDecodeError = received
                skippedPackets += 1
                continue
            }
            if draining {
                finished = true
                break
            }
            let read = av_read_frame(formatContext, packet)
            if read < 0 && interruption.isInterrupted { return nil }
            if read < 0 {
                if read != occlumesh_averror_eof() { lastDecodeError = read }
                avcodec_send_packet(codecContext, nil)
                draining = true
                continue
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            let sent = avcodec_send_packet(codecContext, packet)
            if sent < 0 && sent != occlumesh_averror_eagain() {
                lastDecodeError = sent
                skippedPackets += 1
            }
        }
        if interruption.isInterrupted { return nil }
        if nextIndex == 0 && lastDecodeError != 0 {
            throw VideoIngestError.decodeFailed(input: input, frameIndex: 0, reason: ffmpegErrorDescription(lastDecodeError))
        }
        return nil
    }

    private func makeFrame(from picture: UnsafeMutablePointer<AVFrame>) throws -> VideoFrame {
        guard let converted = converter.convert(picture) else {
            throw VideoIngestError.decodeFailed(input: input, frameIndex: nextIndex,
                                                reason: "cannot convert pixel format \(Self.pixelFormatName(picture.pointee.format)) to RGB")
        }
        let timestamp = picture.pointee.best_effort_timestamp
        let presentationTime: Double
        if timestamp != occlumesh_av_nopts_value() && timeBase.den != 0 {
            presentationTime = Double(timestamp) * Double(timeBase.num) / Double(timeBase.den)
        } else {
            presentationTime = format.framesPerSecond > 0 ? Double(nextIndex) / format.framesPerSecond : 0
        }
        defer { nextIndex += 1 }
        return VideoFrame(index: nextIndex, presentationTime: presentationTime, captureTime: MonotonicClock.now(),
                          width: converted.width, height: converted.height, layout: .rgb24,
                          bytesPerRow: converted.bytesPerRow, pixels: converted.pixels)
    }

    private func releaseFFmpegObjects() {
        av_frame_free(&decodedPicture)
        av_packet_free(&packet)
        avcodec_free_context(&codecContext)
        avformat_close_input(&formatContext)
        fileInput = nil
    }

    /// Turns the common ways a path can be unusable into specific errors before FFmpeg sees it.
    private static func checkReadablePath(_ path: String) throws -> mode_t {
        var status = stat()
        guard stat(path, &status) == 0 else {
            if errno == EACCES { throw VideoIngestError.permissionDenied(path: path) }
            throw VideoIngestError.fileNotFound(path: path)
        }
        let kind = status.st_mode & S_IFMT
        if kind == S_IFDIR { throw VideoIngestError.isDirectory(path: path) }
        if access(path, R_OK) != 0 { throw VideoIngestError.permissionDenied(path: path) }
        if kind == S_IFREG && status.st_size == 0 { throw VideoIngestError.emptyFile(path: path) }
        return status.st_mode
    }

    static func openError(input: String, code: Int32) -> VideoIngestError {
        switch code {
        case occlumesh_averror(ENOENT): .fileNotFound(path: input)
        case occlumesh_averror(EACCES): .permissionDenied(path: input)
        default: .unrecognizedFormat(input: input, reason: ffmpegErrorDescription(code))
        }
    }

    private static func openDecoder(_ decoder: UnsafePointer<AVCodec>, parameters: UnsafeMutablePointer<AVCodecParameters>,
                                    input: String, threads: Int, isLive: Bool) throws -> UnsafeMutablePointer<AVCodecContext> {
        guard var context = avcodec_alloc_context3(decoder) else {
            throw VideoIngestError.decodeFailed(input: input, frameIndex: 0, reason: "cannot allocate decoder")
        }
        var owned: UnsafeMutablePointer<AVCodecContext>? = context
        var result = avcodec_parameters_to_context(context, parameters)
        if result >= 0 {
            context.pointee.thread_count = Int32(threads)
            // Frame threading delays every frame by one per thread: fine for files, not for live video.
            context.pointee.thread_type = isLive ? FF_THREAD_SLICE : (FF_THREAD_FRAME | FF_THREAD_SLICE)
            result = avcodec_open2(context, decoder, nil)
        }
        guard result >= 0 else {
            avcodec_free_context(&owned)
            throw VideoIngestError.unsupportedCodec(input: input, codec: String(cString: decoder.pointee.name)
                + " (" + ffmpegErrorDescription(result) + ")")
        }
        context = owned!
        return context
    }

    private static func firstVideoParameters(_ context: UnsafeMutablePointer<AVFormatContext>) -> UnsafeMutablePointer<AVCodecParameters>? {
        for index in 0..<Int(context.pointee.nb_streams) {
            if let parameters = context.pointee.streams[index]?.pointee.codecpar,
               parameters.pointee.codec_type == AVMEDIA_TYPE_VIDEO {
                return parameters
            }
        }
        return nil
    }

    static func pixelFormatName(_ format: Int32) -> String {
        av_get_pix_fmt_name(AVPixelFormat(rawValue: format)).map { String(cString: $0) } ?? "unknown"
    }
}
