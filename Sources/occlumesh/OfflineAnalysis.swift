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

    /// Settings for the model files in `folder` with the daemon config at `configPath` when given
    /// (`PipelineSettings(_:modelFolder:)`); `smoothing` false turns the per-track filters off.
    init(modelFolder folder: String, maximumFaces: Int, configPath: String? = nil, smoothing: Bool = true) throws {
        let configuration = try configPath.map { try DaemonConfiguration.load(path: $0) } ?? DaemonConfiguration()
        var settings = PipelineSettings(configuration, modelFolder: folder)
        settings.maximumFaces = maximumFaces
        settings.smoothingEnabled = smoothing
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
