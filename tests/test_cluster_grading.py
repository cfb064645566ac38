"""Grading on a Dask cluster gives the table grading here gives, and loses nothing.

Four submissions of the fake lesson 98 (two solved, a stub, a wrong answer)
are graded locally and then through a `LocalCluster` of two worker processes
on 127.0.0.1, sandboxed on the workers as they are here. A third run kills a
worker while it grades: its student is graded elsewhere, once.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import threading
import time

import nbformat
import pytest
from exercise_fixtures import write_fake_lesson, write_graded_checks

distributed = pytest.importorskip("distributed")

from fmnist_course.grading.grade import grade_submissions  # noqa: E402
from fmnist_course.grading.handouts import build_exercises  # noqa: E402
from fmnist_course.grading.sandbox import Limits, sandbox_problem  # noqa: E402

LIMITS = Limits(seconds=120, memory_bytes=4 * 2**30, max_processes=256)


@pytest.fixture(scope="module")
def class_of_four(tmp_path_factory):
    problem = sandbox_problem()
    if problem:
        pytest.fail(f"These tests need bubblewrap; run `make setup`. {problem}")
    root = tmp_path_factory.mktemp("class")
    handout = root / "handout"
    build_exercises(
        handout,
        [write_fake_lesson(root / "lessons")],
        graded_dir=write_graded_checks(root / "graded"),
    )
    student = nbformat.read(handout / "student" / "98_fake.ipynb", as_version=4)
    solved = nbformat.read(handout / "instructor" / "98_fake.ipynb", as_version=4)
    wrong = nbformat.from_dict(json.loads(json.dumps(student)))
    stub_line = next(
        line for line in wrong.cells[3].source.splitlines() if "raise" in line
    )
    wrong.cells[3].source = wrong.cells[3].source.replace(stub_line, "answer = 41")
    submissions = root / "submissions"
    submissions.mkdir()
    for name, notebook in {
        "ann": solved,
        "ben": student,
        "cid": wrong,
        "dee": solved,
    }.items():
        nbformat.write(notebook, submissions / f"{name}.ipynb")
    return handout, submissions


@pytest.fixture(scope="module")
def cluster(local_cluster):
    return local_cluster


def grade(class_of_four, out_csv, **options):
    handout, submissions = class_of_four
    records = grade_submissions(
        [submissions], assignment=handout, out_csv=out_csv, limits=LIMITS, **options
    )
    return records, out_csv.read_text()


def test_the_cluster_gives_the_local_table(class_of_four, cluster, tmp_path):
    _, local = grade(class_of_four, tmp_path / "local" / "grades.csv", workers=2)
    _, remote = grade(
        class_of_four,
        tmp_path / "cluster" / "grades.csv",
        scheduler=cluster.scheduler_address,
    )
    assert remote == local
    totals = {
        row["student"]: row["total"] for row in csv.DictReader(io.StringIO(local))
    }
    assert (totals["ann"], totals["ben"], totals["dee"]) == ("2", "0", "2")
    assert totals["cid"] in ("0", "1")  # a wrong answer scores nothing for it
    assert (tmp_path / "cluster" / "executed").is_dir()


def test_a_worker_killed_mid_grading_loses_nobody(class_of_four, cluster, tmp_path):
    with distributed.Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
    out_csv = tmp_path / "killed" / "grades.csv"
    result = {}

    def run():
        result["records"], result["csv"] = grade(
            class_of_four, out_csv, scheduler=cluster.scheduler_address
        )

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(8)  # the sandboxes are starting their kernels
    os.kill(pids[0], signal.SIGKILL)
    thread.join(timeout=600)
    assert not thread.is_alive()
    students = sorted(record["student"] for record in result["records"])
    assert students == ["ann", "ben", "cid", "dee"]
    ledger = out_csv.with_suffix(".jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["student"] for line in ledger) == students
    assert len(result["csv"].splitlines()) == 5  # a header and one row each
