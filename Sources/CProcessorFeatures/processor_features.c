#include "processor_features.h"

#include <cpuid.h>
#include <string.h>

void occlumesh_read_cpuid(occlumesh_cpuid_words *words) {
    memset(words, 0, sizeof *words);
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(0, &eax, &ebx, &ecx, &edx)) return;
    words->maximum_leaf = eax;
    if (__get_cpuid(1, &eax, &ebx, &ecx, &edx)) {
        words->leaf1_ecx = ecx;
        words->leaf1_edx = edx;
    }
    if (words->maximum_leaf >= 7) {
        __cpuid_count(7, 0, eax, ebx, ecx, edx);
        words->leaf7_ebx = ebx;
        words->leaf7_ecx = ecx;
    }
    if (__get_cpuid(0x80000001u, &eax, &ebx, &ecx, &edx)) words->extended1_ecx = ecx;
    if (words->leaf1_ecx & (1u << 27)) {   // OSXSAVE: xgetbv is available
        uint32_t low, high;
        __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
        words->xcr0 = ((uint64_t)high << 32) | low;
    }
}
