"""The search for a better recipe than best: candidates, baseline, table, record."""

import copy
import dataclasses
import inspect
import json
import math

import keras
import pytest

from fmnist_course import confirmation, recipes
from fmnist_course.bench.candidate_runs import candidates_entry, merge_candidate_rows
from fmnist_course.bench.schema import validate_results
from fmnist_course.bench.validation_runs import validation_scores
from fmnist_course.candidates import (
    BASELINE,
    CANDIDATES,
    SEARCHED,
    candidate_recipe,
    recipe_settings,
    select_candidates,
    stacked,
)
from fmnist_course.candidates_tables import baseline_runs, candidates_table
from fmnist_course.choosing import SPREADS
from fmnist_course.cli.main import main
from fmnist_course.confirmation import paired_verdict
from fmnist_course.errors import UserError
from fmnist_course.fast_mode import load_course_split
from fmnist_course.models import MODEL_BUILDERS
from fmnist_course.results import RESULTS_PATH, load_results
from fmnist_course.website.results_page import candidates_markdown, results_page

MACHINE = {
    "cpu_model": "Test CPU",
    "logical_cores": 2,
    "device": "cpu",
    "gpus": [],
    "tensorflow": "2.0",
    "keras": "3.0",
}


def row(candidate, val, seed=0, **changes):
    epochs = candidate_recipe(candidate).epochs
    result = {
        "candidate": candidate,
        "changes": dict(CANDIDATES[candidate].changes)
        if candidate in CANDIDATES
        else {},
        "why": "",
        "recipe": recipe_settings(candidate_recipe(candidate)),
        "full_recipe_epochs": epochs,
        "epochs": epochs,
        "seed": seed,
        "train_images": 54_000,
        "validation_images": 6_000,
        "val_accuracy": val,
        "val_accuracy_model_alone": val - 0.003,
        "val_ece": 0.012,
        "val_ece_model_alone": 0.02,
        "test_time_augmentation": True,
        "train_seconds": 900.0,
        "train_cpu_seconds": 780.0,
        "load_average_before": 0.5,
        "peak_rss_mib": 1500.0,
        "machine": MACHINE,
        "measured_at": "2026-12-06T05:06:07Z",
    }
    result.update(changes)
    return result


def seeded(candidate, *accuracies, **changes):
    return [row(candidate, a, seed=s, **changes) for s, a in enumerate(accuracies)]


def with_candidates(rows, results=None):
    results = {} if results is None else copy.deepcopy(results)
    return {**results, "candidates": {"cpu": candidates_entry(rows)}}


def test_every_candidate_changes_settings_best_accepts():
    best = recipes.RECIPES[SEARCHED]
    for name, candidate in CANDIDATES.items():
        recipe = candidate_recipe(name)
        assert candidate.why, name
        fields = set(candidate.changes) - {"model_kwargs"}
        assert fields <= {f.name for f in dataclasses.fields(best)}, name
        assert set(candidate.changes.get("model_kwargs", {})) <= set(
            inspect.signature(MODEL_BUILDERS[best.model]).parameters
        ), name
        assert recipe.model == best.model and recipe != best, name
    assert candidate_recipe("wider").model_kwargs == {
        **best.model_kwargs,
        "filters": (48, 96, 192),
    }
    assert candidate_recipe(BASELINE) is best


def test_a_change_to_best_flows_into_every_candidate(monkeypatch):
    changed = dataclasses.replace(
        recipes.RECIPES[SEARCHED],
        learning_rate=1e-3,
        model_kwargs={**recipes.RECIPES[SEARCHED].model_kwargs, "dense_units": 128},
    )
    monkeypatch.setitem(recipes.RECIPES, SEARCHED, changed)
    for name in CANDIDATES:
        recipe = candidate_recipe(name)
        assert recipe.learning_rate == 1e-3, name
        assert recipe.model_kwargs["dense_units"] == 128, name
    assert candidate_recipe(BASELINE) == changed


