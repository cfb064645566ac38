"""Load the real Fashion-MNIST data, verified byte for byte.

Fashion-MNIST ships as four gzipped IDX files. This module finds them, checks
their headers and the SHA-256 of their decompressed content against digests
committed below, and returns plain numpy arrays.

Where the files are looked for, in order:

1. the `data_dir` argument;
2. the `FMNIST_DATA_DIR` environment variable;
3. the Keras cache, `~/.keras/datasets/fashion-mnist`;
4. Debian's `dataset-fashion-mnist` package, `/usr/share/datasets/fashion-mnist`;
5. a download through Keras (`keras.utils.get_file`) from the location Keras
   itself uses, written atomically into the Keras cache and verified.

Examples:
    >>> from fmnist_course import load_fashion_mnist, CLASS_NAMES
    >>> data = load_fashion_mnist(scale=True, validation_split=0.1)
    >>> data.x_train.shape, data.x_val.shape, data.x_test.shape
    ((54000, 28, 28), (6000, 28, 28), (10000, 28, 28))
    >>> CLASS_NAMES[data.y_test[0]]
    'Ankle boot'

"""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import tempfile
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from fmnist_course.errors import UserError

CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""The ten Fashion-MNIST classes; label `i` is `CLASS_NAMES[i]`."""

IMAGE_SIZE = 28
NUM_CLASSES = len(CLASS_NAMES)

DATA_DIR_ENV = "FMNIST_DATA_DIR"
KERAS_CACHE_DIR = Path("~/.keras/datasets/fashion-mnist")
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
HOW_TO_GET_DATA = (
    "Get good files with `fmnist-course data --fetch` (downloads through Keras), "
    "or on Debian/Ubuntu with `sudo apt-get install dataset-fashion-mnist`, "
    f"or point {DATA_DIR_ENV} at a directory holding the four original .gz files."
)


@dataclass(frozen=True)
class IdxFile:
    """What one of the four original files must contain."""

    name: str
    magic: int
    count: int
    sha256: str  # of the decompressed bytes: gzip bytes differ between mirrors

    @property
    def is_images(self) -> bool:
        """Whether the file holds images (magic 2051) rather than labels."""
        return self.magic == 2051


IDX_FILES: dict[str, IdxFile] = {
    "train_images": IdxFile(
        "train-images-idx3-ubyte.gz",
        2051,
        60000,
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    "train_labels": IdxFile(
        "train-labels-idx1-ubyte.gz",
        2049,
        60000,
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    "test_images": IdxFile(
        "t10k-images-idx3-ubyte.gz",
        2051,
        10000,
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    "test_labels": IdxFile(
        "t10k-labels-idx1-ubyte.gz",
        2049,
        10000,
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
}


class DataError(UserError):
    """A data file is missing, truncated, corrupt or not Fashion-MNIST.

    A `UserError` (and so a `ValueError`): the command line shows it in one line.
    """


@dataclass(frozen=True)
class FashionMNIST:
    """The arrays of one load, plus where they came from.

    Attributes:
        x_train: Training images, `(n, 28, 28)` or `(n, 28, 28, 1)`.
        y_train: Training labels, integers 0-9.
        x_test: The standard 10,000 test images (or a subset in fast runs).
        y_test: Test labels.
        x_val: Validation images carved out of the training set, or `None`.
        y_val: Validation labels, or `None`.
        source: The directory the verified files were read from.

    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    source: Path | None = None

    @property
    def validation_data(self) -> tuple[np.ndarray, np.ndarray] | None:
        """`(x_val, y_val)` ready for `model.fit(validation_data=...)`."""
        if self.x_val is None:
            return None
        return self.x_val, self.y_val


