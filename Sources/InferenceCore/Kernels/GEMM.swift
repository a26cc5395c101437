
/// The right-hand matrix of a GEMM, packed at load time into panels of `panelWidth` columns (16;
/// 32 in the AVX-512 build) so the micro-kernel reads it sequentially: panel p holds rows 0..<k of
/// columns p·w ..< (p+1)·w, zero-padded past `columns`.
struct PackedMatrix: Sendable {
    #if INFERENCECORE_AVX512
    static let panelWidth = 32
    #else
    static let panelWidth = 16
    #endif

    /// `count` rounded up to a whole number of panels (bias padding).
    static func roundedToPanel(_ count: Int) -> Int { (count + panelWidth - 1) / panelWidth * panelWidth }
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
    /// Bias per output column, padded with zeros to a whole panel.
    var bias: UnsafePointer<Float>
    var residual: UnsafePointer<Float>?
    var residualStride: Int
    var activation: Activation
}

#if INFERENCECORE_AVX512
/// Half of a GEMM panel row: one zmm register.
typealias GEMMHalf = SIMD16<Float>
#else
/// Half of a GEMM panel row: one ymm register.
typealias GEMMHalf = SIMD8<Float>
#endif

/// Bias, residual and clip bounds applied by the micro-kernel before its only store.
struct RegisterEpilogue {
    let bias: UnsafePointer<Float>
    let residual: UnsafePointer<Float>?
    let residualStride: Int
    let lower: Float
    let upper: Float
}

/// C = epilogue(A × B): A is row-major with leading dimension `lda`, B packed, C row-major with `ldc`.
/// A register-blocked 6×16 micro-kernel (12 AVX2 accumulators; 6×32 in zmm registers in the
/// AVX-512 build) does the work.
enum GEMM {
    static let blockRows = 6

