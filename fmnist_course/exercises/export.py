"""Answers as data: export them from a kernel, load them safely in the grader.

While a notebook is graded, `check("NN-name", *answers)` first writes the
answers to the directory named by `FMNIST_EXPORT_DIR`, as data only:

- plain values (numbers, strings, lists, tuples, sets, dicts) as JSON;
- NumPy arrays as `.npy` (never pickled); NumPy scalars with their dtype;
- pandas DataFrames column by column, as arrays or JSON;
- Keras models as `.keras` files, loaded back with `safe_mode=True` (no
  Lambda layer's code runs);
- a function, by what it returns on the instructor's inputs (`probes`): it is
  called inside the sandbox and only its outputs leave it.

`load_answers` rebuilds the values in the grader from those bytes, where no
student code ever runs. Anything else comes back as an `Unsupported` value,
which no check accepts. Every descriptor is validated: a crafted export can
make an answer wrong, never run code.

Examples:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     descriptor = encode(("a", 2, {3: [1.5]}), Path(directory), {})
    ...     files = {p.name: p.read_bytes() for p in Path(directory).iterdir()}
    >>> decode(descriptor, files)
    ('a', 2, {3: [1.5]})

"""

from __future__ import annotations

import copy
import io
import json
import math
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

EXPORT_ENV = "FMNIST_EXPORT_DIR"
"""Set while grading: where `check` writes each call's answers."""
PROBES_ENV = "FMNIST_PROBES_DIR"
"""Set while grading: the instructor's inputs for answers that are functions."""

ANSWER_FILE = "answer.json"
MAX_DEPTH = 20
MAX_ITEMS = 200_000
MAX_STRING = 100_000
FILE_NAME = re.compile(r"^f\d{1,6}\.(npy|keras)$")
EARLY_STOPPING_FIELDS = (
    "monitor",
    "patience",
    "restore_best_weights",
    "min_delta",
    "mode",
    "baseline",
    "start_from_epoch",
    "verbose",
)


