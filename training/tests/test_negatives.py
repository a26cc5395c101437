"""Background crops for the face score, and the ROC summary, on made-up images and scores."""
import numpy as np

from orn import data, face_score, negatives


def face_like(n=4, side=120, seed=0):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, (n, side, side, 3), dtype=np.uint8)


def test_every_kind_makes_images_of_the_input_size():
    rng = np.random.default_rng(1)
    faces = face_like()
    video = face_like(2, seed=5)
    images = negatives.make(faces, video, 40, rng, out=128)
    assert images.shape == (40, 128, 128, 3) and images.dtype == np.uint8
    for kind in (negatives.border, negatives.part, negatives.mosaic):
        assert kind(faces[0], rng, 128).shape == (128, 128, 3)
    assert negatives.clutter(rng, 128).shape == (128, 128, 3)


def test_defocused_negatives_lose_their_fine_detail():
    """Random-noise crops lose most of their pixel-to-pixel variation when thrown out of focus, and only then."""
    faces = face_like()

    def roughness(images):
        return float(np.abs(np.diff(images.astype(np.float32), axis=2)).mean())

    sharp = negatives.make(faces, face_like(2, seed=5), 20, np.random.default_rng(4), out=120)
    blurred = negatives.make(faces, face_like(2, seed=5), 20, np.random.default_rng(4), out=120, defocused=1.0)
    assert roughness(blurred) < 0.5 * roughness(sharp)


def test_framed_negatives_show_the_framings_fill_beyond_their_crop():
    """With a framing, each background crop is zoomed, turned and shifted as the faces are: the same draws with a
    black and a mirrored fill differ only where the crop was left (and along its edge, where sampling mixes the two),
    and there the black one is black."""
    faces = face_like()

    def framed(fill):
        return negatives.make(faces, face_like(2, seed=5), 20, np.random.default_rng(4), out=128,
                              framing=data.Framing(0.5, 0.25, fill))
    black, mirrored = framed("black"), framed("reflect")
    beyond = (black != mirrored).any(-1)
    assert beyond.any(axis=(1, 2)).mean() > 0.5, "most crops reach beyond their source"
    assert (black[beyond] == 0).all(-1).mean() > 0.9
    unframed = negatives.make(faces, face_like(2, seed=5), 20, np.random.default_rng(4), out=128)
    assert (unframed != black).any()


def test_mosaic_keeps_the_pixels_and_moves_them():
    rng = np.random.default_rng(2)
    face = np.zeros((128, 128, 3), np.uint8)
    face[:32, :32] = 255  # one bright tile in the corner
    shuffled = negatives.mosaic(face, rng, 128)
    assert abs(int(shuffled.astype(int).sum()) - int(face.astype(int).sum())) < 0.05 * face.astype(int).sum()
    assert not np.array_equal(shuffled, face)


def test_border_crops_stay_outside_the_face_centre():
    """A face crop with a marked centre (the middle 40 %): border crops never show the mark."""
    face = np.zeros((120, 120, 3), np.uint8)
    face[36:84, 36:84] = 255
    rng = np.random.default_rng(3)
    assert all(negatives.border(face, rng, 64).max() == 0 for _ in range(50))


def test_roc_on_hand_made_scores():
    background = np.linspace(0, 0.5, 1000)           # 99 % of it at or below 0.495
    faces = np.array([0.2, 0.6, 0.7, 0.9])
    result = face_score.roc(faces, background)
    assert abs(result["threshold"] - 0.495) < 1e-3
    assert result["faces_above"] == 0.75
    assert abs(result["auc"] - (0.4 + 1 + 1 + 1) / 4) < 1e-2


def test_hands_on_skin_draw_a_skin_oval_and_hands_where_a_face_would_be():
    """The layout of a face (unit size, centred) placed in a grey image: the middle turns skin-coloured (red above
    blue), the corners stay grey, and the hands cover part of the oval."""
    layout = np.stack(np.meshgrid(np.linspace(-0.5, 0.5, 17), np.linspace(-0.5, 0.5, 4)), -1).reshape(-1, 2)[:68]
    grey = np.full((128, 128, 3), 90, np.uint8)
    made = [negatives.hands_on_skin(grey, layout, np.random.default_rng(seed)) for seed in range(6)]
    for image in made:
        assert image.shape == (128, 128, 3) and image.dtype == np.uint8
        middle = image[54:74, 54:74].reshape(-1, 3).astype(float).mean(0)
        assert middle[0] > middle[2] + 10, "skin (or a skin-coloured hand) in the middle"
        assert np.abs(image[:6, :6].astype(int) - 90).max() <= 2, "the corner is untouched"
    for seed, image in enumerate(made):  # the same draws without the hands: the bare oval
        rng = np.random.default_rng(seed)
        points = layout * rng.uniform(0.35, 0.75) * 128 + rng.uniform(0.4, 0.6, 2) * 128
        extent = np.ptp(points, axis=0)
        oval = negatives.skin_oval(grey, rng, centre=points.mean(0) - [0, 0.1 * extent[1]], width=1.15 * extent[0])
        changed = np.abs(image.astype(int) - oval.astype(int)).max(-1) > 8
        assert 0.03 < changed.mean() < 0.5, f"seed {seed}: hands change {changed.mean():.1%} of the image"


def test_the_hands_kind_comes_only_with_a_layout():
    faces = face_like()
    layout = np.stack(np.meshgrid(np.linspace(-0.5, 0.5, 17), np.linspace(-0.5, 0.5, 4)), -1).reshape(-1, 2)[:68]
    with_hands = negatives.make(faces, face_like(2, seed=5), 60, np.random.default_rng(7), out=128, layout=layout)
    assert with_hands.shape == (60, 128, 128, 3)
    without = negatives.make(faces, face_like(2, seed=5), 60, np.random.default_rng(7), out=128)
    assert not np.array_equal(with_hands, without)


def test_black_bands_blacken_whole_edges_only():
    rng = np.random.default_rng(11)
    grey = np.full((100, 100, 3), 90, np.uint8)
    for _ in range(20):
        banded = negatives.black_bands(grey, rng)
        black = (banded == 0).all(-1)
        edges = [black[0].all(), black[-1].all(), black[:, 0].all(), black[:, -1].all()]
        assert 1 <= sum(edges) <= 3, "one to three edges banded"
        assert black[50, 50] == False and (banded[~black] == 90).all(), "the middle and the rest untouched"
        assert black.mean() <= 3 * 0.25
    assert (negatives.make(face_like(), face_like(2, seed=5), 20, np.random.default_rng(4), out=64, banded=1.0)
            .reshape(20, -1, 3) == 0).all(-1).any(1).all(), "banded=1 gives every negative black pixels"


def test_face_score_bands_every_crop_the_same_way_for_every_model():
    crops = face_like(6)
    first, again = face_score.banded(crops, 80), face_score.banded(crops, 80)
    assert first.shape == crops.shape and np.array_equal(first, again), "fixed seed: the same bands each time"
    assert (first.reshape(len(crops), -1, 3) == 0).all(-1).any(1).all(), "every crop has bands"
    assert not np.array_equal(first, face_score.banded(crops, 81))
