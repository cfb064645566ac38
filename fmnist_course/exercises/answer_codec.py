"""The answer codec: a student's answer as JSON and files, and back, safely.

`encode` runs in the student's kernel and describes a value as data only:

- plain values (numbers, strings, lists, tuples, sets, dicts) as JSON;
- NumPy arrays as `.npy` (never pickled); NumPy scalars of every width with
  their dtype (a `np.float64` is a `float` subclass, but it travels as a NumPy
  scalar, written as a plain number: NumPy 2's `repr` would not read back);
- pandas DataFrames and Series column by column, as arrays or JSON;
- Keras models as `.keras` files, loaded back with `safe_mode=True` (no
  Lambda layer's code runs); a layer of a model passed earlier by reference;
- an `EarlyStopping` callback by its settings;
- a tensor (anything with `__array__`, such as a Keras or TensorFlow tensor)
  as the NumPy array it converts to;
- a run directory (a `pathlib.Path` to what `fmnist_course.runs.save_run`
  wrote) by its three files only, each size-limited and opened without
  following links (`fmnist_course.exercises.saved_run`): it comes back as
  a read-only `SavedRun`, whose model
  loads in safe mode.

`decode` rebuilds the value in the grader, where no student code ever runs.
Anything else comes back as an `Unsupported` value, which no check accepts.
Every descriptor is validated: a crafted export can make an answer wrong (or
unreadable, which the grader reports as its own problem), never run code.

Examples:
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as directory:
    ...     writer = Writer(Path(directory))
    ...     descriptor = encode(("a", 2, {3: [1.5]}, np.float64(0.56)), writer)
    ...     files = {p.name: p.read_bytes() for p in Path(directory).iterdir()}
    >>> decode(descriptor, files)
    ('a', 2, {3: [1.5]}, np.float64(0.56))

"""

from __future__ import annotations

import io
import os
from typing import Any

import numpy as np

from fmnist_course.exercises.answer_files import (
    FILE_NAME,
    MAX_STRING,
    Writer,
    load_keras_bytes,
)
from fmnist_course.exercises.saved_run import decode_run_dir, encode_run_dir

MAX_DEPTH = 20
MAX_ITEMS = 200_000
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
NUMBER_KINDS = "biuf"
"""NumPy dtype kinds that travel: booleans, signed and unsigned ints, floats."""


class Unsupported:
    """An answer that could not travel as data (its type is kept, for messages).

    Attributes:
        type_name: The answer's type, or why it could not be read.
        unreadable: True when the export was there but could not be read back:
            the grader's problem, reported to the instructor, never counted
            as a wrong answer.

    """

    def __init__(self, type_name: str, *, unreadable: bool = False) -> None:
        self.type_name = type_name
        self.unreadable = unreadable

    def __repr__(self) -> str:
        return f"<an answer of type {self.type_name}, which grading cannot read>"


def type_name(value: Any) -> str:
    """`module.QualifiedName` of a value's type, for messages."""
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def is_keras(value: Any, name: str) -> bool:
    """Whether `value` is an instance of a Keras class called `name`."""
    return any(
        klass.__module__.startswith("keras") and klass.__name__ == name
        for klass in type(value).__mro__
    )


def all_layers(model: Any) -> list:
    """Every layer inside `model`, nested models' layers included (public API)."""
    found = []
    for layer in getattr(model, "layers", []):
        found.append(layer)
        if hasattr(layer, "layers"):
            found += all_layers(layer)
    return found


def _is_pandas(value: Any, name: str) -> bool:
    return type(value).__name__ == name and type(value).__module__.startswith("pandas")


def _column(values: Any, writer: Writer, depth: int) -> dict:
    array = values.to_numpy()
    if array.dtype.kind in NUMBER_KINDS:
        return encode(array, writer, depth)
    return encode(list(values), writer, depth)


