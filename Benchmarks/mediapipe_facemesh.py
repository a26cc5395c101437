"""MediaPipe FaceMesh (tracking mode, decode included) over a clip: frames per second, for Benchmarks/throughput.sh.

Usage: python mediapipe_facemesh.py CLIP [MAX_FACES]
Decodes with OpenCV (which MediaPipe's wheel depends on), converts to RGB and runs FaceMesh with
static_image_mode=False, as a video application would. Prints one JSON line: frames, seconds, fps, faces.
"""
import json
import sys
import time

import cv2
import mediapipe as mp

clip = sys.argv[1]
max_faces = int(sys.argv[2]) if len(sys.argv) > 2 else 4
capture = cv2.VideoCapture(clip)
frames = faces = 0
with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=max_faces, refine_landmarks=False) as mesh:
    start = time.perf_counter()
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        result = mesh.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
        frames += 1
        faces += len(result.multi_face_landmarks or [])
    seconds = time.perf_counter() - start
print(json.dumps({"frames": frames, "seconds": round(seconds, 3), "fps": round(frames / seconds, 1), "faces": faces}))
