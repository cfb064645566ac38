"""The bfloat16 ladder against the float32 one: the verdict and where it shows."""

from __future__ import annotations

import copy

import pytest

from fmnist_course.bench.results_markdown import (
    render_headline_markdown,
    render_results_markdown,
)
from fmnist_course.bf16_tables import bf16_comparison, compare_metric
from fmnist_course.choosing import SPREADS
from fmnist_course.recipes import get_recipe
from fmnist_course.results_tables import ladder_spread
from fmnist_course.trained_models import recorded_seeds
from fmnist_course.website.results_page import results_page

FLOAT32 = (0.900, 0.910, 0.920)
"""Seed accuracies whose spread is 0.01, so the threshold is `SPREADS` x 0.01."""


def row(model, lesson, accuracies, cpu=100.0, precision="float32", seeds=None):
    seeds = list(range(len(accuracies))) if seeds is None else seeds
    runs = [
        {
            "seed": seed,
            "test_accuracy": accuracy,
            "validation_accuracy": accuracy,
            "train_seconds": 50.0,
            "train_cpu_seconds": cpu,
        }
        for seed, accuracy in zip(seeds, accuracies, strict=True)
    ]
    return {
        "lesson": lesson,
        "model": model,
        "params": 1000,
        "epochs": 5,
        "device": "cpu",
        "test_accuracy": round(sum(accuracies) / len(accuracies), 4),
        "train_seconds": 50.0,
        "images_per_second": 1000.0,
        "peak_rss_mib": 900.0,
        "precision": precision,
        "seed": seeds[0],
        "seeds": seeds,
        "runs": runs,
        "machine": {"cpu_model": "Test CPU", "logical_cores": 2},
    }


def lowered(by: float) -> tuple[float, ...]:
    return tuple(round(value - by, 6) for value in FLOAT32)


@pytest.mark.parametrize(
    ("drop", "verdict"),
    [
        (SPREADS * 0.01 + 0.002, "loss"),
        (SPREADS * 0.01 - 0.002, "no loss"),
        (-0.01, "no loss"),  # bfloat16 higher
    ],
)
def test_a_loss_larger_than_the_threshold_is_caught(drop, verdict):
    """Guards: bf16 lower by more than SPREADS x the larger spread is a loss, and
    less than that is not, per recipe and for the ladder."""
    results = {
        "ladder": [row("dense", "01", FLOAT32, cpu=120.0)],
        "ladder_bf16": [row("dense", "01", lowered(drop), cpu=90.0)],
    }
    table = bf16_comparison(results)
    assert table.loc["dense", "verdict"] == verdict
    assert table.attrs["verdict"] == verdict
    assert table.loc["dense", "validation threshold (points)"] == pytest.approx(
        100 * SPREADS * 0.01, abs=0.01
    )
    assert table.loc["dense", "CPU-time ratio"] == 0.75
    assert table.loc["dense", "seeds"] == 3


def test_a_loss_on_validation_alone_is_a_loss():
    """Guards: the verdict is read on validation; a loss there is a loss."""
    float32, bf16 = row("cnn", "02", FLOAT32), row("cnn", "02", FLOAT32)
    for run in bf16["runs"]:
        run["validation_accuracy"] = round(run["validation_accuracy"] - 0.05, 4)
    table = bf16_comparison({"ladder": [float32], "ladder_bf16": [bf16]})
    assert table.loc["cnn", "verdict"] == "loss"
    assert compare_metric(float32, bf16, "test_accuracy")["verdict"] == "no loss"


def test_a_loss_on_test_alone_is_reported_but_does_not_choose():
    """Guards: the precision is chosen on validation, never by the test set."""
    float32, bf16 = row("cnn", "02", FLOAT32), row("cnn", "02", FLOAT32)
    for run in bf16["runs"]:
        run["test_accuracy"] = round(run["test_accuracy"] - 0.05, 4)
    table = bf16_comparison({"ladder": [float32], "ladder_bf16": [bf16]})
    assert table.loc["cnn", "verdict"] == "no loss"
    assert table.loc["cnn", "test change (points)"] == -5.0


def test_only_shared_seeds_are_compared_and_one_seed_decides_nothing():
    """Guards: a bf16 row of seeds 0 and 1 is compared on seeds 0 and 1 only; a
    single shared seed, or a float32 recipe without a bf16 row, is undecided."""
    results = {
        "ladder": [row("dense", "01", (0.90, 0.91, 0.80)), row("cnn", "02", FLOAT32)],
        "ladder_bf16": [row("dense", "01", (0.90, 0.91), precision="mixed_bfloat16")],
    }
    table = bf16_comparison(results)
    assert table.loc["dense", "seeds"] == 2
    assert table.loc["dense", "validation float32 (%)"] == 90.5
    assert table.loc["dense", "verdict"] == "no loss"
    assert table.attrs["missing"] == ["cnn"] and table.attrs["verdict"] == "undecided"
    one = {"ladder": [row("dense", "01", FLOAT32)],
           "ladder_bf16": [row("dense", "01", (0.5,))]}  # fmt: skip
    assert bf16_comparison(one).loc["dense", "verdict"] == "undecided"


