import FaceModel
import FacePipeline
import FaceTracking
import Foundation
import MeshProtocol
import Synchronization
import Testing
import TestSupport
import VideoIngest

/// Collects what the pipeline delivers.
final class CollectingSink: FrameSink {
    let frames = Mutex<[ProcessedFrame]>([])
    func consume(_ frame: ProcessedFrame) { frames.withLock { $0.append(frame) } }
}

/// The pipeline on a real clip with the trained regressor, the face model and the detector.
@Suite("pipeline", .enabled(if: TestResources.available, TestResources.skipReason), .serialized)
struct PipelineTests {
    static func settings() throws -> PipelineSettings {
        let models = TestResources.models
        return PipelineSettings(
            regressorPath: models.appendingPathComponent("orn.onnx").path, regressorSidecarPath: models.appendingPathComponent("orn.json").path,
            faceModelPath: try TestResources.faceModelPath(),
            detectorSidecarPath: models.appendingPathComponent("face_detection_short_range.json").path)
    }

    /// The first frame of a one-frame test clip made in a temporary folder, which the caller removes.
    static func stillFrame(_ name: String) throws -> (frame: VideoFrame, folder: URL) {
        let folder = try Repository.temporaryFolder(name)
        let clip = try TestResources.clip(frames: 1, in: folder)
        return (try #require(try FFmpegSource(input: clip).nextFrame()), folder)
    }

    static func run(_ path: String, live: Bool) throws -> (frames: [ProcessedFrame], statistics: PipelineStatistics) {
        let settings = try settings()
        let sink = CollectingSink()
        let source = try FFmpegSource(input: path, options: .init(isLive: live))
        let pipeline = try Pipeline(source: source, inputName: path, settings: settings, models: try PipelineModels(settings: settings), sink: sink)
        pipeline.run()
        if let failure = pipeline.wait() { throw failure }
        return (sink.frames.withLock { $0 }, pipeline.statistics)
    }

    @Test("a file: every frame in order, one track on the talking face, landmarks on it; the same output on every run")
    func fileSource() throws {
        let folder = try Repository.temporaryFolder("file")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = try TestResources.clip(frames: 30, in: folder)
        let (frames, statistics) = try Self.run(clip, live: false)
        #expect(frames.map(\.index) == Array(0..<30))
        #expect(frames.map(\.published.sequence) == (0..<30).map { UInt64($0) })
        #expect(statistics.framesIn == 30 && statistics.framesOut == 30 && statistics.framesDropped == 0)
        // The face scores above the tracker's instant threshold on frame 0, so every frame has it.
        let withFaces = frames.filter { !$0.faces.isEmpty }
        #expect(withFaces.count == 30, "faces in \(withFaces.count) of 30 frames")
        #expect(Set(withFaces.flatMap { $0.published.faces.map(\.trackIdentifier) }) == [1])
        // The detector ran on frame 0 at least, and the regressor checked the face it found before it became a track.
        #expect(statistics.tracking.detectorRuns >= 1 && statistics.tracking.faceChecks >= 1, "\(statistics.tracking)")
        for frame in withFaces {
            let face = frame.published.faces[0]
            #expect(face.landmarks.count == 68 && face.landmarkVisibility.count == 68 && face.vertices.count == 11248)
            #expect(face.expressionWeights.count == 53)
            let box = frame.faces[0].box
            let inside = face.landmarks.filter {
                $0.x >= box.minimum.x - 40 && $0.x <= box.maximum.x + 40 && $0.y >= box.minimum.y - 40 && $0.y <= box.maximum.y + 40
            }
            #expect(inside.count >= 60, "frame \(frame.index): \(inside.count) of 68 landmarks near the face box \(box)")
            let nose = face.vertices[0]
            #expect(nose.x > 0 && nose.x < 480 && nose.y > 0 && nose.y < 480, "camera-space vertices lie on the image")
        }
        let again = try Self.run(clip, live: false).frames
        let same = again.map(\.published.faces) == frames.map(\.published.faces)
        #expect(same, "file output is deterministic")
    }

    @Test("a clip without a face: the other views and the full-range detector are tried, and the counters say so")
    func faceFreeClipCountsTheExtraLooks() throws {
        var settings = try Self.settings()
        settings.fallbackDetectorSidecarPath = TestResources.models.appendingPathComponent("face_detection_full_range.json").path
        let sink = CollectingSink()
        let path = TestResources.repositoryRoot.appendingPathComponent("samples/sample.mp4").path
        let pipeline = try Pipeline(source: try FFmpegSource(input: path), inputName: path, settings: settings,
                                    models: try PipelineModels(settings: settings), sink: sink)
        pipeline.run()
        if let failure = pipeline.wait() { throw failure }
        let frames = sink.frames.withLock { $0 }, statistics = pipeline.statistics
        #expect(frames.count == 50 && frames.allSatisfy(\.faces.isEmpty))
        let work = statistics.tracking
        #expect(work.detectorRuns >= 1 && work.secondLookRuns >= work.fallbackRuns && work.fallbackRuns >= 1, "\(work)")
        let counters = Dictionary(uniqueKeysWithValues: statistics.counters(framesPerSecond: 0).map { ($0.name, $0.value) })
        #expect(counters["detector_runs"] == Double(work.detectorRuns))
        #expect(counters["detector_second_look_runs"] == Double(work.secondLookRuns))
        #expect(counters["detector_fallback_runs"] == Double(work.fallbackRuns))
        #expect(counters["face_checks"] == Double(work.faceChecks))
        #expect(statistics.summary(framesPerSecond: 0).contains("full range \(work.fallbackRuns)"))
    }

    @Test("the face's box keeps its size through 120 frames (no drift of the crop from frame to frame)")
    func boxKeepsItsSize() throws {
        let folder = try Repository.temporaryFolder("drift")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = try TestResources.clip(frames: 120, in: folder)
        let (frames, _) = try Self.run(clip, live: false)
        let sides = frames.compactMap { $0.faces.first.map { $0.box.maximum.x - $0.box.minimum.x } }
        let first = try #require(sides.first)
        #expect(sides.count == 120 && sides.allSatisfy { $0 > 0.7 * first && $0 < 1.4 * first },
                "box widths from \(sides.min() ?? 0) to \(sides.max() ?? 0), first \(first)")
        #expect(Set(frames.flatMap { $0.published.faces.map(\.trackIdentifier) }) == [1], "one track")
    }

