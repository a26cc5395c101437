"""Fine-tune the short-range face detector for occluded faces, by the paper's method applied to detection.

The daemon finds faces with MediaPipe's short-range BlazeFace (models/face_detection_short_range.onnx, Apache-2.0).
Never trained on occlusions, it misses a large share of half-covered faces (docs/face-tracking.md), and no tracking
rule can report a face that is never detected. Here the detector itself is distilled the way ORN is: the original
network, frozen, looks at a clean frame (the occlusion-sensitive teacher); a copy (the student) looks at the same
frame with an occluder drawn on the face, under photometric changes, and learns to give every one of the 896 anchors
the teacher's clean answer: its face probability (a soft binary cross-entropy, anchors the teacher believes in
weighted up) and, where the teacher sees a face, its box and six keypoints. No box labels are made by hand: the
student is taught to answer as the same detector would if the occluder were not there.

Frames are made from the AFLW training crops (training split only; the validation split stays out): a crop is
scaled so that its face spans a share of the 128-pixel frame drawn from `face_fraction` (20-70 % by default), placed
at random with a feathered edge on a background from orn.negatives (clip backgrounds, photo borders, zoomed face
parts, face mosaics, clutter), and mirrored half of the time. `backgrounds` frames of each batch hold no face
(sometimes hands drawn where a face would be), on
which the teacher's own low scores are the target, so the student learns occluders are not faces; with
`background_weight` they are taught "no face" outright (the teacher's own false positives on blurred background
are not copied), and `background_blur` defocuses some of them as video backgrounds are. `clip_frames` adds real
frames of the clips (training split, letterboxed) that both networks see as they are: the teacher's low scores on real
video background, which no made-up frame reproduces, become the target.

The network is the ONNX graph itself, run by torch (`OnnxNetwork`): its initialisers are the parameters, so the
export writes the trained values back into the same graph, and InferenceCore runs the result unchanged.

    python -m orn.detector train configs/detector-occlusion.json     # writes runs/NAME/{ckpt.pt,log.jsonl}
    python -m orn.detector validate [--student runs/NAME/ckpt.pt]      # found rates on the validation split
    python -m orn.detector export runs/NAME/ckpt.pt [--output-dir ../models]
"""
import argparse
import copy
import hashlib
import json
import math
import time
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from PIL import Image

from . import data, memory, negatives, occlusion, paths

SOURCE = paths.TRAINING.parent / "models" / "face_detection_short_range.onnx"
SOURCE_SIDECAR = SOURCE.with_name("face_detection_short_range_mediapipe.json")  # the original's anchors, decoding
SIDE = 128  # the detector's input side, pixels
DEFAULTS = dict(faces=24, backgrounds=8, occlude_p=0.8, coverage=[0.2, 0.6], face_fraction=[0.2, 0.7], lr=1e-4,
                minutes=40.0, max_steps=10 ** 9, weights={"score": 1.0, "box": 10.0}, positive_weight=10.0,
                background_weight=0.0, background_blur=0.0, face_floor=0.0, floor_box_weight=True, clip_frames=0,
                clip_videos=None, init=None,
                checkpoint_minutes=5.0, log_every=20, seed=0, threads=1)


