import ArgumentParser
import FaceTracking
import Foundation
import VideoIngest

/// `occlumesh detect`: runs the face detector on an image, every image of a folder, or every frame of a video
/// or camera, and prints the faces found, one line per image or frame.
struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Find faces in an image, a folder of images, or a video, one line per image or frame.",
        discussion: """
            With --json each line is {"source": "image00002.jpg", "frame": 0, "faces": [{"box": [x0, y0, x1, y1], \
            "score": 0.98, "keypoints": [[x, y], …]}]}: boxes and keypoints in image pixels, best face first, source \
            the file name; the keypoints are the detector's six (the subject's right eye, left eye, nose tip, mouth \
            centre, right ear tragion, left ear tragion, as its sidecar names them). Faces come from BlazeFace \
            (the short-range network fine-tuned for occluded faces, or MediaPipe's full-range one) run by occlumesh's own \
            inference engine.
            """)

    /// Which BlazeFace model to use.
    enum Range: String, ExpressibleByArgument, CaseIterable {
        case short, full
    }

    @Argument(help: "An image, a folder of images, a video file, a stream URL or a V4L2 device.")
    var input: String

    @Option(help: "BlazeFace model: short (faces within about 2 m) or full (small, far faces).")
    var range: Range = .short

    @Option(help: "Folder holding face_detection_{short,full}_range.json and the ONNX files they name.")
    var models: String = "models"

    @Option(help: "Report faces scoring at least this (default: the model's own threshold).")
    var minScore: Float?

    @Option(help: "Stop after this many frames of a video or camera.")
    var maxFrames: Int?

    @Flag(help: "Print one JSON object per line instead of text.")
    var json = false

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff", "ppm", "pgm"]

    func run() throws {
        let detector: FaceDetector
        do {
            detector = try FaceDetector(sidecarPath: (models as NSString).appendingPathComponent("face_detection_\(range.rawValue)_range.json"))
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
        if let minScore { detector.minimumScore = minScore }
        var isDirectory: ObjCBool = false
        let inputs: [String]
        if FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: input)) ?? []
            inputs = names.filter { Self.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
                .map { (input as NSString).appendingPathComponent($0) }
            if inputs.isEmpty {
                printError("\(input): no images (\(Self.imageExtensions.sorted().joined(separator: ", "))) in the folder")
                throw ExitCode.failure
            }
        } else {
            inputs = [input]
        }
        var failed = false
        for path in inputs {
            do {
                try detect(path, with: detector)
            } catch let error as VideoIngestError {
                printError(error.description)
                failed = true
            } catch let error as FaceTrackingError {
                printError("\(path): \(error.description)")
                failed = true
            }
        }
        if failed { throw ExitCode.failure }
    }

    private func detect(_ path: String, with detector: FaceDetector) throws {
        let source = try openFrameSource(path)
        let name = (path as NSString).lastPathComponent
        var frames = 0
        while maxFrames.map({ frames < $0 }) ?? true, let frame = try source.nextFrame() {
            frames += 1
            let faces = try detector.detect(in: frame)
            print(json ? Self.jsonLine(source: name, frame: frame.index, faces: faces)
                       : Self.textLine(source: name, frame: frame.index, faces: faces))
        }
    }

    /// `{"source": …, "frame": …, "faces": [{"box": [x0, y0, x1, y1], "score": …, "keypoints": [[x, y], …]}]}`, keys
    /// in that order.
    static func jsonLine(source: String, frame: Int, faces: [FaceDetection]) -> String {
        let quoted = String(decoding: (try? JSONEncoder().encode(source)) ?? Data("\"\"".utf8), as: UTF8.self)
        let list = faces.map { face in
            let box = [face.box.minimum.x, face.box.minimum.y, face.box.maximum.x, face.box.maximum.y]
                .map { String(format: "%.1f", $0) }.joined(separator: ", ")
            let keypoints = face.keypoints.map { String(format: "[%.1f, %.1f]", $0.x, $0.y) }.joined(separator: ", ")
            return #"{"box": [\#(box)], "score": \#(String(format: "%.4f", face.score)), "keypoints": [\#(keypoints)]}"#
        }.joined(separator: ", ")
        return #"{"source": \#(quoted), "frame": \#(frame), "faces": [\#(list)]}"#
    }

    /// `image00002.jpg frame 0: 1 face  (121.9, 167.2)–(345.2, 375.7) 0.98`.
    static func textLine(source: String, frame: Int, faces: [FaceDetection]) -> String {
        let list = faces.map { face in
            String(format: "(%.1f, %.1f)-(%.1f, %.1f) %.2f", face.box.minimum.x, face.box.minimum.y,
                   face.box.maximum.x, face.box.maximum.y, face.score)
        }
        return "\(source) frame \(frame): \(faces.count) face\(faces.count == 1 ? "" : "s")"
            + (list.isEmpty ? "" : "  " + list.joined(separator: "  "))
    }
}
