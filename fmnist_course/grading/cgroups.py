"""A cgroup (v1 `pids` and `memory`) for each sandboxed run, removed after it.

Where `/sys/fs/cgroup` is writable, each run's process tree gets a memory and
a process limit of its own, and every process left in it is killed at the
end; elsewhere the sandbox falls back on resource limits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

CGROUP_PREFIX = "fmnist-sandbox-"
STALE_CGROUP_SECONDS = 600
"""An empty sandbox cgroup this old was left by a grader that was killed."""


def _own_cgroup_dir(controller: str) -> Path | None:
    """The cgroup directory of this process for a v1 `controller`, if writable."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            directory = Path("/sys/fs/cgroup") / controller / path.lstrip("/")
            if os.access(directory, os.W_OK):
                return directory
    return None


@contextlib.contextmanager
def cgroups(limits) -> Iterator[list[Path]]:
    """New cgroups (v1 `pids` and `memory`) with the limits; removed on exit.

    Yields an empty list where they cannot be made (the caller then falls back
    on resource limits).
    """
    made: list[Path] = []
    name = f"{CGROUP_PREFIX}{uuid.uuid4().hex[:12]}"
    settings = {
        "pids": {"pids.max": str(limits.max_processes)},
        "memory": {
            "memory.limit_in_bytes": str(limits.memory_bytes),
            "memory.swappiness": "0",
        },
    }
    try:
        for controller, values in settings.items():
            parent = _own_cgroup_dir(controller)
            if parent is None:
                raise OSError(f"no writable {controller} cgroup")
            _remove_stale(parent)
            directory = parent / name
            directory.mkdir()
            made.append(directory)
            for key, value in values.items():
                with contextlib.suppress(OSError):
                    (directory / key).write_text(value)
            if controller == "pids" and (
                directory / "pids.max"
            ).read_text().strip() != str(limits.max_processes):
                raise OSError("pids.max could not be set")
    except OSError:
        _remove_cgroups(made)
        made = []
    try:
        yield made
    finally:
        _remove_cgroups(made)


def _remove_stale(parent: Path) -> None:
    """Remove empty sandbox cgroups left by a killed grader.

    Only old ones: a fresh empty one may belong to a sandbox about to start.
    A cgroup that still holds a process cannot be removed at all.
    """
    now = time.time()
    for directory in parent.glob(f"{CGROUP_PREFIX}*"):
        with contextlib.suppress(OSError):
            if now - directory.stat().st_mtime > STALE_CGROUP_SECONDS:
                directory.rmdir()


def _remove_cgroups(directories: list[Path]) -> None:
    for directory in directories:
        for _ in range(50):
            try:
                pids = (directory / "cgroup.procs").read_text().split()
            except OSError:
                break
            for pid in pids:
                with contextlib.suppress(OSError):
                    os.kill(int(pid), signal.SIGKILL)
            try:
                directory.rmdir()
                break
            except OSError:
                time.sleep(0.1)