class Unsupported:
    """An answer that could not travel as data (its type is kept, for messages)."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<an answer of type {self.type_name}, which grading cannot read>"


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
    if type(left).__name__ == "DataFrame" or type(right).__name__ == "DataFrame":
        return type(left) is type(right) and bool(left.equals(right))
    if isinstance(left, tuple | list) and isinstance(right, tuple | list):
        return len(left) == len(right) and all(map(_same, left, right))
    try:
        return type(left) is type(right) and bool(left == right)
    except Exception:  # an exotic comparison
        return False


# --- encoding (in the kernel) -------------------------------------------------


class _Writer:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.count = 0
        self.models: list[tuple[Any, int]] = []  # (model, index of its argument)

    def new_file(self, suffix: str) -> tuple[str, Path]:
        self.count += 1
        name = f"f{self.count}{suffix}"
        return name, self.directory / name


def _type_name(value: Any) -> str:
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _is_keras(value: Any, name: str) -> bool:
    return any(
        klass.__module__.startswith("keras") and klass.__name__ == name
        for klass in type(value).__mro__
    )


def encode(value: Any, directory: Path, probes: dict, _writer=None, _depth=0) -> dict:
    """Describe `value` as JSON, writing arrays and models as files in `directory`.

    Args:
        value: An answer passed to `check`.
        directory: Where `.npy` and `.keras` files go.
        probes: For a function: `{"calls": [args, ...]}`, the inputs to call it
            on (`{}` when none).

    Returns:
        A JSON-ready descriptor for `decode`.

    """
    writer = _writer or _Writer(directory)
    if _depth > MAX_DEPTH:
        return {"t": "unsupported", "type": "too deeply nested"}
    deeper = _depth + 1
    if value is None:
        return {"t": "none"}
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, int):
        return {"t": "int", "v": str(value)}
    if isinstance(value, float):
        return {"t": "float", "v": repr(value)}
    if isinstance(value, str):
        return {"t": "str", "v": value[:MAX_STRING]}
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return {"t": "np_scalar", "dtype": value.dtype.str, "v": repr(value.item())}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufcUS":
        name, path = writer.new_file(".npy")
        np.save(path, value, allow_pickle=False)
        return {"t": "ndarray", "file": name}
    if isinstance(value, list | tuple | set | frozenset):
        kind = (
            type(value).__name__
            if type(value) in (list, tuple, set, frozenset)
            else None
        )
        if kind is None:
            kind = "tuple" if isinstance(value, tuple) else "list"
        items = list(value)[:MAX_ITEMS]
        return {
            "t": kind,
            "items": [encode(v, directory, {}, writer, deeper) for v in items],
        }
    if isinstance(value, dict):
        return {
            "t": "dict",
            "items": [
                [
                    encode(k, directory, {}, writer, deeper),
                    encode(v, directory, {}, writer, deeper),
                ]
                for k, v in list(value.items())[:MAX_ITEMS]
            ],
        }
    if type(value).__name__ == "DataFrame" and type(value).__module__.startswith(
        "pandas"
    ):
        return {
            "t": "dataframe",
            "columns": [
                encode(c, directory, {}, writer, deeper) for c in value.columns
            ],
            "index": encode(value.index.to_numpy(), directory, {}, writer, deeper)
            if value.index.dtype.kind in "biuf"
            else encode(list(value.index), directory, {}, writer, deeper),
            "data": [
                encode(value[c].to_numpy(), directory, {}, writer, deeper)
                if value[c].dtype.kind in "biufb"
                else encode(list(value[c]), directory, {}, writer, deeper)
                for c in value.columns
            ],
        }
    if _is_keras(value, "Layer"):
        for model, index in writer.models:
            if value is model:
                return {"t": "same_as", "arg": index}
            if any(
                layer is value for layer in model._flatten_layers(include_self=False)
            ):
                return {"t": "layer_of", "arg": index, "name": value.name}
        if _is_keras(value, "Model"):
            name, path = writer.new_file(".keras")
            value.save(path)
            return {"t": "keras_model", "file": name}
    if _is_keras(value, "EarlyStopping"):
        config = {
            key: getattr(value, key)
            for key in EARLY_STOPPING_FIELDS
            if isinstance(getattr(value, key, None), bool | int | float | str)
        }
        return {
            "t": "early_stopping",
            "config": encode(config, directory, {}, writer, deeper),
        }
    if callable(value):
        calls = []
        for args in probes.get("calls", []):
            try:
                result = value(*copy.deepcopy(args))
                calls.append({"value": encode(result, directory, {}, writer, deeper)})
            except Exception as error:  # the student's function raised
                calls.append({"error": f"{type(error).__name__}: {error}"[:500]})
        return {"t": "function", "calls": calls}
    return {"t": "unsupported", "type": _type_name(value)}


def export_answer(
    directory: str | os.PathLike,
    exercise_id: str,
    args: tuple,
    kwargs: dict,
    probes: dict | None = None,
) -> Path:
    """Write one `check` call's answers into a new numbered folder of `directory`.

    Args:
        directory: The export directory (`FMNIST_EXPORT_DIR`).
        exercise_id: The id passed to `check`.
        args: The answers passed to `check`, in order.
        kwargs: The answers passed by name.
        probes: Instructor inputs for this exercise: `{"0": {"calls": [...]},
            "name": {...}}`, by argument position or name.

    Returns:
        The folder written.

    Examples:
        >>> export_answer("/tmp/answers", "02-conv", (320,), {})  # doctest: +SKIP

    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    number = len([p for p in directory.iterdir() if p.name.isdigit()])
    target = directory / f"{number:04d}"
    target.mkdir()
    probes = probes or {}
    writer = _Writer(target)
    encoded_args = []
    for index, value in enumerate(args):
        encoded_args.append(encode(value, target, probes.get(str(index), {}), writer))
        if _is_keras(value, "Model"):
            writer.models.append((value, index))
    encoded_kwargs = {
        str(name): encode(value, target, probes.get(str(name), {}), writer)
        for name, value in kwargs.items()
    }
    record = {"exercise": exercise_id, "args": encoded_args, "kwargs": encoded_kwargs}
    (target / ANSWER_FILE).write_text(json.dumps(record), encoding="utf-8")
    return target


