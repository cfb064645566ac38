"""Shared fixtures: the real data (Debian's files) and small trained models."""

from __future__ import annotations

import os

import numpy as np
import pytest

# Importing the package quiets TensorFlow's start-up logging (before any test
# imports TensorFlow): see `fmnist_course.settings.quiet_tensorflow_logs`.
from fmnist_course.data import find_data_dir, load_fashion_mnist
from fmnist_course.settings import BF16_ENV

# The suite trains in float32 whatever the CPU, so that its numbers do not
# depend on whether the CI machine has bfloat16 instructions; the tests of
# the bfloat16 decision pass the switch themselves.
os.environ.setdefault(BF16_ENV, "0")


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


@pytest.fixture(scope="module")
def local_cluster():
    """A Dask `LocalCluster` of two one-thread worker processes on 127.0.0.1.

    The same scheduler and workers that `dask scheduler` and `dask worker`
    start on real machines, with mutual TLS as the course requires, on
    throw-away certificates; module-scoped, so a test module shares one.
    """
    distributed = pytest.importorskip("distributed")
    from fmnist_course.parallel import temporary_tls

    with (
        temporary_tls() as (security, env),
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            protocol="tls",
            security=security,
            dashboard_address=None,
            silence_logs=40,  # logging.ERROR: a killed worker is expected in tests
        ) as cluster,
    ):
        saved = {name: os.environ.get(name) for name in env}
        os.environ.update(env)  # for the command-line runs the tests start
        cluster.security = security
        try:
            yield cluster
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
