"""Answers as data: export them from a student's kernel while it is graded.

While a notebook is graded, `check("NN-name", *answers)` first writes the
answers into a new numbered folder of the directory that `FMNIST_EXPORT_DIR`
names, through the answer codec (`fmnist_course.exercises.answer_codec`):
values as JSON, arrays as `.npy`, models as `.keras`, never pickles.

An answer that is a function cannot travel as data. It is judged by what it
returns on the instructor's hidden inputs (the graded check's `probes`), and
those inputs never sit in a folder the notebook can list. `check` only keeps
the function. When every cell of the notebook has run, the grader's runner
runs one cell of its own, `run_probes()`: it asks the runner, over a socket
that exists only during that cell, for one input at a time, calls the kept
function on it and writes what it returned (or the type of what it raised).
No cell of the student's runs after the hidden inputs enter the kernel.

This is the kernel's side; the grader rebuilds the answers with
`fmnist_course.grading.exported_answers`.

Examples:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     folder = export_answer(directory, "99-demo", (42, [1.5]), {})
    ...     record = json.loads((folder / ANSWER_FILE).read_text())
    >>> record["args"]
    [{'t': 'int', 'v': '42'}, {'t': 'list', 'items': [{'t': 'float', 'v': '1.5'}]}]

"""

from __future__ import annotations

import base64
import json
import os
import socket
from pathlib import Path
from typing import Any

from fmnist_course.exercises.answer_codec import decode, encode, is_keras
from fmnist_course.exercises.answer_files import Writer

EXPORT_ENV = "FMNIST_EXPORT_DIR"
"""Set while grading: where `check` writes each call's answers."""
PROBE_SOCKET_ENV = "FMNIST_PROBE_SOCKET"
"""Set while grading: the runner's socket that hands out hidden inputs."""

ANSWER_FILE = "answer.json"
FUNCTIONS_FILE = "functions.json"
MAX_PROBE_CALLS = 100
MAX_MESSAGE_BYTES = 64 * 2**20
MAX_ERROR_TEXT = 200

_KEPT: dict[str, tuple[Path, dict[str, Any]]] = {}
"""In the kernel: exercise id -> (answer folder, functions by argument key)."""


def is_function_answer(value: Any) -> bool:
    """Whether an answer is judged by its outputs (a function, not a model)."""
    return (
        callable(value)
        and not isinstance(value, type)
        and not is_keras(value, "Layer")
        and not is_keras(value, "Callback")
    )


def export_answer(
    directory: str | os.PathLike, exercise_id: str, args: tuple, kwargs: dict
) -> Path:
    """Write one `check` call's answers into a new numbered folder of `directory`.

    Functions are kept for `run_probes`, which the runner calls at the end.

    Args:
        directory: The export directory (`FMNIST_EXPORT_DIR`).
        exercise_id: The id passed to `check`.
        args: The answers passed to `check`, in order.
        kwargs: The answers passed by name.

    Returns:
        The folder written.

    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    number = len([p for p in directory.iterdir() if p.name.isdigit()])
    target = directory / f"{number:04d}"
    target.mkdir()
    writer = Writer(target)
    functions: dict[str, Any] = {}

    def one(key: str, value: Any) -> dict:
        if is_function_answer(value):
            functions[key] = value
            return {"t": "function", "key": key}
        return encode(value, writer)

    encoded_args = []
    for index, value in enumerate(args):
        encoded_args.append(one(str(index), value))
        if is_keras(value, "Model"):
            writer.models.append((value, index))
    encoded_kwargs = {
        str(name): one(str(name), value) for name, value in kwargs.items()
    }
    record = {"exercise": exercise_id, "args": encoded_args, "kwargs": encoded_kwargs}
    (target / ANSWER_FILE).write_text(json.dumps(record), encoding="utf-8")
    _KEPT.pop(exercise_id, None)
    if functions:
        _KEPT[exercise_id] = (target, functions)
    return target


def _ask(path: str, request: dict) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.connect(path)
        connection.sendall(json.dumps(request).encode() + b"\n")
        with connection.makefile("rb") as stream:
            line = stream.readline(MAX_MESSAGE_BYTES)
    return json.loads(line)


def run_probes() -> int:
    """Call each kept function on the hidden inputs, one call at a time.

    Run by the grader's runner as the notebook's last cell. For the last
    `check` call of each exercise, asks the runner for input after input,
    calls the function on it and writes the outputs to that call's folder.

    Returns:
        The number of calls made.

    """
    path = os.environ.get(PROBE_SOCKET_ENV)
    made = 0
    if not path:
        return made
    for exercise_id, (folder, functions) in list(_KEPT.items()):
        writer = Writer(folder)
        writer.count = 10_000
        outcomes: dict[str, list] = {}
        for key, function in functions.items():
            results = outcomes.setdefault(key, [])
            for number in range(MAX_PROBE_CALLS):
                reply = _ask(
                    path, {"exercise": exercise_id, "key": key, "call": number}
                )
                if not reply.get("args"):
                    break
                files = {n: base64.b64decode(d) for n, d in reply["files"].items()}
                call_args = decode(reply["args"], files)
                made += 1
                try:
                    value = function(*call_args)
                    results.append({"value": encode(value, writer)})
                except Exception as error:  # the student's function raised
                    results.append({"error": type(error).__name__[:MAX_ERROR_TEXT]})
        (folder / FUNCTIONS_FILE).write_text(json.dumps(outcomes), encoding="utf-8")
    _KEPT.clear()
    return made


__all__ = [
    "ANSWER_FILE",
    "EXPORT_ENV",
    "FUNCTIONS_FILE",
    "MAX_ERROR_TEXT",
    "PROBE_SOCKET_ENV",
    "export_answer",
    "is_function_answer",
    "run_probes",
]
