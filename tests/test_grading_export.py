"""Answers travel as data: export in the kernel, safe loading in the grader."""

import inspect
import json
import os
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

import fmnist_course
from fmnist_course.exercises import (
    export,
    lesson_00,
    lesson_01,
    lesson_02,
    lesson_04,
)
from fmnist_course.exercises.answer_codec import Unsupported
from fmnist_course.exercises.export import (
    ANSWER_FILE,
    EXPORT_ENV,
    FUNCTIONS_FILE,
    PROBE_SOCKET_ENV,
    export_answer,
)
from fmnist_course.grading import runner
from fmnist_course.grading.exported_answers import (
    RecordedFunction,
    encode_probes,
    load_answers,
)
from fmnist_course.grading.feedback import render_csv, safe_cell
from fmnist_course.grading.sandbox import Limits, bwrap_command
from fmnist_course.settings import FAST_ENV


def exported(tmp_path, args, kwargs=None, probes=None, monkeypatch=None):
    """Export a check call; with `probes`, call its functions as the runner does."""
    folder = export_answer(tmp_path / "answers", "98-x", tuple(args), kwargs or {})
    if probes:
        encoded = encode_probes({"98-x": probes}, tmp_path / "scratch")
        server = runner.ProbeServer(tmp_path / "probes.sock", encoded)
        monkeypatch.setenv(PROBE_SOCKET_ENV, str(tmp_path / "probes.sock"))
        with server.serving():
            export.run_probes()
    record = json.loads((folder / ANSWER_FILE).read_text())
    if (folder / FUNCTIONS_FILE).exists():
        record["functions"] = json.loads((folder / FUNCTIONS_FILE).read_text())
    files = {p.name: p.read_bytes() for p in folder.iterdir() if p.suffix != ".json"}
    return record, files


def test_plain_values_arrays_and_frames_round_trip(tmp_path):
    frame = pd.DataFrame({"accuracy": [0.5, 0.9], "params": [{"l2": 0.1}, {"l2": 0.2}]})
    values = [
        42,
        np.int64(7),
        1.5,
        float("nan"),
        "text",
        (1, [2, {3}]),
        {"a": [1.0]},
        np.arange(6, dtype="float32").reshape(2, 3),
        frame,
        None,
        True,
    ]
    record, files = exported(tmp_path, values)
    args, _ = load_answers(record, files, {})
    assert args[0] == 42 and type(args[0]) is int
    assert args[1] == 7 and isinstance(args[1], np.int64)
    assert args[2] == 1.5 and np.isnan(args[3]) and args[4] == "text"
    assert args[5] == (1, [2, {3}]) and args[6] == {"a": [1.0]}
    np.testing.assert_array_equal(args[7], values[7])
    assert args[7].dtype == np.float32
    pd.testing.assert_frame_equal(args[8], frame)
    assert args[9] is None and args[10] is True


def test_models_load_in_safe_mode_and_keep_identity(tmp_path):
    inputs = keras.Input((28, 28))
    extractor = keras.Model(inputs, keras.layers.Flatten()(inputs), name="extractor")
    extractor.trainable = False
    new_input = keras.Input((28, 28))
    coarse = keras.Model(new_input, keras.layers.Dense(3)(extractor(new_input)))
    record, files = exported(tmp_path, [coarse, extractor, coarse])
    args, _ = load_answers(record, files, {})
    assert isinstance(args[0], keras.Model)
    assert any(layer is args[1] for layer in args[0].layers)
    assert args[2] is args[0]
    assert not args[1].trainable


def test_a_lambda_layer_is_never_deserialized(tmp_path):
    inputs = keras.Input((2,))
    model = keras.Model(inputs, keras.layers.Lambda(lambda x: x * 2)(inputs))
    record, files = exported(tmp_path, [model])
    [answer], _ = load_answers(record, files, {})
    assert isinstance(answer, Unsupported)
    assert "unreadable" in repr(answer)


def test_functions_are_replayed_on_the_probes_only(tmp_path, monkeypatch):
    """A function answer is judged by its outputs on the hidden inputs only."""
    (tmp_path / "scratch").mkdir()
    probes = {"0": [(np.array([1, 2]),), (np.array([3]),)]}

    def double(x):
        if len(x) == 1:
            raise ZeroDivisionError(f"secret {x}")
        return x * 2

    record, files = exported(tmp_path, [double], probes=probes, monkeypatch=monkeypatch)
    [replay], _ = load_answers(record, files, probes)
    assert isinstance(replay, RecordedFunction)
    np.testing.assert_array_equal(replay(np.array([1, 2])), [2, 4])
    with pytest.raises(RuntimeError, match="ZeroDivisionError") as raised:
        replay(np.array([3]))
    assert "secret" not in str(raised.value)  # only the type leaves the kernel
    with pytest.raises(ValueError, match="not called on this input"):
        replay(np.array([5]))


