import FaceModel
import Foundation
import TestSupport
import Testing

@Suite("face-model file")
struct ModelFileTests {
    let temporary = TemporaryDirectory("model-file")

    private func writeTemporary(_ bytes: [UInt8], name: String = "model.ocfm") throws -> String {
        try temporary.write(bytes, name: name)
    }

    @Test("CRC-32 matches the standard check value")
    func cRC32MatchesTheStandardCheckValue() {
        let bytes = Array("123456789".utf8)
        #expect(bytes.withUnsafeBytes { CRC32.checksum($0) } == 0xCBF4_3926)
        // Split updates give the same result as one pass (exercises the 8-byte and tail loops).
        let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let whole = long.withUnsafeBytes { CRC32.checksum($0) }
        let split = long.withUnsafeBytes { CRC32.update(CRC32.update(0, UnsafeRawBufferPointer(rebasing: $0[..<333])), UnsafeRawBufferPointer(rebasing: $0[333...])) }
        #expect(whole == split)
    }

    @Test("a round trip keeps every array")
    func roundTripKeepsEveryArray() throws {
        let contents = SyntheticModel.contents()
        let path = try writeTemporary(contents.encoded())
        let model = try MorphableModel(path: path)
        #expect(model.vertexCount == SyntheticModel.vertexCount)
        #expect(model.faceAreaVertexCount == SyntheticModel.faceAreaVertexCount)
        #expect(model.identityCount == 3)
        #expect(model.expressionNames == ["jawOpen", "eyeBlink_L"])
        #expect(Array(model.neutral) == contents.neutral)
        for index in 0..<3 { #expect(Array(model.identityMode(index)) == contents.identityModes[index]) }
        for index in 0..<2 { #expect(Array(model.expressionMode(index)) == contents.expressionModes[index]) }
        #expect(Array(model.textureCoordinates) == contents.textureCoordinates)
        #expect(model.landmarkIndices == contents.landmarkIndices.map { Int32($0) })
        #expect(model.jawRightSubstitutes == contents.jawRightSubstitutes.map { Int32($0) })
        #expect(model.jawLeftSubstitutes == contents.jawLeftSubstitutes.map { Int32($0) })
        // Same triangles as a multiset, face-area ones first.
        let stored = Array(model.triangleIndices)
        let triangles = { (flat: [UInt32]) in stride(from: 0, to: flat.count, by: 3).map { Array(flat[$0..<($0 + 3)]) } }
        #expect(Set(triangles(stored)) == Set(triangles(contents.triangles)))
        let limit = UInt32(SyntheticModel.faceAreaVertexCount)
        for (index, triangle) in triangles(stored).enumerated() {
            #expect((index < model.faceAreaTriangleCount) == triangle.allSatisfy { $0 < limit }, "triangle \(index)")
        }
        #expect(model.faceAreaTriangleCount > 0)
        #expect(model.faceAreaTriangleCount < model.triangleCount)
    }

    @Test("fewer identity modes can be used, but not more")
    func fewerIdentityModesCanBeUsedButNotMore() throws {
        let path = try writeTemporary(SyntheticModel.contents().encoded(identityCount: 2))
        #expect(try MorphableModel(path: path).storedIdentityCount == 2)
        #expect(try MorphableModel(path: path, identityCount: 1).identityCount == 1)
        let error = #expect(throws: FaceModelError.self) { try MorphableModel(path: path, identityCount: 3) }
        #expect(error == .identityCountTooLarge(path: path, requested: 3, stored: 2))
        #expect(error?.description.contains("3 identity modes requested but the file stores 2") == true, "\(String(describing: error))")
    }

    @Test("a wrong magic is rejected")
    func wrongMagicIsRejected() throws {
        var bytes = SyntheticModel.contents().encoded()
        bytes[0] = UInt8(ascii: "X")
        let path = try writeTemporary(bytes)
        #expect(throws: FaceModelError.wrongMagic(path: path)) {
            try MorphableModel(path: path)
        }
        let text = try writeTemporary(Array("v 1 2 3\nv 4 5 6\n".utf8), name: "mesh.obj")
        #expect(throws: FaceModelError.wrongMagic(path: text)) {
            try MorphableModel(path: text)
        }
    }

    @Test("truncated files are rejected")
    func truncatedFilesAreRejected() throws {
        let bytes = SyntheticModel.contents().encoded()
        for length in [bytes.count - 1, bytes.count / 2, 100] {
            let path = try writeTemporary(Array(bytes.prefix(length)))
            let expected = length < ModelFileLayout.headerSize ? ModelFileLayout.headerSize : bytes.count
            #expect(throws: FaceModelError.truncated(path: path, expectedBytes: expected, actualBytes: length), "length \(length)") {
                try MorphableModel(path: path)
            }
        }
    }

    @Test("corrupted contents fail the checksum")
    func corruptedContentsFailTheChecksum() throws {
        var bytes = SyntheticModel.contents().encoded()
        bytes[bytes.count / 2] ^= 0x10
        let path = try writeTemporary(bytes)
        let error = #expect(throws: FaceModelError.self) { try MorphableModel(path: path) }
        guard let error, case .checksumMismatch(let errorPath, let stored, let computed) = error else {
            Issue.record("expected a checksum mismatch, got \(String(describing: error))")
            return
        }
        #expect(errorPath == path)
        #expect(stored != computed)
        #expect("\(error)".contains("checksum mismatch"))
    }

    @Test("other versions and missing files are rejected")
    func otherVersionsAndMissingFilesAreRejected() throws {
        var bytes = SyntheticModel.contents().encoded()
        bytes[8] = 3
        let path = try writeTemporary(bytes)
        let error = #expect(throws: FaceModelError.self) { try MorphableModel(path: path) }
        #expect(error == .unsupportedVersion(path: path, version: 3))
        #expect(error?.description.contains("newer than this build reads (2)") == true, "\(String(describing: error))")
        #expect(throws: FaceModelError.cannotOpen(path: "/nonexistent/model.ocfm", errno: ENOENT)) {
            try MorphableModel(path: "/nonexistent/model.ocfm")
        }
    }
}
