"""Reading a student's answer the same way in a self-check and in a graded check.

A student may hand in one answer in many forms: `600`, `np.int64(600)` or
`np.array(600)`; `(128, 256)`, `[128, 256]` or `np.array([128, 256])`; a set
or a list of names; a dict or a pandas Series; a NumPy array or a Keras
tensor. The self-checks (`fmnist_course.exercises.lesson_NN`) and the
instructor's graded checks (`graded/lesson_NN.py`) read answers through these
helpers, so every such form gets the same verdict on both sides, and what the
answer codec (`fmnist_course.exercises.answer_codec`) brings back from a
kernel reads as what the student passed.

Each `as_*` helper returns the answer in one plain form, or fails the running
check (`CheckFailed`) with a message that says what was received and what was
expected. A bool is never a number here: `True` is not a count.

Examples:
    >>> as_count(np.int16(600)), as_count(np.array(600))
    (600, 600)
    >>> as_count(True)
    Traceback (most recent call last):
    ...
    fmnist_course.exercises.registry.CheckFailed: Expected a whole number. Received: True (a bool)
    >>> as_counts([np.int64(128), 256], length=2)
    (128, 256)
    >>> sorted(as_name_set(["b", "a", "b"]))
    ['a', 'b']

"""  # noqa: E501

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from fmnist_course.exercises.registry import expect

ARRAY_TOLERANCE = {"rtol": 1e-4, "atol": 1e-5}
"""How close two arrays must be to count as the same answer: loose enough for a
float32 computation of a float64 result, tight enough for any real mistake."""

INTEGER_KINDS = "iu"
NUMBER_KINDS = "iuf"
"""NumPy dtype kinds of counts (signed, unsigned) and of real numbers."""

MAX_SHOWN = 80
"""Characters of an answer quoted in a message."""


def describe(value: Any) -> str:
    """A short description of an answer for a message: its start and its type.

    Examples:
        >>> describe(np.float32(0.5))
        '0.5 (a numpy.float32)'

    """
    text = str(value) if isinstance(value, np.generic) else repr(value)
    if len(text) > MAX_SHOWN:
        text = text[: MAX_SHOWN - 3] + "..."
    kind = type(value)
    module = kind.__module__.split(".")[0]
    name = kind.__qualname__ if module == "builtins" else f"{module}.{kind.__name__}"
    return f"{text} (a {name})"


def expect_function(value: Any) -> None:
    """Fail the running check unless the answer is a function to call.

    Examples:
        >>> expect_function(len)
        >>> expect_function(3)
        Traceback (most recent call last):
        ...
        fmnist_course.exercises.registry.CheckFailed: Expected a function. Received: 3 (a int)

    """  # noqa: E501
    expect(callable(value), f"Expected a function. Received: {describe(value)}")


def _is_pandas(value: Any) -> bool:
    return type(value).__module__.startswith("pandas")


def _as_ndarray(value: Any) -> np.ndarray | None:
    """An ndarray for arrays, tensors and pandas objects; None for anything else."""
    if isinstance(value, np.ndarray):
        return value
    if _is_pandas(value) and hasattr(value, "to_numpy"):
        return np.asarray(value.to_numpy())
    if hasattr(value, "__array__") and not isinstance(value, str | bytes | Mapping):
        try:  # a Keras or TensorFlow tensor
            return np.asarray(value)
        except Exception:  # an object whose __array__ fails is no array
            return None
    return None


def _scalar(value: Any) -> Any:
    """A 0-d array or tensor as its NumPy scalar; anything else unchanged."""
    if isinstance(value, np.generic | bool | int | float):
        return value
    array = _as_ndarray(value)
    if array is not None and array.ndim == 0:
        return array[()]
    return value


def is_count(value: Any) -> bool:
    """Whether `value` is a whole number: an int of Python or NumPy, not a bool.

    A 0-d integer array (or tensor) counts; a float such as `600.0` does not.

    Examples:
        >>> is_count(np.uint16(7)), is_count(7.0), is_count(np.bool_(True))
        (True, False, False)

    """
    value = _scalar(value)
    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, int | np.integer)


def as_count(value: Any, name: str = "") -> int:
    """`value` as a Python int; fails the check unless it is a whole number.

    Args:
        value: The answer.
        name: What the answer is called in the statement, for the message.

    Returns:
        The count.

    """
    where = f" for {name}" if name else ""
    expect(
        is_count(value), f"Expected a whole number{where}. Received: {describe(value)}"
    )
    return int(_scalar(value))


def is_number(value: Any) -> bool:
    """Whether `value` is one real, finite number (int or float, not a bool).

    Examples:
        >>> is_number(np.float16(0.5)), is_number(np.array(2)), is_number("2")
        (True, True, False)

    """
    value = _scalar(value)
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, np.generic):
        return value.dtype.kind in NUMBER_KINDS and bool(np.isfinite(value))
    return isinstance(value, int) or (isinstance(value, float) and math.isfinite(value))


def as_number(value: Any, name: str = "") -> float:
    """`value` as a Python float; fails the check unless it is one real number.

    Args:
        value: The answer.
        name: What the answer is called in the statement, for the message.

    Returns:
        The number.

    """
    where = f" for {name}" if name else ""
    expect(is_number(value), f"Expected one number{where}. Received: {describe(value)}")
    return float(_scalar(value))


