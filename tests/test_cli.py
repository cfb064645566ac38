import json
import re
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from fmnist_course.cli.main import main
from fmnist_course.fast_mode import FAST_TRAIN_SIZE


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
        "validation_accuracy",
        "train_seconds",
        "train_cpu_seconds",
        "run_dir",
    } <= set(summary)
    assert summary["train_cpu_seconds"] > 0
    assert 0.0 <= summary["validation_accuracy"] <= 1.0
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


def test_train_best_is_a_final_fit_on_the_validation_images_too(tmp_path):
    """Guards: `train best` trains as the ladder does, on the validation
    images too, and says so instead of failing on the missing split."""
    result = run_cli(
        "train",
        "best",
        "--fast",
        "--epochs",
        "1",
        "--runs-dir",
        str(tmp_path),
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert "validation images trained on too: a final fit" in result.stdout
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["validation_accuracy"] is None
    assert summary["train_images"] == FAST_TRAIN_SIZE


# --------------------------------------------------------------------------- #
# Start-up: light --help, one module per command, one-line errors
# --------------------------------------------------------------------------- #

HEAVY = ("tensorflow", "keras", "jupytext", "nbclient", "mkdocs")


def test_help_imports_no_tensorflow():
    probe = (
        "import sys\n"
        "from fmnist_course.cli.main import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}))\n"
        "print('fmnist_course.cli.train_command' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    *_, imported, train_loaded = result.stdout.strip().splitlines()
    assert imported == "[]" and train_loaded == "False"
    from fmnist_course.cli.main import COMMANDS

    for name, command in COMMANDS.items():
        assert f"    {name}" in result.stdout and command.help in result.stdout


def test_import_fmnist_course_is_light_and_names_load_on_use():
    probe = (
        "import sys, fmnist_course as fmc\n"
        "print('tensorflow' in sys.modules, 'numpy' in sys.modules)\n"
        "print(all(name in dir(fmc) for name in fmc.__all__))\n"
        "print(fmc.CLASS_NAMES[0], 'tensorflow' in sys.modules)\n"
        "print(fmc.build_model.__module__, 'keras' in sys.modules)\n"
        "print(hasattr(fmc, 'no_such_name'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "False False",
        "True",
        "T-shirt/top False",
        "fmnist_course.models True",
        "False",
    ]


def test_every_command_module_is_listed_with_the_help_it_registers(monkeypatch):
    import pkgutil

    from fmnist_course import cli
    from fmnist_course.cli.main import COMMANDS, build_parser

    modules = {
        f"fmnist_course.cli.{info.name}"
        for info in pkgutil.iter_modules(cli.__path__)
        if info.name.endswith("_command")
    }
    assert modules == {command.module for command in COMMANDS.values()}
    monkeypatch.setenv("COLUMNS", "1000")  # no help text wrapped
    for name, command in COMMANDS.items():
        shown = " ".join(build_parser([name]).format_help().split())
        assert f" {name} {command.help} " in shown, name


@pytest.mark.parametrize(
    "args, extra",
    [
        (["site", "build", "--fast"], "docs"),
        (["exercises", "build", "--out", "x"], "notebooks"),
        (["notebooks", "check"], "notebooks"),
        (["grade", "a.ipynb", "--assignment", "h", "--out", "g.csv"], "notebooks"),
    ],
)
def test_a_command_without_its_extra_names_it_in_one_line(args, extra, tmp_path):
    # Setting sys.modules[name] = None makes `import name` fail as if missing.
    probe = (
        "import sys\n"
        f"for name in ('mkdocs', 'jupytext', 'nbclient', 'nbformat'):\n"
        "    sys.modules[name] = None\n"
        "from fmnist_course.cli.main import main\n"
        f"sys.exit(main({args!r}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    # TensorFlow's C++ start-up lines (some commands import it) are not ours.
    lines = [
        line
        for line in result.stderr.strip().splitlines()
        if not re.match(r"WARNING: All log messages|[IWE]\d{4} ", line)
    ]
    assert len(lines) == 1, result.stderr
    err = lines[0]
    assert err.startswith(f"error: `fmnist-course {args[0]}` needs ")
    assert f"pip install 'fmnist-course[{extra}]'" in err


def test_a_programming_error_keeps_its_traceback(monkeypatch):
    from fmnist_course.cli import data_command

    def broken(args):  # a bug: NumPy raises, not a check of the library
        return np.zeros(3).reshape(2)

    monkeypatch.setattr(data_command, "run", broken)
    with pytest.raises(ValueError, match="cannot reshape"):
        main(["data"])
    monkeypatch.setattr(data_command, "run", lambda args: open("/", "w"))
    with pytest.raises(IsADirectoryError):  # any OSError but a missing or existing file
        main(["data"])


def test_commands_that_need_the_lessons_say_so_outside_a_checkout(tmp_path, capsys):
    assert main(["notebooks", "build", "--lessons-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: No lessons (NN_name.py) in {tmp_path}")
    assert "checkout of the repository" in err
