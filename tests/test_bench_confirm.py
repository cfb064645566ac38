"""The confirmation of the search's leader: a rule fixed first, test read once."""

import copy
import hashlib
import json
import math
import shutil

import pytest
from test_bench_candidates import row, with_candidates

from fmnist_course.bench import confirm_runs
from fmnist_course.bench.candidate_runs import CONFIRMATION_RUNS, merge_candidate_rows
from fmnist_course.bench.confirm_runs import (
    confirmation_entry,
    load_judged_model,
    with_test_scores,
)
from fmnist_course.bench.schema import validate_results
from fmnist_course.bench.validation_runs import sha256_of, validation_scores
from fmnist_course.candidates import SEARCHED, candidate_recipe, recipe_settings
from fmnist_course.cli import bench_candidates
from fmnist_course.cli.main import main
from fmnist_course.confirmation import (
    CANDIDATE,
    RECIPE_DIGESTS,
    ROUNDS,
    SECOND,
    SEEDS,
    judge,
    settings_digest,
)
from fmnist_course.errors import UserError
from fmnist_course.fast_mode import load_course_split
from fmnist_course.recipes import RECIPES, without_final_fit
from fmnist_course.results import load_results
from fmnist_course.trained_models import TRAINED_DIR
from fmnist_course.website import confirmation_page
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


LOSING = ([0.950, 0.944, 0.949], [0.947, 0.948, 0.946])
WINNING = ([0.951, 0.952, 0.949], [0.947, 0.948, 0.946])


@pytest.fixture
def no_models(monkeypatch):
    """Rows without saved models: each counts as the run it records."""
    loaded = []

    def judged(run, data):
        loaded.append((run["candidate"], run["seed"]))
        made_up = hashlib.sha256(f"{run['candidate']}{run['seed']}".encode())
        return None, run.get("model_sha256", made_up.hexdigest())

    monkeypatch.setattr(confirm_runs, "load_course_split", lambda *a, **k: None)
    monkeypatch.setattr(confirm_runs, "load_judged_model", judged)
    return loaded


def test_the_pinned_recipes_are_todays():
    for rule in ROUNDS:
        for name, digest in rule.digests.items():
            assert settings_digest(recipe_settings(candidate_recipe(name))) == digest
    assert ROUNDS[0].digests is RECIPE_DIGESTS
    assert set(SECOND.digests) == {SECOND.candidate, SECOND.baseline}
    # Every judged run of every round is held once, never re-rolled.
    assert {(SECOND.candidate, 3), ("epochs_80", 5), ("best", 4)} <= CONFIRMATION_RUNS


def test_the_course_ships_the_promoted_candidate_as_best():
    # Lesson 07's promise: `best` changed only because the recorded
    # confirmation promoted the candidate, and into exactly its settings;
    # its final fit on the validation images too is the one thing added.
    verdict = load_results()["confirmation"]["cpu"]["verdict"]
    assert RECIPES["best"].final_fit and not candidate_recipe(CANDIDATE).final_fit
    shipped = recipe_settings(without_final_fit(RECIPES["best"]))
    assert verdict["promoted"] is True
    assert shipped == recipe_settings(candidate_recipe(CANDIDATE))
    assert settings_digest(shipped) == RECIPE_DIGESTS[CANDIDATE]
    assert RECIPES["best"].lesson == "07" and RECIPES[SEARCHED].lesson == ""


def test_a_candidate_not_promoted_scores_no_test_image(no_models):
    entry = confirmation_entry(runs(*LOSING))
    assert entry["verdict"]["promoted"] is False and "test" not in entry
    assert [(r["candidate"], r["seed"]) for r in entry["rows"]] == [
        ("best", 3), ("best", 4), ("best", 5),
        (CANDIDATE, 3), (CANDIDATE, 4), (CANDIDATE, 5),
    ]  # fmt: skip
    assert sorted(no_models) == sorted(
        (r["candidate"], r["seed"]) for r in entry["rows"]
    )
    validate_results({"confirmation": {"cpu": entry}})
    with pytest.raises(UserError, match="promoted recipe only"):
        with_test_scores(entry)
    forged = {**entry, "test": {"runs": [], "test_accuracy": 0.95}}
    with pytest.raises(ValueError, match="was not promoted"):
        validate_results({"confirmation": {"cpu": forged}})
    forged = copy.deepcopy(entry)
    forged["verdict"]["promoted"] = True
    with pytest.raises(ValueError, match="should be what the rule gives"):
        validate_results({"confirmation": {"cpu": forged}})
    for key, value in [("spreads", 1), ("baseline", "wider")]:
        with pytest.raises(ValueError, match="as fmnist_course.confirmation fixed it"):
            validate_results({"confirmation": {"cpu": {**entry, key: value}}})
    forged = copy.deepcopy(entry)
    del forged["rows"][0]["model_sha256"]
    with pytest.raises(ValueError, match=r"rows\[0\] lacks key 'model_sha256'"):
        validate_results({"confirmation": {"cpu": forged}})
    forged = copy.deepcopy(entry)
    forged["rows"][0]["train_images"] = 540
    with pytest.raises(ValueError, match="are not runs the confirmation judges"):
        validate_results({"confirmation": {"cpu": forged}})