class OnnxNetwork(torch.nn.Module):
    """The detector's ONNX graph executed with torch operators. Conv weights and biases are parameters (named by
    their initialiser), every other initialiser a constant; the graph's own operator list (Conv, Relu, Add, Pad,
    MaxPool, Transpose, Reshape, Concat) is all it runs, and anything else is refused at construction."""

    OPERATORS = {"Conv", "Relu", "Add", "Pad", "MaxPool", "Transpose", "Reshape", "Concat"}

    def __init__(self, model: onnx.ModelProto):
        super().__init__()
        unknown = {n.op_type for n in model.graph.node} - self.OPERATORS
        if unknown:
            raise ValueError(f"detector graph uses operators this runner does not have: {sorted(unknown)}")
        # each node's operator, input and output names and attributes, read once: forward runs this list
        self.plan = [(n.op_type, [name for name in n.input if name], n.output[0],
                      {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}) for n in model.graph.node]
        trainable = {name for n in model.graph.node if n.op_type == "Conv" for name in n.input[1:]}
        self.parameter_names = {}
        self.constants = {}
        for tensor in model.graph.initializer:
            value = torch.from_numpy(numpy_helper.to_array(tensor).copy())
            if tensor.name in trainable:
                key = f"p{len(self.parameter_names)}"
                self.register_parameter(key, torch.nn.Parameter(value.float()))
                self.parameter_names[tensor.name] = key
            else:
                self.constants[tensor.name] = value
        self.input_name = model.graph.input[0].name
        self.output_names = [o.name for o in model.graph.output]

    def tensor(self, values: dict, name: str):
        if name in self.parameter_names:
            return getattr(self, self.parameter_names[name])
        return values[name] if name in values else self.constants[name]

    def forward(self, x):
        values = {self.input_name: x}
        for op, input_names, output_name, attributes in self.plan:
            values[output_name] = self.apply(op, [self.tensor(values, name) for name in input_names], attributes)
        return tuple(values[name] for name in self.output_names)

    @staticmethod
    def apply(op, inputs, attributes):
        if op == "Conv":
            top, left, bottom, right = attributes.get("pads", [0, 0, 0, 0])
            x = F.pad(inputs[0], (left, right, top, bottom))
            return F.conv2d(x, inputs[1], inputs[2] if len(inputs) > 2 else None, attributes.get("strides", [1, 1]),
                            0, attributes.get("dilations", [1, 1]), attributes.get("group", 1))
        if op == "Relu":
            return F.relu(inputs[0])
        if op == "Add":
            return inputs[0] + inputs[1]
        if op == "Pad":
            pads = [int(p) for p in inputs[1]]
            rank = len(pads) // 2
            torch_pads = []
            for axis in reversed(range(rank)):
                torch_pads += [pads[axis], pads[axis + rank]]
            return F.pad(inputs[0], torch_pads, value=float(inputs[2]) if len(inputs) > 2 else 0.0)
        if op == "MaxPool":
            top, left, bottom, right = attributes.get("pads", [0, 0, 0, 0])
            x = F.pad(inputs[0], (left, right, top, bottom), value=-math.inf)
            return F.max_pool2d(x, attributes["kernel_shape"], attributes.get("strides", attributes["kernel_shape"]))
        if op == "Transpose":
            return inputs[0].permute(*attributes["perm"])
        if op == "Reshape":
            shape = [int(s) for s in inputs[1]]
            shape[0] = inputs[0].shape[0]  # the graph was written for batch 1
            return inputs[0].reshape(shape)
        if op == "Concat":
            return torch.cat(inputs, attributes["axis"])
        raise AssertionError(op)

    def write(self, model: onnx.ModelProto) -> onnx.ModelProto:
        """A copy of `model` whose trainable initialisers hold this network's current values."""
        out = copy.deepcopy(model)
        for tensor in out.graph.initializer:
            if tensor.name in self.parameter_names:
                value = getattr(self, self.parameter_names[tensor.name]).detach().cpu().numpy()
                tensor.CopyFrom(numpy_helper.from_array(value.astype(np.float32), tensor.name))
        return out


def anchors() -> np.ndarray:
    """The short-range detector's 896 anchor centres (fractions of the frame), in its output order, as its sidecar
    lists them (`anchors.centers`, written by tools/convert-detector.py from MediaPipe's SSD anchor options)."""
    sidecar = json.load(open(SOURCE_SIDECAR))
    return np.asarray(sidecar["anchors"]["centers"], np.float32)


ANCHORS = anchors()


def boxes(regressors: np.ndarray) -> np.ndarray:
    """(..., 896, 16) regressors -> (..., 896, 4) boxes x0, y0, x1, y1 in frame fractions."""
    centre = regressors[..., :2] / SIDE + ANCHORS
    half = regressors[..., 2:4] / SIDE / 2
    return np.concatenate([centre - half, centre + half], -1)


def iou(boxes_a: np.ndarray, box: np.ndarray) -> np.ndarray:
    w = np.clip(np.minimum(boxes_a[..., 2], box[2]) - np.maximum(boxes_a[..., 0], box[0]), 0, None)
    h = np.clip(np.minimum(boxes_a[..., 3], box[3]) - np.maximum(boxes_a[..., 1], box[1]), 0, None)
    union = np.prod(boxes_a[..., 2:] - boxes_a[..., :2], -1) + np.prod(box[2:] - box[:2]) - w * h
    return np.where(union > 0, w * h / np.maximum(union, 1e-9), 0.0)


def network_input(frames: np.ndarray) -> torch.Tensor:
    """(B, 128, 128, 3) uint8 RGB -> the detector's input: NCHW, pixel / 127.5 - 1."""
    return torch.from_numpy((frames.astype(np.float32) / 127.5 - 1.0).transpose(0, 3, 1, 2).copy())