def test_hidden_inputs_are_handed_out_once_each(tmp_path):
    """A probe input leaves the runner once, on request, never as a listing."""
    (tmp_path / "scratch").mkdir()
    encoded = encode_probes({"98-x": {"0": [(1,), (2,)]}}, tmp_path / "scratch")
    server = runner.ProbeServer(tmp_path / "probes.sock", encoded)
    assert not (tmp_path / "probes.sock").exists()  # no socket until the probes
    with server.serving():
        first = export._ask(
            str(tmp_path / "probes.sock"), {"exercise": "98-x", "key": "0", "call": 0}
        )
        again = export._ask(
            str(tmp_path / "probes.sock"), {"exercise": "98-x", "key": "0", "call": 0}
        )
        other = export._ask(
            str(tmp_path / "probes.sock"), {"exercise": "98-y", "key": "0", "call": 0}
        )
    assert first["args"] and not again["args"] and not other["args"]
    assert not (tmp_path / "probes.sock").exists()


@pytest.mark.parametrize(
    "descriptor",
    [
        {"t": "ndarray", "file": "../../etc/passwd"},
        {"t": "int", "v": 1e400},
        {"t": "pickle", "v": "gASV"},
        {"t": "np_scalar", "dtype": "O", "v": "1"},
        {"t": "same_as", "arg": 5},
        "not a dict",
    ],
)
def test_crafted_descriptors_become_unsupported(descriptor):
    [answer], _ = load_answers({"args": [descriptor]}, {}, {})
    assert isinstance(answer, Unsupported)


def test_pickled_arrays_are_refused(tmp_path):
    path = tmp_path / "f1.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    record = {"args": [{"t": "ndarray", "file": "f1.npy"}]}
    [answer], _ = load_answers(record, {"f1.npy": path.read_bytes()}, {})
    assert isinstance(answer, Unsupported)


def test_the_package_does_not_give_graded_answers_away():
    for module, answers in (
        (lesson_00, ["600"]),
        (lesson_01, ["100_480", "100480"]),
        (lesson_02, ["18_496", "18496", "1_600", "1600"]),
        (lesson_04, ["102_528", "102528", "800 * 128 + 128"]),
    ):
        source = inspect.getsource(module)
        for answer in answers:
            assert answer not in source, (module.__name__, answer)
    package = Path(fmnist_course.__file__).parent
    assert not (package / "graded").exists()


def test_runner_names_stay_in_step():
    assert (
        runner.EXPORT_ENV,
        runner.PROBE_SOCKET_ENV,
        runner.ANSWER_FILE,
        runner.FUNCTIONS_FILE,
    ) == (EXPORT_ENV, PROBE_SOCKET_ENV, ANSWER_FILE, FUNCTIONS_FILE)
    assert runner.FAST_ENV == FAST_ENV


def test_csv_cells_are_never_formulas():
    assignment = {"exercises": [{"id": "98-answer", "points": 1}]}
    records = [
        {"student": s, "scores": {}, "total": 0, "mode": "sandbox", "problem": p}
        for s, p in (("=cmd", "+1"), ("@sum", "-x"), ("\tTab", "ok"))
    ]
    for line in render_csv(assignment, records).splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "-", "@", "\t"))
    assert safe_cell("-1") == "'-1"


def test_the_sandbox_sees_no_home_checkout_or_output():
    command = bwrap_command(["true"], Path("/tmp/input"), Limits())
    mounted = [command[i + 1] for i, arg in enumerate(command) if arg == "--ro-bind"]
    assert "/" not in mounted and str(Path.home()) not in mounted
    repo = Path(fmnist_course.__file__).resolve().parent.parent
    assert str(repo) not in mounted  # only the package inside it
    assert str(repo / "fmnist_course") in mounted
    for flag in ("--unshare-all", "--die-with-parent", "--new-session", "--clearenv"):
        assert flag in command
    assert os.path.isabs(command[command.index("--chdir") + 1])