def test_a_promoted_candidate_reads_the_test_set_once_per_own_run(
    no_models, monkeypatch
):
    entry = confirmation_entry(runs(*WINNING))
    assert entry["verdict"]["differences"] == [0.4, 0.4, 0.3]
    assert entry["verdict"]["promoted"] is True
    no_models.clear()

    class Split:
        def __init__(self, seed):
            self.x_test, self.y_test = [0] * 10_000, seed

    def scores(model, recipe, x, y):
        return {"val_accuracy": 0.947 + y / 1000, "val_accuracy_model_alone": 0.94}

    monkeypatch.setattr(
        confirm_runs, "load_course_split", lambda d, fast, seed: Split(seed)
    )
    monkeypatch.setattr(confirm_runs, "validation_scores", scores)
    monkeypatch.setattr(confirm_runs, "describe_machine", lambda: entry["machine"])
    scored = with_test_scores(entry)
    assert no_models == [(CANDIDATE, s) for s in SEEDS]  # never best's models
    assert scored["test"]["test_accuracy"] == 0.951
    assert scored["test"]["test_accuracy_min"] == 0.950
    assert [run["seed"] for run in scored["test"]["runs"]] == list(SEEDS)
    validate_results({"confirmation": {"cpu": scored}})
    with pytest.raises(UserError, match="promoted recipe only"):
        with_test_scores(scored)  # the test set is read once
    forged = copy.deepcopy(scored)
    forged["test"]["test_accuracy"] = 0.99
    with pytest.raises(
        ValueError, match=r"test_accuracy should be 0.951 from the runs"
    ):
        validate_results({"confirmation": {"cpu": forged}})
    forged = copy.deepcopy(scored)
    forged["test"]["runs"][0]["model_sha256"] = "1" * 64
    with pytest.raises(ValueError, match="should be the judged run's model's"):
        validate_results({"confirmation": {"cpu": forged}})
    for key, value, says in [
        ("test_images", 17, "should be the whole test set"),
        ("seed", "3", "should be an int"),
    ]:
        forged = copy.deepcopy(scored)
        forged["test"]["runs"][0][key] = value
        with pytest.raises(ValueError, match=says):
            validate_results({"confirmation": {"cpu": forged}})
    forged = copy.deepcopy(scored)
    forged["test"]["runs"][0] = 5
    with pytest.raises(ValueError, match=r"runs\[0\] should be"):
        validate_results({"confirmation": {"cpu": forged}})
    forged = copy.deepcopy(scored)
    forged["test"]["machine"] = {**forged["test"]["machine"], "device": "gpu"}
    with pytest.raises(ValueError, match="should be the judged runs' machine"):
        validate_results({"confirmation": {"cpu": forged}})
    forged = copy.deepcopy(scored)
    forged["measured_at"] = "1999-01-01T00:00:00Z"
    with pytest.raises(ValueError, match="measured_at should be its latest run's"):
        validate_results({"confirmation": {"cpu": forged}})
    page = results_page({"confirmation": {"cpu": scored}}, None)
    assert "**promoted**. Its test accuracy, read once per run: 95.10% mean" in page


