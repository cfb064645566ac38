"""The course's data, in full or in fast mode: `load_course_split` says which.

`load_course_split` is the one definition of the data the course trains and
tests on: every lesson from 01, `fmnist-course train`, and every benchmark
load it. Fast mode (`FMNIST_FAST=1`, or `fast=True`) makes it small and quick:
the tests and the continuous-integration site build execute every lesson on a
seeded, stratified subset of the real data and one or two epochs. Numbers
printed in fast mode are smoke tests, never results.

Examples:
    >>> import os
    >>> os.environ["FMNIST_FAST"] = "1"
    >>> is_fast_mode(), epochs_for(20)
    (True, 1)

"""

from __future__ import annotations

import os

from fmnist_course.data import FashionMNIST, load_fashion_mnist
from fmnist_course.settings import (
    FAST_ENV,
    FAST_EPOCHS,
    FAST_TEST_SIZE,
    FAST_TRAIN_SIZE,
    VALIDATION_SPLIT,
    is_fast_mode,
)

__all__ = [
    "FAST_ENV",
    "FAST_EPOCHS",
    "FAST_TEST_SIZE",
    "FAST_TRAIN_SIZE",
    "epochs_for",
    "is_fast_mode",
    "load_course_data",
    "load_course_split",
]


def epochs_for(full: int, fast: int = FAST_EPOCHS) -> int:
    """`full` epochs normally, `fast` epochs in fast mode."""
    return fast if is_fast_mode() else full


def load_course_data(**kwargs) -> FashionMNIST:
    """`load_fashion_mnist(**kwargs)`, on a small subset in fast mode.

    In full mode this is exactly `load_fashion_mnist(**kwargs)`: all 60,000
    training and 10,000 test images. In fast mode it keeps a seeded, stratified
    subset of `FAST_TRAIN_SIZE` training and `FAST_TEST_SIZE` test images.

    Examples:
        >>> data = load_course_data(scale=True)  # doctest: +SKIP

    """
    if is_fast_mode():
        kwargs.setdefault("train_size", FAST_TRAIN_SIZE)
        kwargs.setdefault("test_size", FAST_TEST_SIZE)
    return load_fashion_mnist(**kwargs)


def load_course_split(
    data_dir: str | os.PathLike | None = None,
    *,
    fast: bool | None = None,
    train_size: int | None = None,
    test_size: int | None = None,
    seed: int = 0,
    download: bool = True,
) -> FashionMNIST:
    """The course's data split: what the lessons, `train` and the benchmarks use.

    Pixels scaled to [0, 1]; `VALIDATION_SPLIT` of the training images held
    out as a seeded, stratified validation set (`validation_data`); the
    standard 10,000 test images. In fast mode, seeded, stratified subsets of
    `FAST_TRAIN_SIZE` training images (before the split) and `FAST_TEST_SIZE`
    test images.

    Args:
        data_dir: Where the four `.gz` files are; see `load_fashion_mnist`.
        fast: Fast mode; `None` (the default) asks `is_fast_mode()`, so
            lessons follow `FMNIST_FAST`. Tools that must not shrink pass
            `False`.
        train_size: Training images kept before the split (say, for a smoke
            test); overrides fast mode's.
        test_size: Test images kept; overrides fast mode's.
        seed: Seed of the subsets and of the validation split.
        download: Download the data through Keras when no copy is found.

    Returns:
        A `FashionMNIST` with `x_train`, `x_val`, `x_test` and their labels.

    Examples:
        >>> data = load_course_split(fast=True)
        >>> len(data.x_train) + len(data.x_val), len(data.x_test)
        (3000, 1000)
        >>> round(len(data.x_val) / 3000, 2) == VALIDATION_SPLIT
        True

    """
    if fast if fast is not None else is_fast_mode():
        train_size = FAST_TRAIN_SIZE if train_size is None else train_size
        test_size = FAST_TEST_SIZE if test_size is None else test_size
    return load_fashion_mnist(
        data_dir,
        scale=True,
        validation_split=VALIDATION_SPLIT,
        train_size=train_size,
        test_size=test_size,
        seed=seed,
        download=download,
    )
