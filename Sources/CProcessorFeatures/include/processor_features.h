#ifndef OCCLUMESH_PROCESSOR_FEATURES_H
#define OCCLUMESH_PROCESSOR_FEATURES_H

#include <stdint.h>

/// The cpuid and xgetbv words InferenceCore's kernel choice depends on, read once per process.
typedef struct {
    /// Highest basic cpuid leaf (leaf 0, EAX); leaf 7 is only read when this is at least 7.
    uint32_t maximum_leaf;
    /// Leaf 1: ECX (FMA, MOVBE, OSXSAVE, AVX, F16C) and EDX.
    uint32_t leaf1_ecx, leaf1_edx;
    /// Leaf 7 sub-leaf 0: EBX (BMI1, AVX2, BMI2, AVX-512 F/DQ/CD/BW/VL) and ECX.
    uint32_t leaf7_ebx, leaf7_ecx;
    /// Leaf 0x80000001 ECX (LZCNT, named "abm" by Linux); 0 when the extended leaf is absent.
    uint32_t extended1_ecx;
    /// XCR0 (which register states the operating system saves); 0 when OSXSAVE is off.
    uint64_t xcr0;
} occlumesh_cpuid_words;

/// Fills `words` from this CPU's cpuid and, when the OS enabled XSAVE, xgetbv(0).
void occlumesh_read_cpuid(occlumesh_cpuid_words *words);

#endif
