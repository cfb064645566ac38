"""Classify photos of garments with a trained model.

A photo is turned into a Fashion-MNIST-like image in five steps, written out in
lesson 08 before this module packages them:

1. **Backdrop.** The photo's border is taken to be backdrop. A smooth surface
   (a quadratic in x and y, per colour channel) is fitted to the border, so a
   lighting gradient across the backdrop is part of it.
2. **Distance.** Each pixel's colour distance to the backdrop behind it
   (a change of hue weighs more than one of brightness, `CHROMA_WEIGHT`),
   slightly blurred against noise and JPEG artefacts. A navy shirt on grey and
   a white shirt on off-white both stand out here, whatever their brightness.
3. **Mask.** Pixels farther from the backdrop than the border's own noise and
   than a share of the garment's typical distance (`SHADOW_SHARE`, which
   leaves out the rim of a soft shadow) are the garment, with its small
   holes closed.
4. **Crop.** The garment's bounding box, fitted into 28x28 keeping its aspect
   ratio and centred, as Fashion-MNIST's own preparation does.
5. **Ink.** Inside the mask, darkness (255 minus brightness) as a share of
   the garment's darkest part, stretched to `INK_RANGE`, so light and dark
   cloth both show; outside it, 0.

Examples:
    >>> model = load_model("runs/dense-20261124-221503")  # doctest: +SKIP
    >>> predict_top_k(model, load_garment_image("shoe.jpg"))  # doctest: +SKIP
    [('Sneaker', 0.91), ('Sandal', 0.07), ('Ankle boot', 0.02)]

"""

from __future__ import annotations

import os
from pathlib import Path

import keras
import numpy as np
from PIL import Image, ImageFilter, UnidentifiedImageError

from fmnist_course.data import CLASS_NAMES, IMAGE_SIZE
from fmnist_course.errors import UserError

BORDER_FRACTION = 0.04
"""Width of the border band taken as backdrop, as a share of the shorter side."""
NOISE_FACTOR = 6.0
"""A garment pixel differs from the backdrop by more than this many noise units."""
CHROMA_WEIGHT = 2.0
"""How much more a change of hue counts than a change of brightness.

Shading and folds change a cloth's brightness, not its hue, so a white shirt
on a warm off-white backdrop still stands out by its colour where a fold
makes it as bright as the backdrop.
"""
SHADOW_SHARE = 0.3
"""Pixels closer to the backdrop than this share of the garment's typical
distance are backdrop: the faint rim of a soft shadow, not cloth."""
INK_RANGE = (80.0, 255.0)
"""Pixel values garment pixels are stretched to; background pixels are 0."""


