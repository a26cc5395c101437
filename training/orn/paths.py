"""Where things live: the third-party data beside the clone, and this package's cache/run/asset folders.

The data sits at `../shared/data` relative to the repository root (CI puts it beside the clone);
`OCCLUMESH_DATA` overrides that.
"""
import os
from pathlib import Path

TRAINING = Path(__file__).resolve().parent.parent
REPO = TRAINING.parent
DATA = Path(os.environ.get("OCCLUMESH_DATA", REPO.parent / "shared" / "data"))
CACHE = TRAINING / "cache"
RUNS = TRAINING / "runs"
ASSETS = TRAINING / "assets"
MODELS = REPO / "models"

FACE_MODEL = DATA / "face-model" / "ict-face-light.npz"
TEACHER_TASK = DATA / "teacher" / "face_landmarker.task"
AFLW_TRAIN = DATA / "aflw-train"
AFLW2000 = DATA / "aflw2000-3d"
VIDEOS = DATA / "videos"

CROP = 120  # side of the AFLW training crops, in pixels


def have_data() -> bool:
    """True when the shared data folder is present (tests skip otherwise)."""
    return FACE_MODEL.exists()
