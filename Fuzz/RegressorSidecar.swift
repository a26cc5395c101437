// libFuzzer target: the regressor's sidecar, `orn.json`, as both readers take it: RegressorSpecification.parse
// (Sources/FaceRegression: outputs, normalisation, landmark definition) and CropConvention.load (Sources/FaceTracking:
// crop size and framing), compiled into one module with those files by tools/fuzz.sh. An accepted framing places a crop
// on a detector box and on landmarks and maps it onto the crop, as the daemon does on every frame. Any trap, or error
// that is not one bounded line, is a finding.

import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRegressorSidecar(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    do {
        let specification = try RegressorSpecification.parse(Data(bytes: data, count: size), path: "orn.json")
        _ = specification.landmarkDefinition?.nearestVertices
    } catch {
        requireOneLine(error.description, "regressor sidecar")
    }
    let convention: CropConvention
    do {
        convention = try CropConvention.load(path: writeScratch(data, size))
    } catch {
        requireOneLine(error.description, "crop convention")
        return 0
    }
    let box = BoundingBox(minimum: SIMD2(100, 80), maximum: SIMD2(260, 300))
    let landmarks = (0..<68).map { (index: Int) -> SIMD2<Float> in
        SIMD2(Float(100 + index * 2), Float(80 + index * 7 % 200))
    }
    for region in [convention.region(detection: box), convention.region(landmarks: landmarks)].compactMap({ $0 }) {
        _ = region.transform(cropSize: convention.size)
    }
    return 0
}
