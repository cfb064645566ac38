"""`run_limited` called in this process: what a run sees, and what comes back.

The grading tests run `run_limited` inside a grading process, where mutation
testing cannot reach it; these call it directly, with and without the
sandbox, and read back what the command saw from inside: its folders, user,
limits, environment and input, and how the outcome reports time, output and
errors.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from fmnist_course.grading import sandbox
from fmnist_course.grading.privileges import NOBODY, PrivilegeError
from fmnist_course.grading.sandbox import (
    SANDBOX_INPUT,
    SANDBOX_WORK,
    Limits,
    SandboxUnavailable,
    run_limited,
)

LIMITS = Limits(seconds=60, memory_bytes=2 * 2**30, max_processes=200)

SEEN = (
    "import json, os, resource, socket, stat, sys\n"
    "parent = os.stat('..')\n"
    "print(json.dumps({\n"
    "  'cwd': os.getcwd(), 'uid': os.getuid(), 'host': socket.gethostname(),\n"
    "  'env': dict(os.environ), 'arg': sys.argv[1:], 'stdin': sys.stdin.read(),\n"
    "  'parent': [os.path.basename(os.path.dirname(os.getcwd())),\n"
    "             parent.st_uid, stat.S_IMODE(parent.st_mode)],\n"
    "  'limits': {name: resource.getrlimit(getattr(resource, 'RLIMIT_' + name))\n"
    "             for name in ('FSIZE', 'CORE', 'AS', 'NPROC')},\n"
    "  'cgroup': open('/proc/self/cgroup').read(),\n"
    "}))\n"
    "print('to stderr', file=sys.stderr)\n"
)


@pytest.fixture
def input_dir():
    """A run's input folder where the grader makes them (pytest's own tmp_path
    is closed to the sandbox's user)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="fmnist-input-") as directory:
        yield Path(directory)


def require_sandbox():
    problem = sandbox.sandbox_problem()
    if problem:
        pytest.skip(f"no sandbox here: {problem}")


@contextlib.contextmanager
def _no_cgroups(limits):
    yield []


ADDED = {"LC_CTYPE", "PWD"}
"""Set by Python's C-locale coercion and by bwrap's --chdir, not by the grader."""


def seen(outcome) -> dict:
    assert outcome.returncode == 0, outcome.stderr
    inside = json.loads(outcome.stdout)
    inside["env"] = {k: v for k, v in inside["env"].items() if k not in ADDED}
    return inside


def test_the_sandbox_is_the_default_and_sees_only_what_it_is_given(input_dir):
    """Promise: run_limited sandboxes unless told not to; the run gets exactly
    the environment, arguments and input it is given, at /input and /home/student."""
    require_sandbox()
    outcome = run_limited(
        [sys.executable, "-c", SEEN, f"{SANDBOX_INPUT}/x"],
        input_dir=input_dir,
        limits=LIMITS,
        env={"WHERE": f"{SANDBOX_INPUT}:{SANDBOX_WORK}"},
        stdin=b"fed",
    )
    inside = seen(outcome)
    assert inside["host"] == "sandbox" and inside["cwd"] == SANDBOX_WORK
    assert inside["uid"] == NOBODY
    assert inside["arg"] == [f"{SANDBOX_INPUT}/x"], "paths stay the sandbox's own"
    assert inside["env"] == {"WHERE": f"{SANDBOX_INPUT}:{SANDBOX_WORK}"}
    assert inside["stdin"] == "fed"
    assert outcome.stderr.strip() == "to stderr"
    assert outcome.timed_out is False and outcome.output_over is False


def test_without_a_sandbox_the_scratch_folder_is_closed_to_other_users(input_dir):
    """Promise: --no-sandbox runs in a fresh private folder, which other local
    users cannot read, as nobody when the grader is root."""
    inside = seen(
        run_limited(
            [sys.executable, "-c", SEEN],
            input_dir=input_dir,
            limits=LIMITS,
            sandbox=False,
        )
    )
    name, owner, mode = inside["parent"]
    assert name.startswith("fmnist-run-") and Path(inside["cwd"]).name == "work"
    assert inside["env"] == {"HOME": inside["cwd"]}
    if os.geteuid() == 0:
        assert inside["uid"] == NOBODY and (owner, mode) == (0, 0o750)