def encode(value: Any, writer: Writer, _depth: int = 0) -> dict:
    """Describe `value` as JSON, writing arrays and models as files.

    Args:
        value: An answer passed to `check` (not a function: see
            `fmnist_course.exercises.export`).
        writer: Names the files and remembers the models of this call.

    Returns:
        A JSON-ready descriptor for `decode`.

    Examples:
        >>> encode(np.int8(3), Writer("."))
        {'t': 'np_scalar', 'dtype': '|i1', 'v': '3'}

    """
    if _depth > MAX_DEPTH:
        return {"t": "unsupported", "type": "too deeply nested"}
    deeper = _depth + 1
    if value is None:
        return {"t": "none"}
    # NumPy scalars first: np.float64 is a float and np.bool_ is no bool.
    if isinstance(value, np.generic):
        if value.dtype.kind in NUMBER_KINDS:
            return {"t": "np_scalar", "dtype": value.dtype.str, "v": repr(value.item())}
        if value.dtype.kind in "US":
            return {"t": "str", "v": str(value)[:MAX_STRING]}
        return {"t": "unsupported", "type": type_name(value)}
    if isinstance(value, bool):
        return {"t": "bool", "v": value}
    if isinstance(value, int):
        return {"t": "int", "v": str(int(value))}
    if isinstance(value, float):
        return {"t": "float", "v": repr(float(value))}
    if isinstance(value, str):
        return {"t": "str", "v": str(value)[:MAX_STRING]}
    if isinstance(value, np.ndarray) and value.dtype.kind in NUMBER_KINDS + "cUS":
        name, path = writer.new_file(".npy")
        np.save(path, np.asarray(value, order="C"), allow_pickle=False)  # keeps 0-d
        return {"t": "ndarray", "file": name}
    if isinstance(value, list | tuple | set | frozenset):
        kind = next(
            k.__name__ for k in (list, tuple, set, frozenset) if isinstance(value, k)
        )
        items = list(value)[:MAX_ITEMS]
        return {"t": kind, "items": [encode(v, writer, deeper) for v in items]}
    if isinstance(value, dict):
        return {
            "t": "dict",
            "items": [
                [encode(k, writer, deeper), encode(v, writer, deeper)]
                for k, v in list(value.items())[:MAX_ITEMS]
            ],
        }
    if _is_pandas(value, "DataFrame"):
        return {
            "t": "dataframe",
            "columns": [encode(c, writer, deeper) for c in value.columns],
            "index": _column(value.index, writer, deeper),
            "data": [_column(value[c], writer, deeper) for c in value.columns],
        }
    if _is_pandas(value, "Series"):
        return {
            "t": "series",
            "name": encode(value.name, writer, deeper),
            "index": _column(value.index, writer, deeper),
            "data": _column(value, writer, deeper),
        }
    if is_keras(value, "Layer"):
        for model, index in writer.models:
            if value is model:
                return {"t": "same_as", "arg": index}
            if any(layer is value for layer in all_layers(model)):
                return {"t": "layer_of", "arg": index, "name": value.name}
        if is_keras(value, "Model"):
            name, path = writer.new_file(".keras")
            value.save(path)
            return {"t": "keras_model", "file": name}
    if is_keras(value, "EarlyStopping"):
        settings = {key: getattr(value, key, None) for key in EARLY_STOPPING_FIELDS}
        config = {  # a NumPy setting (patience=np.int64(3)) travels as a number
            key: setting.item() if isinstance(setting, np.generic) else setting
            for key, setting in settings.items()
            if isinstance(setting, bool | int | float | str | np.number | np.bool_)
        }
        return {"t": "early_stopping", "config": encode(config, writer, deeper)}
    if isinstance(value, os.PathLike):
        return encode_run_dir(value, writer)
    if hasattr(value, "__array__") and not isinstance(value, np.ndarray):
        try:  # a Keras or TensorFlow tensor: the array it holds
            array = np.asarray(value)
        except Exception:  # an __array__ that fails: not an array after all
            array = None
        if array is not None and array.dtype.kind in NUMBER_KINDS + "cUS":
            return encode(array, writer, deeper)
    return {"t": "unsupported", "type": type_name(value)}


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


