"""Tuning throughput on a Dask cluster: trials per minute with 1, 2, ... workers.

A small real search (the dense grid of `BENCHMARK_SPACE`, one epoch per trial
on a seeded subset of the training images) runs on a `LocalCluster` of one
worker process, then of two, each with one Dask thread, as `dask worker
--nthreads 1` starts them, and TensorFlow capped to the worker's share of the
cores. The 1-minute load average before each run is recorded too: on a shared
machine, other work slows the workers down. Worker start-up (importing
TensorFlow, loading the data) is timed apart from the search, which starts on
warm workers and writes to a fresh trial store so that every trial really
trains.

The figures go to `benchmarks/results.json` under `cluster` -> `tuning`, with
the machine they were measured on. Needs the `cluster` extra.

Examples:
    >>> summary = benchmark_cluster_tuning()  # doctest: +SKIP
    >>> [run["workers"] for run in summary["runs"]]  # doctest: +SKIP
    [1, 2]

"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Sequence
from typing import Any

from fmnist_course.bench.search_strategies import BENCHMARK_SPACE
from fmnist_course.machine import describe_machine
from fmnist_course.parallel import default_workers, open_executor, temporary_tls
from fmnist_course.results import load_results, update_results
from fmnist_course.settings import thread_environment
from fmnist_course.tuning import DataDescription, grid_configs, grid_search
from fmnist_course.tuning.trial import resolve_data


def _warm_up(description: DataDescription) -> int:
    """Run on each worker: import TensorFlow and load the data, once."""
    import tensorflow  # noqa: F401

    return len(resolve_data(description).x_train)


def benchmark_cluster_tuning(
    num_workers: Sequence[int] = (1, 2),
    *,
    train_size: int = 6000,
    epochs: int = 1,
    seed: int = 0,
    record: bool = True,
) -> dict[str, Any]:
    """Time the same small grid search on local Dask clusters of each size.

    Args:
        num_workers: The cluster sizes to measure, in worker processes.
        train_size: Training images of the search (before the validation
            split), a seeded, stratified subset.
        epochs: Epochs per trial.
        seed: Seed of the subset, the split and every trial.
        record: Write the summary to `benchmarks/results.json` under
            `cluster` -> `tuning` (other entries of `cluster` are kept).

    Returns:
        `{"machine", "space", "train_images", "epochs", "runs": [{"workers",
        "num_trials", "seconds", "trials_per_minute", "startup_seconds",
        "tensorflow_threads_per_worker", "load_average_before", ...}]}`.

    Raises:
        ValueError: A cluster size is below 1.
        ImportError: Dask is not installed (`pip install 'fmnist-course[cluster]'`).

    Examples:
        >>> benchmark_cluster_tuning([0])
        Traceback (most recent call last):
        ...
        ValueError: Expected cluster sizes >= 1. Received: num_workers=[0]

    """
    if not num_workers or min(num_workers) < 1:
        raise ValueError(
            f"Expected cluster sizes >= 1. Received: num_workers={list(num_workers)}"
        )
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError(
            "The cluster benchmark needs Dask: pip install 'fmnist-course[cluster]'."
        ) from None
    description = DataDescription(train_size=train_size, seed=seed)  # course split
    data = resolve_data(description)
    runs = []
    for size in num_workers:
        threads = max(1, default_workers() // size)  # each worker's share of cores
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
        start = time.perf_counter()
        with (
            temporary_tls() as (security, _),
            LocalCluster(
                n_workers=size,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                protocol="tls",
                security=security,
                dashboard_address=None,
                env=thread_environment(threads),
            ) as cluster,
            Client(cluster, security=security) as client,
        ):
            client.run(_warm_up, description)  # on every worker
            startup = time.perf_counter() - start
            with (
                open_executor(scheduler=cluster.scheduler_address) as executor,
                tempfile.TemporaryDirectory() as store_dir,
            ):
                start = time.perf_counter()
                results = grid_search(
                    BENCHMARK_SPACE,
                    description,
                    epochs=epochs,
                    store_dir=store_dir,
                    seed=seed,
                    executor=executor,
                    verbose=False,
                )
                seconds = time.perf_counter() - start
        runs.append(
            {
                "workers": size,
                "num_trials": len(results),
                "seconds": round(seconds, 1),
                "trials_per_minute": round(len(results) / seconds * 60, 1),
                "startup_seconds": round(startup, 1),
                "tensorflow_threads_per_worker": threads,
                "load_average_before": None if load is None else round(load, 2),
                "best_val_accuracy": float(results["best_val_accuracy"].max()),
            }
        )
    summary = {
        "machine": describe_machine(),
        "space": BENCHMARK_SPACE,
        "num_configs": len(grid_configs(BENCHMARK_SPACE)),
        "train_images": len(data.x_train),
        "val_images": len(data.x_val),
        "epochs": epochs,
        "threads_per_worker": 1,
        "runs": runs,
    }
    if record:
        section = dict(load_results().get("cluster", {}))
        section["tuning"] = summary
        update_results("cluster", section)
    return summary
