"""A lever on two cores: N processes of one thread against one of N threads.

The course keeps both cores busy in two ways: `fmnist-course site build` runs
lessons side by side, each kernel with its share of the threads, and `bench
ladder` trains seeds as parallel processes, each with one thread. Both bet
that a second process does more than a second thread. This module measures
the bet, in one run, on a short training of one recipe:

- `1xN`: one process with `processes` threads (all of them: TensorFlow's
  intra- and inter-op pools and oneDNN's) trains the recipe on `train_images`
  images for `epochs` epochs.
- `Nx1`: `processes` processes of one thread each train the same recipe on
  as many images each (seeds `seed`, `seed + 1`, ...), at once.

The arrangements run back to back, in the order 1xN, Nx1, Nx1, 1xN for two
repeats (ABBA), so that a steady drift in the machine's speed touches both
alike. Each process loads its data, then waits at a barrier until all of its
arrangement's processes are ready, so that they train together; what is timed
is `fit_recipe` (building, tracing and fitting the model: what a short live
run in a lesson pays). An arrangement's images per second count every
process's images over the span from the first start to the last end; its
images per CPU-second count them over all its processes' CPU time.

`ratio` is Nx1's images per second over 1xN's (the mean of their runs);
`cpu_ratio` the same in CPU time. A ratio above 1 says that processes pay.

Examples:
    >>> arrangement_order(2)
    ['1x2', '2x1', '2x1', '1x2']
    >>> measure_process_split("cnn", train_images=2000)  # doctest: +SKIP
    {'recipe': 'cnn', 'ratio': 1.3..., ...}

"""

from __future__ import annotations

import concurrent.futures
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from fmnist_course.bench.child import child_main, run_child
from fmnist_course.bench.record import measured_now
from fmnist_course.errors import UserError
from fmnist_course.fast_mode import load_course_split
from fmnist_course.machine import describe_machine
from fmnist_course.recipes import get_recipe
from fmnist_course.settings import thread_environment

PROCESS_SPLIT_RECIPE = "cnn"
"""The recipe `bench processes` trains unless told otherwise (lesson 02's)."""
PROCESS_SPLIT_IMAGES = 6000
"""Training images per process, before the validation split: a short run."""
BARRIER_SECONDS = 600.0
"""How long a process waits for the others of its arrangement to be ready."""

Runner = Callable[..., dict[str, Any]]
"""`run_child`'s signature: how a share is trained in a fresh process."""


def arrangement_order(processes: int, repeats: int = 2) -> list[str]:
    """The arrangements' names, in the order they run (ABBA for two repeats).

    Examples:
        >>> arrangement_order(2, repeats=1)
        ['1x2', '2x1']
        >>> arrangement_order(3, repeats=3)
        ['1x3', '3x1', '3x1', '1x3', '1x3', '3x1']

    """
    one, many = f"1x{processes}", f"{processes}x1"
    order: list[str] = []
    for repeat in range(repeats):
        order += [one, many] if repeat % 2 == 0 else [many, one]
    return order


def wait_at_barrier(
    barrier: str | Path, index: int, parties: int, timeout: float = BARRIER_SECONDS
) -> None:
    """Say this process is ready, then wait until all `parties` are.

    Raises:
        TimeoutError: The others were not ready within `timeout` seconds
            (one of them failed to start).

    Examples:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     wait_at_barrier(folder, 0, 1)

    """
    folder = Path(barrier)
    (folder / f"ready-{index}").touch()
    deadline = time.monotonic() + timeout
    while len(list(folder.glob("ready-*"))) < parties:
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"Process {index} waited {timeout:.0f} s at {folder} for "
                f"{parties} processes; only "
                f"{len(list(folder.glob('ready-*')))} were ready."
            )
        time.sleep(0.01)


def train_share(
    name: str,
    *,
    train_images: int,
    epochs: int = 1,
    seed: int = 0,
    data_dir: str | None = None,
    barrier: str | None = None,
    index: int = 0,
    parties: int = 1,
) -> dict[str, Any]:
    """Train one process's share of an arrangement; return its clocks.

    Run it in a fresh process whose threads are capped before TensorFlow
    starts (`run_arrangement` does), so that its thread count is the
    arrangement's.

    Returns:
        `images` trained (images times epochs), `start` and `end` of the
        training on the wall clock (comparable between processes) and its
        `cpu_seconds`, all this process's threads together.

    """
    from fmnist_course.training import fit_recipe  # TensorFlow starts here

    recipe = get_recipe(name)
    data = load_course_split(
        data_dir, fast=False, train_size=train_images, test_size=100, seed=seed
    )
    if barrier is not None:
        wait_at_barrier(barrier, index, parties)
    start, cpu_start = time.time(), time.process_time()
    fit_recipe(recipe, data, epochs=epochs, seed=seed, verbose=0)
    end, cpu_end = time.time(), time.process_time()
    return {
        "seed": seed,
        "images": len(data.x_train) * epochs,
        "start": start,
        "end": end,
        "cpu_seconds": cpu_end - cpu_start,
    }


