import CMallocCounter
import FaceModel
import FaceTracking
import Foundation
import Testing
import VideoIngest

/// `FaceMotionEstimator` on frames drawn from a known texture moved by a known similarity: it recovers the motion,
/// ignores a change of exposure, refuses what it cannot align, and allocates nothing once made.
@Suite("face motion estimator")
struct FaceMotionEstimatorTests {
    /// A smooth, face-sized pattern (blobs of colour and two gratings) drawn at continuous image coordinates.
    static func texture(_ point: SIMD2<Float>) -> SIMD3<Float> {
        let blobs: [(SIMD2<Float>, Float, SIMD3<Float>)] = [
            (SIMD2(150, 110), 18, SIMD3(120, 40, 20)), (SIMD2(185, 105), 14, SIMD3(-60, 80, 30)),
            (SIMD2(165, 150), 22, SIMD3(70, 60, -40)), (SIMD2(130, 140), 10, SIMD3(-50, -30, 90)),
            (SIMD2(200, 140), 16, SIMD3(40, -70, 60)),
        ]
        var colour = SIMD3<Float>(110, 100, 95) + 25 * sinf(point.x / 9 + point.y / 23) + 18 * cosf(point.y / 7 - point.x / 31)
        for (centre, radius, tint) in blobs {
            let offset = point - centre
            colour += tint * expf(-(offset * offset).sum() / (2 * radius * radius))
        }
        return colour
    }

    /// The texture as a 320 × 240 frame, its content moved by `motion` (a point p of the texture is drawn at
    /// motion(p)), with `gain` and `offset` on the brightness.
    static func frame(moved motion: ImageMotion = .none, gain: Float = 1, offset: Float = 0, index: Int = 0) -> VideoFrame {
        let width = 320, height = 240, bytesPerRow = width * 3 + 5
        var pixels = [UInt8](repeating: 0, count: bytesPerRow * height)
        let cosine = cosf(-motion.angle), sine = sinf(-motion.angle)
        for y in 0..<height {
            for x in 0..<width {
                // Invert the motion: the texture point drawn at this pixel's centre.
                let shifted = SIMD2(Float(x) + 0.5, Float(y) + 0.5) - motion.translation - motion.centre
                let point = motion.centre + SIMD2(cosine * shifted.x - sine * shifted.y, sine * shifted.x + cosine * shifted.y) / motion.scale
                let colour = texture(point) * gain + offset
                for channel in 0..<3 {
                    pixels[y * bytesPerRow + 3 * x + channel] = UInt8(max(0, min(255, colour[channel].rounded())))
                }
            }
        }
        return VideoFrame(index: index, presentationTime: Double(index) / 30, captureTime: 0, width: width, height: height,
                          layout: .rgb24, bytesPerRow: bytesPerRow, pixels: pixels)
    }

    static let faceCentre = SIMD2<Float>(165, 125), faceSide: Float = 110

    @Test("a shift, a zoom and a turn of the picture are measured to a tenth of a pixel",
          arguments: [ImageMotion(centre: faceCentre, translation: SIMD2(3.2, -1.7)),
                      ImageMotion(centre: faceCentre, scale: 1.04, angle: 0.03, translation: SIMD2(-2.5, 1.0)),
                      ImageMotion(centre: SIMD2(100, 60), scale: 0.97, angle: -0.05, translation: SIMD2(6, 4))])
    func recoversAKnownMotion(truth: ImageMotion) throws {
        var estimator = FaceMotionEstimator()
        estimator.remember(Self.frame(), centre: Self.faceCentre, side: Self.faceSide)
        let answer = estimator.measure(Self.frame(moved: truth, index: 1))
        let measured = try #require(answer)
        // Compared where it matters: the corners and centre of the face's square.
        for corner in [SIMD2<Float>(-0.5, -0.5), SIMD2(0.5, -0.5), SIMD2(-0.5, 0.5), SIMD2(0.5, 0.5), .zero] {
            let point = Self.faceCentre + corner * Self.faceSide
            let error = measured.apply(point) - truth.apply(point)
            #expect((error * error).sum().squareRoot() < 0.1, "at \(point): \(measured.apply(point)) vs \(truth.apply(point))")
        }
    }

    @Test("a turn beyond 0.3 rad is refused, though the alignment finds it (it fails without the limit)",
          arguments: [ImageMotion(centre: faceCentre, angle: 0.34), ImageMotion(centre: faceCentre, angle: -0.34)])
    func refusesMotionsBeyondTheLimits(truth: ImageMotion) {
        var estimator = FaceMotionEstimator()
        estimator.remember(Self.frame(), centre: Self.faceCentre, side: Self.faceSide)
        let answer = estimator.measure(Self.frame(moved: truth, index: 1))
        #expect(answer == nil, "\(String(describing: answer))")
    }

