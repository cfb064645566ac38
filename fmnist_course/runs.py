"""Run directories: where a trained model and its history are kept.

Each training run gets a new directory under `runs/` named after the model and
the time it started. A directory is created exclusively, so a run never writes
into, or over, an earlier one.

Examples:
    >>> run_dir = new_run_dir("runs", "dense")  # doctest: +SKIP
    >>> run_dir.name  # doctest: +SKIP
    'dense-20261124-221503'

"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

import keras
import pandas as pd

MODEL_FILE = "model.keras"
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"


def new_run_dir(root: str | os.PathLike = "runs", name: str = "run") -> Path:
    """Create and return a fresh directory `root/NAME-YYYYmmdd-HHMMSS[-k]`.

    Args:
        root: Parent directory, created when missing.
        name: Prefix, usually the model name.

    Returns:
        A directory that did not exist before this call.

    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    stem = f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
    for attempt in range(1, 1000):
        candidate = root / (stem if attempt == 1 else f"{stem}-{attempt}")
        try:
            candidate.mkdir()
        except FileExistsError:
            continue
        return candidate
    raise FileExistsError(f"Could not create a new run directory under {root}.")


def save_run(
    run_dir: str | os.PathLike,
    model: keras.Model,
    history: pd.DataFrame,
    metrics: dict[str, Any],
) -> Path:
    """Save a model (`model.keras`), its history (CSV) and metrics (JSON).

    Args:
        run_dir: A directory from `new_run_dir`.
        model: The trained model.
        history: The per-epoch history from `train_model`.
        metrics: JSON-serialisable results, such as test accuracy.

    Returns:
        The path of the saved model.

    Raises:
        FileExistsError: The directory already holds a saved model.

    """
    run_dir = Path(run_dir)
    model_path = run_dir / MODEL_FILE
    for path in (model_path, run_dir / HISTORY_FILE, run_dir / METRICS_FILE):
        if path.exists():
            raise FileExistsError(
                f"{path} already exists; refusing to overwrite it. "
                "Use new_run_dir() for a fresh directory."
            )
    model.save(model_path)
    history.to_csv(run_dir / HISTORY_FILE, index=False)
    (run_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")
    return model_path


def load_model(path: str | os.PathLike) -> keras.Model:
    """Load a saved `.keras` model, or the model inside a run directory.

    Raises:
        FileNotFoundError: No model at that path.
        ValueError: The file is not a readable Keras model.

    """
    path = Path(path)
    if path.is_dir():
        path = path / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"No model at {path}. Expected a .keras file or a run directory "
            "written by `fmnist-course train`."
        )
    # Importing these registers the course's own layers and loss with Keras.
    import fmnist_course.layers  # noqa: F401
    import fmnist_course.losses  # noqa: F401

    try:
        return keras.models.load_model(path)
    except Exception as error:  # Keras raises several types for bad files
        raise ValueError(
            f"{path} is not a readable Keras model ({type(error).__name__}: {error}). "
            "Expected a .keras file saved by model.save()."
        ) from error


def latest_run(root: str | os.PathLike = "runs", name: str = "run") -> Path | None:
    """Return the newest run directory of `name` under `root` that holds a model.

    Run directories are named `NAME-YYYYmmdd-HHMMSS[-k]` by `new_run_dir`, so
    the newest one is the one with the latest time stamp (and, for runs started
    in the same second, the highest `k`). Directories without a saved model
    (an interrupted run) and runs of other names (`best-fast-*` is not a run of
    `best`) are skipped.

    Args:
        root: The directory holding the runs; a missing one has no runs.
        name: The run name, the prefix given to `new_run_dir`.

    Returns:
        The newest matching run directory, or `None` when there is none.

    Examples:
        >>> latest_run("runs", "best")  # doctest: +SKIP
        PosixPath('runs/best-20261124-231502')
        >>> latest_run("no-such-dir", "best") is None
        True

    """
    root = Path(root)
    if not root.is_dir():
        return None
    pattern = re.compile(rf"{re.escape(name)}-(\d{{8}}-\d{{6}})(?:-(\d+))?")
    newest: tuple[str, int] | None = None
    found: Path | None = None
    for candidate in root.iterdir():
        match = pattern.fullmatch(candidate.name)
        if not match or not (candidate / MODEL_FILE).is_file():
            continue
        key = (match.group(1), int(match.group(2) or 1))
        if newest is None or key > newest:
            newest, found = key, candidate
    return found