    @Test("a live source never queues: frames out plus frames dropped make frames in, in increasing order")
    func liveSource() throws {
        let folder = try Repository.temporaryFolder("live")
        defer { try? FileManager.default.removeItem(at: folder) }
        let clip = try TestResources.clip(frames: 60, in: folder)
        let (frames, statistics) = try Self.run(clip, live: true)
        print("live: \(statistics.summary(framesPerSecond: 0))")
        #expect(statistics.framesIn == 60)
        #expect(statistics.framesOut == UInt64(frames.count))
        #expect(statistics.framesOut + statistics.framesDropped == statistics.framesIn)
        #expect(zip(frames, frames.dropFirst()).allSatisfy { $0.index < $1.index })
        #expect(frames.last?.index == 59, "the newest frame always gets through")
    }

    @Test("a still image: the detected face with landmarks, or the face on a given box")
    func stillImage() throws {
        let (frame, folder) = try Self.stillFrame("still")
        defer { try? FileManager.default.removeItem(at: folder) }
        let settings = try Self.settings()
        let analyzer = try StillImageAnalyzer(settings: settings, models: try PipelineModels(settings: settings))
        let detected = try analyzer.analyze(frame)
        #expect(detected.faces.count == 1)
        let given = BoundingBox(minimum: SIMD2(100, 170), maximum: SIMD2(365, 435))
        let boxed = try analyzer.analyze(frame, boxes: [given])
        #expect(boxed.faces.count == 1 && boxed.faces[0].box == given)
        let a = try #require(detected.faces.first?.published.landmarks), b = try #require(boxed.faces.first?.published.landmarks)
        let distance = zip(a, b).map { (($0 - $1) * ($0 - $1)).sum().squareRoot() }.reduce(0, +) / 68
        #expect(distance < 15, "the refined landmarks agree whichever box started them (mean \(distance) px)")
    }

