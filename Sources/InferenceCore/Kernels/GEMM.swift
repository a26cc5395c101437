
/// The right-hand matrix of a GEMM, packed at load time into panels of 16 columns so the
/// micro-kernel reads it sequentially: panel p holds rows 0..<k of columns 16p..<16p+16,
/// zero-padded past `columns`.
struct PackedMatrix: Sendable {
    static let panelWidth = 16
    let rows: Int
    let columns: Int
    let panels: [Float]

    /// Packs `columns` columns of a `rows` x `columns` matrix read through `element(row, column)`.
    init(rows: Int, columns: Int, element: (Int, Int) -> Float) {
        self.rows = rows
        self.columns = columns
        let panelCount = (columns + Self.panelWidth - 1) / Self.panelWidth
        var data = [Float](repeating: 0, count: panelCount * rows * Self.panelWidth)
        for panel in 0..<panelCount {
            for row in 0..<rows {
                for lane in 0..<Self.panelWidth {
                    let column = panel * Self.panelWidth + lane
                    if column < columns {
                        data[(panel * rows + row) * Self.panelWidth + lane] = element(row, column)
                    }
                }
            }
        }
        self.panels = data
    }
}

/// What happens to each result of a GEMM before it is stored: per-column bias, an optional
/// residual tensor added element-wise, then an activation.
struct GEMMEpilogue {
    /// Bias per output column, padded with zeros to a multiple of 16.
    var bias: UnsafePointer<Float>
    var residual: UnsafePointer<Float>?
    var residualStride: Int
    var activation: Activation
}

/// C = epilogue(A × B): A is row-major with leading dimension `lda`, B packed, C row-major with `ldc`.
/// A register-blocked 6×16 micro-kernel (12 AVX2 accumulators) does the work.
enum GEMM {
    typealias Vector = SIMD16<Float>
    static let blockRows = 6

    static func multiply(rows m: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, packed: PackedMatrix,
                         c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: GEMMEpilogue, threads: Int) {
        let panelCount = (packed.columns + 15) / 16
        let rowBlocks = (m + blockRows - 1) / blockRows
        let work = m * packed.rows * packed.columns
        if threads > 1 && work >= 1 << 18 {
            if rowBlocks >= threads * 2 {
                let perThread = (rowBlocks + threads - 1) / threads
                concurrentlyPerform(threads) { part in
                    let first = part * perThread, last = min(rowBlocks, first + perThread)
                    if first < last {
                        run(rowBlocks: first..<last, panels: 0..<panelCount, m: m, a: a, lda: lda, b: b, packed: packed, c: c, ldc: ldc, epilogue: epilogue)
                    }
                }
            } else {
                let perThread = (panelCount + threads - 1) / threads
                concurrentlyPerform(threads) { part in
                    let first = part * perThread, last = min(panelCount, first + perThread)
                    if first < last {
                        run(rowBlocks: 0..<rowBlocks, panels: first..<last, m: m, a: a, lda: lda, b: b, packed: packed, c: c, ldc: ldc, epilogue: epilogue)
                    }
                }
            }
        } else {
            run(rowBlocks: 0..<rowBlocks, panels: 0..<panelCount, m: m, a: a, lda: lda, b: b, packed: packed, c: c, ldc: ldc, epilogue: epilogue)
        }
    }

    private static func run(rowBlocks: Range<Int>, panels: Range<Int>, m: Int, a: UnsafePointer<Float>, lda: Int,
                            b: UnsafePointer<Float>, packed: PackedMatrix, c: UnsafeMutablePointer<Float>, ldc: Int,
                            epilogue: GEMMEpilogue) {
        let k = packed.rows
        for panel in panels {
            let panelPointer = b + panel * k * 16
            let column = panel * 16
            let width = min(16, packed.columns - column)
            let bias = UnsafeRawPointer(epilogue.bias + column).loadUnaligned(as: Vector.self)
            for block in rowBlocks {
                let row = block * blockRows
                if row + blockRows <= m {
                    let a0 = a + row * lda
                    var c0 = bias, c1 = bias, c2 = bias, c3 = bias, c4 = bias, c5 = bias
                    var index = 0
                    while index < k {
                        let bv = UnsafeRawPointer(panelPointer + index * 16).loadUnaligned(as: Vector.self)
                        c0 = c0.addingProduct(Vector(repeating: a0[index]), bv)
                        c1 = c1.addingProduct(Vector(repeating: a0[lda + index]), bv)
                        c2 = c2.addingProduct(Vector(repeating: a0[2 * lda + index]), bv)
                        c3 = c3.addingProduct(Vector(repeating: a0[3 * lda + index]), bv)
                        c4 = c4.addingProduct(Vector(repeating: a0[4 * lda + index]), bv)
                        c5 = c5.addingProduct(Vector(repeating: a0[5 * lda + index]), bv)
                        index += 1
                    }
                    store(c0, row: row, column: column, width: width, c: c, ldc: ldc, epilogue: epilogue)
                    store(c1, row: row + 1, column: column, width: width, c: c, ldc: ldc, epilogue: epilogue)
                    store(c2, row: row + 2, column: column, width: width, c: c, ldc: ldc, epilogue: epilogue)
                    store(c3, row: row + 3, column: column, width: width, c: c, ldc: ldc, epilogue: epilogue)
                    store(c4, row: row + 4, column: column, width: width, c: c, ldc: ldc, epilogue: epilogue)
                    store(c5, row: row + 5, column: column, width: width, c: c, ldc: ldc, epilogue: epilogue)
                } else {
                    for single in row..<m {
                        let a0 = a + single * lda
                        var c0 = bias
                        for index in 0..<k {
                            let bv = UnsafeRawPointer(panelPointer + index * 16).loadUnaligned(as: Vector.self)
                            c0 = c0.addingProduct(Vector(repeating: a0[index]), bv)
                        }
                        store(c0, row: single, column: column, width: width, c: c, ldc: ldc, epilogue: epilogue)
                    }
                }
            }
        }
    }

    @inline(__always)
    private static func store(_ value: Vector, row: Int, column: Int, width: Int, c: UnsafeMutablePointer<Float>,
                              ldc: Int, epilogue: GEMMEpilogue) {
        var result = value
        let destination = c + row * ldc + column
        if width == 16 {
            if let residual = epilogue.residual {
                result += UnsafeRawPointer(residual + row * epilogue.residualStride + column).loadUnaligned(as: Vector.self)
            }
            UnsafeMutableRawPointer(destination).storeBytes(of: epilogue.activation.apply(result), as: Vector.self)
        } else {
            if let residual = epilogue.residual {
                let source = residual + row * epilogue.residualStride + column
                for lane in 0..<width { result[lane] += source[lane] }
            }
            result = epilogue.activation.apply(result)
            for lane in 0..<width { destination[lane] = result[lane] }
        }
    }
}
