// libFuzzer target: the face detector's JSON sidecar (Sources/FaceTracking: DetectorSpecification's reading and
// checks, then DetectionDecoder driven by what it accepted), compiled into one module with those files by
// tools/fuzz.sh. The input is a sidecar file. An accepted sidecar decodes synthetic network outputs of the sizes it
// declares (plausible rows and logits, then the same with NaN, infinities and huge values mixed in), as the daemon
// does on every frame. Any trap, hang, or error that is not one bounded line is a finding.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDetectorSidecar(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = writeScratch(data, size)
    let specification: DetectorSpecification
    do {
        specification = try DetectorSpecification.load(path: path)
    } catch {
        requireOneLine(error.description, "detector sidecar")
        return 0
    }
    let decoder = DetectionDecoder(specification: specification)
    let anchors = specification.anchors.count, values = specification.decoding.numCoords
    // Rows as the network gives them: offsets and sizes of a few input pixels, every third anchor a likely face.
    let regressors = (0..<(anchors * values)).map { Float($0 % 13) * 4 - 24 }
    let classificators = (0..<anchors).map { $0 % 3 == 0 ? Float(6) : Float(-6) }
    // And as a damaged network may give them: NaN, infinities and huge values among the rows and logits.
    let hostile: [Float] = [.nan, .infinity, -.infinity, 3e38, 0]
    let hostileRegressors = regressors.enumerated().map { $0.offset % 7 == 3 ? hostile[$0.offset % 5] : $0.element }
    let hostileClassificators = classificators.enumerated().map { $0.offset % 4 == 1 ? hostile[$0.offset % 5] : $0.element }
    for (rows, logits) in [(regressors, classificators), (hostileRegressors, hostileClassificators)] {
        for (width, height) in [(640, 480), (1, 4096)] {
            do {
                _ = try decoder.faces(regressors: rows, classificators: logits, imageWidth: width, imageHeight: height)
            } catch {
                requireOneLine(error.description, "detection decoding")
            }
        }
    }
    return 0
}
