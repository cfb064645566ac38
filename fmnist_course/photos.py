"""Photo-like pictures of garments, for trying `predict` without a camera.

A Fashion-MNIST image is a garment cut out of a product photo: grayscale,
inverted, the garment bright on black. A photo of your own is not: a backdrop
that is off-white or grey, a lighting gradient across it, a soft shadow, folds,
sensor noise and JPEG artefacts. `render_photo` makes such a picture from a
garment's silhouette, so the preparation in `fmnist_course.predict` can be
seen, and tested, on the conditions real photos have. `tshirt_silhouette`
draws a T-shirt from scratch, with no Fashion-MNIST image behind it.

Examples:
    >>> photo = render_photo(tshirt_silhouette(), color=(30, 40, 90))
    >>> photo.shape, photo.dtype
    ((300, 400, 3), dtype('uint8'))

"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from fmnist_course.errors import UserError

BACKDROPS = {"off-white": (236, 231, 222), "grey": (150, 150, 152)}
"""Backdrop colours of the photos, by name."""


def tshirt_silhouette(size: int = 280) -> np.ndarray:
    """A T-shirt drawn as a filled outline: 1 inside, 0 outside.

    Examples:
        >>> mask = tshirt_silhouette(100)
        >>> mask.shape, float(mask[50, 50]), float(mask[2, 2])
        ((100, 100), 1.0, 0.0)

    """
    outline = [
        (0.36, 0.06), (0.44, 0.12), (0.56, 0.12), (0.64, 0.06),  # collar
        (0.95, 0.22), (0.86, 0.42), (0.76, 0.37),  # right sleeve
        (0.76, 0.96), (0.24, 0.96),  # hem
        (0.24, 0.37), (0.14, 0.42), (0.05, 0.22),  # left sleeve
    ]  # fmt: skip
    image = Image.new("L", (size, size), 0)
    ImageDraw.Draw(image).polygon([(x * size, y * size) for x, y in outline], fill=255)
    return np.asarray(image, dtype=np.float32) / 255.0


def render_photo(
    garment: np.ndarray,
    *,
    color: tuple[int, int, int] = (30, 40, 90),
    backdrop: str | tuple[int, int, int] = "off-white",
    size: tuple[int, int] = (400, 300),
    fill: float = 0.7,
    seed: int = 0,
) -> np.ndarray:
    """A photo-like RGB picture of a garment on a backdrop.

    Args:
        garment: The garment as a 2-D array in [0, 1] (or a uint8 image, read
            as value / 255): 0 is background, above 0 is the garment, and
            higher values are darker cloth, as in a Fashion-MNIST image.
        color: The cloth's colour, RGB.
        backdrop: A name of `BACKDROPS` or an RGB colour.
        size: The photo's `(width, height)` in pixels.
        fill: Share of the photo's height the garment spans.
        seed: Seeds the folds, the lighting direction and the noise.

    Returns:
        uint8 array `(height, width, 3)`, after a JPEG round trip.

    Raises:
        ValueError: `garment` is not 2-D, or `backdrop` is an unknown name.

    """
    garment = np.asarray(garment, dtype=np.float32)
    if garment.ndim != 2:
        raise UserError(
            f"Expected the garment as a 2-D array. Received shape {garment.shape}."
        )
    if garment.max() > 1.0:
        garment = garment / 255.0
    if isinstance(backdrop, str):
        if backdrop not in BACKDROPS:
            raise UserError(
                f"Unknown backdrop {backdrop!r}. Expected one of: "
                f"{', '.join(BACKDROPS)}, or an RGB tuple."
            )
        backdrop = BACKDROPS[backdrop]
    rng = np.random.default_rng(seed)
    width, height = size
    side = max(1, round(fill * height))
    scale = side / max(garment.shape)
    shape = (
        max(1, round(garment.shape[1] * scale)),
        max(1, round(garment.shape[0] * scale)),
    )
    ink = (
        np.asarray(
            Image.fromarray((garment * 255).astype(np.uint8)).resize(
                shape, Image.Resampling.BICUBIC
            ),
            dtype=np.float32,
        )
        / 255.0
    )
    layer = np.zeros((height, width), np.float32)
    top, left = (height - shape[1]) // 2, (width - shape[0]) // 2
    layer[top : top + shape[1], left : left + shape[0]] = ink
    mask = np.clip((layer - 0.1) * 10.0, 0.0, 1.0)  # solid cloth, soft edge

    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * x / width + np.sin(angle) * y / height) * 0.18
    light = 0.95 + ramp - ramp.mean()  # a lighting gradient across the photo
    shadow = (
        np.asarray(
            Image.fromarray((mask * 255).astype(np.uint8)).filter(
                ImageFilter.GaussianBlur(height / 40)
            ),
            dtype=np.float32,
        )
        / 255.0
    )
    shadow = np.roll(shadow, (height // 60, width // 60), axis=(0, 1))
    folds = 1.0 + 0.08 * np.sin(x / (width / 23) + 2.0 * np.sin(y / (height / 7)))
    shading = 1.0 - 0.25 * (layer - layer[mask > 0.5].min(initial=0.0)).clip(0, 1)
    cloth = np.asarray(color, np.float32) * (shading * folds)[..., None]
    back = np.asarray(backdrop, np.float32) * (1.0 - 0.22 * shadow)[..., None]
    photo = (mask[..., None] * cloth + (1.0 - mask[..., None]) * back) * light[
        ..., None
    ]
    photo += rng.normal(0.0, 3.0, photo.shape)
    buffer = io.BytesIO()
    Image.fromarray(photo.clip(0, 255).astype(np.uint8)).save(
        buffer, format="JPEG", quality=80
    )
    buffer.seek(0)
    with Image.open(buffer) as jpeg:
        return np.asarray(jpeg.convert("RGB"))