def rounded(value: Any, decimals: int) -> float:
    """`value` rounded to `decimals` places, `-0.0` made `0.0`.

    A self-check compares answers rounded this way, through their digests
    (`fmnist_course.exercises.digest`), and so does a graded check, in the
    open: both accept exactly the same numbers.

    Examples:
        >>> rounded(np.float16(0.56), 3), rounded(-0.0001, 3)
        (0.56, 0.0)

    """
    return round(float(value), decimals) + 0.0


def _items(value: Any) -> list | None:
    """The elements of a list, tuple, 1-d array, tensor or pandas Series."""
    if isinstance(value, list | tuple):
        return list(value)
    array = _as_ndarray(value)
    if array is not None and array.ndim == 1:
        return list(array)
    return None


def as_counts(value: Any, length: int, name: str = "") -> tuple[int, ...]:
    """`value` as a tuple of `length` ints: a tuple, list or 1-d array of counts.

    Args:
        value: The answer.
        length: How many counts the statement asks for.
        name: What the answer is called in the statement, for the message.

    Returns:
        The counts, in order.

    """
    items = _items(value)
    what = name or "the answer"
    expect(
        items is not None and len(items) == length,
        f"Expected {length} whole numbers in {what}, as a tuple. "
        f"Received: {describe(value)}",
    )
    return tuple(as_count(item, what) for item in items)


def _is_name(value: Any) -> bool:
    return isinstance(value, str)  # np.str_ is a str


def as_names(value: Any, length: int, name: str = "") -> tuple[str, ...]:
    """`value` as a tuple of `length` strings, in order (a tuple, list or array).

    Examples:
        >>> as_names(np.array(["Shirt", "Coat"]), length=2)
        ('Shirt', 'Coat')

    """
    items = _items(value)
    what = name or "the answer"
    expect(
        items is not None and len(items) == length and all(map(_is_name, items)),
        f"Expected {length} names in {what}, as a tuple of strings. "
        f"Received: {describe(value)}",
    )
    return tuple(str(item) for item in items)


def as_name_set(value: Any, name: str = "") -> frozenset[str]:
    """`value` as a set of strings: a set, list, tuple, array or Series of names.

    Order and repetition do not matter.
    """
    items = list(value) if isinstance(value, set | frozenset) else _items(value)
    what = name or "the answer"
    expect(
        items is not None and all(map(_is_name, items)),
        f"Expected a set of names in {what}. Received: {describe(value)}",
    )
    return frozenset(str(item) for item in items)


def as_array(value: Any, name: str = "") -> np.ndarray:
    """`value` as an array of numbers: an array, tensor, Series or nested list.

    Args:
        value: The answer.
        name: What the answer is called in the statement, for the message.

    Returns:
        The array, with the answer's own shape and dtype (a list of floats
        becomes float64).

    Examples:
        >>> as_array([[0.5, 1.0]]).shape
        (1, 2)

    """
    what = f" for {name}" if name else ""
    array = _as_ndarray(value)
    if array is None and isinstance(value, list | tuple):
        try:
            array = np.asarray(value)
        except ValueError:  # ragged lists
            array = None
    expect(
        array is not None and array.dtype.kind in NUMBER_KINDS,
        f"Expected an array of numbers{what}. Received: {describe(value)}",
    )
    return array


def close(value: np.ndarray, expected: np.ndarray) -> bool:
    """Whether two arrays of the same shape agree within `ARRAY_TOLERANCE`."""
    return value.shape == expected.shape and bool(
        np.allclose(value, expected, **ARRAY_TOLERANCE)
    )


def plain(value: Any) -> Any:
    """`value` with NumPy scalars as Python values and sequences as tuples.

    Makes a hyperparameter read from a table compare equal to the same value
    typed by hand: `np.float64(0.3)` and `0.3`, `[64]` and `(64,)`.

    Examples:
        >>> plain({"units": np.array([64, 32]), "rate": np.float32(0.5)})
        {'units': (64, 32), 'rate': 0.5}

    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return tuple(plain(item) for item in value.tolist())
    if isinstance(value, list | tuple):
        return tuple(plain(item) for item in value)
    if isinstance(value, Mapping):
        return {plain(key): plain(item) for key, item in value.items()}
    return value


def as_mapping(value: Any, name: str = "") -> dict:
    """`value` as a dict of plain values (see `plain`): a dict or a pandas Series."""
    what = f" for {name}" if name else ""
    is_series = _is_pandas(value) and type(value).__name__ == "Series"
    expect(
        isinstance(value, Mapping) or is_series,
        f"Expected a dict{what}. Received: {describe(value)}",
    )
    return {plain(key): plain(item) for key, item in dict(value).items()}


def graded_on_other_inputs(checker: Callable) -> Callable:
    """Mark a self-check whose graded check runs on inputs the student never sees.

    Its pass line then reads "passed here; graded on other inputs": the
    graded check calls the student's function (or model) on the grader's own
    data, so passing here does not promise passing there.

    Examples:
        >>> @graded_on_other_inputs
        ... def check_demo(function):
        ...     pass
        >>> check_demo.graded_on_other_inputs
        True

    """
    checker.graded_on_other_inputs = True
    return checker
