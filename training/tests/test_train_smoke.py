"""Smoke: fit 8 real AFLW training crops from committed teacher labels, train the student briefly, resume from the
checkpoint, export to ONNX, and check the export against PyTorch with onnxruntime."""
import json

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


def test_smoke_train_resume_export_parity(tiny_dataset, tmp_path, monkeypatch):
    from orn import export, paths, train
    monkeypatch.setattr(paths, "RUNS", tmp_path)
    cfg = train.load_config(None, mode="student", faces=4, copies=3, minutes=1.0, max_steps=60, val_every=10 ** 6,
                            log_every=5, lr=3e-3, model=dict(K=40, width=0.35, input=128, feature=128))
    res = train.train(cfg, "smoke", dataset=tiny_dataset)
    assert res["steps"] >= 10
    log = [json.loads(l) for l in open(tmp_path / "smoke" / "log.jsonl")]
    losses = [r["loss"] for r in log if "loss" in r]
    assert np.mean(losses[-3:]) < losses[0]  # it learns something on 8 faces
    # resume: a second call continues from the checkpoint's step instead of starting over
    cfg["max_steps"] = res["steps"] + 3
    res2 = train.train(cfg, "smoke", dataset=tiny_dataset)
    assert res2["steps"] == res["steps"] + 3
    # export + sidecar + parity
    onnx_path, json_path = export.export(tmp_path / "smoke" / "ckpt.pt", tmp_path / "orn.onnx", tmp_path / "orn.json")
    side = json.load(open(json_path))
    assert side["input"]["shape"] == [1, 3, 128, 128] and side["identity_modes"] == 40
    assert len(side["expression_names"]) == 53 and side["data_hash"] == tiny_dataset[3]
    report = export.check(onnx_path, tmp_path / "smoke" / "ckpt.pt")
    assert report["max_abs_diff"] < 1e-4
    assert set(report["ops"]) <= export.ALLOWED_OPS
