"""The answer codec on crafted descriptors: each refusal, each bound, each kind.

An exported answer is read back in the grader from JSON a student's kernel
wrote, so every descriptor is hostile. These tests pin what `decode` accepts,
what it refuses and with which words, and that `encode` describes what it
is given (NumPy booleans, pandas columns, nested models) faithfully.
"""

from __future__ import annotations

import keras
import numpy as np
import pandas as pd
import pytest

from fmnist_course.exercises.answer_codec import (
    MAX_DEPTH,
    MAX_ITEMS,
    Unsupported,
    Writer,
    all_layers,
    decode,
    encode,
    type_name,
)


def round_trip(value, tmp_path):
    writer = Writer(tmp_path)
    descriptor = encode(value, writer)
    files = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    return decode(descriptor, files)


@pytest.mark.parametrize("value", [np.bool_(True), np.bool_(False)])
def test_numpy_booleans_travel_as_themselves(value, tmp_path):
    back = round_trip(value, tmp_path)
    assert type(back) is np.bool_ and back == value


@pytest.mark.parametrize(
    ("descriptor", "message"),
    [
        ({"t": "np_scalar", "dtype": "|b1", "v": "yes"}, "np_scalar: not a boolean"),
        (
            {"t": "np_scalar", "dtype": "<U3", "v": "abc"},
            "np_scalar: not a number type",
        ),
        ({"t": "float", "v": 0.5}, "a float must be written as a short string"),
        ({"t": "float", "v": "1" * 41}, "a float must be written as a short string"),
        ({"t": "int", "v": 7}, "an int must be written as a string of digits"),
        ({"t": "int", "v": "1" * 4001}, "an int must be written as a string of digits"),
        ({"t": "bool", "v": "True"}, "bool: not a boolean"),
        ({"t": "str", "v": 3}, "str: not a string"),
        ({"t": "list", "items": "abc"}, "list: expected a list of items"),
        ({"t": "dict", "items": [[1]]}, "dict: expected [key, value] pairs"),
        ({"t": "ndarray", "file": "../x.npy"}, "ndarray: missing or invalid file"),
        ({"t": "ndarray"}, "ndarray: missing or invalid file None"),
        ({"t": "same_as", "arg": 0}, "same_as: no earlier answer 0"),
        ({"t": "layer_of", "arg": -1}, "layer_of: no earlier answer -1"),
        ({"t": "pickle"}, "unknown answer kind 'pickle'"),
        ("not a dict", "not an answer descriptor"),
    ],
)
def test_crafted_descriptors_are_refused_in_words(descriptor, message):
    """Promise: a crafted export is refused, never half-read; the grader's report
    says what was wrong with it."""
    with pytest.raises(ValueError) as raised:
        decode(descriptor, {})
    assert str(raised.value).startswith(message)


def test_the_bounds_themselves_are_accepted():
    assert decode({"t": "float", "v": "1" * 40}, {}) == float("1" * 40)
    assert decode({"t": "int", "v": "1" * 4000}, {}) == int("1" * 4000)
    assert decode({"t": "np_scalar", "dtype": "<f8", "v": "0.25"}, {}) == 0.25


def test_a_file_of_the_wrong_kind_is_refused(tmp_path):
    descriptor = {"t": "ndarray", "file": "f0.keras"}
    with pytest.raises(ValueError, match=r"ndarray: expected a \.npy file"):
        decode(descriptor, {"f0.keras": b"zip"})


def test_too_many_items_and_too_deep_nesting_are_refused():
    with pytest.raises(ValueError, match="list: expected a list of items"):
        decode({"t": "list", "items": [{"t": "none"}] * (MAX_ITEMS + 1)}, {})
    deep = {"t": "none"}
    for _ in range(MAX_DEPTH + 3):
        deep = {"t": "list", "items": [deep]}
    with pytest.raises(ValueError, match="not an answer descriptor"):
        decode(deep, {})


def test_nesting_past_the_limit_is_described_not_followed():
    value: list = []
    for _ in range(MAX_DEPTH + 5):
        value = [value]
    descriptor = encode(value, Writer("."))
    for _ in range(MAX_DEPTH + 1):
        descriptor = descriptor["items"][0]
    assert descriptor == {"t": "unsupported", "type": "too deeply nested"}


@pytest.fixture
def tmp_dirs(tmp_path):
    for name in ("f", "s"):
        (tmp_path / name).mkdir()
    return tmp_path


def test_dataframes_and_series_keep_their_columns_index_and_dtypes(tmp_dirs):
    tmp_path = tmp_dirs
    frame = pd.DataFrame(
        {"epoch": [1, 2, 3], "loss": [0.5, 0.4, 0.3], "note": ["a", "b", "c"]},
        index=[10, 20, 30],
    )
    back = round_trip(frame, tmp_path / "f")
    pd.testing.assert_frame_equal(back, frame)
    series = pd.Series([0.1, 0.2], index=["x", "y"], name="accuracy")
    pd.testing.assert_series_equal(round_trip(series, tmp_path / "s"), series)


def test_dataframe_columns_go_through_the_depth_they_were_found_at(tmp_dirs):
    frame = pd.DataFrame({"values": [[1, 2], [3]]})
    back = round_trip(frame, tmp_dirs / "f")
    assert back["values"].tolist() == [[1, 2], [3]]


def test_every_layer_of_a_nested_model_is_found():
    inner_in = keras.Input((4,))
    inner = keras.Model(inner_in, keras.layers.Dense(3, name="inner_dense")(inner_in))
    outer_in = keras.Input((4,))
    outer = keras.Model(outer_in, keras.layers.Dense(2, name="head")(inner(outer_in)))
    names = [layer.name for layer in all_layers(outer)]
    assert "inner_dense" in names and "head" in names
    assert all_layers(object()) == []


def test_type_names_and_unsupported_answers():
    assert type_name(np.float32(1)) == "numpy.float32"
    assert type_name(3) == "builtins.int"
    plain = Unsupported("function")
    assert plain.type_name == "function" and plain.unreadable is False
    assert decode({"t": "unsupported", "type": "x" * 300}, {}).type_name == "x" * 200
