"""A run directory as an answer: read in the kernel, rebuilt in the grader.

`read_run_dir` reads what `save_run` wrote (`model.keras`, `history.csv`,
`metrics.json`) and nothing else, each file opened without following links
and sized before it is read (`fmnist_course.exercises.bounded_files`). The
kernel uses it both to export the directory and in the self-check, so the
two see the same files; the grader gets a read-only `SavedRun`, whose model
loads with `safe_mode=True`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fmnist_course.exercises.answer_files import (
    FILE_NAME,
    MAX_STRING,
    Writer,
    load_keras_bytes,
)
from fmnist_course.exercises.bounded_files import read_bounded

MAX_RUN_MODEL_BYTES = 32 * 2**20
"""The largest `model.keras` a run directory may hand in (the course's
largest model, lesson 07's ten-view one, saves to about 6.4 MB)."""
MAX_RUN_TEXT_BYTES = MAX_STRING
"""The largest `history.csv` or `metrics.json` a run directory may hand in."""
MAX_RUN_NAME = 200


@dataclass(frozen=True, repr=False)
class SavedRun:
    """A run directory as the grader receives it: its three files, read-only.

    Attributes:
        name: The directory's name, such as `exercise-20260101-120000`.
        model_bytes: The bytes of its `model.keras`.
        history_csv: The text of its `history.csv`.
        metrics_json: The text of its `metrics.json`.

    """

    name: str
    model_bytes: bytes
    history_csv: str
    metrics_json: str

    def load_model(self):
        """The saved model, loaded with `safe_mode=True` (no Lambda code runs)."""
        import fmnist_course.layers  # noqa: F401  (registers the course's layers)
        import fmnist_course.losses  # noqa: F401  (and its loss)

        return load_keras_bytes(self.model_bytes)

    def __repr__(self) -> str:
        return (
            f"<run directory {self.name!r}, model of {len(self.model_bytes):,} bytes>"
        )


def _run_files() -> tuple[str, str, str]:
    """The names `save_run` writes: model, history, metrics."""
    from fmnist_course.runs import (  # imports Keras: only when a run is read
        HISTORY_FILE,
        METRICS_FILE,
        MODEL_FILE,
    )

    return MODEL_FILE, HISTORY_FILE, METRICS_FILE


def _read_limited(directory: int, name: str, limit: int) -> bytes:
    """One file of an open run directory, or why it cannot be used."""
    try:
        return read_bounded(name, limit, dir_fd=directory)
    except FileNotFoundError:
        raise ValueError(
            f"it has no {name}; write the run with save_run(run_dir, model, "
            "history, metrics)"
        ) from None
    except ValueError as error:
        raise ValueError(f"its {error}") from None


def read_run_dir(path: str | os.PathLike) -> SavedRun:
    """Read a run directory written by `save_run`, as the grader will see it.

    Only `model.keras`, `history.csv` and `metrics.json` are read, each opened
    without following links and sized before it is read. Used in the kernel,
    both to export the directory and by the self-check, so they agree.

    Args:
        path: The directory (what `new_run_dir` returned).

    Returns:
        The directory's name and files.

    Raises:
        ValueError: Not a directory, a link, a file missing or too large (the
            message says which, and how to write the run).

    """
    path = Path(path)
    model_file, history_file, metrics_file = _run_files()
    try:
        directory = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as error:
        raise ValueError(
            f"{str(path)[:MAX_RUN_NAME]} is not a run directory ({error.strerror}); "
            "pass what new_run_dir returned"
        ) from None
    try:
        model = _read_limited(directory, model_file, MAX_RUN_MODEL_BYTES)
        texts = [
            _read_limited(directory, name, MAX_RUN_TEXT_BYTES).decode(
                "utf-8", errors="replace"
            )
            for name in (history_file, metrics_file)
        ]
    except ValueError as error:
        raise ValueError(f"{path.name[:MAX_RUN_NAME]}: {error}") from None
    finally:
        os.close(directory)
    return SavedRun(path.name[:MAX_RUN_NAME], model, *texts)


def encode_run_dir(path: os.PathLike, writer: Writer) -> dict:
    """The codec's descriptor of a run directory (in the kernel)."""
    try:
        run = read_run_dir(path)
    except ValueError as error:
        return {"t": "unsupported", "type": f"path that is no run directory: {error}"}
    name, target = writer.new_file(".keras")
    target.write_bytes(run.model_bytes)
    return {
        "t": "run_dir",
        "name": run.name,
        "model": name,
        "history": run.history_csv,
        "metrics": run.metrics_json,
    }


def decode_run_dir(descriptor: dict, files: dict[str, bytes]) -> SavedRun:
    """The `SavedRun` of a descriptor, every field checked (in the grader)."""
    model = descriptor.get("model")
    if not isinstance(model, str) or not FILE_NAME.match(model) or model not in files:
        raise ValueError(f"run_dir: missing or invalid model file {model!r}")
    if not model.endswith(".keras") or len(files[model]) > MAX_RUN_MODEL_BYTES:
        raise ValueError("run_dir: expected a .keras file within the size limit")
    fields = [descriptor.get(key) for key in ("name", "history", "metrics")]
    limits = [MAX_RUN_NAME, MAX_RUN_TEXT_BYTES, MAX_RUN_TEXT_BYTES]
    for value, limit in zip(fields, limits, strict=True):
        if not isinstance(value, str) or len(value) > limit:
            raise ValueError("run_dir: expected a name and two texts within limits")
    name, history, metrics = fields
    return SavedRun(name, files[model], history, metrics)
