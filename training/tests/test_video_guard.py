"""The video guard's verdicts (tools/video_guard.py): what holds for a clip with a face and for face-free video."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))
import video_guard  # noqa: E402


def records(frames, faces):
    """Per-frame records as `occlumesh run --jsonl` writes them: `faces` maps a frame to its track ids."""
    return [{"frame": frame, "faces": [{"track": track} for track in faces.get(frame, [])]} for frame in range(frames)]


def test_a_clip_holds_with_one_track_on_every_frame_from_frame_zero():
    assert video_guard.verdict("d10", records(5, {f: [1] for f in range(5)}), None)[4]
    late = video_guard.verdict("d10", records(5, {f: [1] for f in range(1, 5)}), None)
    assert late[:4] == (1, 4, 1, 4) and not late[4], "frame 0 without its face"
    assert not video_guard.verdict("d6", records(5, {**{f: [1] for f in range(5)}, 3: [1, 2]}), None)[4], "two tracks"
    assert not video_guard.verdict("s18", records(5, {0: [1], 1: [1], 3: [1], 4: [1]}), None)[4], "a gap"


def test_face_free_video_holds_only_with_no_face_and_the_right_part_by_its_limit():
    assert video_guard.verdict("clutter", records(4, {}), None) == (0, 0, None, None, True)
    assert not video_guard.verdict("sample", records(4, {2: [7]}), None)[4]
    right = records(10, {f: [1] for f in range(3, 6)})
    assert video_guard.verdict("s18-right", right, None)[4] is None, "only reported without a limit"
    assert video_guard.verdict("s18-right", right, 3)[4] and not video_guard.verdict("s18-right", right, 2)[4]
