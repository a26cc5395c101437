import InferenceGraph

/// The right-hand matrix of a GEMM, packed at load time into panels so the micro-kernels read it
/// sequentially. Wide panels hold `panelWidth` columns (16; 32 in the AVX-512 build): panel p holds
/// rows 0..<k of columns p·w ..< (p+1)·w. When the last columns fill at most half a wide panel they
/// go into one half-width tail panel instead (e.g. 48 = 32 + 16 columns in the AVX-512 build, 8
/// output channels in the AVX2 build), so no kernel multiplies by a half-empty panel.
struct PackedMatrix: Sendable {
    #if INFERENCECORE_AVX512
    static let panelWidth = 32
    #else
    static let panelWidth = 16
    #endif
    /// Width of the tail panel: one vector register.
    static let tailWidth = panelWidth / 2

    /// `count` rounded up to a whole number of wide panels (bias padding).
    static func roundedToPanel(_ count: Int) -> Int { (count + panelWidth - 1) / panelWidth * panelWidth }
    let rows: Int
    let columns: Int
    /// Full-width panels, covering columns 0 ..< widePanels · panelWidth (the last one zero-padded
    /// when there is no tail).
    let widePanels: Int
    /// Columns held by the half-width tail panel after the wide ones; 0 when there is none.
    let tailColumns: Int
    let panels: [Float]

    /// First column of the tail panel.
    var tailColumn: Int { widePanels * Self.panelWidth }
    /// Offset of the tail panel in `panels`.
    var tailOffset: Int { widePanels * rows * Self.panelWidth }

