"""A bfloat16 ladder records beside the float32 one and never ships a model.

Training is stood in for throughout (each test well under a few seconds): the
ladder's children are replaced by functions that return a row as a child
would, so what is checked is where rows go, what each run is told and what is
saved, not the training itself.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import pandas as pd
import pytest

from fmnist_course.bench import ladder, ladder_precision
from fmnist_course.bench.schema import validate_results
from fmnist_course.cli.main import main
from fmnist_course.errors import UserError
from fmnist_course.results import RESULTS_PATH, load_results
from fmnist_course.trained_models import TRAINED_DIR, save_trained_model
from fmnist_course.training import TrainingRun

BF16_CPU = {"model name": "Test CPU with bf16", "flags": "avx2 avx512f avx512_bf16"}
OLD_CPU = {"model name": "Test CPU without bf16", "flags": "avx2 fma avx512f"}
FLOAT32_ROWS = [
    row for row in load_results(RESULTS_PATH).get("ladder", []) if row["lesson"] < "03"
]


@pytest.fixture
def bf16_cpu(monkeypatch):
    """This machine's CPU is one with native bfloat16, whatever runs the tests."""
    monkeypatch.setattr(ladder_precision, "read_cpuinfo", lambda: dict(BF16_CPU))
    monkeypatch.delenv("FMNIST_BF16", raising=False)


def stub_child(calls):
    """A child that answers with a recorded float32 row, retold in `precision`."""

    def child(name, *, threads=None, seed, save_dir=None, precision=None, **_):
        calls.append({"name": name, "seed": seed, "save_dir": save_dir,
                      "precision": precision})  # fmt: skip
        base = next(row for row in FLOAT32_ROWS if row["model"] == name)
        run = next(run for run in base["runs"] if run["seed"] == seed)
        row = {key: value for key, value in base.items() if key not in ("runs",)}
        row.update(run)
        row["test_accuracy"] = round(run["test_accuracy"] - 0.001, 4)
        row["precision"] = precision
        row["machine"] = {**base["machine"], "dtype_policy": precision}
        return row

    return child


def results_file(tmp_path: Path) -> Path:
    """A record holding the float32 ladder rows of lessons 01 and 02."""
    path = tmp_path / "results.json"
    path.write_text(json.dumps({"ladder": FLOAT32_ROWS}))
    return path