def test_unknown_candidates_say_what_was_received_expected_and_how_to_fix():
    assert select_candidates(["wider", "best", "wider"]) == ["best", "wider"]
    assert select_candidates(None) == list(CANDIDATES)
    with pytest.raises(UserError) as raised:
        candidate_recipe("widre")
    message = str(raised.value)
    assert "Unknown candidate(s): 'widre'" in message
    assert "best, " + ", ".join(CANDIDATES) in message
    assert "--variants" in message
    with pytest.raises(UserError, match="at least one"):
        select_candidates([])


def test_unknown_candidate_through_the_cli(capsys, tmp_path):
    results = tmp_path / "results.json"
    args = ["bench", "candidates", "--variants", "widre", "--results", str(results)]
    assert main(args) == 2
    assert "Unknown candidate(s): 'widre'" in capsys.readouterr().err
    assert not results.exists()


def test_the_verdict_follows_the_threshold_exactly():
    # best's spread is 0.1 points, so the threshold is 0.2 points.
    best = seeded("best", 0.940, 0.941, 0.942)
    just_above = seeded("wider", 0.94201, 0.94301, 0.94401)  # +0.201 points
    exactly = seeded("epochs_60", 0.942, 0.943, 0.944)  # +0.2 points: not above
    one_seed = seeded("cutout_12", 0.99)
    worse = seeded("smoothing_0.2", 0.930, 0.931, 0.932)
    table = candidates_table(
        with_candidates(best + just_above + exactly + one_seed + worse)
    )
    assert list(table.index) == [
        "best",
        "epochs_60",
        "smoothing_0.2",
        "wider",
        "cutout_12",
    ]
    assert table.loc["wider", "verdict"] == "beats best"
    assert table.loc["epochs_60", "verdict"] == "not shown better"
    assert table.loc["smoothing_0.2", "verdict"] == "not shown better"
    assert table.loc["cutout_12", "verdict"] == "undecided"
    assert math.isnan(table.loc["cutout_12", "threshold (points)"])
    assert table.loc["best", "verdict"] == ""
    assert table.loc["wider", "threshold (points)"] == pytest.approx(SPREADS * 0.1)
    assert table.loc["wider", "change vs best (points)"] == pytest.approx(0.2, abs=0.01)
    assert table.loc["smoothing_0.2", "change vs best (points)"] == pytest.approx(-1.0)
    assert table.loc["wider", "CPU-minutes per seed"] == 13.0
    assert table.loc["wider", "change"] == "filters=(48, 96, 192)"
    assert "no test image is scored" in table.attrs["caption"]


def test_an_empty_record_gives_an_empty_table_naming_the_command():
    without = {k: v for k, v in load_results().items() if k != "candidates"}
    for results in ({}, {"candidates": {}}, without):
        table = candidates_table(results)
        assert table.empty
        assert "`fmnist-course bench candidates`" in table.attrs["caption"]
    assert candidates_markdown({}) == []
    page = results_page({}, None)
    assert "Not measured yet: candidates. Run `fmnist-course bench candidates`" in page


def test_the_baseline_is_the_ablations_confirmation_by_reference():
    recorded = load_results()
    rows, section, source = baseline_runs(recorded)
    assert section == "ablation"
    confirmation = [
        r
        for r in recorded["ablation"]["cpu"]["rows"]
        if r["variant"] == "no_dropout" and r["epochs"] == 40
    ]
    assert [r["val_accuracy"] for r in rows] == [
        r["val_accuracy"] for r in confirmation
    ]
    assert {r["variant"] for r in rows} == {"best"} and len(rows) == 3
    assert "not trained again" in source and "no_dropout" in source
    results = with_candidates(seeded("wider", 0.95, 0.951, 0.952), recorded)
    validate_results(results)
    table = candidates_table(results)
    assert table.loc["best", "seeds"] == 3
    assert "confirmation of `no_dropout`" in table.attrs["caption"]
    assert "results['ablation']['cpu']" in table.attrs["caption"]
    # By reference, not copied: the candidates record holds no run of best.
    assert all(r["candidate"] != "best" for r in results["candidates"]["cpu"]["rows"])
    page = results_page(results, None)
    assert "### Searching for a better recipe than best" in page
    assert "| `wider` | filters=(48, 96, 192) |" in page


