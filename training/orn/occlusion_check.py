"""Look at and time the occlusion generators on real AFLW training crops.

The crops' 68 landmarks come from the 3DDFA_V2 teacher in `../shared/data/teacher-3ddfa` (each 120-px crop fed as it
is, as its README says), so nothing here needs the label cache.

    python -m orn.occlusion_check --sheet /tmp/occlusion-sheet.png   # every family + both second-test levels
    python -m orn.occlusion_check --bench 600                        # occlusions/s, one thread
    python -m orn.occlusion_check --bench 600 --generator OLD.py     # the same for another version of occlusion.py
      (e.g. `git show 558a9d0:training/orn/occlusion.py > /tmp/old.py`: the generator before issue 12)
"""
import argparse
import importlib.util
import time

import numpy as np
from PIL import Image, ImageDraw

from . import occlusion, paths, second_test

SIZE = 128


def real_crops(count: int = 200, seed: int = 1):
    """(images (N, 128, 128, 3) uint8, 68 landmarks (N, 68, 2) in those pixels) for random training-split crops."""
    import onnxruntime as ort
    folder = paths.DATA / "teacher-3ddfa"
    kp = np.load(folder / "keypoints68.npz")
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(folder / "mb05_120x120.onnx"), options, providers=["CPUExecutionProvider"])
    names = np.load(paths.AFLW_TRAIN / "labels.npz")["names"]
    names = [n for n in names if occlusion._training_name(str(n))]
    pick = np.random.default_rng(seed).choice(len(names), count, replace=False)
    images = np.stack([np.asarray(Image.open(paths.AFLW_TRAIN / "crops" / names[i]).convert("RGB")) for i in pick])
    x = ((images[..., ::-1].astype(np.float32) - 127.5) / 128).transpose(0, 3, 1, 2).copy()  # BGR, NCHW
    params = session.run(None, {"input": x})[0] * kp["param_std"] + kp["param_mean"]
    landmarks = []
    for p in params:
        R = p[:12].reshape(3, 4)
        v = (kp["mean_shape"] + kp["shape_basis"] @ p[12:52] + kp["expression_basis"] @ p[52:62]).reshape(68, 3)
        q = R[:, :3] @ v.T + R[:, 3:]
        landmarks.append(np.stack([q[0] - 1, paths.CROP - q[1]], 1))
    scale = SIZE / paths.CROP
    images = np.stack([np.asarray(Image.fromarray(i).resize((SIZE, SIZE), Image.BILINEAR)) for i in images])
    return images, np.array(landmarks, np.float32) * scale


def sheet(images, landmarks, path, columns: int = 6):
    """One row per family (drawn at 20-60 %) and per second-test level, one real crop per column."""
    rows = [(family, None) for family in occlusion.FAMILIES] + list(second_test.LEVELS.items())
    out = Image.new("RGB", (SIZE * columns + 140, SIZE * len(rows)), (255, 255, 255))
    draw = ImageDraw.Draw(out)
    for r, (name, level) in enumerate(rows):
        draw.text((4, r * SIZE + SIZE // 2), name + (" (held out)" if name in occlusion.HELD_OUT_FAMILIES else ""),
                  fill=(0, 0, 0))
        for c in range(columns):
            i = (c * 7 + r * 3) % len(images)
            if level is None:
                image, _ = occlusion.occlude_seeded(images[i], landmarks[i], 100 * r + c, (0.2, 0.6), (name,))
            else:
                image, _ = second_test.occlude_second(images[i], landmarks[i], 1000 + c, level)
            out.paste(Image.fromarray(image), (140 + c * SIZE, r * SIZE))
    out.save(path)


def bench(images, landmarks, count: int, generator=occlusion) -> float:
    """Occlusions per second of process time, `TRAIN_FAMILIES` at 10-60 % (what make_batch asks for)."""
    rng = np.random.default_rng(0)
    generator.occlude(images[0], landmarks[0], rng, families=generator.TRAIN_FAMILIES)
    if hasattr(generator, "texture_bank"):
        generator.texture_bank()  # loaded once per process: not part of the per-occlusion cost
    start = time.process_time()
    for k in range(count):
        i = k % len(images)
        try:
            generator.occlude(images[i], landmarks[i], rng, families=generator.TRAIN_FAMILIES, coverage=(0.1, 0.6))
        except ValueError:
            pass
    return count / (time.process_time() - start)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sheet", help="write the contact sheet PNG here")
    ap.add_argument("--bench", type=int, default=0, help="time this many occlusions")
    ap.add_argument("--generator", help="a file holding another version of orn/occlusion.py to time instead")
    ap.add_argument("--crops", type=int, default=200)
    args = ap.parse_args(argv)
    images, landmarks = real_crops(args.crops)
    if args.sheet:
        sheet(images, landmarks, args.sheet)
        print("wrote", args.sheet)
    if args.bench:
        generator = occlusion
        if args.generator:
            spec = importlib.util.spec_from_file_location("orn._other_occlusion", args.generator,
                                                          submodule_search_locations=None)
            generator = importlib.util.module_from_spec(spec)
            generator.__package__ = "orn"
            spec.loader.exec_module(generator)
        print(f"{args.generator or 'orn/occlusion.py'}: {bench(images, landmarks, args.bench, generator):.1f} "
              f"occlusions/s (process time, one thread)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
