"""Smoke: fit 8 real AFLW training crops from committed teacher labels, train the student briefly, resume from the
checkpoint, export to ONNX, and check the export against PyTorch with onnxruntime and, when an `occlumesh` binary
has been built (or OCCLUMESH_BIN names one), with InferenceCore (`occlumesh model run`)."""
import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import needs_data

pytestmark = needs_data

FIXTURE = __import__("pathlib").Path(__file__).parent / "fixtures" / "teacher8.npz"


@pytest.fixture(scope="module")
def tiny_dataset():
    from orn import data, facemodel, fit, paths
    t = np.load(FIXTURE)
    fitter = fit.Fitter(fit.FitConfig(K=40))
    res = fitter.fit(t["lm478"], facemodel.blend_mp_to_ict(t["blend52"], fitter.model.expression_names))
    assert np.median(res["rms_px"]) < 3.0
    lab = data.labels_from_fit(res)
    images = data.load_images(t["names"], paths.AFLW_TRAIN / "crops")
    names = [f"aflw/{n}" for n in t["names"]]
    return images, lab, names, data.data_hash(names, lab)


@pytest.fixture(scope="module")
def tmp_path(tmp_path_factory):
    return tmp_path_factory.mktemp("smoke")


@pytest.fixture(scope="module")
def exported(tiny_dataset, tmp_path):
    """Train, resume, export once for the module; returns (onnx, json, ckpt, the two train results)."""
    from orn import export, paths, train
    saved = paths.RUNS
    paths.RUNS = tmp_path
    try:
        # Bounded by steps, not time: the time budget is far away, so a busy machine runs the same 40 steps.
        cfg = train.load_config(None, mode="student", faces=4, copies=3, minutes=30.0, max_steps=40, val_every=10 ** 6,
                                log_every=5, lr=3e-3, model=dict(K=40, width=0.35, input=128, feature=128),
                                weight_average=dict(start=0.0, decay=0.0))
        res = train.train(cfg, "smoke", dataset=tiny_dataset)
        cfg["max_steps"] = res["steps"] + 3
        cfg["data_workers"] = 1  # the resumed steps draw their batches in a worker process
        res2 = train.train(cfg, "smoke", dataset=tiny_dataset)
    finally:
        paths.RUNS = saved
    ckpt = tmp_path / "smoke" / "ckpt.pt"
    onnx_path, json_path = export.export(ckpt, tmp_path / "orn.onnx", tmp_path / "orn.json")
    return onnx_path, json_path, ckpt, res, res2


def test_smoke_train_resume_export_parity(exported, tiny_dataset, tmp_path):
    from orn import export
    onnx_path, json_path, ckpt, res, res2 = exported
    assert res["steps"] == 40
    log = [json.loads(l) for l in open(tmp_path / "smoke" / "log.jsonl")]
    losses = [r["loss"] for r in log if "loss" in r]
    assert np.mean(losses[-3:]) < losses[0]  # it learns something on 8 faces
    # resume: the second call continued from the checkpoint's step instead of starting over
    assert res2["steps"] == res["steps"] + 3
    # the weight average went through the restart too: one update per step of both calls, and it exports
    averaged = torch.load(tmp_path / "smoke" / "ckpt-average.pt")
    assert averaged["state"]["averaged_steps"] == res2["steps"]
    assert export.check(onnx_path, tmp_path / "smoke" / "ckpt-average.pt")["max_abs_diff"] > 1e-4  # not the last step
    # export + sidecar + parity
    side = json.load(open(json_path))
    assert side["input"]["shape"] == [1, 3, 128, 128] and side["identity_modes"] == 40
    assert len(side["expression_names"]) == 53 and side["data_hash"] == tiny_dataset[3]
    report = export.check(onnx_path, ckpt)
    assert report["max_abs_diff"] < 1e-4
    assert set(report["ops"]) <= export.ALLOWED_OPS


def test_readout_calibration_sees_the_students_landmarks(exported, tiny_dataset):
    """The readout calibration's view of a student's faces (`student_faces` + `projected`) puts the calibrated
    landmarks where the student's own readout does, so the points it chooses are points of the student's faces."""
    from orn import data, facemodel, label_sources, landmark_calibration, paths
    from orn.predict import LandmarkPredictor
    _, _, ckpt, _, _ = exported
    predictor = LandmarkPredictor(ckpt)
    crops = np.stack([data.warp(image, data.IDENTITY_GEOMETRY) for image in tiny_dataset[0]])
    faces = landmark_calibration.student_faces(predictor.model, crops)
    calibrated = label_sources.landmarks_of(faces, facemodel.load(40).landmark_model())
    assert np.abs(calibrated - predictor.landmarks(crops) * paths.CROP).max() < 1e-3