def _scalar(descriptor: dict) -> np.generic:
    dtype = np.dtype(str(descriptor.get("dtype"))[:8])
    if dtype.kind not in NUMBER_KINDS:
        raise ValueError("np_scalar: not a number type")
    text = descriptor.get("v")
    if dtype.kind == "f":
        return dtype.type(_float(text))
    if dtype.kind == "b":
        if text not in ("True", "False"):
            raise ValueError("np_scalar: not a boolean")
        return dtype.type(text == "True")
    return dtype.type(_int(text))


def decode(descriptor: Any, files: dict[str, bytes], _context=None, _depth=0) -> Any:
    """Rebuild a value from `encode`'s descriptor and the files' bytes, safely.

    Arrays load with `allow_pickle=False`, models with `safe_mode=True`.

    Args:
        descriptor: What `encode` returned (read from untrusted JSON).
        files: The exported files' bytes by name.

    Returns:
        The value.

    Raises:
        ValueError: The descriptor is not one `encode` makes.

    Examples:
        >>> decode({"t": "np_scalar", "dtype": "<f4", "v": "0.5"}, {})
        np.float32(0.5)

    """
    context = _context if _context is not None else []
    if _depth > MAX_DEPTH + 2 or not isinstance(descriptor, dict):
        raise ValueError("not an answer descriptor")
    kind = descriptor.get("t")
    deeper = _depth + 1

    def inner(value: Any) -> Any:
        return decode(value, files, context, deeper)

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
        return _scalar(descriptor)
    if kind == "ndarray":
        return _load_npy(file(".npy"))
    if kind in ("list", "tuple", "set", "frozenset"):
        values = [inner(v) for v in items()]
        return {"list": list, "tuple": tuple, "set": set, "frozenset": frozenset}[kind](
            values
        )
    if kind == "dict":
        pairs = []
        for pair in items():
            if not isinstance(pair, list) or len(pair) != 2:
                raise ValueError("dict: expected [key, value] pairs")
            pairs.append((inner(pair[0]), inner(pair[1])))
        return dict(pairs)
    if kind == "dataframe":
        import pandas as pd

        columns = [inner(c) for c in items("columns")]
        data = [inner(c) for c in items("data")]
        index = inner(descriptor.get("index"))
        if len(columns) != len(data):
            raise ValueError("dataframe: as many columns as data expected")
        frame = pd.DataFrame(dict(zip(columns, data, strict=True)))
        if len(index) == len(frame):
            frame.index = index
        return frame
    if kind == "series":
        import pandas as pd

        data, index = inner(descriptor.get("data")), inner(descriptor.get("index"))
        name = inner(descriptor.get("name"))
        if len(index) != len(data):
            raise ValueError("series: as many index labels as values expected")
        return pd.Series(data, index=index, name=name)
    if kind == "keras_model":
        return load_keras_bytes(file(".keras"))
    if kind == "run_dir":
        return decode_run_dir(descriptor, files)
    if kind in ("same_as", "layer_of"):
        index = descriptor.get("arg")
        if not isinstance(index, int) or not 0 <= index < len(context):
            raise ValueError(f"{kind}: no earlier answer {index!r}")
        model = context[index]
        if kind == "same_as":
            return model
        name = descriptor.get("name")
        for layer in all_layers(model):
            if layer.name == name:
                return layer
        raise ValueError(f"layer_of: no layer named {name!r}")
    if kind == "early_stopping":
        import keras

        config = inner(descriptor.get("config"))
        if not isinstance(config, dict) or not set(config) <= set(
            EARLY_STOPPING_FIELDS
        ):
            raise ValueError("early_stopping: unexpected settings")
        return keras.callbacks.EarlyStopping(**config)
    if kind == "unsupported":
        return Unsupported(str(descriptor.get("type", "unknown"))[:200])
    raise ValueError(f"unknown answer kind {str(kind)[:40]!r}")
