"""Keep freed memory in the process, so a training step does not pay the kernel to hand it out again.

A CPU training step allocates and frees the same large activation and gradient tensors every time. glibc's malloc
gives blocks above its mmap threshold their own mapping and returns the heap's free top to the kernel past its trim
threshold, so each step faults its pages in afresh, zeroed by the kernel: on this project's student steps a third of
the process's CPU time went to the kernel (training/README.md, "Measured here"). `keep_freed_memory` raises the
mmap threshold to glibc's maximum and stops trimming, so freed blocks are reused; the resident size stays near the
step's peak instead of falling between steps.
"""
import ctypes
import ctypes.util

# mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD = -1
_M_TOP_PAD = -2
_M_MMAP_THRESHOLD = -3
# glibc's largest mmap threshold on 64-bit (DEFAULT_MMAP_THRESHOLD_MAX); mallopt refuses more
_LARGEST_MMAP_THRESHOLD = 32 * 1024 * 1024
_NEVER_TRIM = 2 ** 31 - 1   # mallopt takes an int
_TOP_PAD = 256 * 1024 * 1024


def keep_freed_memory() -> bool:
    """Tells glibc's malloc to keep freed memory for reuse; False where the C library is not glibc (nothing done)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    libc = ctypes.CDLL(name)
    if not hasattr(libc, "mallopt") or not hasattr(libc, "gnu_get_libc_version"):
        return False
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    return all(libc.mallopt(parameter, value) == 1 for parameter, value in (
        (_M_MMAP_THRESHOLD, _LARGEST_MMAP_THRESHOLD), (_M_TRIM_THRESHOLD, _NEVER_TRIM), (_M_TOP_PAD, _TOP_PAD)))
