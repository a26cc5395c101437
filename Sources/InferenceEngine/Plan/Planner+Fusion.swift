import InferenceGraph

extension Planner {
    /// Expanded maps smaller than this stay in the core's caches between the two layers anyway: fused, MobileNetV2's
    /// 28×28×192 (0.6 MB) took 0.068 ms as apart, while its 112×112×96 (4.8 MB) gained a fifth.
    static let fusedExpansionMinimumBytes = 1024 * 1024

    /// Replaces each 1×1 convolution whose output only a stride-2 depthwise convolution right after it reads (an
    /// inverted residual block's expansion, a MobileNetV1 pointwise layer) by one `ExpansionThenDepthwiseStep`, which
    /// produces and consumes the expanded map band by band while it is still in L2. Only stride 2 pays: such a layer
    /// reads four input pixels per output pixel, so its time was the read of the map from beyond L2; at stride 1
    /// the fused layers were no faster (MobileNetV2's 56×56×144 0.291 → 0.287 ms, MobileNetV1's 56×56×128 0.485 →
    /// 0.464, 28×28×256 0.374 → 0.381; stride 2: 112×112×96 0.494 → 0.384, 112×112×64 0.532 → 0.446, 56×56×128
    /// 0.853 → 0.699; `occlumesh model bench --profile` on an AMX-capable Xeon). Runs before slots get offsets: the
    /// fused step's slots are given one shared lifetime, so the depthwise output never shares memory with the
    /// expansion's input, which the fused step still reads after it has written the first output rows.
    mutating func fuseExpansionsIntoDepthwise() {
        var index = 0
        while index + 1 < steps.count {
            guard let expansion = steps[index] as? PackedGEMMStep,
                  let depthwise = steps[index + 1] as? DepthwiseConvolutionStep,
                  let fused = ExpansionThenDepthwiseStep(expansion: expansion, depthwise: depthwise),
                  storages[expansion.output].lastStep == index + 1, depthwise.geometry.strideY == 2,
                  fused.expandedBytes >= Self.fusedExpansionMinimumBytes
            else {
                index += 1
                continue
            }
            steps[index] = fused
            steps.remove(at: index + 1)
            for slot in storages.indices {
                if storages[slot].firstStep > index { storages[slot].firstStep -= 1 }
                if storages[slot].lastStep > index && storages[slot].lastStep != Int.max { storages[slot].lastStep -= 1 }
            }
            index += 1
        }
    }
}
