import Foundation
import Testing
import TestSupport

/// Runs `occlumesh detect` as a user would: JSON lines per image or frame, folders, videos and bad input.
@Suite("occlumesh detect")
struct DetectCommandTests {
    static let models = ProbeCommandTests.repositoryRoot.appendingPathComponent("models").path
    static let data = ProbeCommandTests.repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/data")

    struct Line: Decodable, Equatable {
        struct Face: Decodable, Equatable {
            let box: [Float]
            let score: Float
            let keypoints: [[Float]]
        }
        let source: String
        let frame: Int
        let faces: [Face]
    }

    static func lines(_ output: String) throws -> [Line] {
        try output.split(separator: "\n").map { try JSONDecoder().decode(Line.self, from: Data($0.utf8)) }
    }

    @Test("a picture without a face gives one line with no faces, keys in the documented order")
    func pictureWithoutFace() throws {
        let folder = try Repository.temporaryFolder("blank")
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = folder.appendingPathComponent("grey.png").path
        let maker = Process()
        maker.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        maker.arguments = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:s=320x240", "-frames:v", "1", image]
        try maker.run()
        maker.waitUntilExit()
        #expect(maker.terminationStatus == 0)
        let result = try ProbeCommandTests.run(["detect", image, "--json", "--models", Self.models])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output == #"{"source": "grey.png", "frame": 0, "faces": []}"# + "\n")
    }

    static func dataPresent(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: data.appendingPathComponent(path).path)
    }

    @Test("every image of a folder, in name order, the face found where it is labelled",
          .enabled(if: dataPresent("aflw2000-3d/images"), "skipped: ../shared/data/aflw2000-3d (third-party data) is absent"))
    func folderOfPhotographs() throws {
        let images = Self.data.appendingPathComponent("aflw2000-3d/images")
        let folder = try Repository.temporaryFolder("folder")
        defer { try? FileManager.default.removeItem(at: folder) }
        for name in ["image00006.jpg", "image00002.jpg", "image00004.jpg"] {
            try FileManager.default.copyItem(at: images.appendingPathComponent(name), to: folder.appendingPathComponent(name))
        }
        try Data("not an image".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        let result = try ProbeCommandTests.run(["detect", folder.path, "--json", "--models", Self.models])
        #expect(result.status == 0, "\(result.errors)")
        let lines = try Self.lines(result.output)
        #expect(lines.map(\.source) == ["image00002.jpg", "image00004.jpg", "image00006.jpg"])
        #expect(lines.allSatisfy { $0.frame == 0 && !$0.faces.isEmpty })
        // image00002's 68 ground-truth landmarks span (121.9, 167.2)–(345.2, 375.7); its face box must contain their centre.
        let box = try #require(lines.first?.faces.first?.box)
        #expect(box[0] < 233 && 233 < box[2] && box[1] < 271 && 271 < box[3], "\(box)")
        #expect(lines[0].faces[0].score >= 0.5)
        // Its eye centres (means of landmarks 36–41 and 42–47), nose tip (30) and mouth centre (48–67): the detector's
        // first four keypoints, in that order, within a tenth of the landmarks' span (223 × 208 px) of each.
        let keypoints = lines[0].faces[0].keypoints
        #expect(keypoints.count == 6 && keypoints.allSatisfy { $0.count == 2 }, "\(keypoints)")
        let truth: [[Float]] = [[181.1, 203.1], [282.3, 212.8], [225.1, 281.8], [217.5, 319.6]]
        for (point, expected) in zip(keypoints, truth) {
            #expect(hypot(point[0] - expected[0], point[1] - expected[1]) < 21, "\(point) against \(expected)")
        }
    }

    @Test("a video gives one line per frame, numbered from 0",
          .enabled(if: dataPresent("videos/d10.mp4"), "skipped: ../shared/data/videos (third-party data) is absent"))
    func videoFrames() throws {
        let clip = Self.data.appendingPathComponent("videos/d10.mp4")
        let result = try ProbeCommandTests.run(["detect", clip.path, "--json", "--max-frames", "3", "--models", Self.models])
        #expect(result.status == 0, "\(result.errors)")
        let lines = try Self.lines(result.output)
        #expect(lines.map(\.frame) == [0, 1, 2])
        #expect(lines.allSatisfy { $0.source == "d10.mp4" && $0.faces.count == 1 })
    }

    @Test("bad input and a missing model print one line naming the cause and exit 1")
    func badInput() throws {
        let missing = try ProbeCommandTests.run(["detect", "/nonexistent.jpg", "--models", Self.models])
        #expect(missing.status == 1)
        #expect(missing.errors == "occlumesh: /nonexistent.jpg: no such file\n")
        let noModel = try ProbeCommandTests.run(["detect", "/nonexistent.jpg", "--models", "/nonexistent-models"])
        #expect(noModel.status == 1)
        #expect(noModel.errors.hasPrefix("occlumesh: /nonexistent-models/face_detection_short_range.json: cannot read detector sidecar"))
        #expect(noModel.errors.split(separator: "\n").count == 1)
    }
}
