import pandas as pd
import pytest

from fmnist_course.models import build_dense_baseline
from fmnist_course.runs import load_model, new_run_dir, save_run
from fmnist_course.training import compile_model


def test_run_dirs_are_never_reused(tmp_path):
    first = new_run_dir(tmp_path, "dense")
    second = new_run_dir(tmp_path, "dense")
    assert first != second and first.is_dir() and second.is_dir()


def test_save_and_load_round_trip_and_no_overwrite(tmp_path):
    model = compile_model(build_dense_baseline(hidden_units=(8,)))
    run_dir = new_run_dir(tmp_path, "dense")
    history = pd.DataFrame({"epoch": [1], "loss": [0.5]})
    save_run(run_dir, model, history, {"test_accuracy": 0.5})
    assert load_model(run_dir).count_params() == model.count_params()
    before = (run_dir / "model.keras").read_bytes()
    with pytest.raises(FileExistsError, match="refusing to overwrite"):
        save_run(run_dir, model, history, {})
    assert (run_dir / "model.keras").read_bytes() == before


def test_load_model_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No model at"):
        load_model(tmp_path / "missing.keras")
    bad = tmp_path / "bad.keras"
    bad.write_text("not a zip")
    with pytest.raises(ValueError, match="not a readable Keras model"):
        load_model(bad)


def test_latest_run_picks_newest_saved_run_of_that_name(tmp_path):
    from fmnist_course.runs import latest_run

    assert latest_run(tmp_path / "missing", "best") is None
    assert latest_run(tmp_path, "best") is None
    for name in (
        "best-20261124-101500",
        "best-20261124-101500-2",  # same second, started later
        "best-20261123-235959",
        "best-fast-20261130-000000",  # another name
        "best-20261201-000000",  # newest, but interrupted: no model
    ):
        (tmp_path / name).mkdir()
        if name != "best-20261201-000000":
            (tmp_path / name / "model.keras").write_bytes(b"")
    assert latest_run(tmp_path, "best") == tmp_path / "best-20261124-101500-2"
    assert latest_run(tmp_path, "best-fast") == tmp_path / "best-fast-20261130-000000"
    assert latest_run(tmp_path, "cnn") is None


def test_latest_run_finds_a_run_made_by_new_run_dir(tmp_path):
    from fmnist_course.runs import latest_run

    model = compile_model(build_dense_baseline(hidden_units=(4,)))
    history = pd.DataFrame({"epoch": [1], "loss": [0.5]})
    first = new_run_dir(tmp_path, "best")
    save_run(first, model, history, {})
    second = new_run_dir(tmp_path, "best")
    save_run(second, model, history, {})
    assert latest_run(tmp_path, "best") == second
