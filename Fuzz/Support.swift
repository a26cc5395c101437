// Shared by the fuzz targets that read a file by path (the sidecars, the face-model file): each input is written to
// one scratch file per process, in /dev/shm where it exists, and the reader under test opens it as it opens a model.
// Compiled into every such target by tools/fuzz.sh.

import Foundation

/// The scratch file this fuzzing process writes each input to.
let fuzzScratchPath: String = {
    let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return "\(directory)/occlumesh-fuzz-\(getpid())"
}()

/// Writes the input to the scratch file and returns its path.
func writeScratch(_ data: UnsafePointer<UInt8>, _ size: Int) -> String {
    let written = FileManager.default.createFile(atPath: fuzzScratchPath, contents: Data(bytes: data, count: size))
    precondition(written, "cannot write the fuzz scratch file \(fuzzScratchPath)")
    return fuzzScratchPath
}

/// A finding unless `message` is one line of at most 1 KiB, as every error of the daemon must be.
func requireOneLine(_ message: String, _ what: String) {
    if message.contains(where: \.isNewline) || message.utf8.count > 1024 {
        fatalError("\(what) error is not one bounded line (\(message.utf8.count) bytes): \(message.prefix(300))")
    }
}
