import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from fmnist_course.cli.main import main


def run_cli(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "fmnist_course", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


def test_data_command_reports_source_and_counts(real_data_dir, capsys):
    assert main(["data"]) == 0
    out = capsys.readouterr().out
    assert f"source: {real_data_dir}" in out
    assert "verified" in out
    assert "Ankle boot" in out and "6000" in out and "1000" in out


def test_train_fast_saves_a_new_run_and_prints_json(tmp_path):
    args = [
        "train",
        "dense",
        "--fast",
        "--epochs",
        "1",
        "--json",
        "--runs-dir",
        str(tmp_path / "runs"),
    ]
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert {
        "model",
        "params",
        "epochs",
        "test_accuracy",
        "train_seconds",
        "run_dir",
    } <= set(summary)
    assert summary["model"] == "dense" and summary["epochs"] == 1
    assert 0.5 < summary["test_accuracy"] <= 1.0
    second = json.loads(run_cli(*args).stdout.strip().splitlines()[-1])
    assert second["run_dir"] != summary["run_dir"]
    for run in (summary, second):
        assert {
            p.name
            for p in (tmp_path / "runs" / run["run_dir"].split("/")[-1]).iterdir()
        } == {"model.keras", "history.csv", "metrics.json"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "resnet"], "Unknown model name: 'resnet'"),
        (["train", "dense", "--epochs", "0"], "--epochs >= 1"),
        (["predict", "missing.keras", "x.png"], "No model at missing.keras"),
        (["data", "--data-dir", "/nonexistent"], "lacks"),
    ],
)
def test_user_errors_are_one_line(args, message, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err
    assert len(err.splitlines()) == 1


def test_predict_continues_past_an_unreadable_file(tmp_path, small_data):
    from fmnist_course.models import build_dense_baseline
    from fmnist_course.training import train_model

    model = build_dense_baseline(hidden_units=(32,))
    train_model(model, small_data.x_train, small_data.y_train, epochs=1, verbose=0)
    model_path = tmp_path / "model.keras"
    model.save(model_path)
    garment = (small_data.x_test[0] * 255).astype(np.uint8)
    good = tmp_path / "garment.png"
    Image.fromarray(255 - garment).save(good)  # dark garment on white
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8 not really a jpeg")
    result = run_cli("predict", str(model_path), str(bad), str(good))
    assert result.returncode == 1
    assert "broken.jpg is not a readable image" in result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith(str(good)))
    assert line.count("%") == 3


def test_train_in_a_pipe_prints_one_line_per_epoch_and_no_backend_chatter(tmp_path):
    result = run_cli(
        "train", "dense", "--fast", "--epochs", "3", "--runs-dir", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    epochs = [line for line in result.stdout.splitlines() if "val_accuracy" in line]
    assert [line.split()[1] for line in epochs] == ["1/3", "2/3", "3/3"], result.stdout
    assert "\b" not in result.stdout and "\r" not in result.stdout
    assert len(result.stdout) < 5_000, len(result.stdout)
    for chatter in ("cuda", "oneDNN", "absl::InitializeLog", "cuInit"):
        assert chatter not in result.stdout + result.stderr
