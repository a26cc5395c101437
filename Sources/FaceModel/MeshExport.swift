#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes meshes as Wavefront OBJ or binary PLY with per-vertex texture coordinates, for users (viewers,
/// Blender) and for debugging. Export allocates; it is not on the per-frame path.
public enum MeshExport {
    /// OBJ text of `mesh` (optionally posed in 3D) with the model's UVs and the variant's triangles.
    public static func objText(of mesh: FaceMesh, model: MorphableModel, transform: MeshTransform? = nil) -> String {
        var text = "# occlumesh face mesh: \(mesh.variant.rawValue), \(mesh.vertexCount) vertices\n"
        text.reserveCapacity(mesh.vertexCount * 60 + model.triangleCount(of: mesh.variant) * 40)
        for index in 0..<mesh.vertexCount {
            let vertex = transform.map { $0.apply(mesh.vertex(index)) } ?? mesh.vertex(index)
            text += "v \(vertex.x) \(vertex.y) \(vertex.z)\n"
        }
        let uv = model.textureCoordinates
        for index in 0..<mesh.vertexCount {
            text += "vt \(uv[2 * index]) \(uv[2 * index + 1])\n"
        }
        let triangles = model.triangleIndices
        for triangle in 0..<model.triangleCount(of: mesh.variant) {
            let a = triangles[3 * triangle] + 1, b = triangles[3 * triangle + 1] + 1, c = triangles[3 * triangle + 2] + 1
            text += "f \(a)/\(a) \(b)/\(b) \(c)/\(c)\n"
        }
        return text
    }

    /// Binary little-endian PLY of `mesh` (optionally posed): vertices with x y z s t, triangles as lists.
    public static func plyBytes(of mesh: FaceMesh, model: MorphableModel, transform: MeshTransform? = nil) -> [UInt8] {
        let triangleCount = model.triangleCount(of: mesh.variant)
        let header = """
            ply
            format binary_little_endian 1.0
            comment occlumesh face mesh: \(mesh.variant.rawValue)
            element vertex \(mesh.vertexCount)
            property float x
            property float y
            property float z
            property float s
            property float t
            element face \(triangleCount)
            property list uchar uint vertex_indices
            end_header

            """
        var bytes = Array(header.utf8)
        bytes.reserveCapacity(bytes.count + mesh.vertexCount * 20 + triangleCount * 13)
        func append<T: FixedWidthInteger>(_ value: T) {
            withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
        }
        let uv = model.textureCoordinates
        for index in 0..<mesh.vertexCount {
            let vertex = transform.map { $0.apply(mesh.vertex(index)) } ?? mesh.vertex(index)
            for value in [vertex.x, vertex.y, vertex.z, uv[2 * index], uv[2 * index + 1]] { append(value.bitPattern) }
        }
        let triangles = model.triangleIndices
        for triangle in 0..<triangleCount {
            bytes.append(3)
            for corner in 0..<3 { append(triangles[3 * triangle + corner]) }
        }
        return bytes
    }

    /// Writes `objText(of:model:transform:)` to `path`.
    public static func writeOBJ(_ mesh: FaceMesh, model: MorphableModel, transform: MeshTransform? = nil, to path: String) throws(FaceModelError) {
        try writeFile(Array(objText(of: mesh, model: model, transform: transform).utf8), to: path)
    }

    /// Writes `plyBytes(of:model:transform:)` to `path`.
    public static func writePLY(_ mesh: FaceMesh, model: MorphableModel, transform: MeshTransform? = nil, to path: String) throws(FaceModelError) {
        try writeFile(plyBytes(of: mesh, model: model, transform: transform), to: path)
    }

    /// Writes `bytes` to `path`, replacing it.
    static func writeFile(_ bytes: [UInt8], to path: String) throws(FaceModelError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .cannotWrite(path: path, errno: errno) }
        defer { close(descriptor) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + written, $0.count - written) }
            if result < 0 {
                if errno == EINTR { continue }
                throw .cannotWrite(path: path, errno: errno)
            }
            written += result
        }
    }
}
