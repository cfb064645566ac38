"""Classify photos of garments with a trained model.

A photo is turned into a Fashion-MNIST-like image: grayscale, the garment light
on a dark background (photos with a light background are inverted), cropped to
the garment, fitted into 28x28 keeping its aspect ratio and centred.

Examples:
    >>> model = load_model("runs/dense-20261124-221503")  # doctest: +SKIP
    >>> predict_top_k(model, load_garment_image("shoe.png"))  # doctest: +SKIP
    [('Sneaker', 0.91), ('Sandal', 0.07), ('Ankle boot', 0.02)]

"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
from PIL import Image, UnidentifiedImageError

from fmnist_course.data import CLASS_NAMES, IMAGE_SIZE

INK_THRESHOLD = 32


def load_garment_image(path: str | os.PathLike) -> np.ndarray:
    """Read an image file and prepare it like a Fashion-MNIST image.

    Args:
        path: A PNG, JPEG or other image file Pillow can read.

    Returns:
        uint8 array `(28, 28)`, garment bright on black.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is not a readable image.

    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist.")
    try:
        with Image.open(path) as image:
            gray = np.asarray(image.convert("L"), dtype=np.float32)
    except (UnidentifiedImageError, OSError) as error:
        raise ValueError(
            f"{path} is not a readable image ({error}). "
            "Expected a PNG or JPEG photo of a garment."
        ) from None
    return to_fashion_mnist(gray)


def to_fashion_mnist(gray: np.ndarray) -> np.ndarray:
    """Turn a grayscale array (any size, 0-255) into a 28x28 Fashion-MNIST image.

    Examples:
        >>> photo = np.full((60, 30), 255.0)
        >>> photo[10:50, 5:25] = 0.0  # a dark garment on white paper
        >>> image = to_fashion_mnist(photo)
        >>> image.shape, int(image[14, 14]) > 200, int(image[0, 0])
        ((28, 28), True, 0)

    """
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim != 2 or min(gray.shape) < 1:
        raise ValueError(f"Expected a 2-D grayscale image. Received shape {gray.shape}")
    border = np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])
    if np.median(border) > 127:
        gray = 255.0 - gray
    ink = gray > INK_THRESHOLD
    if ink.any():
        rows = np.flatnonzero(ink.any(axis=1))
        cols = np.flatnonzero(ink.any(axis=0))
        gray = gray[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    height, width = gray.shape
    scale = IMAGE_SIZE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(gray.clip(0, 255).astype(np.uint8)).resize(
        size, Image.Resampling.LANCZOS
    )
    canvas = np.zeros((IMAGE_SIZE, IMAGE_SIZE), dtype=np.uint8)
    top = (IMAGE_SIZE - size[1]) // 2
    left = (IMAGE_SIZE - size[0]) // 2
    canvas[top : top + size[1], left : left + size[0]] = np.asarray(resized)
    return canvas


def takes_raw_pixels(model: keras.Model) -> bool:
    """Whether a model expects pixels from 0 to 255 rather than from 0 to 1.

    True when the model has a `Rescaling` layer, at the top level or inside a
    sub-model it calls (as in a model wrapped by `with_flip_averaging`).

    Examples:
        >>> from fmnist_course.models import build_model, with_flip_averaging
        >>> takes_raw_pixels(build_model("dense", rescale=True))
        True
        >>> takes_raw_pixels(with_flip_averaging(build_model("dense", rescale=True)))
        True
        >>> takes_raw_pixels(build_model("dense"))
        False

    """
    for layer in model.layers:
        if isinstance(layer, keras.layers.Rescaling):
            return True
        if isinstance(layer, keras.Model) and takes_raw_pixels(layer):
            return True
    return False


def predict_top_k(
    model: keras.Model, image: np.ndarray, k: int = 3
) -> list[tuple[str, float]]:
    """Return the `k` most probable classes of one image, with probabilities.

    The model decides the scaling: models that rescale pixels themselves
    (see `takes_raw_pixels`) get raw pixels, others get pixels divided by 255.
    """
    batch = np.asarray(image, dtype=np.float32)[np.newaxis]
    if not takes_raw_pixels(model):
        batch = batch / 255.0
    if len(model.input_shape) == 4:
        batch = batch[..., np.newaxis]
    probabilities = np.asarray(model.predict(batch, verbose=0))[0]
    best = np.argsort(probabilities)[::-1][:k]
    return [(CLASS_NAMES[i], float(probabilities[i])) for i in best]