    /// Still images are mirror-averaged by default (`mirrorAverageStills`), as the whole pipeline is with
    /// `mirrorAverage`; video is not.
    @Test("still images are mirror-averaged by default, and only where the switch says")
    func stillImagesAreMirrorAveraged() throws {
        let (frame, folder) = try Self.stillFrame("still-mirror")
        defer { try? FileManager.default.removeItem(at: folder) }
        let given = BoundingBox(minimum: SIMD2(100, 170), maximum: SIMD2(365, 435))
        func landmarks(mirrorAverage: Bool, stills: Bool) throws -> [SIMD2<Float>] {
            var settings = try Self.settings()
            settings.mirrorAverage = mirrorAverage
            settings.mirrorAverageStills = stills
            let analyzer = try StillImageAnalyzer(settings: settings, models: try PipelineModels(settings: settings))
            return try #require(try analyzer.analyze(frame, boxes: [given]).faces.first?.published.landmarks)
        }
        #expect(try Self.settings().mirrorAverageStills && !Self.settings().mirrorAverage, "stills on, video off")
        let stills = try landmarks(mirrorAverage: false, stills: true)
        #expect(try stills == landmarks(mirrorAverage: true, stills: false), "the same average either way")
        let plain = try landmarks(mirrorAverage: false, stills: false)
        let moved = zip(stills, plain).map { (($0 - $1) * ($0 - $1)).sum().squareRoot() }.max() ?? 0
        #expect(moved > 0.01, "one pass answers otherwise (largest difference \(moved) px)")
    }

    @Test("mirror averaging answers a mirrored picture with the mirror of its answer")
    func mirrorAveragingIsMirrorSymmetric() throws {
        let (frame, folder) = try Self.stillFrame("mirror")
        defer { try? FileManager.default.removeItem(at: folder) }
        var pixels = frame.pixels
        for row in 0..<frame.height {
            for column in 0..<frame.width {
                let from = row * frame.bytesPerRow + (frame.width - 1 - column) * 3, to = row * frame.bytesPerRow + column * 3
                for channel in 0..<3 { pixels[to + channel] = frame.pixels[from + channel] }
            }
        }
        let mirroredFrame = VideoFrame(index: 0, presentationTime: 0, captureTime: 0, width: frame.width, height: frame.height,
                                       layout: frame.layout, bytesPerRow: frame.bytesPerRow, pixels: pixels)
        let region = CropRegion(centre: SIMD2(235, 300), side: 300)
        let mirroredRegion = CropRegion(centre: SIMD2(Float(frame.width) - 235, 300), side: 300)
        var settings = try Self.settings()
        let model = try MorphableModel(path: settings.faceModelPath)
        let mirrorOf = try #require(model.mirroredExpressionOrder)
        /// The largest differences between the answer for the picture and the mirror of the answer for its mirror image.
        func asymmetry(_ stage: RegressionStage) throws -> (identity: Float, expression: Float, rotation: Float, scale: Float) {
            let face = try stage.regress(frame, region: region).0, mirrored = try stage.regress(mirroredFrame, region: mirroredRegion).0
            let identity = zip(face.identity, mirrored.identity).map { abs($0 - $1) }.max() ?? .infinity
            let expression = face.expression.indices.map { abs(face.expression[$0] - mirrored.expression[mirrorOf[$0]]) }.max() ?? .infinity
            let reflected = Quaternion(vector: mirrored.pose.rotation.vector * SIMD4(1, -1, -1, 1))
            return (identity, expression, face.pose.rotation.angle(to: reflected), abs(face.pose.scale / mirrored.pose.scale - 1))
        }
        let single = try asymmetry(RegressionStage(settings: settings, model: model))
        settings.mirrorAverage = true
        let averaged = try asymmetry(RegressionStage(settings: settings, model: model))
        print("mirror asymmetry (identity, expression, rotation rad, relative scale): one pass \(single), averaged \(averaged)")
        // One pass answers the two pictures differently; the average of the two passes is the same answer twice.
        #expect(single.identity > 0.01 && single.expression > 0.01 && single.rotation > 0.005)
        #expect(averaged.identity < 1e-4, "identity is the mean of the same two answers")
        #expect(averaged.expression < 1e-4, "each expression is the mean of the same two answers, left and right swapped")
        #expect(averaged.rotation < 1e-3, "the rotations are each other's reflection")
        #expect(averaged.scale < 1e-4)
    }
}