def read_probes(exercise_id: str) -> dict:
    """The instructor's inputs for `exercise_id`'s functions (`{}` when none).

    Read from `FMNIST_PROBES_DIR/probes.json` and its `.npy` files.
    """
    directory = os.environ.get(PROBES_ENV)
    if not directory:
        return {}
    directory = Path(directory)
    try:
        probes = json.loads((directory / "probes.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    entry = probes.get(exercise_id, {})
    files = {p.name: p.read_bytes() for p in directory.glob("f*.npy")}
    return {key: {"calls": decode(spec["calls"], files)} for key, spec in entry.items()}


# --- decoding (in the grader) -------------------------------------------------


def _float(text: Any) -> float:
    if not isinstance(text, str) or len(text) > 40:
        raise ValueError("a float must be written as a short string")
    return float(text)


def _int(text: Any) -> int:
    if not isinstance(text, str) or len(text) > 4000:
        raise ValueError("an int must be written as a string of digits")
    return int(text)


def _load_npy(data: bytes) -> np.ndarray:
    array = np.load(io.BytesIO(data), allow_pickle=False)
    if not isinstance(array, np.ndarray):
        raise ValueError("not an array")
    return array


def _load_keras(data: bytes):
    import keras

    with tempfile.TemporaryDirectory(prefix="fmnist-model-") as directory:
        path = Path(directory) / "model.keras"
        path.write_bytes(data)
        return keras.saving.load_model(path, safe_mode=True, compile=False)


def decode(descriptor: Any, files: dict[str, bytes], _context=None, _depth=0) -> Any:
    """Rebuild a value from `encode`'s descriptor and the files' bytes, safely.

    Arrays load with `allow_pickle=False`, models with `safe_mode=True`. An
    invalid descriptor raises `ValueError`.

    Args:
        descriptor: What `encode` returned (read from untrusted JSON).
        files: The exported files' bytes by name.

    Returns:
        The value.

    Raises:
        ValueError: The descriptor is not one `encode` makes.

    """
    context = _context if _context is not None else []
    if _depth > MAX_DEPTH + 2 or not isinstance(descriptor, dict):
        raise ValueError("not an answer descriptor")
    kind = descriptor.get("t")
    deeper = _depth + 1

    def items(key: str = "items") -> list:
        values = descriptor.get(key)
        if not isinstance(values, list) or len(values) > MAX_ITEMS:
            raise ValueError(f"{kind}: expected a list of items")
        return values

    def file(suffix: str) -> bytes:
        name = descriptor.get("file")
        if not isinstance(name, str) or not FILE_NAME.match(name) or name not in files:
            raise ValueError(f"{kind}: missing or invalid file {name!r}")
        if not name.endswith(suffix):
            raise ValueError(f"{kind}: expected a {suffix} file")
        return files[name]

    if kind == "none":
        return None
    if kind == "bool":
        if not isinstance(descriptor.get("v"), bool):
            raise ValueError("bool: not a boolean")
        return descriptor["v"]
    if kind == "int":
        return _int(descriptor.get("v"))
    if kind == "float":
        return _float(descriptor.get("v"))
    if kind == "str":
        if not isinstance(descriptor.get("v"), str):
            raise ValueError("str: not a string")
        return descriptor["v"][:MAX_STRING]
    if kind == "np_scalar":
        dtype = np.dtype(str(descriptor.get("dtype")))
        if dtype.kind not in "biuf":
            raise ValueError("np_scalar: not a number type")
        text = descriptor.get("v")
        number = (
            _float(text)
            if dtype.kind == "f"
            else text == "True"
            if dtype.kind == "b"
            else _int(text)
        )
        return dtype.type(number)
    if kind == "ndarray":
        return _load_npy(file(".npy"))
    if kind in ("list", "tuple", "set", "frozenset"):
        values = [decode(v, files, context, deeper) for v in items()]
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[kind](
            values
        )
    if kind == "dict":
        pairs = []
        for pair in items():
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError("dict: expected [key, value] pairs")
            pairs.append(
                (
                    decode(pair[0], files, context, deeper),
                    decode(pair[1], files, context, deeper),
                )
            )
        return dict(pairs)
    if kind == "dataframe":
        import pandas as pd

        columns = [decode(c, files, context, deeper) for c in items("columns")]
        data = [decode(c, files, context, deeper) for c in items("data")]
        index = decode(descriptor.get("index"), files, context, deeper)
        if len(columns) != len(data):
            raise ValueError("dataframe: as many columns as data expected")
        frame = pd.DataFrame(
            dict(
                zip(
                    columns,
                    [list(d) if isinstance(d, list) else d for d in data],
                    strict=True,
                )
            )
        )
        if len(index) == len(frame):
            frame.index = index
        return frame
    if kind == "keras_model":
        return _load_keras(file(".keras"))
    if kind in ("same_as", "layer_of"):
        index = descriptor.get("arg")
        if not isinstance(index, int) or not 0 <= index < len(context):
            raise ValueError(f"{kind}: no earlier answer {index!r}")
        model = context[index]
        if kind == "same_as":
            return model
        name = descriptor.get("name")
        for layer in getattr(model, "_flatten_layers", lambda **_: [])(
            include_self=False
        ):
            if layer.name == name:
                return layer
        raise ValueError(f"layer_of: no layer named {name!r}")
    if kind == "early_stopping":
        import keras

        config = decode(descriptor.get("config"), files, context, deeper)
        if not isinstance(config, dict) or not set(config) <= set(
            EARLY_STOPPING_FIELDS
        ):
            raise ValueError("early_stopping: unexpected settings")
        return keras.callbacks.EarlyStopping(**config)
    if kind == "unsupported":
        return Unsupported(str(descriptor.get("type", "unknown"))[:200])
    raise ValueError(f"unknown answer kind {str(kind)[:40]!r}")


def load_answers(
    record: dict, files: dict[str, bytes], probes: dict[str, list[tuple]]
) -> tuple[list, dict]:
    """The `(args, kwargs)` of one exported `check` call, rebuilt safely.

    Args:
        record: The call's `answer.json`, parsed.
        files: Its files' bytes by name.
        probes: The instructor's inputs by argument position or name, the same
            the kernel was given; a function's recorded outputs are paired
            with them.

    Returns:
        The positional and named answers. An answer that cannot be rebuilt
        becomes `Unsupported`.

    """
    args_descriptors = record.get("args", [])
    kwargs_descriptors = record.get("kwargs", {})
    if not isinstance(args_descriptors, list) or not isinstance(
        kwargs_descriptors, dict
    ):
        raise ValueError("answer.json: expected a list of args and a dict of kwargs")
    context: list = []

    def one(key: str, descriptor: Any) -> Any:
        if isinstance(descriptor, dict) and descriptor.get("t") == "function":
            outcomes = descriptor.get("calls")
            inputs = probes.get(key, [])
            if not isinstance(outcomes, list) or len(outcomes) != len(inputs):
                return Unsupported("function without its outputs")
            calls = []
            for args, outcome in zip(inputs, outcomes, strict=True):
                if not isinstance(outcome, dict):
                    return Unsupported("function with an invalid output")
                if "error" in outcome:
                    outcome = {"error": str(outcome["error"])[:500]}
                calls.append((tuple(args), outcome))
            return RecordedFunction(calls, files)
        try:
            return decode(descriptor, files, context)
        except Exception as error:  # a crafted or unreadable export
            return Unsupported(
                f"unreadable answer ({type(error).__name__}: {str(error)[:120]})"
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


def write_probes(
    directory: str | os.PathLike, probes: dict[str, dict[str, list]]
) -> Path:
    """Write the instructor's inputs for function answers, for the kernel to read.

    Args:
        directory: Where `probes.json` and its `.npy` files go.
        probes: `{exercise_id: {argument position or name: [args tuple, ...]}}`.

    Returns:
        The directory.

    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    writer = _Writer(directory)
    encoded = {
        exercise_id: {
            key: {"calls": encode(list(calls), directory, {}, writer)}
            for key, calls in entry.items()
        }
        for exercise_id, entry in probes.items()
    }
    (directory / "probes.json").write_text(json.dumps(encoded), encoding="utf-8")
    return directory


def is_finite_number(value: Any) -> bool:
    """Whether `value` is a real, finite number (not a bool)."""
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool | np.bool_)
        and math.isfinite(float(value))
    )


Decoder = Callable[[dict, dict], Any]
