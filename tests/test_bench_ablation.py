import dataclasses
import json
import math

import pytest

from fmnist_course import recipes, settings
from fmnist_course.ablation_tables import (
    ABLATION_COLUMNS,
    ablation_table,
    confirmation_table,
)
from fmnist_course.ablations import (
    ABLATIONS,
    REFERENCE,
    ablation_recipe,
    chosen_recipe,
    protocol_winner,
    select_ablations,
)
from fmnist_course.bench.ablation import (
    ABLATION_EPOCHS,
    ablation_entry,
    merge_ablation_rows,
)
from fmnist_course.bench.schema import validate_results
from fmnist_course.cli.main import main
from fmnist_course.errors import UserError
from fmnist_course.results import RESULTS_PATH, load_results

MACHINE = {
    "cpu_model": "Test CPU",
    "logical_cores": 2,
    "device": "cpu",
    "gpus": [],
    "tensorflow": "2.0",
    "keras": "3.0",
}


def row(variant, val, seed=0, alone=None, **changes):
    ablation = ABLATIONS.get(variant)
    result = {
        "variant": variant,
        "removed": ablation.removed if ablation else variant,
        "overrides": dict(ablation.overrides) if ablation else {},
        "full_recipe_epochs": 40,
        "epochs": 5,
        "seed": seed,
        "train_images": 54_000,
        "validation_images": 6_000,
        "val_accuracy": val,
        "val_accuracy_model_alone": val - 0.003 if alone is None else alone,
        "val_ece": 0.012,
        "val_ece_model_alone": 0.02,
        "test_time_augmentation": True,
        "train_seconds": 900.0,
        "train_cpu_seconds": 850.0,
        "load_average_before": 0.5,
        "machine": MACHINE,
        "measured_at": "2025-03-04T05:06:07Z",
    }
    result.update(changes)
    return result


def seeded(variant, *accuracies, **changes):
    """One row per seed 0, 1, ... with these validation accuracies."""
    return [row(variant, a, seed=s, **changes) for s, a in enumerate(accuracies)]


def test_variants_are_the_stacked_recipe_with_one_setting_changed():
    best = recipes.RECIPES["all_techniques"]
    assert list(ABLATIONS)[0] == REFERENCE == "all_techniques"
    assert ablation_recipe("all_techniques") == best
    for name in ABLATIONS:
        if name == REFERENCE:
            continue
        variant = ablation_recipe(name)
        changed = {
            field.name
            for field in dataclasses.fields(variant)
            if getattr(variant, field.name) != getattr(best, field.name)
        }
        assert changed <= {"name", *ABLATIONS[name].overrides}, name
        assert changed - {"name"}, f"{name} changes nothing in the stacked recipe"
    assert ablation_recipe("no_cutout").model_kwargs == {
        **best.model_kwargs,
        "cutout": 0,
    }
    constant = ablation_recipe("constant_rate")
    assert (constant.schedule, constant.learning_rate) == (
        "constant",
        settings.LEARNING_RATE,
    )
    assert ablation_recipe("no_weight_averaging").weight_averaging is None


def test_a_change_to_the_stacked_recipe_flows_into_every_variant(monkeypatch):
    best = recipes.RECIPES["all_techniques"]
    changed = dataclasses.replace(
        best, weight_decay=0.1, model_kwargs={"cutout": 4, "max_shift": 1}
    )
    monkeypatch.setitem(recipes.RECIPES, "all_techniques", changed)
    assert ablation_recipe("all_techniques") == changed
    no_cutout = ablation_recipe("no_cutout")
    assert no_cutout.weight_decay == 0.1
    assert no_cutout.model_kwargs == {"cutout": 0, "max_shift": 1}
    assert ablation_recipe("no_dropout").model_kwargs == {
        "cutout": 4,
        "max_shift": 1,
        "dropout": 0.0,
    }
    assert ablation_recipe("no_weight_decay").model_kwargs == {
        "cutout": 4,
        "max_shift": 1,
    }


def test_select_keeps_table_order_and_names_unknown_variants():
    names = [
        a.name for a in select_ablations(["no_dropout", "all_techniques", "no_dropout"])
    ]
    assert names == ["all_techniques", "no_dropout"]
    with pytest.raises(UserError, match="'no_cutuot'.*no_cutout"):
        select_ablations(["all_techniques", "no_cutuot"])
    with pytest.raises(UserError, match="at least one"):
        select_ablations([])


