"""The site build orchestration: which lessons are re-executed, errors, the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from types import SimpleNamespace

import pytest

from fmnist_course.authoring import execute, lesson_cache
from fmnist_course.authoring.lesson_cache import CACHE_KEY_FIELD, cache_key
from fmnist_course.authoring.lesson_files import read_lesson
from fmnist_course.cli.main import build_parser, main
from fmnist_course.results import RESULTS_PATH
from fmnist_course.settings import RETRAIN_ENV
from fmnist_course.website import build as site


def test_is_cached_follows_the_lesson_text_and_mode(tmp_path, monkeypatch):
    monkeypatch.setattr(execute, "EXECUTED_DIR", tmp_path / "executed")
    lesson = tmp_path / "01_tiny.py"
    lesson.write_text("# %%\nx = 1\n")
    assert not site.is_cached(lesson, fast=True)
    target = tmp_path / "executed" / "fast" / "01_tiny.ipynb"
    target.parent.mkdir(parents=True)
    target.write_text(
        json.dumps({"metadata": {CACHE_KEY_FIELD: cache_key(lesson, True)}})
    )
    assert site.is_cached(lesson, fast=True)
    assert not site.is_cached(lesson, fast=False)
    lesson.write_text("# %%\nx = 2\n")
    assert not site.is_cached(lesson, fast=True)


def test_a_prose_edit_keeps_the_cached_outputs_and_refreshes_the_text(tmp_path):
    import nbformat

    lesson = tmp_path / "01_tiny.py"
    lesson.write_text("# %% [markdown]\n# Old words\n\n# %%\nx = 1\nx\n")
    executed = read_lesson(lesson)
    executed.cells[1].outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "1"}, execution_count=1)
    ]
    executed.metadata[CACHE_KEY_FIELD] = cache_key(lesson, True)
    target = tmp_path / "executed" / "01_tiny.ipynb"
    target.parent.mkdir()
    nbformat.write(executed, target)

    lesson.write_text("# %% [markdown]\n# New words\n\n# %%\nx = 1\nx\n")
    assert cache_key(lesson, True) == executed.metadata[CACHE_KEY_FIELD]
    execute.execute_lesson(lesson, fast=True, output_dir=target.parent)
    refreshed = nbformat.read(target, as_version=4)
    assert refreshed.cells[0].source == "New words"
    assert refreshed.cells[1].outputs[0]["data"]["text/plain"] == "1"

    lesson.write_text("# %% [markdown]\n# New words\n\n# %%\nx = 2\nx\n")
    assert cache_key(lesson, True) != executed.metadata[CACHE_KEY_FIELD]


def _library_copy(tmp_path):
    """A small library with a recorded result, and a tooling package beside it."""
    library = tmp_path / "fmnist_course"
    (library / "bench").mkdir(parents=True)
    (library / "training.py").write_text("EPOCHS = 10\n")
    (library / "bench" / "speed.py").write_text("RUNS = 2\n")
    shutil.copy(RESULTS_PATH, library / "results.json")
    return library


def test_cache_key_follows_the_library_the_lessons_run(tmp_path):
    library = _library_copy(tmp_path)
    lesson = tmp_path / "01_tiny.py"
    lesson.write_text("# %%\nx = 1\n")
    before = cache_key(lesson, False, library)
    (library / "bench" / "speed.py").write_text("RUNS = 3\n")
    assert cache_key(lesson, False, library) == before  # lessons never import bench
    (library / "training.py").write_text("EPOCHS = 12\n")
    assert cache_key(lesson, False, library) != before
    (library / "tuning").mkdir()
    (library / "tuning" / "space.py").write_text("SPACE = {}\n")  # a new module
    assert cache_key(lesson, False, library) != cache_key(lesson, True, library)


def test_the_retrain_switch_re_executes_the_lessons(tmp_path, monkeypatch):
    """Guards: `FMNIST_RETRAIN=1 fmnist-course site build` runs the lessons
    again (they train what they otherwise load) instead of reusing pages."""
    library = _library_copy(tmp_path)
    lesson = tmp_path / "02_tiny.py"
    lesson.write_text("# %%\nx = 1\n")
    monkeypatch.delenv(RETRAIN_ENV, raising=False)
    loaded = cache_key(lesson, False, library)
    monkeypatch.setenv(RETRAIN_ENV, "0")
    assert cache_key(lesson, False, library) == loaded
    monkeypatch.setenv(RETRAIN_ENV, "1")
    assert cache_key(lesson, False, library) != loaded


def test_a_changed_recorded_number_re_executes_the_lesson(tmp_path, monkeypatch):
    """Lessons print from the record: a new number must not leave a stale page."""
    library = _library_copy(tmp_path)
    monkeypatch.setattr(lesson_cache, "LIBRARY_DIR", library)
    runs = []

    def fake_execute(notebook, **_):
        runs.append(notebook)
        return notebook

    monkeypatch.setattr(execute, "execute_notebook", fake_execute)
    lesson = tmp_path / "04_tiny.py"
    lesson.write_text("# %%\nprint(load_results()['ladder'][0]['test_accuracy'])\n")
    output_dir = tmp_path / "executed"
    execute.execute_lesson(lesson, fast=True, output_dir=output_dir, report=None)
    execute.execute_lesson(lesson, fast=True, output_dir=output_dir, report=None)
    assert len(runs) == 1  # the second build reused the cached lesson

    recorded = json.loads((library / "results.json").read_text())
    recorded["ladder"][0]["test_accuracy"] += 0.01
    (library / "results.json").write_text(json.dumps(recorded))
    execute.execute_lesson(lesson, fast=True, output_dir=output_dir, report=None)
    assert len(runs) == 2


def test_recording_the_builds_own_measurements_keeps_the_lessons_cached(tmp_path):
    """Guards: a full build records its runtimes before MkDocs renders the pages;
    that must not make MkDocs execute every lesson a second time."""
    library = _library_copy(tmp_path)
    lesson = tmp_path / "04_tiny.py"
    lesson.write_text("# %%\nx = 1\n")
    before = cache_key(lesson, False, library)
    path = library / "results.json"
    recorded = json.loads(path.read_text())
    for section in lesson_cache.BUILD_SECTIONS:
        recorded[section] = {"cpu": {"measured_at": "2030-01-01T00:00:00Z"}}
    path.write_text(json.dumps(recorded, indent=1))
    assert cache_key(lesson, False, library) == before
    recorded["ladder"][0]["test_accuracy"] += 0.01
    path.write_text(json.dumps(recorded))
    assert cache_key(lesson, False, library) != before


def test_build_site_needs_a_config(tmp_path):
    with pytest.raises(FileNotFoundError, match="No MkDocs configuration"):
        site.build_site(fast=True, config=tmp_path / "mkdocs.yml", log=lambda _: None)


def test_execute_lessons_with_no_lessons_runs_nothing():
    lines = []
    assert site.execute_lessons(fast=True, lessons=[], log=lines.append) == []
    assert lines == []


def test_cli_site_build_options():
    args = build_parser().parse_args(["site", "build", "--fast", "--force"])
    assert (args.fast, args.force) == (True, True)
    assert args.site_dir.endswith("site")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["site"])


def test_site_build_exits_non_zero_when_a_lesson_fails(tmp_path, monkeypatch, capsys):
    """`fmnist-course site build` fails with its lesson: non-zero, and no site built."""
    lesson = tmp_path / "01_broken.py"
    lesson.write_text(
        "# %% [markdown]\n# # A broken lesson\n\n"
        '# %%\nraise RuntimeError("this lesson is broken")\n'
    )
    monkeypatch.setattr(site, "_site_lessons", lambda: [lesson])
    monkeypatch.setattr(execute, "EXECUTED_DIR", tmp_path / "executed")
    # Without the setup cell the kernel skips importing Keras: a second, not six.
    monkeypatch.setattr(execute, "add_setup_cell", lambda notebook: notebook)
    mkdocs_runs = []

    def run_mkdocs(command, **_):
        mkdocs_runs.append(command)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(site, "subprocess", SimpleNamespace(run=run_mkdocs))

    status = main(["site", "build", "--fast", "--site-dir", str(tmp_path / "site")])
    error = capsys.readouterr().err
    assert status != 0, "site build exited 0 after a lesson failed"
    assert mkdocs_runs == [], "the site was built from a failed lesson"
    assert "01_broken.py failed" in error and "this lesson is broken" in error


def _executed(tmp_path, name, seconds, cpu_seconds=None):
    path = tmp_path / f"{name}.ipynb"
    metadata = {} if seconds is None else {execute.RUNTIME_FIELD: seconds}
    if cpu_seconds is not None:
        metadata[execute.CPU_FIELD] = cpu_seconds
    path.write_text(json.dumps({"metadata": metadata, "cells": []}))
    return path


def test_course_runtime_sums_each_lessons_recorded_runtime(tmp_path):
    executed = [
        _executed(tmp_path, "00_the_data", 14.2),
        _executed(tmp_path, "01_dense_baseline", 58.0),
    ]
    entry = site.course_runtime(executed)
    assert entry["lessons"] == [
        {"lesson": "00_the_data", "seconds": 14.2},
        {"lesson": "01_dense_baseline", "seconds": 58.0},
    ]
    assert entry["total_seconds"] == 72.2
    assert entry["machine"]["device"] in ("cpu", "gpu")
    assert "total_cpu_seconds" not in entry
    with pytest.raises(ValueError, match="does not record its runtime"):
        site.course_runtime([_executed(tmp_path, "02_convolutions", None)])


def test_course_runtime_sums_cpu_time_only_when_every_lesson_has_it(tmp_path):
    executed = [
        _executed(tmp_path, "00_the_data", 14.2, cpu_seconds=20.5),
        _executed(tmp_path, "01_dense_baseline", 58.0, cpu_seconds=101.0),
    ]
    entry = site.course_runtime(executed)
    assert entry["lessons"][1] == {
        "lesson": "01_dense_baseline",
        "seconds": 58.0,
        "cpu_seconds": 101.0,
    }
    assert entry["total_cpu_seconds"] == 121.5
    entry = site.course_runtime([*executed, _executed(tmp_path, "02_cnn", 9.0)])
    assert "total_cpu_seconds" not in entry  # one lesson ran before CPU time
    assert all("cpu_seconds" not in lesson for lesson in entry["lessons"])


def test_recording_the_course_runtime_updates_results_and_readme(tmp_path):
    from fmnist_course.bench.readme import END_MARKER, START_MARKER
    from fmnist_course.bench.record import per_device, record
    from fmnist_course.results import load_results

    results = tmp_path / "results.json"
    readme = tmp_path / "README.md"
    readme.write_text(f"# Course\n{START_MARKER}\n{END_MARKER}\n")
    entry = site.course_runtime([_executed(tmp_path, "00_the_data", 120.0)])
    lines = []
    record(
        results,
        "course_runtime",
        per_device(results, "course_runtime", entry),
        readme=readme,
        log=lines.append,
    )
    recorded = load_results(results)
    assert recorded["course_runtime"]["cpu"]["total_seconds"] == 120.0
    by_name = {t["name"]: t for t in recorded["targets"]["cpu"]}
    assert by_name["lesson_runtime"]["measured"] == 2.0
    # No wall time: this build did not execute every lesson (see `build_site`).
    assert by_name["course_wall_time"]["measured"] is None
    assert not by_name["course_wall_time"]["met"]
    # The README shows the runtime targets; the table is the results page's.
    text = readme.read_text()
    assert "within 5 minutes of wall time on 2 cores | 2.0 min (slowest:" in text
    assert (
        "20 minutes of wall time on 2 cores | not measured: run `fmnist-course " in text
    )
    assert any("README updated" in line for line in lines)


@pytest.fixture
def full_build(tmp_path, monkeypatch):
    """A full-mode `build_site` on two stand-in lessons and a minimal site.

    Executing is replaced by notebooks that carry a runtime, so the test
    exercises what the build records, not the lessons themselves.
    """
    from fmnist_course.bench import record

    lessons = [tmp_path / "00_the_data.py", tmp_path / "01_dense_baseline.py"]
    monkeypatch.setattr(site, "_site_lessons", lambda: lessons)
    executed = [
        _executed(tmp_path, "00_the_data", 20.0),
        _executed(tmp_path, "01_dense_baseline", 70.0),
    ]
    monkeypatch.setattr(site, "execute_lessons", lambda **_: executed)
    readme = tmp_path / "README.md"
    readme.write_text("# Course\n")
    monkeypatch.setattr(record, "README_PATH", readme)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n")
    config = tmp_path / "mkdocs.yml"
    config.write_text("site_name: test\n")
    results = tmp_path / "results.json"

    def build(cached: set[str], readings: list[float]):
        monkeypatch.setattr(
            site, "is_cached", lambda lesson, fast: lesson.stem in cached
        )
        calls = iter(readings)
        site.build_site(
            config=config,
            site_dir=tmp_path / "site",
            results=results,
            log=lambda _: None,
            speed=lambda: next(calls),
        )
        assert next(calls, None) is None, "the speed was read too few times"
        return json.loads(results.read_text())["course_runtime"]["cpu"]

    return build


def _reading(images_per_second, images_per_cpu_second):
    return {
        "images_per_second": images_per_second,
        "images_per_cpu_second": images_per_cpu_second,
    }


BEFORE, AFTER = _reading(1300.0, 700.25), _reading(1250.5, 690.0)


def test_a_full_build_reads_the_machine_speed_around_the_lessons(full_build):
    entry = full_build(cached={"00_the_data"}, readings=[BEFORE, AFTER])
    assert entry["total_seconds"] == 90.0
    assert entry["measured_at"].endswith("Z")  # a fresh clone's build is told by it
    assert entry["machine_speed"] == {
        "model": "challenge",
        "method": "plain model.fit, batch 128",
        "timed_seconds": site.SPEED_READING_SECONDS,
        "before_images_per_second": 1300.0,
        "before_images_per_cpu_second": 700.2,
        "after_images_per_second": 1250.5,
        "after_images_per_cpu_second": 690.0,
        "lessons_executed": ["01_dense_baseline"],
    }


def test_a_build_that_reuses_every_lesson_keeps_the_recorded_reading(full_build):
    full_build(cached=set(), readings=[BEFORE, AFTER])
    entry = full_build(cached={"00_the_data", "01_dense_baseline"}, readings=[])
    assert entry["machine_speed"]["lessons_executed"] == [
        "00_the_data",
        "01_dense_baseline",
    ]
    assert entry["machine_speed"]["after_images_per_second"] == 1250.5


def test_a_build_of_every_lesson_records_its_wall_time(full_build, monkeypatch):
    """Lessons side by side take less than the sum of their times: record both."""
    from fmnist_course.bench.sections.runtime_table import course_runtime_markdown

    monkeypatch.setattr(site, "logical_cores", lambda: 2)
    entry = full_build(cached=set(), readings=[BEFORE, AFTER])
    assert entry["jobs"] == 2 and 0 <= entry["wall_seconds"] < entry["total_seconds"]
    text = "\n".join(course_runtime_markdown({"cpu": entry}))
    assert "The build ran 2 lessons at once:" in text
    entry = full_build(cached={"00_the_data"}, readings=[BEFORE, AFTER])
    assert "wall_seconds" not in entry  # a partial build's wall time is no course's


def test_the_readme_shows_the_machine_speed_of_the_build():
    from fmnist_course.bench.sections.runtime_table import course_runtime_markdown

    machine = {
        "device": "cpu",
        "cpu_model": "AMD EPYC",
        "logical_cores": 2,
        "memory_gib": 23.5,
        "tensorflow": "2.21.0",
        "keras": "3.15.1",
    }
    lessons = [
        {"lesson": "00_the_data", "seconds": 20.0},
        {"lesson": "04_regularization_and_the_challenge", "seconds": 70.0},
    ]
    reading = site.machine_speed_entry(
        BEFORE, AFTER, ["04_regularization_and_the_challenge"]
    )
    runtime = {"lessons": lessons, "total_seconds": 90.0, "machine": machine}
    text = "\n".join(
        course_runtime_markdown({"cpu": {**runtime, "machine_speed": reading}})
    )
    assert "(lessons 04 executed)" in text
    assert "1,300 images/s (700 per CPU-second) just before" in text
    assert "1,250 images/s (690 per CPU-second) just after" in text
    assert "timed for 20 s" in text
    assert "Machine speed" not in "\n".join(course_runtime_markdown({"cpu": runtime}))


def test_a_reading_recorded_before_cpu_time_is_shown_without_it():
    from fmnist_course.bench.sections.runtime_table import machine_speed_sentence

    reading = {
        "before_images_per_second": 2555.0,
        "after_images_per_second": 2569.7,
        "lessons_executed": ["00_the_data"],
    }
    text = machine_speed_sentence(reading, {"lessons": [{}]})
    assert "trained 2,555 images/s just before the lessons and 2,570" in text
    assert "CPU-second" not in text and "timed for" not in text


def test_a_retraining_build_leaves_the_recorded_runtime_alone(
    full_build, tmp_path, monkeypatch
):
    """Guards: the runtime targets time the default build, not a retraining one."""
    first = full_build(cached=set(), readings=[BEFORE, AFTER])
    monkeypatch.setenv(RETRAIN_ENV, "1")
    assert full_build(cached=set(), readings=[]) == first


def test_a_retraining_build_records_how_its_recipes_compare_with_the_ladder(
    full_build, tmp_path, monkeypatch
):
    """Guards the retrain target: the build records what its lessons printed."""
    from fmnist_course.results import load_results
    from fmnist_course.retrained import retrain_agreement

    # The record holds the ladder row the agreements compare with, so that
    # the target counts them (an agreement with no such row does not count).
    ladder = [r for r in load_results()["ladder"] if r["model"] == "cnn"]
    (tmp_path / "results.json").write_text(json.dumps({"ladder": ladder}))
    near = retrain_agreement("cnn", 0.9120, "float32", results={"ladder": ladder})
    far = retrain_agreement("cnn", 0.8900, "float32", results={"ladder": ladder})
    notebook = tmp_path / "01_dense_baseline.ipynb"
    content = json.loads(notebook.read_text())
    content["cells"] = [
        {
            "cell_type": "code",
            "outputs": [
                {"output_type": "stream", "name": "stdout", "text": [f"{near}\n"]},
                {"output_type": "stream", "name": "stdout", "text": f"{far}\n"},
            ],
        }
    ]
    notebook.write_text(json.dumps(content))
    monkeypatch.setenv(RETRAIN_ENV, "1")
    with pytest.raises(KeyError):  # no course_runtime: only retrain_build
        full_build(cached=set(), readings=[])
    recorded = json.loads((tmp_path / "results.json").read_text())
    entry = recorded["retrain_build"]["cpu"]
    assert entry["lessons"] == ["00_the_data", "01_dense_baseline"]
    assert [(a["lesson"], a["agrees"]) for a in entry["agreements"]] == [
        ("01_dense_baseline", True),
        ("01_dense_baseline", False),
    ]
    assert entry["agreements"][1]["difference"] == -2.06
    target = {t["name"]: t for t in recorded["targets"]["cpu"]}["retrain_course"]
    assert target["measured"] == 0.5 and not target["met"]
    own = "not compared in its own lesson: best, challenge, cnn, cnn_dropout"
    assert own in target["note"]


def test_a_partly_cached_retraining_build_records_nothing(
    full_build, tmp_path, monkeypatch
):
    monkeypatch.setenv(RETRAIN_ENV, "1")
    with pytest.raises(FileNotFoundError):  # nothing was recorded at all
        full_build(cached={"00_the_data"}, readings=[])


def test_a_retraining_build_whose_site_fails_records_nothing(
    full_build, tmp_path, monkeypatch
):
    """Guards the retrain target: "the course builds" includes the site."""
    import subprocess

    failed = subprocess.CompletedProcess([], 1, "", "ERROR - a broken link")
    monkeypatch.setattr(site.subprocess, "run", lambda *_, **__: failed)
    monkeypatch.setenv(RETRAIN_ENV, "1")
    with pytest.raises(site.SiteBuildError, match="a broken link"):
        full_build(cached=set(), readings=[])
    assert not (tmp_path / "results.json").exists()