def load_garment_image(path: str | os.PathLike) -> np.ndarray:
    """Read a photo of a garment and prepare it like a Fashion-MNIST image.

    Args:
        path: A PNG, JPEG or other image file Pillow can read.

    Returns:
        uint8 array `(28, 28)`, garment bright on black.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The file is not a readable image.

    Examples:
        >>> load_garment_image("navy_tshirt.jpg").shape  # doctest: +SKIP
        (28, 28)

    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist.")
    try:
        with Image.open(path) as image:
            rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
    except (UnidentifiedImageError, OSError) as error:
        raise UserError(
            f"{path} is not a readable image ({error}). "
            "Expected a PNG or JPEG photo of a garment."
        ) from None
    return to_fashion_mnist(rgb)


def _as_channels(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 2:
        image = image[..., np.newaxis]
    if image.ndim != 3 or image.shape[2] not in (1, 3) or min(image.shape[:2]) < 3:
        raise UserError(
            "Expected a grayscale (height, width) or RGB (height, width, 3) image "
            f"of at least 3x3 pixels. Received shape {np.shape(image)}."
        )
    return image


def backdrop_surface(image: np.ndarray) -> np.ndarray:
    """The backdrop behind every pixel, fitted to the photo's border.

    A quadratic surface in x and y per channel, fitted by least squares to a
    band around the border, then again without the band's worst-fitting tenth
    (a garment that touches the border).

    Examples:
        >>> y, x = np.mgrid[0:40, 0:60]
        >>> photo = (150 + x).astype(np.float32)  # a lighting gradient
        >>> photo[10:30, 20:40] = 20  # a dark garment
        >>> surface = backdrop_surface(photo)
        >>> round(float(surface[20, 30, 0]))  # the backdrop behind the garment
        180

    """
    image = _as_channels(image)
    height, width = image.shape[:2]
    band = max(1, round(BORDER_FRACTION * min(height, width)))
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    y, x = y / height - 0.5, x / width - 0.5
    terms = np.stack([np.ones_like(x), x, y, x * x, y * y, x * y], axis=-1)
    border = np.zeros((height, width), bool)
    border[:band], border[-band:], border[:, :band], border[:, -band:] = (True,) * 4
    design, values = terms[border], image[border]
    keep = np.ones(len(values), bool)
    for _ in range(2):
        coefficients, *_ = np.linalg.lstsq(design[keep], values[keep], rcond=None)
        residual = np.linalg.norm(design @ coefficients - values, axis=1)
        keep = residual <= np.quantile(residual, 0.9)
    return terms @ coefficients


def _blur(array: np.ndarray, radius: float) -> np.ndarray:
    peak = float(array.max()) or 1.0
    image = Image.fromarray((array / peak * 255).astype(np.uint8))
    blurred = image.filter(ImageFilter.GaussianBlur(radius))
    return np.asarray(blurred, dtype=np.float32) / 255 * peak


def garment_mask(image: np.ndarray) -> np.ndarray:
    """Which pixels of a photo are garment, not backdrop (a boolean array).

    Examples:
        >>> photo = np.full((40, 40, 3), 235.0)
        >>> photo[10:30, 12:28] = (245, 245, 245)  # white cloth on off-white
        >>> mask = garment_mask(photo)
        >>> bool(mask[20, 20]), bool(mask[2, 2])
        (True, False)

    """
    image = _as_channels(image)
    difference = image - backdrop_surface(image)
    brightness = difference.mean(axis=2, keepdims=True)
    colour = difference - brightness  # a change of hue, not of light
    distance = np.sqrt(
        brightness[..., 0] ** 2 + CHROMA_WEIGHT**2 * (colour**2).sum(axis=2)
    )
    distance = _blur(distance, max(1.0, min(image.shape[:2]) / 200))
    band = max(1, round(BORDER_FRACTION * min(image.shape[:2])))
    border = np.concatenate(
        [distance[:band].ravel(), distance[-band:].ravel(),
         distance[:, :band].ravel(), distance[:, -band:].ravel()]
    )  # fmt: skip
    median = float(np.median(border))
    noise = 1.4826 * float(np.median(np.abs(border - median))) + 0.5
    floor = median + NOISE_FACTOR * noise
    above = distance[distance > floor]
    typical = float(np.median(above)) if above.size else 0.0
    threshold = max(floor, SHADOW_SHARE * typical)
    return close_gaps(distance > threshold, round(min(image.shape[:2]) / 80))


def close_gaps(mask: np.ndarray, size: int) -> np.ndarray:
    """The mask with gaps and holes narrower than `size` pixels closed.

    A fold or a print on the cloth that happens to match the backdrop's colour
    would otherwise leave a hole in the garment; a morphological closing (a
    dilation, then an erosion) fills such small holes and leaves the garment's
    real openings, a sandal's or a bag handle's, which are wider.

    Examples:
        >>> ring = np.ones((9, 9), bool)
        >>> ring[4, 4] = False
        >>> bool(close_gaps(ring, 3)[4, 4])
        True

    """
    size = max(3, size | 1)  # an odd filter size
    image = Image.fromarray(np.pad(mask, size).astype(np.uint8) * 255)
    closed = image.filter(ImageFilter.MaxFilter(size)).filter(
        ImageFilter.MinFilter(size)
    )
    return np.asarray(closed)[size:-size, size:-size] > 127


def _bounding_box(mask: np.ndarray) -> tuple[slice, slice] | None:
    """Rows and columns holding the garment, ignoring specks of noise."""
    rows = mask.sum(axis=1) >= max(2, 0.02 * mask.shape[1])
    cols = mask.sum(axis=0) >= max(2, 0.02 * mask.shape[0])
    if not rows.any() or not cols.any():
        return None
    r, c = np.flatnonzero(rows), np.flatnonzero(cols)
    return slice(r[0], r[-1] + 1), slice(c[0], c[-1] + 1)


def to_fashion_mnist(image: np.ndarray) -> np.ndarray:
    """Turn a photo (grayscale or RGB, any size, 0-255) into a 28x28 image.

    See the module's description for the five steps.

    Raises:
        ValueError: Not a grayscale or RGB image of at least 3x3 pixels.

    Examples:
        >>> photo = np.full((60, 30), 255.0)
        >>> photo[10:50, 5:25] = 0.0  # a dark garment on white paper
        >>> image = to_fashion_mnist(photo)
        >>> image.shape, int(image[14, 14]) > 200, int(image[0, 0])
        ((28, 28), True, 0)

    """
    image = _as_channels(image)
    mask = garment_mask(image)
    darkness = 255.0 - image.mean(axis=2)
    box = _bounding_box(mask)
    if box is None:  # nothing stands out from the backdrop
        return np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    mask, darkness = mask[box], darkness[box]
    darkest = max(float(np.percentile(darkness[mask], 98)), 1.0)
    share = np.clip(darkness / darkest, 0.0, 1.0)
    ink = INK_RANGE[0] + (INK_RANGE[1] - INK_RANGE[0]) * share
    ink = np.where(mask, ink, 0.0)
    height, width = ink.shape
    scale = IMAGE_SIZE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    resized = Image.fromarray(ink.clip(0, 255).astype(np.uint8)).resize(
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
        >>> from fmnist_course.models import build_model
        >>> from fmnist_course.view_averaging import with_flip_averaging
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
