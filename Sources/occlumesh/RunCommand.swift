import ArgumentParser
import FacePipeline
import Foundation

/// `occlumesh run`: the whole pipeline offline on a video, a camera, an image or a folder of images.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Reconstruct faces in a video, camera, image or folder of images, writing what the protocol carries.",
        discussion: """
            One JSON line per frame (or image): {"source", "frame", "sequence", "timestamp", "faces": [{"track", \
            "confidence", "box", "rotation" [x, y, z, w], "translation", "scale", "expression" {name: weight}, "identity", \
            "landmarks68", "visibility68", "face_score", "vertices"}]}. Pose, landmarks and boxes are in image pixels \
            (camera space: x right, y down, z away from the viewer); face_score is the regressor's face probability on \
            the face's crop (null for regressors without one). --obj-dir writes each face's whole-head mesh in the same space, one \
            OBJ per frame and face. Videos go through the streaming pipeline (tracked and smoothed, every frame in \
            order); images are analysed one by one.
            """)

    @Argument(help: "A video file, stream URL, V4L2 device, image, or folder of images.")
    var input: String

    @Option(help: "Write the JSON lines to this file instead of standard output.")
    var jsonl: String?

    @Option(help: "Write one OBJ mesh per frame and face into this folder.")
    var objDir: String?

    @Flag(help: "Publish every frame as regressed, without the per-track filters (to measure their lag).")
    var noSmoothing = false

    @OptionGroup var analysisOptions: OfflineAnalysisOptions

    func run() throws {
        do {
            let analysis = try OfflineAnalysis(modelFolder: analysisOptions.models, maximumFaces: analysisOptions.maxFaces,
                                               configPath: analysisOptions.config, smoothing: !noSmoothing)
            let writer = try OfflineWriter(jsonLinesPath: jsonl, objectDirectory: objDir, format: .run,
                                           model: analysis.models.model, sourceName: input)
            defer { writer.close() }
            switch try OfflineInput.classify(input) {
            case .video(let path):
                let statistics = try analysis.video(path, writer: writer)
                printError(statistics.summary(framesPerSecond: statistics.averageFramesPerSecond))
            case .images(let paths):
                try analysis.images(paths, boxes: nil, writer: writer)
            }
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
    }
}

/// `occlumesh landmarks`: the 68 landmarks with visibility per face, one JSON line per image or frame.
struct LandmarksCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "landmarks",
        abstract: "Print the 68 landmarks and their visibility of each face in an image, a folder of images or a video.",
        discussion: """
            Each line: {"source": "image00002.jpg", "frame": 0, "faces": [{"box": [x0, y0, x1, y1], "confidence": 0.93, \
            "landmarks68": [[x, y], …], "visibility68": [...], "face_score": 0.98}]}, in image pixels; confidence is the \
            detector's score for the face's box in an image (1 for a box given with --boxes) and, in a video, the \
            track's: the detector's score where it ran, the last regressed mean visibility between its runs; \
            face_score is the regressor's face probability on the crop framed on the face's box, in one pass (the \
            check against tracking.min_face_score also scores the mirrored crop by default, and takes the mean) \
            (null for regressors without one). With --boxes (a JSON object from image file name to \
            [x0, y0, x1, y1]) detection is skipped and each image's face is cropped on its given box, as benchmarks \
            with ground-truth boxes require.
            """)

    @Argument(help: "An image, a folder of images, or a video.")
    var input: String

    @Option(help: "JSON object from image file name to its face box [x0, y0, x1, y1]; skips detection.")
    var boxes: String?

    @Option(help: "Write the JSON lines to this file instead of standard output.")
    var jsonl: String?

    @OptionGroup var analysisOptions: OfflineAnalysisOptions

    func run() throws {
        do {
            let given = try boxes.map(OfflineAnalysis.loadBoxes)
            let analysis = try OfflineAnalysis(modelFolder: analysisOptions.models, maximumFaces: analysisOptions.maxFaces,
                                               configPath: analysisOptions.config)
            let writer = try OfflineWriter(jsonLinesPath: jsonl, objectDirectory: nil, format: .landmarks,
                                           model: analysis.models.model, sourceName: input)
            defer { writer.close() }
            switch try OfflineInput.classify(input) {
            case .video(let path):
                guard given == nil else { throw OfflineError("--boxes applies to images, not to the video \(path)") }
                _ = try analysis.video(path, writer: writer)
            case .images(let paths):
                try analysis.images(paths, boxes: given, writer: writer)
            }
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
    }
}

/// The options `run` and `landmarks` share: where the models are and how many faces to follow.
struct OfflineAnalysisOptions: ParsableArguments {
    @Option(help: "Folder holding orn.onnx, orn.json, ict-face-model.ocfm and face_detection_short_range.{json,onnx}.")
    var models: String = "models"

    @Option(help: "Most faces per frame.")
    var maxFaces: Int = 4

    @Option(help: "A daemon config file whose [tracking], [smoothing.*] and [model] switches to use (not its model paths, which --models gives, nor tracking.max_faces, which --max-faces gives).")
    var config: String?

    func validate() throws {
        // The daemon's tracking.max_faces range: a count that sizes per-frame work.
        guard (1...64).contains(maxFaces) else { throw ValidationError("--max-faces must be from 1 to 64") }
    }
}