def load_fashion_mnist(
    data_dir: str | os.PathLike | None = None,
    *,
    scale: bool = False,
    channel_axis: bool = False,
    validation_split: float = 0.0,
    train_size: int | None = None,
    test_size: int | None = None,
    seed: int = 0,
    download: bool = True,
) -> FashionMNIST:
    """Load the standard Fashion-MNIST split (60,000 train, 10,000 test).

    Args:
        data_dir: Directory holding the four `.gz` files. When `None`, the
            sources listed in the module docstring are tried in order.
        scale: Return float32 images in [0, 1] instead of uint8 in [0, 255].
        channel_axis: Add a trailing channel axis, `(n, 28, 28, 1)`, as
            `Conv2D` expects.
        validation_split: Fraction of the training set held out as a seeded,
            stratified validation set (`x_val`, `y_val`). 0 keeps none.
        train_size: Keep a seeded, stratified subset of this many training
            images (taken before the validation split). For fast runs only.
        test_size: Keep a seeded, stratified subset of this many test images.
            For fast runs only: reported results use the full test set.
        seed: Seed for the subset and the validation split.
        download: Whether to download through Keras when no local copy exists.

    Returns:
        A `FashionMNIST` holding the arrays and their source directory.

    Raises:
        FileNotFoundError: No copy of the data could be found or fetched.
        DataError: A file is truncated, corrupt or holds other data.
        ValueError: An option is out of range.

    Examples:
        >>> data = load_fashion_mnist(train_size=1000, test_size=500, seed=1)
        >>> data.x_train.shape, data.x_train.dtype
        ((1000, 28, 28), dtype('uint8'))
        >>> np.bincount(data.y_train).tolist()
        [100, 100, 100, 100, 100, 100, 100, 100, 100, 100]

    """
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(
            "Expected validation_split in [0, 1). "
            f"Received: validation_split={validation_split}"
        )
    source = find_data_dir(data_dir, download=download)
    arrays = {
        key: read_idx(source / spec.name, spec) for key, spec in IDX_FILES.items()
    }
    data = FashionMNIST(
        x_train=arrays["train_images"],
        y_train=arrays["train_labels"],
        x_test=arrays["test_images"],
        y_test=arrays["test_labels"],
        source=source,
    )
    rng = np.random.default_rng(seed)
    if train_size is not None:
        keep = stratified_sample(data.y_train, train_size, rng)
        data = replace(data, x_train=data.x_train[keep], y_train=data.y_train[keep])
    if test_size is not None:
        keep = stratified_sample(data.y_test, test_size, rng)
        data = replace(data, x_test=data.x_test[keep], y_test=data.y_test[keep])
    if validation_split:
        num_val = round(len(data.y_train) * validation_split)
        val = stratified_sample(data.y_train, num_val, rng)
        train = np.setdiff1d(np.arange(len(data.y_train)), val)
        data = replace(
            data,
            x_train=data.x_train[train],
            y_train=data.y_train[train],
            x_val=data.x_train[val],
            y_val=data.y_train[val],
        )
    return prepare_images(data, scale=scale, channel_axis=channel_axis)


def prepare_images(
    data: FashionMNIST, *, scale: bool = False, channel_axis: bool = False
) -> FashionMNIST:
    """Scale to [0, 1] float32 and/or add a channel axis to every image array.

    Args:
        data: Arrays as returned by `load_fashion_mnist`.
        scale: Divide uint8 pixels by 255 into float32.
        channel_axis: Append an axis of size 1.

    Returns:
        A new `FashionMNIST`; labels are unchanged.

    """

    def convert(images: np.ndarray | None) -> np.ndarray | None:
        if images is None:
            return None
        if scale:
            images = images.astype("float32") / 255.0
        if channel_axis:
            images = images[..., np.newaxis]
        return images

    return replace(
        data,
        x_train=convert(data.x_train),
        x_test=convert(data.x_test),
        x_val=convert(data.x_val),
    )


def stratified_sample(
    labels: np.ndarray, size: int, rng: np.random.Generator | int = 0
) -> np.ndarray:
    """Pick `size` indices so each class keeps its share of `labels`.

    Args:
        labels: Integer class labels.
        size: How many indices to pick, between 1 and `len(labels)`.
        rng: A numpy generator or a seed.

    Returns:
        Sorted indices into `labels`.

    Raises:
        ValueError: `size` is out of range.

    Examples:
        >>> labels = np.array([0] * 8 + [1] * 2)
        >>> np.bincount(labels[stratified_sample(labels, 5, rng=0)]).tolist()
        [4, 1]

    """
    if not 1 <= size <= len(labels):
        raise ValueError(
            f"Expected a sample size between 1 and {len(labels)}. Received: size={size}"
        )
    rng = np.random.default_rng(rng)
    classes, counts = np.unique(labels, return_counts=True)
    exact = counts * size / len(labels)
    quotas = np.floor(exact).astype(int)
    leftover = size - quotas.sum()
    quotas[np.argsort(quotas - exact, kind="stable")[:leftover]] += 1
    picked = [
        rng.permutation(np.flatnonzero(labels == label))[:quota]
        for label, quota in zip(classes, quotas, strict=True)
    ]
    return np.sort(np.concatenate(picked))


def find_data_dir(
    data_dir: str | os.PathLike | None = None, *, download: bool = True
) -> Path:
    """Return the first directory that holds all four Fashion-MNIST files.

    An explicitly named directory (argument or `FMNIST_DATA_DIR`) must hold the
    files: it is never skipped in favour of another source.

    Args:
        data_dir: Directory to use instead of searching.
        download: Download into the Keras cache when nothing is found.

    Returns:
        The directory.

    Raises:
        FileNotFoundError: The named directory lacks files, or nothing was found
            and downloading is off or failed.

    """
    explicit = data_dir or os.environ.get(DATA_DIR_ENV)
    if explicit:
        origin = "data_dir" if data_dir else DATA_DIR_ENV
        directory = Path(explicit).expanduser()
        missing = missing_files(directory)
        if missing:
            raise FileNotFoundError(
                f"{origin}={str(directory)!r} lacks {', '.join(missing)}. "
                f"Expected the four original Fashion-MNIST .gz files there. "
                + HOW_TO_GET_DATA
            )
        return directory
    for directory in (KERAS_CACHE_DIR.expanduser(), DEBIAN_DIR):
        if not missing_files(directory):
            return directory
    if not download:
        raise FileNotFoundError(
            "Fashion-MNIST was not found in the Keras cache "
            f"({KERAS_CACHE_DIR}) or in {DEBIAN_DIR}. " + HOW_TO_GET_DATA
        )
    return download_fashion_mnist()


