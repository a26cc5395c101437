"""Background crops for the face score, and the ROC summary, on made-up images and scores."""
import numpy as np

from orn import face_score, negatives


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
