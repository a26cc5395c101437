// libFuzzer target: the regressor's sidecar, `orn.json`, as its one reader takes it: RegressorSpecification.parse
// (Sources/FaceRegression: input, crop convention, outputs, landmark definition), compiled into one module with those
// files by tools/fuzz.sh. An accepted framing places a crop on a detector box and on landmarks and maps it onto the
// crop, as the daemon does on every frame. Any trap, or error that is not one bounded line, is a finding.

import FaceTracking
import Foundation

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRegressorSidecar(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let convention: CropConvention
    do {
        let specification = try RegressorSpecification.parse(Data(bytes: data, count: size), path: "orn.json")
        _ = specification.landmarkDefinition?.nearestVertices
        convention = specification.crop
    } catch {
        requireOneLine(error.description, "regressor sidecar")
        return 0
    }
    let box = BoundingBox(minimum: SIMD2(100, 80), maximum: SIMD2(260, 300))
    let landmarks = (0..<68).map { (index: Int) -> SIMD2<Float> in
        SIMD2(Float(100 + index * 2), Float(80 + index * 7 % 200))
    }
    for region in [convention.framing.region(detection: box), convention.framing.region(landmarks: landmarks)].compactMap({ $0 }) {
        _ = region.transform(cropSize: convention.size)
    }
    return 0
}
