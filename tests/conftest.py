"""Shared fixtures: the real data (Debian's files) and small trained models."""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np
import pytest

from fmnist_course.data import find_data_dir, load_fashion_mnist


@pytest.fixture(scope="session")
def real_data_dir():
    """The directory of the verified real files (installed by `make setup`)."""
    return find_data_dir(download=False)


@pytest.fixture(scope="session")
def small_data(real_data_dir):
    """A seeded, stratified subset of the real data, scaled, with validation."""
    return load_fashion_mnist(
        real_data_dir,
        scale=True,
        validation_split=0.2,
        train_size=1500,
        test_size=500,
        seed=0,
    )


@pytest.fixture()
def rng():
    return np.random.default_rng(0)
