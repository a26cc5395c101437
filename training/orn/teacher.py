"""Teacher labels: MediaPipe Face Landmarker on every clean training image, cached once.

The teacher (the paper's weak, occlusion-sensitive labeller) gives, per face, 478 landmarks, 52 blendshape
scores and a 4x4 head pose. We run it on the 19,080 AFLW training crops and on face crops cut from frames of
the three videos, and store everything in crop pixel coordinates (x, y; z in the same pixel scale as x) in
`training/cache/teacher/{aflw,video}.npz`.

The 120x120 crops are too tight and too small for MediaPipe's BlazeFace detector, so each crop is tried at a
few framings (upscaled and padded) until one detects a face; landmarks are mapped back into the crop.

Needs `mediapipe==0.10.21` (setup.sh --teacher). Run: `python -m orn.teacher [--limit N]` from training/.
"""
import argparse
import sys
import time

import numpy as np

from . import paths

# (upscaled side, padding each side) tried in order; the image handed to MediaPipe is side + 2*pad square.
FRAMINGS = [(192, 32), (256, 0), (160, 48), (128, 64)]


def make_landmarker(min_conf: float = 0.3):
    """A MediaPipe FaceLandmarker in IMAGE mode with blendshapes and pose matrices."""
    from mediapipe.tasks.python import BaseOptions, vision
    opts = vision.FaceLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(paths.TEACHER_TASK)),
        running_mode=vision.RunningMode.IMAGE, num_faces=1,
        output_face_blendshapes=True, output_facial_transformation_matrixes=True,
        min_face_detection_confidence=min_conf, min_face_presence_confidence=min_conf)
    return vision.FaceLandmarker.create_from_options(opts)


def detect(landmarker, rgb: np.ndarray):
    """Run the teacher on one RGB uint8 image. Returns (lm478 (478,3) in that image's pixels, blend52, pose 4x4) or None."""
    import mediapipe as mp
    res = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb)))
    if not res.face_landmarks:
        return None
    h, w = rgb.shape[:2]
    lm = np.array([(p.x * w, p.y * h, p.z * w) for p in res.face_landmarks[0]], np.float32)
    blend = np.array([c.score for c in res.face_blendshapes[0]], np.float32)
    pose = np.array(res.facial_transformation_matrixes[0], np.float32)
    return lm, blend, pose


def blendshape_names(landmarker, rgb: np.ndarray):
    import mediapipe as mp
    res = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb)))
    return [c.category_name for c in res.face_blendshapes[0]] if res.face_blendshapes else None


def detect_crop(landmarker, crop: np.ndarray):
    """Try the framings in turn on a square crop; landmarks come back in the crop's own pixels."""
    import cv2
    n = crop.shape[0]
    for side, pad in FRAMINGS:
        img = cv2.resize(crop, (side, side), interpolation=cv2.INTER_CUBIC)
        if pad:
            img = cv2.copyMakeBorder(img, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
        out = detect(landmarker, img)
        if out is not None:
            lm, blend, pose = out
            lm = lm.copy()
            lm[:, :2] -= pad
            lm *= n / side
            return lm, blend, pose
    return None


def label_aflw(limit: int | None = None) -> None:
    import cv2
    labels = np.load(paths.AFLW_TRAIN / "labels.npz")
    names = labels["names"][:limit] if limit else labels["names"]
    landmarker = make_landmarker()
    N = len(names)
    lms = np.zeros((N, 478, 3), np.float32)
    blends = np.zeros((N, 52), np.float32)
    poses = np.zeros((N, 4, 4), np.float32)
    ok = np.zeros(N, bool)
    t0 = time.time()
    for i, name in enumerate(names):
        crop = cv2.cvtColor(cv2.imread(str(paths.AFLW_TRAIN / "crops" / name)), cv2.COLOR_BGR2RGB)
        out = detect_crop(landmarker, crop)
        if out is not None:
            lms[i], blends[i], poses[i] = out
            ok[i] = True
        if i % 1000 == 0:
            print(f"aflw {i}/{N} ok={ok[:i + 1].mean():.3f} {time.time() - t0:.0f}s", flush=True)
    names_bs = blendshape_names(landmarker, cv2.cvtColor(cv2.imread(str(paths.AFLW_TRAIN / "crops" / names[int(np.argmax(ok))])), cv2.COLOR_BGR2RGB)) if ok.any() else None
    out_path = paths.CACHE / "teacher" / "aflw.npz"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_path, names=names, ok=ok, lm478=lms, blend52=blends, pose=poses,
                        blend_names=np.array(names_bs or []))
    print(f"aflw done: {ok.sum()}/{N} faces labelled in {time.time() - t0:.0f}s -> {out_path}", flush=True)


