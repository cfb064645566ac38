"""The checks of lessons 04, 06, 07 and 08 pass right answers and fail wrong ones."""

import numpy as np
import pandas as pd
import pytest

from fmnist_course import CLASS_NAMES
from fmnist_course.exercises import check
from fmnist_course.models import build_challenge_model, build_dense_baseline


@pytest.mark.parametrize(
    ("answer", "passes", "message"),
    [
        (0.56, True, "passed"),
        (np.float64(0.56), True, "passed"),
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


def test_stronger_penalty(capsys):
    history = pd.DataFrame({"epoch": [1], "accuracy": [0.5], "val_accuracy": [0.4]})
    assert check(
        "04-stronger-penalty", build_challenge_model(l1=1e-3, l2=1e-2), history
    )
    assert not check("04-stronger-penalty", build_challenge_model(), history)
    assert "Received: l1=1e-05, l2=0.0001" in capsys.readouterr().out
    assert not check("04-stronger-penalty", build_dense_baseline(), history)
    assert "122,922" in capsys.readouterr().out
    strong = build_challenge_model(l1=1e-3, l2=1e-3)
    assert not check(
        "04-stronger-penalty", strong, history.drop(columns="val_accuracy")
    )


def test_most_confused_pair(capsys):
    matrix = np.eye(10, dtype=int) * 90
    shirt, top = CLASS_NAMES.index("Shirt"), CLASS_NAMES.index("T-shirt/top")
    matrix[shirt, top] = 12
    matrix[top, shirt] = 5
    assert check("08-most-confused-pair", ("Shirt", "T-shirt/top"), matrix)
    assert not check("08-most-confused-pair", ("T-shirt/top", "Shirt"), matrix)
    assert "wrong order" in capsys.readouterr().out
    assert not check("08-most-confused-pair", ("Shirt", "Shirt"), matrix)
    assert not check("08-most-confused-pair", ("Coat", "Bag"), matrix)
    assert not check("08-most-confused-pair", ("Shirt", "T-shirt/top"), matrix[:3])


def test_reload(tmp_path, capsys):
    from fmnist_course.runs import load_model, new_run_dir, save_run
    from fmnist_course.training import compile_model

    model = compile_model(build_dense_baseline(hidden_units=(8,)))
    run_dir = new_run_dir(tmp_path, "exercise")
    save_run(run_dir, model, pd.DataFrame({"epoch": [1]}), {})
    images = np.random.default_rng(0).random((5, 28, 28))
    assert check("08-reload", model, load_model(run_dir), images)
    assert not check("08-reload", model, model, images)
    assert "same model object" in capsys.readouterr().out
    other = compile_model(build_dense_baseline(hidden_units=(8,)))
    assert not check("08-reload", model, other, images)
    assert "predicts differently" in capsys.readouterr().out


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

    from fmnist_course.training import RECIPES

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