@pytest.mark.parametrize("sandboxed", [True, False])
def test_limits_hold_inside_the_run(input_dir, monkeypatch, sandboxed):
    """Promise: output size and core dumps are limited in every run; memory and
    processes by a cgroup where one can be made, by rlimits where not."""
    if sandboxed:
        require_sandbox()
    limits = Limits(
        seconds=60, memory_bytes=3 * 2**30, max_processes=300, output_bytes=2**20
    )
    with_cgroups = seen(
        run_limited(
            [sys.executable, "-c", SEEN],
            input_dir=input_dir,
            limits=limits,
            sandbox=sandboxed,
        )
    )
    assert with_cgroups["limits"]["FSIZE"] == [2**20, 2**20]
    assert with_cgroups["limits"]["CORE"] == [0, 0]
    monkeypatch.setattr(sandbox, "_cgroups", _no_cgroups)
    outcome = run_limited(
        [sys.executable, "-c", SEEN],
        input_dir=input_dir,
        limits=limits,
        sandbox=sandboxed,
    )
    assert outcome.enforced == "rlimit"
    without = seen(outcome)
    assert without["limits"]["AS"] == [3 * 2**30, 3 * 2**30]
    assert without["limits"]["NPROC"] == [300, 300]
    assert "fmnist-sandbox-" not in without["cgroup"]


def test_a_run_joins_its_own_cgroups_where_they_can_be_made(input_dir):
    """Promise: with writable cgroups, the run's process is in the run's own
    memory and pids cgroups, and no rlimit stands in for them."""
    with sandbox._cgroups(LIMITS) as made:
        if not made:
            pytest.skip("no writable cgroups here")
    outcome = run_limited(
        [sys.executable, "-c", SEEN], input_dir=input_dir, limits=LIMITS, sandbox=False
    )
    inside = seen(outcome)
    assert outcome.enforced == "cgroup"
    groups = [
        line for line in inside["cgroup"].splitlines() if "fmnist-sandbox-" in line
    ]
    assert {line.split(":")[1] for line in groups} >= {"pids", "memory"}
    unlimited = resource.RLIM_INFINITY
    assert inside["limits"]["AS"] == [unlimited, unlimited]


def test_a_run_past_its_time_is_killed_and_marked(input_dir, monkeypatch):
    """Promise: a run gets its seconds plus the grace, no more and no less."""
    monkeypatch.setattr(sandbox, "KILL_GRACE_SECONDS", 1)
    quick = run_limited(
        ["/bin/sh", "-c", "sleep 1.2; echo done"],
        input_dir=input_dir,
        limits=Limits(seconds=1),
        sandbox=False,
    )
    assert (quick.returncode, quick.timed_out, quick.stdout) == (0, False, b"done\n")
    slow = run_limited(
        ["/bin/sh", "-c", "sleep 30"],
        input_dir=input_dir,
        limits=Limits(seconds=0.5),
        sandbox=False,
    )
    assert slow.timed_out is True and slow.returncode < 0


def test_output_is_cut_at_the_limit_and_marked_over(input_dir):
    """Promise: a run cannot write more than its output limit, and the outcome
    says it reached it."""
    outcome = run_limited(
        ["/bin/sh", "-c", "head -c 5000 /dev/zero"],
        input_dir=input_dir,
        limits=Limits(seconds=30, output_bytes=1000),
        sandbox=False,
    )
    assert outcome.stdout == b"\0" * 1000 and outcome.output_over is True
    small = run_limited(
        ["/bin/sh", "-c", "printf 12345"],
        input_dir=input_dir,
        limits=Limits(seconds=30, output_bytes=1000),
        sandbox=False,
    )
    assert small.stdout == b"12345" and small.output_over is False


