// libFuzzer target: the face-model file reader (Sources/FaceModel: MorphableModel's header, section table and
// index checks), compiled into one module with it by tools/fuzz.sh. The input is a model file. It is read without
// its CRC-32 check, so that the reader's own checks, not the checksum, must hold against every mutation, then with
// it; an accepted file has every section touched and a mesh of each variant evaluated and exported, as the daemon and
// `occlumesh mesh` do. Any trap, hang, read outside the file, or error that is not one bounded line is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFaceModelFile(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = writeScratch(data, size)
    let model: MorphableModel
    do {
        model = try MorphableModel(path: path, verifyChecksum: false)
    } catch {
        requireOneLine(error.description, "face model")
        return 0
    }
    do {
        _ = try MorphableModel(path: path, identityCount: 0, verifyChecksum: true)
    } catch {
        requireOneLine(error.description, "face model")
    }
    var sum: Float = 0
    sum += model.neutral.reduce(0, +) + model.textureCoordinates.reduce(0, +)
    sum += Float(model.triangleIndices.reduce(0) { $0 &+ $1 })
    for index in 0..<model.identityCount { sum += model.identityMode(index).reduce(0, +) }
    for index in 0..<model.expressionCount { sum += model.expressionMode(index).reduce(0, +) }
    _ = model.expressionIndex(named: "jawOpen")
    _ = model.landmarkVertices.map { model.neutral[Int($0) * 3] }
    for variant in MeshVariant.allCases {
        var mesh = model.makeMesh(variant)
        do {
            try model.evaluate(identity: [Float](repeating: 0.5, count: model.identityCount),
                               expression: [Float](repeating: 0.25, count: model.expressionCount), into: &mesh)
            _ = MeshExport.plyBytes(of: mesh, model: model)
        } catch {
            requireOneLine(error.description, "face model evaluation")
        }
    }
    _ = sum
    return 0
}
