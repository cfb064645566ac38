"""`site build` runs lessons side by side: order, dependencies, threads, failure.

Most tests replace `execute_lesson` with a fake that sleeps and records when
each lesson started and ended, so they check the scheduling, not the lessons.
Two run tiny lessons in real kernels, to check what the fake cannot: each
kernel's environment and CPU time, and that a failure leaves no kernel running.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import nbformat
import pytest

from fmnist_course.authoring import execute
from fmnist_course.authoring.execute import LessonCancelled, LessonError
from fmnist_course.authoring.lesson_files import (
    LESSON_DEPENDENCIES,
    LESSONS_DIR,
    lesson_paths,
)
from fmnist_course.cli.main import build_parser
from fmnist_course.settings import THREAD_ENV
from fmnist_course.website import build as site


class FakeExecutor:
    """Stands in for `execute_lesson`: sleeps per lesson, records what it saw."""

    def __init__(self, tmp_path: Path, seconds: dict[str, float], fail=()):
        self.tmp_path = tmp_path
        self.seconds = seconds
        self.fail = set(fail)
        self.times: dict[str, tuple[float, float]] = {}
        self.environments: dict[str, dict] = {}
        self.cancelled: set[str] = set()
        self.lock = threading.Lock()

    def __call__(self, lesson, *, fast, force=False, environment=None, cancel=None):
        stem = Path(lesson).stem
        start = time.monotonic()
        with self.lock:
            self.environments[stem] = dict(environment or {})
        seconds = self.seconds.get(stem, 0.01)
        stopped = cancel.wait(seconds) if cancel else time.sleep(seconds) or False
        with self.lock:
            self.times[stem] = (start, time.monotonic())
        if stopped:
            self.cancelled.add(stem)
            raise LessonCancelled(f"{stem} was stopped before its end")
        if stem in self.fail:
            raise LessonError(f"{stem}.py failed:\nRuntimeError: this lesson is broken")
        return self.tmp_path / f"{stem}.ipynb"


@pytest.fixture
def fake(tmp_path, monkeypatch):
    def make(seconds, fail=()):
        executor = FakeExecutor(tmp_path, seconds, fail)
        monkeypatch.setattr(site, "execute_lesson", executor)
        return executor

    return make


def lessons(tmp_path, *stems):
    return [tmp_path / f"{stem}.py" for stem in stems]


def test_lessons_run_side_by_side_and_report_in_course_order(tmp_path, fake):
    executor = fake({"00_a": 0.4, "01_b": 0.05, "02_c": 0.15})
    lines = []
    executed = site.execute_lessons(
        lessons=lessons(tmp_path, "00_a", "01_b", "02_c"),
        force=True,
        jobs=3,
        log=lines.append,
    )
    assert [path.stem for path in executed] == ["00_a", "01_b", "02_c"]
    assert [line.split(":")[0] for line in lines] == ["00_a", "01_b", "02_c"]
    end_a = executor.times["00_a"][1]
    start_b, end_b = executor.times["01_b"]
    assert start_b < end_a and end_b < end_a, "01 did not run beside 00"


def test_a_lesson_starts_after_the_lesson_it_loads_from(tmp_path, fake):
    executor = fake({"06_x": 0.05, "07_saves": 0.4})
    stems = ("06_x", "07_saves", "08_loads")
    executed = site.execute_lessons(
        lessons=lessons(tmp_path, *stems),
        force=True,
        jobs=3,
        log=lambda _: None,
        dependencies={"08_loads": ("07_saves",)},
    )
    assert [path.stem for path in executed] == list(stems)
    times = executor.times
    assert times["08_loads"][0] >= times["07_saves"][1]
    assert times["06_x"][0] < times["07_saves"][1]  # beside 07


def test_dependencies_are_data_and_a_cycle_is_refused(tmp_path, fake):
    executor = fake({"00_a": 0.2})
    site.execute_lessons(
        lessons=lessons(tmp_path, "00_a", "01_b"),
        force=True,
        jobs=2,
        log=lambda _: None,
        dependencies={"00_a": ("01_b",)},  # against course order
    )
    assert executor.times["00_a"][0] >= executor.times["01_b"][1]
    with pytest.raises(ValueError, match="depend on each other"):
        site.execute_lessons(
            lessons=lessons(tmp_path, "00_a", "01_b"),
            force=True,
            log=lambda _: None,
            dependencies={"00_a": ("01_b",), "01_b": ("00_a",)},
        )


def test_the_course_dependencies_name_lessons_that_load_those_runs():
    stems = {path.stem for path in lesson_paths()}
    for lesson, needs in LESSON_DEPENDENCIES.items():
        assert lesson in stems, f"{lesson} is not a lesson"
        source = (LESSONS_DIR / f"{lesson}.py").read_text(encoding="utf-8")
        for needed in needs:
            assert needed in stems, f"{lesson} depends on {needed}, not a lesson"
            assert f"lesson{needed[:2]}-" in source, f"{lesson} loads no {needed} run"


def test_a_lesson_that_loads_another_lessons_run_waits_for_it():
    # A run name `lessonNN-...` of another lesson in a lesson's source means
    # it loads what that lesson saved; lessons 03 and 08 did until they
    # loaded the shipped models, and their dependencies went with it.
    for path in lesson_paths():
        source = path.read_text(encoding="utf-8")
        loaded = set(re.findall(r"[\"']lesson(\d\d)-", source)) - {path.stem[:2]}
        needs = {needed[:2] for needed in LESSON_DEPENDENCIES.get(path.stem, ())}
        assert loaded <= needs, f"{path.stem} loads runs of lessons {loaded - needs}"


@pytest.mark.parametrize(("jobs", "threads"), [(1, "4"), (2, "2"), (3, "1")])
def test_each_kernel_gets_its_share_of_the_cores(
    tmp_path, fake, monkeypatch, jobs, threads
):
    monkeypatch.setattr(site, "logical_cores", lambda: 4)
    executor = fake({})
    site.execute_lessons(
        lessons=lessons(tmp_path, "00_a", "01_b", "02_c"),
        force=True,
        jobs=jobs,
        log=lambda _: None,
    )
    for environment in executor.environments.values():
        assert {environment[name] for name in THREAD_ENV} == {threads}


def test_one_lesson_left_to_run_gets_every_core(tmp_path, fake, monkeypatch):
    monkeypatch.setattr(site, "logical_cores", lambda: 4)
    monkeypatch.setattr(
        site, "needs_execution", lambda lesson, **_: lesson.stem == "01_b"
    )
    executor = fake({})
    site.execute_lessons(lessons=lessons(tmp_path, "00_a", "01_b"), log=lambda _: None)
    assert executor.environments["01_b"]["TF_NUM_INTRAOP_THREADS"] == "4"


def test_a_failure_stops_the_others_and_raises_its_error(tmp_path, fake):
    executor = fake({"00_broken": 0.05, "01_long": 30.0}, fail={"00_broken"})
    start = time.monotonic()
    with pytest.raises(LessonError, match="00_broken.py failed") as raised:
        site.execute_lessons(
            lessons=lessons(tmp_path, "00_broken", "01_long", "02_queued"),
            force=True,
            jobs=2,
            log=lambda _: None,
        )
    assert not isinstance(raised.value, LessonCancelled)
    assert time.monotonic() - start < 10, "the build waited for the long lesson"
    assert executor.cancelled == {"01_long"}
    assert "02_queued" not in executor.times, "a lesson started after the failure"


def test_jobs_below_one_is_refused(tmp_path):
    with pytest.raises(ValueError, match="Received: jobs=0"):
        site.execute_lessons(lessons=lessons(tmp_path, "00_a"), jobs=0)


def test_cli_site_build_takes_jobs():
    args = build_parser().parse_args(["site", "build", "--jobs", "2"])
    assert args.jobs == 2
    assert build_parser().parse_args(["site", "build"]).jobs is None


@pytest.fixture
def real_kernels(tmp_path, monkeypatch):
    """Lessons run in real kernels, without the setup cell (no Keras import)."""
    monkeypatch.setattr(execute, "EXECUTED_DIR", tmp_path / "executed")
    monkeypatch.setattr(execute, "add_setup_cell", lambda notebook: notebook)
    for name in THREAD_ENV:
        monkeypatch.delenv(name, raising=False)

    def write(stem, *cells):
        path = tmp_path / f"{stem}.py"
        path.write_text("".join(f"# %%\n{cell}\n\n" for cell in cells))
        return path

    return write


def test_real_kernels_run_side_by_side_with_their_threads_and_cpu_time(
    real_kernels, monkeypatch
):
    monkeypatch.setattr(site, "logical_cores", lambda: 2)
    program = (
        "import os\nsum(range(3_000_000))\n"
        "print(os.environ['TF_NUM_INTRAOP_THREADS'], os.environ['OMP_NUM_THREADS'])"
    )
    paths = [real_kernels("00_a", program), real_kernels("01_b", program)]
    executed = site.execute_lessons(
        lessons=paths, fast=True, force=True, jobs=2, log=lambda _: None
    )
    for path in executed:
        notebook = nbformat.read(path, as_version=4)
        assert notebook.cells[0].outputs[0]["text"] == "1 1\n"
        assert notebook.metadata[execute.CPU_FIELD] > 0


def test_a_failing_real_lesson_leaves_no_kernel_running(real_kernels, tmp_path):
    pid_file = tmp_path / "kernel.pid"
    broken = real_kernels(
        "00_broken",
        f"import os, time\nwhile not os.path.exists({str(pid_file)!r}):\n"
        "    time.sleep(0.1)",
        'raise RuntimeError("this lesson is broken")',
    )
    waiting = real_kernels(
        "01_waiting",
        f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))",
        "time.sleep(300)",
    )
    start = time.monotonic()
    with pytest.raises(LessonError, match="this lesson is broken"):
        site.execute_lessons(
            lessons=[broken, waiting], fast=True, force=True, jobs=2, log=lambda _: None
        )
    assert time.monotonic() - start < 120
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)  # the waiting lesson's kernel is gone
    assert not (tmp_path / "executed" / "fast" / "01_waiting.ipynb").exists()
