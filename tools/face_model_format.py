"""Writer for occlumesh's runtime face-model file (format version 2, see docs/face-model-format.md).

Kept apart from the converter so the reference tool and the tests share one definition of the layout.

    python3 tools/face_model_format.py is-current FILE [--landmark-definition NPZ]

exits 0 when FILE is a model file of this version carrying exactly that landmark definition (none when the
option is absent), 1 when it must be converted again (scripts/setup.sh uses this to refresh an old file).
"""
import argparse
import struct
import sys
import zlib

import numpy as np

MAGIC = b"OCCLFACE"
VERSION = 2
# Header flags (u32 at byte 56): bit 0 = the file carries a calibrated landmark definition (sections 9 and 10).
FLAG_LANDMARK_DEFINITION = 1
LANDMARK_COUNT = 68
# Barycentric weights must lie in [0, 1] and sum to 1, both within this tolerance.
WEIGHT_TOLERANCE = 1e-3
HEADER_SIZE = 256
ALIGNMENT = 64
NAME_STRIDE = 32
CHECKSUM_OFFSET = 60
# Order of the sections in the file and in the header's offset table.
SECTIONS = (
    "neutral",            # float32 [V][3]
    "identity_basis",     # float32 [K][V][3]
    "expression_basis",   # float32 [E][V][3]
    "triangles",          # uint32  [T][3]
    "uv",                 # float32 [V][2]
    "landmarks68",        # uint32  [68]
    "jaw_right_substitutes",  # uint32 [8]
    "jaw_left_substitutes",   # uint32 [8]
    "expression_names",   # E × 32 bytes, UTF-8, NUL-padded
    "landmark_vertices",  # uint32  [68][3]  optional: calibrated definition, corners of each landmark's point
    "landmark_weights",   # float32 [68][3]  optional: its barycentric weights (rows sum to 1)
)
OPTIONAL_SECTIONS = ("landmark_vertices", "landmark_weights")
FIXED_HEADER = struct.Struct("<8sIIIIIIIIIIIIII")  # up to and including the checksum field (64 bytes)