def occlumesh_binary():
    if os.environ.get("OCCLUMESH_BIN"):
        return os.environ["OCCLUMESH_BIN"]
    from orn import paths
    for build in ("release", "debug"):
        p = paths.REPO / ".build" / build / "occlumesh"
        if p.exists():
            return str(p)
    return shutil.which("occlumesh")


def test_inference_core_parity(exported, tmp_path):
    """InferenceCore (the daemon's runtime) gives PyTorch's outputs for the exported model."""
    binary = occlumesh_binary()
    if not binary:
        pytest.skip("no occlumesh binary built (.build/{release,debug}/occlumesh) and OCCLUMESH_BIN unset")
    from orn.export import load_model
    from orn.model import ORN
    onnx_path, _, ckpt, _, _ = exported
    model, _ = load_model(ckpt)
    x = np.random.default_rng(5).uniform(-1, 1, (1, 3, 128, 128)).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    outs = [f"{n}={tmp_path / n}.npy" for n in ORN.OUTPUTS]
    subprocess.run([binary, "model", "run", str(onnx_path), "--input", str(tmp_path / "x.npy")]
                   + sum((["--output", o] for o in outs), []), check=True, capture_output=True, timeout=120)
    with torch.no_grad():
        ref = [o.numpy() for o in model(torch.from_numpy(x))]
    for name, r in zip(ORN.OUTPUTS, ref):
        got = np.load(tmp_path / f"{name}.npy").reshape(r.shape)
        assert np.abs(got - r).max() < 1e-4, name


def test_predictor_reads_out_through_the_definition_its_checkpoint_trained_with(exported, tmp_path):
    """A run with its own `landmark_definition` (a readout tried before it ships) is validated through that file, not
    the committed asset, unless the caller names another."""
    from orn import facemodel
    from orn.predict import LandmarkPredictor
    ckpt = exported[2]
    committed = facemodel.landmark_definition()
    other = tmp_path / "other-definition.npz"
    np.savez(other, vertices=committed["vertices"][::-1].copy(), weights=committed["weights"][::-1].copy())
    checkpoint = torch.load(ckpt)
    checkpoint["meta"]["config"]["landmark_definition"] = str(other)  # absolute: paths.TRAINING / it is itself
    own = tmp_path / "own-definition.pt"
    torch.save(checkpoint, own)
    model = facemodel.load(40)
    expected = torch.from_numpy(model.landmark_model(other).neutral)
    assert torch.allclose(LandmarkPredictor(own).geometry.lm_mean, expected)
    assert not torch.allclose(LandmarkPredictor(ckpt).geometry.lm_mean, expected)
    assert torch.allclose(LandmarkPredictor(ckpt, landmark_definition=other).geometry.lm_mean, expected)


def test_export_writes_the_definition_its_checkpoint_reads_out_with(exported, tmp_path):
    """A candidate exported before its readout is copied into the assets carries its own definition in the sidecar
    (the one the daemon checks against the face-model file), not the shipped model's."""
    from orn import export, facemodel
    committed = facemodel.landmark_definition()
    other = tmp_path / "other-definition.npz"
    np.savez(other, vertices=committed["vertices"][::-1].copy(), weights=committed["weights"][::-1].copy())
    checkpoint = torch.load(exported[2])
    checkpoint["meta"]["config"]["landmark_definition"] = str(other)
    own = tmp_path / "own-definition.pt"
    torch.save(checkpoint, own)
    _, json_path = export.export(own, tmp_path / "own.onnx", tmp_path / "own.json")
    written = json.loads(Path(json_path).read_text())["landmark_definition"]
    assert written["vertices"] == committed["vertices"][::-1].tolist()
    _, json_path = export.export(exported[2], tmp_path / "plain.onnx", tmp_path / "plain.json")
    assert json.loads(Path(json_path).read_text())["landmark_definition"]["vertices"] == committed["vertices"].tolist()
    checkpoint["meta"]["config"]["landmark_definition"] = str(tmp_path / "missing.npz")
    torch.save(checkpoint, own)
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        export.export(own, tmp_path / "gone.onnx", tmp_path / "gone.json")


def test_a_wider_run_starts_from_a_narrower_checkpoint(exported, tiny_dataset, tmp_path):
    """`init` naming a checkpoint of a narrower network widens it (orn.widen) instead of failing on the shapes."""
    from orn import paths, train
    ckpt = exported[2]
    saved = paths.RUNS
    paths.RUNS = tmp_path
    try:
        cfg = train.load_config(None, mode="student", faces=4, copies=3, minutes=30.0, max_steps=2, val_every=10 ** 6,
                                log_every=1, lr=1e-4, init=str(ckpt), model=dict(K=40, width=0.5, input=128, feature=128))
        res = train.train(cfg, "smoke-wider", dataset=tiny_dataset)
    finally:
        paths.RUNS = saved
    narrow = torch.load(ckpt, map_location="cpu")["model"]
    wide = res["model"].state_dict()
    widened = [name for name in narrow if narrow[name].shape != wide[name].shape]
    assert res["steps"] == 2 and widened  # it trained, and on a wider network
    assert all(wide[name].dim() == narrow[name].dim() for name in narrow)


