import FaceModel
import Foundation
import XCTest

final class ExportTests: XCTestCase {
    func testOBJHoldsVerticesUVsAndTheVariantsTriangles() throws {
        let model = try MorphableModel(path: writeTemporary(SyntheticModel.contents().encoded()))
        for variant in MeshVariant.allCases {
            var mesh = model.makeMesh(variant)
            try model.evaluate(identity: [0.5, 0.5, 0.5], expression: [1, 0], into: &mesh)
            let path = try makeTemporaryDirectory().appendingPathComponent("mesh.obj").path
            try MeshExport.writeOBJ(mesh, model: model, to: path)
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            let vertices = lines.filter { $0.hasPrefix("v ") }, uvs = lines.filter { $0.hasPrefix("vt ") }
            let faces = lines.filter { $0.hasPrefix("f ") }
            XCTAssertEqual(vertices.count, mesh.vertexCount)
            XCTAssertEqual(uvs.count, mesh.vertexCount)
            XCTAssertEqual(faces.count, model.triangleCount(of: variant))
            // Values parse back exactly.
            let first = vertices[5].split(separator: " ").dropFirst().map { Float(String($0))! }
            XCTAssertEqual(first, [mesh.positions[15], mesh.positions[16], mesh.positions[17]])
            let uv = uvs[5].split(separator: " ").dropFirst().map { Float(String($0))! }
            XCTAssertEqual(uv, [model.textureCoordinates[10], model.textureCoordinates[11]])
            // Every face index is 1-based and inside this variant's vertices.
            for face in faces {
                for corner in face.split(separator: " ").dropFirst() {
                    let parts = corner.split(separator: "/").map { Int(String($0))! }
                    XCTAssertEqual(parts[0], parts[1])
                    XCTAssertTrue((1...mesh.vertexCount).contains(parts[0]), "\(face)")
                }
            }
        }
    }

    func testPLYIsBinaryLittleEndianWithSTCoordinates() throws {
        let model = try MorphableModel(path: writeTemporary(SyntheticModel.contents().encoded()))
        var mesh = model.makeMesh(.wholeHead)
        try model.evaluate(identity: [0, 1, 0], expression: [0, 1], into: &mesh)
        let pose = FacePose(rotation: Quaternion(angle: 0.3, axis: SIMD3(1, 0, 0)), translation: SIMD3(1, 2, 3), scale: 2)
        let bytes = MeshExport.plyBytes(of: mesh, model: model, pose: pose)
        let marker = Array("end_header\n".utf8)
        let headerEnd = (0...(bytes.count - marker.count)).first { Array(bytes[$0..<($0 + marker.count)]) == marker }! + marker.count
        let header = String(decoding: bytes[..<headerEnd], as: UTF8.self)
        XCTAssertTrue(header.contains("format binary_little_endian 1.0"))
        XCTAssertTrue(header.contains("element vertex 100"))
        XCTAssertTrue(header.contains("property float s\nproperty float t"))
        XCTAssertTrue(header.contains("element face \(model.triangleCount)"))
        XCTAssertEqual(bytes.count, headerEnd + 100 * 20 + model.triangleCount * 13)
        func float(at offset: Int) -> Float {
            Float(bitPattern: bytes[offset..<(offset + 4)].withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) })
        }
        let vertex = pose.apply(mesh.vertex(7))
        let base = headerEnd + 7 * 20
        XCTAssertEqual([float(at: base), float(at: base + 4), float(at: base + 8)], [vertex.x, vertex.y, vertex.z])
        XCTAssertEqual(float(at: base + 16), model.textureCoordinates[15])
        XCTAssertEqual(bytes[headerEnd + 100 * 20], 3)
    }

    func testWritingIntoAMissingDirectoryFails() throws {
        let model = try MorphableModel(path: writeTemporary(SyntheticModel.contents().encoded()))
        let mesh = model.makeMesh(.faceArea)
        XCTAssertThrowsError(try MeshExport.writeOBJ(mesh, model: model, to: "/nonexistent/dir/mesh.obj")) { error in
            XCTAssertEqual(error as? FaceModelError, .cannotWrite(path: "/nonexistent/dir/mesh.obj", errno: ENOENT))
        }
    }
}
