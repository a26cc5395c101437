/// What a client asks to receive: sent once, right after the handshake.
public struct Subscription: Sendable, Equatable {
    /// How vertices are sent, or `.none` for coefficients only.
    public var vertexFormat: VertexFormat
    /// Face area or whole head; applies to vertices and to the topology sent.
    public var region: MeshRegion
    /// Whether the 68 image-space landmarks and their visibilities are sent.
    public var landmarks: Bool
    /// The most frames per second the client wants, measured on source timestamps; 0 means every frame.
    public var maximumRate: Float

    /// Creates a subscription.
    public init(vertexFormat: VertexFormat = .float32, region: MeshRegion = .faceArea, landmarks: Bool = true, maximumRate: Float = 0) {
        self.vertexFormat = vertexFormat
        self.region = region
        self.landmarks = landmarks
        self.maximumRate = maximumRate
    }

    /// Identity, expression weights and pose only: the smallest frames.
    public static let coefficientsOnly = Subscription(vertexFormat: .none, region: .faceArea, landmarks: false)
}
