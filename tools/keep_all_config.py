"""The daemon config the face-score tools run `occlumesh landmarks` with, their `--tracking KEY=VALUE` option, and
the run itself.

Shared by tools/measure-face-score.py and tools/landmarks-misses-aflw.py, so that both write the same config and read
the same output.
"""
import argparse
import json
import re
import subprocess
from pathlib import Path

# The [tracking] keys the tools set themselves; --tracking may not set them again (a TOML key twice is an error).
WRITTEN = ("min_confidence", "min_face_score", "lost_face_score")


def tracking_option(text: str) -> tuple[str, str]:
    """argparse type of `--tracking KEY=VALUE`: one more [tracking] key, its value written as TOML as given."""
    key, equals, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not equals or not re.fullmatch(r"[a-z_]+", key) or not value:
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE (e.g. reframe_face_score=true)")
    if key in WRITTEN:
        raise argparse.ArgumentTypeError(f"tracking.{key} is set by its own option")
    return key, value


def add_config_options(parser: argparse.ArgumentParser, min_face_score_help: str) -> None:
    """The options that shape the config: --min-confidence, --min-face-score, --tracking and --mirror-average."""
    parser.add_argument("--min-confidence", type=float, default=0.5,
                        help="tracking.min_confidence: the detector score a detection needs to be verified at all")
    parser.add_argument("--min-face-score", type=float, default=0.0, help=min_face_score_help)
    parser.add_argument("--tracking", action="append", default=[], metavar="KEY=VALUE", type=tracking_option,
                        help="another [tracking] key for the runs, e.g. reframe_face_score=true (repeatable)")
    parser.add_argument("--mirror-average", action="store_true",
                        help="[model] mirror_average = true: each face regressed twice, the mean of the crop's and "
                             "its mirror's answers")


def keep_all_config(min_confidence: float, min_face_score: float, tracking: list[tuple[str, str]],
                    mirror_average: bool) -> str:
    """The config text: every detection at `min_confidence` kept (those found in the frame's tiles too, whose own
    bar is lowered to 0) unless `min_face_score` > 0 lets the verifier decide, tracks never ended by the face score,
    the `tracking` keys, and `[model] mirror_average`."""
    lines = ["[tracking]", f"min_confidence = {min_confidence}", f"min_face_score = {min_face_score}",
             "lost_face_score = 0.0"] + [f"{key} = {value}" for key, value in tracking]
    if min_face_score == 0 and "tiled_min_face_score" not in dict(tracking):
        lines.append("tiled_min_face_score = 0.0")  # faces found in the frame's tiles are kept too
    if mirror_average:
        lines += ["[model]", "mirror_average = true"]
    return "\n".join(lines) + "\n"


def run_landmarks(binary, models, images: Path, config: Path, out: Path, boxes=None) -> list[dict]:
    """`occlumesh landmarks` on the folder `images` with `config` (and `--boxes` where given), its JSON lines
    written to `out` and returned, one record per image; exits with the tool's error when it fails."""
    command = [str(binary), "landmarks", str(images), "--jsonl", str(out), "--models", str(models),
               "--config", str(config)]
    if boxes:
        command += ["--boxes", str(boxes)]
    run = subprocess.run(command, stderr=subprocess.PIPE, text=True)
    if run.returncode:
        raise SystemExit(f"occlumesh landmarks failed ({run.returncode}): {run.stderr.strip()}")
    return [json.loads(line) for line in Path(out).read_text().splitlines()]
