#!/usr/bin/env python3
"""Renders samples/face.mp4, the bundled clip the README's first command streams: an ICT-FaceKit face
(MIT, see ../shared/data/face-model/LICENSE-ICT-FaceKit.txt) turning its head, talking and blinking, shaded
with a skin colour, with a hand-like occluder crossing the mouth in the second half.

    python3 tools/render-sample-face.py [../shared/data/face-model/ict-face-light.npz] [samples/face.mp4]

Point-splat rendering in numpy: every triangle is sampled densely, points are z-buffered per pixel and shaded by
their triangle's normal (Lambert + ambient). Needs numpy and the ffmpeg command line.
"""
import subprocess
import sys
from pathlib import Path

import numpy as np

SIZE = 320
FRAMES = 90
FPS = 30


def rotation(yaw, pitch, roll):
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rz @ rx @ ry


def main():
    source = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/face-model/ict-face-light.npz")
    output = Path(sys.argv[2] if len(sys.argv) > 2 else "samples/face.mp4")
    model = np.load(source)
    names = [str(n) for n in model["expression_names"]]
    neutral, identity, expression = model["neutral"], model["identity_basis"], model["expression_basis"]
    triangles = model["triangles"]
    rng = np.random.default_rng(7)
    face = neutral + np.tensordot(rng.normal(0, 0.6, 10), identity[:10], axes=1)
    # Barycentric samples per triangle, enough to cover every pixel at this size.
    steps = 5
    weights = np.array([(i, j, steps - i - j) for i in range(steps + 1) for j in range(steps + 1 - i)], float) / steps
    skin = np.array([224, 172, 140], float)
    frames = bytearray()
    for frame in range(FRAMES):
        t = frame / FPS
        beta = np.zeros(len(names))
        beta[names.index("jawOpen")] = 0.35 * max(0.0, np.sin(t * 7))
        for side in ("_L", "_R"):
            beta[names.index("eyeBlink" + side)] = 1.0 if (frame % 45) in (20, 21, 22) else 0.0
            beta[names.index("mouthSmile" + side)] = 0.3 * (1 + np.sin(t * 2)) / 2
        vertices = face + np.tensordot(beta, expression, axes=1)
        r = rotation(0.45 * np.sin(t * 1.3), 0.12 * np.sin(t * 0.9), 0.06 * np.sin(t * 1.1))
        posed = vertices @ r.T
        scale = SIZE / 26.0
        screen = np.stack([SIZE / 2 + scale * posed[:, 0], SIZE * 0.52 - scale * posed[:, 1], posed[:, 2]], axis=1)
        tri = screen[triangles]
        normals = np.cross(posed[triangles[:, 1]] - posed[triangles[:, 0]], posed[triangles[:, 2]] - posed[triangles[:, 0]])
        normals /= np.linalg.norm(normals, axis=1, keepdims=True) + 1e-9
        facing = normals[:, 2] > 0
        light = np.array([0.3, 0.4, 0.87])
        light /= np.linalg.norm(light)
        shade = np.clip(normals @ light, 0, 1) * 0.75 + 0.25
        points = np.einsum("sk,tkc->tsc", weights, tri[facing]).reshape(-1, 3)
        colours = np.repeat(shade[facing], len(weights))
        x = np.clip(points[:, 0].round().astype(int), 0, SIZE - 1)
        y = np.clip(points[:, 1].round().astype(int), 0, SIZE - 1)
        pixel = y * SIZE + x
        order = np.lexsort((-points[:, 2], pixel))  # nearest (largest z) first within each pixel
        pixel, colours = pixel[order], colours[order]
        first = np.ones(len(pixel), bool)
        first[1:] = pixel[1:] != pixel[:-1]
        image = np.empty((SIZE * SIZE, 3))
        background = np.linspace(70, 110, SIZE)[:, None].repeat(SIZE, axis=1).reshape(-1)
        image[:] = background[:, None] * np.array([0.9, 0.95, 1.0])
        image[pixel[first]] = colours[first, None] * skin
        # Eyes and brows: darken the regions around the eye landmarks so the detector sees a face.
        image = image.reshape(SIZE, SIZE, 3)
        # Only to place the painted eyes, brows and mouth: ICT's own Multi-PIE vertices (which the npz has) serve, and
        # samples/face.mp4 was rendered with them. The calibrated landmark definition the daemon reports is in the
        # face-model file (docs/face-model-format.md); changing this would change the committed clip.
        landmarks = screen[model["landmarks68"]]
        yy, xx = np.mgrid[0:SIZE, 0:SIZE]
        for start, stop, colour, grow in ((36, 42, (40, 30, 30), 1.0), (42, 48, (40, 30, 30), 1.0),
                                          (17, 22, (90, 60, 45), 0.5), (22, 27, (90, 60, 45), 0.5),
                                          (48, 60, (150, 70, 70), 1.0)):
            centre = landmarks[start:stop, :2].mean(axis=0)
            radius = np.ptp(landmarks[start:stop, :2], axis=0) / 2 * grow + 1.5
            inside = ((xx - centre[0]) / radius[0]) ** 2 + ((yy - centre[1]) / radius[1]) ** 2 <= 1
            if start < 48 or beta[names.index("jawOpen")] > 0.05 or True:
                image[inside] = colour
        if frame >= FRAMES // 2:
            # A skin-toned "hand" slides over the mouth and chin in the second half.
            progress = (frame - FRAMES // 2) / (FRAMES // 2)
            mouth = landmarks[48:68, :2].mean(axis=0)
            cx = mouth[0] + (1 - progress) * SIZE * 0.5
            hand = ((xx - cx) / (SIZE * 0.13)) ** 2 + ((yy - mouth[1] - 8) / (SIZE * 0.09)) ** 2 <= 1
            image[hand] = (200, 150, 120)
        frames += np.clip(image, 0, 255).astype(np.uint8).tobytes()
    output.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{SIZE}x{SIZE}",
                    "-r", str(FPS), "-i", "-", "-c:v", "libx264", "-preset", "veryslow", "-crf", "26",
                    "-pix_fmt", "yuv420p", "-movflags", "+faststart", "-map_metadata", "-1", str(output)],
                   input=bytes(frames), check=True)
    print(f"wrote {output}")


if __name__ == "__main__":
    main()
