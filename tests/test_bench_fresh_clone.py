"""`bench fresh-clone`: a newcomer's `make course`, on a stand-in repository.

The stand-in's Makefile does in milliseconds what the course's does in
minutes: `make course` writes a record with a build's `course_runtime`, so
the tests exercise cloning, timing, the clean environment and what is
recorded, not the course itself.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from fmnist_course.bench import fresh_clone
from fmnist_course.bench.schema import validate_results
from fmnist_course.bench.targets import evaluate_targets
from fmnist_course.cli.main import main
from fmnist_course.errors import UserError

MAKEFILE = """\
setup:
\t@sleep 0.2
course:
\t@sleep 0.2
\t@mkdir -p fmnist_course
\t@echo "FMNIST_BF16=[$$FMNIST_BF16] PYTHONPATH=[$$PYTHONPATH]" > env.txt
\t@python3 -c 'import json, datetime; now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"); print(json.dumps({"course_runtime": {"cpu": {"lessons": [{"lesson": "00_the_data", "seconds": 1.0}], "total_seconds": 1.0, "wall_seconds": 1.0, "jobs": 1, "machine": {"cpu_model": "stand-in", "logical_cores": 2, "device": "cpu", "gpus": [], "tensorflow": "2", "keras": "3"}, "measured_at": now}}}))' > fmnist_course/results.json
"""  # noqa: E501


def stand_in_repo(tmp_path, makefile=MAKEFILE):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "Makefile").write_text(makefile)
    (repo / "built-here.txt").write_text("untracked: must not travel")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git[:3], "init", "--quiet"], check=True)
    subprocess.run([*git, "add", "Makefile"], check=True)
    subprocess.run([*git, "commit", "--quiet", "-m", "stand-in"], check=True)
    return repo


def test_a_fresh_clone_is_timed_in_a_newcomers_environment(tmp_path, monkeypatch):
    repo = stand_in_repo(tmp_path)
    monkeypatch.setenv("FMNIST_BF16", "0")  # as every benchmark sets it
    monkeypatch.setenv("PYTHONPATH", "/somewhere/else")
    work = tmp_path / "work"
    measured = fresh_clone.measure_fresh_clone(repo, work_dir=work, log=lambda _: None)
    assert measured["setup_seconds"] >= 0 and measured["course_seconds"] >= 0
    assert len(measured["commit"]) == 40
    assert measured["course_runtime"]["wall_seconds"] == 1.0
    clone = work / "course"
    assert not (clone / "built-here.txt").exists(), "only the commit travels"
    assert (clone / "env.txt").read_text().strip() == "FMNIST_BF16=[] PYTHONPATH=[]"
    assert (work / "make-course.log").is_file()


def test_a_record_from_before_the_build_is_not_taken_for_it(tmp_path):
    stale = MAKEFILE.replace("now = datetime", "old = datetime").replace(
        '"measured_at": now', '"measured_at": "2020-01-01T00:00:00Z"'
    )
    repo = stand_in_repo(tmp_path, stale)
    measured = fresh_clone.measure_fresh_clone(
        repo, work_dir=tmp_path / "work", log=lambda _: None
    )
    assert measured["course_runtime"] is None


def test_a_failing_step_names_its_log_and_a_full_directory_is_refused(tmp_path):
    repo = stand_in_repo(tmp_path, "setup:\n\t@exit 3\ncourse:\n\t@true\n")
    with pytest.raises(UserError, match=r"`make setup` failed .*exit 2.*make-setup"):
        fresh_clone.measure_fresh_clone(
            repo, work_dir=tmp_path / "work", log=lambda _: None
        )
    with pytest.raises(FileExistsError, match="Expected an empty directory"):
        fresh_clone.measure_fresh_clone(
            repo, work_dir=tmp_path / "work", log=lambda _: None
        )


def test_the_command_records_the_target_and_the_clones_build(tmp_path, monkeypatch):
    repo = stand_in_repo(tmp_path)
    real = fresh_clone.measure_fresh_clone
    monkeypatch.setattr(
        "fmnist_course.cli.bench_fresh_clone.measure_fresh_clone",
        lambda work_dir: real(repo, work_dir=work_dir, log=lambda _: None),
    )
    results = tmp_path / "results.json"
    results.write_text("{}")
    given = ["--results", str(results), "--readme", str(tmp_path / "none.md")]
    work = ["--work-dir", str(tmp_path / "work")]
    assert main(["bench", "fresh-clone", *work, *given]) == 0
    recorded = json.loads(results.read_text())
    validate_results(recorded)
    assert recorded["course_runtime"]["cpu"]["wall_seconds"] == 1.0
    (row,) = [
        t
        for t in evaluate_targets(recorded)["cpu"]
        if t["name"] == "fresh_clone_course"
    ]
    assert row["met"] and row["measured"] < 1
    assert row["note"].startswith("set-up ")