def place_face(crop: np.ndarray, landmarks: np.ndarray, background: np.ndarray, rng, face_fraction) -> tuple:
    """Scale a face crop so that its face (the 68 landmarks' box, √(w·h)) spans `face_fraction` of the frame, put it at
    a random place that keeps the face inside, blend its edge over `background` with a 6-pixel feather, and mirror
    the frame half of the time. Returns the frame (uint8) and the landmarks in frame pixels."""
    n = crop.shape[0]
    low, high = landmarks.min(0), landmarks.max(0)
    face_size = float(np.sqrt(np.prod(high - low)))
    k = rng.uniform(*face_fraction) * SIDE / face_size
    centre = (low + high) / 2 * k
    span = (high - low) * k
    lowest, highest = span / 2 + 2, SIDE - span / 2 - 2
    target = rng.uniform(lowest, np.maximum(highest, lowest))
    offset = target - centre  # frame = crop * k + offset
    inverse = (1 / k, 0.0, -offset[0] / k, 0.0, 1 / k, -offset[1] / k)
    image = Image.fromarray(crop).transform((SIDE, SIDE), Image.AFFINE, inverse, resample=Image.BILINEAR)
    ys, xs = np.mgrid[0:SIDE, 0:SIDE].astype(np.float32) + 0.5
    inside_x = np.minimum((xs - offset[0]), (n * k + offset[0]) - xs)
    inside_y = np.minimum((ys - offset[1]), (n * k + offset[1]) - ys)
    alpha = np.clip(np.minimum(inside_x, inside_y) / 6.0, 0, 1)[..., None]
    frame = (np.asarray(image, np.float32) * alpha + background.astype(np.float32) * (1 - alpha)).astype(np.uint8)
    points = landmarks * k + offset
    if rng.uniform() < 0.5:
        frame = frame[:, ::-1].copy()
        points = points.copy()
        points[:, 0] = SIDE - points[:, 0]
    return frame, points


class Frames:
    """Training (or validation) frames: faces placed on backgrounds, their occluded copies, and face-free frames."""

    def __init__(self, split: str = "train"):
        images, lab, names, _ = data.load_dataset(3.0, None, "fused", False)
        train_idx, val_idx = data.split(names)
        self.index = train_idx if split == "train" else val_idx
        self.images, self.landmarks = images, lab.lm68 * paths.CROP
        self.video = negatives.load_video(split)
        self.layout = negatives.mean_layout(self.landmarks[self.index[:2000]])
        self.clips = np.zeros((0, SIDE, SIDE, 3), np.uint8)  # real clip frames, filled when a run asks for them

    def backgrounds(self, count: int, rng) -> np.ndarray:
        faces = self.images[rng.choice(self.index, size=min(64, len(self.index)), replace=False)]
        return negatives.make(faces, self.video, count, rng, SIDE)

    def faces(self, count: int, rng, face_fraction) -> tuple:
        """`count` clean frames with one face each, and those faces' landmarks in frame pixels."""
        picks = rng.choice(self.index, size=count)
        placed = [place_face(self.images[i], self.landmarks[i], b, rng, face_fraction)
                  for i, b in zip(picks, self.backgrounds(count, rng))]
        return np.stack([p[0] for p in placed]), np.stack([p[1] for p in placed])

    def with_hands(self, background: np.ndarray, rng) -> np.ndarray:
        """Hands drawn where a face would be on a face-free frame (`negatives.hands`; unchanged when none fits)."""
        drawn = negatives.hands(background, self.layout, rng)
        return background if drawn is None else drawn


def occlude_frames(frames, points, rng, probability, coverage, families=occlusion.TRAIN_FAMILIES) -> np.ndarray:
    out = []
    for frame, marks in zip(frames, points):
        if rng.uniform() < probability:
            try:
                frame = occlusion.occlude(frame, marks, rng, families=families, coverage=tuple(coverage)).image
            except ValueError:
                pass  # the face is too small for any occluder to fit at this coverage: it stays clean
        out.append(frame)
    return np.stack(out)


