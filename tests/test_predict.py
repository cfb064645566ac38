import numpy as np
import pytest
from PIL import Image

from fmnist_course.models import build_dense_baseline
from fmnist_course.predict import (
    load_garment_image,
    predict_top_k,
    takes_raw_pixels,
    to_fashion_mnist,
)
from fmnist_course.view_averaging import with_flip_averaging


def test_light_background_is_inverted_and_aspect_kept():
    photo = np.full((100, 50), 250.0)
    photo[10:90, 10:40] = 20.0  # a dark, tall garment on white paper
    image = to_fashion_mnist(photo)
    assert image.shape == (28, 28) and image.dtype == np.uint8
    ink_cols = np.flatnonzero(image.max(axis=0) > 100)
    ink_rows = np.flatnonzero(image.max(axis=1) > 100)
    assert len(ink_rows) == 28  # the long side fills the frame
    assert 8 <= len(ink_cols) <= 13  # 30/80 of 28 is about 10.5
    assert image[0, 0] == 0 and image[14, 14] > 200


def test_dark_background_is_kept(tmp_path):
    photo = np.zeros((40, 40), np.uint8)
    photo[5:35, 5:35] = 200
    path = tmp_path / "garment.png"
    Image.fromarray(photo).convert("RGB").save(path)
    image = load_garment_image(path)
    assert image[14, 14] > 150 and image.mean() > 100


def test_unreadable_and_missing_images(tmp_path):
    bad = tmp_path / "notes.png"
    bad.write_text("this is not an image")
    with pytest.raises(ValueError, match="notes.png is not a readable image"):
        load_garment_image(bad)
    with pytest.raises(FileNotFoundError):
        load_garment_image(tmp_path / "nope.jpg")


def test_top_k_is_sorted_and_sums_to_at_most_one():
    model = build_dense_baseline(hidden_units=(8,))
    ranked = predict_top_k(model, np.zeros((28, 28), np.uint8), k=3)
    assert len(ranked) == 3
    probabilities = [p for _, p in ranked]
    assert probabilities == sorted(probabilities, reverse=True)
    assert sum(probabilities) <= 1.0 + 1e-6


def test_raw_pixels_are_detected_inside_a_wrapped_model():
    raw = build_dense_baseline(hidden_units=(8,), rescale=True)
    scaled = build_dense_baseline(hidden_units=(8,))
    assert takes_raw_pixels(raw)
    assert takes_raw_pixels(with_flip_averaging(raw))
    assert not takes_raw_pixels(scaled)
    assert not takes_raw_pixels(with_flip_averaging(scaled))


def test_top_k_scales_pixels_for_a_wrapped_rescaling_model():
    raw = build_dense_baseline(hidden_units=(8,), rescale=True)
    wrapped = with_flip_averaging(raw)
    image = np.random.default_rng(0).integers(0, 256, (28, 28)).astype(np.uint8)
    symmetric = ((image.astype(np.float32) + image[:, ::-1]) / 2).astype(np.uint8)
    expected = predict_top_k(raw, symmetric, k=10)
    received = predict_top_k(wrapped, symmetric, k=10)
    assert [name for name, _ in received] == [name for name, _ in expected]
    np.testing.assert_allclose(
        [p for _, p in received], [p for _, p in expected], rtol=1e-5
    )
