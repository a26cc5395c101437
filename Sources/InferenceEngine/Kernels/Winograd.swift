import InferenceGraph

/// Winograd's F(2×2, 3×3) for stride-1 3×3 convolutions over NHWC tensors: each 2×2 block of outputs ("tile") is
/// computed from the 4×4 block of inputs around it with 16 multiplies per input/output channel pair instead of 36.
/// The 16 multiplies of every tile are 16 independent matrix products — transformed inputs [tiles × C] times
/// transformed weights [C × K], one per position of the 4×4 transform domain — which run on the packed GEMM; the
/// transforms on either side are additions only, vectorised over channels (innermost in NHWC).
///
/// With d the 4×4 input block, g the 3×3 kernel and y the 2×2 outputs (Lavin & Gray, 2016):
/// y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A, with
/// Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1], Aᵀ = [1 1 1 0; 0 1 −1 −1].
enum WinogradKernels {
    /// Positions of the transform domain: a 4×4 block.
    static let positions = 16

    /// The transformed weights U = G g Gᵀ of one output/input channel pair, row-major 4×4, from the 3×3 kernel `g`
    /// (row-major). Computed in double precision once, when the model loads.
    static func transformedKernel(_ g: [Double]) -> [Double] {
        let G: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        var gGt = [Double](repeating: 0, count: 12)  // g Gᵀ: 3×4
        for row in 0..<3 {
            for column in 0..<4 {
                gGt[row * 4 + column] = (0..<3).reduce(0) { $0 + g[row * 3 + $1] * G[column][$1] }
            }
        }
        var u = [Double](repeating: 0, count: 16)
        for row in 0..<4 {
            for column in 0..<4 {
                u[row * 4 + column] = (0..<3).reduce(0) { $0 + G[row][$1] * gGt[$1 * 4 + column] }
            }
        }
        return u
    }

    /// Bᵀ d B for the tiles of rows `tileRows` (all `tilesX` columns each) of one image: position p of tile t (its
    /// index counted from the band's first tile row `firstTileRow`) is written at `transformed[p · positionStride +
    /// t · channels + channel]`. Input pixels outside the image read as zero (the convolution's padding).
    static func transformInput(input: UnsafePointer<Float>, channels: Int, geometry g: WindowGeometry, tilesX: Int,
                               tileRows: Range<Int>, firstTileRow: Int, transformed: UnsafeMutablePointer<Float>,
                               positionStride: Int) {
        let width = GEMMHalf.scalarCount
        let vectorChannels = channels / width * width
        for tileRow in tileRows {
            let y0 = tileRow * 2 - g.padTop
            for tileColumn in 0..<tilesX {
                let x0 = tileColumn * 2 - g.padLeft
                let destination = transformed + ((tileRow - firstTileRow) * tilesX + tileColumn) * channels
                @inline(__always) func pixel(_ row: Int, _ column: Int) -> UnsafePointer<Float>? {
                    let y = y0 + row, x = x0 + column
                    guard y >= 0, y < g.inputHeight, x >= 0, x < g.inputWidth else { return nil }
                    return input + (y * g.inputWidth + x) * channels
                }
                var channel = 0
                while channel < vectorChannels {
                    @inline(__always) func load(_ row: Int, _ column: Int) -> GEMMHalf {
                        guard let source = pixel(row, column) else { return .zero }
                        return UnsafeRawPointer(source + channel).loadUnaligned(as: GEMMHalf.self)
                    }
                    let v = transform { row in Quad(a: load(row, 0), b: load(row, 1), c: load(row, 2), d: load(row, 3)) }
                    let base = destination + channel
                    storeQuads(v) { position, value in
                        UnsafeMutableRawPointer(base + position * positionStride).storeBytes(of: value, as: GEMMHalf.self)
                    }
                    channel += width
                }
                while channel < channels {
                    @inline(__always) func load(_ row: Int, _ column: Int) -> Float { pixel(row, column)?[channel] ?? 0 }
                    let v = transform { row in Quad(a: load(row, 0), b: load(row, 1), c: load(row, 2), d: load(row, 3)) }
                    let base = destination + channel
                    storeQuads(v) { position, value in base[position * positionStride] = value }
                    channel += 1
                }
            }
        }
    }

    /// Bᵀ d B of one 4×4 block whose row r is `row(r)`; the result's row r is its field r (a, b, c, d).
    @inline(__always)
    static func transform<Value: WinogradArithmetic>(_ row: (Int) -> Quad<Value>) -> Quad<Quad<Value>> {
        // d B on each row, then Bᵀ across the rows
        let w0 = row(0).transformed, w1 = row(1).transformed, w2 = row(2).transformed, w3 = row(3).transformed
        return Quad(a: w0 - w2, b: w1 + w2, c: w2 - w1, d: w1 - w3)
    }

    /// Calls `write(position, value)` for the 16 values of a transformed block, row-major.
    @inline(__always)
    static func storeQuads<Value>(_ v: Quad<Quad<Value>>, _ write: (Int, Value) -> Void) {
        write(0, v.a.a); write(1, v.a.b); write(2, v.a.c); write(3, v.a.d)
        write(4, v.b.a); write(5, v.b.b); write(6, v.b.c); write(7, v.b.d)
        write(8, v.c.a); write(9, v.c.b); write(10, v.c.c); write(11, v.c.d)
        write(12, v.d.a); write(13, v.d.b); write(14, v.d.c); write(15, v.d.d)
    }

