"""How a retrained run is held against the ladder's seeds (issue #35)."""

from __future__ import annotations

import statistics

import pytest
from ladder_fixtures import todays

from fmnist_course.errors import UserError
from fmnist_course.recipes import RECIPES
from fmnist_course.retrained import (
    outdated_agreement,
    read_agreements,
    retrain_agreement,
)


def _row(model, scores, precision="float32"):
    """Today's full ladder row of `model` whose seeds scored `scores`."""
    return {
        **todays(model, precision),
        "model": model,
        "device": "cpu",
        "test_accuracy": round(statistics.fmean(scores), 4),
        "test_accuracy_std": round(statistics.stdev(scores), 4),
        "test_accuracy_min": min(scores),
        "test_accuracy_max": max(scores),
        "runs": [
            {"seed": seed, "test_accuracy": score} for seed, score in enumerate(scores)
        ],
        "seeds": [0, 1, 2],
    }


RECORD = {
    "ladder": [_row("best", (0.9426, 0.9436, 0.9440))],
    "ladder_bf16": [_row("best", (0.9424, 0.9431, 0.9444), precision="mixed_bfloat16")],
}


def test_a_run_is_held_against_the_ladder_of_its_own_precision():
    float32 = retrain_agreement("best", 0.9446, "float32", results=RECORD)
    bf16 = retrain_agreement("best", 0.9446, "mixed_bfloat16", results=RECORD)
    assert (float32.mean, float32.limit, float32.agrees) == (94.34, 0.14, True)
    assert (bf16.mean, bf16.limit, bf16.agrees) == (94.33, 0.2, True)
    outside = retrain_agreement("best", 0.9450, "float32", results=RECORD)
    assert (outside.difference, outside.agrees) == (0.16, False)


def test_the_printed_line_reads_back_to_the_same_verdict():
    for accuracy in (0.9300, 0.9434, 0.9500):
        agreement = retrain_agreement("best", accuracy, "float32", results=RECORD)
        text = f"live: test accuracy 0.9\n{agreement}\nmore output\n"
        assert read_agreements(text) == [agreement.as_record()]
    assert "does not agree" in str(
        retrain_agreement("best", 0.93, "float32", results=RECORD)
    )


def test_a_missing_row_or_precision_says_what_records_it():
    with pytest.raises(UserError, match="no ladder_bf16 row for 'cnn'.*bfloat16"):
        retrain_agreement("cnn", 0.9, "mixed_bfloat16", results=RECORD)
    with pytest.raises(UserError, match="precision 'float16'"):
        retrain_agreement("best", 0.9, "float16", results=RECORD)


def test_a_row_of_a_recipe_changed_since_is_not_held_against():
    """A run of today's recipe is never compared with a row of an older one."""
    before = RECIPES["best"].epochs + 1
    old = {**RECORD["ladder"][0], "epochs": before, "lesson": "07"}
    with pytest.raises(UserError, match=f"epochs={before}, which its recipe has"):
        retrain_agreement("best", 0.94, "float32", results={"ladder": [old]})
    current = {**old, **todays("best")}
    agreement = retrain_agreement(
        "best", 0.94, "float32", results={"ladder": [current]}
    )
    record = agreement.as_record()
    assert outdated_agreement(record, {"ladder": [current]}) is None
    assert f"epochs={before}, which its recipe has changed since" in outdated_agreement(
        record, {"ladder": [old]}
    )
    again = {**current, **_row("best", (0.9496, 0.9500, 0.9504))}
    assert "again since" in outdated_agreement(record, {"ladder": [again]})
    assert "no ladder row" in outdated_agreement(record, {"ladder": []})
    other_code = {**current, "fingerprint": "0" * 64}
    assert "fingerprint is not today's" in outdated_agreement(
        record, {"ladder": [other_code]}
    )


def test_the_shipped_record_has_every_retrained_recipe():
    """The lessons compare against the record that ships with the course."""
    from fmnist_course.retrained import RETRAINED_RECIPES

    for recipe in RETRAINED_RECIPES:
        for precision in ("float32", "mixed_bfloat16"):
            assert retrain_agreement(recipe, 0.9, precision).seeds == 3


def _shipped_agreement(recipe):
    from fmnist_course.results import load_results

    results = load_results()
    entry = results["retrain_build"]["cpu"]
    (agreement,) = [
        a
        for a in entry["agreements"]
        if a["recipe"] == recipe and a["lesson"][:2] == RECIPES[recipe].lesson
    ]
    return results, entry, agreement


def test_an_agreement_counts_only_with_the_figures_its_row_and_accuracy_give():
    """Promise: a forged difference, limit, verdict or ladder figure, a row of
    fewer than three seeds, or one measured after the build, does not count."""
    import copy

    results, entry, agreement = _shipped_agreement("challenge")
    built = entry["measured_at"]
    assert outdated_agreement(agreement, results, built_at=built) is None
    far = {**agreement, "accuracy": 85.0}
    assert "do not follow" in outdated_agreement(far, results, built_at=built)
    forged = {**far, "difference": -6.19, "limit": 10.0, "agrees": True}
    assert "do not follow" in outdated_agreement(forged, results, built_at=built)
    wider = {**agreement, "std": 5.0, "limit": 10.0}
    assert "again since" in outdated_agreement(wider, results, built_at=built)

    (row,) = [r for r in results["ladder_bf16"] if r["model"] == "challenge"]
    later = copy.deepcopy(results)
    (moved,) = [r for r in later["ladder_bf16"] if r["model"] == "challenge"]
    moved["measured_at"] = "2999-01-01T00:00:00Z"
    assert "again since" in outdated_agreement(agreement, later, built_at=built)
    one = copy.deepcopy(results)
    (single,) = [r for r in one["ladder_bf16"] if r["model"] == "challenge"]
    single["runs"], single["seeds"] = row["runs"][:1], row["seeds"][:1]
    only = row["runs"][0]["test_accuracy"]
    single.update(test_accuracy=only, test_accuracy_std=0.0)
    single.update(test_accuracy_min=only, test_accuracy_max=only)
    assert "fewer than 3" in outdated_agreement(agreement, one, built_at=built)
    odd = {**agreement, "precision": "float16"}
    assert "'float16', which no ladder" in outdated_agreement(odd, results)


def test_bad_input_to_a_lesson_comparison_is_a_clear_error():
    """Promise: a lesson's comparison refuses bad input with what it expected."""
    import numpy as np

    fine = retrain_agreement("best", np.float32(0.9434), "float32", results=RECORD)
    assert fine.accuracy == 94.34
    for recipe, accuracy, precision, results, match in [
        (["best"], 0.94, "float32", RECORD, "Expected a recipe"),
        ("best", 94.34, "float32", RECORD, "fraction between 0 and 1"),
        ("best", float("nan"), "float32", RECORD, "fraction between 0 and 1"),
        ("best", None, "float32", RECORD, "fraction between 0 and 1"),
        ("best", 0.94, ["float32"], RECORD, "No ladder is recorded"),
        ("best", 0.94, "float32", [], "Expected the record as a mapping"),
        ("best", 0.94, "float32", {"ladder": "abc"}, "no ladder row"),
    ]:
        with pytest.raises(UserError, match=match):
            retrain_agreement(recipe, accuracy, precision, results=results)
    with pytest.raises(UserError, match="Expected a device"):
        retrain_agreement("best", 0.94, "float32", results=RECORD, device="GPU")
    broken = {"ladder": [{**RECORD["ladder"][0], "runs": [1, 2, 3]}]}
    with pytest.raises(UserError, match="not a list of runs"):
        retrain_agreement("best", 0.94, "float32", results=broken)