    @Test("a change of exposure alone is no motion")
    func exposureIsNoMotion() throws {
        var estimator = FaceMotionEstimator()
        estimator.remember(Self.frame(), centre: Self.faceCentre, side: Self.faceSide)
        let answer = estimator.measure(Self.frame(gain: 0.8, offset: 12, index: 1))
        let measured = try #require(answer)
        #expect(abs(measured.scale - 1) < 0.002 && abs(measured.angle) < 0.002)
        #expect((measured.translation * measured.translation).sum().squareRoot() < 0.1, "\(measured.translation)")
    }

    @Test("nothing is measured without a remembered frame, on a flat picture, or for a square that is not finite")
    func refusesWhatItCannotAlign() {
        var estimator = FaceMotionEstimator()
        let unremembered = estimator.measure(Self.frame())
        #expect(unremembered == nil, "nothing remembered")
        let flat = VideoFrame(index: 0, presentationTime: 0, captureTime: 0, width: 64, height: 48, layout: .rgb24,
                              bytesPerRow: 192, pixels: [UInt8](repeating: 90, count: 192 * 48))
        estimator.remember(flat, centre: SIMD2(32, 24), side: 40)
        let onFlat = estimator.measure(flat)
        #expect(!estimator.hasTemplate && onFlat == nil, "a flat patch")
        for (centre, side) in [(SIMD2<Float>(.nan, 10), Float(50)), (SIMD2(10, 10), .infinity), (SIMD2(10, 10), 4)] {
            estimator.remember(Self.frame(), centre: centre, side: side)
            #expect(!estimator.hasTemplate, "centre \(centre), side \(side)")
        }
        estimator.remember(Self.frame(), centre: Self.faceCentre, side: Self.faceSide)
        #expect(estimator.hasTemplate)
        estimator.reset()
        let forgotten = estimator.measure(Self.frame())
        #expect(forgotten == nil, "forgotten")
    }

    @Test("squares far outside or over the edges, and frames of one or two pixels, give no trap and no false motion")
    func squaresOutsideTheFrameAndTinyFrames() {
        var estimator = FaceMotionEstimator()
        estimator.remember(Self.frame(), centre: SIMD2(-1e6, 3e7), side: 1e5)
        #expect(!estimator.hasTemplate, "every sample clamps to one corner pixel: a flat patch")
        estimator.remember(Self.frame(), centre: SIMD2(310, 5), side: 120)  // hangs over two edges
        #expect(estimator.hasTemplate)
        let over = estimator.measure(Self.frame(moved: ImageMotion(centre: .zero, translation: SIMD2(2, 1)), index: 1))
        #expect(over.map { $0.isFinite && abs($0.angle) <= FaceMotionEstimator.maximumTurn } ?? true)
        for side in [1, 2] {
            let tiny = VideoFrame(index: 0, presentationTime: 0, captureTime: 0, width: side, height: side, layout: .rgb24,
                                  bytesPerRow: 3 * side + 1, pixels: (0..<(3 * side + 1) * side).map { UInt8($0 * 37 % 256) })
            estimator.remember(tiny, centre: SIMD2(1, 1), side: 40)
            let answer = estimator.measure(tiny)
            #expect(answer == nil || answer!.isFinite, "\(side) x \(side)")
        }
        estimator.remember(Self.frame(), centre: Self.faceCentre, side: Self.faceSide)
        let onTiny = estimator.measure(VideoFrame(index: 1, presentationTime: 0, captureTime: 0, width: 1, height: 1, layout: .rgb24,
                                                  bytesPerRow: 3, pixels: [9, 9, 9]))
        #expect(onTiny == nil, "a one-pixel frame has nothing to align on")
    }

    @Test("measuring and remembering allocate nothing once the estimator is made")
    func allocatesNothing() {
        var estimator = FaceMotionEstimator()
        let first = Self.frame(), second = Self.frame(moved: ImageMotion(centre: Self.faceCentre, translation: SIMD2(1, 1)), index: 1)
        estimator.remember(first, centre: Self.faceCentre, side: Self.faceSide)
        var measured = 0
        let before = cmalloccounter_thread_allocations()
        for _ in 0..<3 {
            if estimator.measure(second) != nil { measured += 1 }
            estimator.remember(first, centre: Self.faceCentre, side: Self.faceSide)
        }
        #expect(cmalloccounter_thread_allocations() - before == 0)
        #expect(measured == 3)
    }
}