def test_unknown_variant_through_the_cli(capsys, tmp_path):
    results = tmp_path / "results.json"
    args = ["bench", "ablation", "--variants", "no_cutuot", "--results", str(results)]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Unknown ablation variant(s): 'no_cutuot'" in err
    assert ", ".join(ABLATIONS) in err
    assert main(["bench", "ablation", "--epochs", "0"]) == 2
    assert "--epochs >= 1" in capsys.readouterr().err
    assert not results.exists()


def test_merge_replaces_a_variant_and_seed_and_keeps_the_rest():
    earlier = [row("all_techniques", 0.93), row("no_dropout", 0.92)]
    merged = merge_ablation_rows(
        earlier,
        [
            row("no_cutout", 0.925),
            row("all_techniques", 0.94),
            row("no_cutout", 0.9, 1),
        ],
    )
    assert [(r["variant"], r["seed"], r["val_accuracy"]) for r in merged] == [
        ("all_techniques", 0, 0.94),
        ("no_cutout", 0, 0.925),
        ("no_cutout", 1, 0.9),
        ("no_dropout", 0, 0.92),
    ]
    gone = merge_ablation_rows([row("no_mixup", 0.9)], [row("all_techniques", 0.9)])
    assert [r["variant"] for r in gone] == ["all_techniques", "no_mixup"]


def test_merge_drops_rows_that_were_scored_on_the_test_set():
    """Promise: a row from the old protocol (chosen with test numbers) is not kept."""
    old = row("no_dropout", 0.92, test_accuracy=0.91)
    merged = merge_ablation_rows([old], [row("all_techniques", 0.93)])
    assert [r["variant"] for r in merged] == ["all_techniques"]


def recorded_results():
    rows = [
        *seeded("all_techniques", 0.9312, 0.9320, 0.9304, alone=0.9268),
        *seeded("no_cutout", 0.9292, 0.9298, 0.9303),
        *seeded("no_flip_shift", 0.9205, 0.9198, 0.9210),
        row("no_dropout", 0.9205),
    ]
    return {"ablation": {"cpu": ablation_entry(rows)}}


def test_table_renders_a_hand_made_results_dict():
    results = recorded_results()
    validate_results(results)
    table = ablation_table(results)
    assert list(table.columns) == list(ABLATION_COLUMNS)
    assert list(table.index) == [
        "all_techniques",
        "no_cutout",
        "no_flip_shift",
        "no_dropout",
    ]
    assert table.loc["no_cutout", "removed"] == "cutout"
    assert table.loc["all_techniques", "seeds"] == 3
    assert table.loc["all_techniques", "validation accuracy (%)"] == 93.12
    assert table.loc["all_techniques", "spread (points)"] == 0.08
    assert table.loc["all_techniques", "validation, model alone (%)"] == 92.68
    assert table.loc["all_techniques", "calibration error (%)"] == 1.2
    # no_cutout: -0.143 points against a threshold of 2 x 0.08: dropped.
    assert table.loc["no_cutout", "change (points)"] == -0.14
    assert table.loc["no_cutout", "threshold (points)"] == 0.16
    assert table.loc["no_cutout", "verdict"] == "drop"
    assert table.loc["no_flip_shift", "change (points)"] == -1.08
    assert table.loc["no_flip_shift", "verdict"] == "keep"
    # One seed cannot tell a difference from luck.
    assert table.loc["no_dropout", "verdict"] == "undecided"
    assert math.isnan(table.loc["no_dropout", "threshold (points)"])
    assert table.attrs["epochs"] == 5
    assert table.attrs["seeds"] == [0, 1, 2]
    assert table.attrs["measured_at"] == "2025-03-04T05:06:07Z"
    caption = table.attrs["caption"]
    assert "each trained for 5 epochs (the full recipe trains for 40)" in caption
    assert "under seeds 0, 1 and 2" in caption
    assert "scored on 6,000 validation images" in caption
    assert "No test image is scored." in caption
    assert "The threshold is 2 times the larger spread" in caption
    assert "measured 2025-03-04" in caption


def test_the_verdict_follows_the_threshold_exactly():
    """Promise: kept only when the removal costs more than 2 spreads, not equal."""
    base = seeded("all_techniques", 0.930, 0.932, 0.934)  # spread 0.002
    at = seeded("no_cutout", 0.926, 0.928, 0.930)  # costs 0.004 = 2 spreads
    beyond = seeded("no_dropout", 0.9259, 0.9279, 0.9299)  # costs 0.0041
    table = ablation_table({"ablation": {"cpu": ablation_entry([*base, *at, *beyond])}})
    assert table.loc["no_cutout", "verdict"] == "drop"
    assert table.loc["no_dropout", "verdict"] == "keep"


