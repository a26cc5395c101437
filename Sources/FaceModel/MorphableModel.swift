/// The ICT-FaceKit morphable face model, read from a runtime model file by memory-mapping it: the bases are
/// used in place, never copied, so loading costs one checksum pass and the pages are shared between processes.
///
/// Immutable after loading and safe to share between threads.
public final class MorphableModel: @unchecked Sendable {
    /// The file the model was loaded from.
    public let path: String
    /// Vertices of the whole-head mesh.
    public let vertexCount: Int
    /// Vertices `0..<faceAreaVertexCount` form the face-area mesh.
    public let faceAreaVertexCount: Int
    /// Identity modes in use (≤ `storedIdentityCount`); identity coefficient vectors have this length.
    public let identityCount: Int
    /// Identity modes the file stores (K chosen at conversion).
    public let storedIdentityCount: Int
    /// Expression blendshapes; expression coefficient vectors have this length.
    public let expressionCount: Int
    /// Blendshape names in coefficient order (ARKit names such as `jawOpen`, `eyeBlink_L`).
    public let expressionNames: [String]
    /// Triangles of the whole head.
    public let triangleCount: Int
    /// Triangles `0..<faceAreaTriangleCount` use face-area vertices only.
    public let faceAreaTriangleCount: Int
    /// Vertex indices of ICT-FaceKit's own 68 Multi-PIE landmarks for a frontal face (every file has them; the
    /// landmarks are these, with the jaw rule, only in files without a `landmarkDefinition`).
    public let landmarkIndices: [Int32]
    /// The calibrated 68-landmark definition (barycentric points matching the 3DDFA_V2 / AFLW2000-3D keypoints)
    /// when the file carries one; `landmarks(…)` then uses it and no jaw rule. Nil for files converted without one.
    public let landmarkDefinition: LandmarkDefinition?
    /// The vertex standing for each of the 68 landmarks on a frontal face: with a calibrated definition the
    /// corner of largest weight of each landmark's point, otherwise `landmarkIndices`. What the socket
    /// protocol's topology lists as landmark vertices.
    public let landmarkVertices: [Int32]
    /// Contour vertices that replace landmarks 0..<8 (the subject's right jaw) when that side turns to the camera.
    public let jawRightSubstitutes: [Int32]
    /// Contour vertices that replace landmarks 9..<17 (the subject's left jaw) when that side turns to the camera.
    public let jawLeftSubstitutes: [Int32]

    private let file: MappedFile
    private let header: ModelFileHeader

