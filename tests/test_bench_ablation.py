import dataclasses
import json
import math

import pytest

from fmnist_course import recipes, settings
from fmnist_course.bench.ablation import (
    ABLATION_EPOCHS,
    ABLATIONS,
    REFERENCE,
    ablation_entry,
    ablation_recipe,
    merge_ablation_rows,
    select_ablations,
    with_deltas,
)
from fmnist_course.bench.schema import validate_results
from fmnist_course.cli.main import main
from fmnist_course.errors import UserError
from fmnist_course.results import RESULTS_PATH, load_results
from fmnist_course.results_tables import ABLATION_COLUMNS, ablation_table

MACHINE = {
    "cpu_model": "Test CPU",
    "logical_cores": 2,
    "device": "cpu",
    "gpus": [],
    "tensorflow": "2.0",
    "keras": "3.0",
}


def row(variant, val, test, alone=None, **changes):
    ablation = ABLATIONS.get(variant)
    result = {
        "variant": variant,
        "removed": ablation.removed if ablation else variant,
        "overrides": dict(ablation.overrides) if ablation else {},
        "full_recipe_epochs": 40,
        "epochs": 10,
        "seed": 0,
        "train_images": 54_000,
        "test_images": 10_000,
        "val_accuracy": val,
        "test_accuracy": test,
        "test_accuracy_model_alone": test if alone is None else alone,
        "test_time_augmentation": True,
        "train_seconds": 900.0,
        "load_average_before": 0.5,
        "machine": MACHINE,
        "measured_at": "2025-03-04T05:06:07Z",
    }
    result.update(changes)
    return result


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


def test_deltas_are_against_a_comparable_best_row():
    rows = with_deltas(
        [
            row("all_techniques", 0.9300, 0.9250),
            row("no_cutout", 0.9260, 0.9275),
            row("no_dropout", 0.9100, 0.9000, epochs=1),
            row("no_weight_decay", 0.9300, 0.9200, seed=1),
        ]
    )
    assert [(r["delta_val"], r["delta_test"]) for r in rows] == [
        (0.0, 0.0),
        (-0.004, 0.0025),
        (None, None),
        (None, None),
    ]
    without_best = with_deltas([row("no_cutout", 0.9, 0.9)])
    assert without_best[0]["delta_val"] is None


def test_merge_keeps_earlier_variants_and_recomputes_changes():
    earlier = [row("all_techniques", 0.93, 0.92), row("no_dropout", 0.92, 0.91)]
    merged = merge_ablation_rows(
        earlier, [row("no_cutout", 0.925, 0.921), row("all_techniques", 0.94, 0.93)]
    )
    assert [r["variant"] for r in merged] == [
        "all_techniques",
        "no_cutout",
        "no_dropout",
    ]
    assert [r["delta_test"] for r in merged] == [0.0, -0.009, -0.02]
    assert earlier[1].get("delta_test") is None  # the input rows are not changed
    gone = merge_ablation_rows(
        [row("no_mixup", 0.9, 0.9)], [row("all_techniques", 0.9, 0.9)]
    )
    assert [r["variant"] for r in gone] == ["all_techniques", "no_mixup"]


def recorded_results():
    rows = [
        row("all_techniques", 0.9312, 0.9301, alone=0.9268),
        row("no_cutout", 0.9290, 0.9287, alone=0.9250),
        row("no_dropout", 0.9205, 0.9198, epochs=1),
    ]
    return {"ablation": {"cpu": ablation_entry(rows)}}


def test_table_renders_a_hand_made_results_dict():
    results = recorded_results()
    validate_results(results)
    table = ablation_table(results)
    assert list(table.columns) == list(ABLATION_COLUMNS)
    assert list(table.index) == ["all_techniques", "no_cutout", "no_dropout"]
    assert table.loc["no_cutout", "removed"] == "cutout"
    assert table.loc["all_techniques", "test accuracy (%)"] == 93.01
    assert table.loc["all_techniques", "test accuracy, model alone (%)"] == 92.68
    assert table.loc["no_cutout", "change (validation, points)"] == -0.22
    assert table.loc["no_cutout", "change (test, points)"] == -0.14
    assert math.isnan(table.loc["no_dropout", "change (test, points)"])
    assert table.attrs["epochs"] is None  # the budgets differ
    assert table.attrs["measured_at"] == "2025-03-04T05:06:07Z"
    caption = table.attrs["caption"]
    assert "trained for different epoch budgets (1, 10)" in caption
    assert "Test-time augmentation adds +0.33 points" in caption
    assert "n/a: no comparable `all_techniques` row" in caption
    assert "measured 2025-03-04" in caption