def test_rows_measured_with_other_settings_are_not_compared():
    """Guards: when a recipe changes (say, its epochs) after its bfloat16 row,
    the two rows would compare the change of recipe with the precision; the
    recipe is left out, the ladder's verdict is undecided, the caption says
    which command measures it again."""
    results = {
        "ladder": [row("dense", "01", FLOAT32), {**row("best", "07", FLOAT32)}],
        "ladder_bf16": [row("dense", "01", FLOAT32), row("best", "07", FLOAT32)],
    }
    assert bf16_comparison(results).attrs["verdict"] == "no loss"
    results["ladder"][1]["epochs"] = 10
    table = bf16_comparison(results)
    assert list(table.index) == ["dense"] and table.attrs["missing"] == ["best"]
    assert table.attrs["verdict"] == "undecided"
    caption = table.attrs["caption"]
    assert "Not compared: `best`" in caption and "epochs 10 in float32, 5 in" in caption
    assert "--lessons 07" in caption and "Not recorded in bfloat16 yet" not in caption


def test_a_final_fit_is_left_out_of_the_verdict_and_said_so():
    """Guards: a final fit has no validation accuracy, so it cannot be judged
    on validation in either precision. It neither blocks nor makes the
    verdict, and a bfloat16 row trained on other images is not compared."""

    def final(model, lesson, accuracies, **kwargs):
        line = row(model, lesson, accuracies, **kwargs)
        for run in line["runs"]:
            run["validation_accuracy"] = None
        return {**line, "train_images": 60000}

    results = {
        "ladder": [row("dense", "01", FLOAT32), final("best", "07", FLOAT32)],
        "ladder_bf16": [
            row("dense", "01", FLOAT32, precision="mixed_bfloat16"),
            {**row("best", "07", lowered(0.5)), "train_images": 54000},
        ],
    }
    table = bf16_comparison(results)
    assert list(table.index) == ["dense"] and table.attrs["final_fits"] == ["best"]
    assert table.attrs["verdict"] == "no loss"
    caption = table.attrs["caption"]
    assert "Not judged: `best`, a final fit" in caption
    assert "train_images 60000 in float32, 54000 in bfloat16" in caption
    results["ladder_bf16"][1] = final("best", "07", lowered(0.5))
    table = bf16_comparison(results)
    assert table.loc["best", "verdict"] == "not judged"
    assert table.loc["best", "test change (points)"] == -50.0
    assert table.attrs["verdict"] == "no loss"
    results["ladder_bf16"][0] = row("dense", "01", lowered(0.05))
    assert bf16_comparison(results).attrs["verdict"] == "loss"


def test_the_results_page_shows_the_comparison_and_float32_readers_ignore_bf16():
    """Guards: the results page renders the comparison table (not a raw dump of
    the section), while the ladder tables, the headline, the lessons' spreads
    and the shipped models' seeds read the float32 rows only."""
    float32 = {"ladder": [row("dense", "01", FLOAT32)]}
    both = copy.deepcopy(float32)
    both["ladder_bf16"] = [
        row("dense", "01", lowered(0.05), precision="mixed_bfloat16", seeds=[0, 4, 5])
    ]
    page = render_results_markdown(both)
    assert "### Lesson ladder in bfloat16 against float32" in page
    assert "| model | lesson | seeds | validation float32 (%) |" in page
    assert "**a loss:" not in page  # seeds 4 and 5 are not shared: undecided
    assert page.startswith(render_results_markdown(float32).split("### Targets")[0])
    assert render_headline_markdown(both) == render_headline_markdown(float32)
    assert ladder_spread(both, ["dense"]) == ladder_spread(float32, ["dense"])
    assert recorded_seeds(get_recipe("dense"), both) == [0, 1, 2]
    website = results_page(both, None)
    assert "### Ladder bf16" not in website
    assert "in bfloat16 against float32" in website


def test_the_caption_names_the_rows_whose_float32_ran_on_another_cpu():
    """Guards: a CPU-time ratio across two kinds of CPU is said to be one."""
    from fmnist_course.bf16_tables import bf16_comparison
    from fmnist_course.results import load_results

    record = load_results()
    table = bf16_comparison(record)
    cpu = {
        section: {r["model"]: r["machine"]["cpu_model"] for r in record[section]}
        for section in ("ladder", "ladder_bf16")
    }
    apart = [m for m in table.index if cpu["ladder"][m] != cpu["ladder_bf16"][m]]
    caption = table.attrs["caption"]
    if apart:
        assert (
            f"For {', '.join(apart)}, the float32 row was measured on another CPU"
            in (caption)
        )
    else:
        assert "another CPU" not in caption
