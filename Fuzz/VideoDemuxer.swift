// libFuzzer target: a video file as the daemon opens one, through VideoIngest's FFmpegSource (compiled into one
// module with it by tools/fuzz.sh; FFmpeg's own libraries are the system's, not instrumented, and FFmpeg fuzzes
// them itself). The input is written to a scratch file without an extension, so FFmpeg probes every demuxer it has on
// the bytes; an accepted input has its best video stream decoded, at most 8 frames, converted to RGB inside 256×256.
// Any trap, hang, memory error in our wrapper, or error that is not one bounded line is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVideoDemuxer(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = writeScratch(data, size)
    do {
        let source = try FFmpegSource(
            input: path, options: .init(fitInside: OutputSize(width: 256, height: 256), isLive: false, decoderThreads: 1))
        var checksum = 0
        for _ in 0..<8 {
            guard let frame = try source.nextFrame() else { break }
            precondition(frame.width > 0 && frame.height > 0 && frame.width <= 256 && frame.height <= 256,
                         "frame of \(frame.width)×\(frame.height) outside the 256×256 limit")
            checksum &+= frame.pixels.withUnsafeBytes { Int($0.first ?? 0) &+ Int($0.last ?? 0) }
        }
        withExtendedLifetime(checksum) {}
    } catch {
        requireOneLine("\(error)", "video")
    }
    return 0
}