def test_the_run_ends_with_its_whole_process_group_gone(input_dir, monkeypatch):
    """Promise: after a run, its process group is killed even when its first
    process has already exited (and that is not an error)."""
    monkeypatch.setattr(sandbox, "_cgroups", _no_cgroups)
    outcome = run_limited(
        ["/bin/true"], input_dir=input_dir, limits=LIMITS, sandbox=False
    )
    assert outcome.returncode == 0 and outcome.enforced == "rlimit"


def test_without_bwrap_the_error_says_how_to_install_it(input_dir, monkeypatch):
    """Promise: a missing bwrap is a clear error naming the fix, not a crash."""
    real_which = sandbox.shutil.which
    monkeypatch.setattr(
        sandbox.shutil,
        "which",
        lambda name: None if name == sandbox.BWRAP else real_which(name),
    )
    with pytest.raises(SandboxUnavailable) as raised:
        run_limited(["/bin/true"], input_dir=input_dir, limits=LIMITS)
    assert str(raised.value) == sandbox.BWRAP_MISSING
    assert "make setup" in str(raised.value) and "--no-sandbox" in str(raised.value)


@pytest.mark.parametrize(
    "error, message",
    [
        (PrivilegeError("libseccomp cannot load"), "libseccomp cannot load"),
        (PrivilegeError(1, "no filter for this kernel"), "no filter for this kernel"),
    ],
)
def test_without_a_seccomp_filter_the_error_gives_the_reason(
    input_dir, monkeypatch, error, message
):
    """Promise: no seccomp filter means no sandbox, with the reason in words."""
    if sandbox.shutil.which(sandbox.BWRAP) is None:
        pytest.skip("bwrap is not installed")

    def refuse():
        raise error

    monkeypatch.setattr(sandbox, "seccomp_filter_file", refuse)
    with pytest.raises(SandboxUnavailable) as raised:
        run_limited(["/bin/true"], input_dir=input_dir, limits=LIMITS)
    assert str(raised.value) == message


def test_a_failed_drop_to_nobody_is_explained(input_dir, monkeypatch):
    """Promise: when the child cannot drop to nobody, the grader says why and
    how to fix it, instead of running student code with more rights."""

    def failing_drop(plan):
        def drop():
            raise PrivilegeError("refused")

        return drop

    monkeypatch.setattr(sandbox, "dropper", failing_drop)
    plan = sandbox.plan_drop(sandbox.readable_sources())
    with pytest.raises(SandboxUnavailable) as raised:
        run_limited(["/bin/true"], input_dir=input_dir, limits=LIMITS, sandbox=False)
    expected = sandbox.drop_problem(
        subprocess.SubprocessError("Exception occurred in preexec_fn."), plan
    )
    assert str(raised.value) == expected


def test_the_input_folder_is_shared_with_the_sandbox_group_only(tmp_path):
    """Promise: every file and folder of an input is readable by the sandbox's
    group and no one else; links in it are removed, and the rest still shared."""
    root = tmp_path / "input"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a-link").symlink_to("/etc/passwd")
    files = [root / "top.txt", root / "sub" / "x.txt", root / "sub" / "deeper" / "y"]
    for path in files:
        path.write_text("data")
        path.chmod(0o600)
    for folder in (root / "sub", root / "sub" / "deeper"):
        folder.chmod(0o700)
    sandbox.share_with_sandbox(root)
    assert not (root / "a-link").exists() and not (root / "a-link").is_symlink()
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o640, path
    for folder in (root, root / "sub", root / "sub" / "deeper"):
        assert folder.stat().st_mode & 0o777 == 0o750, folder
    if os.geteuid() == 0:
        assert {(p.stat().st_uid, p.stat().st_gid) for p in files} == {(0, NOBODY)}


def test_the_data_folder_is_found_without_downloading(monkeypatch):
    """Promise: building a sandbox never downloads the data; it binds what is
    there, or nothing."""
    import fmnist_course.data as data

    calls = []

    def find(download):
        calls.append(download)
        raise FileNotFoundError("no data")

    monkeypatch.setattr(data, "find_data_dir", find)
    assert sandbox.data_dirs() == [] and calls == [False]
    assert calls[0] is False
