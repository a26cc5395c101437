"""Train the baseline (clean) or the ORN student (multi-occlusion distillation), with checkpoint and resume.

    python -m orn.train configs/student.json [--minutes M] [--run NAME]

A config (JSON) names: mode ("baseline" | "student"), model (K, width, input, feature), faces per batch, copies V
(student >= 3), occlusion probability and coverage, loss weights, learning rate, the time budget in minutes (the
learning-rate schedule is a cosine over the budget, so a run ends on time on any machine), a step cap, and optionally
`init`: a checkpoint (path relative to training/) whose network weights start the run — the student starts from the
trained baseline, so the occlusion training adds robustness instead of relearning clean faces from scratch; a
checkpoint of a narrower network (smaller `model.width`) starts a wider one with its function (orn.widen) — and
`labels`: the `orn.fit` cache folder to train against (`fit`, teacher only, the default; `fit-annotated`), and
`teacher_misses`: also train on the AFLW crops the teacher misses, labelled by `orn.annotation_fit` (pose and
landmarks only), and `clean_anchor`: keep the first copy of every face clean and train the occluded copies towards
the network's own clean answer too (needs copies >= 2 and a `weights.anchor` > 0; see orn/losses.py), and
`negatives`: background crops per step (orn.negatives) that train the face score (0: none), a `negatives_defocused`
share of them thrown out of focus (orn.negatives.defocus), `negatives_hands`: add the `hands` kind (hands over a
featureless skin oval, orn.negatives.hands_on_skin) to them, `negatives_banded`: the share of them given black edge
bands (orn.negatives.black_bands, as the daemon's crops near a frame's edge), `positives_banded`: the share of the
occluded copies given such bands too (data.make_batch's `edge_bands`), so that bands say neither face nor background, and `init_onnx`: an
exported model (path relative to training/) whose weights start the run when no checkpoint is at hand (orn.warm_start),
and `occlusion_warmup`: the fraction of the time budget over which the occlusion probability rises linearly from 0 to
`occlude_p`, so that a student trained from scratch first learns clean faces, as the baseline it would otherwise start
from did (0: occluded from the first step), and `lr_schedule`: "cosine" over the budget (the default) or "constant" (after the
same 100-step warm-up), and `weight_average`: {"start": fraction of the budget, "decay": d} keeps an average of the
network's weights and BatchNorm statistics from that point on — an exponential one when 0 < d < 1, an equal-weight one
(stochastic weight averaging) when d is 0 — because an average over a converged run's last steps lies nearer the middle
of the minimum than any one step; it is saved as ckpt-average.pt, a checkpoint every other tool reads like ckpt.pt,
and `trainable`: "all" (the default) or "face": only the face output's row of the head learns (every other weight and
every BatchNorm statistic stays as `init` left it, so the landmarks cannot move), for retuning the face score of a
network whose landmarks are worth keeping, and `framing`: {"scale": s, "shift": d, "fill": f}, how far each training
crop's zoom (exp(±s)) and shift (±d of the crop per axis) are jittered, and whether what a zoomed-out or shifted crop
shows beyond the photo's crop is black or the crop mirrored at its edges ("reflect") — the daemon frames a new face on
the detector's box, which on a covered face in a whole picture sits further off than the default (0.1, 0.05) reaches
(docs/face-tracking.md), and
`negatives_framed`: the background crops get the same zoom, shift and fill as the faces (otherwise only a mirror), so
that a wider framing cannot become a sign of a face, and `data_workers`: 0 (the default) draws each step's batch in the
training process; 1 draws it in a worker process a step or two ahead (`StepData`), the same batches in the same
order (the occlusion probability read from the clock a step or two early, which only an `occlusion_warmup` would
notice), so that a run given a second core spends its own on the network (a quarter of a step is drawing the batch).
`continues`: the checkpoint (path relative to training/) of a run this config carries on — its optimizer, weights,
step count and weight average — copied into the run's folder when that holds no checkpoint yet; the run refuses to
start when it is missing, rather than begin a chain that is judged as a continuation somewhere else.
Runs write to training/runs/NAME/: ckpt.pt (every `checkpoint_minutes` and at the end; a restart resumes from it),
log.jsonl, config.json. CPU by default; CUDA when available (never required).
"""
import argparse
import json
import math
import shutil
import time
from dataclasses import asdict

