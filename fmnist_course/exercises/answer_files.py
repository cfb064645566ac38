"""The files of an exported answer: their names, their limits, and safe loading.

What the answer codec (`fmnist_course.exercises.answer_codec`) and the run
directory reader (`fmnist_course.exercises.saved_run`) share: a `Writer`
that names the `.npy` and `.keras` files of one exported call, the pattern a
file name must match to be read back, the longest string kept, and the one way
a model's bytes are loaded (`safe_mode=True`).

Examples:
    >>> bool(FILE_NAME.match("f1.npy")), bool(FILE_NAME.match("../f1.npy"))
    (True, False)

"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

MAX_STRING = 100_000
"""The longest string an answer keeps (longer ones are cut)."""
FILE_NAME = re.compile(r"^f\d{1,6}\.(npy|keras)$")
"""The name of an answer's file: what `Writer.new_file` makes, nothing else."""


class Writer:
    """Names the files of one exported call and remembers the models in it.

    Args:
        directory: Where `.npy` and `.keras` files go.

    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.count = 0
        self.models: list[tuple[Any, int]] = []  # (model, index of its argument)

    def new_file(self, suffix: str) -> tuple[str, Path]:
        """A fresh file name in the directory, and its path."""
        self.count += 1
        name = f"f{self.count}{suffix}"
        return name, self.directory / name


def load_keras_bytes(data: bytes):
    """A `.keras` file's model, loaded with `safe_mode=True` (no Lambda code runs)."""
    import keras

    with tempfile.TemporaryDirectory(prefix="fmnist-model-") as directory:
        path = Path(directory) / "model.keras"
        path.write_bytes(data)
        return keras.saving.load_model(path, safe_mode=True, compile=False)
