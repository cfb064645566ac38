"""Read and write the CSV format in which the original challenge shipped the data.

The Kaggle release of Fashion-MNIST (`fashion-mnist_train.csv`,
`fashion-mnist_test.csv`) holds one image per row: a header
`label,pixel1,...,pixel784`, then the label and 784 pixel values 0-255.

Examples:
    A round trip through the CSV layout gives back the same images and labels:

    >>> from fmnist_course import load_fashion_mnist
    >>> test = load_fashion_mnist(test_size=100)
    >>> import tempfile
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = save_csv(Path(folder.name) / "fashion-mnist_test_100.csv",
    ...                 test.x_test, test.y_test)
    >>> x, y = load_csv(path)
    >>> x.shape, y.shape, bool((x == test.x_test).all() and (y == test.y_test).all())
    ((100, 28, 28), (100,), True)
    >>> folder.cleanup()

"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np

from fmnist_course.data import IMAGE_SIZE, NUM_CLASSES
from fmnist_course.errors import UserError

NUM_PIXELS = IMAGE_SIZE * IMAGE_SIZE
CSV_HEADER: tuple[str, ...] = ("label",) + tuple(
    f"pixel{i}" for i in range(1, NUM_PIXELS + 1)
)


def load_csv(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read a Kaggle-style Fashion-MNIST CSV into uint8 arrays.

    Args:
        path: The CSV file.

    Returns:
        `(x, y)`: images `(n, 28, 28)` and labels `(n,)`, both uint8, the same
        layout `load_fashion_mnist` returns.

    Raises:
        FileNotFoundError: The file does not exist.
        ValueError: The header is not `label,pixel1,...,pixel784`, or a row has
            the wrong number of columns, a non-integer value, a pixel outside
            0-255 or a label outside 0-9. The message names the row (the header
            is line 1).

    Examples:
        With the Kaggle file `fashion-mnist_train.csv` in the working directory:

        >>> x, y = load_csv("fashion-mnist_train.csv")  # doctest: +SKIP
        >>> x.dtype, y[:3].tolist()  # doctest: +SKIP
        (dtype('uint8'), [2, 9, 6])

    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} does not exist. Expected a CSV with the header "
            "label,pixel1,...,pixel784 (the Kaggle release of Fashion-MNIST)."
        )
    labels: list[int] = []
    images: list[np.ndarray] = []
    with path.open(newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(cell.strip() for cell in header) != CSV_HEADER:
            shown = "(empty file)" if header is None else ",".join(header[:4]) + ",..."
            raise UserError(
                f"{path}, line 1: expected the header label,pixel1,...,pixel784 "
                f"({len(CSV_HEADER)} columns). Received: {shown} "
                f"({0 if header is None else len(header)} columns)."
            )
        for line_number, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(CSV_HEADER):
                raise UserError(
                    f"{path}, line {line_number}: expected {len(CSV_HEADER)} columns "
                    f"(a label and {NUM_PIXELS} pixels). Received: {len(row)} columns."
                )
            try:
                values = np.array(row, dtype=np.int64)
            except ValueError as error:
                raise UserError(
                    f"{path}, line {line_number}: expected integers only. "
                    f"Received a value that is not one ({error})."
                ) from None
            label, pixels = values[0], values[1:]
            if not 0 <= label < NUM_CLASSES:
                raise UserError(
                    f"{path}, line {line_number}: expected a label 0-9. "
                    f"Received: label={label}"
                )
            if pixels.min() < 0 or pixels.max() > 255:
                column = int(np.flatnonzero((pixels < 0) | (pixels > 255))[0]) + 1
                raise UserError(
                    f"{path}, line {line_number}: expected pixel values 0-255. "
                    f"Received: pixel{column}={pixels[column - 1]}"
                )
            labels.append(int(label))
            images.append(pixels.astype(np.uint8))
    if not labels:
        raise UserError(f"{path} has a header but no image rows.")
    x = np.stack(images).reshape(-1, IMAGE_SIZE, IMAGE_SIZE)
    return x, np.array(labels, dtype=np.uint8)


def save_csv(path: str | os.PathLike, x: np.ndarray, y: np.ndarray) -> Path:
    """Write images and labels in the Kaggle CSV layout.

    Args:
        path: Where to write. An existing file is never overwritten.
        x: uint8 images `(n, 28, 28)`.
        y: Labels `(n,)`.

    Returns:
        The path written.

    Raises:
        FileExistsError: `path` already exists.
        ValueError: `x` and `y` do not match in length or shape.

    """
    path = Path(path)
    x = np.asarray(x)
    if x.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE) or len(x) != len(y):
        raise UserError(
            "Expected images (n, 28, 28) and n labels. "
            f"Received: x.shape={x.shape}, len(y)={len(y)}"
        )
    rows = np.column_stack([np.asarray(y), x.reshape(len(x), -1)]).astype(np.int64)
    with path.open("x", newline="") as handle:
        handle.write(",".join(CSV_HEADER) + "\n")
        np.savetxt(handle, rows, fmt="%d", delimiter=",")
    return path
