"""The confirmation of the search's leader: a rule fixed first, test read once."""

import json
import shutil

import pytest
from test_bench_candidates import row, with_candidates

from fmnist_course.bench import confirm_runs
from fmnist_course.bench.confirm_runs import confirmation_entry, score_on_test
from fmnist_course.bench.schema import validate_results
from fmnist_course.bench.validation_runs import validation_scores
from fmnist_course.candidates import candidate_recipe
from fmnist_course.cli.main import main
from fmnist_course.confirmation import CANDIDATE, SEEDS
from fmnist_course.errors import UserError
from fmnist_course.fast_mode import load_course_split
from fmnist_course.results import load_results
from fmnist_course.trained_models import TRAINED_DIR
from fmnist_course.website.results_page import results_page


def runs(candidate_scores, best_scores, **changes):
    return [
        *(
            row("best", a, seed=s, **changes)
            for s, a in zip(SEEDS, best_scores, strict=True)
        ),
        *(
            row(CANDIDATE, a, seed=s, **changes)
            for s, a in zip(SEEDS, candidate_scores, strict=True)
        ),
        row("wider", 0.99, seed=SEEDS[0]),  # another candidate: not judged
        row(CANDIDATE, 0.99, seed=0),  # a search seed: not judged
    ]


def test_a_candidate_not_promoted_scores_no_test_image(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("the test set was read for a recipe not promoted")

    monkeypatch.setattr(confirm_runs, "score_on_test", never)
    entry = confirmation_entry(runs([0.950, 0.944, 0.949], [0.947, 0.948, 0.946]))
    assert entry["verdict"]["promoted"] is False and "test" not in entry
    assert [(r["candidate"], r["seed"]) for r in entry["rows"]] == [
        ("best", 3), ("best", 4), ("best", 5),
        (CANDIDATE, 3), (CANDIDATE, 4), (CANDIDATE, 5),
    ]  # fmt: skip
    validate_results({"confirmation": {"cpu": entry}})
    entry["test"] = {"runs": [], "test_accuracy": 0.95}
    with pytest.raises(ValueError, match="was not promoted"):
        validate_results({"confirmation": {"cpu": entry}})


def test_a_promoted_candidate_reads_the_test_set_once_per_own_run(monkeypatch):
    scored = []

    def fake(run, data_dir=None):
        scored.append((run["candidate"], run["seed"]))
        return {"seed": run["seed"], "test_accuracy": 0.947 + run["seed"] / 1000}

    monkeypatch.setattr(confirm_runs, "score_on_test", fake)
    entry = confirmation_entry(runs([0.951, 0.952, 0.949], [0.947, 0.948, 0.946]))
    assert entry["verdict"]["differences"] == [0.4, 0.4, 0.3]
    assert entry["verdict"]["promoted"] is True
    assert scored == [(CANDIDATE, s) for s in SEEDS]  # never best's models
    assert entry["test"]["test_accuracy"] == 0.951
    assert entry["test"]["test_accuracy_min"] == 0.950
    page = results_page({"confirmation": {"cpu": entry}}, None)
    assert "**promoted**. Its test accuracy, read once per run: 95.10% mean" in page


def test_shortened_or_missing_runs_are_refused_before_any_verdict():
    with pytest.raises(UserError, match="Expected full runs of today's 'best'"):
        confirmation_entry(
            runs(
                [0.95] * 3, [0.94] * 3, epochs=1, train_images=540, validation_images=60
            )
        )
    with pytest.raises(UserError, match=r"seeds \[5\] lack one"):
        confirmation_entry(runs([0.95] * 3, [0.94] * 3)[:-3])


def test_a_saved_model_is_scored_only_if_it_is_the_run_judged(tmp_path):
    # The shipped best model stands in for a saved confirmation run.
    path = tmp_path / "epochs_80_seed3.keras"
    shutil.copy(TRAINED_DIR / "best.keras", path)
    import keras

    data = load_course_split(fast=False, seed=3)
    val = validation_scores(
        keras.saving.load_model(path),
        candidate_recipe(CANDIDATE),
        *data.validation_data,
    )["val_accuracy"]
    run = row(CANDIDATE, val, seed=3, saved_to=str(path))
    test = score_on_test(run)
    assert test["test_images"] == 10_000 and 0.9 < test["test_accuracy"] < 1
    assert len(test["model_sha256"]) == 64
    with pytest.raises(UserError, match="is not the run that was judged"):
        score_on_test({**run, "val_accuracy": val - 0.01})
    with pytest.raises(UserError, match="Train it again with --save-models"):
        score_on_test({key: value for key, value in run.items() if key != "saved_to"})


def test_the_cli_records_the_confirmation_and_the_readme_still_renders(
    tmp_path, capsys
):
    source = tmp_path / "runs.json"
    source.write_text(
        json.dumps(with_candidates(runs([0.950, 0.944, 0.949], [0.947, 0.948, 0.946])))
    )
    results = tmp_path / "results.json"
    results.write_text(json.dumps(load_results()))
    readme = tmp_path / "README.md"
    readme.write_text("# t\n<!-- results:start -->\n<!-- results:end -->\n")
    args = ["bench", "confirm", "--runs", str(source), "--results", str(results)]
    assert main([*args, "--readme", str(readme)]) == 0
    out = capsys.readouterr().out
    assert "+0.30 / -0.40 / +0.30" in out and "no test image scored" in out
    entry = load_results(results)["confirmation"]["cpu"]
    assert entry["verdict"]["promoted"] is False and "test" not in entry
    assert load_results(results)["candidates"] == load_results()["candidates"]
    page = results_page(load_results(results), None)
    assert f"### Confirming `{CANDIDATE}` on fresh seeds (CPU)" in page
    assert "| 4 | 94.80 | 94.40 | -0.40 |" in page
    assert "**not promoted: `best` stays**. No test image was scored." in page
    assert main(["bench", "confirm", "--runs", str(tmp_path / "none.json")]) == 2
    assert "Expected candidate runs for cpu" in capsys.readouterr().err
