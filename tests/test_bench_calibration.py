"""`bench calibration`: a shipped model's calibration, recorded and rendered.

The model here is an untrained `best` network saved as the ladder saves one
(today's fingerprint), scored on a few hundred test images: seconds, not
the minute or two of the real 10,000.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from fmnist_course import recipes, trained_models
from fmnist_course.bench.calibration import measure_calibration
from fmnist_course.bench.results_markdown import render_results_markdown
from fmnist_course.bench.schema import validate_calibration_entry, validate_results
from fmnist_course.bench.sections.calibration_table import HEADING
from fmnist_course.calibration import expected_calibration_error
from fmnist_course.calibration_record import (
    recorded_calibration,
    recorded_reliability_tables,
)
from fmnist_course.cli.main import main
from fmnist_course.fast_mode import load_course_split
from fmnist_course.fingerprints import fingerprint, fingerprint_digest
from fmnist_course.models import build_model
from fmnist_course.settings import PEAK_PROBE_ENV
from fmnist_course.trained_models import load_shipped, shipped_paths
from fmnist_course.website.results_page import calibration_plot_png, results_page

TEST_SIZE = 300


def write_fake_shipped(directory: Path, name: str = "best") -> None:
    """An untrained model saved as the ladder saves one, with today's fingerprint."""
    model = build_model(recipes.RECIPES[name].model)
    model_path, metadata_path = shipped_paths(name, directory)
    directory.mkdir(parents=True, exist_ok=True)
    model.save(model_path)
    recorded = fingerprint(name)
    metadata = {
        "name": name,
        "seed": 0,
        "test_accuracy": 0.1,
        "history": [{"epoch": 1, "accuracy": 0.1}],
        "keras_sha256": trained_models._file_sha256(model_path),
        "fingerprint_sha256": fingerprint_digest(recorded),
        "fingerprint": recorded,
    }
    metadata_path.write_text(json.dumps(metadata))


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("trained")
    write_fake_shipped(directory)
    return directory


@pytest.fixture(scope="module")
def entry(models_dir):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(PEAK_PROBE_ENV, "0")
        return measure_calibration(
            "best", models_dir=models_dir, test_size=TEST_SIZE, log=lambda line: None
        )


def test_the_entry_says_which_model_and_scores_it_both_ways(entry, models_dir):
    metadata = load_shipped("best", models_dir).metadata
    assert entry["model"] == "best" and entry["seed"] == 0
    assert entry["keras_sha256"] == metadata["keras_sha256"]
    assert entry["fingerprint_sha256"] == metadata["fingerprint_sha256"]
    assert entry["test_images"] == TEST_SIZE and entry["bins"] == 15
    assert entry["recipe_test_time_augmentation"] is True
    assert set(entry["scorings"]) == {"model_alone", "test_time_augmentation"}
    validate_calibration_entry(entry)
    json.dumps(entry, allow_nan=False)  # no NaN: empty bins are None


def test_the_model_alone_is_scored_as_its_predictions_say(entry, models_dir):
    model = load_shipped("best", models_dir).model
    data = load_course_split(fast=False, test_size=TEST_SIZE)
    probabilities = model.predict(data.x_test, verbose=0)
    alone = entry["scorings"]["model_alone"]
    right = probabilities.argmax(axis=1) == data.y_test
    assert alone["accuracy"] == pytest.approx(right.mean(), abs=1e-4)
    assert alone["mean_confidence"] == pytest.approx(
        probabilities.max(axis=1).mean(), abs=1e-4
    )
    assert alone["ece"] == pytest.approx(
        expected_calibration_error(probabilities, data.y_test), abs=1e-4
    )


def test_the_schema_refuses_a_table_that_does_not_add_up(entry):
    for change, message in [
        (lambda e: e["scorings"]["model_alone"].update(ece=0.9), "its table gives"),
        (lambda e: e.update(test_images=TEST_SIZE + 1), f"counts {TEST_SIZE} images"),
        (lambda e: e.update(bins=14), "should have 14 bins, not 15"),
        (lambda e: e["scorings"].clear(), "one scoring at least"),
        (
            lambda e: e["scorings"]["model_alone"]["table"][0].update(
                images=1, confidence=None
            ),
            r"table\[0\] has images but no confidence",
        ),
    ]:
        broken = copy.deepcopy(entry)
        change(broken)
        with pytest.raises(ValueError, match=message):
            validate_results({"calibration": {"cpu": broken}})


def test_the_record_renders_on_the_results_page(entry):
    results = {"calibration": {"cpu": entry}}
    text = render_results_markdown(results)
    assert HEADING in text
    table = recorded_calibration(results)
    assert list(table.index) == ["model alone", "ten views (test-time augmentation)"]
    assert f"seed 0, fingerprint {entry['fingerprint_sha256'][:8]}" in text
    alone = entry["scorings"]["model_alone"]
    assert f"{alone['ece']:.4f}" in text
    filled = sum(
        1
        for index, row in enumerate(alone["table"])
        if row["images"]
        or entry["scorings"]["test_time_augmentation"]["table"][index]["images"]
    )
    bins_rows = [line for line in text.splitlines() if line.startswith("| 0.")]
    assert len(bins_rows) == filled
    tables = recorded_reliability_tables(results)
    assert [int(t["images"].sum()) for t in tables.values()] == [TEST_SIZE] * 2
    png = calibration_plot_png(results)
    assert png.startswith(b"\x89PNG")
    page = results_page(results, None, "results-calibration.png")
    assert "![Reliability diagram" in page
    assert "Not measured yet: calibration" not in page
    assert "Not measured yet: calibration" in results_page({}, None)


def test_the_command_records_into_the_results_file(
    models_dir, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv(PEAK_PROBE_ENV, "0")
    results = tmp_path / "results.json"
    readme = tmp_path / "README.md"
    arguments = ["bench", "calibration", "--models-dir", str(models_dir)]
    shortened = [*arguments, "--test-size", "100"]
    assert main([*shortened, "--readme", str(readme), "--json"]) == 0
    out = capsys.readouterr().out
    assert "not recorded: a shortened run (--test-size)" in out
    assert "model alone" in out and "test time augmentation" in out
    assert json.loads(out.strip().splitlines()[-1])["test_images"] == 100
    assert not results.exists()
    assert main([*shortened, "--results", str(results), "--readme", str(readme)]) == 0
    recorded = json.loads(results.read_text())
    validate_results(recorded)
    assert recorded["calibration"]["cpu"]["test_images"] == 100


def test_the_command_refuses_a_missing_model_and_bad_bins(tmp_path, capsys):
    empty = ["bench", "calibration", "--models-dir", str(tmp_path), "--test-size"]
    assert main([*empty, "100"]) == 2
    assert "No shipped model 'best'" in capsys.readouterr().err
    assert main([*empty, "100", "--bins", "0"]) == 2
    assert "Expected --bins >= 1. Received: 0" in capsys.readouterr().err
