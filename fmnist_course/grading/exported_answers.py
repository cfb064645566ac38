"""Answers as data, rebuilt in the grader where no student code runs.

A graded notebook's `check` calls wrote their answers as data
(`fmnist_course.exercises.export`, in the student's kernel). `load_answers`
rebuilds one call's answers through the answer codec
(`fmnist_course.exercises.answer_codec`): arrays without pickles, models in
safe mode; a function becomes a `RecordedFunction` that replays its outputs
on the instructor's hidden inputs, which `encode_probes` prepares for the
runner to hand out.

Examples:
    >>> import json, tempfile
    >>> from fmnist_course.exercises.export import ANSWER_FILE, export_answer
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     folder = export_answer(directory, "99-demo", (42, [1.5]), {})
    ...     record = json.loads((folder / ANSWER_FILE).read_text())
    >>> load_answers(record, {}, {})
    ([42, [1.5]], {})

"""

from __future__ import annotations

import base64
import os
from pathlib import Path
from typing import Any

import numpy as np

from fmnist_course.exercises.answer_codec import Unsupported, decode, encode
from fmnist_course.exercises.answer_files import Writer
from fmnist_course.exercises.export import MAX_ERROR_TEXT


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
    "RecordedFunction",
    "encode_probes",
    "load_answers",
]