def test_bad_runs_are_refused_before_any_verdict(no_models):
    shortened = runs(*WINNING, train_images=540, validation_images=60)
    with pytest.raises(UserError, match="on all 60,000 training images"):
        confirmation_entry(shortened)
    with pytest.raises(UserError, match=r"seeds \[5\] lack one"):
        confirmation_entry(runs(*WINNING)[:-3])
    other = recipe_settings(candidate_recipe("wider"))
    with pytest.raises(
        UserError,
        match=r"pinned .* differ from today's recipe: \['epochs', 'model_kwargs'\]",
    ):
        confirmation_entry(
            [*runs(*WINNING)[:5], row(CANDIDATE, 0.95, seed=5, recipe=other)]
        )
    with pytest.raises(UserError, match="Received two"):
        confirmation_entry([*runs(*WINNING), row(CANDIDATE, 0.96, seed=5)])
    # The one-image floor and the length come from the course, not the row.
    moved = runs(*WINNING, train_images=1, validation_images=59_999)
    with pytest.raises(UserError, match="the course's 6,000 validation images"):
        confirmation_entry(moved)
    with pytest.raises(UserError, match="to train all 40 epochs"):
        confirmation_entry(runs(*WINNING, epochs=1))
    early = runs(*WINNING, measured_at="2026-12-06T01:00:00Z")
    with pytest.raises(UserError, match="to finish after the rule was fixed"):
        confirmation_entry(early)
    elsewhere = {**row(CANDIDATE, 0.949, seed=5)["machine"], "cpu_model": "Other CPU"}
    with pytest.raises(UserError, match="on one machine"):
        confirmation_entry(
            [*runs(*WINNING)[:5], row(CANDIDATE, 0.949, seed=5, machine=elsewhere)]
        )


def test_a_confirmation_run_is_never_re_rolled_in_the_record(tmp_path, capsys):
    first = [row(CANDIDATE, 0.95, seed=4)]
    with pytest.raises(UserError, match="never re-rolled"):
        merge_candidate_rows(first, [row(CANDIDATE, 0.96, seed=4)])
    assert merge_candidate_rows(first, [row(CANDIDATE, 0.96, seed=0)])  # the search's
    # Through the CLI, refused before anything trains.
    results = tmp_path / "results.json"
    results.write_text(json.dumps(with_candidates(first)))
    args = ["bench", "candidates", "--variants", CANDIDATE, "best", "--seeds", "4", "5"]
    assert main([*args, "--results", str(results)]) == 2
    err = capsys.readouterr().err
    assert "('epochs_80', 4)" in err  # held in this record
    assert "('best', 5)" in err  # judged in the course's record
    assert load_results(results) == with_candidates(first)


def test_a_saved_model_is_judged_only_if_it_is_the_run_recorded(tmp_path):
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
    run = row(CANDIDATE, val, seed=3, saved_to=str(path), model_sha256=sha256_of(path))
    model, sha = load_judged_model(run, data)
    assert sha == run["model_sha256"] and model is not None
    with pytest.raises(UserError, match="is not the run that was judged"):
        load_judged_model({**run, "val_accuracy": val - 0.01}, data)
    with pytest.raises(UserError, match="the file was replaced"):
        load_judged_model({**run, "model_sha256": "0" * 64}, data)
    with pytest.raises(UserError, match="Train it again with --save-models"):
        load_judged_model({k: v for k, v in run.items() if k != "saved_to"}, data)
    wrong = tmp_path / "epochs_80_seed4.keras"
    shutil.copy(path, wrong)
    with pytest.raises(UserError, match="which is not that file"):
        load_judged_model({**run, "saved_to": str(wrong)}, data)


def test_the_cli_judges_once_and_records_the_confirmation(
    tmp_path, capsys, no_models, monkeypatch
):
    source = tmp_path / "runs.json"
    source.write_text(json.dumps(with_candidates(runs(*LOSING))))
    results = tmp_path / "results.json"
    rounds = {rule.section for rule in ROUNDS}
    course = {k: v for k, v in load_results().items() if k not in rounds}
    results.write_text(json.dumps(course))  # the course's own confirmations aside
    readme = tmp_path / "README.md"
    readme.write_text("# t\n<!-- results:start -->\n<!-- results:end -->\n")
    args = ["bench", "confirm", "--round", "1", "--runs", str(source)]
    args += ["--results", str(results)]
    # Other runs of a round the course's record has judged are refused, even
    # when they would be written to another record.
    assert main([*args, "--readme", str(readme)]) == 2
    assert "Seeds are never re-rolled" in capsys.readouterr().err
    monkeypatch.setattr(bench_candidates, "RESULTS_PATH", results)
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
    # Judging the same runs again changes nothing; other runs are refused.
    assert main([*args, "--readme", str(readme)]) == 0
    assert load_results(results)["confirmation"]["cpu"] == entry
    source.write_text(json.dumps(with_candidates(runs(*WINNING))))
    assert main([*args, "--readme", str(readme)]) == 2
    assert "a confirmation is judged once" in capsys.readouterr().err
    # A forged runs file is refused before anything is judged.
    forged = with_candidates(runs(*LOSING))
    forged["candidates"]["cpu"]["rows"][0]["test_accuracy"] = 0.99
    source.write_text(json.dumps(forged))
    assert main([*args, "--readme", str(readme)]) == 2
    assert "is not a valid record" in capsys.readouterr().err
    # So is a malformed record to write to, for the judge and for the search.
    malformed = tmp_path / "malformed.json"
    malformed.write_text(json.dumps({"confirmation": {"cpu": 5}}))
    source.write_text(json.dumps(with_candidates(runs(*LOSING))))
    judge = ["bench", "confirm", "--round", "1", "--runs", str(source)]
    assert main([*judge, "--results", str(malformed)]) == 2
    assert "malformed.json is not a valid record" in capsys.readouterr().err
    search = ["bench", "candidates", "--variants", "wider", "--seeds", "0"]
    assert main([*search, "--results", str(malformed)]) == 2
    assert "malformed.json is not a valid record" in capsys.readouterr().err
    assert main(["bench", "confirm", "--runs", str(tmp_path / "none.json")]) == 2
    assert "none.json. Received no such file" in capsys.readouterr().err
    bare = {k: v for k, v in course.items() if k != "candidates"}
    source.write_text(json.dumps(bare))  # a record without candidate runs
    assert main([*args, "--readme", str(readme)]) == 2
    assert "Expected candidate runs for cpu" in capsys.readouterr().err


