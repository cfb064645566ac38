"""Where independent tasks run: a local pool of processes, or a Dask cluster.

Grading submissions and running the trials of a search are both lists of
independent tasks. The library takes any `concurrent.futures.Executor`-like
object for them, so one code path serves a local `ProcessPoolExecutor` and a
Dask cluster's `Client.get_executor()`. `open_executor` picks one;
`run_tasks` submits the tasks, hands back each result as soon as it arrives
(so the caller can write it at once) and shows progress (`Progress`, with
`worker_count` workers). `check_worker` is what to run on every worker of a
cluster before sending it work (see the "On a cluster" page).

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
import multiprocessing
import os
import platform
import shutil
import socket
import subprocess
import sys
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TextIO

from fmnist_course.machine import logical_cores
from fmnist_course.settings import quiet_tensorflow_logs, thread_environment

SCHEDULER_ENV = "DASK_SCHEDULER_ADDRESS"
"""Dask's own variable: when set, work goes to the cluster it names."""
INSECURE_CLUSTER_ENV = "FMNIST_INSECURE_CLUSTER"
"""Set to 1 (or pass --insecure-cluster) to accept a plain tcp:// cluster."""


_WORKER_COUNTS: weakref.WeakKeyDictionary[Any, Callable[[], int]] = (
    weakref.WeakKeyDictionary()
)  # how `open_executor` counts the workers of each executor it opened


def default_workers() -> int:
    """The number of usable cores: the default number of local workers.

    Examples:
        >>> default_workers() >= 1
        True

    """
    return logical_cores()


def scheduler_address(scheduler: str | None = None) -> str | None:
    """The Dask scheduler to use: `scheduler`, else `DASK_SCHEDULER_ADDRESS`.

    Examples:
        >>> scheduler_address("tcp://127.0.0.1:8786")
        'tcp://127.0.0.1:8786'

    """
    return scheduler or os.environ.get(SCHEDULER_ENV) or None


def cluster_security(address: str, *, allow_insecure: bool = False):
    """Dask's TLS settings for `address`; refuse a cluster anyone could use.

    A Dask scheduler runs whatever a connected client sends it, on every
    worker. So a `tcp://` address, which any machine on the network can
    reach without credentials, is refused unless the caller accepts the
    risk (`allow_insecure`, `--insecure-cluster`). A `tls://` address needs
    mutual TLS: the CA, this client's certificate and its key, from Dask's
    own configuration (`distributed.comm.tls.ca-file`, `...tls.client.cert`,
    `...tls.client.key`, or the `DASK_DISTRIBUTED__COMM__TLS__...`
    variables); see the "On a cluster" page for making them.

    Args:
        address: The scheduler's address.
        allow_insecure: Accept a plain `tcp://` address.

    Returns:
        A `distributed.security.Security` for `tls://`, `None` for an
        accepted `tcp://`.

    Raises:
        UserError: A plain address without `allow_insecure`, or TLS without
            its certificates.

    Examples:
        >>> cluster_security("tcp://10.0.0.5:8786")
        Traceback (most recent call last):
        ...
        fmnist_course.errors.UserError: Refusing the unauthenticated Dask cluster at tcp://10.0.0.5:8786: anyone who can reach it can run code on its workers and rewrite the results. Use a tls:// address with certificates (see the "On a cluster" page), or pass --insecure-cluster if only your own machines can reach it.

    """  # noqa: E501
    from fmnist_course.errors import UserError

    allow_insecure = allow_insecure or os.environ.get(INSECURE_CLUSTER_ENV) == "1"
    if not address.startswith("tls://"):
        if allow_insecure:
            return None
        raise UserError(
            f"Refusing the unauthenticated Dask cluster at {address}: anyone who "
            "can reach it can run code on its workers and rewrite the results. "
            'Use a tls:// address with certificates (see the "On a cluster" '
            "page), or pass --insecure-cluster if only your own machines can "
            "reach it."
        )
    from distributed.security import Security

    security = Security(require_encryption=True)
    missing = [
        name
        for name, value in (
            ("distributed.comm.tls.ca-file", security.tls_ca_file),
            ("distributed.comm.tls.client.cert", security.tls_client_cert),
            ("distributed.comm.tls.client.key", security.tls_client_key),
        )
        if not value
    ]
    if missing:
        raise UserError(
            f"The cluster at {address} uses TLS, but Dask's configuration lacks "
            f"{', '.join(missing)}. Set them (a file path each) in "
            "~/.config/dask/distributed.yaml or as DASK_DISTRIBUTED__COMM__TLS__"
            'variables; the "On a cluster" page shows how to make the files.'
        )
    return security


