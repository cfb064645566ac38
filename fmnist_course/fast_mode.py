"""Fast mode: `FMNIST_FAST=1` makes every lesson run small and quick.

The tests and the continuous-integration site build execute every lesson in
fast mode: a seeded, stratified subset of the real data and one or two epochs.
Numbers printed in fast mode are smoke tests, never results.

Examples:
    >>> import os
    >>> os.environ["FMNIST_FAST"] = "1"
    >>> is_fast_mode(), epochs_for(20)
    (True, 1)

"""

from __future__ import annotations

from fmnist_course.data import FashionMNIST, load_fashion_mnist
from fmnist_course.settings import (
    FAST_ENV,
    FAST_EPOCHS,
    FAST_TEST_SIZE,
    FAST_TRAIN_SIZE,
    is_fast_mode,
)

__all__ = [
    "FAST_ENV",
    "FAST_TEST_SIZE",
    "FAST_TRAIN_SIZE",
    "epochs_for",
    "is_fast_mode",
    "load_course_data",
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
        >>> data = load_course_data(scale=True, validation_split=0.1)  # doctest: +SKIP

    """
    if is_fast_mode():
        kwargs.setdefault("train_size", FAST_TRAIN_SIZE)
        kwargs.setdefault("test_size", FAST_TEST_SIZE)
    return load_fashion_mnist(**kwargs)
