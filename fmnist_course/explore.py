"""A pandas view of Fashion-MNIST for exploring the data.

Examples:
    >>> from fmnist_course import load_fashion_mnist
    >>> frame = images_dataframe(load_fashion_mnist())
    >>> means = frame.groupby("class_name", observed=True)["mean_intensity"].mean()
    >>> means.astype(float).round(1).head(3).to_dict()
    {'T-shirt/top': 83.1, 'Trouser': 56.9, 'Pullover': 96.0}

"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fmnist_course.data import CLASS_NAMES, FashionMNIST

INK_THRESHOLD = 32
"""A pixel brighter than this (of 255) counts as part of the garment."""


def images_dataframe(data: FashionMNIST) -> pd.DataFrame:
    """One row per image: split, label, class name and simple pixel statistics.

    Columns:

    - `split`: `"train"`, `"val"` or `"test"`;
    - `label` and `class_name` (categorical, in label order);
    - `mean_intensity`, `std_intensity`: pixel mean and spread on the 0-255 scale;
    - `ink`: the fraction of pixels brighter than `INK_THRESHOLD`;
    - `width`, `height`: the size of the garment's bounding box in pixels.

    Args:
        data: Arrays from `load_fashion_mnist` (scaled or not, any channel axis).

    Returns:
        A DataFrame indexed 0..n-1 over train, validation then test images.

    Examples:
        >>> from fmnist_course import load_fashion_mnist
        >>> frame = images_dataframe(load_fashion_mnist(validation_split=0.1))
        >>> frame["split"].value_counts().to_dict()
        {'train': 54000, 'test': 10000, 'val': 6000}

    """
    parts = [("train", data.x_train, data.y_train)]
    if data.x_val is not None:
        parts.append(("val", data.x_val, data.y_val))
    parts.append(("test", data.x_test, data.y_test))
    frames = [_describe(split, x, y) for split, x, y in parts]
    frame = pd.concat(frames, ignore_index=True)
    frame["split"] = pd.Categorical(frame["split"], categories=[p[0] for p in parts])
    return frame


def _describe(split: str, x: np.ndarray, y: np.ndarray) -> pd.DataFrame:
    pixels = np.asarray(x).reshape(len(x), 28, 28).astype(np.float32)
    if pixels.max(initial=0) <= 1.0:
        pixels = pixels * 255.0
    ink = pixels > INK_THRESHOLD
    rows_with_ink = ink.any(axis=2)
    cols_with_ink = ink.any(axis=1)
    return pd.DataFrame(
        {
            "split": split,
            "label": np.asarray(y).astype(np.int64),
            "class_name": pd.Categorical.from_codes(
                np.asarray(y).astype(np.int64), categories=list(CLASS_NAMES)
            ),
            "mean_intensity": pixels.mean(axis=(1, 2)),
            "std_intensity": pixels.std(axis=(1, 2)),
            "ink": ink.mean(axis=(1, 2)),
            "width": _extent(cols_with_ink),
            "height": _extent(rows_with_ink),
        }
    )


def _extent(has_ink: np.ndarray) -> np.ndarray:
    """Length of the span between the first and last True along axis 1."""
    first = has_ink.argmax(axis=1)
    last = has_ink.shape[1] - 1 - has_ink[:, ::-1].argmax(axis=1)
    return np.where(has_ink.any(axis=1), last - first + 1, 0)