def test_the_baseline_is_refused_when_the_winner_is_not_best(monkeypatch):
    recorded = load_results()
    changed = dataclasses.replace(recipes.RECIPES[SEARCHED], label_smoothing=0.05)
    monkeypatch.setitem(recipes.RECIPES, SEARCHED, changed)
    with pytest.raises(
        UserError, match="winner is not RECIPES\\['best_40'\\].*--variants best"
    ):
        baseline_runs(recorded)
    tried = seeded("wider", 0.95, 0.951, 0.952)
    table = candidates_table(with_candidates(tried, recorded))
    assert table.loc["wider", "verdict"] == "undecided"
    assert "no baseline" in table.attrs["caption"]
    # Runs of best in the candidates record stand in for the reference.
    results = with_candidates(seeded("best", 0.94, 0.941, 0.942) + tried, recorded)
    rows, section, source = baseline_runs(results)
    assert section == "candidates"
    assert [r["val_accuracy"] for r in rows] == [0.94, 0.941, 0.942]
    assert "--variants best" in source
    assert candidates_table(results).loc["wider", "verdict"] == "beats best"


def test_merge_replaces_a_candidate_and_seed_and_keeps_the_rest():
    old = seeded("wider", 0.9, 0.91) + seeded("best", 0.94)
    new = [row("wider", 0.95, seed=1)]
    merged = merge_candidate_rows(old, new)
    assert [(r["candidate"], r["seed"], r["val_accuracy"]) for r in merged] == [
        ("best", 0, 0.94),
        ("wider", 0, 0.9),
        ("wider", 1, 0.95),
    ]


def test_schema_refuses_test_scores_and_repeated_runs_in_candidate_rows():
    results = with_candidates(seeded("wider", 0.95, 0.951))
    validate_results(results)
    for key in ("test_accuracy", "test_accuracy_model_alone", "test_ece"):
        tested = copy.deepcopy(results)
        tested["candidates"]["cpu"]["rows"][0][key] = 0.9
        with pytest.raises(
            ValueError, match=f"rows\\[0\\] scores the test set \\({key}"
        ):
            validate_results(tested)
    repeated = copy.deepcopy(results)
    repeated["candidates"]["cpu"]["rows"][1]["seed"] = 0
    with pytest.raises(
        ValueError, match="repeats the run of candidate 'wider', seed 0"
    ):
        validate_results(repeated)
    in_bf16 = copy.deepcopy(results)
    in_bf16["candidates"]["cpu"]["rows"][0]["machine"]["dtype_policy"] = (
        "mixed_bfloat16"
    )
    with pytest.raises(ValueError, match="compares float32 runs"):
        validate_results(in_bf16)
    missing = copy.deepcopy(results)
    del missing["candidates"]["cpu"]["rows"][0]["val_accuracy"]
    with pytest.raises(ValueError, match="candidates.cpu.rows\\[0\\] lacks key"):
        validate_results(missing)
    with pytest.raises(ValueError, match="candidates.tpu is not a device"):
        validate_results({"candidates": {"tpu": {}}})


