"""Equivalent answers get the same verdict, in the self-check and in the grader.

For every exercise, Hypothesis draws forms a student may reasonably produce
of the solution and of a wrong answer (`exercise_fixtures.ANSWERS`): Python
or NumPy numbers of every width, 0-d arrays, lists, tuples and arrays, float32
where float64 is expected, sets in any order, pandas objects, Keras tensors.
For an answer that is a function, the form is what the function returns. The
self-check judges each form as the student has it; the graded check, as the
grader receives it through the answer codec. Both must give the verdict of
the canonical form: pass for the solution, fail for the wrong answer.

The exercises that ask for a model or a run directory are covered by the
wrong-answer table (tests/test_wrong_answers.py) only: their forms are the
model itself, and each check trains or runs it.
"""

import collections
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
import pytest
from exercise_fixtures import (
    ANSWERS,
    course_exercise_ids,
    early_stopping,
    graded_verdict,
    self_verdict,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fmnist_course.exercises.answer_codec import decode, encode
from fmnist_course.exercises.answer_files import Writer

INT_TYPES = [
    int,
    *(np.dtype(name).type for name in ("int8", "int16", "int32", "int64")),
    *(np.dtype(name).type for name in ("uint8", "uint16", "uint32", "uint64")),
]
FLOAT_TYPES = [float, np.float16, np.float32, np.float64]


def _fits(kind: type, value: int) -> bool:
    if kind is int:
        return True
    info = np.iinfo(kind)
    return info.min <= value <= info.max


@st.composite
def count_form(draw, value: int) -> Any:
    """An int, a NumPy integer of a width that holds it, or a 0-d array of one."""
    kind = draw(st.sampled_from([k for k in INT_TYPES if _fits(k, value)]))
    if kind is not int and draw(st.booleans()):
        return np.array(value, dtype=kind)
    return kind(value)


@st.composite
def number_form(draw, value: float) -> Any:
    """A float of any width, a 0-d array of one, or an int where it is whole."""
    kinds = FLOAT_TYPES + ([int, np.int64, np.uint8] if float(value) == 0 else [])
    kind = draw(st.sampled_from(kinds))
    if kind not in (int, float) and draw(st.booleans()):
        return np.array(kind(value))
    return kind(value)


@st.composite
def counts_form(draw, values: tuple) -> Any:
    """A tuple, list or array of the counts, each in any integer form."""
    container = draw(st.sampled_from(["tuple", "list", "array"]))
    if container == "array":
        kind = draw(
            st.sampled_from(
                [k for k in INT_TYPES[1:] if all(_fits(k, v) for v in values)]
            )
        )
        return np.array(values, dtype=kind)
    items = [draw(count_form(value)) for value in values]
    return tuple(items) if container == "tuple" else items


@st.composite
def name_set_form(draw, names: frozenset) -> Any:
    """The names in any order, maybe repeated, as a set, list, tuple, array or Series."""
    ordered = draw(st.permutations(sorted(names)))
    repeated = ordered + draw(st.lists(st.sampled_from(ordered), max_size=2))
    container = draw(
        st.sampled_from(["set", "frozenset", "list", "tuple", "array", "series"])
    )
    return {
        "set": set,
        "frozenset": frozenset,
        "list": list,
        "tuple": tuple,
        "array": np.array,
        "series": pd.Series,
    }[container](repeated)


def _output_forms(form_of: Callable[[Any, int], Any]):
    """A function answer whose outputs take the form `form_of(output, seed)`."""

    @st.composite
    def strategy(draw, function):
        seed = draw(st.integers(0, 10_000))

        def wrapped(*args):
            return form_of(function(*args), seed)

        wrapped.__name__ = getattr(function, "__name__", "answer")
        return wrapped

    return strategy


def _number_output(value, seed):
    """A number returned as a float of any width, or a 0-d array of one."""
    kind = FLOAT_TYPES[seed % len(FLOAT_TYPES)]
    return np.array(kind(value)) if seed % 3 == 0 and kind is not float else kind(value)


def _array_output(keep_dtype: bool):
    """An array returned as itself, in Fortran order, as a Keras tensor, or (unless
    `keep_dtype`, for an exercise that asks for a dtype) as float32, float64, a
    nested list or a Series."""
    forms = [
        np.asarray,
        lambda a: np.asfortranarray(np.asarray(a)),
        lambda a: keras.ops.convert_to_tensor(np.asarray(a)),
    ]
    if not keep_dtype:
        forms += [
            lambda a: np.asarray(a, dtype="float32"),
            lambda a: keras.ops.convert_to_tensor(np.asarray(a, dtype="float32")),
            lambda a: np.asarray(a, dtype="float64"),
            lambda a: np.asarray(a).tolist(),
            lambda a: pd.Series(np.asarray(a)) if np.ndim(a) == 1 else np.asarray(a),
        ]
    return lambda value, seed: forms[seed % len(forms)](value)


def _mapping_output(value, seed):
    """A dict returned in any key order, with NumPy or plain values, or a Series."""
    values = dict(value)
    if seed % 2:
        values = {key: values[key] for key in reversed(list(values))}
    if seed % 3 == 1:
        values = {
            k: v.item() if isinstance(v, np.generic) else v for k, v in values.items()
        }
    if seed % 5 == 2:
        values = {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
    return pd.Series(values, dtype=object) if seed % 4 == 3 else values


def _names_output(value, seed):
    """Names returned as a tuple, a list, an array or a tuple of NumPy strings."""
    forms = [tuple, list, np.array, lambda names: tuple(map(np.str_, names))]
    return forms[seed % len(forms)](value)


def _early_stopping_form(callback) -> st.SearchStrategy:
    """The same callback with NumPy settings, or with defaults spelled out."""
    return st.builds(
        lambda patience, restore, extra: early_stopping(
            monitor=callback.monitor,
            patience=patience,
            restore_best_weights=restore,
            **extra,
        ),
        st.sampled_from([callback.patience, np.int64(callback.patience), np.int8(3)])
        if callback.patience == 3
        else st.just(callback.patience),
        st.sampled_from(
            [callback.restore_best_weights, np.bool_(callback.restore_best_weights)]
        ),
        st.sampled_from([{}, {"mode": "max"}, {"min_delta": 0.0, "verbose": 0}]),
    )


def _space_form(space) -> st.SearchStrategy:
    """A search space in any key order, its candidates as lists, tuples or arrays."""

    @st.composite
    def strategy(draw):
        keys = draw(st.permutations(list(space)))
        form = {}
        for key in keys:
            values = space[key]
            if key == "model":
                form[key] = values
                continue
            container = draw(st.sampled_from(["list", "tuple", "array", "numpy items"]))
            form[key] = {
                "list": list,
                "tuple": tuple,
                "array": np.array,
                "numpy items": lambda v: [np.float64(x) for x in v],
            }[container](values)
        return form

    return strategy()


def _ablation_form(answer) -> st.SearchStrategy:
    """The parts in any order, in a dict or an OrderedDict."""

    @st.composite
    def strategy(draw):
        parts = draw(st.permutations(list(answer)))
        kind = draw(st.sampled_from([dict, collections.OrderedDict]))
        return kind((part, dict(answer[part])) for part in parts)

    return strategy()


VALUE = "value"
FUNCTION = "function"
TABLE_ONLY = "table only"

FORMS: dict[str, tuple[str, Any]] = {
    "00-scale-pixels": (FUNCTION, _output_forms(_array_output(keep_dtype=True))),
    "00-validation-size": (VALUE, count_form),
    "00-mean-images": (FUNCTION, _output_forms(_array_output(keep_dtype=False))),
    "01-count-dense-params": (VALUE, count_form),
    "01-reuse-extractor": (TABLE_ONLY, None),
    "01-small-dense": (TABLE_ONLY, None),
    "02-conv-params": (VALUE, count_form),
    "02-flatten-size": (VALUE, count_form),
    "02-small-cnn": (TABLE_ONLY, None),
    "03-dropout-scale": (VALUE, number_form),
    "03-train-val-gap": (FUNCTION, _output_forms(_number_output)),
    "03-dropout-after-dense": (TABLE_ONLY, None),
    "04-l1l2-penalty": (VALUE, number_form),
    "04-dense-params": (VALUE, count_form),
    "04-stronger-penalty": (TABLE_ONLY, None),
    "05-halving-budget": (VALUE, count_form),
    "05-cnn-space": (VALUE, _space_form),
    "05-pick-by-validation": (FUNCTION, _output_forms(_mapping_output)),
    "06-bn-params": (VALUE, counts_form),
    "06-early-stopping": (VALUE, _early_stopping_form),
    "06-moving-average": (FUNCTION, _output_forms(_array_output(keep_dtype=False))),
    "07-label-preserving": (VALUE, lambda names: name_set_form(frozenset(names))),
    "07-shift-image": (FUNCTION, _output_forms(_array_output(keep_dtype=False))),
    "07-ablation": (VALUE, _ablation_form),
    "08-most-confused-pair": (FUNCTION, _output_forms(_names_output)),
    "08-reload": (TABLE_ONLY, None),
}
"""Per exercise: how its answer varies, and a strategy of forms of one answer."""

FORM_CASES = [
    pytest.param(exercise_id, number, id=f"{exercise_id}-{kind}")
    for exercise_id, (how, _) in sorted(FORMS.items())
    if how != TABLE_ONLY
    for number, kind in [(0, "solution"), (1, "wrong")]
]


def test_every_exercise_has_its_forms():
    # Guards: no exercise is registered without a strategy of its answer's forms.
    assert set(FORMS) == course_exercise_ids()
    assert {how for how, _ in FORMS.values()} <= {VALUE, FUNCTION, TABLE_ONLY}


def _forms_of(exercise_id: str, answer: tuple) -> st.SearchStrategy[tuple]:
    """Equivalent forms of one answer's arguments (one argument or two)."""
    how, strategy = FORMS[exercise_id]
    if how == FUNCTION:
        return st.tuples(strategy(answer[0]))
    return st.tuples(*(strategy(value) for value in answer))


@pytest.mark.parametrize(("exercise_id", "number"), FORM_CASES)
def test_equivalent_forms_get_the_canonical_verdict(exercise_id, number, tmp_path):
    # Guards: an honest answer in another form scores what the canonical one scores.
    canonical = ANSWERS[exercise_id][number](tmp_path)
    expected = number == 0
    with tempfile.TemporaryDirectory() as directory:
        assert self_verdict(exercise_id, canonical)[0] is expected
        assert graded_verdict(exercise_id, canonical, Path(directory))[0] is expected

    @settings(
        max_examples=12,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(_forms_of(exercise_id, canonical))
    def check_form(args):
        with tempfile.TemporaryDirectory() as directory:
            passed_here, message_here = self_verdict(exercise_id, args)
            passed_graded, message_graded = graded_verdict(
                exercise_id, args, Path(directory)
            )
        assert passed_here is expected, f"self-check on {args!r}: {message_here}"
        assert passed_graded is expected, f"graded check on {args!r}: {message_graded}"

    check_form()


@given(
    st.one_of(
        st.integers(-(2**63), 2**64 - 1).flatmap(count_form),
        st.floats(-6e4, 6e4).flatmap(number_form),  # float16 holds them all
    )
)
@settings(max_examples=60, deadline=None, database=None)
def test_numbers_of_every_width_travel_unchanged(value):
    # Guards: NumPy 2 scalars (np.float64 is a float) read back as what was sent.
    with tempfile.TemporaryDirectory() as directory:
        descriptor = encode(value, Writer(Path(directory)))
        files = {p.name: p.read_bytes() for p in Path(directory).iterdir()}
        decoded = decode(descriptor, files)
    assert type(decoded) is type(value)
    if isinstance(value, np.ndarray):
        assert decoded.dtype == value.dtype and decoded.shape == value.shape
    assert np.array_equal(np.asarray(decoded), np.asarray(value))
