#!/usr/bin/env python3
"""Convert the ICT-FaceKit face model into occlumesh's runtime model file (docs/face-model-format.md).

Sources:
  * an npz with the layout of ../shared/data/face-model/ict-face-light.npz (see ../shared/data/README.md), or
  * the upstream ICT-FaceKit `FaceXModel/` folder of OBJs (generic_neutral_mesh.obj, identityNNN.obj, one OBJ per
    expression named in vertex_indices.json). OBJs carry no landmarks, so this path takes them from --landmarks
    (a JSON or npz holding landmarks68, jaw_right_substitutes, jaw_left_substitutes).

The file also carries the calibrated 68-landmark definition (barycentric points on the ICT mesh), read by default from
training/assets/landmarks68_ict.npz, so the daemon, `occlumesh landmarks` and training use one definition;
--no-landmark-definition writes a file without one (its readers then use ICT's Multi-PIE vertices and the jaw rule).

Usage: convert-face-model.py SOURCE --output FILE [--identity-count 40] [--landmarks FILE]
                             [--landmark-definition NPZ | --no-landmark-definition]
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import face_model_format  # noqa: E402

# ICT-FaceKit Light: vertices 0..<9409 are the face area, 0..<11248 face + head and neck; polygons 0..<11144 cover them.
ICT_VERTEX_COUNT = 11248
ICT_FACE_AREA_VERTEX_COUNT = 9409
ICT_POLYGON_COUNT = 11144
LANDMARK_KEYS = ("landmarks68", "jaw_right_substitutes", "jaw_left_substitutes")
DEFAULT_LANDMARK_DEFINITION = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                           "training", "assets", "landmarks68_ict.npz")


def read_obj(path, with_topology, polygon_count=ICT_POLYGON_COUNT):
    """Vertices (N, 3) and, when asked, triangles (fan-split polygons) and per-vertex UVs (first corner wins)."""
    vertices, texcoords, polygons = [], [], []
    with open(path) as file:
        for line in file:
            if line.startswith("v "):
                vertices.append([float(x) for x in line.split()[1:4]])
            elif with_topology and line.startswith("vt "):
                texcoords.append([float(x) for x in line.split()[1:3]])
            elif with_topology and line.startswith("f "):
                corners = []
                for token in line.split()[1:]:
                    parts = token.split("/")
                    corners.append((int(parts[0]) - 1, int(parts[1]) - 1 if len(parts) > 1 and parts[1] else -1))
                polygons.append(corners)
    vertices = np.asarray(vertices, dtype=np.float64)
    if not with_topology:
        return vertices, None, None
    polygons = polygons[:polygon_count]
    triangles, uv = [], np.zeros((len(vertices), 2), dtype=np.float32)
    seen = np.zeros(len(vertices), dtype=bool)
    for corners in polygons:
        for vertex, texcoord in corners:
            if texcoord >= 0 and not seen[vertex]:
                uv[vertex], seen[vertex] = texcoords[texcoord], True
        for i in range(1, len(corners) - 1):
            triangles.append([corners[0][0], corners[i][0], corners[i + 1][0]])
    return vertices, np.asarray(triangles, dtype=np.int64), uv


def load_landmarks(path):
    if path is None:
        raise SystemExit("the FaceXModel OBJs carry no landmarks: pass --landmarks FILE (json or npz with "
                         + ", ".join(LANDMARK_KEYS) + ")")
    if path.endswith(".npz"):
        data = np.load(path)
        return {key: np.asarray(data[key]) for key in LANDMARK_KEYS}
    with open(path) as file:
        data = json.load(file)
    return {key: np.asarray(data[key]) for key in LANDMARK_KEYS}


def load_obj_folder(folder, landmarks_path, face_area_vertex_count, polygon_count=ICT_POLYGON_COUNT):
    """The ICT-FaceKit FaceXModel folder as a dict shaped like the npz (bases are OBJ minus neutral)."""
    with open(os.path.join(folder, "vertex_indices.json")) as file:
        names = json.load(file)["expressions"]
    neutral, triangles, uv = read_obj(os.path.join(folder, "generic_neutral_mesh.obj"), True, polygon_count)
    keep = ICT_VERTEX_COUNT

    def delta(name):
        vertices, _, _ = read_obj(os.path.join(folder, name + ".obj"), with_topology=False)
        return (vertices - neutral)[:keep]

    identities, index = [], 0
    while os.path.exists(os.path.join(folder, f"identity{index:03d}.obj")):
        identities.append(delta(f"identity{index:03d}"))
        index += 1
    if not identities:
        raise SystemExit(f"no identityNNN.obj in {folder}")
    triangles = triangles[(triangles < keep).all(axis=1)]
    model = {
        "neutral": neutral[:keep], "identity_basis": np.stack(identities),
        "expression_basis": np.stack([delta(name) for name in names]), "expression_names": names,
        "triangles": triangles, "uv": uv[:keep], "face_area_vertex_count": face_area_vertex_count,
    }
    model.update(load_landmarks(landmarks_path))
    return model


def load_source(source, landmarks_path, face_area_vertex_count=ICT_FACE_AREA_VERTEX_COUNT, polygon_count=ICT_POLYGON_COUNT):
    if not os.path.exists(source):
        raise SystemExit(f"{source}: no such file or folder")
    if os.path.isdir(source):
        return load_obj_folder(source, landmarks_path, face_area_vertex_count, polygon_count)
    data = np.load(source)
    model = {key: data[key] for key in data.files}
    if landmarks_path is not None:
        model.update(load_landmarks(landmarks_path))
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="ict-face-light.npz or an ICT-FaceKit FaceXModel/ folder")
    parser.add_argument("--output", required=True, help="runtime model file to write")
    parser.add_argument("--identity-count", type=int, default=40, help="identity modes K to keep (default 40)")
    parser.add_argument("--landmarks", help="landmark indices (json/npz) for the OBJ source")
    parser.add_argument("--face-area-vertex-count", type=int, default=ICT_FACE_AREA_VERTEX_COUNT,
                        help="OBJ source only: vertices 0..<N form the face area (ICT-FaceKit: 9409)")
    parser.add_argument("--polygon-count", type=int, default=ICT_POLYGON_COUNT,
                        help="OBJ source only: keep the first N polygons, face and head (ICT-FaceKit: 11144 quads)")
    definition = parser.add_mutually_exclusive_group()
    definition.add_argument("--landmark-definition", default=DEFAULT_LANDMARK_DEFINITION,
                            help="calibrated 68-landmark definition npz (vertices, weights); default "
                                 "training/assets/landmarks68_ict.npz")
    definition.add_argument("--no-landmark-definition", action="store_true",
                            help="write no calibrated definition (ICT's Multi-PIE vertices and the jaw rule apply)")
    arguments = parser.parse_args()
    model = load_source(arguments.source, arguments.landmarks, arguments.face_area_vertex_count, arguments.polygon_count)
    landmark_definition = None
    if not arguments.no_landmark_definition:
        if not os.path.isfile(arguments.landmark_definition):
            raise SystemExit(f"{arguments.landmark_definition}: no such landmark definition "
                             "(pass --landmark-definition NPZ or --no-landmark-definition)")
        try:
            landmark_definition = face_model_format.load_landmark_definition(arguments.landmark_definition)
        except (OSError, ValueError) as error:
            raise SystemExit(f"{arguments.landmark_definition}: {error}")
    try:
        data = face_model_format.encode(model, arguments.identity_count, landmark_definition)
    except ValueError as error:
        source = arguments.landmark_definition if "landmark definition" in str(error) else arguments.source
        raise SystemExit(f"{source}: {error}")
    temporary = arguments.output + ".partial"
    with open(temporary, "wb") as file:
        file.write(data)
    os.replace(temporary, arguments.output)
    print(f"wrote {arguments.output}: {len(data)} bytes, K={arguments.identity_count}, "
          f"{len(model['expression_names'])} expressions, "
          + (f"landmarks from {arguments.landmark_definition}" if landmark_definition else "ICT's landmark vertices"))


if __name__ == "__main__":
    main()