    /// Maps and validates the model file at `path`.
    /// - Parameters:
    ///   - identityCount: identity modes to use (the first, largest ones); nil uses all the file stores.
    ///   - verifyChecksum: check the CRC-32 of the whole file (one pass over ~13 MB).
    public init(path: String, identityCount: Int? = nil, verifyChecksum: Bool = true) throws(FaceModelError) {
        self.path = path
        let file = try MappedFile(path: path)
        let bytes = file.bytes
        let header = try ModelFileHeader(parsing: bytes, path: path)
        self.file = file
        self.header = header
        if verifyChecksum {
            let checksumEnd = ModelFileLayout.checksumOffset + 4
            var crc = CRC32.update(0, UnsafeRawBufferPointer(rebasing: bytes[0..<ModelFileLayout.checksumOffset]))
            crc = withUnsafeBytes(of: UInt32(0)) { CRC32.update(crc, $0) }
            crc = CRC32.update(crc, UnsafeRawBufferPointer(rebasing: bytes[checksumEnd...]))
            guard crc == header.checksum else {
                throw .checksumMismatch(path: path, stored: header.checksum, computed: crc)
            }
        }
        let requested = identityCount ?? header.identityCount
        guard requested <= header.identityCount else {
            throw .identityCountTooLarge(path: path, requested: requested, stored: header.identityCount)
        }
        guard requested >= 0 else {
            throw .malformedHeader(path: path, reason: "negative identity count requested")
        }
        vertexCount = header.vertexCount
        faceAreaVertexCount = header.faceAreaVertexCount
        self.identityCount = requested
        storedIdentityCount = header.identityCount
        expressionCount = header.expressionCount
        triangleCount = header.triangleCount
        faceAreaTriangleCount = header.faceAreaTriangleCount

        let offsets = header.sectionOffsets
        func indices(_ section: ModelFileLayout.Section, count: Int) -> [Int32] {
            let offset = offsets[section.rawValue]
            return (0..<count).map { Int32(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4 * $0, as: UInt32.self))) }
        }
        landmarkIndices = indices(.landmarks, count: header.landmarkCount)
        jawRightSubstitutes = indices(.jawRightSubstitutes, count: header.jawSubstituteCount)
        jawLeftSubstitutes = indices(.jawLeftSubstitutes, count: header.jawSubstituteCount)
        let vertexLimit = Int32(header.vertexCount)
        for list in [landmarkIndices, jawRightSubstitutes, jawLeftSubstitutes] where list.contains(where: { $0 < 0 || $0 >= vertexLimit }) {
            throw .malformedHeader(path: path, reason: "a landmark index lies outside the \(header.vertexCount) vertices")
        }
        if header.hasLandmarkDefinition {
            let corners = indices(.landmarkDefinitionVertices, count: header.landmarkCount * 3)
            let weightsOffset = offsets[ModelFileLayout.Section.landmarkDefinitionWeights.rawValue]
            let weights = (0..<(header.landmarkCount * 3)).map { index in
                Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: weightsOffset + 4 * index, as: UInt32.self)))
            }
            let definition = LandmarkDefinition(
                vertices: (0..<header.landmarkCount).map { SIMD3(corners[3 * $0], corners[3 * $0 + 1], corners[3 * $0 + 2]) },
                weights: (0..<header.landmarkCount).map { SIMD3(weights[3 * $0], weights[3 * $0 + 1], weights[3 * $0 + 2]) })
            if let problem = definition.problem(vertexCount: header.vertexCount, landmarkCount: header.landmarkCount) {
                throw .malformedHeader(path: path, reason: "landmark definition: \(problem)")
            }
            landmarkDefinition = definition
            landmarkVertices = definition.nearestVertices
        } else {
            landmarkDefinition = nil
            landmarkVertices = landmarkIndices
        }
        let namesOffset = header.sectionOffsets[ModelFileLayout.Section.expressionNames.rawValue]
        expressionNames = (0..<header.expressionCount).map { index in
            let start = namesOffset + index * ModelFileLayout.nameStride
            let raw = bytes[start..<(start + ModelFileLayout.nameStride)].prefix { $0 != 0 }
            return String(decoding: raw, as: UTF8.self)
        }
        let triangles = UnsafeBufferPointer(
            start: (file.base! + offsets[ModelFileLayout.Section.triangles.rawValue]).assumingMemoryBound(to: UInt32.self),
            count: header.triangleCount * 3)
        let maximum = UInt32(header.vertexCount)
        if triangles.contains(where: { $0 >= maximum }) {
            throw .malformedHeader(path: path, reason: "a triangle index lies outside the \(header.vertexCount) vertices")
        }
    }

    /// Start of a section inside the mapping.
    func pointer(_ section: ModelFileLayout.Section) -> UnsafeRawPointer {
        file.base! + header.sectionOffsets[section.rawValue]
    }

    /// The neutral face, packed x, y, z per vertex (centimetres).
    public var neutral: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: pointer(.neutral).assumingMemoryBound(to: Float.self), count: vertexCount * 3)
    }

    /// Identity mode `index`, packed x, y, z per vertex.
    public func identityMode(_ index: Int) -> UnsafeBufferPointer<Float> {
        precondition(index >= 0 && index < identityCount, "identity mode \(index) outside 0..<\(identityCount)")
        let start = pointer(.identityBasis).assumingMemoryBound(to: Float.self) + index * vertexCount * 3
        return UnsafeBufferPointer(start: start, count: vertexCount * 3)
    }

    /// Expression blendshape `index`, packed x, y, z per vertex.
    public func expressionMode(_ index: Int) -> UnsafeBufferPointer<Float> {
        precondition(index >= 0 && index < expressionCount, "expression mode \(index) outside 0..<\(expressionCount)")
        let start = pointer(.expressionBasis).assumingMemoryBound(to: Float.self) + index * vertexCount * 3
        return UnsafeBufferPointer(start: start, count: vertexCount * 3)
    }

    /// Triangle corner indices, three per triangle, face-area triangles first.
    public var triangleIndices: UnsafeBufferPointer<UInt32> {
        UnsafeBufferPointer(start: pointer(.triangles).assumingMemoryBound(to: UInt32.self), count: triangleCount * 3)
    }

    /// Texture coordinates, packed u, v per vertex.
    public var textureCoordinates: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: pointer(.uv).assumingMemoryBound(to: Float.self), count: vertexCount * 2)
    }

    /// Vertices in a mesh of `variant`.
    public func vertexCount(of variant: MeshVariant) -> Int {
        variant == .wholeHead ? vertexCount : faceAreaVertexCount
    }

    /// Triangles in a mesh of `variant` (a prefix of `triangleIndices`).
    public func triangleCount(of variant: MeshVariant) -> Int {
        variant == .wholeHead ? triangleCount : faceAreaTriangleCount
    }

    /// Index of the blendshape called `name`, if the model has one.
    public func expressionIndex(named name: String) -> Int? {
        expressionNames.firstIndex(of: name)
    }
}

/// Which part of the ICT mesh to build.
public enum MeshVariant: String, Sendable, CaseIterable {
    /// The face area only (9,409 vertices in ICT-FaceKit Light): what the regressor sees and clients usually draw.
    case faceArea
    /// Face, head and neck (11,248 vertices).
    case wholeHead
}