def combine_shares(shares: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """One run of an arrangement, from its processes' shares.

    Examples:
        >>> combine_shares([
        ...     {"images": 100, "start": 10.0, "end": 20.0, "cpu_seconds": 9.0},
        ...     {"images": 100, "start": 10.5, "end": 19.0, "cpu_seconds": 7.0},
        ... ])  # doctest: +NORMALIZE_WHITESPACE
        {'images': 200, 'seconds': 10.0, 'cpu_seconds': 16.0,
         'images_per_second': 20.0, 'images_per_cpu_second': 12.5}

    """
    images = sum(share["images"] for share in shares)
    seconds = max(share["end"] for share in shares) - min(
        share["start"] for share in shares
    )
    cpu_seconds = sum(share["cpu_seconds"] for share in shares)
    return {
        "images": images,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "images_per_second": round(images / seconds, 1),
        "images_per_cpu_second": round(images / cpu_seconds, 1),
    }


def run_arrangement(
    recipe: str,
    processes: int,
    threads: int,
    *,
    runner: Runner = run_child,
    **options: Any,
) -> dict[str, Any]:
    """Train `processes` shares at once, each a process of `threads` threads.

    Args:
        recipe: A key of `RECIPES`.
        processes: Processes at once.
        threads: Threads each (`thread_environment`, set before it starts).
        runner: Runs one share in a fresh process (`run_child`; a test may
            pass a stand-in).
        **options: `train_images`, `epochs`, `seed` (the first process's;
            the others count up from it) and `data_dir`, as `train_share`
            takes them.

    Returns:
        `combine_shares` of the run.

    """
    seed = options.pop("seed", 0)
    with tempfile.TemporaryDirectory(prefix="fmnist-split-") as barrier:

        def share(index: int) -> dict[str, Any]:
            return runner(
                "fmnist_course.bench.process_split",
                recipe,
                {
                    **options,
                    "seed": seed + index,
                    "barrier": barrier,
                    "index": index,
                    "parties": processes,
                },
                what=f"Training {recipe!r} in process {index + 1} of {processes}",
                env=thread_environment(threads),
            )

        with concurrent.futures.ThreadPoolExecutor(processes) as pool:
            shares = list(pool.map(share, range(processes)))
    return combine_shares(shares)


def measure_process_split(
    recipe: str = PROCESS_SPLIT_RECIPE,
    *,
    processes: int = 2,
    train_images: int = PROCESS_SPLIT_IMAGES,
    epochs: int = 1,
    repeats: int = 2,
    seed: int = 0,
    data_dir: str | None = None,
    runner: Runner = run_child,
    on_run: Callable[[str, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Measure `processes` processes x 1 thread against 1 x `processes` threads.

    Args:
        recipe: The recipe to train (a key of `RECIPES`).
        processes: The cores to share out: that many processes of one
            thread, against one process with that many threads.
        train_images: Training images per process, before the validation
            split.
        epochs: Epochs each process trains.
        repeats: Runs of each arrangement, in ABBA order
            (`arrangement_order`).
        seed: The first process's seed.
        data_dir: Where the data lies.
        runner: Runs one share in a fresh process (see `run_arrangement`).
        on_run: Called with each arrangement's name and run as it ends.

    Returns:
        The `process_split` entry: the settings, the `order`, one entry per
        arrangement (`name`, `processes`, `threads`, its `runs` and their mean
        `images_per_second` and `images_per_cpu_second`), `ratio` and
        `cpu_ratio` (processes over threads), the machine and `measured_at`.

    Raises:
        UserError: A setting is out of range.

    """
    get_recipe(recipe)  # fails early on an unknown recipe
    for option, value, least in (
        ("processes", processes, 2),
        ("train_images", train_images, 100),
        ("epochs", epochs, 1),
        ("repeats", repeats, 1),
    ):
        if value < least:
            raise UserError(
                f"Expected {option} >= {least}. Received: {option}={value}. "
                + (
                    "One process of one thread is no split."
                    if option == "processes"
                    else ""
                )
            )
    order = arrangement_order(processes, repeats)
    shapes = {f"1x{processes}": (1, processes), f"{processes}x1": (processes, 1)}
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in shapes}
    for name in order:
        count, threads = shapes[name]
        run = run_arrangement(
            recipe,
            count,
            threads,
            runner=runner,
            train_images=train_images,
            epochs=epochs,
            seed=seed,
            data_dir=data_dir,
        )
        runs[name].append(run)
        if on_run:
            on_run(name, run)
    arrangements = []
    for name, (count, threads) in shapes.items():
        entry = {"name": name, "processes": count, "threads": threads}
        for key in ("images_per_second", "images_per_cpu_second"):
            values = [run[key] for run in runs[name]]
            entry[key] = round(sum(values) / len(values), 1)
        arrangements.append({**entry, "runs": runs[name]})
    one, many = arrangements
    return {
        "recipe": recipe,
        "train_images": train_images,
        "epochs": epochs,
        "repeats": repeats,
        "processes": processes,
        "order": order,
        "arrangements": arrangements,
        "ratio": round(many["images_per_second"] / one["images_per_second"], 3),
        "cpu_ratio": round(
            many["images_per_cpu_second"] / one["images_per_cpu_second"], 3
        ),
        "machine": describe_machine(),
        "measured_at": measured_now(),
    }


if __name__ == "__main__":
    child_main(train_share)
