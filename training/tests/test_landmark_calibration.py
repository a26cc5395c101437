"""The landmark calibration's geometry on hand-made cases, and the committed definition's shape."""
import numpy as np

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
