"""The landmark calibration's geometry on hand-made cases, and the committed definition's shape."""
import numpy as np

from conftest import needs_data

from orn import facemodel, landmark_calibration


def test_best_point_inside_a_triangle_is_found_exactly():
    rng = np.random.default_rng(0)
    corners = rng.normal(0, 10, (50, 3, 2))            # one triangle seen in 50 crops
    true = np.array([0.2, 0.5, 0.3])
    target = np.einsum("k,nkc->nc", true, corners)
    weights, cost = landmark_calibration.best_on_triangle(corners, target, np.full(50, 1 / 50))
    assert np.allclose(weights, true, atol=1e-6) and cost < 1e-9


def test_best_point_outside_a_triangle_is_kept_on_its_edge():
    corners = np.tile(np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]), (4, 1, 1))
    target = np.tile(np.array([[0.5, -1.0]]), (4, 1))  # below the edge from corner 0 to corner 1
    weights, _ = landmark_calibration.best_on_triangle(corners, target, np.full(4, 0.25))
    assert np.allclose(weights, [0.5, 0.5, 0.0]) and (weights >= 0).all()


def test_rings_grow_around_a_vertex():
    triangles = np.array([[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]])
    assert set(landmark_calibration.rings(triangles, 0, depth=1)) == {0}
    assert set(landmark_calibration.rings(triangles, 0, depth=2)) == {0, 1, 2}
    assert set(landmark_calibration.rings(triangles, 2, depth=1)) == {0, 1, 2}


def test_committed_definition_is_68_barycentric_points():
    definition = facemodel.landmark_definition()
    assert definition["vertices"].shape == (68, 3) and definition["weights"].shape == (68, 3)
    assert np.allclose(definition["weights"].sum(1), 1, atol=1e-5) and (definition["weights"] >= -1e-6).all()


@needs_data
def test_symmetric_calibration_recovers_a_symmetric_definition_and_keeps_it_symmetric():
    """Keypoints read out of 48 posed synthetic faces through a hand-made mirror-symmetric definition: the symmetric
    calibration finds points that reproduce them (under 0.1 px), each left/right pair one point and its mirror image,
    each midline point on the symmetry plane."""
    model = facemodel.load(40)
    committed = facemodel.landmark_definition()
    mirror = model.mirror_vertices(np.arange(model.neutral.shape[0]))
    vertices, weights = committed["vertices"].copy(), committed["weights"].copy()
    for k in range(68):
        partner = facemodel.FLIP68[k]
        if partner == k:
            v = vertices[k][weights[k].argmax()]
            vertices[k], weights[k] = (v, mirror[v], v), (0.5, 0.5, 0.0)
        elif k < partner:
            vertices[partner], weights[partner] = mirror[vertices[k]], weights[k]
    rng = np.random.default_rng(3)
    n = 48
    yaw = np.radians(rng.uniform(-60, 60, n))
    rotation = np.stack([[[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]] for a in yaw])
    sample = dict(alpha=rng.normal(0, 0.5, (n, 40)), beta=rng.uniform(0, 0.4, (n, 53)), R=rotation,
                  s=np.full(n, 0.035), t=np.tile([0.5, -0.5], (n, 1)))
    target = np.einsum("ji,njic->njc", weights,
                       np.stack([landmark_calibration.projected(model, sample, vertices[:, i]) for i in range(3)], 2))
    result = landmark_calibration.symmetric_definition(model, sample, target, np.full(n, 1 / n), 0.0)
    assert np.mean(result["rms_px"]) < 0.1
    found_vertices, found_weights = result["vertices"], result["weights"]
    for k in range(68):
        partner = facemodel.FLIP68[k]
        if partner != k:
            assert (found_vertices[partner] == mirror[found_vertices[k]]).all()
            assert np.allclose(found_weights[partner], found_weights[k])
    points = np.einsum("ji,jic->jc", found_weights, model.neutral[found_vertices])
    midline = [k for k in range(68) if facemodel.FLIP68[k] == k]
    assert np.abs(points[midline, 0]).max() < 0.01
