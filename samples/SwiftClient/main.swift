// Sample: the smallest Swift program that prints meshes from a running occlumeshd.
//
//   swift run occlumesh-client-sample [SOCKET]        (default /run/occlumesh/mesh.sock)

import MeshProtocol
import OcclumeshClient

let socketPath = CommandLine.arguments.dropFirst().first ?? "/run/occlumesh/mesh.sock"
do {
    // Half-precision vertices of the face area, plus the 68 landmarks.
    let client = try OcclumeshClient(socketPath: socketPath, subscription: Subscription(vertexFormat: .float16, region: .faceArea))
    print("model \(client.topology.modelIdentifier): \(client.topology.vertexCount) vertices, \(client.topology.triangles.count) triangles")
    // Expression weights come in the order of the topology's expression names.
    let jawOpen = client.topology.expressionNames.firstIndex(of: "jawOpen")
    while let frame = try client.nextFrame() {
        for face in frame.faces {
            let nose = face.landmarks.count == 68 ? face.landmarks[30] : .zero
            let jaw = jawOpen.flatMap { $0 < face.expressionWeights.count ? face.expressionWeights[$0] : nil } ?? 0
            print("frame \(frame.sequence) track \(face.trackIdentifier): \(face.vertices.count) vertices, nose tip at \(nose), "
                + "jaw open \(jaw)")
        }
    }
    print("server said goodbye: \(client.goodbye?.reason ?? "connection closed")")
} catch {
    print("occlumesh-client-sample: \(error)")
}
