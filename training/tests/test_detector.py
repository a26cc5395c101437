"""The detector fine-tuning: the torch runner of the shipped ONNX detector, its export, frames and the loss."""
import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from orn import detector


@pytest.fixture(scope="module")
def source():
    return onnx.load(detector.SOURCE)


def test_the_torch_runner_matches_onnxruntime_on_the_shipped_detector(source):
    frames = np.random.default_rng(0).uniform(-1, 1, (2, 3, 128, 128)).astype(np.float32)
    session = ort.InferenceSession(str(detector.SOURCE))
    reference = [np.concatenate([session.run(None, {"input": frames[i:i + 1]})[k] for i in range(2)]) for k in (0, 1)]
    with torch.no_grad():
        ours = [o.numpy() for o in detector.OnnxNetwork(source).eval()(torch.from_numpy(frames))]
    for mine, theirs in zip(ours, reference):
        assert mine.shape == theirs.shape
        assert np.abs(mine - theirs).max() < 1e-3 * max(1.0, np.abs(theirs).max())


def test_export_writes_the_trained_values_into_the_same_graph(source, tmp_path):
    network = detector.OnnxNetwork(source)
    with torch.no_grad():
        for parameter in network.parameters():
            parameter.mul_(0.5)
    written = network.write(source)
    assert [n.op_type for n in written.graph.node] == [n.op_type for n in source.graph.node]
    path = tmp_path / "halved.onnx"
    onnx.save(written, path)
    frames = np.random.default_rng(1).uniform(-1, 1, (1, 3, 128, 128)).astype(np.float32)
    exported = ort.InferenceSession(str(path)).run(None, {"input": frames})
    with torch.no_grad():
        expected = [o.numpy() for o in network.eval()(torch.from_numpy(frames))]
    original = ort.InferenceSession(str(detector.SOURCE)).run(None, {"input": frames})
    assert np.abs(exported[1] - expected[1]).max() < 1e-3 * max(1.0, np.abs(expected[1]).max())
    assert np.abs(exported[1] - original[1]).max() > 1.0  # the halved weights really changed the answer


def test_a_graph_with_an_operator_the_runner_lacks_is_refused(source):
    changed = onnx.ModelProto()
    changed.CopyFrom(source)
    changed.graph.node[1].op_type = "Sigmoid"
    with pytest.raises(ValueError, match="Sigmoid"):
        detector.OnnxNetwork(changed)


def test_anchors_follow_the_detector_output_order():
    anchors = detector.ANCHORS
    assert anchors.shape == (896, 2)
    assert np.allclose(anchors[0], [0.5 / 16, 0.5 / 16]) and np.allclose(anchors[1], anchors[0])
    assert np.allclose(anchors[2], [1.5 / 16, 0.5 / 16])
    assert np.allclose(anchors[512], [0.5 / 8, 0.5 / 8]) and np.allclose(anchors[517], anchors[512])
    assert np.allclose(anchors[-1], [7.5 / 8, 7.5 / 8])


def test_the_original_detector_finds_a_placed_face_where_its_landmarks_are(source):
    """The anchor decoding agrees with the frame geometry: real near-frontal faces placed on a plain background are
    found (IoU >= 0.5 with the box of their annotated points, probability >= 0.5), and the background alone is not."""
    from PIL import Image
    from orn import paths
    labels = np.load(paths.AFLW_TRAIN / "labels.npz")
    background = np.full((128, 128, 3), 90, np.uint8)
    network = detector.OnnxNetwork(source).eval()
    rng = np.random.default_rng(3)
    found = []
    for i in np.flatnonzero(np.abs(labels["yaw_degrees"]) < 30)[:400:40]:
        x0, y0, x1, y1 = labels["roi_box"][i]
        points = labels["pts21"][i].T
        points = (points[(points >= 0).all(1)] - (x0, y0)) * 120 / (x1 - x0)
        face = np.asarray(Image.open(paths.AFLW_TRAIN / "crops" / str(labels["names"][i])).convert("RGB"))
        frame, placed = detector.place_face(face, points, background, rng, (0.45, 0.45))
        found.append(detector.found_scores(network, frame[None], placed[None])[0])
    empty = detector.found_scores(network, background[None], placed[None])
    assert np.mean(np.array(found) >= 0.5) >= 0.9 and empty[0] < 0.5


