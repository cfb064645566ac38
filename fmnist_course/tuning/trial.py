"""One trial: train one configuration, on this machine or on a worker.

A trial is described by a `TrialTask`: the model, its parameters, the epochs,
the seed, and the data, either as arrays or as a `DataDescription` (where the
data lives and how it is split). `train_trial` runs a task and returns its
record without writing anything, so it can run in another process or on
another machine; the search that sent it writes the record to its
`TrialStore` (see `fmnist_course.tuning.store`).

A worker given a description loads the data itself, once per process, and
checks its fingerprint (`data_identity`) against the one the client computed
before training: a worker with other data fails at once instead of returning
numbers that cannot be compared.

Every trial seeds Python, numpy and the backend from the search seed inside
the task, so its result does not depend on where it ran or what ran before it
there. All trials of a search use the same seed on purpose: configurations are
then compared on the same initial weights and the same order of batches, and
a difference between two trials comes from the configuration, not from luck.

Examples:
    >>> record = run_trial("dense", {"dropout": 0.2}, data, epochs=1,
    ...                    store_dir="runs/tuning/demo")
    >>> record["reused"], run_trial("dense", {"dropout": 0.2}, data, epochs=1,
    ...                             store_dir="runs/tuning/demo")["reused"]
    (False, True)

"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import random
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np

from fmnist_course.data import FashionMNIST, load_fashion_mnist
from fmnist_course.errors import UserError
from fmnist_course.models import build_model
from fmnist_course.settings import VALIDATION_SPLIT
from fmnist_course.training import train_model
from fmnist_course.tuning.space import TRAINING_OPTIONS, builder_defaults
from fmnist_course.tuning.store import TrialStore


@dataclass(frozen=True)
class DataDescription:
    """Where a search's data comes from, small enough to send to any worker.

    A worker calls `load()` itself instead of receiving arrays, so a trial
    sent to a cluster carries a few numbers, not megabytes of images.

    Attributes:
        data_dir: The directory of the four `.gz` files; `None` lets each
            machine find its own copy (`fmnist_course.data.find_data_dir`).
        train_size: Keep a seeded, stratified subset of this many training
            images (before the validation split); `None` keeps all 60,000.
        validation_split: Share of the training images held out for validation.
        seed: Seed of the subset and of the validation split.

    Examples:
        >>> description = DataDescription(train_size=600)
        >>> data = description.load()
        >>> len(data.x_train), len(data.x_val)
        (540, 60)

    """

    data_dir: str | None = None
    train_size: int | None = None
    validation_split: float = VALIDATION_SPLIT
    seed: int = 0

    def load(self) -> FashionMNIST:
        """Load and verify the data, scaled to [0, 1]; never downloads.

        Raises:
            FileNotFoundError: This machine has no copy of the data (the
                message says how to get one).

        """
        return load_fashion_mnist(
            self.data_dir,
            scale=True,
            validation_split=self.validation_split,
            train_size=self.train_size,
            seed=self.seed,
            download=False,
        )


def data_identity(data: FashionMNIST) -> dict[str, Any]:
    """Sizes and a fingerprint of the training and validation sets (not the test set).

    Raises:
        ValueError: `data` has no validation set.

    Examples:
        >>> sorted(data_identity(data))
        ['sha256', 'train', 'val']

    """
    if getattr(data, "x_val", None) is None:
        raise UserError(
            "A search needs validation data to compare trials. Load the data with "
            f"validation_split > 0, for example validation_split={VALIDATION_SPLIT}."
        )
    digest = hashlib.sha256()
    for array in (data.x_train, data.y_train, data.x_val, data.y_val):
        digest.update(np.ascontiguousarray(array).tobytes())
    return {
        "train": len(data.x_train),
        "val": len(data.x_val),
        "sha256": digest.hexdigest()[:16],
    }


def describe_trial(
    model: str,
    params: Mapping[str, Any],
    *,
    epochs: int,
    seed: int,
    identity: Mapping[str, Any],
) -> dict[str, Any]:
    """Everything that decides a trial's outcome, with its `key` (a hash of it).

    `settings` holds every builder argument, defaults included, and every
    training option, so a trial stored before a builder's default changed
    (say, the CNN's padding) is not mistaken for a new one.

    Examples:
        >>> identity = {"train": 540, "val": 60, "sha256": "0123456789abcdef"}
        >>> trial = describe_trial("dense", {"dropout": 0.0}, epochs=1, seed=0,
        ...                        identity=identity)
        >>> trial["settings"]["dropout"], trial["settings"]["batch_size"]
        (0.0, 128)
        >>> len(trial["key"])
        16

    """
    settings = {**builder_defaults(model), **TRAINING_OPTIONS, **params}
    description = {
        "model": model,
        "settings": settings,
        "epochs": epochs,
        "seed": seed,
        "data": dict(identity),
    }
    digest = hashlib.sha256(json.dumps(description, sort_keys=True).encode())
    return {"key": digest.hexdigest()[:16], **description}


@dataclass(frozen=True)
class TrialTask:
    """One trial to run, as sent to a worker.

    Attributes:
        model: A key of `MODEL_BUILDERS`.
        params: Builder arguments and training options of this configuration.
        epochs: Epochs to train.
        seed: Seed of the weights, the shuffling and dropout.
        data: The arrays, or a `DataDescription` the worker loads itself.
        identity: The client's `data_identity`; the worker's data must match.

    """

    model: str
    params: dict[str, Any]
    epochs: int
    seed: int
    data: FashionMNIST | DataDescription = field(repr=False)
    identity: dict[str, Any]

    @property
    def key(self) -> str:
        """The trial's key in the store."""
        return describe_trial(
            self.model,
            self.params,
            epochs=self.epochs,
            seed=self.seed,
            identity=self.identity,
        )["key"]


_TRIAL_LOCK = threading.Lock()  # Python's, NumPy's and TF's seeds are process-wide
_LOADED: dict[DataDescription, FashionMNIST] = {}  # one load per process


@contextlib.contextmanager
def _own_python_random(seed: int) -> Iterator[None]:
    """Give Keras a Python random generator of its own while a trial runs.

    Keras draws the seed of every unseeded layer and initializer from Python's
    global `random`, which `keras.utils.set_random_seed` seeds. In a Dask
    worker, other threads draw from that same global generator while a trial
    runs, so the weights a trial started from would depend on the worker's
    timing (measured: 3 of 6 first trials on busy workers differed). A private
    generator, seeded like the global one, keeps the numbers of a trial the
    same wherever it runs.

    Keras offers no public way to do this: `keras.utils.set_random_seed` seeds
    the shared global generator, which is the problem here. So this swaps the
    private `keras.src.random.seed_generator.python_random`, tested with Keras
    3.x (the range `pyproject.toml` pins). With a Keras that no longer has
    that module or attribute, nothing changes: trials on busy Dask workers
    are then less reproducible, and nothing else.
    """
    try:
        from keras.src.random import seed_generator  # private: no public way
    except ImportError:
        seed_generator = None
    shared = getattr(seed_generator, "python_random", None)
    if shared is None:
        yield
        return
    seed_generator.python_random = random.Random(seed)
    try:
        yield
    finally:
        seed_generator.python_random = shared


def resolve_data(data: FashionMNIST | DataDescription) -> FashionMNIST:
    """The arrays themselves, or those a description names, loaded once per process.

    Examples:
        >>> resolve_data(data) is data
        True

    """
    if isinstance(data, FashionMNIST):
        return data
    if data not in _LOADED:
        _LOADED.clear()  # keep one data set in memory, not one per search
        _LOADED[data] = data.load()
    return _LOADED[data]


def train_trial(task: TrialTask) -> dict[str, Any]:
    """Run one trial here and return its record; nothing is written.

    This is the function a search sends to its workers. Trials in one process
    run one at a time (Keras' random seeds are global to the process), so a
    Dask worker with several threads is safe, if no faster.

    Args:
        task: The trial.

    Returns:
        The trial record: `key`, `params`, `model`, `settings`, `epochs`,
        `seed`, `data` (the fingerprint of the data it trained on),
        `val_accuracy` (per epoch), `best_val_accuracy`, `seconds` and
        `host` (the machine it ran on).

    Raises:
        ValueError: The data this process loaded differs from the client's
            (other files, or another version of the package).

    Examples:
        >>> task = TrialTask("dense", {"dropout": 0.0}, epochs=1, seed=0,
        ...                  data=data, identity=data_identity(data))
        >>> record = train_trial(task)
        >>> record["key"] == task.key, len(record["val_accuracy"])
        (True, 1)

    """
    with _TRIAL_LOCK:
        data = resolve_data(task.data)
        identity = data_identity(data)
        if identity != task.identity:
            raise UserError(
                f"The data on {socket.gethostname()} differs from the data the "
                f"search started with. Received: {identity}; expected: "
                f"{task.identity}. Give every worker the same Fashion-MNIST files "
                "(`fmnist-course data --fetch`) and the same fmnist-course version."
            )
        trial = describe_trial(
            task.model,
            task.params,
            epochs=task.epochs,
            seed=task.seed,
            identity=identity,
        )
        options = {key: trial["settings"][key] for key in TRAINING_OPTIONS}
        kwargs = {k: v for k, v in task.params.items() if k not in TRAINING_OPTIONS}
        keras.backend.clear_session()  # free the previous trial's model
        keras.utils.set_random_seed(task.seed)
        start = time.perf_counter()
        with _own_python_random(task.seed):
            history = train_model(
                build_model(task.model, **kwargs),
                data.x_train,
                data.y_train,
                validation_data=data.validation_data,
                epochs=task.epochs,
                seed=task.seed,
                verbose=0,
                **options,
            )
        seconds = time.perf_counter() - start
    return {
        "key": trial["key"],
        "params": dict(task.params),
        **{name: value for name, value in trial.items() if name != "key"},
        "val_accuracy": [round(float(v), 6) for v in history["val_accuracy"]],
        "best_val_accuracy": round(float(history["val_accuracy"].max()), 6),
        "seconds": round(seconds, 2),
        "host": socket.gethostname(),
    }


def run_trial(
    model: str,
    params: Mapping[str, Any],
    data: FashionMNIST,
    *,
    epochs: int,
    store_dir: str | os.PathLike,
    seed: int = 0,
    identity: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Train one configuration here, or load it when this exact trial already finished.

    Args:
        model: A key of `MODEL_BUILDERS`.
        params: Builder arguments and training options for this trial.
        data: A `FashionMNIST` with a validation set.
        epochs: Epochs to train.
        store_dir: Directory of the search; one JSON file per finished trial.
        seed: Seed for the weights, the shuffling and dropout.
        identity: `data_identity(data)`, when already computed.

    Returns:
        The trial record (see `train_trial`) with `reused`: whether it was
        read from the store instead of trained.

    Raises:
        ValueError: The stored file of this trial is not a valid record.

    Examples:
        >>> record = run_trial("dense", {"dropout": 0.2}, data, epochs=2,
        ...                    store_dir="runs/tuning/demo")
        >>> record["epochs"], record["reused"]
        (2, False)

    """
    task = TrialTask(
        model,
        dict(params),
        epochs=epochs,
        seed=seed,
        data=data,
        identity=dict(identity or data_identity(data)),
    )
    store = TrialStore(store_dir)
    record = store.load(task.key)
    if record is not None:
        # Same key, same trial; `params` as given keeps tuples (JSON has lists).
        return {**record, "params": dict(params), "reused": True}
    record = train_trial(task)
    store.save(record)
    return {**record, "reused": False}
