"""The validation score on a hand-made case."""
import numpy as np

from orn import annotations, validate


def test_score_is_the_normalised_distance_to_annotated_points():
    label68 = np.zeros((2, 68, 2))
    label68[:, :, 0] = np.linspace(0, 60, 68)  # box 60 x 15 -> size 30
    label68[:, :, 1] = np.linspace(0, 15, 68)
    points = label68[:, list(annotations.AFLW_TO_68.values())].copy()
    points[1, 3] = np.nan                      # one point not annotated
    prediction = label68.copy()
    assert validate.score(prediction, label68, points) == 0
    prediction[:, :, 0] += 3.0                 # every landmark 3 px off -> 10 %
    assert np.isclose(validate.score(prediction, label68, points), 10.0)


def test_rule_score_is_the_mean_of_the_rule_columns_only():
    columns = {"clean": 3.0, "moderate": 100.0, "heavy": 5.0, "heavy_held_out": 6.0, "second_moderate": 100.0,
               "second_heavy": 6.0}
    assert validate.rule_score(columns) == 5.0
