import Foundation
import InferenceGraph

/// Why a `.npy` file could not be read or written. Each case reads as one line.
public enum NumpyFileError: Error, Equatable, CustomStringConvertible {
    /// The file could not be read or written.
    case io(path: String, reason: String)
    /// The bytes are not a NumPy `.npy` file this reader understands.
    case malformed(path: String, reason: String)

    /// One line naming the file and the cause.
    public var description: String {
        switch self {
        case .io(let path, let reason): "\(path): \(reason)"
        case .malformed(let path, let reason): "\(path): not a little-endian float32 C-order .npy file (\(reason))"
        }
    }
}

/// Reads and writes NumPy `.npy` files holding little-endian float32 arrays in C order (version 1.0
/// to 3.0 headers): the exchange format of `occlumesh model run` and of the golden fixtures.
public enum NumpyFile {
    /// Reads a float32 `.npy` file into a tensor (layout `.nchw`).
    public static func read(_ url: URL) throws(NumpyFileError) -> Tensor {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .io(path: url.path, reason: error.localizedDescription) }
        return try decode(data, path: url.path)
    }

    /// Decodes `.npy` bytes; `path` only names the source in errors.
    public static func decode(_ data: Data, path: String) throws(NumpyFileError) -> Tensor {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw .malformed(path: path, reason: "missing magic")
        }
        let major = bytes[6]
        let headerLength: Int, headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else {
            guard bytes.count >= 12 else { throw .malformed(path: path, reason: "truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        }
        guard headerStart + headerLength <= bytes.count else { throw .malformed(path: path, reason: "truncated header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard header.contains("'descr': '<f4'") else { throw .malformed(path: path, reason: "dtype is not <f4") }
        guard header.contains("'fortran_order': False") else { throw .malformed(path: path, reason: "Fortran order") }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw .malformed(path: path, reason: "no shape")
        }
        var shape: [Int] = []
        for part in header[open.upperBound..<close].split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { continue }
            guard let dimension = Int(trimmed), dimension >= 0 else { throw .malformed(path: path, reason: "shape \(trimmed)") }
            shape.append(dimension)
        }
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= 1 << 30 else { throw .malformed(path: path, reason: "shape too large") }
            count = product
        }
        let start = headerStart + headerLength
        guard bytes.count - start == count * 4 else {
            throw .malformed(path: path, reason: "\(bytes.count - start) data bytes for shape \(shape)")
        }
        let elements = bytes.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: start + $0 * 4, as: UInt32.self))) }
        }
        return Tensor(shape: shape, elements: elements)
    }

    /// Encodes a tensor (converted to `.nchw` order first if needed) as `.npy` version 1.0 bytes.
    public static func encode(_ tensor: Tensor) -> Data {
        var plain = tensor.elements
        if tensor.layout == .nhwc && tensor.shape.count == 4 {
            let (n, c, h, w) = (tensor.shape[0], tensor.shape[1], tensor.shape[2], tensor.shape[3])
            for image in 0..<n {
                for channel in 0..<c {
                    for pixel in 0..<(h * w) {
                        plain[(image * c + channel) * h * w + pixel] = tensor.elements[(image * h * w + pixel) * c + channel]
                    }
                }
            }
        }
        let shapeText = tensor.shape.count == 1 ? "(\(tensor.shape[0]),)" : "(" + tensor.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
        header += "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count & 0xff), UInt8(header.utf8.count >> 8)])
        data.append(contentsOf: Array(header.utf8))
        plain.withUnsafeBytes { data.append(contentsOf: $0) }
        return data
    }

    /// Writes a tensor to `url` as `.npy`.
    public static func write(_ tensor: Tensor, to url: URL) throws(NumpyFileError) {
        do { try encode(tensor).write(to: url) } catch { throw .io(path: url.path, reason: error.localizedDescription) }
    }
}
