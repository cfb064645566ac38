"""Where independent tasks run: a local pool of processes, or a Dask cluster.

Grading submissions and running the trials of a search are both lists of
independent tasks. The library takes any `concurrent.futures.Executor`-like
object for them, so one code path serves a local `ProcessPoolExecutor` and a
Dask cluster's `Client.get_executor()`. `open_executor` picks one;
`run_tasks` submits the tasks, hands back each result as soon as it arrives
(so the caller can write it at once) and shows progress.

Examples:
    >>> with open_executor(workers=2) as executor:  # doctest: +SKIP
    ...     for item, result in run_tasks(executor, abs, [-1, -2]):
    ...         print(item, result)
    -1 1
    -2 2

"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
"""Dask's own variable: when set, work goes to the cluster it names."""


def default_workers() -> int:
    """The number of usable cores: the default number of local workers.

    Examples:
        >>> default_workers() >= 1
        True

    """
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def scheduler_address(scheduler: str | None = None) -> str | None:
    """The Dask scheduler to use: `scheduler`, else `DASK_SCHEDULER_ADDRESS`.

    Examples:
        >>> scheduler_address("tcp://127.0.0.1:8786")
        'tcp://127.0.0.1:8786'

    """
    return scheduler or os.environ.get(SCHEDULER_ENV) or None


@contextlib.contextmanager
def open_executor(
    workers: int | None = None, scheduler: str | None = None
) -> Iterator[concurrent.futures.Executor]:
    """An executor for independent tasks, closed (and its workers ended) on exit.

    Args:
        workers: Local worker processes; defaults to the number of cores.
            Ignored on a cluster, whose workers are its own.
        scheduler: A Dask scheduler address such as `tcp://HOST:8786`; when
            `None`, `DASK_SCHEDULER_ADDRESS` is used if set, else work runs
            locally.

    Raises:
        ValueError: `workers` is below 1.
        ImportError: A scheduler is named but Dask is not installed (the
            message names the extra to install).

    """
    if workers is not None and workers < 1:
        raise ValueError(f"Expected at least 1 worker. Received: workers={workers}")
    address = scheduler_address(scheduler)
    if address is None:
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=workers or default_workers()
        ) as executor:
            yield executor
        return
    try:
        from distributed import Client
    except ImportError:
        raise ImportError(
            f"Running on the Dask cluster at {address} needs Dask: "
            "pip install 'fmnist-course[cluster]'."
        ) from None
    with Client(address) as client:
        yield client.get_executor()


class Progress:
    """A one-line progress report: done, workers, estimated time left.

    On a terminal it redraws one line; elsewhere (CI, a log) it prints one
    line per finished task.

    Examples:
        >>> import io
        >>> stream = io.StringIO()
        >>> progress = Progress(2, "submissions", workers=1, stream=stream)
        >>> progress.update()
        >>> "1/2 submissions" in stream.getvalue()
        True

    """

    def __init__(
        self,
        total: int,
        noun: str,
        *,
        workers: int | Callable[[], int] = 1,
        stream: TextIO | None = None,
    ) -> None:
        self.total = total
        self.noun = noun
        self.done = 0
        self._workers = workers
        self._stream = stream if stream is not None else sys.stderr
        self._start = time.monotonic()

    def workers(self) -> int:
        """The number of workers in use now."""
        return self._workers() if callable(self._workers) else self._workers

    def line(self) -> str:
        """The current report, e.g. `3/10 submissions, 2 workers, 1 min 5 s left`."""
        elapsed = time.monotonic() - self._start
        text = f"{self.done}/{self.total} {self.noun}, {self.workers()} workers"
        if 0 < self.done < self.total:
            left = elapsed / self.done * (self.total - self.done)
            minutes, seconds = divmod(round(left), 60)
            text += f", about {minutes} min {seconds} s left"
        elif self.done == self.total:
            text += f", done in {elapsed:.1f} s"
        return text

    def update(self, count: int = 1) -> None:
        """Count `count` more finished tasks and show the report."""
        self.done += count
        if self._stream.isatty():
            end = "\n" if self.done >= self.total else ""
            print(f"\r{self.line()}", end=end, file=self._stream, flush=True)
        else:
            print(self.line(), file=self._stream, flush=True)


def run_tasks(
    executor: concurrent.futures.Executor,
    function: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    progress: Progress | None = None,
) -> Iterator[tuple[Any, Any]]:
    """Run `function(item)` for every item; yield `(item, result)` as each ends.

    Results come back in the order they finish, not the order given, so a
    caller that writes each one at once keeps every finished task when the
    run is interrupted. A task that raises re-raises here.

    Examples:
        >>> with concurrent.futures.ThreadPoolExecutor(2) as executor:
        ...     sorted(result for _, result in run_tasks(executor, abs, [-1, -2]))
        [1, 2]

    """
    futures = {executor.submit(function, item): item for item in items}
    for future in concurrent.futures.as_completed(futures):
        result = future.result()
        if progress is not None:
            progress.update()
        yield futures[future], result
