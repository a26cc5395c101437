#!/usr/bin/env python3
"""The video guard of the tracking rules: `occlumesh run` on real clips with a face and on face-free video.

    training/.venv/bin/python tools/video_guard.py [--binary .build/release/occlumesh] [--models DIR] [--config FILE]
        [--work DIR] [--right-of-face-limit N]

Runs the daemon's offline path with the given config (default: the built-in defaults) and says, per video, how many
tracks it held and on how many frames it reported a face:

  - d10, d6 and s18 (../shared/data/videos, one talking face each) hold when one track covers frame 0 to the last;
  - samples/sample.mp4, the part of s18.mp4 left of the face (480 px wide) and 60 s of synthetic clutter
    (tools/make-clutter-clip.py, its default seed) hold when no face is reported at all;
  - the part of s18.mp4 right of the face (304 px; a defocused person sits there) is reported, and holds when it has
    at most `--right-of-face-limit` frames with a face (rules compare it against a baseline run; without the option
    it is only reported).

The face-free videos are made in `--work` (a temporary folder by default; kept and reused when given). Exit status 0
when every video holds, 1 when one does not, 2 when a video cannot be made or run.
"""
import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VIDEOS = ROOT.parent / "shared" / "data" / "videos"
CLIPS = ("d10", "d6", "s18")
S18_CUTS = {"s18-left": "crop=480:720:0:0", "s18-right": "crop=304:720:976:0"}
CUT_SUFFIX = "-lossless.mp4"  # not the name of the lossy cuts older tools left in work folders
CLUTTER_SECONDS = 60


def face_free_cuts(work: Path) -> dict:
    """The parts of s18.mp4 left and right of its face as clips of their own (made once per folder), encoded
    losslessly: a lossy re-encode gives different pixels with the encoder's thread count, and on s18's right part
    the daemon's count of frames with a face moved with them (24 and 35 frames from two encodes of one crop)."""
    cuts = {}
    for name, crop in S18_CUTS.items():
        cuts[name] = made_once(work / f"{name}{CUT_SUFFIX}", lambda partial, crop=crop: subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-i", str(VIDEOS / "s18.mp4"), "-vf", crop, "-an", "-c:v", "libx264",
             "-qp", "0", str(partial)], check=True))
    return cuts


def made_once(target: Path, make) -> Path:
    """`target`, made by `make(partial path)` unless a finished one is there: written beside it and renamed when
    complete, so an interrupted run leaves nothing a later one would take for finished."""
    if not target.exists():
        partial = target.with_name(f"partial-{target.name}")
        make(partial)
        partial.replace(target)
    return target


def clutter_clip(work: Path) -> Path:
    """`CLUTTER_SECONDS` of synthetic clutter with no face (made once per folder)."""
    return made_once(work / "clutter.mp4", lambda partial: subprocess.run(
        [sys.executable, str(ROOT / "tools" / "make-clutter-clip.py"), str(partial), "--seconds", str(CLUTTER_SECONDS)],
        check=True))


def run(binary: str, models: str, config, video: Path, out: Path) -> list:
    """The per-frame records `occlumesh run VIDEO --jsonl` writes."""
    command = [binary, "run", str(video), "--jsonl", str(out), "--models", models]
    if config:
        command += ["--config", str(config)]
    finished = subprocess.run(command, stderr=subprocess.PIPE, text=True)
    if finished.returncode != 0:
        raise RuntimeError(f"occlumesh run {video.name} exited {finished.returncode}: {finished.stderr.strip()[-500:]}")
    return [json.loads(line) for line in out.read_text().splitlines()]


def verdict(name: str, records: list, right_of_face_limit) -> tuple:
    """(tracks, frames with a face, first, last, holds) for one video under the guard's rule for it; holds is None
    for s18's right part without a limit (reported, not judged)."""
    with_face = [record["frame"] for record in records if record["faces"]]
    tracks = {face["track"] for record in records for face in record["faces"]}
    first, last = (with_face[0], with_face[-1]) if with_face else (None, None)
    if name in CLIPS:
        holds = len(tracks) == 1 and len(with_face) == len(records) and first == 0
    elif name == "s18-right":
        holds = None if right_of_face_limit is None else len(with_face) <= right_of_face_limit
    else:
        holds = not with_face
    return len(tracks), len(with_face), first, last, holds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=str(ROOT / ".build" / "release" / "occlumesh"))
    parser.add_argument("--models", default=str(ROOT / "models"))
    parser.add_argument("--config", help="config file for occlumesh run (default: the built-in defaults)")
    parser.add_argument("--work", help="folder for the made videos and outputs (default: a temporary one)")
    parser.add_argument("--right-of-face-limit", type=int,
                        help="most frames with a face the part of s18 right of the face may have")
    args = parser.parse_args()
    if args.right_of_face_limit is not None and args.right_of_face_limit < 0:
        parser.error("--right-of-face-limit must not be negative")
    work = Path(args.work or tempfile.mkdtemp(prefix="video-guard-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"videos and outputs in {work}")
    try:
        videos = {name: VIDEOS / f"{name}.mp4" for name in CLIPS}
        videos.update(face_free_cuts(work))
        videos["sample"] = ROOT / "samples" / "sample.mp4"
        videos["clutter"] = clutter_clip(work)
        print("| video | frames | tracks | frames with a face (first–last) | holds |\n|---|---|---|---|---|")
        holds_all = True
        for name, path in videos.items():
            records = run(args.binary, args.models, args.config, path, work / f"run-{name}.jsonl")
            tracks, frames, first, last, holds = verdict(name, records, args.right_of_face_limit)
            span = f" ({first}–{last})" if frames else ""
            judged = {True: "yes", False: "NO", None: "not judged"}[holds]
            print(f"| {name} | {len(records)} | {tracks} | {frames}{span} | {judged} |", flush=True)
            holds_all &= holds is not False
    except (subprocess.CalledProcessError, RuntimeError, OSError) as error:
        print(f"video_guard: {error}", file=sys.stderr)
        return 2
    print("the guard holds" if holds_all else "the guard does not hold")
    return 0 if holds_all else 1


if __name__ == "__main__":
    sys.exit(main())