def test_a_run_frames_faces_and_background_alike(tiny_dataset, tmp_path):
    """A few steps with the wide framing, mirrored fill and framed negatives train and log a face-score loss."""
    from orn import data, negatives, paths, train
    saved, warp, bands = paths.RUNS, data.warp, negatives.black_bands
    paths.RUNS = tmp_path
    calls = []  # ("warp", fill, side of the image warped) and ("bands",) in the order they ran

    def recording_warp(image, geometry, out=data.INPUT, fill="black"):
        calls.append(("warp", fill, image.shape[0]))
        return warp(image, geometry, out, fill)

    def recording_bands(image, rng, widest=0.25):
        calls.append(("bands",))
        return bands(image, rng, widest)
    data.warp, negatives.black_bands = recording_warp, recording_bands
    try:
        cfg = train.load_config(None, mode="student", faces=2, copies=3, minutes=30.0, max_steps=4, val_every=10 ** 6,
                                log_every=1, model=dict(K=40, width=0.35, input=128, feature=128), negatives=4,
                                negatives_banded=1.0, framing=dict(scale=0.3, shift=0.15, fill="reflect"),
                                negatives_framed=True)
        result = train.train(cfg, "framed", dataset=tiny_dataset)
    finally:
        paths.RUNS, data.warp, negatives.black_bands = saved, warp, bands
    assert result["steps"] == 4
    # Per step the faces (120-px crops) are warped, then each of the four negatives (made at the input's 128 px) is
    # warped with the same fill and only then banded, all of them at 1.0.
    negative_then_bands = [("warp", "reflect", 128), ("bands",)] * 4
    runs = [calls[i:i + 8] == negative_then_bands for i in range(len(calls))]
    assert sum(runs) == 4 and calls.count(("bands",)) == 16
    logged = [json.loads(line) for line in (tmp_path / "framed" / "log.jsonl").read_text().splitlines()]
    assert any("face" in record for record in logged)


def test_a_data_worker_draws_the_batches_the_training_process_would(tiny_dataset):
    """`data_workers` 1 moves the drawing into a worker process without changing a single batch: the same faces,
    occluded copies and background crops, in the same order, as drawn in the training process."""
    from orn import data, facemodel, negatives, train
    images, lab, names, _ = tiny_dataset
    train_idx, _ = data.split(names)
    cfg = train.load_config(None, faces=3, copies=3, negatives=4, negatives_hands=True, clean_anchor=True,
                            model=dict(K=40, width=0.35, input=128, feature=128))
    flip_expr = facemodel.flip_permutation(facemodel.load(40).expression_names)
    step_data = train.StepData(cfg, images, lab, train_idx, flip_expr, negatives.load_video("train"),
                               negatives.mean_layout(lab.lm68[train_idx]), seed=7, t_start=0.0)
    here, worker = train.step_data_stream(step_data, 0), train.step_data_stream(step_data, 1)
    for _ in range(3):
        (batch, background, p), (batch_w, background_w, p_w) = next(here), next(worker)
        assert batch.keys() == batch_w.keys() and p == p_w
        for key in batch:
            assert np.array_equal(batch[key], np.asarray(batch_w[key])), key
        assert background.shape == (4, 3, 128, 128) and np.array_equal(background, np.asarray(background_w))
    for refused in (2, True, 1.0):
        with pytest.raises(ValueError, match="data_workers"):
            train.load_config(None, data_workers=refused)


def test_a_config_continues_another_run_from_a_copy_of_its_checkpoint(exported, tiny_dataset, tmp_path):
    from orn import paths, train
    _, _, ckpt, _, res2 = exported
    saved = paths.RUNS
    paths.RUNS = tmp_path
    try:
        cfg = train.load_config(None, **torch.load(ckpt)["meta"]["config"])
        cfg.update(continues=str(ckpt), max_steps=res2["steps"] + 2)
        assert train.train(cfg, "continued", dataset=tiny_dataset)["steps"] == res2["steps"] + 2
        logged = [json.loads(line)["step"] for line in open(tmp_path / "continued" / "log.jsonl")]
        assert min(logged) > res2["steps"], "the two steps followed the copied checkpoint's, not a new start"
        assert torch.load(ckpt)["state"]["step"] == res2["steps"]  # the run it continues is left as it was
        cfg["continues"] = str(tmp_path / "no-such-run" / "ckpt.pt")
        with pytest.raises(FileNotFoundError, match="no-such-run"):
            train.train(cfg, "continued-from-nothing", dataset=tiny_dataset)
    finally:
        paths.RUNS = saved
