"""Answers as data: export them from a kernel, load them safely in the grader.

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

`load_answers` rebuilds a call's answers in the grader, where no student code
runs; a function becomes a `RecordedFunction` that replays its outputs.

Examples:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     folder = export_answer(directory, "99-demo", (42, [1.5]), {})
    ...     record = json.loads((folder / ANSWER_FILE).read_text())
    >>> load_answers(record, {}, {})
    ([42, [1.5]], {})

"""

from __future__ import annotations

import base64
import json
import os
import socket
from pathlib import Path
from typing import Any

import numpy as np

from fmnist_course.exercises.answer_codec import (
    FILE_NAME,
    Unsupported,
    Writer,
    decode,
    encode,
    is_keras,
)

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


class RecordedFunction:
    """A student's function, replayed from its outputs on the instructor's inputs.

    Calling it with one of the recorded inputs returns the output the student's
    function gave inside the sandbox (or raises what it raised); any other
    input raises `ValueError`.

    Examples:
        >>> double = RecordedFunction([((3,), {"value": {"t": "int", "v": "6"}})], {})
        >>> double(3)
        6

    """

    def __init__(self, calls: list[tuple[tuple, dict]], files: dict[str, bytes]):
        self._calls = calls
        self._files = files

    def __call__(self, *args):
        """The recorded output for these inputs (or what the function raised)."""
        for recorded_args, outcome in self._calls:
            if _same(recorded_args, args):
                if "error" in outcome:
                    raise RuntimeError(f"your function raised {outcome['error']}")
                return decode(outcome.get("value"), self._files)
        raise ValueError(
            "the function was not called on this input while grading; the "
            "graded check must list it in its probes"
        )

    def __repr__(self) -> str:
        return f"<your function, replayed on {len(self._calls)} inputs>"


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, np.ndarray) or isinstance(right, np.ndarray):
        return (
            isinstance(left, np.ndarray)
            and isinstance(right, np.ndarray)
            and left.shape == right.shape
            and left.dtype == right.dtype
            and bool(np.array_equal(left, right))
        )
    if type(left).__name__ in ("DataFrame", "Series"):
        return type(left) is type(right) and bool(left.equals(right))
    if isinstance(left, tuple | list) and isinstance(right, tuple | list):
        return len(left) == len(right) and all(map(_same, left, right))
    try:
        return type(left) is type(right) and bool(left == right)
    except Exception:  # an exotic comparison
        return False


def is_function_answer(value: Any) -> bool:
    """Whether an answer is judged by its outputs (a function, not a model)."""
    return (
        callable(value)
        and not isinstance(value, type)
        and not is_keras(value, "Layer")
        and not is_keras(value, "Callback")
    )


# --- in the kernel ----------------------------------------------------------------


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


# --- in the grader ----------------------------------------------------------------


def encode_probes(probes: dict[str, dict[str, list]], directory: Path) -> dict:
    """The hidden inputs as the runner hands them out: JSON, one entry per call.

    Args:
        probes: `{exercise_id: {argument position or name: [args tuple, ...]}}`.
        directory: Scratch space for the arrays' files.

    Returns:
        `{exercise_id: {key: [{"args": descriptor, "files": {name: base64}}]}}`.

    """
    encoded: dict[str, dict[str, list]] = {}
    for exercise_id, entry in probes.items():
        for key, calls in entry.items():
            for number, args in enumerate(calls):
                folder = directory / f"{len(os.listdir(directory)):06d}"
                folder.mkdir()
                descriptor = encode(list(args), Writer(folder))
                files = {
                    p.name: base64.b64encode(p.read_bytes()).decode("ascii")
                    for p in folder.iterdir()
                }
                encoded.setdefault(exercise_id, {}).setdefault(key, []).append(
                    {"args": descriptor, "files": files, "call": number}
                )
    return encoded


def load_answers(
    record: dict, files: dict[str, bytes], probes: dict[str, list[tuple]]
) -> tuple[list, dict]:
    """The `(args, kwargs)` of one exported `check` call, rebuilt safely.

    Args:
        record: The call's `answer.json`, parsed, with the functions' outputs
            (`functions.json`) under `"functions"` when there were any.
        files: Its files' bytes by name.
        probes: The instructor's inputs by argument position or name, the same
            the kernel was given; a function's recorded outputs are paired
            with them.

    Returns:
        The positional and named answers. An answer that cannot be rebuilt
        becomes `Unsupported` (`unreadable=True` when the export itself was
        broken, which is the grader's problem to report).

    """
    args_descriptors = record.get("args", [])
    kwargs_descriptors = record.get("kwargs", {})
    functions = record.get("functions") or {}
    if (
        not isinstance(args_descriptors, list)
        or not isinstance(kwargs_descriptors, dict)
        or not isinstance(functions, dict)
    ):
        raise ValueError("answer.json: expected a list of args and a dict of kwargs")
    context: list = []

    def one(key: str, descriptor: Any) -> Any:
        if isinstance(descriptor, dict) and descriptor.get("t") == "function":
            outcomes = functions.get(key)
            inputs = probes.get(key, [])
            if not isinstance(outcomes, list) or len(outcomes) != len(inputs):
                return Unsupported("function that was not called on the inputs")
            calls = []
            for args, outcome in zip(inputs, outcomes, strict=True):
                if not isinstance(outcome, dict):
                    return Unsupported("function with an invalid output")
                if "error" in outcome:
                    outcome = {"error": str(outcome["error"])[:MAX_ERROR_TEXT]}
                calls.append((tuple(args), outcome))
            return RecordedFunction(calls, files)
        try:
            return decode(descriptor, files, context)
        except Exception as error:  # a crafted or unreadable export
            return Unsupported(
                f"unreadable answer ({type(error).__name__}: {str(error)[:120]})",
                unreadable=True,
            )

    args = []
    for index, descriptor in enumerate(args_descriptors[:50]):
        value = one(str(index), descriptor)
        args.append(value)
        context.append(value)
    kwargs = {
        str(name)[:100]: one(str(name), descriptor)
        for name, descriptor in list(kwargs_descriptors.items())[:50]
    }
    return args, kwargs


__all__ = [
    "ANSWER_FILE",
    "EXPORT_ENV",
    "FILE_NAME",
    "FUNCTIONS_FILE",
    "PROBE_SOCKET_ENV",
    "RecordedFunction",
    "Unsupported",
    "encode_probes",
    "export_answer",
    "load_answers",
    "run_probes",
]