    static func multiply(rows m: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, packed: PackedMatrix,
                         c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: GEMMEpilogue, threads: Int) {
        let panel = PackedMatrix.panelWidth
        let panelCount = (packed.columns + panel - 1) / panel
        let rowBlocks = (m + blockRows - 1) / blockRows
        let work = m * packed.rows * packed.columns
        if threads > 1 && work >= 1 << 21 {   // ~20 µs of work: below that a dispatch costs more than it saves
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
        let panelSize = PackedMatrix.panelWidth
        var clipBounds: (lower: Float, upper: Float)?
        switch epilogue.activation {
        case .identity: clipBounds = (-.infinity, .infinity)
        case .clip(let lower, let upper): clipBounds = (lower, upper)
        default: clipBounds = nil
        }
        // Small B (early layers: few channels, many pixels) stays in L1 while row blocks stream past;
        // large B (late layers) is read once, panel by panel, while A stays in L2.
        let rowsOuter = k * packed.columns <= 8192
        if rowsOuter {
            for block in rowBlocks {
                for panel in panels { computeBlock(block, panel) }
            }
        } else {
            for panel in panels {
                for block in rowBlocks { computeBlock(block, panel) }
            }
        }

        @inline(__always)
        func computeBlock(_ block: Int, _ panel: Int) {
            let panelPointer = b + panel * k * panelSize
            let column = panel * panelSize
            let width = min(panelSize, packed.columns - column)
            let row = block * blockRows
            let rows = min(blockRows, m - row)
            if rows == blockRows && width == panelSize, let bounds = clipBounds {
                // Whole block: bias, residual and clip applied in registers, stored once.
                let fused = RegisterEpilogue(bias: epilogue.bias + column,
                                             residual: epilogue.residual.map { $0 + row * epilogue.residualStride + column },
                                             residualStride: epilogue.residualStride, lower: bounds.lower, upper: bounds.upper)
                microKernel(k: k, a: a + row * lda, lda: lda, rows: rows, b: panelPointer, c: c + row * ldc + column,
                            ldc: ldc, epilogue: fused)
                return
            } else if rows == blockRows && width == panelSize {
                // Raw products straight into C, then the epilogue over the (L1-hot) block.
                microKernel(k: k, a: a + row * lda, lda: lda, rows: rows, b: panelPointer, c: c + row * ldc + column, ldc: ldc,
                            epilogue: nil)
            } else if rows == blockRows && width == 8 && panelSize == 16 {
                halfKernel(k: k, a: a + row * lda, lda: lda, b: panelPointer, c: c + row * ldc + column, ldc: ldc)
            } else {
                // Partial block: compute into a 6×panel tile on the stack, copy out the live part.
                withUnsafeTemporaryAllocation(of: Float.self, capacity: blockRows * panelSize) { tile in
                    let tilePointer = tile.baseAddress!
                    microKernel(k: k, a: a + row * lda, lda: lda, rows: rows, b: panelPointer, c: tilePointer, ldc: panelSize,
                                epilogue: nil)
                    for line in 0..<rows {
                        (c + (row + line) * ldc + column).update(from: tilePointer + line * panelSize, count: width)
                    }
                }
            }
            for line in row..<(row + rows) {
                finish(row: line, column: column, width: width, c: c, ldc: ldc, epilogue: epilogue)
            }
        }
    }

    /// The 6×16 register block: twelve 8-lane accumulators, two B vectors and one broadcast A
    /// value, which fills the sixteen AVX2 registers. Kept out of line so that nothing of the
    /// caller competes for registers inside the loop.
    @inline(never)
    /// With `rows` < 6 the missing rows re-read the last live row; the caller discards them.
    private static func microKernel(k: Int, a: UnsafePointer<Float>, lda: Int, rows: Int, b: UnsafePointer<Float>,
                                    c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: RegisterEpilogue?) {
        typealias Half = GEMMHalf
        let halfBytes = MemoryLayout<Half>.size
        var c00 = Half(), c01 = Half(), c10 = Half(), c11 = Half(), c20 = Half(), c21 = Half()
        var c30 = Half(), c31 = Half(), c40 = Half(), c41 = Half(), c50 = Half(), c51 = Half()
        let last = rows - 1
        let a0 = a, a1 = a + min(1, last) * lda, a2 = a + min(2, last) * lda
        let a3 = a + min(3, last) * lda, a4 = a + min(4, last) * lda, a5 = a + min(5, last) * lda
        var pointer = UnsafeRawPointer(b)
        for index in 0..<k {
            let b0 = pointer.loadUnaligned(as: Half.self)
            let b1 = pointer.loadUnaligned(fromByteOffset: halfBytes, as: Half.self)
            pointer += 2 * halfBytes
            var x = Half(repeating: a0[index])
            c00 = c00.addingProduct(x, b0); c01 = c01.addingProduct(x, b1)
            x = Half(repeating: a1[index])
            c10 = c10.addingProduct(x, b0); c11 = c11.addingProduct(x, b1)
            x = Half(repeating: a2[index])
            c20 = c20.addingProduct(x, b0); c21 = c21.addingProduct(x, b1)
            x = Half(repeating: a3[index])
            c30 = c30.addingProduct(x, b0); c31 = c31.addingProduct(x, b1)
            x = Half(repeating: a4[index])
            c40 = c40.addingProduct(x, b0); c41 = c41.addingProduct(x, b1)
            x = Half(repeating: a5[index])
            c50 = c50.addingProduct(x, b0); c51 = c51.addingProduct(x, b1)
        }
        store(c00, c01, row: 0, c: c, ldc: ldc, epilogue: epilogue)
        store(c10, c11, row: 1, c: c, ldc: ldc, epilogue: epilogue)
        store(c20, c21, row: 2, c: c, ldc: ldc, epilogue: epilogue)
        store(c30, c31, row: 3, c: c, ldc: ldc, epilogue: epilogue)
        store(c40, c41, row: 4, c: c, ldc: ldc, epilogue: epilogue)
        store(c50, c51, row: 5, c: c, ldc: ldc, epilogue: epilogue)
    }

    /// Applies the register epilogue (if any) to one row of a block and stores it. Written on the
    /// concrete vector type: generic SIMD code would not vectorise.
    @inline(__always)
    private static func store(_ low: GEMMHalf, _ high: GEMMHalf, row line: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                              epilogue: RegisterEpilogue?) {
        let destination = UnsafeMutableRawPointer(c + line * ldc)
        let halfBytes = MemoryLayout<GEMMHalf>.size
        var low = low, high = high
        if let epilogue {
            low += UnsafeRawPointer(epilogue.bias).loadUnaligned(as: GEMMHalf.self)
            high += UnsafeRawPointer(epilogue.bias).loadUnaligned(fromByteOffset: halfBytes, as: GEMMHalf.self)
            if let residual = epilogue.residual {
                let source = UnsafeRawPointer(residual + line * epilogue.residualStride)
                low += source.loadUnaligned(as: GEMMHalf.self)
                high += source.loadUnaligned(fromByteOffset: halfBytes, as: GEMMHalf.self)
            }
            low = SIMDMath.clamp(low, epilogue.lower, epilogue.upper)
            high = SIMDMath.clamp(high, epilogue.lower, epilogue.upper)
        }
        destination.storeBytes(of: low, as: GEMMHalf.self)
        destination.storeBytes(of: high, toByteOffset: halfBytes, as: GEMMHalf.self)
    }

    /// The 6×8 block for panels with exactly eight live columns (layers with 8·n channels).
    @inline(never)
    private static func halfKernel(k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                                   c: UnsafeMutablePointer<Float>, ldc: Int) {
        typealias Half = SIMD8<Float>
        var c0 = Half(), c1 = Half(), c2 = Half(), c3 = Half(), c4 = Half(), c5 = Half()
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda
        var pointer = UnsafeRawPointer(b)
        for index in 0..<k {
            let b0 = pointer.loadUnaligned(as: Half.self)
            pointer += 64
            c0 = c0.addingProduct(Half(repeating: a0[index]), b0)
            c1 = c1.addingProduct(Half(repeating: a1[index]), b0)
            c2 = c2.addingProduct(Half(repeating: a2[index]), b0)
            c3 = c3.addingProduct(Half(repeating: a3[index]), b0)
            c4 = c4.addingProduct(Half(repeating: a4[index]), b0)
            c5 = c5.addingProduct(Half(repeating: a5[index]), b0)
        }
        UnsafeMutableRawPointer(c).storeBytes(of: c0, as: Half.self)
        UnsafeMutableRawPointer(c + ldc).storeBytes(of: c1, as: Half.self)
        UnsafeMutableRawPointer(c + 2 * ldc).storeBytes(of: c2, as: Half.self)
        UnsafeMutableRawPointer(c + 3 * ldc).storeBytes(of: c3, as: Half.self)
        UnsafeMutableRawPointer(c + 4 * ldc).storeBytes(of: c4, as: Half.self)
        UnsafeMutableRawPointer(c + 5 * ldc).storeBytes(of: c5, as: Half.self)
    }

    @inline(__always)
    private static func finish(row: Int, column: Int, width: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                               epilogue: GEMMEpilogue) {
        finishResults(c + row * ldc + column, count: width, bias: epilogue.bias + column,
                      residual: epilogue.residual.map { $0 + row * epilogue.residualStride + column },
                      activation: epilogue.activation)
    }
}
