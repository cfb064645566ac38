"""The checks of lessons 04, 06, 07 and 08 pass right answers and fail wrong ones."""

import numpy as np
import pandas as pd
import pytest
from exercise_fixtures import most_confused_pair, saved_run, trained_strong_challenge

from fmnist_course.exercises import check
from fmnist_course.exercises.answer_codec import decode, encode
from fmnist_course.exercises.answer_files import Writer
from fmnist_course.exercises.saved_run import (
    MAX_RUN_MODEL_BYTES,
    SavedRun,
    read_run_dir,
)
from fmnist_course.models import build_challenge_model, build_dense_baseline


@pytest.mark.parametrize(
    ("answer", "passes", "message"),
    [
        (0.56, True, "passed"),
        (np.float64(0.56), True, "passed"),
        (np.float16(0.56), True, "passed"),  # to 3 decimals, as the statement says
        (np.array(0.56), True, "passed"),
        (0.5604, True, "passed"),
        (0.5606, False, "not the penalty"),
        (0.035, False, "only one of the two"),  # L1 term only
        (0.525, False, "only one of the two"),  # L2 term only
        (0.6, False, "not the penalty"),
        ("0.56", False, "Expected one number"),
    ],
)
def test_l1l2_penalty(capsys, answer, passes, message):
    assert check("04-l1l2-penalty", answer).passed is passes
    assert message in capsys.readouterr().out


def test_dense_params(capsys):
    assert check("04-dense-params", 102_528)
    assert not check("04-dense-params", 102_400)
    assert "leaves out the biases" in capsys.readouterr().out
    assert not check("04-dense-params", 102_528.0)
    assert check("04-dense-params", np.uint32(102_528))
    assert check("04-dense-params", np.array(102_528))
    assert not check("04-dense-params", True)


def test_stronger_penalty_is_judged_on_the_model_alone(capsys):
    # Guards: an untrained model and a made-up history no longer pass (issue 32).
    assert check("04-stronger-penalty", trained_strong_challenge())
    assert "passed here; graded on other inputs" in capsys.readouterr().out
    assert not check("04-stronger-penalty", build_challenge_model(l1=1e-3, l2=1e-2))
    assert "Train it first" in capsys.readouterr().out
    assert not check("04-stronger-penalty", build_challenge_model())
    assert "Received: l1=1e-05, l2=0.0001" in capsys.readouterr().out
    assert not check("04-stronger-penalty", build_dense_baseline())
    assert "122,922" in capsys.readouterr().out
    history = pd.DataFrame({"epoch": [1], "accuracy": [0.9], "val_accuracy": [0.9]})
    assert not check("04-stronger-penalty", trained_strong_challenge(), history)


def test_most_confused_pair(capsys):
    assert check("08-most-confused-pair", most_confused_pair)
    assert "passed here; graded on other inputs" in capsys.readouterr().out
    assert not check("08-most-confused-pair", lambda m: most_confused_pair(m.T))
    assert "wrong order" in capsys.readouterr().out
    assert not check("08-most-confused-pair", lambda m: ("Shirt", "Shirt"))
    assert "on the diagonal" in capsys.readouterr().out
    assert not check("08-most-confused-pair", lambda m: ("Coat", "Bag"))
    assert not check("08-most-confused-pair", lambda m: "Shirt")
    # The old signature, a pair and a matrix of one's own, is refused.
    matrix = np.eye(10, dtype=int) * 90
    assert not check("08-most-confused-pair", ("Shirt", "T-shirt/top"), matrix)


def test_reload_reads_the_run_directory(tmp_path, capsys):
    # Guards: the model is read from the saved files, never from memory (issue 32).
    from fmnist_course.runs import load_model

    run_dir = saved_run(tmp_path)
    assert check("08-reload", run_dir)
    assert "passed here; graded on other inputs" in capsys.readouterr().out
    model = load_model(run_dir)
    assert not check("08-reload", model, model, np.zeros((5, 28, 28)))
    assert not check("08-reload", model)
    assert "the Path that new_run_dir returned" in capsys.readouterr().out
    assert not check("08-reload", str(run_dir))
    assert not check("08-reload", tmp_path / "nowhere")
    assert "is not a run directory" in capsys.readouterr().out


def test_a_run_directory_travels_by_its_three_files_only(tmp_path):
    # Guards: the grader loads the saved file in safe mode, and nothing else.
    run_dir = saved_run(tmp_path / "runs")
    (run_dir / "notes.txt").write_text("not exported")
    out = tmp_path / "export"
    out.mkdir()
    descriptor = encode(run_dir, Writer(out))
    assert descriptor["t"] == "run_dir" and descriptor["name"] == run_dir.name
    files = {p.name: p.read_bytes() for p in out.iterdir()}
    assert list(files) == [descriptor["model"]]
    run = decode(descriptor, files)
    assert isinstance(run, SavedRun) and run.history_csv.startswith("epoch")
    assert tuple(run.load_model().outputs[0].shape[1:]) == (10,)
    with pytest.raises(AttributeError):  # frozen: the grader's copy is read-only
        run.name = "other"