def test_place_face_keeps_the_face_inside_the_frame_at_the_asked_size():
    rng = np.random.default_rng(4)
    crop = rng.integers(0, 255, (120, 120, 3), dtype=np.uint8)
    marks = np.array([[30.0, 35.0], [90.0, 35.0], [60.0, 100.0]])
    for fraction in ((0.2, 0.2), (0.7, 0.7)):
        frame, points = detector.place_face(crop, marks, np.zeros((128, 128, 3), np.uint8), rng, fraction)
        assert frame.shape == (128, 128, 3) and frame.dtype == np.uint8
        assert (points >= 0).all() and (points <= 128).all()
        size = np.sqrt(np.prod(points.max(0) - points.min(0)))
        assert size == pytest.approx(fraction[0] * 128, rel=1e-4)


def test_the_loss_is_lowest_when_the_student_answers_like_the_teacher():
    rng = torch.Generator().manual_seed(5)
    regressors, logits = torch.randn(2, 896, 16, generator=rng), torch.randn(2, 896, 1, generator=rng) * 4
    config = detector.DEFAULTS
    same, _ = detector.distillation_loss((regressors, logits), (regressors, logits), config)
    moved, _ = detector.distillation_loss((regressors + 1, logits - 2), (regressors, logits), config)
    assert float(moved) > float(same)


def test_face_free_frames_are_taught_no_face_not_the_teachers_false_positive():
    teacher_logits = torch.full((2, 896, 1), -8.0)
    teacher_logits[1, 100] = 3.0  # the teacher sees a face in the second frame, made without one
    regressors = torch.zeros(2, 896, 16)
    config = dict(detector.DEFAULTS, background_weight=5.0)
    copying, _ = detector.distillation_loss((regressors, teacher_logits), (regressors, teacher_logits), config, 1)
    rejecting, _ = detector.distillation_loss((regressors, torch.full((2, 896, 1), -8.0)), (regressors, teacher_logits),
                                              config, 1)
    assert float(rejecting) < float(copying)
    plain = dict(detector.DEFAULTS)  # without background_weight the teacher's answer is the target everywhere
    copying, _ = detector.distillation_loss((regressors, teacher_logits), (regressors, teacher_logits), plain, 1)
    rejecting, _ = detector.distillation_loss((regressors, torch.full((2, 896, 1), -8.0)), (regressors, teacher_logits),
                                              plain, 1)
    assert float(rejecting) > float(copying)


def test_face_floor_teaches_confidence_only_where_the_teacher_boxes_the_placed_face():
    face = np.array([[0.3, 0.3, 0.6, 0.6]], np.float32)
    teacher_logits = torch.full((1, 896, 1), -8.0)
    regressors = torch.zeros(1, 896, 16)
    for anchor, centre in ((100, (0.45, 0.45)), (200, (0.85, 0.85))):  # the first boxes the face, the second not
        teacher_logits[0, anchor] = -0.5  # a doubtful teacher: probability 0.38
        regressors[0, anchor, :2] = (torch.tensor(centre) - torch.from_numpy(detector.ANCHORS[anchor])) * detector.SIDE
        regressors[0, anchor, 2:4] = 0.3 * detector.SIDE
    config = dict(detector.DEFAULTS, face_floor=0.9)

    def loss(anchor, logit, cfg):
        answer = teacher_logits.clone()
        answer[0, anchor] = logit
        return float(detector.distillation_loss((regressors, answer), (regressors, teacher_logits), cfg, 0, face)[0])

    assert loss(100, 3.0, config) < loss(100, -0.5, config)  # confident on the face: taught
    assert loss(200, 3.0, config) > loss(200, -0.5, config)  # elsewhere the teacher's doubt stays the target
    assert loss(100, 3.0, detector.DEFAULTS) > loss(100, -0.5, detector.DEFAULTS)  # off by default


