@testable import FaceModel

/// The parts of a morphable model, in memory, as the converter reads them from ICT-FaceKit, and the writer of the
/// face-model file for them: the tests' small synthetic models. The file users install is written by the Python
/// converter (tools/convert-face-model.py); `ConverterTests` checks the two agree.
public struct ModelFileContents: Sendable {
    /// Neutral vertices, packed x, y, z.
    public var neutral: [Float]
    /// Identity modes, each packed like `neutral`, largest first.
    public var identityModes: [[Float]]
    /// Expression blendshape deltas, each packed like `neutral`.
    public var expressionModes: [[Float]]
    /// Blendshape names, one per expression mode (UTF-8, at most 31 bytes).
    public var expressionNames: [String]
    /// Triangle corners, three per triangle (reordered on writing: face-area triangles first).
    public var triangles: [UInt32]
    /// Texture coordinates, packed u, v per vertex.
    public var textureCoordinates: [Float]
    /// Vertices `0..<faceAreaVertexCount` form the face area.
    public var faceAreaVertexCount: Int
    /// The 68 landmark vertices.
    public var landmarkIndices: [UInt32]
    /// Substitutes for landmarks 0..<J.
    public var jawRightSubstitutes: [UInt32]
    /// Substitutes for landmarks 17-J..<17.
    public var jawLeftSubstitutes: [UInt32]
    /// The calibrated 68-landmark definition the file carries, or nil for a file without one.
    public var landmarkDefinition: LandmarkDefinition?

    /// Contents from their parts.
    public init(neutral: [Float], identityModes: [[Float]], expressionModes: [[Float]], expressionNames: [String],
                triangles: [UInt32], textureCoordinates: [Float], faceAreaVertexCount: Int,
                landmarkIndices: [UInt32], jawRightSubstitutes: [UInt32], jawLeftSubstitutes: [UInt32],
                landmarkDefinition: LandmarkDefinition? = nil) {
        self.neutral = neutral
        self.identityModes = identityModes
        self.expressionModes = expressionModes
        self.expressionNames = expressionNames
        self.triangles = triangles
        self.textureCoordinates = textureCoordinates
        self.faceAreaVertexCount = faceAreaVertexCount
        self.landmarkIndices = landmarkIndices
        self.jawRightSubstitutes = jawRightSubstitutes
        self.jawLeftSubstitutes = jawLeftSubstitutes
        self.landmarkDefinition = landmarkDefinition
    }

    /// The bytes of a model file of the current version keeping the first `identityCount` identity modes (all when nil).
    /// Byte-identical to what tools/convert-face-model.py writes for the same contents.
    public func encoded(identityCount: Int? = nil) -> [UInt8] {
        let keep = identityCount ?? identityModes.count
        precondition(keep >= 0 && keep <= identityModes.count, "identity count \(keep) outside 0...\(identityModes.count)")
        let vertexCount = neutral.count / 3
        let limit = UInt32(faceAreaVertexCount)
        var inside: [UInt32] = [], outside: [UInt32] = []
        for start in stride(from: 0, to: triangles.count, by: 3) {
            let corners = triangles[start..<(start + 3)]
            if corners.allSatisfy({ $0 < limit }) { inside += corners } else { outside += corners }
        }
        var names: [UInt8] = []
        for name in expressionNames {
            let raw = Array(name.utf8)
            precondition(raw.count < ModelFileLayout.nameStride, "expression name \(name) too long")
            names += raw + [UInt8](repeating: 0, count: ModelFileLayout.nameStride - raw.count)
        }
        func floatBytes(_ values: [Float]) -> [UInt8] { values.flatMap { littleEndianBytes($0.bitPattern) } }
        func indexBytes(_ values: [UInt32]) -> [UInt8] { values.flatMap { littleEndianBytes($0) } }
        let definition = landmarkDefinition
        let sections: [[UInt8]?] = [
            floatBytes(neutral),
            floatBytes(identityModes.prefix(keep).flatMap { $0 }),
            floatBytes(expressionModes.flatMap { $0 }),
            indexBytes(inside + outside),
            floatBytes(textureCoordinates),
            indexBytes(landmarkIndices),
            indexBytes(jawRightSubstitutes),
            indexBytes(jawLeftSubstitutes),
            names,
            definition.map { indexBytes($0.vertices.flatMap { [UInt32(bitPattern: $0.x), UInt32(bitPattern: $0.y), UInt32(bitPattern: $0.z)] }) },
            definition.map { floatBytes($0.weights.flatMap { [$0.x, $0.y, $0.z] }) },
        ]
        var offsets: [Int] = []
        var cursor = ModelFileLayout.headerSize
        for section in sections {
            guard let section else {  // an optional section the file does not carry: offset 0
                offsets.append(0)
                continue
            }
            cursor = (cursor + ModelFileLayout.alignment - 1) / ModelFileLayout.alignment * ModelFileLayout.alignment
            offsets.append(cursor)
            cursor += section.count
        }
        var file = [UInt8](repeating: 0, count: cursor)
        func put(_ bytes: [UInt8], at offset: Int) { file.replaceSubrange(offset..<(offset + bytes.count), with: bytes) }
        put(ModelFileLayout.magic, at: 0)
        let fields: [(ModelFileLayout.Field, Int)] = [
            (.version, Int(ModelFileLayout.version)), (.headerSize, ModelFileLayout.headerSize), (.vertexCount, vertexCount),
            (.faceAreaVertexCount, faceAreaVertexCount), (.identityCount, keep), (.sourceIdentityCount, identityModes.count),
            (.expressionCount, expressionModes.count), (.triangleCount, triangles.count / 3),
            (.faceAreaTriangleCount, inside.count / 3), (.landmarkCount, landmarkIndices.count),
            (.jawSubstituteCount, jawRightSubstitutes.count), (.nameStride, ModelFileLayout.nameStride),
            (.flags, definition == nil ? 0 : Int(ModelFileLayout.landmarkDefinitionFlag)),
        ]
        for (field, value) in fields { put(littleEndianBytes(UInt32(value)), at: field.rawValue) }
        put(littleEndianBytes(UInt64(cursor)), at: ModelFileLayout.fileSizeOffset)
        for (index, offset) in offsets.enumerated() {
            put(littleEndianBytes(UInt64(offset)), at: ModelFileLayout.sectionTableOffset + 8 * index)
        }
        for (section, offset) in zip(sections, offsets) {
            if let section { put(section, at: offset) }
        }
        let checksum = file.withUnsafeBytes { CRC32.checksum($0) }
        put(littleEndianBytes(checksum), at: ModelFileLayout.checksumOffset)
        return file
    }
}

private func littleEndianBytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}
