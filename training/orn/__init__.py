"""occlumesh training: the Occlusion Resistant Network (Tiwari et al., WACV 2022) for the occlumesh daemon.

Modules are small and single-purpose: `paths` (where data lives), `facemodel` (ICT-FaceKit), `teacher`
(MediaPipe labels), `correspondence` (MediaPipe-468 <-> ICT), `fit` (ICT fit to teacher landmarks), `occlusion`
(synthetic occluders with per-landmark labels), `data`, `model`, `losses`, `train`, `export`.
"""
