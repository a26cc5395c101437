"""The jaw-contour check: substitute vertices in the jaw slots, and the distance it reports."""
import numpy as np

from conftest import needs_data
from orn import facemodel, jaw_rule, paths


@needs_data
def test_substitute_geometry_puts_the_contour_vertices_in_the_jaw_slots():
    model = facemodel.load(4)
    stored = np.load(paths.FACE_MODEL)
    geometry = jaw_rule.substitute_geometry(model)
    mean = geometry.lm_mean.numpy()
    np.testing.assert_allclose(mean[jaw_rule.RIGHT], model.neutral[stored["jaw_right_substitutes"]])
    np.testing.assert_allclose(mean[jaw_rule.LEFT], model.neutral[stored["jaw_left_substitutes"]])
    np.testing.assert_allclose(mean[8], model.neutral[model.landmarks68[8]])  # the chin stays
    np.testing.assert_allclose(mean[17:], model.neutral[model.landmarks68[17:]])


def test_distance_is_over_the_chosen_points_and_the_face_size():
    keypoints = np.zeros((1, 68, 2))
    keypoints[0, :, 0] = np.linspace(0, 40, 68)   # box 40 x 10 -> face size 20
    keypoints[0, :, 1] = np.linspace(0, 10, 68)
    prediction = keypoints.copy()
    prediction[0, jaw_rule.JAW, 1] += 2.0        # the jaw 2 px off: 10 % of the face size
    assert np.isclose(jaw_rule.distance(prediction, keypoints, jaw_rule.JAW)[0], 10.0)
    assert np.isclose(jaw_rule.distance(prediction, keypoints)[0], 10.0 * 17 / 68)