def batch(frames: Frames, cfg: dict, rng) -> tuple:
    """(teacher input, student input, face boxes). Frames are uint8; the teacher sees each frame clean, the student
    occluded (with `occlude_p`) and under photometric changes; background frames are the same scene for both,
    defocused with probability `background_blur`; between them `clip_frames` real frames of the clips (training
    split), the same for both, so the teacher's answer on real video background is taught as it is. The last
    `backgrounds` rows are the face-free ones; the face boxes
    (one per face row, x0 y0 x1 y1 in frame fractions) are the placed faces' 68-landmark boxes."""
    clean, points = frames.faces(cfg["faces"], rng, cfg["face_fraction"])
    student = occlude_frames(clean, points, rng, cfg["occlude_p"], cfg["coverage"])
    backgrounds = frames.backgrounds(cfg["backgrounds"], rng)
    backgrounds = np.stack([frames.with_hands(b, rng) if rng.uniform() < 0.3 else b for b in backgrounds])
    backgrounds = np.stack([negatives.defocus(b, rng) if rng.uniform() < cfg["background_blur"] else b
                            for b in backgrounds])
    clips = frames.clips[rng.integers(len(frames.clips), size=cfg["clip_frames"])] if cfg["clip_frames"] else \
        np.zeros((0, SIDE, SIDE, 3), np.uint8)
    teacher_frames = np.concatenate([clean, clips, backgrounds])
    student_frames = np.stack([data.photometric(f, rng) for f in np.concatenate([student, clips, backgrounds])])
    face_boxes = np.concatenate([points.min(1), points.max(1)], 1) / SIDE
    return teacher_frames, student_frames, face_boxes.astype(np.float32)


def face_anchors(teacher_regressors: torch.Tensor, teacher_probability: torch.Tensor, face_boxes: np.ndarray,
                 least_probability: float = 0.1) -> torch.Tensor:
    """(F, 896) bool for the F face rows: anchors whose teacher box overlaps the placed face's landmark box with
    IoU >= 0.5 (the validation's "found" rule) and whose teacher probability is at least `least_probability` (the
    teacher saw something there): the anchors that answer for a face the teacher found but doubted."""
    decoded = boxes(teacher_regressors[:len(face_boxes)].numpy())
    overlaps = np.stack([iou(b, face) for b, face in zip(decoded, face_boxes)]) >= 0.5
    return torch.from_numpy(overlaps) & (teacher_probability[:len(face_boxes)] >= least_probability)


def distillation_loss(student, teacher, cfg, face_free: int = 0, face_boxes: np.ndarray | None = None) -> tuple:
    """Soft cross-entropy of every anchor's face probability towards the teacher's (anchors the teacher believes in
    weigh 1 + positive_weight·p), and the L1 distance of box and keypoints (in units of 8 pixels) where the teacher's
    probability exceeds 0.5, weighted by it. With `background_weight` > 0 the last `face_free` rows (frames made
    without a face) are taught 0 instead of the teacher's answer, with that weight: the teacher's own false
    positives are not copied. With `face_floor` > 0 and the face rows' `face_boxes` given, the anchors that answer
    for the placed face (`face_anchors`) are taught at least that probability: the faces are known to be there, so
    a profile or dim face the teacher only half believes in is not taught to stay doubtful. The box loss is weighted
    by the floored target (`floor_box_weight`, runs c-g) or by the teacher's own probability: the floor then teaches
    a doubted anchor to fire without also teaching it the teacher's box, which is a poor one where the teacher doubts."""
    (student_regressors, student_logits), (teacher_regressors, teacher_logits) = student, teacher
    target = torch.sigmoid(teacher_logits[..., 0])
    teacher_probability = target
    if cfg["face_floor"] > 0 and face_boxes is not None and len(face_boxes):
        floor = face_anchors(teacher_regressors, target, face_boxes)
        target = target.clone()
        target[:len(face_boxes)] = torch.where(floor, target[:len(face_boxes)].clamp(min=cfg["face_floor"]),
                                               target[:len(face_boxes)])
    weight = 1 + cfg["positive_weight"] * target
    if cfg["background_weight"] > 0 and face_free > 0:
        target = target.clone()
        weight = weight.clone()
        target[-face_free:] = 0.0
        weight[-face_free:] = cfg["background_weight"]
    score = (F.binary_cross_entropy_with_logits(student_logits[..., 0], target, reduction="none") * weight).sum(1).mean()
    box_weight = target
    if not cfg["floor_box_weight"]:
        box_weight = teacher_probability.clone()
        if cfg["background_weight"] > 0 and face_free > 0:
            box_weight[-face_free:] = 0.0
    confident = box_weight * (box_weight > 0.5)
    box = ((student_regressors - teacher_regressors).abs().mean(-1) / 8.0 * confident).sum(1).mean()
    w = cfg["weights"]
    return w["score"] * score + w["box"] * box, dict(score=float(score), box=float(box))


def load_config(path) -> dict:
    cfg = json.loads(json.dumps(DEFAULTS))
    for key, value in json.load(open(path)).items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            cfg[key].update(value)
        else:
            cfg[key] = value
    return cfg


