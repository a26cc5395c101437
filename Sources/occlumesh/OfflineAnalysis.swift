import FacePipeline
import DaemonConfiguration
import FaceSmoothing
import FaceTracking
import Foundation
import VideoIngest

/// Runs the offline commands' work: a video through the streaming pipeline (every frame, in order, tracked and
/// smoothed), still images one by one through `StillImageAnalyzer`.
struct OfflineAnalysis {
    let settings: PipelineSettings
    let models: PipelineModels

    /// Settings for the model files in `folder` (orn.onnx + orn.json, ict-face-model.ocfm, the short-range detector,
    /// and the full-range one where it lies there), with the `[tracking]` and `[smoothing.*]` tables and `model.mirror_average` of the
    /// daemon config at `configPath` when given; `smoothing` false turns the per-track filters off.
    init(modelFolder folder: String, maximumFaces: Int, configPath: String? = nil, smoothing: Bool = true) throws {
        func path(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        let fullRange = path("face_detection_full_range.json")
        var settings = PipelineSettings(regressorPath: path("orn.onnx"), regressorSidecarPath: path("orn.json"),
                                        faceModelPath: path("ict-face-model.ocfm"),
                                        detectorSidecarPath: path("face_detection_short_range.json"), maximumFaces: maximumFaces,
                                        fallbackDetectorSidecarPath: FileManager.default.fileExists(atPath: fullRange) ? fullRange : nil,
                                        smoothingEnabled: smoothing)
        if let configPath {
            let configuration = try DaemonConfiguration.load(path: configPath)
            settings.tracker = TrackerConfiguration(configuration.tracking)
            settings.minimumDetectionScore = Float(configuration.tracking.minimumConfidence)
            settings.followLandmarks = configuration.tracking.followLandmarks
            settings.smoothing = SmoothingSettings(configuration.smoothing)
            if configuration.model.fullRangeDetector.isEmpty { settings.fallbackDetectorSidecarPath = nil }
            settings.mirrorAverage = configuration.model.mirrorAverage
        }
        self.settings = settings
        models = try PipelineModels(settings: settings)
    }

    /// Every frame of the video at `path` into `writer`; returns the pipeline's statistics.
    func video(_ path: String, writer: OfflineWriter) throws -> PipelineStatistics {
        let source = try openFrameSource(path)
        writer.sourceName = (path as NSString).lastPathComponent
        let pipeline = try Pipeline(source: source, inputName: path, settings: settings, models: models, sink: writer)
        pipeline.run()
        if let failure = pipeline.wait() { throw failure }
        return pipeline.statistics
    }

    /// Each image into `writer`, with the box `boxes` gives for its file name when `boxes` is given.
    func images(_ paths: [String], boxes: [String: BoundingBox]?, writer: OfflineWriter) throws {
        let analyzer = try StillImageAnalyzer(settings: settings, models: models)
        for path in paths {
            let name = (path as NSString).lastPathComponent
            var given: [BoundingBox]?
            if let boxes {
                guard let box = boxes[name] else { throw OfflineError("\(name): no box for this image in the boxes file") }
                given = [box]
            }
            let source = try FFmpegSource(input: path)
            guard let frame = try source.nextFrame() else { throw OfflineError("\(path): no picture decoded") }
            writer.sourceName = name
            try writer.consume(try analyzer.analyze(frame, boxes: given))
        }
    }

    /// Reads `{"name.jpg": [x0, y0, x1, y1], …}`.
    static func loadBoxes(_ path: String) throws -> [String: BoundingBox] {
        guard let data = FileManager.default.contents(atPath: path) else { throw OfflineError("\(path): cannot read the boxes file") }
        let decoded: [String: [Float]]
        do {
            decoded = try JSONDecoder().decode([String: [Float]].self, from: data)
        } catch {
            throw OfflineError("\(path): not a JSON object of file name to [x0, y0, x1, y1]")
        }
        var boxes: [String: BoundingBox] = [:]
        for (name, values) in decoded {
            guard values.count == 4, values[2] > values[0], values[3] > values[1] else {
                throw OfflineError("\(path): the box of \(name) is not [x0, y0, x1, y1] with x1 > x0 and y1 > y0")
            }
            boxes[name] = BoundingBox(minimum: SIMD2(values[0], values[1]), maximum: SIMD2(values[2], values[3]))
        }
        return boxes
    }
}
