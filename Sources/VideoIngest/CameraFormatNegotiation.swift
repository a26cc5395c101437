import CV4L2

/// A pixel format, frame size and rate a camera can deliver.
public struct CameraMode: Sendable, Equatable {
    /// The V4L2 fourcc (`V4L2_PIX_FMT_MJPEG`, `_YUYV` or `_NV12`).
    public let pixelFormat: UInt32
    /// Frame width in pixels.
    public let width: Int
    /// Frame height in pixels.
    public let height: Int
    /// Highest rate the camera offers for this format and size (0 when it does not say).
    public let framesPerSecond: Double

    /// Creates a mode description.
    public init(pixelFormat: UInt32, width: Int, height: Int, framesPerSecond: Double) {
        self.pixelFormat = pixelFormat
        self.width = width
        self.height = height
        self.framesPerSecond = framesPerSecond
    }

    /// The fourcc as its four characters, e.g. `YUYV`.
    public var fourccName: String { fourccString(pixelFormat) }
}

/// The fourcc code as its four ASCII characters.
func fourccString(_ code: UInt32) -> String {
    String(decoding: (0..<4).map { UInt8((code >> ($0 * 8)) & 0xFF) }, as: UTF8.self)
}

/// Picks the camera mode to stream from the modes a camera offers.
///
/// The best mode has the requested size (else the nearest by area), reaches the requested rate,
/// and among equals needs the least work to convert: NV12 and YUYV before MJPEG, which must be
/// decoded. Webcams typically reach 30 fps at 720p only in MJPEG, so rate outranks format.
enum CameraFormatNegotiation {
    static let supportedFormats: [UInt32] = [occlumesh_pix_fmt_nv12, occlumesh_pix_fmt_yuyv, occlumesh_pix_fmt_mjpeg]

    static func choose(from modes: [CameraMode], width: Int, height: Int, framesPerSecond: Double) -> CameraMode? {
        func score(_ mode: CameraMode) -> (Int, Int, Int, Int) {
            let sizeDistance = abs(mode.width * mode.height - width * height)
            let reachesRate = mode.framesPerSecond == 0 || mode.framesPerSecond + 0.5 >= framesPerSecond ? 0 : 1
            let formatRank = supportedFormats.firstIndex(of: mode.pixelFormat) ?? supportedFormats.count
            return (sizeDistance == 0 ? 0 : 1, reachesRate, sizeDistance, formatRank)
        }
        return modes.filter { supportedFormats.contains($0.pixelFormat) }.min { score($0) < score($1) }
    }
}
