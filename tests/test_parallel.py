"""Tests of `fmnist_course.parallel`: executors, results as they finish, progress."""

import builtins
import concurrent.futures
import io
import os
import threading
import time

import pytest

from fmnist_course import parallel


def test_progress_counts_workers_and_estimates_time_left(monkeypatch):
    clock = iter([100.0, 110.0, 130.0])
    monkeypatch.setattr(parallel.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    workers = [2]
    progress = parallel.Progress(4, "trials", workers=lambda: workers[0], stream=stream)
    progress.update()  # 1 of 4 after 10 s: 30 s left
    workers[0] = 3  # a worker joined
    progress.update(3)
    first, last = stream.getvalue().splitlines()
    assert first == "1/4 trials, 2 workers, about 0 min 30 s left"
    assert last == "4/4 trials, 3 workers, done in 30.0 s"


def test_run_tasks_yields_as_tasks_finish():
    def slow_then_fast(delay):
        time.sleep(delay)
        return delay

    with concurrent.futures.ThreadPoolExecutor(2) as executor:
        order = [
            result
            for _, result in parallel.run_tasks(executor, slow_then_fast, [0.5, 0.0])
        ]
    assert order == [0.0, 0.5]


def test_a_failing_task_raises_and_the_tasks_not_started_are_dropped():
    started = []
    lock = threading.Lock()

    def task(item):
        with lock:
            started.append(item)
        if item == "boom":
            raise ValueError("boom")
        time.sleep(0.05)
        return item

    items = ["boom", *range(20)]
    with concurrent.futures.ThreadPoolExecutor(1) as executor:
        with pytest.raises(ValueError, match="boom"):
            list(parallel.run_tasks(executor, task, items))
    assert len(started) < len(items)  # the rest were cancelled, not run


def test_worker_count_and_bad_arguments():
    with concurrent.futures.ThreadPoolExecutor(3) as executor:
        assert parallel.worker_count(executor) == 3
    with pytest.raises(ValueError, match="Received: workers=0"):
        with parallel.open_executor(workers=0):
            pass
    with pytest.raises(ValueError, match="Received: retries=-1"):
        with parallel.open_executor(workers=1, retries=-1):
            pass


def test_scheduler_address_prefers_the_argument(monkeypatch):
    monkeypatch.setenv(parallel.SCHEDULER_ENV, "tcp://from-env:8786")
    assert parallel.scheduler_address() == "tcp://from-env:8786"
    assert parallel.scheduler_address("tcp://given:8786") == "tcp://given:8786"
    monkeypatch.delenv(parallel.SCHEDULER_ENV)
    assert parallel.scheduler_address() is None


def test_a_scheduler_without_dask_names_the_extra(monkeypatch):
    real_import = builtins.__import__

    def no_dask(name, *args, **kwargs):
        if name.startswith("distributed"):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_dask)
    with pytest.raises(ImportError, match=r"fmnist-course\[cluster\]"):
        with parallel.open_executor(scheduler="tcp://127.0.0.1:8786"):
            pass


def test_local_workers_are_fresh_processes_with_their_share_of_cores(monkeypatch):
    monkeypatch.delenv("TF_NUM_INTRAOP_THREADS", raising=False)
    with parallel.open_executor(workers=2) as executor:
        assert parallel.worker_count(executor) == 2
        results = dict(
            parallel.run_tasks(executor, os.getenv, ["TF_NUM_INTRAOP_THREADS"] * 2)
        )
    share = str(max(1, parallel.default_workers() // 2))
    assert results == {"TF_NUM_INTRAOP_THREADS": share}
    assert os.getenv("TF_NUM_INTRAOP_THREADS") is None  # set there, not here


def test_check_worker_reports_version_data_and_sandbox(real_data_dir):
    report = parallel.check_worker()
    assert report["data"].startswith("ok: ")
    assert report["fmnist_course"] == __import__("fmnist_course").__version__
    assert report["bwrap"]  # a version, or what to install
