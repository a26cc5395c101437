"""Puts training/ on sys.path so `import orn` works from the repository root, and offers a data-skip marker."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orn import paths  # noqa: E402

needs_data = pytest.mark.skipif(
    not paths.have_data(), reason=f"shared data not found at {paths.DATA} (expected ../shared/data beside the clone)")
