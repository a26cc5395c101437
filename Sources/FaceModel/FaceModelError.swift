/// Why a face-model file could not be loaded or used, or a mesh could not be built or written.
/// Every case reads as one line naming the cause.
public enum FaceModelError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened or mapped (`errno` from the failing call).
    case cannotOpen(path: String, errno: Int32)
    /// The file does not start with the `OCCLFACE` magic: it is not a runtime face-model file.
    case wrongMagic(path: String)
    /// The file is a face-model file of a format version this build does not read (an older file is converted
    /// again by `tools/setup-face-model.sh`).
    case unsupportedVersion(path: String, version: UInt32)
    /// The file is shorter than its header says (an interrupted copy or conversion).
    case truncated(path: String, expectedBytes: Int, actualBytes: Int)
    /// The stored CRC-32 does not match the contents: the file is corrupt.
    case checksumMismatch(path: String, stored: UInt32, computed: UInt32)
    /// More identity modes were asked for than the file stores (it was converted with a smaller K).
    case identityCountTooLarge(path: String, requested: Int, stored: Int)
    /// A header field or section is inconsistent (named in `reason`).
    case malformedHeader(path: String, reason: String)
    /// A coefficient vector has the wrong length for this model.
    case coefficientCountMismatch(kind: String, expected: Int, actual: Int)
    /// A caller-provided buffer was made for another model or mesh variant.
    case bufferSizeMismatch(kind: String, expected: Int, actual: Int)
    /// A coefficients file could not be read or does not fit the model (named in `reason`).
    case invalidCoefficients(path: String, reason: String)
    /// Writing an exported mesh failed.
    case cannotWrite(path: String, errno: Int32)

    /// One line naming the file or input and the cause.
    public var description: String {
        switch self {
        case .cannotOpen(let path, let code): "\(path): cannot open face model (errno \(code))"
        case .wrongMagic(let path): "\(path): not an occlumesh face-model file (wrong magic)"
        case .unsupportedVersion(let path, let version) where version < ModelFileLayout.version:
            "\(path): face-model format version \(version) predates the calibrated landmarks this build reads (version \(ModelFileLayout.version)): re-run tools/setup-face-model.sh"
        case .unsupportedVersion(let path, let version):
            "\(path): face-model format version \(version) is newer than this build reads (\(ModelFileLayout.version)): update occlumesh or re-run tools/setup-face-model.sh"
        case .truncated(let path, let expected, let actual): "\(path): truncated face model (\(actual) of \(expected) bytes)"
        case .checksumMismatch(let path, let stored, let computed):
            "\(path): face model checksum mismatch (stored \(hex(stored)), computed \(hex(computed))): the file is corrupt"
        case .identityCountTooLarge(let path, let requested, let stored):
            "\(path): \(requested) identity modes requested but the file stores \(stored) (convert again with a larger K)"
        case .malformedHeader(let path, let reason): "\(path): malformed face-model header (\(reason))"
        case .coefficientCountMismatch(let kind, let expected, let actual): "\(kind) coefficients: expected \(expected), got \(actual)"
        case .bufferSizeMismatch(let kind, let expected, let actual): "\(kind) buffer: expected \(expected) elements, got \(actual)"
        case .invalidCoefficients(let path, let reason): "\(path): invalid coefficients (\(reason))"
        case .cannotWrite(let path, let code): "\(path): cannot write mesh (errno \(code))"
        }
    }
}

private func hex(_ value: UInt32) -> String {
    let digits = String(value, radix: 16)
    return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
}