    /// Packs `columns` columns of a `rows` x `columns` matrix read through `element(row, column)`.
    init(rows: Int, columns: Int, element: (Int, Int) -> Float) {
        self.rows = rows
        self.columns = columns
        let width = Self.panelWidth, remainder = columns % width
        if remainder > 0 && remainder <= Self.tailWidth {
            widePanels = columns / width
            tailColumns = remainder
        } else {
            widePanels = (columns + width - 1) / width
            tailColumns = 0
        }
        var data = [Float](repeating: 0, count: widePanels * rows * width + (tailColumns > 0 ? rows * Self.tailWidth : 0))
        for panel in 0..<widePanels {
            for row in 0..<rows {
                for lane in 0..<width where panel * width + lane < columns {
                    data[(panel * rows + row) * width + lane] = element(row, panel * width + lane)
                }
            }
        }
        let tailStart = widePanels * rows * width, firstTailColumn = widePanels * width
        for row in 0..<rows {
            for lane in 0..<tailColumns {
                data[tailStart + row * Self.tailWidth + lane] = element(row, firstTailColumn + lane)
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

/// Bias, residual, clip bounds and hard-swish applied by the micro-kernel before its only store.
struct RegisterEpilogue {
    let bias: UnsafePointer<Float>
    let residual: UnsafePointer<Float>?
    let residualStride: Int
    let activation: RegisterActivation
}

/// The activations the GEMM kernels apply in registers: a clip (infinite bounds for none) and MobileNetV3's
/// hard-swish, whose layers otherwise made a second and third pass over each block (bias, then the activation).
struct RegisterActivation {
    let lower: Float
    let upper: Float
    let hardSwish: Bool

    /// The register form of `activation`, or nil when it has none.
    init?(_ activation: Activation) {
        switch activation {
        case .identity: (lower, upper, hardSwish) = (-.infinity, .infinity, false)
        case .clip(let low, let high): (lower, upper, hardSwish) = (low, high, false)
        case .hardSwish: (lower, upper, hardSwish) = (-.infinity, .infinity, true)
        default: return nil
        }
    }

    /// The activation applied to one vector.
    @_transparent
    func apply(_ value: GEMMHalf) -> GEMMHalf {
        let clipped = SIMDMath.clamp(value, lower, upper)
        return hardSwish ? clipped * SIMDMath.clamp(clipped * (1 / 6) + 0.5, 0, 1) : clipped
    }

    #if INFERENCECORE_AVX512
    /// The activation applied to one 8-lane half.
    @_transparent
    func apply(_ value: SIMD8<Float>) -> SIMD8<Float> {
        let clipped = SIMDMath.clamp(value, lower, upper)
        return hardSwish ? clipped * SIMDMath.clamp(clipped * (1 / 6) + 0.5, 0, 1) : clipped
    }
    #endif
}

/// C = epilogue(A × B): A is row-major with leading dimension `lda`, B packed, C row-major with `ldc`.
/// A register-blocked 6×16 micro-kernel (12 AVX2 accumulators; 8×32 in 16 zmm registers in the
/// AVX-512 build) covers the wide panels, a 12×8 one (12×16) the half-width tail panel.
enum GEMM {
    #if INFERENCECORE_AVX512
    /// Rows per block of the wide-panel kernel: eight share each load of a panel row in the AVX-512 build, whose 32
    /// registers hold sixteen accumulators.
    static let blockRows = 8
    #else
    /// Rows per block of the wide-panel kernel: six, whose twelve accumulators fill the AVX2 level's 16 registers.
    static let blockRows = 6
    #endif
    /// Rows per block of the tail kernel: one accumulator per row.
    static let tailBlockRows = 12

    static func multiply(rows m: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, packed: PackedMatrix,
                         c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: GEMMEpilogue, workers: WorkerPool?) {
        let work = m * packed.rows * packed.columns
        let operands = Operands(a: a, lda: lda, b: b, packed: packed, c: c, ldc: ldc, epilogue: epilogue)
        let allRows = 0..<m, allPanels = 0..<packed.widePanels
        // Below about 2 µs of work, handing half to a spinning worker costs more than it saves.
        guard let workers, work >= 1 << 18 else {
            run(rows: allRows, widePanels: allPanels, tail: true, operands)
            return
        }
        // Row ranges are whole multiples of `blockRows`, so that 196 rows (a 14×14 map) go 104 + 92 and 64 rows (8×8)
        // 32 + 32: near enough to even that they split by rows, as the depthwise layers beside them do, and each thread
        // reads the rows its own core wrote. (Multiples of the tail kernel's 12 rows too, as before, sent those layers to
        // panel splits, where each thread reads the whole input map, half of it from the other core's caches: the
        // ORN's steps took 0.79 ms in all at two threads that way, 0.71 now; the tail kernel's last block of a share
        // is then partly filled.) Rows split unless that leaves one thread a clearly larger share than splitting the
        // panels would: 49 rows (a 7×7 map) go 32 + 17 in the AVX-512 build, and their panels split evenly.
        let threads = workers.threads
        let shareBlocks = (m + blockRows - 1) / blockRows
        let rowsPerThread = (shareBlocks + threads - 1) / threads * blockRows
        let panelsPerThread = (packed.widePanels + threads - 1) / threads
        let rowShare = Double(min(m, rowsPerThread)) / Double(m)
        let panelShare = packed.widePanels > 0 ? Double(panelsPerThread) / Double(packed.widePanels) : 1
        if shareBlocks >= threads * 2 && rowShare <= panelShare + 0.05 {
            let perThread = rowsPerThread
            workers.perform(parts: threads) { part in
                let first = part * perThread, last = min(m, first + perThread)
                if first < last { run(rows: first..<last, widePanels: allPanels, tail: true, operands) }
            }
        } else {
            let perThread = panelsPerThread
            workers.perform(parts: threads) { part in
                let first = min(packed.widePanels, part * perThread), last = min(packed.widePanels, first + perThread)
                run(rows: allRows, widePanels: first..<last, tail: part == threads - 1, operands)
            }
        }
    }

    /// Everything but the part of the work: what one `run` call reads and writes.
    private struct Operands {
        let a: UnsafePointer<Float>, lda: Int
        let b: UnsafePointer<Float>, packed: PackedMatrix
        let c: UnsafeMutablePointer<Float>, ldc: Int
        let epilogue: GEMMEpilogue

        /// The activation when the kernels can apply it in registers.
        var registerActivation: RegisterActivation? { RegisterActivation(epilogue.activation) }

        /// The register epilogue of the block at `row`, `column`.
        func registerEpilogue(row: Int, column: Int, activation: RegisterActivation) -> RegisterEpilogue {
            RegisterEpilogue(bias: epilogue.bias + column,
                             residual: epilogue.residual.map { $0 + row * epilogue.residualStride + column },
                             residualStride: epilogue.residualStride, activation: activation)
        }

        /// Bias, residual and activation on `width` results of row `row` already stored in C.
        func finish(row: Int, column: Int, width: Int) {
            finishResults(c + row * ldc + column, count: width, bias: epilogue.bias + column,
                          residual: epilogue.residual.map { $0 + row * epilogue.residualStride + column },
                          activation: epilogue.activation)
        }
    }

    /// Computes rows `rows` (starting on a block boundary) of the wide panels `widePanels` and, with
    /// `tail`, of the tail panel.
    private static func run(rows: Range<Int>, widePanels: Range<Int>, tail: Bool, _ operands: Operands) {
        let packed = operands.packed, k = packed.rows
        let panelSize = PackedMatrix.panelWidth
        let activation = operands.registerActivation
        let firstBlock = rows.lowerBound / blockRows, endBlock = (rows.upperBound + blockRows - 1) / blockRows
        // Small B (early layers: few channels, many pixels) stays in L1 while row blocks stream past;
        // large B (late layers) is read once, panel by panel, while A stays in L2. One row of A (a fully
        // connected layer at batch 1) streams four whole panels at a time.
        if rows.count == 1 {
            var panel = widePanels.lowerBound
            let wholePanels = packed.columns / panelSize
            while panel < min(widePanels.upperBound, wholePanels) {
                let count = min(rowPanels, min(widePanels.upperBound, wholePanels) - panel)
                let column = panel * panelSize
                let c = operands.c + rows.lowerBound * operands.ldc + column
                rowKernel(k: k, a: operands.a + rows.lowerBound * operands.lda, b: operands.b + panel * k * panelSize,
                          panels: count, c: c,
                          epilogue: activation.map { operands.registerEpilogue(row: rows.lowerBound, column: column, activation: $0) })
                if activation == nil { operands.finish(row: rows.lowerBound, column: column, width: count * panelSize) }
                panel += count
            }
            // A last, partly filled wide panel goes through the block kernel.
            for partial in panel..<widePanels.upperBound { widePanelBlock(rows.lowerBound / blockRows, partial) }
        } else if k * packed.columns <= 8192 {
            for block in firstBlock..<endBlock {
                for panel in widePanels { widePanelBlock(block, panel) }
            }
        } else {
            for panel in widePanels {
                for block in firstBlock..<endBlock { widePanelBlock(block, panel) }
            }
        }
        if tail && packed.tailColumns > 0 {
            for row in stride(from: rows.lowerBound, to: rows.upperBound, by: tailBlockRows) {
                tailBlock(row: row, count: min(tailBlockRows, rows.upperBound - row))
            }
        }

        @inline(__always)
        func widePanelBlock(_ block: Int, _ panel: Int) {
            let panelPointer = operands.b + panel * k * panelSize
            let column = panel * panelSize
            let width = min(panelSize, packed.columns - column)
            let row = block * blockRows
            let count = min(blockRows, rows.upperBound - row)
            let a = operands.a + row * operands.lda, c = operands.c + row * operands.ldc + column
            if count == 1 && width == panelSize {
                // A lone last row (7×7 = 49 pixels: eight blocks and one row) would cost a whole block.
                rowKernel(k: k, a: a, b: panelPointer, panels: 1, c: c,
                          epilogue: activation.map { operands.registerEpilogue(row: row, column: column, activation: $0) })
                if activation != nil { return }
            } else if width == panelSize || width == panelSize - (GEMM.lowHalfLanes ?? panelSize) {
                // Whole panel (or, in the AVX-512 build, 24 live columns: one vector and a low half), all of the
                // block's rows or the last few: with a clip, hard-swish or no activation, the epilogue runs in
                // registers and C is stored once; otherwise raw products go to C and the epilogue runs over the
                // L1-hot block.
                microKernel(k: k, a: a, lda: operands.lda, rows: count, b: panelPointer, c: c, ldc: operands.ldc, live: width,
                            epilogue: activation.map { operands.registerEpilogue(row: row, column: column, activation: $0) })
                if activation != nil { return }
            } else {
                // Partial panel: compute into a 6×panel tile on the stack, copy out the live part.
                withUnsafeTemporaryAllocation(of: Float.self, capacity: blockRows * panelSize) { tile in
                    let tilePointer = tile.baseAddress!
                    microKernel(k: k, a: a, lda: operands.lda, rows: count, b: panelPointer, c: tilePointer,
                                ldc: panelSize, live: panelSize, epilogue: nil)
                    for line in 0..<count {
                        (c + line * operands.ldc).update(from: tilePointer + line * panelSize, count: width)
                    }
                }
            }
            for line in row..<(row + count) { operands.finish(row: line, column: column, width: width) }
        }

        @inline(__always)
        func tailBlock(row: Int, count: Int) {
            let tailWidth = PackedMatrix.tailWidth
            let column = packed.tailColumn, width = packed.tailColumns
            let a = operands.a + row * operands.lda, c = operands.c + row * operands.ldc + column
            let b = operands.b + packed.tailOffset
            if count == tailBlockRows && (width == tailWidth || width == GEMM.lowHalfLanes) {
                tailKernel(k: k, a: a, lda: operands.lda, rows: count, b: b, c: c, ldc: operands.ldc, live: width,
                           epilogue: activation.map { operands.registerEpilogue(row: row, column: column, activation: $0) })
                if activation != nil { return }
            } else {
                withUnsafeTemporaryAllocation(of: Float.self, capacity: tailBlockRows * tailWidth) { tile in
                    let tilePointer = tile.baseAddress!
                    tailKernel(k: k, a: a, lda: operands.lda, rows: count, b: b, c: tilePointer, ldc: tailWidth,
                               live: tailWidth, epilogue: nil)
                    for line in 0..<count {
                        (c + line * operands.ldc).update(from: tilePointer + line * tailWidth, count: width)
                    }
                }
            }
            for line in row..<(row + count) { operands.finish(row: line, column: column, width: width) }
        }
    }

    /// The register block of `rows` (1 ... 6) × 16 columns (× 32 in the AVX-512 build) over `live` columns: the whole
    /// panel, or in the AVX-512 build 24 columns, whose second vectors are 8-lane (ymm) halves, read, multiplied and
    /// stored as such: on Zen 4 a 512-bit FMA costs two 256-bit ones, so 24 columns cost 3/4 of 32. Each row count has
    /// its own copy of the kernel, so the last rows of a map (4 of every even square: 16 = 6 + 6 + 4) multiply only
    /// their own rows; computing a whole block for them made 16 rows cost as much as 18.
    @inline(__always)
    private static func microKernel(k: Int, a: UnsafePointer<Float>, lda: Int, rows: Int, b: UnsafePointer<Float>,
                                    c: UnsafeMutablePointer<Float>, ldc: Int, live: Int, epilogue: RegisterEpilogue?) {
        #if INFERENCECORE_AVX512
        if live < 2 * GEMMHalf.scalarCount {
            blockKernel(rows: rows, k: k, a: a, lda: lda, b: b, c: c, ldc: ldc, epilogue: epilogue, second: LowHalfVector.self)
            return
        }
        #endif
        blockKernel(rows: rows, k: k, a: a, lda: lda, b: b, c: c, ldc: ldc, epilogue: epilogue, second: WholeVector.self)
    }

    /// Chooses the copy of the block kernel compiled for `rows`.
    @inline(__always)
    private static func blockKernel<Second: GEMMPanelVector>(rows: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                                                             b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                                                             ldc: Int, epilogue: RegisterEpilogue?, second: Second.Type) {
        switch rows {
        #if INFERENCECORE_AVX512
        case 8: blockKernel(k: k, a: a, lda: lda, b: b, c: c, ldc: ldc, epilogue: epilogue, second: second, rows: BlockRows8.self)
        case 7: blockKernel(k: k, a: a, lda: lda, b: b, c: c, ldc: ldc, epilogue: epilogue, second: second, rows: BlockRows7.self)
        #endif
        case 6: blockKernel(k: k, a: a, lda: lda, b: b, c: c, ldc: ldc, epilogue: epilogue, second: second, rows: BlockRows6.self)
        case 5: blockKernel(k: k, a: a, lda: lda, b: b, c: c, ldc: ldc, epilogue: epilogue, second: second, rows: BlockRows5.self)
        case 4: blockKernel(k: k, a: a, lda: lda, b: b, c: c, ldc: ldc, epilogue: epilogue, second: second, rows: BlockRows4.self)
        case 3: blockKernel(k: k, a: a, lda: lda, b: b, c: c, ldc: ldc, epilogue: epilogue, second: second, rows: BlockRows3.self)
        case 2: blockKernel(k: k, a: a, lda: lda, b: b, c: c, ldc: ldc, epilogue: epilogue, second: second, rows: BlockRows2.self)
        default: blockKernel(k: k, a: a, lda: lda, b: b, c: c, ldc: ldc, epilogue: epilogue, second: second, rows: BlockRows1.self)
        }
    }

    /// The Rows.count × 2-vector kernel itself: up to twelve accumulators (sixteen in the AVX-512 build), two B
    /// vectors and one broadcast A value, which fills the sixteen AVX2 registers. Kept out of line so that nothing of the caller competes
    /// for registers inside the loop, and specialised per kind of second vector (whole or low half) and per row count
    /// (the rows past `Rows.count` fold away) so that every copy stays small enough for the compiler to inline all its
    /// loads and stores.
    @inline(never)
    private static func blockKernel<Second: GEMMPanelVector, Rows: GEMMBlockRows>(
        k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
        epilogue: RegisterEpilogue?, second: Second.Type, rows: Rows.Type
    ) {
        typealias Half = GEMMHalf
        let halfBytes = MemoryLayout<Half>.size, lanes = Half.scalarCount
        let count = Rows.count
        var c00 = Half(), c10 = Half(), c20 = Half(), c30 = Half(), c40 = Half(), c50 = Half(), c60 = Half(), c70 = Half()
        var c01 = Second.zero, c11 = Second.zero, c21 = Second.zero, c31 = Second.zero, c41 = Second.zero
        var c51 = Second.zero, c61 = Second.zero, c71 = Second.zero
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda
        let a6 = a + 6 * lda, a7 = a + 7 * lda
        var pointer = UnsafeRawPointer(b)
        for index in 0..<k {
            let b0 = pointer.loadUnaligned(as: Half.self)
            let b1 = Second.load(pointer + halfBytes)
            pointer += 2 * halfBytes
            var x = Half(repeating: a0[index])
            c00 = c00.addingProduct(x, b0); c01 = Second.multiplyAdd(c01, x, b1)
            if count > 1 {
                x = Half(repeating: a1[index])
                c10 = c10.addingProduct(x, b0); c11 = Second.multiplyAdd(c11, x, b1)
            }
            if count > 2 {
                x = Half(repeating: a2[index])
                c20 = c20.addingProduct(x, b0); c21 = Second.multiplyAdd(c21, x, b1)
            }
            if count > 3 {
                x = Half(repeating: a3[index])
                c30 = c30.addingProduct(x, b0); c31 = Second.multiplyAdd(c31, x, b1)
            }
            if count > 4 {
                x = Half(repeating: a4[index])
                c40 = c40.addingProduct(x, b0); c41 = Second.multiplyAdd(c41, x, b1)
            }
            if count > 5 {
                x = Half(repeating: a5[index])
                c50 = c50.addingProduct(x, b0); c51 = Second.multiplyAdd(c51, x, b1)
            }
            if count > 6 {
                x = Half(repeating: a6[index])
                c60 = c60.addingProduct(x, b0); c61 = Second.multiplyAdd(c61, x, b1)
            }
            if count > 7 {
                x = Half(repeating: a7[index])
                c70 = c70.addingProduct(x, b0); c71 = Second.multiplyAdd(c71, x, b1)
            }
        }
        store(c00, row: 0, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
        Second.store(c01, row: 0, lane: lanes, c: c, ldc: ldc, epilogue: epilogue)
        if count > 1 {
            store(c10, row: 1, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
            Second.store(c11, row: 1, lane: lanes, c: c, ldc: ldc, epilogue: epilogue)
        }
        if count > 2 {
            store(c20, row: 2, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
            Second.store(c21, row: 2, lane: lanes, c: c, ldc: ldc, epilogue: epilogue)
        }
        if count > 3 {
            store(c30, row: 3, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
            Second.store(c31, row: 3, lane: lanes, c: c, ldc: ldc, epilogue: epilogue)
        }
        if count > 4 {
            store(c40, row: 4, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
            Second.store(c41, row: 4, lane: lanes, c: c, ldc: ldc, epilogue: epilogue)
        }
        if count > 5 {
            store(c50, row: 5, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
            Second.store(c51, row: 5, lane: lanes, c: c, ldc: ldc, epilogue: epilogue)
        }
        if count > 6 {
            store(c60, row: 6, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
            Second.store(c61, row: 6, lane: lanes, c: c, ldc: ldc, epilogue: epilogue)
        }
        if count > 7 {
            store(c70, row: 7, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
            Second.store(c71, row: 7, lane: lanes, c: c, ldc: ldc, epilogue: epilogue)
        }
    }

    /// Wide panels the one-row kernel takes at a time.
    static let rowPanels = 4

    /// One row of A against `panels` (1 ... `rowPanels`) consecutive whole wide panels: one broadcast feeds two
    /// FMAs per panel, so the weights stream at cache or memory speed. (The 6-row block kernel, given one row,
    /// repeats it six times: ResNet-18's 512 -> 1000 classifier took 0.31 ms that way against onnxruntime's
    /// 0.16 ms.)
    @inline(never)
    private static func rowKernel(k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>, panels: Int,
                                  c: UnsafeMutablePointer<Float>, epilogue: RegisterEpilogue?) {
        typealias Half = GEMMHalf
        let panelFloats = k * PackedMatrix.panelWidth, lanes = Half.scalarCount
        func load(_ pointer: UnsafePointer<Float>) -> Half { UnsafeRawPointer(pointer).loadUnaligned(as: Half.self) }
        if panels == rowPanels {
            var c00 = Half(), c01 = Half(), c10 = Half(), c11 = Half(), c20 = Half(), c21 = Half(), c30 = Half(), c31 = Half()
            var p0 = b, p1 = b + panelFloats, p2 = b + 2 * panelFloats, p3 = b + 3 * panelFloats
            for index in 0..<k {
                let x = Half(repeating: a[index])
                c00 = c00.addingProduct(x, load(p0)); c01 = c01.addingProduct(x, load(p0 + lanes))
                c10 = c10.addingProduct(x, load(p1)); c11 = c11.addingProduct(x, load(p1 + lanes))
                c20 = c20.addingProduct(x, load(p2)); c21 = c21.addingProduct(x, load(p2 + lanes))
                c30 = c30.addingProduct(x, load(p3)); c31 = c31.addingProduct(x, load(p3 + lanes))
                p0 += 2 * lanes; p1 += 2 * lanes; p2 += 2 * lanes; p3 += 2 * lanes
            }
            store(c00, row: 0, lane: 0, c: c, ldc: 0, epilogue: epilogue)
            store(c01, row: 0, lane: lanes, c: c, ldc: 0, epilogue: epilogue)
            store(c10, row: 0, lane: 2 * lanes, c: c, ldc: 0, epilogue: epilogue)
            store(c11, row: 0, lane: 3 * lanes, c: c, ldc: 0, epilogue: epilogue)
            store(c20, row: 0, lane: 4 * lanes, c: c, ldc: 0, epilogue: epilogue)
            store(c21, row: 0, lane: 5 * lanes, c: c, ldc: 0, epilogue: epilogue)
            store(c30, row: 0, lane: 6 * lanes, c: c, ldc: 0, epilogue: epilogue)
            store(c31, row: 0, lane: 7 * lanes, c: c, ldc: 0, epilogue: epilogue)
            return
        }
        for panel in 0..<panels {
            // Two accumulators per half so the FMA chains overlap; summed at the end.
            var low = Half(), high = Half(), lowOdd = Half(), highOdd = Half()
            var pointer = b + panel * panelFloats
            var index = 0
            while index + 2 <= k {
                low = low.addingProduct(Half(repeating: a[index]), load(pointer))
                high = high.addingProduct(Half(repeating: a[index]), load(pointer + lanes))
                lowOdd = lowOdd.addingProduct(Half(repeating: a[index + 1]), load(pointer + 2 * lanes))
                highOdd = highOdd.addingProduct(Half(repeating: a[index + 1]), load(pointer + 3 * lanes))
                pointer += 4 * lanes; index += 2
            }
            if index < k {
                low = low.addingProduct(Half(repeating: a[index]), load(pointer))
                high = high.addingProduct(Half(repeating: a[index]), load(pointer + lanes))
            }
            store(low + lowOdd, row: 0, lane: panel * 2 * lanes, c: c, ldc: 0, epilogue: epilogue)
            store(high + highOdd, row: 0, lane: (panel * 2 + 1) * lanes, c: c, ldc: 0, epilogue: epilogue)
        }
    }

    /// The 12×8 block (12×16 in the AVX-512 build) for the half-width tail panel: one accumulator
    /// per row, so twelve rows share each load of B. Missing rows re-read the last live row. `live`
    /// is the vector's lane count, or `lowHalfLanes` to compute and store only the low half of each row.
    @inline(__always)
    private static func tailKernel(k: Int, a: UnsafePointer<Float>, lda: Int, rows: Int, b: UnsafePointer<Float>,
                                   c: UnsafeMutablePointer<Float>, ldc: Int, live: Int, epilogue: RegisterEpilogue?) {
        #if INFERENCECORE_AVX512
        if live == lowHalfLanes {
            tailBlockKernel(k: k, a: a, lda: lda, rows: rows, b: b, c: c, ldc: ldc, epilogue: epilogue, vector: LowHalfVector.self)
            return
        }
        #endif
        tailBlockKernel(k: k, a: a, lda: lda, rows: rows, b: b, c: c, ldc: ldc, epilogue: epilogue, vector: WholeVector.self)
    }

    /// The tail kernel itself, out of line and specialised per panel vector (whole or low half), like `blockKernel`.
    @inline(never)
    private static func tailBlockKernel<Panel: GEMMPanelVector>(k: Int, a: UnsafePointer<Float>, lda: Int, rows: Int,
                                                                b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>,
                                                                ldc: Int, epilogue: RegisterEpilogue?, vector: Panel.Type) {
        typealias Half = GEMMHalf
        var c0 = Panel.zero, c1 = Panel.zero, c2 = Panel.zero, c3 = Panel.zero, c4 = Panel.zero, c5 = Panel.zero
        var c6 = Panel.zero, c7 = Panel.zero, c8 = Panel.zero, c9 = Panel.zero, c10 = Panel.zero, c11 = Panel.zero
        let last = rows - 1
        let a0 = a, a1 = a + min(1, last) * lda, a2 = a + min(2, last) * lda, a3 = a + min(3, last) * lda
        let a4 = a + min(4, last) * lda, a5 = a + min(5, last) * lda, a6 = a + min(6, last) * lda
        let a7 = a + min(7, last) * lda, a8 = a + min(8, last) * lda, a9 = a + min(9, last) * lda
        let a10 = a + min(10, last) * lda, a11 = a + min(11, last) * lda
        var pointer = UnsafeRawPointer(b)
        for index in 0..<k {
            let b0 = Panel.load(pointer)
            pointer += MemoryLayout<Half>.size
            c0 = Panel.multiplyAdd(c0, Half(repeating: a0[index]), b0)
            c1 = Panel.multiplyAdd(c1, Half(repeating: a1[index]), b0)
            c2 = Panel.multiplyAdd(c2, Half(repeating: a2[index]), b0)
            c3 = Panel.multiplyAdd(c3, Half(repeating: a3[index]), b0)
            c4 = Panel.multiplyAdd(c4, Half(repeating: a4[index]), b0)
            c5 = Panel.multiplyAdd(c5, Half(repeating: a5[index]), b0)
            c6 = Panel.multiplyAdd(c6, Half(repeating: a6[index]), b0)
            c7 = Panel.multiplyAdd(c7, Half(repeating: a7[index]), b0)
            c8 = Panel.multiplyAdd(c8, Half(repeating: a8[index]), b0)
            c9 = Panel.multiplyAdd(c9, Half(repeating: a9[index]), b0)
            c10 = Panel.multiplyAdd(c10, Half(repeating: a10[index]), b0)
            c11 = Panel.multiplyAdd(c11, Half(repeating: a11[index]), b0)
        }
        Panel.store(c0, row: 0, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
        Panel.store(c1, row: 1, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
        Panel.store(c2, row: 2, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
        Panel.store(c3, row: 3, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
        Panel.store(c4, row: 4, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
        Panel.store(c5, row: 5, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
        Panel.store(c6, row: 6, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
        Panel.store(c7, row: 7, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
        Panel.store(c8, row: 8, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
        Panel.store(c9, row: 9, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
        Panel.store(c10, row: 10, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
        Panel.store(c11, row: 11, lane: 0, c: c, ldc: ldc, epilogue: epilogue)
    }

    #if INFERENCECORE_AVX512
    /// Tail width the tail kernel stores as the low half of its vectors: 8 columns in the AVX-512
    /// build (e.g. MobileNetV2-0.5's 8-channel projection); none in the AVX2 build, whose vectors are 8 wide.
    static let lowHalfLanes: Int? = 8
    #else
    /// Tail width the tail kernel stores as the low half of its vectors: 8 columns in the AVX-512
    /// build (e.g. MobileNetV2-0.5's 8-channel projection); none in the AVX2 build, whose vectors are 8 wide.
    static let lowHalfLanes: Int? = nil
    #endif

    /// Applies the register epilogue (if any) to one vector of results, at row `line` and column
    /// offset `lane` of the block, and stores it. Written on the concrete vector type: generic SIMD
    /// code would not vectorise.
    @_transparent   // @inline(__always) left it out of line, costing a call per vector
    fileprivate static func store(_ value: GEMMHalf, row line: Int, lane: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                              epilogue: RegisterEpilogue?) {
        var value = value
        if let epilogue {
            value += UnsafeRawPointer(epilogue.bias + lane).loadUnaligned(as: GEMMHalf.self)
            if let residual = epilogue.residual {
                value += UnsafeRawPointer(residual + line * epilogue.residualStride + lane).loadUnaligned(as: GEMMHalf.self)
            }
            value = epilogue.activation.apply(value)
        }
        UnsafeMutableRawPointer(c + line * ldc + lane).storeBytes(of: value, as: GEMMHalf.self)
    }

    #if INFERENCECORE_AVX512
    /// `store` for the low eight lanes only: tails of exactly `lowHalfLanes` columns, and the second vector
    /// of a wide block with 24 live columns.
    @_transparent
    fileprivate static func storeLowHalf(_ value: SIMD8<Float>, row line: Int, lane: Int = 0, c: UnsafeMutablePointer<Float>, ldc: Int,
                                     epilogue: RegisterEpilogue?) {
        var low = value
        if let epilogue {
            low += UnsafeRawPointer(epilogue.bias + lane).loadUnaligned(as: SIMD8<Float>.self)
            if let residual = epilogue.residual {
                low += UnsafeRawPointer(residual + line * epilogue.residualStride + lane).loadUnaligned(as: SIMD8<Float>.self)
            }
            low = epilogue.activation.apply(low)
        }
        UnsafeMutableRawPointer(c + line * ldc + lane).storeBytes(of: low, as: SIMD8<Float>.self)
    }
    #endif
}

/// The number of rows a copy of the block kernel computes, fixed when it is compiled.
private protocol GEMMBlockRows {
    static var count: Int { get }
}

private enum BlockRows1: GEMMBlockRows { static var count: Int { 1 } }
private enum BlockRows2: GEMMBlockRows { static var count: Int { 2 } }
private enum BlockRows3: GEMMBlockRows { static var count: Int { 3 } }
private enum BlockRows4: GEMMBlockRows { static var count: Int { 4 } }
private enum BlockRows5: GEMMBlockRows { static var count: Int { 5 } }
private enum BlockRows6: GEMMBlockRows { static var count: Int { 6 } }
#if INFERENCECORE_AVX512
private enum BlockRows7: GEMMBlockRows { static var count: Int { 7 } }
private enum BlockRows8: GEMMBlockRows { static var count: Int { 8 } }
#endif

/// One vector of a panel row as the kernels load, accumulate and store it: the whole register, or (AVX-512, 8 live
/// columns) its low half, which on Zen 4 costs half the FMA throughput of the whole 512-bit register.
private protocol GEMMPanelVector {
    associatedtype Vector
    /// The accumulator's starting value.
    static var zero: Vector { get }
    /// The vector at `pointer`.
    static func load(_ pointer: UnsafeRawPointer) -> Vector
    /// `accumulator + broadcast × b`, where `broadcast` holds one value of A in every lane.
    static func multiplyAdd(_ accumulator: Vector, _ broadcast: GEMMHalf, _ b: Vector) -> Vector
    /// Applies the register epilogue and stores the vector at row `row`, column offset `lane` of the block.
    static func store(_ value: Vector, row: Int, lane: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                      epilogue: RegisterEpilogue?)
}

/// The whole register.
private enum WholeVector: GEMMPanelVector {
    static var zero: GEMMHalf { @_transparent get { GEMMHalf() } }
    @_transparent
    static func load(_ pointer: UnsafeRawPointer) -> GEMMHalf { pointer.loadUnaligned(as: GEMMHalf.self) }
    @_transparent
    static func multiplyAdd(_ accumulator: GEMMHalf, _ broadcast: GEMMHalf, _ b: GEMMHalf) -> GEMMHalf {
        accumulator.addingProduct(broadcast, b)
    }
    @_transparent
    static func store(_ value: GEMMHalf, row: Int, lane: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                      epilogue: RegisterEpilogue?) {
        GEMM.store(value, row: row, lane: lane, c: c, ldc: ldc, epilogue: epilogue)
    }
}

#if INFERENCECORE_AVX512
/// The low eight lanes only: tails of exactly `lowHalfLanes` columns, and the second vector of a wide block with 24
/// live columns. The panel keeps its 16-lane layout; only the low half is read and multiplied.
private enum LowHalfVector: GEMMPanelVector {
    static var zero: SIMD8<Float> { @_transparent get { SIMD8<Float>() } }
    @_transparent
    static func load(_ pointer: UnsafeRawPointer) -> SIMD8<Float> { pointer.loadUnaligned(as: SIMD8<Float>.self) }
    @_transparent
    static func multiplyAdd(_ accumulator: SIMD8<Float>, _ broadcast: GEMMHalf, _ b: SIMD8<Float>) -> SIMD8<Float> {
        accumulator.addingProduct(broadcast.lowHalf, b)
    }
    @_transparent
    static func store(_ value: SIMD8<Float>, row: Int, lane: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                      epilogue: RegisterEpilogue?) {
        GEMM.storeLowHalf(value, row: row, lane: lane, c: c, ldc: ldc, epilogue: epilogue)
    }
}
#endif
