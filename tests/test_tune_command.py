import json

import pytest

from fmnist_course.cli.main import main


def write_space(tmp_path, space, name="space.json"):
    path = tmp_path / name
    path.write_text(space if isinstance(space, str) else json.dumps(space))
    return path


@pytest.mark.parametrize(
    "space, message",
    [
        (
            {"model": "dense", "dropuot": [0.1]},
            "Unknown key in the search space: 'dropuot'",
        ),
        ({"model": "dense", "dropout": [0.2, 1.5]}, "Invalid value for 'dropout': 1.5"),
        ({"model": "dense", "dropout": 0.2}, "list of candidate values for 'dropout'"),
        ({"model": "mlp"}, "Received: model='mlp'"),
        ("{not json", "is not valid JSON"),
    ],
)
def test_invalid_space_is_one_clear_line(tmp_path, capsys, space, message):
    path = write_space(tmp_path, space)
    assert main(["tune", "--space", str(path), "--store-dir", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and message in err and str(path) in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "t").exists()


def test_missing_space_file_and_bad_options(tmp_path, capsys):
    assert main(["tune", "--space", str(tmp_path / "none.json")]) == 2
    assert "No search space file at" in capsys.readouterr().err
    path = write_space(tmp_path, {"model": "dense", "dropout": [0.0]})
    assert main(["tune", "--space", str(path), "--epochs", "0"]) == 2
    assert "--epochs >= 1. Received: 0" in capsys.readouterr().err


def test_halving_search_prints_schedule_table_and_reuses_trials(tmp_path, capsys):
    path = write_space(
        tmp_path,
        {"model": "dense", "hidden_units": [[16]], "learning_rate": [1e-5, 3e-3]},
        name="tiny.json",
    )
    store_dir = tmp_path / "store"
    args = [
        "tune", "--space", str(path), "--strategy", "halving", "--fast",
        "--min-epochs", "1", "--epochs", "2", "--reduction-factor", "2",
        "--store-dir", str(store_dir), "--json",
    ]  # fmt: skip
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "rung  configurations  epochs each" in out and "total epochs: 4" in out
    assert "best_val_accuracy" in out  # the results table
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["strategy"] == "halving" and summary["num_trials"] == 3
    assert summary["total_epochs"] == 4 and summary["num_reused"] == 0
    assert summary["best_params"]["learning_rate"] == 3e-3
    assert len(list(store_dir.glob("trial-*.json"))) == 3

    assert main(args) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert again["num_reused"] == 3 and again["best_params"] == summary["best_params"]


def test_grid_is_the_default_and_store_dir_follows_the_space_name(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    write_space(tmp_path, {"model": "dense", "hidden_units": [[8]]}, name="one.json")
    assert main(["tune", "--space", "one.json", "--fast", "--epochs", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("grid search of 'dense'")
    assert len(list((tmp_path / "runs" / "tuning" / "one").glob("trial-*.json"))) == 1


def test_local_workers_give_the_same_search(tmp_path, capsys):
    path = write_space(
        tmp_path,
        {"model": "dense", "hidden_units": [[16]], "learning_rate": [1e-5, 3e-3]},
    )
    summaries = []
    for workers in ("1", "2"):
        args = [
            "tune", "--space", str(path), "--fast", "--epochs", "1", "--json",
            "--store-dir", str(tmp_path / workers), "--workers", workers,
        ]  # fmt: skip
        assert main(args) == 0
        captured = capsys.readouterr()
        summaries.append(json.loads(captured.out.strip().splitlines()[-1]))
    assert "2 local workers" in captured.out and "trials, 2 workers" in captured.err
    one, two = summaries
    assert (two["workers"], two["scheduler"], two["num_reused"]) == (2, None, 0)
    for key in ("best_params", "best_val_accuracy", "num_trials", "total_epochs"):
        assert one[key] == two[key]
    names = {p.name for p in (tmp_path / "1").glob("trial-*.json")}
    assert names == {p.name for p in (tmp_path / "2").glob("trial-*.json")}


def test_workers_and_scheduler_options_are_checked(tmp_path, capsys, monkeypatch):
    import builtins

    path = write_space(tmp_path, {"model": "dense", "dropout": [0.0]})
    assert main(["tune", "--space", str(path), "--workers", "0"]) == 2
    assert "--workers >= 1. Received: 0" in capsys.readouterr().err

    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.startswith("distributed"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    args = ["tune", "--space", str(path), "--fast", "--store-dir", str(tmp_path / "t")]
    assert main([*args, "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "fmnist-course[cluster]" in err
    assert len(err.splitlines()) == 1 and not (tmp_path / "t").exists()
