import CFFmpeg

/// FFmpeg's own text for an error code, e.g. "Invalid data found when processing input".
func ffmpegErrorDescription(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 128)
    occlumesh_av_error_string(code, &buffer, buffer.count)
    return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