TLS_CONFIG = {
    "ca-file": "distributed.comm.tls.ca-file",
    "client-cert": "distributed.comm.tls.client.cert",
    "client-key": "distributed.comm.tls.client.key",
    "scheduler-cert": "distributed.comm.tls.scheduler.cert",
    "scheduler-key": "distributed.comm.tls.scheduler.key",
    "worker-cert": "distributed.comm.tls.worker.cert",
    "worker-key": "distributed.comm.tls.worker.key",
}
"""Dask's configuration keys for mutual TLS, by the file each names."""


def tls_environment(files: dict[str, str]) -> dict[str, str]:
    """The `DASK_...` variables that give a process the TLS files in `files`.

    Examples:
        >>> tls_environment({"ca-file": "/etc/dask/ca.pem"})
        {'DASK_DISTRIBUTED__COMM__TLS__CA_FILE': '/etc/dask/ca.pem', 'DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION': 'True'}

    """  # noqa: E501
    env = {
        "DASK_" + TLS_CONFIG[name].upper().replace(".", "__").replace("-", "_"): path
        for name, path in files.items()
    }
    env["DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION"] = "True"
    return env


@contextlib.contextmanager
def temporary_tls() -> Iterator[tuple[Any, dict[str, str]]]:
    """A throw-away CA and certificates, set as Dask's TLS configuration.

    For a cluster that lives as long as one process (a benchmark, a test):
    yields the `Security` to start a `LocalCluster` with, and the variables
    that give a child process the same certificates. The files are private
    to this user and removed on exit.
    """
    import tempfile

    import dask
    from distributed.security import Security

    security = Security.temporary()
    with tempfile.TemporaryDirectory(prefix="fmnist-tls-") as directory:
        contents = {
            "ca-file": security.tls_ca_file,
            "client-cert": security.tls_client_cert,
            "client-key": security.tls_client_key,
            "scheduler-cert": security.tls_scheduler_cert,
            "scheduler-key": security.tls_scheduler_key,
            "worker-cert": security.tls_worker_cert,
            "worker-key": security.tls_worker_key,
        }
        files = {}
        for name, text in contents.items():
            path = os.path.join(directory, f"{name}.pem")
            with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
                handle.write(text)
            files[name] = path
        config = {TLS_CONFIG[name]: path for name, path in files.items()}
        config["distributed.comm.require-encryption"] = True
        with dask.config.set(config):
            yield Security(require_encryption=True), tls_environment(files)


