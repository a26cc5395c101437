import InferenceGraph
import Foundation

/// A pointwise function applied to a kernel's result while it is still in registers.
/// Convolutions and GEMMs fuse it into their epilogue; standalone activation nodes run it on a buffer.
///
/// The vector forms are written on the concrete `SIMD8<Float>` type on purpose: code generic over
/// `SIMD` uses the standard library's lane-by-lane protocol implementations, which do not vectorise.
enum Activation: Sendable, Equatable {
    case identity
    /// min(max(x, lower), upper): Relu is clip(0, +inf), Relu6 clip(0, 6).
    case clip(lower: Float, upper: Float)
    case leakyRelu(alpha: Float)
    case sigmoid
    /// max(0, min(1, alpha * x + beta)).
    case hardSigmoid(alpha: Float, beta: Float)
    /// x * max(0, min(1, x / 6 + 1 / 2)).
    case hardSwish
    case tanh

    @inline(__always)
    func apply(_ value: SIMD8<Float>) -> SIMD8<Float> {
        switch self {
        case .identity:
            return value
        case .clip(let lower, let upper):
            return SIMDMath.clamp(value, lower, upper)
        case .leakyRelu(let alpha):
            return SIMDMath.select(value, value * alpha, where: value .< SIMD8<Float>())
        case .sigmoid:
            return SIMDMath.sigmoid(value)
        case .hardSigmoid(let alpha, let beta):
            return SIMDMath.clamp(value * alpha + beta, 0, 1)
        case .hardSwish:
            return value * SIMDMath.clamp(value * (1 / 6) + 0.5, 0, 1)
        case .tanh:
            return SIMDMath.sigmoid(value * 2) * 2 - 1   // tanh(x) = 2 sigmoid(2x) - 1
        }
    }

    @inline(__always)
    func apply(_ value: SIMD16<Float>) -> SIMD16<Float> {
        if case .identity = self { return value }
        return SIMD16(lowHalf: apply(value.lowHalf), highHalf: apply(value.highHalf))
    }

    /// Scalar form for remainders.
    @inline(__always)
    func apply(_ value: Float) -> Float {
        switch self {
        case .identity: return value
        case .clip(let lower, let upper): return Swift.min(Swift.max(value, lower), upper)
        case .leakyRelu(let alpha): return value < 0 ? value * alpha : value
        case .sigmoid: return 1 / (1 + Foundation.exp(-value))
        case .hardSigmoid(let alpha, let beta): return Swift.min(Swift.max(value * alpha + beta, 0), 1)
        case .hardSwish: return value * Swift.min(Swift.max(value / 6 + 0.5, 0), 1)
        case .tanh: return Foundation.tanh(value)
        }
    }

    /// Applies the activation in place to `count` contiguous floats. Clip runs as a plain scalar
    /// loop, which LLVM turns into vmaxps/vminps; the others use the SIMD8 forms.
    func apply(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .identity:
            return
        case .clip(let lower, let upper):
            for index in 0..<count { buffer[index] = clampScalar(buffer[index], lower, upper) }
            return
        default:
            break
        }
        var index = 0
        while index + 8 <= count {
            let pointer = UnsafeMutableRawPointer(buffer + index)
            pointer.storeBytes(of: apply(pointer.loadUnaligned(as: SIMD8<Float>.self)), as: SIMD8<Float>.self)
            index += 8
        }
        while index < count {
            buffer[index] = apply(buffer[index])
            index += 1
        }
    }
}

/// Clamp written as two compares-and-selects, the form LLVM vectorises to vmaxps/vminps
/// (`Swift.max`'s NaN handling blocks that).
@inline(__always)
func clampScalar(_ value: Float, _ lower: Float, _ upper: Float) -> Float {
    let raised = value < lower ? lower : value
    return raised > upper ? upper : raised
}

/// Finishes `count` contiguous results in place: adds a bias vector and a residual when given,
/// then applies the activation. Written as plain loops so LLVM vectorises them.
@inline(__always)
func finishResults(_ destination: UnsafeMutablePointer<Float>, count: Int, bias: UnsafePointer<Float>?,
                   residual: UnsafePointer<Float>?, activation: Activation) {
    var lower = -Float.infinity, upper = Float.infinity
    var other = false
    switch activation {
    case .identity: break
    case .clip(let low, let high): lower = low; upper = high
    default: other = true
    }
    switch (bias, residual) {
    case (let bias?, let residual?):
        for index in 0..<count {
            destination[index] = clampScalar(destination[index] + bias[index] + residual[index], lower, upper)
        }
    case (let bias?, nil):
        for index in 0..<count { destination[index] = clampScalar(destination[index] + bias[index], lower, upper) }
    case (nil, let residual?):
        for index in 0..<count { destination[index] = clampScalar(destination[index] + residual[index], lower, upper) }
    case (nil, nil):
        for index in 0..<count { destination[index] = clampScalar(destination[index], lower, upper) }
    }
    if other { activation.apply(destination, count: count) }
}

/// Vector helpers on concrete AVX2-sized vectors (compare + blend, polynomial exp).
enum SIMDMath {
    /// Lanes of `b` where `mask` is set, of `a` elsewhere.
    @inline(__always)
    static func select(_ a: SIMD8<Float>, _ b: SIMD8<Float>, where mask: SIMDMask<SIMD8<Int32>>) -> SIMD8<Float> {
        a.replacing(with: b, where: mask)   // on the concrete type this lowers to one blend (or vmaxps/vminps)
    }

    @inline(__always)
    static func maximum(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { select(a, b, where: b .> a) }

    @inline(__always)
    static func minimum(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { select(a, b, where: b .< a) }

    @inline(__always)
    static func clamp(_ value: SIMD16<Float>, _ lower: Float, _ upper: Float) -> SIMD16<Float> {
        let low = SIMD16<Float>(repeating: lower), high = SIMD16<Float>(repeating: upper)
        let raised = value.replacing(with: low, where: value .< low)
        return raised.replacing(with: high, where: raised .> high)
    }

    @inline(__always)
    static func clamp(_ value: SIMD8<Float>, _ lower: Float, _ upper: Float) -> SIMD8<Float> {
        minimum(maximum(value, SIMD8(repeating: lower)), SIMD8(repeating: upper))
    }

    /// exp(x) per lane: Cody-Waite range reduction and a degree-6 polynomial, relative error ~2e-7.
    @inline(__always)
    static func exp(_ input: SIMD8<Float>) -> SIMD8<Float> {
        let x = clamp(input, -87.3, 88.3)
        let scaled = x * 1.442695040888963
        // Round to nearest by the 1.5 * 2^23 trick; the low mantissa bits then hold n.
        let magic = SIMD8<Float>(repeating: 12582912)
        let biased = scaled + magic
        let n = biased - magic
        let r = x - n * 0.693359375 + n * 2.12194440e-4
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * r * r + r + 1
        let exponent = (unsafeBitCast(biased, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        return p * unsafeBitCast(exponent, to: SIMD8<Float>.self)
    }

    @inline(__always)
    static func sigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> { 1 / (1 + exp(-x)) }
}
