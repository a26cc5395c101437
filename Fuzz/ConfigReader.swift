// libFuzzer target: the daemon's config reader (Sources/DaemonConfiguration: the TOML subset, the key bindings and
// the validation), compiled into one module with it by tools/fuzz.sh. Any trap, stack overflow or error message
// that is not one bounded line is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigReader(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
    do {
        _ = try DaemonConfiguration.parse(text)
    } catch {
        let line = error.description
        if line.contains("\n") || line.utf8.count > 1024 {
            fatalError("config error is not one bounded line (\(line.utf8.count) bytes)")
        }
    }
    return 0
}
