/// A producer of decoded frames: a file or stream through FFmpeg, or a V4L2 camera.
///
/// The seam between the pipeline and the outside world: everything downstream sees only this.
/// A source is owned by one thread at a time (the decode stage) and is not `Sendable`.
public protocol FrameSource: AnyObject {
    /// The size, rate and codec of the frames `nextFrame()` returns.
    var format: VideoFormat { get }
    /// True for cameras and live streams, whose frames arrive at their own pace and should never be queued up.
    var isLive: Bool { get }
    /// Blocks until the next frame is decoded and returns it, or returns `nil` at the end of the stream
    /// (or once `interruption` is interrupted).
    /// Throws `VideoIngestError` when the input is unreadable or the device goes away.
    func nextFrame() throws -> VideoFrame?
    /// The token another thread uses to end a blocked `nextFrame()`.
    var interruption: SourceInterruption { get }
}
