import Foundation
import Testing
import TestSupport
@testable import FacePipeline

/// The regressor's weights are checked against the digest `orn.json` records.
@Suite("regressor checksum")
struct ModelChecksumTests {
    @Test("SHA-256 of the FIPS 180-4 test vectors")
    func knownDigests() {
        #expect(SHA256.hexDigest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hexDigest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    @Test("damaged weights are refused at load with one line naming the file", .enabled(if: TestResources.available, TestResources.skipReason))
    func damagedWeights() throws {
        let folder = try Repository.temporaryFolder("checksum")
        defer { try? FileManager.default.removeItem(at: folder) }
        var weights = [UInt8](try Data(contentsOf: TestResources.models.appendingPathComponent("orn.onnx")))
        weights[weights.count - 1000] ^= 0x01  // one bit of one weight near the end of the file
        let damaged = folder.appendingPathComponent("orn.onnx")
        try Data(weights).write(to: damaged)
        try FileManager.default.copyItem(at: TestResources.models.appendingPathComponent("orn.json"),
                                         to: folder.appendingPathComponent("orn.json"))
        var settings = try PipelineTests.settings()
        settings.regressorPath = damaged.path
        settings.regressorSidecarPath = folder.appendingPathComponent("orn.json").path
        #expect {
            _ = try PipelineModels(settings: settings)
        } throws: { error in
            let description = "\(error)"
            return description.contains(damaged.path) && description.contains("SHA-256") && !description.contains("\n")
        }
        // The intact file passes.
        _ = try PipelineModels(settings: try PipelineTests.settings())
    }
}
