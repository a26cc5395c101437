import FaceModel
import Foundation
import XCTest

final class ModelFileTests: XCTestCase {
    func testCRC32MatchesTheStandardCheckValue() {
        let bytes = Array("123456789".utf8)
        XCTAssertEqual(bytes.withUnsafeBytes { CRC32.checksum($0) }, 0xCBF4_3926)
        // Split updates give the same result as one pass (exercises the 8-byte and tail loops).
        let long = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let whole = long.withUnsafeBytes { CRC32.checksum($0) }
        let split = long.withUnsafeBytes { CRC32.update(CRC32.update(0, UnsafeRawBufferPointer(rebasing: $0[..<333])), UnsafeRawBufferPointer(rebasing: $0[333...])) }
        XCTAssertEqual(whole, split)
    }

    func testRoundTripKeepsEveryArray() throws {
        let contents = SyntheticModel.contents()
        let path = try writeTemporary(contents.encoded())
        let model = try MorphableModel(path: path)
        XCTAssertEqual(model.vertexCount, SyntheticModel.vertexCount)
        XCTAssertEqual(model.faceAreaVertexCount, SyntheticModel.faceAreaVertexCount)
        XCTAssertEqual(model.identityCount, 3)
        XCTAssertEqual(model.expressionNames, ["jawOpen", "eyeBlink_L"])
        XCTAssertEqual(Array(model.neutral), contents.neutral)
        for index in 0..<3 { XCTAssertEqual(Array(model.identityMode(index)), contents.identityModes[index]) }
        for index in 0..<2 { XCTAssertEqual(Array(model.expressionMode(index)), contents.expressionModes[index]) }
        XCTAssertEqual(Array(model.textureCoordinates), contents.textureCoordinates)
        XCTAssertEqual(model.landmarkIndices, contents.landmarkIndices.map { Int32($0) })
        XCTAssertEqual(model.jawRightSubstitutes, contents.jawRightSubstitutes.map { Int32($0) })
        XCTAssertEqual(model.jawLeftSubstitutes, contents.jawLeftSubstitutes.map { Int32($0) })
        // Same triangles as a multiset, face-area ones first.
        let stored = Array(model.triangleIndices)
        let triangles = { (flat: [UInt32]) in stride(from: 0, to: flat.count, by: 3).map { Array(flat[$0..<($0 + 3)]) } }
        XCTAssertEqual(Set(triangles(stored)), Set(triangles(contents.triangles)))
        let limit = UInt32(SyntheticModel.faceAreaVertexCount)
        for (index, triangle) in triangles(stored).enumerated() {
            XCTAssertEqual(index < model.faceAreaTriangleCount, triangle.allSatisfy { $0 < limit }, "triangle \(index)")
        }
        XCTAssertGreaterThan(model.faceAreaTriangleCount, 0)
        XCTAssertLessThan(model.faceAreaTriangleCount, model.triangleCount)
    }

    func testFewerIdentityModesCanBeUsedButNotMore() throws {
        let path = try writeTemporary(SyntheticModel.contents().encoded(identityCount: 2))
        XCTAssertEqual(try MorphableModel(path: path).storedIdentityCount, 2)
        XCTAssertEqual(try MorphableModel(path: path, identityCount: 1).identityCount, 1)
        XCTAssertThrowsError(try MorphableModel(path: path, identityCount: 3)) { error in
            XCTAssertEqual(error as? FaceModelError, .identityCountTooLarge(path: path, requested: 3, stored: 2))
            XCTAssertTrue("\(error)".contains("3 identity modes requested but the file stores 2"), "\(error)")
        }
    }

    func testWrongMagicIsRejected() throws {
        var bytes = SyntheticModel.contents().encoded()
        bytes[0] = UInt8(ascii: "X")
        let path = try writeTemporary(bytes)
        XCTAssertThrowsError(try MorphableModel(path: path)) { error in
            XCTAssertEqual(error as? FaceModelError, .wrongMagic(path: path))
        }
        let text = try writeTemporary(Array("v 1 2 3\nv 4 5 6\n".utf8), name: "mesh.obj")
        XCTAssertThrowsError(try MorphableModel(path: text)) { error in
            XCTAssertEqual(error as? FaceModelError, .wrongMagic(path: text))
        }
    }

    func testTruncatedFilesAreRejected() throws {
        let bytes = SyntheticModel.contents().encoded()
        for length in [bytes.count - 1, bytes.count / 2, 100] {
            let path = try writeTemporary(Array(bytes.prefix(length)))
            XCTAssertThrowsError(try MorphableModel(path: path), "length \(length)") { error in
                let expected = length < ModelFileLayout.headerSize ? ModelFileLayout.headerSize : bytes.count
                XCTAssertEqual(error as? FaceModelError, .truncated(path: path, expectedBytes: expected, actualBytes: length))
            }
        }
    }

    func testCorruptedContentsFailTheChecksum() throws {
        var bytes = SyntheticModel.contents().encoded()
        bytes[bytes.count / 2] ^= 0x10
        let path = try writeTemporary(bytes)
        XCTAssertThrowsError(try MorphableModel(path: path)) { error in
            guard case .checksumMismatch(let errorPath, let stored, let computed)? = error as? FaceModelError else {
                return XCTFail("expected a checksum mismatch, got \(error)")
            }
            XCTAssertEqual(errorPath, path)
            XCTAssertNotEqual(stored, computed)
            XCTAssertTrue("\(error)".contains("checksum mismatch"))
        }
    }

    func testOtherVersionsAndMissingFilesAreRejected() throws {
        var bytes = SyntheticModel.contents().encoded()
        bytes[8] = 3
        let path = try writeTemporary(bytes)
        XCTAssertThrowsError(try MorphableModel(path: path)) { error in
            XCTAssertEqual(error as? FaceModelError, .unsupportedVersion(path: path, version: 3))
            XCTAssertTrue("\(error)".contains("newer than this build reads (2)"), "\(error)")
        }
        XCTAssertThrowsError(try MorphableModel(path: "/nonexistent/model.ocfm")) { error in
            XCTAssertEqual(error as? FaceModelError, .cannotOpen(path: "/nonexistent/model.ocfm", errno: ENOENT))
        }
    }
}
