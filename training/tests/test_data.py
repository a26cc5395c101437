"""Augmentation keeps image and labels together: warped pixels land where the transformed labels say, and the
transformed pose reprojects the face onto the transformed landmarks (mirror included)."""
import numpy as np
import pytest

from orn import data, facemodel
from conftest import needs_data
from test_losses import tiny_model


def labels_for(model, rng, n=3):
    """Labels of n synthetic faces whose 68 landmarks are exactly the model's projection."""
    R = []
    for yaw in rng.uniform(-30, 30, n):
        a = np.radians(yaw)
        R.append([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    R = np.array(R, np.float32)
    alpha = rng.normal(0, 1, (n, model.K)).astype(np.float32)
    beta = rng.uniform(0, 1, (n, 53)).astype(np.float32)
    scale = np.full(n, 0.03, np.float32)
    T = rng.uniform(0.45, 0.55, (n, 2)).astype(np.float32)
    lab = data.Labels(alpha, beta, R, scale, T, np.zeros((n, 68, 2), np.float32), np.ones(n, np.float32))
    lab.lm68 = np.stack([project(model, lab, i) for i in range(n)])
    return lab


def project(model, lab_or_dict, i=None):
    g = (lambda k: getattr(lab_or_dict, k)[i]) if i is not None else lab_or_dict.__getitem__
    v = model.vertices(g("alpha"), g("beta"))[model.landmarks68]
    cam = g("scale") * v @ g("R").T
    return np.stack([cam[:, 0] + g("T")[0], -cam[:, 1] + g("T")[1]], -1).astype(np.float32)


@pytest.mark.parametrize("flip", [False, True])
def test_transformed_pose_reprojects_onto_transformed_landmarks(flip):
    model = tiny_model(K=4, V=120)
    # make the tiny model mirror-symmetric so a mirrored face is exactly representable: x -> -x, same vertex
    model.neutral[:, 0] = 0
    model.identity[:, :, 0] = 0
    model.expression[:, :, 0] = 0
    rng = np.random.default_rng(0)
    lab = labels_for(model, rng)
    flip_expr = np.arange(53)  # the tiny model's expressions have no sides
    flip68 = facemodel.FLIP68
    facemodel.FLIP68 = np.arange(68)  # and its "landmarks" are their own mirror images
    try:
        g = data.Geometry(k=1.08, theta=np.radians(12), d=np.array([0.03, -0.02], np.float32), flip=flip)
        for i in range(3):
            t = data.transform_labels(lab, i, g, flip_expr)
            assert np.abs(project(model, t) - t["lm68"]).max() < 1e-5
            assert np.allclose(t["R"] @ t["R"].T, np.eye(3), atol=1e-5) and np.linalg.det(t["R"]) > 0
    finally:
        facemodel.FLIP68 = flip68


@pytest.mark.parametrize("flip", [False, True])
def test_warp_moves_pixels_with_the_points(flip):
    img = np.zeros((120, 120, 3), np.uint8)
    p = np.array([[0.3, 0.4]], np.float32)
    y, x = int(p[0, 1] * 120), int(p[0, 0] * 120)
    img[y - 2:y + 3, x - 2:x + 3] = 255  # a bright 5x5 dot centred on pixel (x, y) -> fraction (x+0.5)/120
    centre = (np.array([[x, y]], np.float32) + 0.5) / 120
    g = data.Geometry(k=1.1, theta=np.radians(-10), d=np.array([0.02, 0.04], np.float32), flip=flip)
    out = data.warp(img, g, 128)
    ys, xs = np.nonzero(out[..., 0] > 128)
    found = np.array([xs.mean() + 0.5, ys.mean() + 0.5]) / 128
    assert np.abs(found - g.apply_points(centre)[0]).max() < 1.0 / 128


def test_flip_permutations_are_involutions():
    names = ["browDown_L", "browDown_R", "jawLeft", "jawRight", "jawOpen", "eyeBlink_L", "eyeBlink_R"]
    perm = facemodel.flip_permutation(names)
    assert [names[i] for i in perm] == ["browDown_R", "browDown_L", "jawRight", "jawLeft", "jawOpen", "eyeBlink_R", "eyeBlink_L"]
    assert (facemodel.FLIP68[facemodel.FLIP68] == np.arange(68)).all()
    assert facemodel.FLIP68[36] == 45 and facemodel.FLIP68[48] == 54 and facemodel.FLIP68[8] == 8


def test_blendshape_name_map():
    ict = ["browInnerUp_L", "browInnerUp_R", "eyeBlink_L", "jawLeft"] + [f"x{i}" for i in range(49)]
    names = facemodel.MP_BLENDSHAPES
    assert facemodel.mp_to_ict_name("jawLeft", ict) == ["jawLeft"]
    assert facemodel.mp_to_ict_name("eyeBlinkLeft", ict) == ["eyeBlink_L"]
    assert facemodel.mp_to_ict_name("cheekPuff", ict) == ["cheekPuff_L", "cheekPuff_R"]
    assert len(names) == 52 and names[0] == "_neutral"


def test_clean_first_keeps_each_faces_first_copy_unoccluded():
    model = tiny_model(K=4, V=120)
    lab = labels_for(model, np.random.default_rng(1))
    images = np.random.default_rng(2).integers(60, 200, (3, 120, 120, 3), dtype=np.uint8)
    kw = dict(copies=3, occlude_p=1.0, coverage=(0.3, 0.5), augment=False, out=120)
    b = data.make_batch(images, lab, [0, 1, 2], np.random.default_rng(3), np.arange(53), clean_first=True, **kw)
    clean = data.make_batch(images, lab, [0, 1, 2], np.random.default_rng(3), np.arange(53), occlude_p=0.0,
                            augment=False, out=120)["image"]
    assert np.array_equal(b["image"][0::3], clean)
    assert all(not np.array_equal(b["image"][i], clean[i // 3]) for i in range(9) if i % 3)
    assert (b["visible"][1::3].sum() + b["visible"][2::3].sum()) < b["visible"][0::3].sum() * 2


def test_edge_bands_blacken_occluded_copies_and_hide_the_landmarks_under_them():
    model = tiny_model(K=4, V=120)
    lab = labels_for(model, np.random.default_rng(1))
    images = np.random.default_rng(2).integers(60, 200, (3, 120, 120, 3), dtype=np.uint8)
    kw = dict(copies=3, occlude_p=0.0, augment=False, out=120, clean_first=True)
    b = data.make_batch(images, lab, [0, 1, 2, 0], np.random.default_rng(3), np.arange(53), edge_bands=1.0, **kw)
    plain = data.make_batch(images, lab, [0, 1, 2, 0], np.random.default_rng(3), np.arange(53), **kw)
    black = (b["image"] == data.normalise(np.zeros((1, 1, 1, 3), np.uint8))).all(1)  # (rows, H, W)
    assert np.array_equal(b["image"][0::3], plain["image"][0::3]), "the clean anchor never gets bands"
    for row in range(12):
        if row % 3 == 0:
            continue
        edges = [black[row, 0].all(), black[row, -1].all(), black[row, :, 0].all(), black[row, :, -1].all()]
        assert 1 <= sum(edges) <= 3, f"row {row}: one to three edges banded"
        pixel = np.clip((b["lm68"][row] * 120).astype(int), 0, 119)
        under = black[row, pixel[:, 1], pixel[:, 0]]
        assert not b["visible"][row][under].any(), "a landmark under a band is not visible"
        assert np.array_equal(b["visible"][row], plain["visible"][row] * ~under), "the rest as without bands"
    assert b["visible"][1::3].sum() + b["visible"][2::3].sum() < plain["visible"][1::3].sum() * 2, \
        "some landmarks fall under the bands"


def test_anchor_weight_needs_a_clean_first_copy():
    from orn import train
    with pytest.raises(ValueError, match="clean_anchor"):
        train.load_config(None, weights=dict(anchor=1.0))
    cfg = train.load_config(None, weights=dict(anchor=1.0), clean_anchor=True)
    assert cfg["weights"]["anchor"] == 1.0 and cfg["clean_anchor"]


@needs_data
def test_aflw_image_cache_follows_the_names_it_is_asked_for(tmp_path, monkeypatch):
    from orn import paths
    monkeypatch.setattr(paths, "CACHE", tmp_path)
    names = np.array(sorted(p.name for p in (paths.AFLW_TRAIN / "crops").iterdir())[:3])
    first = np.array(data.aflw_images(names))
    assert np.array_equal(first, data.load_images(names, paths.AFLW_TRAIN / "crops"))
    again = np.array(data.aflw_images(names[::-1]))  # another order: decoded again, never the old rows
    assert np.array_equal(again, first[::-1])
    assert np.array_equal(np.load(tmp_path / "images_aflw.names.npy"), names[::-1])


def test_occlusion_warmup_ramps_the_occlusion_probability():
    from orn import train
    cfg = train.load_config(None, occlude_p=0.9, occlusion_warmup=0.4)
    assert [round(train.occlusion_probability(cfg, f), 6) for f in (0.0, 0.2, 0.4, 0.9)] == [0.0, 0.45, 0.9, 0.9]
    assert train.occlusion_probability(train.load_config(None, occlude_p=0.9), 0.0) == 0.9


def test_data_hash_names_every_label_field():
    from orn import data
    rng = np.random.default_rng(3)
    lab = data.Labels(alpha=rng.normal(size=(2, 40)), beta=rng.uniform(size=(2, 53)), R=np.tile(np.eye(3), (2, 1, 1)),
                      scale=np.full(2, 0.04), T=np.full((2, 2), 0.5), lm68=rng.uniform(size=(2, 68, 2)), known=np.ones(2))
    names = ["aflw/a.jpg", "aflw/b.jpg"]
    reference = data.data_hash(names, lab)
    assert data.data_hash(list(names), data.Labels(*(getattr(lab, f).copy() for f in data.Labels.__dataclass_fields__))) == reference
    for field in data.Labels.__dataclass_fields__:
        changed = data.Labels(*(getattr(lab, f).copy() for f in data.Labels.__dataclass_fields__))
        getattr(changed, field).flat[0] += 0.25
        assert data.data_hash(names, changed) != reference, field
    assert data.data_hash(names[::-1], lab) != reference


def test_fused_labels_gate_identity_on_mediapipe_only_where_its_points_shaped_the_face(tmp_path, monkeypatch):
    """Two fused label folders with the same crops, MediaPipe's points 4 px from the fitted shape on one of them: the
    MediaPipe-shaped labels (no `dense_weight`, as before session 16) stop trusting that crop's identity and
    expression; keypoint-shaped ones (`dense_weight` 0) keep them, the shape not being MediaPipe's."""
    from orn import data, paths
    monkeypatch.setattr(paths, "CACHE", tmp_path)
    monkeypatch.setattr(data, "aflw_images", lambda names: np.zeros((len(names), 120, 120, 3), np.uint8))
    (tmp_path / "teacher").mkdir()
    np.savez(tmp_path / "teacher" / "video.npz", crops=np.zeros((2, 120, 120, 3), np.uint8))

    def fit(count, rms):
        return dict(names=np.array([f"c{i}.jpg" for i in range(count)]), K=40, alpha=np.zeros((count, 40)),
                    beta=np.zeros((count, 53)), R=np.tile(np.eye(3), (count, 1, 1)), s=np.full(count, 0.4),
                    t=np.full((count, 2), 60.0), lm68=np.full((count, 68, 2), 60.0), keypoints=np.full((count, 68, 2), 60.0),
                    rms_px=np.asarray(rms, float), keypoint_rms_px=np.ones(count), known=np.ones(count),
                    annotation_nme=np.full(count, np.nan))
    for folder, extra in (("fused", {}), ("fused-keypoints", {"dense_weight": 0.0})):
        (tmp_path / folder).mkdir()
        np.savez(tmp_path / folder / "aflw.npz", **fit(2, [1.0, 4.0]), **extra)
        np.savez(tmp_path / folder / "video.npz", **fit(2, [1.0, 1.0]), **extra)
    _, dense_shaped, _, _ = data.load_dataset(3.0, labels_folder="fused")
    _, keypoint_shaped, _, _ = data.load_dataset(3.0, labels_folder="fused-keypoints")
    assert dense_shaped.known.tolist() == [1.0, 0.0, 1.0, 1.0]
    assert keypoint_shaped.known.tolist() == [1.0, 1.0, 1.0, 1.0]


def test_framing_sets_how_far_zoom_and_shift_are_jittered():
    rng = np.random.default_rng(0)
    default = [data.random_geometry(rng) for _ in range(400)]
    wide = [data.random_geometry(rng, framing=data.Framing(0.3, 0.15)) for _ in range(400)]
    for geometries, (scale, shift) in ((default, (data.FRAMING.scale, data.FRAMING.shift)), (wide, (0.3, 0.15))):
        zooms = np.log([g.k for g in geometries])
        shifts = np.abs(np.stack([g.d for g in geometries]))
        assert zooms.min() >= -scale and zooms.max() <= scale and shifts.max() <= shift
        assert zooms.max() > 0.9 * scale and shifts.max() > 0.9 * shift, "the whole range is drawn"
    still = data.random_geometry(rng, framing=data.Framing(0.0, 0.0))
    assert still.k == 1.0 and not still.d.any()


def test_a_framing_out_of_range_is_refused():
    from orn import train
    assert train.load_config(None)["framing"] == {"scale": data.FRAMING.scale, "shift": data.FRAMING.shift, "fill": "black"}
    with pytest.raises(ValueError, match="framing"):
        train.load_config(None, framing={"shift": 0.8})
    with pytest.raises(ValueError, match="framing"):
        train.load_config(None, framing={"fill": "edge"})


def test_reflect_fill_mirrors_the_crop_where_black_would_be():
    rng = np.random.default_rng(1)
    img = rng.integers(1, 255, (120, 120, 3)).astype(np.uint8)
    g = data.Geometry(k=0.8, theta=0.0, d=np.array([0.1, 0.0], np.float32), flip=False)  # zoomed out, shifted right
    black, mirrored = data.warp(img, g, 120), data.warp(img, g, 120, "reflect")
    outside = black.max(axis=2) == 0
    assert outside.mean() > 0.2 and not (mirrored.max(axis=2) == 0).any()
    inside = np.abs(black[~outside].astype(int) - mirrored[~outside].astype(int))
    assert inside[:100].max() <= 1, "inside the crop both agree (up to the resampler's rounding)"
    with pytest.raises(ValueError, match="fill"):
        data.warp(img, g, 120, "edge")


def test_reflect_fill_reaches_as_far_as_the_widest_framing_allowed():
    img = np.full((120, 120, 3), 200, np.uint8)
    widest = data.Geometry(k=float(np.exp(-0.5)), theta=np.radians(15), d=np.array([0.25, 0.25], np.float32), flip=False)
    assert data.warp(img, widest, 128, "reflect").min() > 0, "no black corner"


def test_a_landmark_outside_the_photos_crop_stays_hidden_when_zoomed_out():
    model = tiny_model(K=4, V=120)
    lab = labels_for(model, np.random.default_rng(1))
    lab.lm68[0, 8] = (0.5, 1.05)  # the chin just below the crop, as in 320 of the fused training crops
    images = np.random.default_rng(2).integers(60, 200, (3, 120, 120, 3), dtype=np.uint8)
    b = data.make_batch(images, lab, [0] * 32, np.random.default_rng(3), np.arange(53), copies=1, out=120,
                        framing=data.Framing(0.5, 0.0, "reflect"))
    zoomed_in_crop = data.in_crop(b["lm68"][:, 8])
    assert zoomed_in_crop.any(), "some zoom-outs bring the chin into the output"
    assert not b["visible"][:, 8].any(), "on mirrored pixels it is not visible"