def test_table_of_one_budget_names_it():
    rows = [*seeded("all_techniques", 0.93, 0.92), *seeded("no_cutout", 0.92, 0.92)]
    table = ablation_table({"ablation": {"cpu": ablation_entry(rows)}})
    assert table.attrs["epochs"] == 5
    assert (
        "each trained for 5 epochs (the full recipe trains for 40)"
        in (table.attrs["caption"])
    )


def test_table_without_an_ablation_is_empty_and_says_how_to_measure():
    for results in ({}, {"ablation": {}}, {"speed": {}}):
        table = ablation_table(results)
        assert table.empty and list(table.columns) == list(ABLATION_COLUMNS)
        assert "Run `fmnist-course bench ablation`" in table.attrs["caption"]
        assert table.attrs["epochs"] is None
    gpu_only = {"ablation": {"gpu": recorded_results()["ablation"]["cpu"]}}
    assert "(recorded for: GPU)" in ablation_table(gpu_only).attrs["caption"]
    assert not ablation_table(gpu_only, "gpu").empty
    with pytest.raises(UserError, match="'tpu'"):
        ablation_table({}, "tpu")


def test_schema_rejects_a_repeated_run_and_test_numbers():
    results = recorded_results()
    entry = results["ablation"]["cpu"]
    entry["rows"].append(dict(entry["rows"][0]))
    with pytest.raises(
        ValueError, match="repeats the run of variant 'all_techniques', seed 0"
    ):
        validate_results(results)
    entry["rows"].pop()
    entry["rows"][0]["val_ece"] = 3.0
    with pytest.raises(ValueError, match=r"rows\[0\].val_ece should be between 0"):
        validate_results(results)
    entry["rows"][0]["val_ece"] = 0.01
    entry["rows"][1]["test_accuracy"] = 0.93
    with pytest.raises(ValueError, match=r"rows\[1\] scores the test set"):
        validate_results(results)
    del entry["rows"][1]["test_accuracy"]
    entry["seeds"] = [0, 1]
    with pytest.raises(ValueError, match="seeds should list the seeds of its rows"):
        validate_results(results)


def test_default_budget_is_shorter_than_the_full_recipe():
    assert 1 <= ABLATION_EPOCHS < recipes.RECIPES["all_techniques"].epochs


