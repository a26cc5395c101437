/// The pixel layouts a `FrameSource` can hand to inference.
public enum PixelLayout: String, Sendable, Equatable {
    /// Packed 8-bit R, G, B, three bytes per pixel.
    case rgb24
}

/// One decoded picture, converted to the layout inference reads.
///
/// Rows may be padded (`bytesPerRow >= width * 3`) so that libswscale can write straight into the
/// buffer with its aligned SIMD paths; readers must step by `bytesPerRow`.
public struct VideoFrame: Sendable {
    /// Position of the frame in decode order, starting at 0.
    public let index: Int
    /// Presentation time in seconds, from the container or the camera.
    public let presentationTime: Double
    /// When the frame was captured (camera) or left the decoder (files), on the monotonic clock, in seconds.
    public let captureTime: Double
    /// Width of the converted picture in pixels.
    public let width: Int
    /// Height of the converted picture in pixels.
    public let height: Int
    /// Memory layout of `pixels`.
    public let layout: PixelLayout
    /// Distance in bytes between the starts of two rows.
    public let bytesPerRow: Int
    /// The picture, `height` rows of `bytesPerRow` bytes.
    public let pixels: [UInt8]

    /// Creates a frame from already converted pixels.
    public init(
        index: Int, presentationTime: Double, captureTime: Double, width: Int, height: Int,
        layout: PixelLayout, bytesPerRow: Int, pixels: [UInt8]
    ) {
        precondition(bytesPerRow >= width * 3 && pixels.count >= bytesPerRow * height, "pixel buffer too small")
        self.index = index
        self.presentationTime = presentationTime
        self.captureTime = captureTime
        self.width = width
        self.height = height
        self.layout = layout
        self.bytesPerRow = bytesPerRow
        self.pixels = pixels
    }

    /// The picture with row padding removed: `width * height * 3` bytes, as `ffmpeg -pix_fmt rgb24` writes it.
    public var packedPixels: [UInt8] {
        let rowBytes = width * 3
        if rowBytes == bytesPerRow { return Array(pixels.prefix(rowBytes * height)) }
        var packed = [UInt8]()
        packed.reserveCapacity(rowBytes * height)
        for row in 0..<height {
            let start = row * bytesPerRow
            packed.append(contentsOf: pixels[start..<(start + rowBytes)])
        }
        return packed
    }
}

/// What a source delivers, known once it is open. A stream that changes resolution mid-way changes the size
/// of later frames; each `VideoFrame` carries its own.
public struct VideoFormat: Sendable, Equatable, Codable {
    /// Width of the frames the source hands out, after any requested scaling.
    public let width: Int
    /// Height of the frames the source hands out, after any requested scaling.
    public let height: Int
    /// Nominal frame rate in frames per second (0 when the source does not declare one).
    public let framesPerSecond: Double
    /// Name of the codec or camera pixel format the frames were decoded from (`h264`, `mjpeg`, `yuyv422`, …).
    public let codecName: String

    /// Creates a format description.
    public init(width: Int, height: Int, framesPerSecond: Double, codecName: String) {
        self.width = width
        self.height = height
        self.framesPerSecond = framesPerSecond
        self.codecName = codecName
    }
}

/// Where the frames should be scaled to on conversion; `nil` keeps the source size.
public struct OutputSize: Sendable, Equatable {
    /// Target width in pixels.
    public let width: Int
    /// Target height in pixels.
    public let height: Int

    /// Creates a target size; both sides must be positive.
    public init(width: Int, height: Int) {
        precondition(width > 0 && height > 0, "output size must be positive")
        self.width = width
        self.height = height
    }

    /// The size a `sourceWidth`×`sourceHeight` picture is scaled down to so that it fits inside `limit`, aspect
    /// kept and sides even; nil when it fits already.
    public static func fitting(sourceWidth: Int, sourceHeight: Int, inside limit: OutputSize) -> OutputSize? {
        guard sourceWidth > 0, sourceHeight > 0, sourceWidth > limit.width || sourceHeight > limit.height else { return nil }
        // In integers, so a source of exactly the limit's aspect lands on the limit.
        let widthBound = limit.width * sourceHeight <= limit.height * sourceWidth
        let width = widthBound ? limit.width : sourceWidth * limit.height / sourceHeight
        let height = widthBound ? sourceHeight * limit.width / sourceWidth : limit.height
        func even(_ value: Int) -> Int { max(2, value / 2 * 2) }
        return OutputSize(width: even(width), height: even(height))
    }
}
