/// Where finished frames go: the mesh publisher in the daemon, files in the command line's offline modes.
/// Called on the pipeline's publish thread only, one frame at a time, in order.
public protocol FrameSink: AnyObject, Sendable {
    /// Takes one finished frame.
    func consume(_ frame: ProcessedFrame) throws
}