import numpy as np
import torch

from . import data, facemodel, losses, memory, negatives, occlusion, paths
from .model import ORN, ModelConfig, count_macs

DEFAULTS = dict(
    mode="student", model=asdict(ModelConfig()), faces=24, copies=3, occlude_p=0.85, coverage=[0.1, 0.6],
    weights=asdict(losses.LossWeights()), lr=2e-3, weight_decay=1e-4, minutes=60.0, max_steps=10 ** 9,
    checkpoint_minutes=5.0, log_every=20, val_every=300, val_faces=96, max_rms_px=3.0, seed=0, limit=None, threads=1,
    init=None, labels="fit", teacher_misses=False, clean_anchor=False, occlusion_warmup=0.0, negatives=0,
    negatives_defocused=0.0, continues=None, negatives_hands=False, negatives_banded=0.0, positives_banded=0.0, init_onnx=None, landmark_definition=None,
    lr_schedule="cosine", weight_average=None, trainable="all", negatives_framed=False, framing=asdict(data.FRAMING),
    data_workers=0)


def load_config(path=None, **overrides) -> dict:
    cfg = json.loads(json.dumps(DEFAULTS))
    if path:
        user = json.load(open(path))
        for k, v in user.items():
            if isinstance(v, dict) and isinstance(cfg.get(k), dict):
                cfg[k].update(v)
            else:
                cfg[k] = v
    for k, v in overrides.items():
        if isinstance(v, dict) and isinstance(cfg.get(k), dict):
            cfg[k].update(v)
        elif v is not None:
            cfg[k] = v
    if cfg["mode"] == "baseline":
        cfg["copies"], cfg["occlude_p"], cfg["clean_anchor"] = 1, 0.0, False
    data.Framing(**cfg["framing"])  # refuses a framing out of range before anything is loaded
    if cfg["trainable"] not in ("all", "face"):
        raise ValueError(f"trainable must be 'all' or 'face', not {cfg['trainable']!r}")
    if type(cfg["data_workers"]) is not int or cfg["data_workers"] not in (0, 1):
        raise ValueError(f"data_workers must be 0 or 1, not {cfg['data_workers']!r}")
    if cfg["weights"]["anchor"] > 0 and not (cfg["clean_anchor"] and cfg["copies"] >= 2):
        raise ValueError("weights.anchor > 0 needs clean_anchor: true and copies >= 2 (a clean first copy per face)")
    return cfg


def occlusion_probability(cfg: dict, budget_fraction: float) -> float:
    """The probability that a copy is occluded at this point of the run (see `occlusion_warmup`)."""
    warmup = cfg["occlusion_warmup"]
    return cfg["occlude_p"] * (min(1.0, budget_fraction / warmup) if warmup > 0 else 1.0)


def learning_rate(cfg: dict, step: int, budget_fraction: float) -> float:
    """The learning rate at this step: a 100-step linear warm-up, then `lr_schedule` over the time budget."""
    warmup = min(1.0, (step + 1) / 100)
    if cfg["lr_schedule"] == "constant":
        return cfg["lr"] * warmup
    if cfg["lr_schedule"] != "cosine":
        raise ValueError(f"lr_schedule must be 'cosine' or 'constant', not {cfg['lr_schedule']!r}")
    return cfg["lr"] * warmup * 0.5 * (1 + math.cos(math.pi * budget_fraction))


class WeightAverage:
    """A running average of a network's state (weights and BatchNorm statistics): exponential with `decay` in (0, 1),
    equal-weight over every step it has seen when `decay` is 0."""

    def __init__(self, model, decay: float, state=None):
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"weight_average.decay must lie in [0, 1), not {decay}")
        self.decay = decay
        self.count = 0 if state is None else state["count"]
        source = model.state_dict() if state is None else state["average"]
        self.average = {k: v.detach().clone() for k, v in source.items()}

    def update(self, model) -> None:
        self.count += 1
        weight = 1.0 / self.count if self.decay == 0.0 else (1.0 if self.count == 1 else 1.0 - self.decay)
        with torch.no_grad():
            for k, v in model.state_dict().items():
                if v.is_floating_point():
                    self.average[k].lerp_(v, weight)
                else:
                    self.average[k].copy_(v)

    def state(self) -> dict:
        return dict(count=self.count, average=self.average)


