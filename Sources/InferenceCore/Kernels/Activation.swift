/// A pointwise function applied to a kernel's result while it is still in registers.
/// Convolutions and GEMMs fuse it into their epilogue; standalone activation nodes run it on a buffer.
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
    func apply<V: SIMD>(_ value: V) -> V where V.Scalar == Float {
        switch self {
        case .identity:
            return value
        case .clip(let lower, let upper):
            return value.clamped(lowerBound: V(repeating: lower), upperBound: V(repeating: upper))
        case .leakyRelu(let alpha):
            return value.replacing(with: value * alpha, where: value .< 0)
        case .sigmoid:
            return vectorSigmoid(value)
        case .hardSigmoid(let alpha, let beta):
            return (value * alpha + beta).clamped(lowerBound: V(repeating: 0), upperBound: V(repeating: 1))
        case .hardSwish:
            let gate = (value * (1 / 6) + 0.5).clamped(lowerBound: V(repeating: 0), upperBound: V(repeating: 1))
            return value * gate
        case .tanh:
            // tanh(x) = 2 sigmoid(2x) - 1
            return vectorSigmoid(value * 2) * 2 - 1
        }
    }

    /// Scalar form for remainders.
    @inline(__always)
    func apply(_ value: Float) -> Float {
        apply(SIMD2<Float>(repeating: value))[0]
    }

    /// Applies the activation in place to `count` contiguous floats.
    func apply(_ buffer: UnsafeMutablePointer<Float>, count: Int) {
        if self == .identity { return }
        var index = 0
        while index + 16 <= count {
            let pointer = UnsafeMutableRawPointer(buffer + index)
            pointer.storeBytes(of: apply(pointer.loadUnaligned(as: SIMD16<Float>.self)), as: SIMD16<Float>.self)
            index += 16
        }
        while index < count {
            buffer[index] = apply(buffer[index])
            index += 1
        }
    }
}

/// exp(x) for every lane: Cody-Waite range reduction and a degree-6 polynomial, relative error ~2e-7.
@inline(__always)
func vectorExp<V: SIMD>(_ input: V) -> V where V.Scalar == Float {
    let x = input.clamped(lowerBound: V(repeating: -87.3), upperBound: V(repeating: 88.3))
    let n = (x * 1.442695040888963).rounded(.toNearestOrEven)
    let r = x - n * 0.693359375 + n * 2.12194440e-4
    var p = V(repeating: 1.9875691500e-4)
    p = p * r + 1.3981999507e-3
    p = p * r + 8.3334519073e-3
    p = p * r + 4.1665795894e-2
    p = p * r + 1.6666665459e-1
    p = p * r + 5.0000001201e-1
    p = p * r * r + r + 1
    var scale = V()
    for lane in 0..<V.scalarCount {
        scale[lane] = Float(bitPattern: UInt32(truncatingIfNeeded: Int32(n[lane]) &+ 127) << 23)
    }
    return p * scale
}

@inline(__always)
func vectorSigmoid<V: SIMD>(_ x: V) -> V where V.Scalar == Float {
    1 / (1 + vectorExp(-x))
}
