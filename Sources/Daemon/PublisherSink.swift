import FacePipeline
import MeshPublisher

/// Hands every frame to a `MeshPublisher`, which queues it for each subscribed client without waiting.
public final class PublisherSink: FrameSink {
    /// The publisher frames go to.
    public let publisher: MeshPublisher

    /// A sink publishing to `publisher`.
    public init(publisher: MeshPublisher) { self.publisher = publisher }

    /// Publishes the frame.
    public func consume(_ frame: ProcessedFrame) { publisher.publish(frame.published) }
}
