import FaceTracking
import Testing

/// The views the detector's second looks render from the letterboxed input, and the map that brings what it finds
/// back: a mirror view is the rows reversed, a turned view moves each pixel where `sourcePoint` says, and the
/// corners a turned view uncovers hold the padding value.
@Suite("detector views")
struct DetectorViewTests {
    private let width = 16, height = 16

    private func rendered(_ view: DetectorView, _ source: [Float], fill: Float = -1) -> [Float] {
        var destination = [Float](repeating: .nan, count: source.count)
        source.withUnsafeBufferPointer { source in
            destination.withUnsafeMutableBufferPointer { destination in
                view.render(source, into: destination, width: width, height: height, fill: fill)
            }
        }
        return destination
    }

    @Test("the mirror view is each row of each plane reversed")
    func mirrorReversesRows() {
        let source = (0..<(3 * width * height)).map { Float(($0 * 7919) % 251) }
        let mirrored = rendered(.mirror, source)
        for plane in 0..<3 {
            for row in 0..<height {
                let start = plane * width * height + row * width
                #expect(Array(mirrored[start..<start + width]) == Array(source[start..<start + width].reversed()))
            }
        }
    }

    @Test("a turned view shows each pixel where sourcePoint says it comes from")
    func turnedViewFollowsSourcePoint() {
        // A quarter turn of the axes shows source pixel (11, 3) at (3, 4) (the picture turns counter-clockwise on
        // screen, so a face tilted clockwise stands upright); mirrored after the turn, at (12, 4); a half turn at
        // (4, 12). The turn comes first: mirroring first would put it at (3, 11).
        let quarter = Float.pi / 2
        for (view, expected) in [(DetectorView.rotated(by: quarter), 4 * width + 3),
                                 (DetectorView(mirrored: true, rotation: quarter), 4 * width + 12),
                                 (DetectorView.rotated(by: 2 * quarter), 12 * width + 4),
                                 (DetectorView.rotated(by: -quarter), 11 * width + 12)] {
            var source = [Float](repeating: 0, count: 3 * width * height)
            let dot = SIMD2(11, 3)
            for plane in 0..<3 { source[plane * width * height + dot.y * width + dot.x] = 1 }
            let output = rendered(view, source, fill: 0)
            let brightest = output[0..<(width * height)].indices.max { output[$0] < output[$1] }!
            #expect(brightest == expected, "\(view): shown at (\(brightest % width), \(brightest / width))")
            let shown = SIMD2(Float(brightest % width) + 0.5, Float(brightest / width) + 0.5)
            let from = view.sourcePoint(shown, inputSize: SIMD2(Float(width), Float(height)))
            #expect(abs(from.x - 11.5) < 1e-4 && abs(from.y - 3.5) < 1e-4, "\(view): \(from)")
            #expect(abs(output[brightest] - 1) < 1e-4, "a quarter or half turn moves pixel centres onto pixel centres")
            #expect(output[width * height + brightest] == output[brightest], "every plane turns alike")
        }
    }

    @Test("the corners a turned view uncovers hold the padding value, and so does a turn that is no number")
    func uncoveredCornersArePadding() {
        let source = [Float](repeating: 0.5, count: 3 * width * height)
        let output = rendered(.rotated(by: Float.pi / 4), source, fill: -1)
        for plane in 0..<3 {
            let base = plane * width * height
            #expect(output[base] == -1 && output[base + width - 1] == -1 && output[base + (height - 1) * width] == -1)
            #expect(abs(output[base + (height / 2) * width + width / 2] - 0.5) < 1e-6, "the centre stays")
        }
        for rotation in [Float.nan, .infinity, -.infinity] {
            #expect(rendered(.rotated(by: rotation), source, fill: -1).allSatisfy { $0 == -1 },
                    "rotation \(rotation)")
        }
    }

    @Test("mapping back undoes the view: opposite turns cancel, the mirror reflects about the centre")
    func sourcePointInverts() {
        let size = SIMD2<Float>(128, 128)
        let tilt = 20 * Float.pi / 180
        for point in [SIMD2<Float>(10, 20), SIMD2(64, 64), SIMD2(127, 3)] {
            let there = DetectorView.rotated(by: tilt).sourcePoint(point, inputSize: size)
            let back = DetectorView.rotated(by: -tilt).sourcePoint(there, inputSize: size)
            #expect(abs(back.x - point.x) < 1e-3 && abs(back.y - point.y) < 1e-3)
            #expect(DetectorView.mirror.sourcePoint(point, inputSize: size) == SIMD2(128 - point.x, point.y))
        }
        #expect(DetectorView.upright.isUpright && !DetectorView.mirror.isUpright && !DetectorView.rotated(by: tilt).isUpright)
    }
}
