import VideoIngest

/// Cuts a network's input straight out of a decoded frame: an affine warp (`CropTransform`) with bilinear
/// sampling at pixel centres, parts outside the frame black, normalised and written planar (NCHW) into the
/// caller's buffer (the network's input tensor). Allocates nothing.
public struct FaceCropper: Sendable {
    /// Crop side in pixels (the crop is `size × size`).
    public let size: Int
    /// How pixel values are normalised.
    public let normalisation: PixelNormalisation

    /// A cropper writing `size × size` crops normalised by `normalisation`.
    public init(size: Int, normalisation: PixelNormalisation) {
        self.size = size
        self.normalisation = normalisation
    }

    /// Floats one crop takes (3 × size × size).
    public var elementCount: Int { 3 * size * size }

    /// The transform of `region` onto this cropper's crop size.
    public func transform(for region: CropRegion) -> CropTransform {
        region.transform(cropSize: size)
    }

    /// Writes the crop of `frame` under `transform` into `destination` (at least `elementCount` floats).
    public func crop(_ frame: VideoFrame, transform: CropTransform, into destination: UnsafeMutableBufferPointer<Float>) {
        precondition(destination.count >= elementCount, "crop destination holds \(destination.count) floats, \(elementCount) needed")
        let size = size, plane = size * size
        let multiplier = normalisation.scale / normalisation.standardDeviation
        let shift = -normalisation.mean / normalisation.standardDeviation
        let width = frame.width, height = frame.height, stride = frame.bytesPerRow
        frame.pixels.withUnsafeBufferPointer { pixels in
            guard let base = pixels.baseAddress else { return }
            @inline(__always) func pixel(_ pointer: UnsafePointer<UInt8>) -> SIMD3<Float> {
                SIMD3(Float(pointer[0]), Float(pointer[1]), Float(pointer[2]))
            }
            @inline(__always) func pixel(_ x: Int, _ y: Int) -> SIMD3<Float> {
                guard x >= 0, y >= 0, x < width, y < height else { return .zero }
                return pixel(base + y * stride + x * 3)
            }
            for v in 0..<size {
                // Image index coordinates (pixel centres at integers) of the centre of crop pixel (0, v).
                var point = transform.origin + 0.5 * transform.axisX + (Float(v) + 0.5) * transform.axisY - 0.5
                for u in 0..<size {
                    let lower = point.rounded(.down)
                    let fraction = point - lower
                    var value = SIMD3<Float>.zero
                    // Compared as floats before any conversion: a region framed on a diverged regressor's
                    // landmarks, or by a hostile sidecar, can put this point at ±1e30, infinity or NaN, which
                    // Int() traps on. Such taps (NaN fails every comparison) are outside the frame: black.
                    guard lower.x >= -1, lower.y >= -1, lower.x < Float(width), lower.y < Float(height) else {
                        let out = v * size + u
                        let normalised = shift
                        destination[out] = normalised.x
                        destination[plane + out] = normalised.y
                        destination[2 * plane + out] = normalised.z
                        point += transform.axisX
                        continue
                    }
                    let x = Int(lower.x), y = Int(lower.y)
                    if x >= 0, y >= 0, x + 1 < width, y + 1 < height {
                        // All four taps inside the frame: no per-tap checks.
                        let upper = base + y * stride + x * 3, under = upper + stride
                        let top = pixel(upper) * (1 - fraction.x) + pixel(upper + 3) * fraction.x
                        let bottom = pixel(under) * (1 - fraction.x) + pixel(under + 3) * fraction.x
                        value = top * (1 - fraction.y) + bottom * fraction.y
                    } else if x >= -1, y >= -1, x < width, y < height {
                        let top = pixel(x, y) * (1 - fraction.x) + pixel(x + 1, y) * fraction.x
                        let bottom = pixel(x, y + 1) * (1 - fraction.x) + pixel(x + 1, y + 1) * fraction.x
                        value = top * (1 - fraction.y) + bottom * fraction.y
                    }
                    let normalised = value * multiplier + shift
                    let out = v * size + u
                    destination[out] = normalised.x
                    destination[plane + out] = normalised.y
                    destination[2 * plane + out] = normalised.z
                    point += transform.axisX
                }
            }
        }
    }

    /// Writes the crop into an array of `elementCount` floats (made once by the caller, reused per frame).
    public func crop(_ frame: VideoFrame, transform: CropTransform, into destination: inout [Float]) {
        destination.withUnsafeMutableBufferPointer { crop(frame, transform: transform, into: $0) }
    }
}
