import MeshPublisher
import ServiceLifecycle

/// The mesh socket as a service. The publisher serves clients on its own thread from the moment it is made; the
/// service's part is the end: at graceful shutdown (or cancellation) it says goodbye to every client with
/// `goodbyeReason()` and removes the socket. Listed first in a `ServiceGroup`, it is shut down last, after the
/// pipeline has handed over its last frame.
public struct PublisherService: Service {
    /// The publisher whose socket this service closes.
    public let publisher: MeshPublisher
    private let goodbyeReason: @Sendable () -> String

    /// A service ending `publisher`, telling clients `goodbyeReason()` (read at the end, so it can say why).
    public init(publisher: MeshPublisher, goodbyeReason: @escaping @Sendable () -> String) {
        self.publisher = publisher
        self.goodbyeReason = goodbyeReason
    }

    /// Waits for graceful shutdown or cancellation, then stops the publisher (on a thread of its own: the stop waits
    /// up to a second for the goodbyes to flush).
    public func run() async {
        try? await gracefulShutdown()
        let reason = goodbyeReason()
        await onThreadOfItsOwn("occlumesh.publisher-stop") { [publisher] in publisher.stop(reason: reason) }
    }
}
