import MeshProtocol
import MeshPublisher

/// Where finished frames go: the mesh publisher in the daemon, files in the command line's offline modes.
/// Called on the pipeline's publish thread only, one frame at a time, in order.
public protocol FrameSink: AnyObject, Sendable {
    /// Takes one finished frame.
    func consume(_ frame: ProcessedFrame) throws
}

/// Hands every frame to a `MeshPublisher`, which queues it for each subscribed client without waiting.
public final class PublisherSink: FrameSink {
    /// The publisher frames go to.
    public let publisher: MeshPublisher

    /// A sink publishing to `publisher`.
    public init(publisher: MeshPublisher) { self.publisher = publisher }

    /// Publishes the frame.
    public func consume(_ frame: ProcessedFrame) { publisher.publish(frame.published) }
}
