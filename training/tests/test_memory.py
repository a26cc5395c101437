"""orn.memory: freed training buffers are reused, not faulted in again from the kernel."""
import subprocess
import sys
from pathlib import Path

TRAINING = Path(__file__).resolve().parent.parent

CYCLES = """
import resource, sys
import numpy as np
from orn import memory
if sys.argv[1] == "keep":
    assert memory.keep_freed_memory()
def cycle():
    # a step's worth of large buffers, allocated, written and freed
    buffers = [np.ones(3 * 1024 * 1024) for _ in range(4)]   # 24 MiB each
    del buffers
cycle()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    cycle()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def page_faults(mode):
    out = subprocess.run([sys.executable, "-c", CYCLES, mode], check=True, capture_output=True, text=True,
                         cwd=TRAINING).stdout
    return int(out.strip())


def test_freed_buffers_are_reused_without_page_faults():
    default, kept = page_faults("default"), page_faults("keep")
    # glibc's default hands part of each cycle's 96 MiB back to the kernel and faults it in again (about 2,000 pages
    # of 4 KiB a cycle here); kept, the pages stay mapped
    assert default > 10_000
    assert kept < 1_000