def _aligned(offset):
    return (offset + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def partition_triangles(triangles, face_area_vertex_count):
    """Stable partition: triangles wholly inside the face area first. Returns (triangles, face-area count)."""
    inside = (triangles < face_area_vertex_count).all(axis=1)
    return np.concatenate([triangles[inside], triangles[~inside]]), int(inside.sum())


def check_landmark_definition(vertices, weights, vertex_count):
    """The calibrated definition as (uint32 [68][3], float32 [68][3]) arrays; ValueError naming what is wrong."""
    vertices, weights = np.asarray(vertices), np.asarray(weights)
    if vertices.shape != (LANDMARK_COUNT, 3) or weights.shape != (LANDMARK_COUNT, 3):
        raise ValueError(f"landmark definition has vertices {vertices.shape} and weights {weights.shape}, "
                         f"not ({LANDMARK_COUNT}, 3) each")
    if not np.issubdtype(vertices.dtype, np.integer) or vertices.min() < 0 or vertices.max() >= vertex_count:
        raise ValueError(f"landmark definition holds a vertex index outside 0..<{vertex_count}")
    weights = weights.astype(np.float32)
    if not np.isfinite(weights).all():
        raise ValueError("landmark definition holds a weight that is not finite")
    if weights.min() < -WEIGHT_TOLERANCE or weights.max() > 1 + WEIGHT_TOLERANCE:
        raise ValueError("landmark definition holds a weight outside [0, 1]")
    sums = weights.astype(np.float64).sum(axis=1)
    if np.abs(sums - 1).max() > WEIGHT_TOLERANCE:
        row = int(np.abs(sums - 1).argmax())
        raise ValueError(f"landmark definition weights of landmark {row} sum to {sums[row]:.6f}, not 1")
    return np.ascontiguousarray(vertices, dtype="<u4"), np.ascontiguousarray(weights, dtype="<f4")


def load_landmark_definition(path):
    """`vertices` and `weights` of a definition npz (as training/assets/landmarks68_ict.npz)."""
    data = np.load(path)
    missing = [key for key in ("vertices", "weights") if key not in data.files]
    if missing:
        raise ValueError(f"{path} lacks {', '.join(missing)}")
    return {"vertices": data["vertices"], "weights": data["weights"]}


def encode(model, identity_count, landmark_definition=None):
    """Bytes of a model file from a dict of arrays (keys as in the npz) keeping the first identity_count modes;
    landmark_definition ({"vertices", "weights"}, or None) is the calibrated 68-landmark definition."""
    neutral = np.ascontiguousarray(model["neutral"], dtype="<f4")
    vertex_count = neutral.shape[0]
    stored = model["identity_basis"].shape[0]
    if not 0 < identity_count <= stored:
        raise ValueError(f"identity count {identity_count} outside 1...{stored} (modes in the source)")
    face_area = int(model["face_area_vertex_count"])
    triangles, face_area_triangles = partition_triangles(np.asarray(model["triangles"]), face_area)
    names = [str(n) for n in model["expression_names"]]
    encoded_names = b""
    for name in names:
        raw = name.encode("utf-8")
        if len(raw) >= NAME_STRIDE:
            raise ValueError(f"expression name {name!r} longer than {NAME_STRIDE - 1} bytes")
        encoded_names += raw.ljust(NAME_STRIDE, b"\0")
    payloads = {
        "neutral": neutral,
        "identity_basis": np.ascontiguousarray(model["identity_basis"][:identity_count], dtype="<f4"),
        "expression_basis": np.ascontiguousarray(model["expression_basis"], dtype="<f4"),
        "triangles": np.ascontiguousarray(triangles, dtype="<u4"),
        "uv": np.ascontiguousarray(model["uv"], dtype="<f4"),
        "landmarks68": np.ascontiguousarray(model["landmarks68"], dtype="<u4"),
        "jaw_right_substitutes": np.ascontiguousarray(model["jaw_right_substitutes"], dtype="<u4"),
        "jaw_left_substitutes": np.ascontiguousarray(model["jaw_left_substitutes"], dtype="<u4"),
        "expression_names": np.frombuffer(encoded_names, dtype=np.uint8),
    }
    flags = 0
    if landmark_definition is not None:
        payloads["landmark_vertices"], payloads["landmark_weights"] = check_landmark_definition(
            landmark_definition["vertices"], landmark_definition["weights"], vertex_count)
        flags |= FLAG_LANDMARK_DEFINITION
    expression_count = payloads["expression_basis"].shape[0]
    assert payloads["identity_basis"].shape[1:] == (vertex_count, 3)
    assert payloads["expression_basis"].shape[1:] == (vertex_count, 3)
    assert payloads["uv"].shape == (vertex_count, 2)
    assert payloads["landmarks68"].shape == (68,)
    assert payloads["jaw_right_substitutes"].shape == payloads["jaw_left_substitutes"].shape
    for key in ("triangles", "landmarks68", "jaw_right_substitutes", "jaw_left_substitutes"):
        if payloads[key].size and int(payloads[key].max()) >= vertex_count:
            raise ValueError(f"{key} holds a vertex index ≥ {vertex_count}")

    offsets, cursor = [], HEADER_SIZE
    for key in SECTIONS:
        if key not in payloads:  # an optional section the file does not carry: offset 0
            offsets.append(0)
            continue
        cursor = _aligned(cursor)
        offsets.append(cursor)
        cursor += payloads[key].nbytes
    file_size = cursor
    buffer = bytearray(file_size)
    fixed = FIXED_HEADER.pack(
        MAGIC, VERSION, HEADER_SIZE, vertex_count, face_area, identity_count, stored, expression_count,
        triangles.shape[0], face_area_triangles, 68, payloads["jaw_right_substitutes"].shape[0], NAME_STRIDE, flags, 0)
    buffer[0:FIXED_HEADER.size] = fixed
    struct.pack_into("<Q", buffer, 64, file_size)
    struct.pack_into(f"<{len(SECTIONS)}Q", buffer, 72, *offsets)
    for key, offset in zip(SECTIONS, offsets):
        if key not in payloads:
            continue
        data = payloads[key].tobytes()
        buffer[offset:offset + len(data)] = data
    # The checksum covers the whole file with its own four bytes read as zero.
    struct.pack_into("<I", buffer, CHECKSUM_OFFSET, zlib.crc32(bytes(buffer)) & 0xFFFFFFFF)
    return bytes(buffer)


def decode(data):
    """Arrays of a model file (for tests and round trips); checks magic, version and checksum."""
    fields = FIXED_HEADER.unpack_from(data, 0)
    magic, version, header_size, v, face_area, k, stored, e, t, face_t, lm, jaw, stride, flags, checksum = fields
    if magic != MAGIC or version != VERSION:
        raise ValueError(f"not an occlumesh face-model file of version {VERSION}")
    zeroed = bytearray(data)
    struct.pack_into("<I", zeroed, CHECKSUM_OFFSET, 0)
    if zlib.crc32(bytes(zeroed)) & 0xFFFFFFFF != checksum:
        raise ValueError("checksum mismatch")
    offsets = struct.unpack_from(f"<{len(SECTIONS)}Q", data, 72)
    shapes = {
        "neutral": ("<f4", (v, 3)), "identity_basis": ("<f4", (k, v, 3)), "expression_basis": ("<f4", (e, v, 3)),
        "triangles": ("<u4", (t, 3)), "uv": ("<f4", (v, 2)), "landmarks68": ("<u4", (lm,)),
        "jaw_right_substitutes": ("<u4", (jaw,)), "jaw_left_substitutes": ("<u4", (jaw,)),
        "expression_names": ("u1", (e * stride,)),
        "landmark_vertices": ("<u4", (lm, 3)), "landmark_weights": ("<f4", (lm, 3)),
    }
    out = {"face_area_vertex_count": face_area, "face_area_triangle_count": face_t, "stored_identity_count": stored}
    for key, offset in zip(SECTIONS, offsets):
        if key in OPTIONAL_SECTIONS and not flags & FLAG_LANDMARK_DEFINITION:
            continue
        dtype, shape = shapes[key]
        count = int(np.prod(shape))
        out[key] = np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(shape)
    raw = out.pop("expression_names").tobytes()
    out["expression_names"] = [raw[i * stride:(i + 1) * stride].rstrip(b"\0").decode() for i in range(e)]
    return out


def is_current(path, landmark_definition_path=None):
    """Whether the file at path is a model file of this version whose landmark definition is that of
    landmark_definition_path (no definition when None). False for a missing, old or corrupt file."""
    try:
        with open(path, "rb") as file:
            data = file.read()
        stored = decode(data)
    except (OSError, ValueError, struct.error):
        return False
    if landmark_definition_path is None:
        return "landmark_vertices" not in stored
    if "landmark_vertices" not in stored:
        return False
    wanted = load_landmark_definition(landmark_definition_path)
    return (np.array_equal(stored["landmark_vertices"], np.asarray(wanted["vertices"]))
            and np.array_equal(stored["landmark_weights"], np.asarray(wanted["weights"], dtype=np.float32)))


def main():
    parser = argparse.ArgumentParser(description="Checks a face-model file (see the module's docstring).")
    commands = parser.add_subparsers(dest="command", required=True)
    current = commands.add_parser("is-current", help="exit 0 if FILE needs no new conversion, 1 if it does")
    current.add_argument("file")
    current.add_argument("--landmark-definition", help="the definition npz the file must carry")
    arguments = parser.parse_args()
    sys.exit(0 if is_current(arguments.file, arguments.landmark_definition) else 1)


if __name__ == "__main__":
    main()