def test_table_of_one_budget_names_it():
    rows = [row("all_techniques", 0.93, 0.92), row("no_cutout", 0.92, 0.92)]
    table = ablation_table({"ablation": {"cpu": ablation_entry(rows)}})
    assert table.attrs["epochs"] == 10
    assert (
        "each trained for 10 epochs (the full recipe trains for 40)"
        in (table.attrs["caption"])
    )
    assert "n/a" not in table.attrs["caption"]


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


def test_schema_rejects_a_repeated_variant():
    results = recorded_results()
    entry = results["ablation"]["cpu"]
    entry["rows"].append(dict(entry["rows"][0]))
    with pytest.raises(ValueError, match="repeats variant 'all_techniques'"):
        validate_results(results)
    entry["rows"].pop()
    entry["rows"][0]["test_accuracy"] = 93.0
    with pytest.raises(ValueError, match=r"rows\[0\].test_accuracy"):
        validate_results(results)


def test_default_budget_is_shorter_than_the_full_recipe():
    assert 1 <= ABLATION_EPOCHS < recipes.RECIPES["all_techniques"].epochs


@pytest.mark.slow
def test_two_variants_on_a_tiny_subset_record_row_by_row(tmp_path, capsys):
    results = tmp_path / "results.json"
    readme = tmp_path / "README.md"
    readme.write_text("# t\n<!-- results:start -->\n<!-- results:end -->\n")
    # A row from an earlier run, of a variant this run does not train: kept.
    earlier = row("no_dropout", 0.5, 0.5, epochs=3, train_images=540)
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
        "--train-size",
        "600",
        "--test-size",
        "200",
        "--results",
        str(results),
        "--readme",
        str(readme),
        "--json",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert out.count("recorded: ") == 2  # once per variant, as each finishes
    assert "kept from earlier runs on CPU: no_dropout" in out
    entry = json.loads(out.strip().splitlines()[-1])
    recorded = load_results(results)
    validate_results(recorded)
    assert recorded["ablation"]["cpu"] == entry
    rows = {r["variant"]: r for r in entry["rows"]}
    assert list(rows) == ["all_techniques", "no_cutout", "no_dropout"]
    assert entry["epochs"] == 1 and entry["reference"] == "all_techniques"
    best, no_cutout = rows["all_techniques"], rows["no_cutout"]
    assert best["train_images"] == 540 and best["test_images"] == 200
    assert best["delta_test"] == 0.0 and best["delta_val"] == 0.0
    assert no_cutout["delta_test"] == pytest.approx(
        no_cutout["test_accuracy"] - best["test_accuracy"], abs=1e-4
    )
    assert no_cutout["recipe"]["model_kwargs"]["cutout"] == 0
    assert no_cutout["recipe"]["epochs"] == 1 and no_cutout["full_recipe_epochs"] == 40
    assert (
        best["test_time_augmentation"] and 0 <= best["test_accuracy_model_alone"] <= 1
    )
    assert rows["no_dropout"]["delta_test"] is None  # another budget: n/a
    assert RESULTS_PATH.stat().st_mtime_ns == before


def test_the_best_recipe_is_the_stack_without_the_parts_it_left_out():
    """`best` is `all_techniques` with cutout, label smoothing and dropout off,
    the three parts whose removal raised validation accuracy in the recorded
    ablation and that test-time augmentation does not rely on."""
    best = recipes.RECIPES["best"]
    stacked = ablation_recipe(REFERENCE)
    for part in ("no_cutout", "no_label_smoothing", "no_dropout"):
        stacked = ablation_recipe(part, base=stacked)
    assert dataclasses.replace(stacked, name="best", lesson="07") == best
    entry = load_results(RESULTS_PATH)["ablation"]["cpu"]
    recorded = {row["variant"]: row for row in entry["rows"]}
    assert recorded["all_techniques"]["recipe"]["label_smoothing"] > 0
    for part in ("no_cutout", "no_label_smoothing", "no_dropout"):
        assert recorded[part]["delta_val"] > 0, part