def train_face_row_only(model: ORN) -> list:
    """Freezes everything but the face output's row of the head (its weights and bias) and returns the parameters to
    optimise. Other rows of the head get zero gradients, which an Adam step without weight decay leaves unchanged."""
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    face = sum(model.sizes[:-1])
    rows = torch.zeros(sum(model.sizes), 1)
    rows[face:] = 1.0
    model.head.weight.requires_grad_(True)
    model.head.bias.requires_grad_(True)
    model.head.weight.register_hook(lambda grad: grad * rows.to(grad.device))
    model.head.bias.register_hook(lambda grad: grad * rows[:, 0].to(grad.device))
    return [model.head.weight, model.head.bias]


def set_training(model: ORN, cfg: dict) -> None:
    """Training mode, except that a face-row-only run keeps every BatchNorm in evaluation mode (its statistics fixed)."""
    model.train()
    if cfg["trainable"] == "face":
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.eval()


def to_tensors(batch, device):
    return {k: torch.as_tensor(np.ascontiguousarray(v) if isinstance(v, np.ndarray) else v).to(device)
            for k, v in batch.items()}


class StepData(torch.utils.data.IterableDataset):
    """The data of each training step, drawn from one generator in a fixed order (the faces, their occluded copies,
    the background crops), so that drawing in a worker process (`data_workers` 1) gives the batches the training
    process would have drawn itself. Each item: (the faces' batch, the background crops' normalised images or None,
    the occlusion probability it was drawn at)."""

    def __init__(self, cfg: dict, images, lab, train_idx, flip_expr, background, layout, seed: int, t_start: float):
        super().__init__()
        self.cfg, self.images, self.lab, self.train_idx, self.flip_expr = cfg, images, lab, train_idx, flip_expr
        self.background, self.layout, self.seed, self.t_start = background, layout, seed, t_start
        self.framing = data.Framing(**cfg["framing"])

    def __iter__(self):
        rng = np.random.default_rng(self.seed)
        while True:
            yield self.draw(rng)

    def draw(self, rng):
        """One step's data from `rng`; the occlusion probability follows the time budget as of now."""
        cfg = self.cfg
        frac = min(1.0, (time.time() - self.t_start) / (cfg["minutes"] * 60))
        idx = rng.choice(self.train_idx, cfg["faces"], replace=len(self.train_idx) < cfg["faces"])
        occlude_p = occlusion_probability(cfg, frac)
        batch = data.make_batch(self.images, self.lab, idx, rng, self.flip_expr, cfg["copies"], occlude_p,
                                occlusion.TRAIN_FAMILIES, tuple(cfg["coverage"]), out=cfg["model"]["input"],
                                clean_first=cfg["clean_anchor"], edge_bands=cfg["positives_banded"], framing=self.framing)
        background_images = None
        if cfg["negatives"]:  # background crops, for the face score only
            sources = self.images[rng.choice(self.train_idx, 8)]
            crops = negatives.make(sources, self.background, cfg["negatives"], rng, cfg["model"]["input"],
                                   cfg["negatives_defocused"], self.layout, cfg["negatives_banded"],
                                   self.framing if cfg["negatives_framed"] else None)
            background_images = data.normalise(np.stack([data.photometric(c, rng) for c in crops]))
        return batch, background_images, occlude_p


def step_data_stream(step_data: StepData, workers: int):
    """The endless stream of `step_data`'s items: drawn here (0 workers) or in one worker process a step or two ahead."""
    # batch_size None: each item passes as drawn, its arrays as tensors in shared memory
    yield from (step_data if workers == 0 else
                torch.utils.data.DataLoader(step_data, batch_size=None, num_workers=workers, prefetch_factor=2))


def evaluate(model, geo, images, lab, idx, flip_expr, cfg, device, occlude_p):
    """Mean validation terms on fixed faces (no augmentation; fixed-seed occlusions when occlude_p > 0)."""
    model.eval()
    rng = np.random.default_rng(1234)
    w = losses.LossWeights(**cfg["weights"])
    with torch.no_grad():
        b = to_tensors(data.make_batch(images, lab, idx, rng, flip_expr, 1, occlude_p, coverage=tuple(cfg["coverage"]),
                                       augment=False, out=cfg["model"]["input"]), device)
        terms = losses.per_sample(model(b["image"]), b, geo, w)
    set_training(model, cfg)
    return {k: float(v.mean()) for k, v in terms.items()}