@contextlib.contextmanager
def open_executor(
    workers: int | None = None,
    scheduler: str | None = None,
    *,
    retries: int = 1,
    allow_insecure: bool = False,
) -> Iterator[concurrent.futures.Executor]:
    """An executor for independent tasks, closed (and its workers ended) on exit.

    Locally, the workers are fresh processes (started with `spawn`: forking a
    process that already runs TensorFlow's threads can hang), each capped to
    its share of the cores so that they do not fight over them. On a Dask
    cluster, the executor is the client's `Client.get_executor()`: Dask moves
    the tasks of a worker that dies to the others.

    Args:
        workers: Local worker processes; defaults to the number of cores.
            Ignored on a cluster, whose workers are its own.
        scheduler: A Dask scheduler address such as `tcp://HOST:8786`; when
            `None`, `DASK_SCHEDULER_ADDRESS` is used if set, else work runs
            locally.
        retries: On a cluster, how many times a task that raised is run
            again before its error is raised here (a task whose worker died is
            always moved, up to Dask's `allowed-failures`).
        allow_insecure: Accept a plain `tcp://` cluster (see
            `cluster_security`).

    Raises:
        ValueError: `workers` is below 1 or `retries` below 0.
        UserError: The cluster is not protected by mutual TLS (see
            `cluster_security`).
        ImportError: A scheduler is named but Dask is not installed (the
            message names the extra to install).

    Examples:
        >>> with open_executor(workers=2) as executor:  # doctest: +SKIP
        ...     worker_count(executor)
        2

    """
    if workers is not None and workers < 1:
        raise ValueError(f"Expected at least 1 worker. Received: workers={workers}")
    if retries < 0:
        raise ValueError(f"Expected retries >= 0. Received: retries={retries}")
    address = scheduler_address(scheduler)
    if address is None:
        num_workers = workers or default_workers()
        threads = max(1, default_workers() // num_workers)
        with concurrent.futures.ProcessPoolExecutor(
            max_workers=num_workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_limit_threads,
            initargs=(threads,),
        ) as executor:
            _WORKER_COUNTS[executor] = lambda: num_workers
            with _cancel_on_error(executor):
                yield executor
        return
    try:
        from distributed import Client
    except ImportError:
        raise ImportError(
            f"Running on the Dask cluster at {address} needs Dask: "
            "pip install 'fmnist-course[cluster]'."
        ) from None
    security = cluster_security(address, allow_insecure=allow_insecure)
    with Client(address, security=security) as client:
        executor = client.get_executor(pure=False, retries=retries)
        _WORKER_COUNTS[executor] = lambda: len(client.nthreads())
        with _cancel_on_error(executor):
            yield executor


@contextlib.contextmanager
def _cancel_on_error(executor: concurrent.futures.Executor) -> Iterator[None]:
    """On an error or Ctrl-C, drop the tasks not started instead of running them."""
    try:
        yield
    except BaseException:
        executor.shutdown(wait=False, cancel_futures=True)
        raise


def thread_limits(threads: int) -> dict[str, str]:
    """The `THREAD_ENV` variables that cap a fresh process to `threads` threads.

    A variable already set in this process's environment is left to it. They
    work only in a process whose TensorFlow has not started yet: a child's.

    Examples:
        >>> set(thread_limits(1).values()) <= {"1"}
        True
        >>> set(thread_limits(1)) <= set(thread_environment(1))
        True

    """
    limits = thread_environment(threads)
    return {name: value for name, value in limits.items() if name not in os.environ}


def _limit_threads(threads: int) -> None:
    """Run in each local worker before any task: cap its threads (see THREAD_ENV)."""
    os.environ.update(thread_limits(threads))
    quiet_tensorflow_logs()


def worker_count(executor: concurrent.futures.Executor) -> int:
    """The number of workers an executor runs tasks on now.

    A cluster's count follows workers joining and leaving. For an executor
    that `open_executor` did not open, its `max_workers` (or 1) is assumed.

    Examples:
        >>> with concurrent.futures.ThreadPoolExecutor(3) as executor:
        ...     worker_count(executor)
        3

    """
    count = _WORKER_COUNTS.get(executor)
    if count is not None:
        return count()
    return int(getattr(executor, "_max_workers", 1))


def check_worker() -> dict[str, Any]:
    """What a worker needs, checked where it runs: version, data, sandbox.

    Run it on every worker of a cluster with Dask's `client.run(check_worker)`
    before sending work (see the "On a cluster" page).

    Returns:
        `{"host", "python", "fmnist_course", "data", "bwrap"}`: `data` is
        `"ok: DIRECTORY"` when the four Fashion-MNIST files verify, else the
        problem; `bwrap` is `bwrap --version`, or what is wrong.

    Examples:
        >>> report = check_worker()
        >>> sorted(report)
        ['bwrap', 'data', 'fmnist_course', 'host', 'python']
        >>> report["data"].startswith("ok")  # doctest: +SKIP
        True

    """
    from fmnist_course import __version__
    from fmnist_course.data import find_data_dir, verify_data_dir

    try:
        directory = find_data_dir(download=False)
        report = verify_data_dir(directory)
        problems = [message for message in report.values() if message != "ok"]
        data = "; ".join(problems) if problems else f"ok: {directory}"
    except FileNotFoundError as error:
        data = str(error)
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        sandbox = "missing: install bubblewrap (apt-get install bubblewrap)"
    else:
        try:
            result = subprocess.run(
                [bwrap, "--version"], capture_output=True, text=True, timeout=10
            )
            sandbox = (result.stdout or result.stderr).strip()
        except (OSError, subprocess.TimeoutExpired) as error:
            sandbox = f"broken: {error}"
    return {
        "host": socket.gethostname(),
        "python": platform.python_version(),
        "fmnist_course": __version__,
        "data": data,
        "bwrap": sandbox,
    }


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
    try:
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            if progress is not None:
                progress.update()
            yield futures[future], result
    finally:  # stopped early (an error, Ctrl-C): drop the tasks not started
        for future in futures:
            future.cancel()
