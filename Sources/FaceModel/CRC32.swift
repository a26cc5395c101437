/// CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), the checksum of the face-model file; the same as
/// zlib's `crc32`, so the Python converter and this reader agree without sharing code.
public enum CRC32 {
    /// Slice-by-8 tables, flattened: entry `256·k + b` is the CRC of byte b followed by k zero bytes.
    private static let table: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            table[byte] = crc
        }
        for slice in 1..<8 {
            for byte in 0..<256 {
                let previous = table[256 * (slice - 1) + byte]
                table[256 * slice + byte] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        return table
    }()

    /// Continues `crc` (0 to start) over `bytes`.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        let count = bytes.count
        var value = ~crc
        var index = 0
        table.withUnsafeBufferPointer { t in
            while index + 8 <= count {
                let low = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: index, as: UInt32.self)) ^ value
                let high = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self))
                value = t[1792 + Int(low & 0xFF)] ^ t[1536 + Int((low >> 8) & 0xFF)]
                    ^ t[1280 + Int((low >> 16) & 0xFF)] ^ t[1024 + Int(low >> 24)]
                    ^ t[768 + Int(high & 0xFF)] ^ t[512 + Int((high >> 8) & 0xFF)]
                    ^ t[256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                index += 8
            }
            while index < count {
                let byte = UInt32(base.load(fromByteOffset: index, as: UInt8.self))
                value = (value >> 8) ^ t[Int((value ^ byte) & 0xFF)]
                index += 1
            }
        }
        return ~value
    }

    /// The CRC-32 of `bytes`.
    public static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 { update(0, bytes) }
}