def test_the_second_round_reads_the_first_rounds_judged_baseline(
    tmp_path, capsys, no_models, monkeypatch
):
    course = load_results()
    first = course["confirmation"]["cpu"]
    machine = first["rows"][0]["machine"]
    name = SECOND.candidate
    scores = {3: 0.9540, 4: 0.9490, 5: 0.9512}  # +0.12, -0.08, +0.12: not promoted
    late = "2026-12-06T16:00:00Z"  # after the rule was fixed
    trained = [
        row(name, a, seed=s, machine=machine, measured_at=late)
        for s, a in scores.items()
    ]
    source = tmp_path / "runs.json"
    source.write_text(json.dumps(with_candidates(trained)))
    results = tmp_path / "results.json"
    kept = {k: v for k, v in course.items() if k != SECOND.section}
    results.write_text(json.dumps(kept))
    args = ["bench", "confirm", "--round", "2", "--runs", str(source)]
    # The course's record has judged this round on other runs: refused.
    assert main([*args, "--results", str(results)]) == 2
    assert "Seeds are never re-rolled" in capsys.readouterr().err
    monkeypatch.setattr(bench_candidates, "RESULTS_PATH", results)
    assert main([*args, "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert f"{name} against epochs_80, seeds 3, 4, 5" in out
    assert "+0.12 / -0.08 / +0.12" in out and "no test image scored" in out
    recorded = load_results(results)
    validate_results(recorded)
    entry = recorded[SECOND.section]["cpu"]

    def baseline(rows):
        return [r for r in rows if r["candidate"] == "epochs_80"]

    assert baseline(entry["rows"]) == baseline(first["rows"])
    assert len(baseline(entry["rows"])) == 3
    assert recorded["confirmation"]["cpu"] == first  # the first round is untouched
    page = results_page(recorded, None)
    assert f"### Confirming `{name}` against `epochs_80`, a second round" in page
    assert "| 3 | 95.28 | 95.40 | +0.12 |" in page
    promoted = {**entry, "verdict": {**entry["verdict"], "promoted": True}}
    page = results_page({SECOND.section: {"cpu": promoted}}, None)
    assert f"`best` becomes `{name}` once the ladder has measured it" in page
    # Once the course ships the second round's candidate, the first round's
    # text says epochs_80 was best until then.
    monkeypatch.setattr(
        confirmation_page, "_ships", lambda candidate: candidate == name
    )
    both = {"confirmation": course["confirmation"], SECOND.section: {"cpu": promoted}}
    page = results_page(both, None)
    assert f"shipped it as `best` until a later round promoted `{name}`" in page
    assert f"The course now ships `{name}` as `best`." in page
    # A forged round is refused by the schema: another margin, baseline runs
    # that are not the first round's, or no first round at all.
    with pytest.raises(ValueError, match="as fmnist_course.confirmation fixed it"):
        validate_results({**recorded, SECOND.section: {"cpu": {**entry, "spreads": 1}}})
    weaker = copy.deepcopy(entry)
    for r in weaker["rows"]:
        if r["candidate"] == "epochs_80":
            r["val_accuracy"] -= 0.005
    weaker["verdict"] = judge(weaker["rows"], SECOND)
    with pytest.raises(ValueError, match="judged runs from confirmation.cpu"):
        validate_results({**recorded, SECOND.section: {"cpu": weaker}})
    alone = {k: v for k, v in recorded.items() if k != "confirmation"}
    with pytest.raises(ValueError, match="judge that round first"):
        validate_results(alone)
    with pytest.raises(ValueError, match="the device it is filed under"):
        validate_results({**recorded, SECOND.section: {"gpu": entry}})
    # A run of the round that finished before its rule was fixed is refused.
    early = [{**r, "measured_at": "2026-12-06T14:00:00Z"} for r in trained]
    with pytest.raises(UserError, match="to finish after the rule was fixed"):
        confirmation_entry([*early, *first["rows"]], rule=SECOND)
    # The same runs in the runs file too count once; a new one is a re-roll.
    same = [*trained, *first["rows"]]
    source.write_text(json.dumps(with_candidates(same)))
    assert main([*args, "--results", str(results)]) == 0
    capsys.readouterr()
    again = [
        *trained,
        row("epochs_80", 0.96, seed=3, machine=machine, measured_at=late),
    ]
    source.write_text(json.dumps(with_candidates(again)))
    del recorded[SECOND.section]
    results.write_text(json.dumps(recorded))
    assert main([*args, "--results", str(results)]) == 2
    assert "Received two" in capsys.readouterr().err
    # Without the first round's judged runs, the second cannot be judged.
    del recorded["confirmation"]
    results.write_text(json.dumps(recorded))
    source.write_text(json.dumps(with_candidates(trained)))
    assert main([*args, "--results", str(results)]) == 2
    assert "Judge that round first" in capsys.readouterr().err


@pytest.mark.parametrize(
    "forge, says",
    [
        (
            lambda r: r["confirmation"].update(gpu=r["confirmation"]["cpu"]),
            "the device it is filed under",
        ),
        (
            lambda r: r["candidates"].update(gpu=r["candidates"]["cpu"]),
            "the device it is filed under",
        ),
        (
            lambda r: r["confirmation"]["cpu"]["test"].update(test_accuracy=math.nan),
            "should be 0.9471 from the runs",
        ),
        (
            lambda r: r["confirmation"]["cpu"]["test"].update(
                measured_at="2026-12-06T08:00:00+05:00"  # 03:00 UTC, before the runs
            ),
            "a UTC time after the judged runs",
        ),
        (
            lambda r: r[SECOND.section]["cpu"]["rows"][3].update(recipe=None),
            "are not runs the confirmation judges",
        ),
        (
            lambda r: r["candidates"]["cpu"]["machine"].update(device="gpu"),
            r"candidates\.cpu\.machine\.device should be 'cpu'",
        ),
        (
            lambda r: r["candidates"]["cpu"].update(measured_at="not a time"),
            r"candidates\.cpu\.measured_at should be an ISO time with a zone",
        ),
        (
            lambda r: r["confirmation"]["cpu"]["rows"][0].update(
                measured_at="2026-12-06 01:47"
            ),
            r"confirmation\.cpu\.rows\[0\]\.measured_at should be an ISO time",
        ),
        (
            lambda r: r["candidates"]["cpu"].update(seeds=["0", 1, 2]),
            r"candidates\.cpu\.seeds\[0\] should be an int",
        ),
        (
            lambda r: r[SECOND.section]["cpu"].update(seeds=[None, 4, 5]),
            r"second_confirmation\.cpu\.seeds\[0\] should be an int",
        ),
    ],
)
def test_a_forged_confirmation_is_refused_not_crashed_on(forge, says):
    forged = copy.deepcopy(load_results())
    forge(forged)
    with pytest.raises(ValueError, match=says):
        validate_results(forged)


def test_the_latest_run_is_found_by_its_time_not_its_text():
    record = copy.deepcopy(load_results())
    rows = record["confirmation"]["cpu"]["rows"]
    first = next(row for row in rows if row["candidate"] == "best")
    # 02:00 UTC: before the round's last run, though its text sorts after it.
    first["measured_at"] = "2026-12-06T07:00:00+05:00"
    validate_results(record)
    first["measured_at"] = "2026-12-07T00:00:00Z"  # now it is the latest
    with pytest.raises(
        ValueError, match=r"confirmation\.cpu\.\w+ should be its latest"
    ):
        validate_results(record)
