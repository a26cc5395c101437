/// The fixed layout of the runtime face-model file, format version 1 (docs/face-model-format.md).
/// All integers and floats are little-endian; every section starts on a 64-byte boundary.
public enum ModelFileLayout {
    /// First eight bytes of every model file.
    public static let magic: [UInt8] = Array("OCCLFACE".utf8)
    /// The format version this build reads and writes.
    public static let version: UInt32 = 1
    /// Bytes before the first section.
    public static let headerSize = 256
    /// Sections start at multiples of this.
    public static let alignment = 64
    /// Bytes per expression name (UTF-8, NUL-padded).
    public static let nameStride = 32
    /// Byte offset of the CRC-32 field; the checksum covers the whole file with these four bytes read as zero.
    public static let checksumOffset = 60
    /// Byte offset of the stored file size (UInt64).
    public static let fileSizeOffset = 64
    /// Byte offset of the section offset table (one UInt64 per `Section`, in declaration order).
    public static let sectionTableOffset = 72

    /// The sections, in file order.
    public enum Section: Int, CaseIterable, Sendable {
        /// Float32 [V][3], centimetres.
        case neutral
        /// Float32 [K][V][3], identity modes scaled by their standard deviation.
        case identityBasis
        /// Float32 [E][V][3], expression blendshape deltas.
        case expressionBasis
        /// UInt32 [T][3], face-area triangles first.
        case triangles
        /// Float32 [V][2], per-vertex texture coordinates.
        case uv
        /// UInt32 [68], Multi-PIE landmark vertices.
        case landmarks
        /// UInt32 [J], replacements for landmarks 0..<J on a turned head.
        case jawRightSubstitutes
        /// UInt32 [J], replacements for landmarks 17-J..<17.
        case jawLeftSubstitutes
        /// E × 32 bytes of names.
        case expressionNames
    }

    /// Byte offsets of the header's UInt32 fields.
    enum Field: Int {
        case version = 8, headerSize = 12, vertexCount = 16, faceAreaVertexCount = 20, identityCount = 24
        case sourceIdentityCount = 28, expressionCount = 32, triangleCount = 36, faceAreaTriangleCount = 40
        case landmarkCount = 44, jawSubstituteCount = 48, nameStride = 52, flags = 56
    }
}

/// The parsed, validated header of a model file.
struct ModelFileHeader: Sendable {
    var vertexCount: Int
    var faceAreaVertexCount: Int
    var identityCount: Int
    var sourceIdentityCount: Int
    var expressionCount: Int
    var triangleCount: Int
    var faceAreaTriangleCount: Int
    var landmarkCount: Int
    var jawSubstituteCount: Int
    var checksum: UInt32
    var fileSize: Int
    var sectionOffsets: [Int]

    /// Bytes each section must hold, in `Section` order.
    var sectionSizes: [Int] {
        let floatBytes = MemoryLayout<Float>.size, indexBytes = MemoryLayout<UInt32>.size
        return ModelFileLayout.Section.allCases.map { section in
            switch section {
            case .neutral: vertexCount * 3 * floatBytes
            case .identityBasis: identityCount * vertexCount * 3 * floatBytes
            case .expressionBasis: expressionCount * vertexCount * 3 * floatBytes
            case .triangles: triangleCount * 3 * indexBytes
            case .uv: vertexCount * 2 * floatBytes
            case .landmarks: landmarkCount * indexBytes
            case .jawRightSubstitutes, .jawLeftSubstitutes: jawSubstituteCount * indexBytes
            case .expressionNames: expressionCount * ModelFileLayout.nameStride
            }
        }
    }

    /// Reads and checks the header of `bytes` (the whole file), without the checksum.
    init(parsing bytes: UnsafeRawBufferPointer, path: String) throws(FaceModelError) {
        let magic = ModelFileLayout.magic
        guard bytes.count >= magic.count, zip(magic, bytes.prefix(magic.count)).allSatisfy({ $0 == $1 }) else {
            throw .wrongMagic(path: path)
        }
        guard bytes.count >= ModelFileLayout.headerSize else {
            throw .truncated(path: path, expectedBytes: ModelFileLayout.headerSize, actualBytes: bytes.count)
        }
        func field(_ field: ModelFileLayout.Field) -> UInt32 {
            UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: field.rawValue, as: UInt32.self))
        }
        let version = field(.version)
        guard version == ModelFileLayout.version else { throw .unsupportedVersion(path: path, version: version) }
        guard field(.headerSize) == UInt32(ModelFileLayout.headerSize), field(.nameStride) == UInt32(ModelFileLayout.nameStride) else {
            throw .malformedHeader(path: path, reason: "header size or name stride differs from version 1")
        }
        vertexCount = Int(field(.vertexCount))
        faceAreaVertexCount = Int(field(.faceAreaVertexCount))
        identityCount = Int(field(.identityCount))
        sourceIdentityCount = Int(field(.sourceIdentityCount))
        expressionCount = Int(field(.expressionCount))
        triangleCount = Int(field(.triangleCount))
        faceAreaTriangleCount = Int(field(.faceAreaTriangleCount))
        landmarkCount = Int(field(.landmarkCount))
        jawSubstituteCount = Int(field(.jawSubstituteCount))
        checksum = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: ModelFileLayout.checksumOffset, as: UInt32.self))
        fileSize = Int(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: ModelFileLayout.fileSizeOffset, as: UInt64.self)))
        let table = ModelFileLayout.sectionTableOffset
        sectionOffsets = ModelFileLayout.Section.allCases.map { section in
            Int(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: table + 8 * section.rawValue, as: UInt64.self)))
        }
        guard fileSize <= bytes.count else {
            throw .truncated(path: path, expectedBytes: fileSize, actualBytes: bytes.count)
        }
        guard fileSize == bytes.count else {
            throw .malformedHeader(path: path, reason: "header says \(fileSize) bytes, file has \(bytes.count)")
        }
        guard vertexCount > 0, faceAreaVertexCount <= vertexCount, faceAreaTriangleCount <= triangleCount,
              landmarkCount == 68, jawSubstituteCount <= 8 else {
            throw .malformedHeader(path: path, reason: "inconsistent counts")
        }
        for (section, (offset, size)) in zip(ModelFileLayout.Section.allCases, zip(sectionOffsets, sectionSizes)) {
            guard offset >= ModelFileLayout.headerSize, offset % ModelFileLayout.alignment == 0,
                  offset <= fileSize, size <= fileSize - offset else {
                throw .malformedHeader(path: path, reason: "section \(section) lies outside the file or is misaligned")
            }
        }
    }
}

#if _endian(big)
#error("the face-model file is little-endian and mapped in place: big-endian hosts are not supported")
#endif
