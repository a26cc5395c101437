// Measures the publishing side on this machine: how long `MeshPublisher.publish` takes on the caller's
// thread, and how long a frame takes from `publish` until a client has decoded it.
//
//   swift run -c release occlumesh-publisher-benchmark [--clients 4] [--frames 300] [--fps 30] [--vertices 35709] [--faces 2]
//
// Clients are real `OcclumeshClient`s on threads of their own, one per subscription kind in turn (f32 whole
// head, f16 face area, coefficients only, f32 face area). Frames carry the publish time, on the monotonic
// clock, as their source timestamp, so each client measures delivery latency itself.

import Foundation
import Glibc
import MeshProtocol
import MeshPublisher
import OcclumeshClient
import Synchronization

func monotonicNow() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

func option(_ name: String, _ fallback: Int) -> Int {
    guard let index = CommandLine.arguments.firstIndex(of: name), index + 1 < CommandLine.arguments.count,
        let value = Int(CommandLine.arguments[index + 1])
    else { return fallback }
    return value
}

let clientCount = option("--clients", 4)
let frameCount = option("--frames", 300)
let framesPerSecond = option("--fps", 30)
let vertexCount = option("--vertices", 35709)
let faceCount = option("--faces", 2)

let columns = 100
var triangles: [SIMD3<UInt32>] = []
for index in 0..<(vertexCount - columns - 1) where index % columns != columns - 1 {
    let corner = UInt32(index)
    triangles.append(SIMD3(corner, corner + 1, corner + UInt32(columns)))
    triangles.append(SIMD3(corner + 1, corner + UInt32(columns) + 1, corner + UInt32(columns)))
}
let faceArea = (0..<UInt32(vertexCount / 2)).map { $0 }
let topology = MeshTopology(
    modelIdentifier: "benchmark-grid", vertexCount: vertexCount, triangles: triangles,
    textureCoordinates: [SIMD2<Float>](repeating: .zero, count: vertexCount), faceAreaVertices: faceArea,
    faceAreaTriangles: triangles.filter { $0.max() < UInt32(faceArea.count) },
    landmarkIndices: (0..<68).map { UInt32($0 * 10) }, expressionNames: (0..<53).map { "e\($0)" }, identityDimension: 80)

let directory = NSTemporaryDirectory() + "ocm-bench-\(getpid())"
try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
let socketPath = directory + "/mesh.sock"
let subscribed = Mutex(0)
let publisher = try MeshPublisher(
    configuration: PublisherConfiguration(socketPath: socketPath, queueCapacity: 8),
    topology: topology
) { event in
    if case .clientSubscribed = event { subscribed.withLock { $0 += 1 } }
}

let subscriptions = [
    Subscription(vertexFormat: .float32, region: .wholeHead),
    Subscription(vertexFormat: .float16, region: .faceArea),
    Subscription.coefficientsOnly,
    Subscription(vertexFormat: .float32, region: .faceArea),
]
let latencies = Mutex<[[Double]]>(Array(repeating: [], count: clientCount))
let finished = DispatchGroup()
for index in 0..<clientCount {
    finished.enter()
    Thread {
        defer { finished.leave() }
        do {
            let client = try OcclumeshClient(socketPath: socketPath, subscription: subscriptions[index % subscriptions.count])
            while let frame = try client.nextFrame() {
                let latency = monotonicNow() - frame.sourceTimestamp
                latencies.withLock { $0[index].append(latency) }
                if frame.sequence == UInt64(frameCount - 1) { return }
            }
        } catch {
            print("client \(index): \(error)")
        }
    }.start()
}
while subscribed.withLock({ $0 }) < clientCount { usleep(1000) }

let vertices = (0..<vertexCount).map { SIMD3<Float>(Float($0 % columns), Float($0 / columns), 0.5) }
var publishTimes: [Double] = []
let start = monotonicNow()
for sequence in 0..<frameCount {
    let due = start + Double(sequence) / Double(framesPerSecond)
    while monotonicNow() < due { usleep(200) }
    let now = monotonicNow()
    let faces = (0..<faceCount).map { face in
        PublishedFace(
            trackIdentifier: UInt32(face), confidence: 1, pose: .identity,
            expressionWeights: [Float](repeating: 0.1, count: 53), identity: [Float](repeating: 0.2, count: 80),
            landmarks: [SIMD2<Float>](repeating: SIMD2(1, 2), count: 68), landmarkVisibility: [Float](repeating: 1, count: 68),
            vertices: vertices)
    }
    let frame = PublishedFrame(sequence: UInt64(sequence), sourceTimestamp: now, captureTime: now, faces: faces)
    let before = monotonicNow()
    publisher.publish(frame)
    publishTimes.append(monotonicNow() - before)
}
finished.wait()
publisher.stop()

func percentile(_ values: [Double], _ fraction: Double) -> Double {
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
}
func milliseconds(_ value: Double) -> String { String(format: "%.3f ms", value * 1000) }

print("publisher benchmark: \(clientCount) clients, \(frameCount) frames at \(framesPerSecond) fps, \(faceCount) faces × \(vertexCount) vertices")
print("publish() on the caller: p50 \(milliseconds(percentile(publishTimes, 0.5))), p99 \(milliseconds(percentile(publishTimes, 0.99))), max \(milliseconds(publishTimes.max()!))")
for (index, values) in latencies.withLock({ $0 }).enumerated() {
    let subscription = subscriptions[index % subscriptions.count]
    print("client \(index) (\(subscription.vertexFormat), \(subscription.region)): \(values.count) frames, publish→decoded p50 \(milliseconds(percentile(values, 0.5))), p99 \(milliseconds(percentile(values, 0.99)))")
}
print("messages dropped: \(publisher.statistics.messagesDropped)")
try? FileManager.default.removeItem(atPath: directory)