    /// Aᵀ m A for the tiles of `tileRows`, read from `products[p · positionStride + t · channels + channel]`, then
    /// bias, the residual (an NHWC tensor of the output's shape) and the activation; writes the outputs that lie
    /// inside the image.
    static func transformOutput(products: UnsafePointer<Float>, positionStride: Int, channels: Int,
                                geometry g: WindowGeometry, tilesX: Int, tileRows: Range<Int>, firstTileRow: Int,
                                bias: UnsafePointer<Float>, residual: UnsafePointer<Float>?, activation: Activation,
                                output: UnsafeMutablePointer<Float>) {
        let width = GEMMHalf.scalarCount
        let vectorChannels = channels / width * width
        for tileRow in tileRows {
            for tileColumn in 0..<tilesX {
                let source = products + ((tileRow - firstTileRow) * tilesX + tileColumn) * channels
                let y0 = tileRow * 2, x0 = tileColumn * 2
                let rows = min(2, g.outputHeight - y0), columns = min(2, g.outputWidth - x0)
                var channel = 0
                while channel < vectorChannels {
                    let base = source + channel
                    @inline(__always) func load(_ position: Int) -> GEMMHalf {
                        UnsafeRawPointer(base + position * positionStride).loadUnaligned(as: GEMMHalf.self)
                    }
                    let y = inverseTransform { row in Quad(a: load(row * 4), b: load(row * 4 + 1), c: load(row * 4 + 2),
                                                           d: load(row * 4 + 3)) }
                    let shift = UnsafeRawPointer(bias + channel).loadUnaligned(as: GEMMHalf.self)
                    for row in 0..<rows {
                        for column in 0..<columns {
                            let offset = ((y0 + row) * g.outputWidth + x0 + column) * channels + channel
                            var value = y[row * 2 + column] + shift
                            if let residual { value += UnsafeRawPointer(residual + offset).loadUnaligned(as: GEMMHalf.self) }
                            UnsafeMutableRawPointer(output + offset).storeBytes(of: activation.apply(value), as: GEMMHalf.self)
                        }
                    }
                    channel += width
                }
                while channel < channels {
                    let base = source + channel
                    let y = inverseTransform { row in Quad(a: base[row * 4 * positionStride], b: base[(row * 4 + 1) * positionStride],
                                                           c: base[(row * 4 + 2) * positionStride],
                                                           d: base[(row * 4 + 3) * positionStride]) }
                    for row in 0..<rows {
                        for column in 0..<columns {
                            let offset = ((y0 + row) * g.outputWidth + x0 + column) * channels + channel
                            var value = y[row * 2 + column] + bias[channel]
                            if let residual { value += residual[offset] }
                            output[offset] = activation.apply(value)
                        }
                    }
                    channel += 1
                }
            }
        }
    }

    /// Aᵀ m A of one 4×4 block whose row r is `row(r)`: the 2×2 outputs, row-major (y00, y01, y10, y11 as a, b, c, d).
    @inline(__always)
    static func inverseTransform<Value: WinogradArithmetic>(_ row: (Int) -> Quad<Value>) -> Quad<Value> {
        let m0 = row(0), m1 = row(1), m2 = row(2), m3 = row(3)
        let top = m0 + m1 + m2, bottom = m1 - m2 - m3  // Aᵀ m
        return Quad(a: top.a + top.b + top.c, b: top.b - top.c - top.d,
                    c: bottom.a + bottom.b + bottom.c, d: bottom.b - bottom.c - bottom.d)
    }
}

/// Four values: a row of a 4×4 block, or (of rows) the block itself.
struct Quad<Value> {
    var a: Value, b: Value, c: Value, d: Value

    /// The 2×2 outputs' value at index 0...3 (a, b, c, d).
    @inline(__always) subscript(_ index: Int) -> Value {
        switch index {
        case 0: a
        case 1: b
        case 2: c
        default: d
        }
    }
}

extension Quad: WinogradArithmetic where Value: WinogradArithmetic {
    static var zero: Quad { Quad(a: .zero, b: .zero, c: .zero, d: .zero) }
    @inline(__always) static func + (left: Quad, right: Quad) -> Quad {
        Quad(a: left.a + right.a, b: left.b + right.b, c: left.c + right.c, d: left.d + right.d)
    }
    @inline(__always) static func - (left: Quad, right: Quad) -> Quad {
        Quad(a: left.a - right.a, b: left.b - right.b, c: left.c - right.c, d: left.d - right.d)
    }
    /// (x0, x1, x2, x3) B: the row transform of the input side.
    @inline(__always) var transformed: Quad { Quad(a: a - c, b: b + c, c: c - b, d: b - d) }
}

/// What the transforms need of a value: a float or a vector of floats.
protocol WinogradArithmetic {
    static var zero: Self { get }
    static func + (left: Self, right: Self) -> Self
    static func - (left: Self, right: Self) -> Self
}

extension Float: WinogradArithmetic {}
extension SIMD8: WinogradArithmetic where Scalar == Float {}
extension SIMD16: WinogradArithmetic where Scalar == Float {}
