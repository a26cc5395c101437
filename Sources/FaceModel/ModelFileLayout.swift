/// The fixed layout of the runtime face-model file, format version 2 (docs/face-model-format.md).
/// All integers and floats are little-endian; every section starts on a 64-byte boundary.
public enum ModelFileLayout {
    /// First eight bytes of every model file.
    public static let magic: [UInt8] = Array("OCCLFACE".utf8)
    /// The format version this build reads and writes. Version 1 files (before the calibrated landmark
    /// definition) are refused with an error asking for `tools/setup-face-model.sh` to be run again.
    public static let version: UInt32 = 2
    /// Header flag (bit 0 of the u32 at byte 56): the file carries a calibrated landmark definition
    /// (sections `landmarkDefinitionVertices` and `landmarkDefinitionWeights`). No other bit may be set.
    public static let landmarkDefinitionFlag: UInt32 = 1
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
        /// UInt32 [68][3], optional: the three mesh vertices of each calibrated landmark's barycentric point.
        case landmarkDefinitionVertices
        /// Float32 [68][3], optional: the barycentric weights of those vertices (each row sums to 1).
        case landmarkDefinitionWeights

        /// Whether the section is present only when the header's `landmarkDefinitionFlag` is set (offset 0 otherwise).
        public var isOptional: Bool { self == .landmarkDefinitionVertices || self == .landmarkDefinitionWeights }
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
    var hasLandmarkDefinition: Bool
    var checksum: UInt32
    var fileSize: Int
    var sectionOffsets: [Int]

    /// Bytes each section must hold, in `Section` order. Counts come from the file, so products are computed
    /// without trapping: one that overflows is `Int.max`, which no file holds.
    var sectionSizes: [Int] {
        let floatBytes = MemoryLayout<Float>.size, indexBytes = MemoryLayout<UInt32>.size
        func product(_ factors: Int...) -> Int {
            factors.reduce(1) { result, factor in
                let (next, overflow) = result.multipliedReportingOverflow(by: factor)
                return overflow ? Int.max : next
            }
        }
        return ModelFileLayout.Section.allCases.map { section in
            switch section {
            case .neutral: product(vertexCount, 3, floatBytes)
            case .identityBasis: product(identityCount, vertexCount, 3, floatBytes)
            case .expressionBasis: product(expressionCount, vertexCount, 3, floatBytes)
            case .triangles: product(triangleCount, 3, indexBytes)
            case .uv: product(vertexCount, 2, floatBytes)
            case .landmarks: product(landmarkCount, indexBytes)
            case .jawRightSubstitutes, .jawLeftSubstitutes: product(jawSubstituteCount, indexBytes)
            case .expressionNames: product(expressionCount, ModelFileLayout.nameStride)
            case .landmarkDefinitionVertices: hasLandmarkDefinition ? product(landmarkCount, 3, indexBytes) : 0
            case .landmarkDefinitionWeights: hasLandmarkDefinition ? product(landmarkCount, 3, floatBytes) : 0
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
            throw .malformedHeader(path: path, reason: "header size or name stride differs from version \(ModelFileLayout.version)")
        }
        let flags = field(.flags)
        guard flags & ~ModelFileLayout.landmarkDefinitionFlag == 0 else {
            throw .malformedHeader(path: path, reason: "unknown flags \(flags)")
        }
        hasLandmarkDefinition = flags & ModelFileLayout.landmarkDefinitionFlag != 0
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
        // 64-bit fields above Int.max read as Int.max, which fails the size checks below instead of trapping.
        func offsetField(_ offset: Int) -> Int {
            Int(exactly: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))) ?? Int.max
        }
        fileSize = offsetField(ModelFileLayout.fileSizeOffset)
        let table = ModelFileLayout.sectionTableOffset
        sectionOffsets = ModelFileLayout.Section.allCases.map { offsetField(table + 8 * $0.rawValue) }
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
            if section.isOptional && !hasLandmarkDefinition {
                guard offset == 0 else {
                    throw .malformedHeader(path: path, reason: "section \(section) has an offset but the landmark definition flag is clear")
                }
                continue
            }
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