def square_box(lm: np.ndarray, scale: float = 1.5):
    """A square box around landmarks: centred on their bounding box, side = scale * its larger side."""
    lo, hi = lm[:, :2].min(0), lm[:, :2].max(0)
    c = (lo + hi) / 2
    s = scale * (hi - lo).max()
    return np.array([c[0] - s / 2, c[1] - s / 2, c[0] + s / 2, c[1] + s / 2], np.float32)


def crop_box(rgb: np.ndarray, box: np.ndarray, size: int = paths.CROP) -> np.ndarray:
    """Cut box (x0,y0,x1,y1, may leave the image: black fill) and resize to size x size."""
    import cv2
    x0, y0, x1, y1 = box
    k = size / (x1 - x0)
    M = np.array([[k, 0, -x0 * k], [0, k, -y0 * k]], np.float32)
    return cv2.warpAffine(rgb, M, (size, size), flags=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT)


def video_frames(video, every: int = 1):
    """(frame index, RGB frame) for every `every`-th frame of a video file, decoded by the ffmpeg tool (the same
    FFmpeg the daemon links), so reading clips needs no OpenCV."""
    import json
    import subprocess
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "stream=width,height",
                            "-of", "json", str(video)], capture_output=True, text=True)
    streams = json.loads(probe.stdout or "{}").get("streams", []) if probe.returncode == 0 else []
    if not streams:
        raise ValueError(f"{video}: no video stream ({probe.stderr.strip() or 'ffprobe found none'})")
    width, height = int(streams[0]["width"]), int(streams[0]["height"])
    if not (0 < width <= 16384 and 0 < height <= 16384):
        raise ValueError(f"{video}: implausible frame size {width}x{height}")
    frame_bytes = width * height * 3
    decoder = subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-i", str(video), "-map", "0:v:0",
                                "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        index = 0
        while True:
            data = decoder.stdout.read(frame_bytes)
            if len(data) < frame_bytes:
                break
            if index % every == 0:
                yield index, np.frombuffer(data, np.uint8).reshape(height, width, 3).copy()
            index += 1
    finally:
        decoder.stdout.close()
        decoder.kill()
        decoder.wait()


def label_videos(every: int = 3, box_scale: float = 1.5) -> None:
    """Frames from each video (every `every`-th): detect on the full frame, cut a square crop around the face
    (framing close to AFLW's), re-label that crop exactly as AFLW crops are labelled, and store crop + labels."""
    landmarker = make_landmarker()
    crops, lms, blends, poses, names = [], [], [], [], []
    t0 = time.time()
    for video in sorted(paths.VIDEOS.glob("*.mp4")):
        idx = 0
        for idx, rgb in video_frames(video, every):
            full = detect(landmarker, rgb)
            if full is not None:
                crop = crop_box(rgb, square_box(full[0], box_scale))
                out = detect_crop(landmarker, crop)
                if out is not None:
                    crops.append(crop)
                    lms.append(out[0]); blends.append(out[1]); poses.append(out[2])
                    names.append(f"{video.stem}/{idx:05d}")
        print(f"video {video.name}: frames up to {idx}, {len(names)} crops so far, {time.time() - t0:.0f}s", flush=True)
    out_path = paths.CACHE / "teacher" / "video.npz"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(out_path, names=np.array(names), ok=np.ones(len(names), bool), crops=np.stack(crops),
                        lm478=np.stack(lms), blend52=np.stack(blends), pose=np.stack(poses))
    print(f"videos done: {len(names)} crops -> {out_path}", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="label only the first N AFLW crops")
    ap.add_argument("--skip-aflw", action="store_true")
    ap.add_argument("--skip-video", action="store_true")
    args = ap.parse_args(argv)
    if not args.skip_video:
        label_videos()
    if not args.skip_aflw:
        label_aflw(args.limit)


if __name__ == "__main__":
    sys.exit(main())