def missing_files(directory: Path) -> list[str]:
    """Names of the four data files that `directory` does not hold."""
    return [
        spec.name
        for spec in IDX_FILES.values()
        if not (directory / spec.name).is_file()
    ]


def download_fashion_mnist(directory: str | os.PathLike | None = None) -> Path:
    """Download the four files the way Keras does, verify them, then publish.

    Files are fetched into a temporary directory beside the target, verified,
    and only then moved into place, so an interrupted or corrupt download never
    leaves a half-written file where the loader would find it.

    Args:
        directory: Where to put the files; defaults to the Keras cache.

    Returns:
        The directory holding the verified files.

    Raises:
        FileNotFoundError: The download failed (for example, no network).
        DataError: What was downloaded is not the real Fashion-MNIST.

    """
    import keras  # imported here: loading local data should not need Keras

    target = Path(directory or KERAS_CACHE_DIR).expanduser()
    target.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target, prefix=".download-") as staging:
        for spec in IDX_FILES.values():
            if (target / spec.name).is_file():
                continue
            try:
                fetched = keras.utils.get_file(
                    fname=spec.name,
                    origin=KERAS_ORIGIN + spec.name,
                    cache_dir=staging,
                    cache_subdir=".",
                )
            except Exception as error:  # Keras wraps network errors variously
                raise FileNotFoundError(
                    f"Could not download {KERAS_ORIGIN + spec.name}: {error}. "
                    + HOW_TO_GET_DATA
                ) from error
            read_idx(Path(fetched), spec)
            os.replace(fetched, target / spec.name)
    return target


def read_idx(path: Path, spec: IdxFile | None = None) -> np.ndarray:
    """Read one gzipped IDX file, checking its header and content digest.

    Args:
        path: The `.gz` file.
        spec: What the file must contain; looked up by file name when `None`.

    Returns:
        uint8 images `(count, 28, 28)` or labels `(count,)`.

    Raises:
        DataError: The file is truncated, corrupt or holds other data.

    """
    path = Path(path)
    if spec is None:
        spec = next((s for s in IDX_FILES.values() if s.name == path.name), None)
        if spec is None:
            raise DataError(
                f"{path} is not one of the Fashion-MNIST files. Expected one of: "
                + ", ".join(s.name for s in IDX_FILES.values())
            )
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist. {HOW_TO_GET_DATA}")
    try:
        with gzip.open(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(
            f"{path} could not be decompressed ({error}); the file is truncated "
            f"or corrupt. Delete it and get it again. {HOW_TO_GET_DATA}"
        ) from error
    header_size = 16 if spec.is_images else 8
    if len(raw) < header_size:
        raise DataError(
            f"{path} holds {len(raw)} bytes, fewer than an IDX header. "
            f"Delete it and get it again. {HOW_TO_GET_DATA}"
        )
    magic, count = struct.unpack(">II", raw[:8])
    if magic != spec.magic:
        raise DataError(
            f"{path} has IDX magic number {magic}; expected {spec.magic} "
            f"({'images' if spec.is_images else 'labels'}). "
            f"This is not the file its name says. {HOW_TO_GET_DATA}"
        )
    if count != spec.count:
        raise DataError(
            f"{path} holds {count} items; the standard split has {spec.count}. "
            + HOW_TO_GET_DATA
        )
    shape: tuple[int, ...] = (count,)
    if spec.is_images:
        rows, cols = struct.unpack(">II", raw[8:16])
        if (rows, cols) != (IMAGE_SIZE, IMAGE_SIZE):
            raise DataError(
                f"{path} holds {rows}x{cols} images; expected 28x28. " + HOW_TO_GET_DATA
            )
        shape = (count, rows, cols)
    expected_bytes = header_size + int(np.prod(shape))
    if len(raw) != expected_bytes:
        raise DataError(
            f"{path} decompresses to {len(raw)} bytes; expected {expected_bytes}. "
            f"The file is truncated or padded. {HOW_TO_GET_DATA}"
        )
    digest = hashlib.sha256(raw).hexdigest()
    if digest != spec.sha256:
        raise DataError(
            f"{path} has SHA-256 {digest} after decompression; expected "
            f"{spec.sha256}. The content is corrupt or altered. {HOW_TO_GET_DATA}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(shape).copy()


def verify_data_dir(data_dir: str | os.PathLike) -> dict[str, str]:
    """Verify all four files in `data_dir`.

    Args:
        data_dir: The directory to check.

    Returns:
        A mapping from file name to `"ok"` or the error message.

    """
    directory = Path(data_dir)
    report = {}
    for spec in IDX_FILES.values():
        try:
            read_idx(directory / spec.name, spec)
            report[spec.name] = "ok"
        except (DataError, FileNotFoundError) as error:
            report[spec.name] = str(error)
    return report
