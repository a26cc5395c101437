import FaceModel
import Foundation
import TestSupport
import Testing

@Suite("mesh export")
struct ExportTests {
    let temporary = TemporaryDirectory("export")

    @Test("an OBJ holds the vertices, the UVs and the variant's triangles")
    func objHoldsVerticesUVsAndTheVariantsTriangles() throws {
        let model = try temporary.model()
        for variant in MeshVariant.allCases {
            var mesh = model.makeMesh(variant)
            try model.evaluate(identity: [0.5, 0.5, 0.5], expression: [1, 0], into: &mesh)
            let path = try temporary.folder().appendingPathComponent("mesh.obj").path
            try MeshExport.writeOBJ(mesh, model: model, to: path)
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            let vertices = lines.filter { $0.hasPrefix("v ") }, uvs = lines.filter { $0.hasPrefix("vt ") }
            let faces = lines.filter { $0.hasPrefix("f ") }
            #expect(vertices.count == mesh.vertexCount)
            #expect(uvs.count == mesh.vertexCount)
            #expect(faces.count == model.triangleCount(of: variant))
            // Values parse back exactly.
            let first = vertices[5].split(separator: " ").dropFirst().map { Float(String($0))! }
            #expect(first == [mesh.positions[15], mesh.positions[16], mesh.positions[17]])
            let uv = uvs[5].split(separator: " ").dropFirst().map { Float(String($0))! }
            #expect(uv == [model.textureCoordinates[10], model.textureCoordinates[11]])
            // Every face index is 1-based and inside this variant's vertices.
            for face in faces {
                for corner in face.split(separator: " ").dropFirst() {
                    let parts = corner.split(separator: "/").map { Int(String($0))! }
                    #expect(parts[0] == parts[1])
                    #expect((1...mesh.vertexCount).contains(parts[0]), "\(face)")
                }
            }
        }
    }

    @Test("a PLY is binary little-endian with s, t texture coordinates")
    func plyIsBinaryLittleEndianWithSTCoordinates() throws {
        let model = try temporary.model()
        var mesh = model.makeMesh(.wholeHead)
        try model.evaluate(identity: [0, 1, 0], expression: [0, 1], into: &mesh)
        let transform = MeshTransform(rotation: Quaternion(angle: 0.3, axis: SIMD3(1, 0, 0)), translation: SIMD3(1, 2, 3), scale: 2)
        let bytes = MeshExport.plyBytes(of: mesh, model: model, transform: transform)
        let marker = Array("end_header\n".utf8)
        let headerEnd = (0...(bytes.count - marker.count)).first { Array(bytes[$0..<($0 + marker.count)]) == marker }! + marker.count
        let header = String(decoding: bytes[..<headerEnd], as: UTF8.self)
        #expect(header.contains("format binary_little_endian 1.0"))
        #expect(header.contains("element vertex 100"))
        #expect(header.contains("property float s\nproperty float t"))
        #expect(header.contains("element face \(model.triangleCount)"))
        #expect(bytes.count == headerEnd + 100 * 20 + model.triangleCount * 13)
        func float(at offset: Int) -> Float {
            Float(bitPattern: bytes[offset..<(offset + 4)].withUnsafeBytes { UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self)) })
        }
        let vertex = transform.apply(mesh.vertex(7))
        let base = headerEnd + 7 * 20
        #expect([float(at: base), float(at: base + 4), float(at: base + 8)] == [vertex.x, vertex.y, vertex.z])
        #expect(float(at: base + 16) == model.textureCoordinates[15])
        #expect(bytes[headerEnd + 100 * 20] == 3)
    }

    @Test("writing into a missing directory fails, naming the path and errno")
    func writingIntoAMissingDirectoryFails() throws {
        let model = try temporary.model()
        let mesh = model.makeMesh(.faceArea)
        #expect(throws: FaceModelError.cannotWrite(path: "/nonexistent/dir/mesh.obj", errno: ENOENT)) {
            try MeshExport.writeOBJ(mesh, model: model, to: "/nonexistent/dir/mesh.obj")
        }
    }
}
