#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A square region of a frame to cut out for the regressor: centre and side in image pixels, and an
/// in-plane rotation (radians, image x towards image y) for crops aligned with a tilted head.
public struct CropRegion: Sendable, Equatable {
    /// Centre in image pixels.
    public var centre: SIMD2<Float>
    /// Side in image pixels.
    public var side: Float
    /// Rotation of the crop's x axis from the image's, in radians (x towards y, i.e. clockwise on screen).
    public var rotation: Float

    /// A region from its parts.
    public init(centre: SIMD2<Float>, side: Float, rotation: Float = 0) {
        self.centre = centre
        self.side = side
        self.rotation = rotation
    }

    /// The axis-aligned box of an upright region.
    public var box: BoundingBox {
        BoundingBox(minimum: centre - side / 2, maximum: centre + side / 2)
    }

    /// The transform of this region onto a crop of `size × size` pixels.
    public func transform(cropSize size: Int) -> CropTransform {
        let step = side / Float(size)
        let axisX = step * SIMD2(cosf(rotation), sinf(rotation))
        let axisY = SIMD2(-axisX.y, axisX.x)
        let half = Float(size) / 2
        return CropTransform(origin: centre - half * axisX - half * axisY, axisX: axisX, axisY: axisY)
    }
}

/// The affine map between crop and image coordinates: the crop point (u, v) (continuous, pixel u covering
/// [u, u + 1)) lies at image point `origin + u · axisX + v · axisY`. What the regressor says in crop
/// coordinates goes back to the image through it.
public struct CropTransform: Sendable, Equatable {
    /// Image point of the crop's top-left corner.
    public var origin: SIMD2<Float>
    /// Image displacement of one crop pixel to the right.
    public var axisX: SIMD2<Float>
    /// Image displacement of one crop pixel down.
    public var axisY: SIMD2<Float>

    /// A transform from its parts.
    public init(origin: SIMD2<Float>, axisX: SIMD2<Float>, axisY: SIMD2<Float>) {
        self.origin = origin
        self.axisX = axisX
        self.axisY = axisY
    }

    /// Image point of a crop point.
    public func imagePoint(crop point: SIMD2<Float>) -> SIMD2<Float> {
        origin + point.x * axisX + point.y * axisY
    }

    /// The transform whose crop is this one's mirror image (left and right swapped) for crops `side` pixels wide:
    /// crop pixel u of the mirrored crop samples where pixel side − 1 − u of this one does.
    public func mirrored(side: Int) -> CropTransform {
        CropTransform(origin: origin + Float(side) * axisX, axisX: -axisX, axisY: axisY)
    }

    /// Crop point of an image point.
    public func cropPoint(image point: SIMD2<Float>) -> SIMD2<Float> {
        let determinant = axisX.x * axisY.y - axisX.y * axisY.x
        let relative = point - origin
        return SIMD2(relative.x * axisY.y - relative.y * axisY.x, axisX.x * relative.y - axisX.y * relative.x) / determinant
    }
}