def train(cfg: dict, run: str) -> None:
    torch.set_num_threads(int(cfg["threads"]))
    memory.keep_freed_memory()  # each step reuses the last one's buffers instead of faulting them in
    torch.manual_seed(cfg["seed"])
    out = paths.RUNS / run
    out.mkdir(parents=True, exist_ok=True)
    source = onnx.load(SOURCE)
    teacher, student = OnnxNetwork(source).eval(), OnnxNetwork(source)
    for p in teacher.parameters():
        p.requires_grad_(False)
    opt = torch.optim.Adam(student.parameters(), lr=cfg["lr"])
    state = dict(step=0, elapsed=0.0)
    ckpt = out / "ckpt.pt"
    if ckpt.exists():
        saved = torch.load(ckpt)
        student.load_state_dict(saved["model"])
        opt.load_state_dict(saved["optimizer"])
        state = saved["state"]
        print(f"resumed {run} at step {state['step']}", flush=True)
    elif cfg["init"]:
        student.load_state_dict(torch.load(paths.TRAINING / cfg["init"])["model"])
        print(f"{run} starts from {cfg['init']}", flush=True)
    json.dump(dict(config=cfg, source=str(SOURCE.name), source_sha256=sha256(SOURCE)), open(out / "config.json", "w"))
    frames = Frames("train")
    if cfg["clip_frames"]:
        frames.clips = clip_frames("train", videos=cfg["clip_videos"])
    rng = np.random.default_rng(cfg["seed"] + state["step"])
    budget, t_start, t_ckpt = cfg["minutes"] * 60, time.time() - state["elapsed"], time.time()
    log = open(out / "log.jsonl", "a")

    def save():
        state["elapsed"] = time.time() - t_start
        torch.save(dict(model=student.state_dict(), optimizer=opt.state_dict(), state=state), ckpt)

    while time.time() - t_start < budget and state["step"] < cfg["max_steps"]:
        frac = (time.time() - t_start) / budget
        lr = cfg["lr"] * min(1.0, (state["step"] + 1) / 50) * 0.5 * (1 + math.cos(math.pi * frac))
        for g in opt.param_groups:
            g["lr"] = lr
        teacher_frames, student_frames, face_boxes = batch(frames, cfg, rng)
        with torch.no_grad():
            target = teacher(network_input(teacher_frames))
        loss, logs = distillation_loss(student(network_input(student_frames)), target, cfg, cfg["backgrounds"],
                                       face_boxes)
        opt.zero_grad()
        loss.backward()
        opt.step()
        state["step"] += 1
        if state["step"] % cfg["log_every"] == 0:
            print(json.dumps(dict(step=state["step"], t=round(time.time() - t_start, 1), lr=lr, **logs)), file=log, flush=True)
        if time.time() - t_ckpt > cfg["checkpoint_minutes"] * 60:
            save()
            t_ckpt = time.time()
    save()
    print(f"done {run}: {state['step']} steps, {(time.time() - t_start) / 60:.1f} min", flush=True)