@pytest.mark.slow
def test_two_variants_on_a_tiny_subset_record_run_by_run(tmp_path, capsys):
    results = tmp_path / "results.json"
    readme = tmp_path / "README.md"
    readme.write_text("# t\n<!-- results:start -->\n<!-- results:end -->\n")
    # A row from an earlier run, of a variant this run does not train: kept.
    earlier = row("no_dropout", 0.5, epochs=3, train_images=540)
    (tmp_path / "results.json").write_text(
        json.dumps({"ablation": {"cpu": ablation_entry([earlier])}})
    )
    before = RESULTS_PATH.stat().st_mtime_ns
    args = [
        "bench",
        "ablation",
        "--variants",
        "no_cutout",
        "all_techniques",
        "--epochs",
        "1",
        "--seeds",
        "0",
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
    assert out.count("recorded: ") == 4  # once per run, as each finishes
    assert "kept from earlier runs on CPU: no_dropout" in out
    entry = json.loads(out.strip().splitlines()[-1])
    recorded = load_results(results)
    validate_results(recorded)
    assert recorded["ablation"]["cpu"] == entry
    runs = [(r["variant"], r["seed"]) for r in entry["rows"]]
    assert runs == [
        ("all_techniques", 0),
        ("all_techniques", 1),
        ("no_cutout", 0),
        ("no_cutout", 1),
        ("no_dropout", 0),
    ]
    assert entry["epochs"] == 1 and entry["reference"] == "all_techniques"
    assert entry["seeds"] == [0, 1]
    best = entry["rows"][0]
    no_cutout = entry["rows"][2]
    assert best["train_images"] == 540 and best["validation_images"] == 60
    assert not any(
        key.startswith("test_") and key != "test_time_augmentation" for key in best
    )
    assert no_cutout["recipe"]["model_kwargs"]["cutout"] == 0
    assert no_cutout["recipe"]["epochs"] == 1 and no_cutout["full_recipe_epochs"] == 40
    assert best["test_time_augmentation"]
    for key in ("val_accuracy", "val_accuracy_model_alone", "val_ece"):
        assert 0 <= best[key] <= 1
    assert RESULTS_PATH.stat().st_mtime_ns == before


def test_the_seed_option_asks_for_seeds(capsys):
    assert main(["bench", "ablation", "--seed", "3", "--epochs", "1"]) != 0
    assert "Pass them as --seeds" in capsys.readouterr().err


def test_runs_at_another_budget_stay_out_of_the_verdicts():
    """Promise: a variant trained again at 40 epochs is kept, apart."""
    rows = [
        *seeded("all_techniques", 0.930, 0.932, 0.934),
        *seeded("no_dropout", 0.931, 0.932, 0.933),
        *seeded("no_dropout", 0.950, 0.951, 0.952, epochs=40),
    ]
    entry = ablation_entry(rows)
    assert entry["epochs"] == 5 and len(entry["rows"]) == 9
    validate_results({"ablation": {"cpu": entry}})
    table = ablation_table({"ablation": {"cpu": entry}})
    assert table.loc["no_dropout", "validation accuracy (%)"] == 93.2
    assert table.loc["no_dropout", "verdict"] == "drop"


def test_the_confirmation_sets_chosen_against_its_runner_up_at_full_budget():
    short = seeded("all_techniques", 0.93, 0.931, 0.932)
    results = {
        "ablation": {
            "cpu": ablation_entry(
                [
                    *short,
                    *seeded("chosen", 0.945, 0.946, 0.947, epochs=40),
                    *seeded("no_dropout", 0.951, 0.952, 0.953, epochs=40),
                ]
            )
        }
    }
    table = confirmation_table(results)
    assert list(table.index) == ["chosen", "no_dropout"]
    assert table.loc["no_dropout", "change (points)"] == 0.6
    assert table.loc["no_dropout", "threshold (points)"] == 0.2
    assert table.loc["no_dropout", "verdict"] == "beats chosen"
    assert table.attrs["epochs"] == 40
    assert (
        "each trained for 40 epochs under seeds 0, 1 and 2" in (table.attrs["caption"])
    )
    rows = [*short, *seeded("chosen", 0.95, 0.951, 0.952, epochs=40)]
    rows += seeded("no_dropout", 0.951, 0.952, 0.953, epochs=40)
    table = confirmation_table({"ablation": {"cpu": ablation_entry(rows)}})
    assert table.loc["no_dropout", "verdict"] == "chosen stands"
    # Only short runs recorded: nothing to confirm with, and it says how.
    table = confirmation_table({"ablation": {"cpu": ablation_entry(short)}})
    assert table.empty and "--epochs 40" in table.attrs["caption"]


def test_the_chosen_variant_trains_the_recorded_verdicts(monkeypatch):
    from fmnist_course import ablations

    rows = [
        *seeded("all_techniques", 0.930, 0.932, 0.934),
        *seeded("no_cutout", 0.936, 0.935, 0.937),
        *seeded("no_dropout", 0.90, 0.91, 0.905),
    ]
    recorded = {"ablation": {"cpu": ablation_entry(rows)}}
    monkeypatch.setattr(
        "fmnist_course.results.load_results", lambda *args, **kwargs: recorded
    )
    assert ablations.recorded_verdicts() == {"no_cutout": "drop", "no_dropout": "keep"}
    recipe = ablation_recipe("chosen")
    assert recipe.name == "chosen" and recipe.model_kwargs["cutout"] == 0
    assert recipe.model_kwargs.get("dropout") != 0.0
    assert [a.name for a in select_ablations(["chosen", "no_cutout"])] == [
        "no_cutout",
        "chosen",
    ]
    monkeypatch.setattr(
        "fmnist_course.results.load_results", lambda *args, **kwargs: {}
    )
    with pytest.raises(UserError, match="No ablation recorded"):
        ablation_recipe("chosen")


def test_the_chosen_recipe_switches_off_exactly_the_dropped_parts():
    verdicts = {"no_cutout": "drop", "no_dropout": "keep", "no_label_smoothing": "drop"}
    recipe = chosen_recipe(verdicts)
    stacked = recipes.RECIPES[REFERENCE]
    assert recipe.model_kwargs == {**stacked.model_kwargs, "cutout": 0}
    assert recipe.label_smoothing == 0.0
    assert recipe.weight_decay == stacked.weight_decay
    assert chosen_recipe({"no_cutout": "undecided"}).model_kwargs == (
        stacked.model_kwargs
    )
    with pytest.raises(UserError, match="no_cutuot"):
        chosen_recipe({"no_cutuot": "drop"})


def test_without_flips_the_variant_is_scored_without_the_views_too():
    """A model never trained on mirror images is not judged on them."""
    variant = ablation_recipe("no_flip_shift")
    assert variant.model_kwargs["augment"] is False
    assert variant.test_time_augmentation is False
    assert ABLATIONS["no_flip_shift"].overrides == {
        "model_kwargs": {"augment": False},
        "test_time_augmentation": False,
    }
    assert ablation_recipe("no_cutout").test_time_augmentation is True
    assert chosen_recipe({"no_flip_shift": "drop"}).test_time_augmentation is False


def test_the_runner_up_is_the_best_variant_that_is_not_the_choice():
    from fmnist_course.ablations import runner_up

    rows = [
        *seeded("all_techniques", 0.930, 0.932, 0.934),
        *seeded("no_cutout", 0.936, 0.935, 0.937),  # dropped: it is the choice
        *seeded("no_label_smoothing", 0.9335, 0.9336, 0.9337),
        *seeded("no_dropout", 0.90, 0.91, 0.905),
    ]
    results = {"ablation": {"cpu": ablation_entry(rows)}}
    # no_label_smoothing is within noise too, so both are dropped: the choice
    # is no variant, and the best mean (no_cutout) is the runner-up.
    assert runner_up(results) == "no_cutout"
    rows = rows[:6] + seeded("no_dropout", 0.90, 0.91, 0.905)
    results = {"ablation": {"cpu": ablation_entry(rows)}}
    assert runner_up(results) == "all_techniques"


def test_a_confirmation_with_fewer_than_two_shared_seeds_is_undecided():
    """Promise: one seed each cannot overturn a choice (no spread to compare)."""
    short = seeded("all_techniques", 0.93, 0.931, 0.932)
    rows = [*short, *seeded("chosen", 0.9395, epochs=40)]
    rows += seeded("no_dropout", 0.94, 0.95, 0.951, epochs=40)
    table = confirmation_table({"ablation": {"cpu": ablation_entry(rows)}})
    assert table.loc["no_dropout", "verdict"] == "undecided"
    # The runner-up alone, before any run of the choice: no verdict at all.
    rows = [*short, *seeded("no_dropout", 0.94, 0.95, epochs=40)]
    table = confirmation_table({"ablation": {"cpu": ablation_entry(rows)}})
    assert list(table.index) == ["no_dropout"] and table["verdict"].tolist() == [""]


def test_the_winner_is_the_choice_unless_the_confirmation_beats_it():
    short = [
        *seeded("all_techniques", 0.93, 0.931, 0.932),
        *seeded("no_cutout", 0.931, 0.932, 0.933),
    ]
    chosen = chosen_recipe({"no_cutout": "drop"})
    beaten = short + seeded("chosen", 0.945, 0.946, 0.947, epochs=40)
    beaten += seeded("all_techniques", 0.951, 0.952, 0.953, epochs=40)
    winner = protocol_winner({"ablation": {"cpu": ablation_entry(beaten)}})
    assert winner == dataclasses.replace(recipes.RECIPES[REFERENCE], name="winner")
    stands = short + seeded("chosen", 0.95, 0.951, 0.952, epochs=40)
    stands += seeded("all_techniques", 0.951, 0.952, 0.953, epochs=40)
    winner = protocol_winner({"ablation": {"cpu": ablation_entry(stands)}})
    assert winner == dataclasses.replace(chosen, name="winner")
    with pytest.raises(UserError, match="--epochs 40"):
        protocol_winner({"ablation": {"cpu": ablation_entry(short)}})


def test_the_course_keeps_the_recipe_the_recorded_protocol_chose():
    # The best recipe is a promise of lesson 07: chosen on validation by the
    # ablation and its confirmation, never by the test set. `best` is this
    # choice with the one change the search's confirmation promoted
    # (test_bench_confirm holds that).
    chosen = recipes.PROTOCOL_CHOICE
    winner = protocol_winner(load_results())
    assert recipes.RECIPES[chosen.name] == chosen
    assert dataclasses.replace(winner, name=chosen.name, lesson="") == chosen
