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

import os

from fmnist_course.data import FashionMNIST, load_fashion_mnist

FAST_ENV = "FMNIST_FAST"
FAST_TRAIN_SIZE = 3000
FAST_TEST_SIZE = 1000


def is_fast_mode() -> bool:
    """Whether `FMNIST_FAST` asks for a small, quick run (any value but 0)."""
    return os.environ.get(FAST_ENV, "") not in ("", "0")


def epochs_for(full: int, fast: int = 1) -> int:
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
