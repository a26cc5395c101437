#!/usr/bin/env python3
"""Numpy reference for the FaceModel tests: random coefficients and a pose, and what the Swift code must make
of them, computed in float64 from the source npz.

Writes one little-endian binary file:
  int32  V, K, E
  f64    pose: qx qy qz qw tx ty tz scale
  f64    identity[K], expression[E]
  f64    vertices[V][3]          neutral + identity·α + expression·β (whole head, centimetres)
  f64    projected[V][2]         weak perspective: (s·(Rv).x + tx, ty − s·(Rv).y)
  int32  landmark_vertices[68]   with the jaw rule of docs/face-model-format.md (switch at 20°)
  int32  D                       68 with --landmark-definition, else 0; then, when D = 68:
  f64    landmarks[68][2]        the calibrated landmarks projected: sum_i w[j][i] * projected[vertices[j][i]]
  f64    landmarks3d[68][3]      the same points posed in 3D: s·R·p + t
Usage: face-model-reference.py NPZ --identity-count K --seed S --yaw-degrees Y --output FILE [--landmark-definition NPZ]
"""
import argparse
import math

import numpy as np


def rotation_matrix(q):
    x, y, z, w = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def landmark_vertices(model, rotation, switch_degrees=20.0):
    indices = np.array(model["landmarks68"], dtype=np.int64)
    lateral_z = rotation[2, 0]  # z of the rotated +x axis (the subject's left)
    limit = math.sin(math.radians(switch_degrees))
    right, left = model["jaw_right_substitutes"], model["jaw_left_substitutes"]
    if -lateral_z > limit:
        indices[:len(right)] = right
    if lateral_z > limit:
        indices[17 - len(left):17] = left
    return indices


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("npz")
    parser.add_argument("--identity-count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--yaw-degrees", type=float, default=0.0)
    parser.add_argument("--output", required=True)
    parser.add_argument("--landmark-definition", help="calibrated definition npz (vertices, weights), as the file carries")
    arguments = parser.parse_args()
    model = np.load(arguments.npz)
    rng = np.random.default_rng(arguments.seed)
    k = arguments.identity_count
    identity = rng.standard_normal(k)
    expression_count = model["expression_basis"].shape[0]
    expression = rng.uniform(0, 1, expression_count) * (rng.uniform(0, 1, expression_count) < 0.5)
    identity32, expression32 = identity.astype(np.float32), expression.astype(np.float32)
    vertices = (model["neutral"].astype(np.float64)
                + np.tensordot(identity32.astype(np.float64), model["identity_basis"][:k].astype(np.float64), 1)
                + np.tensordot(expression32.astype(np.float64), model["expression_basis"].astype(np.float64), 1))
    # A pose: yaw as asked, plus small random pitch and roll.
    yaw = math.radians(arguments.yaw_degrees)
    pitch, roll = rng.uniform(-0.2, 0.2, 2)
    def axis_angle(axis, angle):
        return np.concatenate([np.asarray(axis) * math.sin(angle / 2), [math.cos(angle / 2)]])
    def multiply(a, b):
        av, aw, bv, bw = a[:3], a[3], b[:3], b[3]
        return np.concatenate([aw * bv + bw * av + np.cross(av, bv), [aw * bw - av @ bv]])
    q = multiply(axis_angle([0, 0, 1], roll), multiply(axis_angle([0, 1, 0], yaw), axis_angle([1, 0, 0], pitch)))
    q = q.astype(np.float32).astype(np.float64)
    q /= np.linalg.norm(q)
    translation = np.array([220.5, 231.25, 10.0])
    scale = 9.5
    rotation = rotation_matrix(q)
    rotated = vertices @ rotation.T * scale
    projected = np.stack([rotated[:, 0] + translation[0], translation[1] - rotated[:, 1]], axis=1)
    landmarks = landmark_vertices(model, rotation)
    with open(arguments.output, "wb") as file:
        file.write(np.array([vertices.shape[0], k, expression_count], dtype="<i4").tobytes())
        file.write(np.concatenate([q, translation, [scale]]).astype("<f8").tobytes())
        file.write(identity32.astype("<f8").tobytes())
        file.write(expression32.astype("<f8").tobytes())
        file.write(vertices.astype("<f8").tobytes())
        file.write(projected.astype("<f8").tobytes())
        file.write(landmarks.astype("<i4").tobytes())
        if arguments.landmark_definition is None:
            file.write(np.array([0], dtype="<i4").tobytes())
        else:
            definition = np.load(arguments.landmark_definition)
            corners = definition["vertices"].astype(np.int64)
            weights = definition["weights"].astype(np.float32).astype(np.float64)  # as the file stores them
            points = np.einsum("ji,jic->jc", weights, vertices[corners])  # (68, 3) model centimetres
            turned = points @ rotation.T * scale
            calibrated = np.stack([turned[:, 0] + translation[0], translation[1] - turned[:, 1]], axis=1)
            posed = turned + translation
            file.write(np.array([len(points)], dtype="<i4").tobytes())
            file.write(calibrated.astype("<f8").tobytes())
            file.write(posed.astype("<f8").tobytes())


if __name__ == "__main__":
    main()