def test_a_run_directory_with_links_or_a_huge_model_is_refused(tmp_path):
    # Guards: files are opened without following links and sized before reading.
    run_dir = saved_run(tmp_path / "runs")
    link = tmp_path / "link"
    link.symlink_to(run_dir)
    with pytest.raises(ValueError, match="is not a run directory"):
        read_run_dir(link)
    history = run_dir / "history.csv"
    history.unlink()
    history.symlink_to(tmp_path / "elsewhere.csv")
    with pytest.raises(ValueError, match="history.csv cannot be opened"):
        read_run_dir(run_dir)
    history.unlink()
    history.write_text("epoch\n1\n")
    with open(run_dir / "model.keras", "r+b") as handle:
        handle.truncate(MAX_RUN_MODEL_BYTES + 1)
    with pytest.raises(ValueError, match="the limit is"):
        read_run_dir(run_dir)
    assert encode(run_dir, Writer(tmp_path))["t"] == "unsupported"


def test_moving_average(capsys):
    def right(values, momentum):
        averages = [values[0]]
        for value in values[1:]:
            averages.append(momentum * averages[-1] + (1 - momentum) * value)
        return averages

    def flipped(values, momentum):
        return right(values, 1 - momentum)

    def starts_at_zero(values, momentum):
        return [0.0, *right(values, momentum)[1:]]

    assert check("06-moving-average", right)
    assert not check("06-moving-average", flipped)
    assert "weighs the new value" in capsys.readouterr().out
    assert not check("06-moving-average", starts_at_zero)
    assert "first average" in capsys.readouterr().out
    assert not check("06-moving-average", lambda values, momentum: values[:-1])
    assert "one average per value" in capsys.readouterr().out
    assert not check("06-moving-average", 0.99)


def test_shift_image(capsys):
    def right(image, down, right):
        shifted = np.zeros_like(image)
        height, width = image.shape
        rows = slice(max(down, 0), height + min(down, 0))
        columns = slice(max(right, 0), width + min(right, 0))
        source_rows = slice(max(-down, 0), height + min(-down, 0))
        source_columns = slice(max(-right, 0), width + min(-right, 0))
        shifted[rows, columns] = image[source_rows, source_columns]
        return shifted

    assert check("07-shift-image", right)
    assert not check(
        "07-shift-image", lambda image, down, r: np.roll(image, (down, r), axis=(0, 1))
    )
    assert "np.roll wraps around" in capsys.readouterr().out
    assert not check("07-shift-image", lambda image, down, r: right(image, r, down))
    assert "not right yet" in capsys.readouterr().out
    assert not check("07-shift-image", lambda image, down, r: image[1:])
    assert "shape (28, 28)" in capsys.readouterr().out
    assert not check("07-shift-image", "up")


def test_ablation(capsys):
    import dataclasses

    from fmnist_course.recipes import RECIPES

    best = RECIPES["all_techniques"]
    parts = {
        "label smoothing": {"label_smoothing": 0.0},
        "weight decay": {"weight_decay": 0.0},
        "cutout": {"model_kwargs": {**best.model_kwargs, "cutout": 0}},
        "dropout": {"model_kwargs": {**best.model_kwargs, "dropout": 0.0}},
        "flips and shifts": {"model_kwargs": {**best.model_kwargs, "augment": False}},
    }
    right = {
        part: dataclasses.asdict(dataclasses.replace(best, **changes))
        for part, changes in parts.items()
    }
    assert check("07-ablation", right)
    # The lesson scores a model without flips and shifts without those views
    # too, so a student who also switches the views off is right as well.
    flips = dict(right["flips and shifts"], test_time_augmentation=False)
    assert check("07-ablation", {**right, "flips and shifts": flips})
    cutout = dict(right["cutout"], test_time_augmentation=False)
    assert not check("07-ablation", {**right, "cutout": cutout})
    assert "differs from the right copy in: test_time_augmentation" in (
        capsys.readouterr().out
    )

    # Changing model_kwargs in place leaks each part into the next ones.
    shared = dict(best.model_kwargs)
    leaky = {}
    for part, changes in parts.items():
        if "model_kwargs" in changes:
            shared.update(changes["model_kwargs"])
            changes = {"model_kwargs": dict(shared)}
        leaky[part] = dataclasses.asdict(dataclasses.replace(best, **changes))
    assert not check("07-ablation", leaky)
    assert "differs from the right copy in: model_kwargs" in capsys.readouterr().out
    assert not check("07-ablation", {k: v for k, v in right.items() if k != "dropout"})
    assert "Missing parts: ['dropout']" in capsys.readouterr().out
    assert not check("07-ablation", {**right, "cutout": dataclasses.asdict(best)})
    assert not check("07-ablation", best)
