import FacePipeline
import FaceModel
import FaceTracking
import Foundation
import Synchronization

/// What the offline commands read: one video (file, URL or camera), or still images (one file, or a folder's).
enum OfflineInput {
    case video(String)
    case images([String])

    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "bmp", "webp", "tif", "tiff", "ppm", "pgm"]

    /// Classifies `path`: a folder of images, an image (by extension), or anything else as video.
    static func classify(_ path: String) throws -> OfflineInput {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            let images = names.filter { imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
                .map { (path as NSString).appendingPathComponent($0) }
            guard !images.isEmpty else { throw OfflineError("\(path): no images (\(imageExtensions.sorted().joined(separator: ", "))) in the folder") }
            return .images(images)
        }
        if imageExtensions.contains((path as NSString).pathExtension.lowercased()) { return .images([path]) }
        return .video(path)
    }
}

/// A one-line error of the offline commands.
struct OfflineError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// JSON text of the offline outputs, keys in a fixed order.
enum OfflineJSON {
    static func number(_ value: Float, digits: Int = 2) -> String {
        value.isFinite ? String(format: "%.\(digits)f", value) : "null"
    }

    static func list(_ values: [Float], digits: Int = 2) -> String {
        "[" + values.map { number($0, digits: digits) }.joined(separator: ", ") + "]"
    }

    static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }

    static func box(_ box: BoundingBox) -> String {
        list([box.minimum.x, box.minimum.y, box.maximum.x, box.maximum.y], digits: 1)
    }

    /// A face score with four decimals, or null for regressors without one.
    static func score(_ value: Float?) -> String {
        value.map { number($0, digits: 4) } ?? "null"
    }

    static func landmarks(_ points: [SIMD2<Float>]) -> String {
        "[" + points.map { "[\(number($0.x)), \(number($0.y))]" }.joined(separator: ", ") + "]"
    }

    /// `occlumesh landmarks`: `{"source", "frame", "faces": [{"box", "confidence", "landmarks68", "visibility68",
    /// "face_score"}]}`.
    static func landmarksLine(source: String, frame: ProcessedFrame) -> String {
        let faces = frame.faces.map { face in
            #"{"box": \#(box(face.box)), "confidence": \#(number(face.published.confidence, digits: 4)), "#
                + #""landmarks68": \#(landmarks(face.published.landmarks)), "#
                + #""visibility68": \#(list(face.published.landmarkVisibility, digits: 3)), "face_score": \#(score(face.faceScore))}"#
        }.joined(separator: ", ")
        return #"{"source": \#(quoted(source)), "frame": \#(frame.index), "faces": [\#(faces)]}"#
    }

    /// `occlumesh run`: per frame and face what the protocol carries (vertices go to OBJ files).
    static func runLine(source: String, frame: ProcessedFrame, expressionNames: [String]) -> String {
        let published = frame.published
        let faces = frame.faces.map { face in
            let value = face.published
            let pose = value.pose
            let rotation = [pose.rotation.x, pose.rotation.y, pose.rotation.z, pose.rotation.w]
            let expression = zip(expressionNames, value.expressionWeights).map { "\(quoted($0)): \(number($1, digits: 4))" }
                .joined(separator: ", ")
            return #"{"track": \#(value.trackIdentifier), "confidence": \#(number(value.confidence, digits: 4)), "#
                + #""box": \#(box(face.box)), "rotation": \#(list(rotation, digits: 5)), "#
                + #""translation": \#(list([pose.translation.x, pose.translation.y, pose.translation.z])), "#
                + #""scale": \#(number(pose.scale, digits: 4)), "expression": {\#(expression)}, "#
                + #""identity": \#(list(value.identity, digits: 4)), "landmarks68": \#(landmarks(value.landmarks)), "#
                + #""visibility68": \#(list(value.landmarkVisibility, digits: 3)), "face_score": \#(score(face.faceScore)), "#
                + #""vertices": \#(value.vertices.count)}"#
        }.joined(separator: ", ")
        return #"{"source": \#(quoted(source)), "frame": \#(frame.index), "sequence": \#(published.sequence), "#
            + #""timestamp": \#(String(format: "%.4f", published.sourceTimestamp)), "faces": [\#(faces)]}"#
    }
}

/// Writes text lines to standard output or a file, and meshes to OBJ files; used from one thread at a time.
final class OfflineWriter: FrameSink, @unchecked Sendable {
    enum Format { case run, landmarks }

    private let handle: FileHandle
    private let format: Format
    private let objectDirectory: String?
    private let model: MorphableModel
    private var mesh: FaceMesh
    private let lock = NSLock()
    /// The source name lines carry (the file name).
    var sourceName: String
    /// Frames written.
    private(set) var frames = 0
    /// Faces written.
    private(set) var faces = 0

    init(jsonLinesPath: String?, objectDirectory: String?, format: Format, model: MorphableModel, sourceName: String) throws {
        if let jsonLinesPath {
            // Opened in place, never replaced: FileManager.createFile writes a temporary file and renames it
            // over the path, which turns /dev/null, /dev/stdout or a FIFO into a regular file.
            let descriptor = open(jsonLinesPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else {
                throw OfflineError("\(jsonLinesPath): cannot create the file (\(String(cString: strerror(errno))))")
            }
            handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        } else {
            handle = FileHandle.standardOutput
        }
        if let objectDirectory {
            do {
                try FileManager.default.createDirectory(atPath: objectDirectory, withIntermediateDirectories: true)
            } catch {
                throw OfflineError("\(objectDirectory): cannot create the folder")
            }
        }
        self.format = format
        self.objectDirectory = objectDirectory
        self.model = model
        mesh = model.makeMesh(.wholeHead)
        self.sourceName = sourceName
    }

    func consume(_ frame: ProcessedFrame) throws {
        try lock.withLock {
            let line = format == .run
                ? OfflineJSON.runLine(source: sourceName, frame: frame, expressionNames: model.expressionNames)
                : OfflineJSON.landmarksLine(source: sourceName, frame: frame)
            handle.write(Data((line + "\n").utf8))
            frames += 1
            faces += frame.faces.count
            guard let objectDirectory else { return }
            let stem = (sourceName as NSString).deletingPathExtension
            for face in frame.faces {
                try model.evaluate(identity: face.published.identity, expression: face.published.expressionWeights, into: &mesh)
                let name = String(format: "%@_frame%06d_track%d.obj", stem, frame.index, Int(face.published.trackIdentifier))
                try MeshExport.writeOBJ(mesh, model: model, transform: face.imagePose.cameraSpaceTransform,
                                        to: (objectDirectory as NSString).appendingPathComponent(name))
            }
        }
    }

    func close() {
        if handle !== FileHandle.standardOutput { try? handle.close() }
    }
}