def test_floored_anchors_learn_the_teachers_box_only_where_the_teacher_was_sure():
    face = np.array([[0.3, 0.3, 0.6, 0.6]], np.float32)
    teacher_logits = torch.full((1, 896, 1), -8.0)
    teacher_regressors = torch.zeros(1, 896, 16)
    teacher_logits[0, 100] = -0.5  # a doubted anchor on the face: probability 0.38, floored to 0.9
    teacher_regressors[0, 100, :2] = (torch.tensor((0.45, 0.45)) - torch.from_numpy(detector.ANCHORS[100])) * detector.SIDE
    teacher_regressors[0, 100, 2:4] = 0.3 * detector.SIDE
    student_regressors = teacher_regressors.clone()
    student_regressors[0, 100, 2:4] += 8.0  # the student's box is larger than the teacher's doubtful one

    def box_loss(cfg):
        student, teacher = (student_regressors, teacher_logits), (teacher_regressors, teacher_logits)
        return detector.distillation_loss(student, teacher, cfg, 0, face)[1]["box"]

    assert box_loss(dict(detector.DEFAULTS, face_floor=0.9)) > 0  # runs c-g: the floored target weighs the box
    assert box_loss(dict(detector.DEFAULTS, face_floor=0.9, floor_box_weight=False)) == 0


def test_clip_frames_can_leave_a_clip_out_for_a_held_out_check():
    if not (detector.paths.VIDEOS / "d10.mp4").exists():
        pytest.skip("needs d10.mp4 in ../shared/data/videos")
    frames, names = detector.clip_frames("val", every=25, videos=["d10"], with_names=True)
    assert len(frames) == len(names) > 0
    assert {name.split("/")[1] for name in names} == {"d10"}


def test_the_blended_box_merges_the_best_faces_overlapping_anchors_by_score():
    box = np.array([[10, 10, 50, 50], [14, 10, 54, 50], [80, 80, 120, 120], [10, 12, 50, 52]], np.float32)
    probability = np.array([0.9, 0.6, 0.95, 0.3])
    blended = detector.blended_box(box[:2], probability[:2])
    assert np.allclose(blended, (box[0] * 0.9 + box[1] * 0.6) / 1.5)
    # the best anchor leads; one far away stays out of its blend, one below the threshold too
    assert np.allclose(detector.blended_box(box, probability), box[2])
    assert detector.blended_box(box[3:], probability[3:]) is None


def test_detections_keeps_every_separate_face_after_suppression():
    box = np.array([[10, 10, 50, 50], [12, 10, 52, 50], [80, 80, 120, 120], [81, 80, 121, 120], [0, 0, 5, 5]],
                   np.float32)
    probability = np.array([0.9, 0.8, 0.7, 0.6, 0.2])
    found = detector.detections(box, probability)
    assert len(found) == 2  # two faces; the weak anchor is no detection
    assert found[0][0] < 20 and found[1][0] > 70  # best first
    assert detector.detections(box, np.zeros(5)) == []


def test_letterbox_keeps_the_aspect_and_centres_the_frame():
    frame = np.full((100, 200, 3), 255, np.uint8)
    image = detector.letterbox(frame)
    assert image.shape == (detector.SIDE, detector.SIDE, 3)
    assert image[:32].max() == 0 and image[32:96].min() == 255 and image[96:].max() == 0


@pytest.mark.skipif(not any(detector.paths.VIDEOS.glob("*.mp4")), reason="needs the clips in ../shared/data/videos")
def test_clip_frames_split_the_clips_by_frame_without_overlap():
    train, val = detector.clip_frames("train", every=25), detector.clip_frames("val", every=25)
    assert train.shape[1:] == val.shape[1:] == (detector.SIDE, detector.SIDE, 3)
    assert len(val) > 0 and len(train) > 3 * len(val)
    flat = {frame.tobytes() for frame in train}
    assert not any(frame.tobytes() in flat for frame in val)
