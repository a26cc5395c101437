import CFFmpeg

/// Converts decoded pictures of any FFmpeg pixel format to packed RGB with libswscale, optionally
/// scaling, writing straight into the buffer the `VideoFrame` keeps (no intermediate copy).
///
/// Colour matrix and range follow the picture's own tags, as the `ffmpeg` command line's scale filter
/// does, so the output matches `ffmpeg -pix_fmt rgb24` byte for byte at the source size.
final class PixelConverter {
    private var context: OpaquePointer?
    private var configured: (width: Int32, height: Int32, format: Int32, colorspace: UInt32, fullRange: Bool)?
    private let outputSize: OutputSize?
    private let fitInside: OutputSize?

    /// Row alignment of the output: swscale's SIMD paths write whole aligned blocks.
    private static let rowAlignment = 64

    /// A converter to `outputSize`, or else scaling down to fit inside `fitInside`, or else at the source size.
    init(outputSize: OutputSize?, fitInside: OutputSize? = nil) {
        self.outputSize = outputSize
        self.fitInside = fitInside
    }

    deinit {
        sws_freeContext(context)
    }

    /// The size frames come out at for a source of `width`×`height`.
    func outputDimensions(sourceWidth: Int, sourceHeight: Int) -> (width: Int, height: Int) {
        if let outputSize { return (outputSize.width, outputSize.height) }
        if let fitInside, let fitted = OutputSize.fitting(sourceWidth: sourceWidth, sourceHeight: sourceHeight, inside: fitInside) {
            return (fitted.width, fitted.height)
        }
        return (sourceWidth, sourceHeight)
    }

    /// Converts one decoded picture; returns the row stride and the pixels.
    func convert(_ picture: UnsafePointer<AVFrame>) -> (width: Int, height: Int, bytesPerRow: Int, pixels: [UInt8])? {
        let source = picture.pointee
        let fullRange = source.color_range == AVCOL_RANGE_JPEG
        guard let scaler = scaler(width: source.width, height: source.height, format: source.format,
                                  colorspace: source.colorspace.rawValue, fullRange: fullRange) else { return nil }
        let (width, height) = outputDimensions(sourceWidth: Int(source.width), sourceHeight: Int(source.height))
        let bytesPerRow = (width * 3 + Self.rowAlignment - 1) / Self.rowAlignment * Self.rowAlignment
        var sourcePlanes = (source.data.0, source.data.1, source.data.2, source.data.3)
        var sourceStrides = (source.linesize.0, source.linesize.1, source.linesize.2, source.linesize.3)
        var written: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: bytesPerRow * height + Self.rowAlignment) { buffer, count in
            var destinationPlanes: (UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?, UnsafeMutablePointer<UInt8>?) = (buffer.baseAddress, nil, nil, nil)
            var destinationStrides: (Int32, Int32, Int32, Int32) = (Int32(bytesPerRow), 0, 0, 0)
            written = withUnsafePointer(to: &sourcePlanes) { planes in
                withUnsafePointer(to: &sourceStrides) { strides in
                    withUnsafeMutablePointer(to: &destinationPlanes) { destination in
                        withUnsafeMutablePointer(to: &destinationStrides) { destinationStride in
                            sws_scale(
                                scaler,
                                UnsafeRawPointer(planes).assumingMemoryBound(to: UnsafePointer<UInt8>?.self),
                                UnsafeRawPointer(strides).assumingMemoryBound(to: Int32.self),
                                0, source.height,
                                UnsafeMutableRawPointer(destination).assumingMemoryBound(to: UnsafeMutablePointer<UInt8>?.self),
                                UnsafeRawPointer(destinationStride).assumingMemoryBound(to: Int32.self))
                        }
                    }
                }
            }
            count = bytesPerRow * height + Self.rowAlignment
        }
        guard written == Int32(height) else { return nil }
        return (width, height, bytesPerRow, pixels)
    }

    private func scaler(width: Int32, height: Int32, format: Int32, colorspace: UInt32, fullRange: Bool) -> OpaquePointer? {
        if let configured, configured == (width, height, format, colorspace, fullRange), let context {
            return context
        }
        let (outputWidth, outputHeight) = outputDimensions(sourceWidth: Int(width), sourceHeight: Int(height))
        sws_freeContext(context)
        context = sws_getContext(width, height, AVPixelFormat(rawValue: format), Int32(outputWidth), Int32(outputHeight),
                                 AV_PIX_FMT_RGB24, SWS_BICUBIC, nil, nil, nil)
        guard let context else { return nil }
        let coefficients = sws_getCoefficients(Int32(colorspace))
        sws_setColorspaceDetails(context, coefficients, fullRange ? 1 : 0, coefficients, 0, 0, 1 << 16, 1 << 16)
        configured = (width, height, format, colorspace, fullRange)
        return context
    }
}