@pytest.mark.parametrize(
    ("options", "environment"),
    [(["--precision", "bfloat16"], {}), ([], {"FMNIST_BF16": "1"})],
    ids=["--precision", "FMNIST_BF16=1"],
)
def test_a_bf16_run_records_its_own_section_and_keeps_the_float32_rows(
    tmp_path, monkeypatch, bf16_cpu, options, environment
):
    """Guards: bf16 rows never replace float32 rows, every run is told bf16, and
    no model is saved, whether bf16 comes from --precision or FMNIST_BF16=1."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    calls = []
    monkeypatch.setattr(ladder, "measure_recipe_in_subprocess", stub_child(calls))
    path = results_file(tmp_path)
    before = copy.deepcopy(load_results(path)["ladder"])
    command = ["bench", "ladder", "--lessons", "01", "02", "--seeds", "0", "1", "2"]
    given = ["--results", str(path), "--readme", str(tmp_path / "none.md")]
    assert main([*command, *options, *given]) == 0
    recorded = load_results(path)
    assert recorded["ladder"] == before, "a bf16 run changed the float32 rows"
    assert [row["model"] for row in recorded["ladder_bf16"]] == ["dense", "cnn"]
    assert {row["precision"] for row in recorded["ladder_bf16"]} == {"mixed_bfloat16"}
    assert {call["precision"] for call in calls} == {"mixed_bfloat16"}
    assert all(call["save_dir"] is None for call in calls), calls
    validate_results(recorded)


def test_a_full_bf16_run_would_not_ship_its_models(monkeypatch, bf16_cpu, capsys):
    """Guards: a full run ships into fmnist_course/trained/ in float32, but a
    full bf16 run saves nothing there, and refuses a --models-dir."""
    from fmnist_course.cli.bench_handlers import _models_dir

    def options(**given):
        defaults = dict(no_save_models=False, models_dir=None, epochs=None,
                        train_size=None, test_size=None, results=None)  # fmt: skip
        return argparse.Namespace(**{**defaults, **given})

    assert _models_dir(options(policy="float32")) == TRAINED_DIR
    assert _models_dir(options(policy="mixed_bfloat16")) is None
    assert "shipped models are float32" in capsys.readouterr().out
    calls = []
    monkeypatch.setattr(ladder, "measure_recipe_in_subprocess", stub_child(calls))
    status = main(["bench", "ladder", "--lessons", "01", "--precision", "bfloat16",
                   "--models-dir", "elsewhere", "--results", "unused.json"])  # fmt: skip
    assert status == 2 and calls == []
    assert "Refusing to save models from a bfloat16" in capsys.readouterr().err


def test_run_ladder_refuses_to_save_bf16_models_before_training(monkeypatch, bf16_cpu):
    """Guards: the library call refuses a models_dir for bf16 before any run."""
    calls = []
    monkeypatch.setattr(ladder, "measure_recipe_in_subprocess", stub_child(calls))
    with pytest.raises(UserError, match="shipped models are float32"):
        ladder.run_ladder(["01"], precision="bfloat16", models_dir=TRAINED_DIR)
    assert calls == [], "training started before the refusal"
    (row,) = ladder.run_ladder(["01"], seeds=[0], precision="bfloat16")
    assert calls[0]["precision"] == "mixed_bfloat16" and row["precision"] == (
        "mixed_bfloat16"
    )


def test_a_float32_run_tells_its_children_float32_even_under_fmnist_bf16(
    monkeypatch, bf16_cpu
):
    """Guards: --precision float32 sets FMNIST_BF16=0 in every child, so an
    exported FMNIST_BF16=1 cannot slip bf16 rows into the float32 ladder."""
    monkeypatch.setenv("FMNIST_BF16", "1")
    seen = []

    def run_child(module, name, options, *, what, env=None, **_):
        seen.append((options["precision"], (env or {}).get("FMNIST_BF16")))
        return {}

    monkeypatch.setattr(ladder, "run_child", run_child)
    ladder.measure_recipe_in_subprocess("dense", precision="float32", seed=0)
    ladder.measure_recipe_in_subprocess("dense", precision="mixed_bfloat16", seed=0)
    assert seen == [("float32", "0"), ("mixed_bfloat16", "1")]


@pytest.mark.parametrize("how", ["--precision", "FMNIST_BF16=1"])
def test_bf16_on_a_cpu_without_it_is_refused_with_a_fix(monkeypatch, capsys, how):
    """Guards: bf16 on a CPU without the instructions fails early, saying what was
    received, what was expected and how to fix it."""
    monkeypatch.setattr(ladder_precision, "read_cpuinfo", lambda: dict(OLD_CPU))
    monkeypatch.setattr(ladder, "measure_recipe_in_subprocess", stub_child([]))
    options = ["--precision", "bfloat16"] if how == "--precision" else []
    monkeypatch.setenv("FMNIST_BF16", "1" if how != "--precision" else "0")
    status = main(["bench", "ladder", "--lessons", "01", *options,
                   "--no-save-models", "--results", "unused.json"])  # fmt: skip
    message = capsys.readouterr().err
    assert status == 2
    assert "Expected a CPU with avx512_bf16 or amx_bf16" in message
    assert "Received: Test CPU without bf16" in message
    assert "--precision float32" in message
    with pytest.raises(UserError, match="avx512_bf16"):
        ladder.run_ladder(["01"], precision="bfloat16")


def test_a_model_built_in_bf16_is_never_saved(tmp_path):
    """Guards: a model built under mixed_bfloat16 keeps that policy when saved,
    and its fingerprint would not tell it from a float32 one: refused."""
    from fmnist_course.models import build_model
    from fmnist_course.precision import dtype_policy
    from fmnist_course.recipes import get_recipe

    with dtype_policy("mixed_bfloat16"):
        model = build_model("dense")
    run = TrainingRun(
        model=model,
        recipe=get_recipe("dense"),
        history=pd.DataFrame({"epoch": [1]}),
        train_seconds=1.0,
        test_accuracy=0.8,
        test_loss=0.5,
    )
    with pytest.raises(UserError, match="built under mixed_bfloat16"):
        save_trained_model(run, seed=0, directory=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_run_that_trained_in_another_precision_fails(monkeypatch):
    """Guards: a child asked for bf16 whose model came out float32 (FMNIST_BF16
    lost on the way) fails rather than recording a float32 row as bf16."""
    import numpy as np

    from fmnist_course.data import FashionMNIST

    monkeypatch.delenv("FMNIST_BF16", raising=False)
    monkeypatch.setenv("FMNIST_PEAK_PROBE", "0")
    images = np.zeros((10, 28, 28), dtype=np.float32)
    labels = np.arange(10, dtype=np.uint8)
    monkeypatch.setattr(
        ladder,
        "load_course_split",
        lambda *_, **__: FashionMNIST(images, labels, images, labels),
    )

    class Model:
        def count_params(self):
            return 1

    monkeypatch.setattr(
        ladder,
        "train_recipe",
        lambda recipe, *_, **__: TrainingRun(
            model=Model(),
            recipe=recipe,
            history=pd.DataFrame({"epoch": [1]}),
            train_seconds=1.0,
            test_accuracy=0.8,
            test_loss=0.5,
        ),
    )
    assert ladder.measure_recipe("dense", precision="float32")["precision"] == (
        "float32"
    )
    with pytest.raises(RuntimeError, match="Expected 'dense' to train in mixed"):
        ladder.measure_recipe("dense", precision="mixed_bfloat16")


@pytest.mark.parametrize("switch", [None, "auto", "1"])
def test_a_benchmark_trains_float32_unless_bf16_is_asked_for(
    tmp_path, monkeypatch, bf16_cpu, switch
):
    """Guards: the course trains in bf16 on this CPU by default, but a benchmark
    adds to a float32 record, so unset or auto means float32 there; only an
    explicit FMNIST_BF16=1 measures bf16."""
    if switch is not None:
        monkeypatch.setenv("FMNIST_BF16", switch)
    calls = []
    monkeypatch.setattr(ladder, "measure_recipe_in_subprocess", stub_child(calls))
    path = results_file(tmp_path)
    given = ["--results", str(path), "--readme", str(tmp_path / "none.md")]
    command = ["bench", "ladder", "--lessons", "01", "--seeds", "0", "--no-save-models"]
    assert main([*command, *given]) == 0
    expected = "mixed_bfloat16" if switch == "1" else "float32"
    assert {call["precision"] for call in calls} == {expected}
