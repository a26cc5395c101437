import CFFmpeg
#if canImport(Glibc)
import Glibc
#endif

/// FFmpeg's own text for an error code, e.g. "Invalid data found when processing input".
func ffmpegErrorDescription(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 128)
    occlumesh_av_error_string(code, &buffer, buffer.count)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// FFmpeg's libraries print their own diagnostics to stderr; occlumesh reports errors itself in one
/// line, so they are silenced unless `OCCLUMESH_FFMPEG_LOG` is set (to any value) for debugging.
let ffmpegLoggingConfigured: Void = {
    if getenv("OCCLUMESH_FFMPEG_LOG") == nil { av_log_set_level(AV_LOG_QUIET) }
}()
