import CFFmpeg

/// Decodes the JPEG pictures MJPEG cameras send, one buffer at a time, with libavcodec.
final class MJPEGDecoder {
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var picture: UnsafeMutablePointer<AVFrame>?

    init?() {
        _ = ffmpegLoggingConfigured
        guard let decoder = avcodec_find_decoder(AV_CODEC_ID_MJPEG), let context = avcodec_alloc_context3(decoder) else {
            return nil
        }
        self.context = context
        context.pointee.thread_count = 1
        guard avcodec_open2(context, decoder, nil) >= 0 else { return nil }
        packet = av_packet_alloc()
        picture = av_frame_alloc()
    }

    deinit {
        av_frame_free(&picture)
        av_packet_free(&packet)
        avcodec_free_context(&context)
    }

    /// Decodes one JPEG picture and passes the decoded frame to `body`; returns nil with FFmpeg's reason on failure.
    func decode<Result>(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafePointer<AVFrame>) -> Result) -> Swift.Result<Result, DecodeFailure> {
        guard let context, let packet, let picture, bytes.count > 0 else { return .failure(DecodeFailure(reason: "empty buffer")) }
        guard av_new_packet(packet, Int32(bytes.count)) == 0 else { return .failure(DecodeFailure(reason: "out of memory")) }
        defer { av_packet_unref(packet) }
        packet.pointee.data.update(from: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: bytes.count)
        var result = avcodec_send_packet(context, packet)
        if result >= 0 { result = avcodec_receive_frame(context, picture) }
        guard result >= 0 else { return .failure(DecodeFailure(reason: ffmpegErrorDescription(result))) }
        defer { av_frame_unref(picture) }
        return .success(body(picture))
    }

    /// Why a camera buffer could not be decoded.
    struct DecodeFailure: Error {
        let reason: String
    }
}