def train(cfg: dict, run: str, dataset=None) -> dict:
    torch.set_num_threads(int(cfg.get("threads", 1)))
    memory.keep_freed_memory()  # each step reuses the last one's buffers instead of faulting them in
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    out = paths.RUNS / run
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(cfg["seed"])
    images, lab, names, data_hash = dataset or data.load_dataset(cfg["max_rms_px"], cfg.get("limit"), cfg["labels"],
                                                                 cfg["teacher_misses"])
    train_idx, val_idx = data.split(names)
    if len(val_idx) == 0:
        val_idx = train_idx[:2]
    val_idx = val_idx[:cfg["val_faces"]]
    fm = facemodel.load(cfg["model"]["K"])
    flip_expr = facemodel.flip_permutation(fm.expression_names)
    # the readout: a definition file of the run's own (relative to training/) or the committed asset
    geo = losses.Geometry(fm, definition=facemodel.readout_definition(cfg)).to(device)
    model = ORN(ModelConfig(**cfg["model"])).to(device)
    if cfg["trainable"] == "face":
        opt = torch.optim.AdamW(train_face_row_only(model), lr=cfg["lr"], weight_decay=0.0)
    else:
        opt = torch.optim.AdamW(model.parameters(), lr=cfg["lr"], weight_decay=cfg["weight_decay"])
    state = dict(step=0, elapsed=0.0)
    ckpt = out / "ckpt.pt"
    if cfg["continues"] and not ckpt.exists():
        source = paths.TRAINING / cfg["continues"]
        if not source.exists():
            raise FileNotFoundError(f"{source}: no such checkpoint, and {run} continues that run")
        shutil.copyfile(source, ckpt)
    averaging = cfg["weight_average"]
    average = None
    if ckpt.exists():
        c = torch.load(ckpt, map_location=device)
        model.load_state_dict(c["model"])
        opt.load_state_dict(c["optimizer"])
        state = c["state"]
        if c.get("average") is not None:
            average = WeightAverage(model, averaging["decay"], c["average"])
        print(f"resumed {run} at step {state['step']} ({state['elapsed'] / 60:.1f} min)", flush=True)
    elif cfg.get("init"):
        start = torch.load(paths.TRAINING / cfg["init"], map_location=device)
        if start["meta"]["config"]["model"] == cfg["model"]:
            model.load_state_dict(start["model"])
        else:  # a wider network of the same depth: start from the narrow one's function
            from . import widen
            widen.widen_into(model, start["model"])
        print(f"{run} starts from {cfg['init']} (step {start['state']['step']}, model {start['meta']['config']['model']})",
              flush=True)
    elif cfg.get("init_onnx"):
        from . import warm_start
        calibration = data.make_batch(images, lab, train_idx[:64], np.random.default_rng(0), flip_expr)["image"]
        warm_start.load_onnx(model, paths.TRAINING / cfg["init_onnx"], torch.from_numpy(calibration))
        print(f"{run} starts from the exported network {cfg['init_onnx']}", flush=True)
    meta = dict(config=cfg, data_hash=data_hash, landmarks="calibrated", train_images=len(train_idx), val_images=len(val_idx),
                params=sum(p.numel() for p in model.parameters()), macs=count_macs(model), device=str(device))
    json.dump(meta, open(out / "config.json", "w"), indent=1)
    w = losses.LossWeights(**cfg["weights"])
    budget = cfg["minutes"] * 60
    log = open(out / "log.jsonl", "a")
    t_start, t_ckpt = time.time() - state["elapsed"], time.time()
    background = negatives.load_video("train") if cfg["negatives"] else None
    layout = negatives.mean_layout(lab.lm68[train_idx]) if cfg["negatives_hands"] else None
    step_data = StepData(cfg, images, lab, train_idx, flip_expr, background, layout, cfg["seed"] + state["step"], t_start)
    stream = step_data_stream(step_data, cfg["data_workers"])

    def save():
        state["elapsed"] = time.time() - t_start
        torch.save(dict(model=model.state_dict(), optimizer=opt.state_dict(), state=state, meta=meta,
                        average=average.state() if average else None), out / "ckpt.tmp")
        (out / "ckpt.tmp").replace(ckpt)

    # channels-last (NHWC) tensors: PyTorch's CPU convolutions and BatchNorms take about two thirds of the time per step
    # on this network that they take on NCHW ones (training/README.md, "Measured here")
    model.to(memory_format=torch.channels_last)
    set_training(model, cfg)
    try:
        while state["step"] < cfg["max_steps"] and time.time() - t_start < budget:
            frac = min(1.0, (time.time() - t_start) / budget)
            lr = learning_rate(cfg, state["step"], frac)
            for g in opt.param_groups:
                g["lr"] = lr
            batch, background_images, occlude_p = next(stream)
            b = to_tensors(batch, device)
            x = b["image"]
            if background_images is not None:
                x = torch.cat([x, torch.as_tensor(background_images).to(device)])
            pred = model(x.contiguous(memory_format=torch.channels_last))
            rows = b["image"].shape[0]
            loss, logs = losses.total(tuple(p[:rows] for p in pred), b, geo, w, cfg["copies"])
            if cfg["negatives"] and w.face > 0:
                is_face = torch.cat([torch.ones(rows), torch.zeros(x.shape[0] - rows)]).to(device)
                face = losses.face_score(pred[5], is_face)
                loss = loss + w.face * face
                logs["face"], logs["loss"] = float(face), float(loss)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            state["step"] += 1
            if averaging and frac >= averaging["start"]:
                average = average or WeightAverage(model, averaging["decay"])
                average.update(model)
            if state["step"] % cfg["log_every"] == 0 or state["step"] == 1:
                rec = dict(step=state["step"], t=round(time.time() - t_start, 1), lr=lr, occlude_p=round(occlude_p, 3),
                           **{k: round(v, 5) for k, v in logs.items()})
                log.write(json.dumps(rec) + "\n")
                log.flush()
                print(json.dumps(rec), flush=True)
            if state["step"] % cfg["val_every"] == 0:
                for name, p in (("clean", 0.0), ("occluded", 1.0)):
                    v = evaluate(model, geo, images, lab, val_idx, flip_expr, cfg, device, p)
                    log.write(json.dumps(dict(step=state["step"], val=name, **{k: round(x, 5) for k, x in v.items()})) + "\n")
                log.flush()
            if time.time() - t_ckpt > cfg["checkpoint_minutes"] * 60:
                save()
                t_ckpt = time.time()
    finally:
        stream.close()  # ends the worker process, if any, and drops the batches it drew ahead
    save()
    final = {name: evaluate(model, geo, images, lab, val_idx, flip_expr, cfg, device, p) for name, p in (("clean", 0.0), ("occluded", 1.0))}
    log.write(json.dumps(dict(step=state["step"], final=final)) + "\n")
    if average:
        averaged = ORN(ModelConfig(**cfg["model"])).to(device)
        averaged.load_state_dict(average.average)
        torch.save(dict(model=averaged.state_dict(), state=dict(state, averaged_steps=average.count), meta=meta),
                   out / "ckpt-average.tmp")
        (out / "ckpt-average.tmp").replace(out / "ckpt-average.pt")
        final_average = {name: evaluate(averaged, geo, images, lab, val_idx, flip_expr, cfg, device, p)
                         for name, p in (("clean", 0.0), ("occluded", 1.0))}
        log.write(json.dumps(dict(step=state["step"], averaged_steps=average.count, final_average=final_average)) + "\n")
        print(f"average of {average.count} steps: val {json.dumps(final_average)}", flush=True)
    log.close()
    print(f"done {run}: {state['step']} steps, {state['elapsed'] / 60:.1f} min, val {json.dumps(final)}", flush=True)
    return dict(model=model, meta=meta, final=final, steps=state["step"])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("config")
    ap.add_argument("--run", default=None, help="run name (default: the config's file name)")
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--max-steps", type=int, default=None)
    args = ap.parse_args(argv)
    from pathlib import Path
    cfg = load_config(args.config, minutes=args.minutes, max_steps=args.max_steps)
    train(cfg, args.run or Path(args.config).stem)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
