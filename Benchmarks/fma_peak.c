// The ceiling of one core at the AVX2 level: fused multiply-adds per second on 8 floats, from 12 independent
// accumulators so that throughput, not latency, is measured. A network whose
// time is mostly multiply-adds cannot run faster than its FLOPs at this rate; compare_onnxruntime.py's GFLOP/s
// are read against it (docs/inference-core.md).
//
//   cc -O2 -mavx2 -mfma Benchmarks/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double seconds(void) {
    struct timespec time;
    clock_gettime(CLOCK_MONOTONIC, &time);
    return time.tv_sec + time.tv_nsec * 1e-9;
}

int main(void) {
    enum { accumulators = 12 };
    __m256 sums[accumulators];
    const __m256 factor = _mm256_set1_ps(0.999999f), addend = _mm256_set1_ps(1e-6f);
    for (int index = 0; index < accumulators; index++) sums[index] = _mm256_set1_ps((float)index);
    const long iterations = 100000000;
    double best = 0;
    for (int round = 0; round < 5; round++) {
        const double start = seconds();
        for (long iteration = 0; iteration < iterations; iteration++) {
#pragma GCC unroll 12
            for (int index = 0; index < accumulators; index++) sums[index] = _mm256_fmadd_ps(sums[index], factor, addend);
        }
        const double flops = iterations * (double)accumulators * 8 * 2 / (seconds() - start);
        if (flops > best) best = flops;
    }
    float checksum = 0, lanes[8];
    for (int index = 0; index < accumulators; index++) {
        _mm256_storeu_ps(lanes, sums[index]);
        checksum += lanes[0];
    }
    printf("avx2_fma_peak_gflops=%.1f checksum=%.3f\n", best / 1e9, checksum);
    return 0;
}