def sha256(path) -> str:
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def found_scores(network, frames: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Per frame, the best face probability among anchors whose box overlaps the face's landmark box (IoU >= 0.5)."""
    with torch.no_grad():
        regressors, logits = network(network_input(frames))
    probability = torch.sigmoid(logits[..., 0]).numpy()
    box = boxes(regressors.numpy())
    out = []
    for b, p, marks in zip(box, probability, points):
        face = np.concatenate([marks.min(0), marks.max(0)]) / SIDE
        match = iou(b, face) >= 0.5
        out.append(p[match].max() if match.any() else 0.0)
    return np.asarray(out)


def validate(student_path=None, count: int = 559, seed: int = 7, onnx_path=None) -> dict:
    """Found rates on validation faces (never trained on) placed on validation backgrounds: clean, heavy (40-60 %)
    with the training families, heavy with the held-out families; the share of face-free frames (with hands in a
    third) where any anchor reaches 0.5; each also in either orientation (`either_way`: as it is or in the mirror
    image) and in any of the daemon's views (`any_view`: upright, mirrored, or turned 20 degrees either way, the
    daemon's second looks where the detector finds nothing, FaceTracker.secondLooks); and the share of the clips'
    frames with a detection away from the speaker (`second_detections`). Same frames for every network (fixed seed)."""
    rng = np.random.default_rng(seed)
    frames = Frames("validation")
    clean, points = frames.faces(count, rng, (0.2, 0.7))
    sets = {"clean": clean,
            "heavy": occlude_frames(clean, points, np.random.default_rng(seed + 1), 1.0, (0.4, 0.6)),
            "heavy_held_out": occlude_frames(clean, points, np.random.default_rng(seed + 2), 1.0, (0.4, 0.6),
                                             occlusion.HELD_OUT_FAMILIES)}
    backgrounds = frames.backgrounds(count, rng)
    backgrounds = np.stack([frames.with_hands(b, rng) if i % 3 == 0 else b for i, b in enumerate(backgrounds)])
    networks = {"original": OnnxNetwork(onnx.load(SOURCE)).eval()}
    if student_path:
        student = OnnxNetwork(onnx.load(SOURCE))
        student.load_state_dict(torch.load(student_path)["model"])
        networks["student"] = student.eval()
    if onnx_path:  # an exported network, e.g. the shipped one whose checkpoint is gone
        networks[Path(onnx_path).stem] = OnnxNetwork(onnx.load(onnx_path)).eval()
    mirrored_points = points.copy()
    mirrored_points[..., 0] = SIDE - points[..., 0]
    report = {}
    for name, network in networks.items():
        row = {}
        for level, images in sets.items():
            scores = found_scores(network, images, points)
            row[level] = {f">={t}": round(float((scores >= t).mean()), 4) for t in (0.5, 0.7)}
            # the daemon's second looks where it finds nothing: the same network on the mirror image, then turned
            mirrored = found_scores(network, np.ascontiguousarray(images[:, :, ::-1]), mirrored_points)
            row[level]["either_way>=0.5"] = round(float((np.maximum(scores, mirrored) >= 0.5).mean()), 4)
            turned = [found_scores(network, *turn(images, points, degrees)) for degrees in TILTS]
            row[level]["any_view>=0.5"] = round(float((np.maximum.reduce([scores, mirrored] + turned) >= 0.5).mean()), 4)
        with torch.no_grad():
            top = torch.sigmoid(network(network_input(backgrounds))[1][..., 0]).max(1).values.numpy()
            top_mirrored = torch.sigmoid(network(network_input(np.ascontiguousarray(backgrounds[:, :, ::-1])))[1][..., 0])
        row["background"] = {f">={t}": round(float((top >= t).mean()), 4) for t in (0.5, 0.7)}
        row["background"]["either_way>=0.5"] = round(float((np.maximum(top, top_mirrored.max(1).values.numpy()) >= 0.5)
                                                            .mean()), 4)
        with torch.no_grad():
            top_turned = [torch.sigmoid(network(network_input(turn(backgrounds, np.zeros((len(backgrounds), 1, 2)),
                                                                   degrees)[0]))[1][..., 0]).max(1).values.numpy()
                          for degrees in TILTS]
        row["background"]["any_view>=0.5"] = round(float((np.maximum.reduce(
            [top, top_mirrored.max(1).values.numpy()] + top_turned) >= 0.5).mean()), 4)
        report[name] = row
    for name, share in second_detections(networks).items():
        report[name]["video_second_detection"] = {">=0.5": share}
    for name, row in report.items():
        print(name, json.dumps(row), flush=True)
    return report


TILTS = (20.0, -20.0)  # the daemon's turned second looks (FaceTracker.secondLooks), degrees


def turn(frames: np.ndarray, points: np.ndarray, degrees: float) -> tuple:
    """Frames (N, SIDE, SIDE, 3) turned by `degrees` about their centre (black where nothing was), and their points
    (N, K, 2) moved with them (data.Geometry, the training augmentation's map): a face the daemon finds in a turned
    view of the input."""
    geometry = data.Geometry(1.0, float(np.radians(degrees)), np.zeros(2, np.float32), False)
    images = np.stack([data.warp(frame, geometry, SIDE) for frame in frames])
    return images, geometry.apply_points(points / SIDE) * SIDE


def blended_box(box: np.ndarray, probability: np.ndarray, least: float = 0.5, overlap: float = 0.3):
    """The daemon's detection of one frame's best face: the highest anchor at or above `least`, blended (weighted by
    score) with every anchor at or above `least` that overlaps it by IoU > `overlap` (MediaPipe's weighted
    non-maximum suppression, the sidecar's min_suppression_threshold). None when no anchor reaches `least`."""
    keep = np.flatnonzero(probability >= least)
    if len(keep) == 0:
        return None
    best = keep[np.argmax(probability[keep])]
    group = keep[iou(box[keep], box[best]) > overlap]
    weights = probability[group][:, None]
    return (box[group] * weights).sum(0) / weights.sum() if weights.sum() > 0 else box[best]


def detections(box: np.ndarray, probability: np.ndarray, least: float = 0.5, overlap: float = 0.3) -> list:
    """Every detection of one frame after weighted non-maximum suppression (`blended_box` repeated on the anchors
    no earlier detection absorbed), best first."""
    remaining = np.flatnonzero(probability >= least)
    found = []
    while len(remaining):
        best = remaining[np.argmax(probability[remaining])]
        found.append(blended_box(box[remaining], probability[remaining], least, overlap))
        remaining = remaining[iou(box[remaining], box[best]) <= overlap]
    return found


def letterbox(rgb: np.ndarray) -> np.ndarray:
    """A frame scaled to fit SIDE x SIDE (aspect kept, black bars centred), as the daemon feeds the detector."""
    h, w = rgb.shape[:2]
    scale = SIDE / max(h, w)
    resized = np.asarray(Image.fromarray(rgb).resize((max(1, round(w * scale)), max(1, round(h * scale))),
                                                     Image.BILINEAR))
    out = np.zeros((SIDE, SIDE, 3), np.uint8)
    y0, x0 = (SIDE - resized.shape[0]) // 2, (SIDE - resized.shape[1]) // 2
    out[y0:y0 + resized.shape[0], x0:x0 + resized.shape[1]] = resized
    return out


def clip_frames(split: str, every: int = 5, videos: list | None = None, with_names: bool = False):
    """Every `every`-th frame of the clips (all three, or the stems named in `videos`), letterboxed to the
    detector's input, of one split ('train' | 'val'), split by frame as the video negatives are
    (`negatives.load_video`): validation never sees a training frame. With `with_names`, (frames, names) with
    names 'negative/<clip>/<frame index>'."""
    from . import teacher
    names, images = [], []
    for video in sorted(paths.VIDEOS.glob("*.mp4")):
        if videos is not None and video.stem not in videos:
            continue
        for index, rgb in teacher.video_frames(video, every):
            names.append(f"negative/{video.stem}/{index:05d}")
            images.append(letterbox(rgb))
    train, val = data.split(names, val_fraction=0.15)
    chosen = train if split == "train" else val
    if with_names:
        return np.stack(images)[chosen], [names[i] for i in chosen]
    return np.stack(images)[chosen]


def second_detections(networks: dict, split: str = "val") -> dict:
    """Real-video background: on the clips' frames of `split` (`clip_frames`; one speaker each), the share of frames
    where a network reports a detection (>= 0.5, after weighted NMS) away from the speaker's face (IoU < 0.3 with the
    original network's best detection), over all clips and per clip (a clip whose frames a run did not train on,
    `clip_videos`, is a held-out check). The synthetic face-free frames do not hold what video background does."""
    frames, names = clip_frames(split, with_names=True)
    clips = np.array([name.split("/")[1] for name in names])
    outputs = {}
    for name, network in networks.items():
        with torch.no_grad():
            regressors, logits = network(network_input(frames))
        outputs[name] = (boxes(regressors.numpy()), torch.sigmoid(logits[..., 0]).numpy())
    faces = [detections(b, p, least=0.0)[0] for b, p in zip(*outputs["original"])]
    report = {}
    for name, (decoded, probability) in outputs.items():
        away = [any(iou(found[None], face)[0] < 0.3 for found in detections(b, p))
                for b, p, face in zip(decoded, probability, faces)]
        away = np.array(away)
        report[name] = {"all": round(float(away.mean()), 4),
                        **{clip: round(float(away[clips == clip].mean()), 4) for clip in sorted(set(clips))}}
    return report


def framing(onnx_path, count: int = 3000, seed: int = 21) -> dict:
    """The crop framing for detector boxes (`crop.framing.detection` of models/orn.json), measured on training faces:
    each training crop (the 3DDFA-style framing the regressor learned) is placed clean on a training background, the
    detector's blended box is found, and the crop's side over the box's larger side (`side_scale`) and the offset of
    the crop's centre from the box's, in that side (`centre_shift`), are collected. Medians and 5-95 % ranges."""
    rng = np.random.default_rng(seed)
    frames = Frames("train")
    network = OnnxNetwork(onnx.load(onnx_path)).eval()
    scales, shifts = [], []
    for start in range(0, count, 64):
        picks = rng.choice(frames.index, size=min(64, count - start))
        placed = [place_face(frames.images[i], frames.landmarks[i], b, rng, (0.2, 0.7))
                  for i, b in zip(picks, frames.backgrounds(len(picks), rng))]
        images = np.stack([p[0] for p in placed])
        with torch.no_grad():
            regressors, logits = network(network_input(images))
        decoded = boxes(regressors.numpy()) * SIDE
        probability = torch.sigmoid(logits[..., 0]).numpy()
        for i, (image, points), box, p in zip(picks, placed, decoded, probability):
            found = blended_box(box, p)
            marks = frames.landmarks[i]
            face = np.concatenate([points.min(0), points.max(0)])
            if found is None or iou(found[None], face)[0] < 0.5:
                continue
            # The crop's square in frame pixels: the same similarity that placed the landmarks (x mirrored or not).
            k = np.ptp(points[:, 1]) / np.ptp(marks[:, 1])
            mirrored = np.sign(points[16, 0] - points[0, 0]) != np.sign(marks[16, 0] - marks[0, 0])
            half = frames.images[i].shape[0] / 2
            centre_in_crop = np.array([half - marks[:, 0].mean(), half - marks[:, 1].mean()]) * k
            if mirrored:
                centre_in_crop[0] = -centre_in_crop[0]
            crop_centre = points.mean(0) + centre_in_crop
            side = max(found[2] - found[0], found[3] - found[1])
            scales.append(2 * half * k / side)
            shifts.append((crop_centre - (found[:2] + found[2:]) / 2) / side)
    scales, shifts = np.asarray(scales), np.asarray(shifts)
    report = dict(faces=int(len(scales)), of=count, side_scale=round(float(np.median(scales)), 4),
                  side_scale_5_95=[round(float(v), 4) for v in np.quantile(scales, [0.05, 0.95])],
                  centre_shift=[round(float(v), 4) for v in np.median(shifts, 0)],
                  centre_shift_y_5_95=[round(float(v), 4) for v in np.quantile(shifts[:, 1], [0.05, 0.95])])
    print(json.dumps(report), flush=True)
    return report


def export(checkpoint, output_dir) -> None:
    """Write the fine-tuned detector (the original graph with the trained weights) as
    face_detection_short_range_occlusion.onnx, and face_detection_short_range.json, the sidecar the daemon and
    `occlumesh` load: the original's (face_detection_short_range_mediapipe.json) naming the new network, with the
    run that trained it."""
    source = onnx.load(SOURCE)
    network = OnnxNetwork(source)
    saved = torch.load(checkpoint)
    network.load_state_dict(saved["model"])
    model_path = output_dir / "face_detection_short_range_occlusion.onnx"
    onnx.save(network.write(source), model_path)
    run = json.load(open(Path(checkpoint).parent / "config.json"))
    sidecar = json.load(open(SOURCE_SIDECAR))
    sidecar.update(model=model_path.name, onnx_sha256=sha256(model_path),
                   source=f"{SOURCE.name} (MediaPipe's short-range BlazeFace, converted by tools/convert-detector.py), "
                          "fine-tuned for occluded faces by training/orn/detector.py",
                   source_sha256=sha256(SOURCE), converter="training/orn/detector.py export",
                   license="Apache-2.0 (see models/LICENSE-mediapipe.txt); the weights are modified by fine-tuning",
                   training=dict(run=Path(checkpoint).parent.name, steps=saved["state"]["step"], config=run["config"]))
    with open(output_dir / "face_detection_short_range.json", "w") as file:
        json.dump(sidecar, file, indent=1)
        file.write("\n")
    print(f"wrote {model_path} and face_detection_short_range.json", flush=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("config")
    t.add_argument("--run", default=None)
    v = sub.add_parser("validate")
    v.add_argument("--student", default=None)
    v.add_argument("--count", type=int, default=559)
    v.add_argument("--onnx", default=None, help="also an exported network (e.g. ../models/face_detection_short_range_occlusion.onnx)")
    f = sub.add_parser("framing")
    f.add_argument("--onnx", default=None, help="the detector network (default: the one the shipped sidecar names)")
    f.add_argument("--count", type=int, default=3000)
    e = sub.add_parser("export")
    e.add_argument("checkpoint")
    e.add_argument("--output-dir", default=str(paths.TRAINING.parent / "models"))
    args = ap.parse_args(argv)
    if args.command == "train":
        train(load_config(args.config), args.run or Path(args.config).stem)
    elif args.command == "validate":
        validate(args.student, args.count, onnx_path=args.onnx)
    elif args.command == "framing":
        shipped = paths.TRAINING.parent / "models" / "face_detection_short_range.json"
        framing(args.onnx or shipped.with_name(json.load(open(shipped))["model"]), args.count)
    else:
        export(args.checkpoint, Path(args.output_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