@pytest.mark.slow
def test_one_candidate_on_a_tiny_subset_records_its_rows(tmp_path, capsys):
    results = tmp_path / "results.json"
    readme = tmp_path / "README.md"
    readme.write_text("# t\n<!-- results:start -->\n<!-- results:end -->\n")
    # The record's ablation supplies best's runs by reference: one run to train.
    results.write_text(json.dumps({"ablation": load_results()["ablation"]}))
    before = RESULTS_PATH.stat().st_mtime_ns
    models = tmp_path / "models"
    models.mkdir()
    args = [
        "bench",
        "candidates",
        "--save-models",
        str(models),
        "--variants",
        "wider",
        "--seeds",
        "0",
        "--epochs",
        "1",
        "--train-size",
        "600",
        "--results",
        str(results),
        "--readme",
        str(readme),
        "--json",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    entry = json.loads(out.strip().splitlines()[-1])
    recorded = load_results(results)
    validate_results(recorded)
    assert recorded["candidates"]["cpu"] == entry
    assert [(r["candidate"], r["seed"]) for r in entry["rows"]] == [("wider", 0)]
    wider = entry["rows"][0]
    assert wider["recipe"]["model_kwargs"]["filters"] == [48, 96, 192]
    assert wider["epochs"] == 1 and wider["full_recipe_epochs"] == 40
    assert wider["train_images"] == 540 and wider["validation_images"] == 60
    assert wider["peak_rss_mib"] > 0 and wider["train_cpu_seconds"] > 0
    assert wider["machine"]["device"] == "cpu"
    assert not any(
        k.startswith("test_") and k != "test_time_augmentation" for k in wider
    )
    assert "wider" in out and "undecided" in out  # one seed decides nothing
    assert RESULTS_PATH.stat().st_mtime_ns == before
    # The saved model is the one scored: it gives the recorded accuracy again.
    saved = models / "wider_seed0.keras"
    assert wider["saved_to"] == str(saved)
    data = load_course_split(fast=False, train_size=600, seed=0)
    x_val, y_val = data.validation_data
    model = keras.saving.load_model(saved)
    scores = validation_scores(model, candidate_recipe("wider"), x_val, y_val)
    assert scores["val_accuracy"] == wider["val_accuracy"]
    # A second run would overwrite it: refused before anything trains.
    made = saved.stat().st_mtime_ns
    assert main(args) == 2
    err = capsys.readouterr().err
    assert str(saved) in err and "would be overwritten" in err
    assert saved.stat().st_mtime_ns == made
    assert load_results(results)["candidates"]["cpu"] == entry


def test_the_cli_trains_best_only_when_the_record_cannot_supply_it(
    tmp_path, capsys, monkeypatch
):
    trained = []

    def fake_run(names, **options):
        trained.append(list(names))
        rows = [
            row(name, 0.9, seed=seed) for name in names for seed in options["seeds"]
        ]
        for measured in rows:
            options["on_row"](measured)
        return rows

    monkeypatch.setattr("fmnist_course.cli.bench_candidates.run_candidates", fake_run)
    empty = tmp_path / "empty.json"
    readme = tmp_path / "README.md"
    readme.write_text("# t\n<!-- results:start -->\n<!-- results:end -->\n")
    common = ["--results", str(empty), "--readme", str(readme)]
    assert main(["bench", "candidates", "--seeds", "0", "1", *common]) == 0
    assert trained[-1] == ["best", *CANDIDATES]
    assert "also training the baseline 'best'" in capsys.readouterr().out
    with_ablation = tmp_path / "with_ablation.json"
    with_ablation.write_text(json.dumps({"ablation": load_results()["ablation"]}))
    args = ["bench", "candidates", "--results", str(with_ablation)]
    assert main([*args, "--readme", str(readme)]) == 0
    assert trained[-1] == list(CANDIDATES)
    other = tmp_path / "other.json"
    assert (
        main(["bench", "candidates", "--variants", "wider", "--results", str(other)])
        == 2
    )
    err = capsys.readouterr().err
    assert "Expected runs of the baseline 'best'" in err and "wider best" in err


def test_a_stacked_candidate_makes_every_part_s_change_and_refuses_a_clash():
    stack = CANDIDATES["wider_cutout_12"]
    assert stack.parts == ("wider", "cutout_12")
    recipe = candidate_recipe("wider_cutout_12")
    for part in stack.parts:
        for key, value in candidate_recipe(part).model_kwargs.items():
            if key in CANDIDATES[part].changes.get("model_kwargs", {}):
                assert recipe.model_kwargs[key] == value, (part, key)
    assert recipe.epochs == recipes.RECIPES[SEARCHED].epochs
    with pytest.raises(ValueError, match="'epochs_60' and 'epochs_80' both set"):
        stacked("clash", ["epochs_60", "epochs_80"], "why")
    with pytest.raises(ValueError, match="fewer than two"):
        stacked("alone", ["wider"], "why")
    with pytest.raises(ValueError, match="unknown: 'nope'"):
        stacked("unknown", ["wider", "nope"], "why")
    with pytest.raises(ValueError, match="repeated: 'wider'"):
        stacked("twice", ["wider", "wider"], "why")


def test_every_cell_and_caption_sentence_of_an_irregular_record():
    # best on seeds 0, 1, 2; wider on 0 and 1 only; cutout_12 on 1 and 3,
    # and seed 3 has no run of best; epochs_60 trained other settings.
    best = seeded("best", 0.940, 0.950, 0.945)
    wider = seeded("wider", 0.9560, 0.9565)
    cutout = [row("cutout_12", 0.951, seed=1), row("cutout_12", 0.99, seed=3)]
    old = row("epochs_60", 0.99, seed=0)
    old["recipe"] = {**old["recipe"], "weight_decay": 0.5}
    other_cpu = {**MACHINE, "cpu_model": "Other CPU"}
    smoothing = seeded("smoothing_0.2", 0.941, 0.951, 0.946, machine=other_cpu)
    for run in smoothing:
        run["train_cpu_seconds"] = 600.0
    table = candidates_table(with_candidates(best + wider + cutout + [old] + smoothing))
    assert list(table.index) == ["best", "smoothing_0.2", "wider", "cutout_12"]
    expected = {
        "best": (3, 94.5, 0.5, 0.0, "", float("nan"), 13.0),
        "smoothing_0.2": (
            3,
            94.6,
            0.5,
            0.1,
            "s0 +0.10 / s1 +0.10 / s2 +0.10",
            1.0,
            10.0,
        ),
        "wider": (2, 95.62, 0.04, 1.125, "s0 +1.60 / s1 +0.65", 1.41, 13.0),
        "cutout_12": (2, 97.05, 2.76, 0.1, "s1 +0.10", float("nan"), 13.0),
    }
    columns = [
        "seeds",
        "validation accuracy (%)",
        "spread (points)",
        "change vs best (points)",
        "per seed vs best (points)",
        "threshold (points)",
        "CPU-minutes per seed",
    ]
    for name, cells in expected.items():
        for column, value in zip(columns, cells, strict=True):
            got = table.loc[name, column]
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(got), (name, column)
            elif isinstance(value, float):
                assert got == pytest.approx(value, abs=0.006), (name, column, got)
            else:
                assert got == value, (name, column, got)
    # wider's threshold uses best's spread on the shared seeds 0 and 1.
    assert table.loc["wider", "verdict"] == "not shown better"
    assert table.loc["smoothing_0.2", "verdict"] == "not shown better"
    assert table.loc["cutout_12", "verdict"] == "undecided"
    caption = table.attrs["caption"]
    assert "Left out: 1 run of epochs_60 trained other settings" in caption
    assert "--variants epochs_60` trains them again" in caption
    assert "In the catalogue but not run yet: epochs_80, weight_decay_0.1," in caption
    assert "Test CPU, 2 logical cores (best, wider, cutout_12)" in caption
    assert "Other CPU, 2 logical cores (smoothing_0.2)" in caption
    assert "over those shared seeds" in caption


def test_best_trained_by_the_candidates_bench_must_match_best_too():
    stale_best = seeded("best", 0.99, 0.99, 0.99)
    for run in stale_best:
        run["recipe"] = {**run["recipe"], "label_smoothing": 0.3}
    results = with_candidates(stale_best + seeded("wider", 0.95, 0.951, 0.952))
    table = candidates_table(results)
    assert table.loc["wider", "verdict"] == "undecided"
    assert "no baseline (Expected runs of the baseline 'best'" in table.attrs["caption"]


@pytest.mark.parametrize(
    ("seeds", "said"), [(["0", "0"], "0 repeated"), (["1", "-2"], "-2 below 0")]
)
def test_bad_seeds_are_refused_before_any_run_is_planned(capsys, tmp_path, seeds, said):
    results = tmp_path / "results.json"
    args = ["bench", "candidates", "--variants", "wider", "--results", str(results)]
    assert main([*args, "--seeds", *seeds]) == 2
    out, err = capsys.readouterr()
    assert said in err and "Pass distinct non-negative integers to --seeds" in err
    assert "candidates:" not in out and not results.exists()


def test_stale_or_shortened_runs_of_best_and_candidates_decide_nothing():
    stale_best = seeded("best", 0.94, 0.95, 0.945)
    for run in stale_best:
        run["recipe"] = {**run["recipe"], "weight_decay": 0.3}
    fresh_best = seeded("best", 0.940, 0.941, 0.942)
    gone = seeded("wider", 0.96, 0.961, 0.962)
    for run in gone:
        run["recipe"] = {**run["recipe"], "weight_decay": 0.3}
    # A smoke test's shortened run is not stale, but decides nothing.
    short = seeded("cutout_12", 0.99, 0.991, 0.992, epochs=2)
    table = candidates_table(with_candidates(fresh_best + gone + short))
    assert list(table.index) == ["best", "cutout_12"]
    assert table.loc["cutout_12", "verdict"] == "undecided"
    assert math.isnan(table.loc["cutout_12", "threshold (points)"])
    caption = table.attrs["caption"]
    assert "Left out: 3 runs of wider trained other settings" in caption
    assert "not run yet: epochs_60, epochs_80, smoothing_0.2, weight_decay_0.1" in (
        caption
    )
    assert "not run yet: " in caption and "wider," not in caption.split("not run")[1]
    # Only stale runs of best: no baseline, and they are named.
    table = candidates_table(with_candidates(stale_best + short))
    assert (
        "holds no run of 'best' with its current settings" in (table.attrs["caption"])
    )
    assert "Left out: 3 runs of best" in table.attrs["caption"]
    # Every run stale: the empty table says so.
    table = candidates_table(with_candidates(gone))
    assert table.empty
    assert (
        "No candidate run with its current settings is recorded"
        in (table.attrs["caption"])
    )


def test_training_best_again_warns_only_when_the_ablation_supplies_it(capsys):
    from argparse import Namespace

    from fmnist_course.cli.bench_candidates import _names

    assert _names(Namespace(variants=["best"]), load_results()) == ["best"]
    assert "recorded but not used" in capsys.readouterr().out
    own = with_candidates(seeded("best", 0.94, 0.95, 0.945))
    assert _names(Namespace(variants=["best"]), own) == ["best"]
    assert "recorded but not used" not in capsys.readouterr().out


def test_the_confirmation_judges_the_one_candidate_the_paired_form_favoured():
    results = load_results()
    best = {r["seed"]: r["val_accuracy"] for r in baseline_runs(results).rows}
    promoted = []
    # The confirmation judged the first round of the search: the candidates
    # measured before it. A later round is judged by a confirmation of its own.
    judged_at = results["confirmation"]["cpu"]["measured_at"]
    for name in CANDIDATES:
        runs = [
            r
            for r in results["candidates"]["cpu"]["rows"]
            if r["candidate"] == name and r["measured_at"] < judged_at
        ]
        if not runs:
            continue
        scores = {r["seed"]: r["val_accuracy"] for r in runs}
        if paired_verdict(scores, best, seeds=(0, 1, 2))["promoted"]:
            promoted.append(name)
    assert promoted == [confirmation.CANDIDATE]
    assert not set(confirmation.SEEDS) & {
        r["seed"] for r in baseline_runs(results).rows
    }
    with pytest.raises(UserError, match=r"seeds \[5\] lack one"):
        paired_verdict({3: 0.95, 4: 0.95}, {3: 0.94, 4: 0.94, 5: 0.94})
