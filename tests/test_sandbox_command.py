"""The sandbox's command line, argument by argument, and its output helpers.

`tests/test_grading_hostile.py` checks the promises that matter most (no
network, read-only system, seccomp, an unprivileged uid); these pin the rest of
the bwrap command and how a run's output is cut for the report, so a changed
argument fails a test rather than a student's run.
"""

from __future__ import annotations

import os
from pathlib import Path

from fmnist_course.grading import sandbox
from fmnist_course.grading.privileges import NOBODY
from fmnist_course.grading.sandbox import (
    ETC_FILES,
    SANDBOX_INPUT,
    SANDBOX_WORK,
    SYSTEM_DIRS,
    Limits,
    bwrap_command,
)


def pairs(command: list[str]) -> set[tuple[str, ...]]:
    """Every option with the one or two values that follow it."""
    found = set()
    for index, word in enumerate(command):
        if word.startswith("--"):
            found.add(tuple(command[index : index + 2]))
            found.add(tuple(command[index : index + 3]))
    return found


def test_private_home_tmp_dev_and_a_fixed_hostname():
    limits = Limits(output_bytes=12345)
    command = bwrap_command(["true"], Path("/tmp/in"), limits)
    found = pairs(command)
    assert ("--hostname", "sandbox") in found
    assert ("--size", "12345", "--tmpfs") in found
    tmpfs = [command[i + 1] for i, word in enumerate(command) if word == "--tmpfs"]
    assert tmpfs == ["/tmp", "/home"]
    assert ("--dev", "/dev") in found and ("--proc", "/proc") in found
    assert ("--dir", SANDBOX_WORK) in found and ("--chdir", SANDBOX_WORK) in found
    assert ("--ro-bind", "/tmp/in", SANDBOX_INPUT) in found
    assert ("--uid", str(NOBODY)) in found and ("--gid", str(NOBODY)) in found
    assert command[-2:] == ["--", "true"]


def test_no_seccomp_option_without_a_filter():
    command = bwrap_command(["true"], Path("/tmp/in"), Limits())
    assert "--seccomp" not in command
    with_filter = bwrap_command(["true"], Path("/tmp/in"), Limits(), seccomp_fd=9)
    assert ("--seccomp", "9") in pairs(with_filter)


def test_system_dirs_are_symlinked_or_bound_as_on_the_host():
    """Promise: /bin, /lib... appear as on the host: a merged-/usr symlink stays a
    symlink, a real directory is bound read-only; /etc files are bound one by one."""
    found = pairs(bwrap_command(["true"], Path("/tmp/in"), Limits()))
    for name in SYSTEM_DIRS:
        path = Path(name)
        if path.is_symlink():
            assert ("--symlink", os.readlink(path), name) in found
        elif path.exists():
            assert ("--ro-bind", name, name) in found
    for name in ETC_FILES:
        path = Path("/etc") / name
        if path.exists() and not path.is_symlink():
            assert ("--ro-bind", str(path), str(path)) in found


def test_python_and_data_dirs_are_readable_but_usr_is_not_bound_twice(monkeypatch):
    dirs = sandbox.python_dirs()
    assert Path("/usr") not in dirs
    assert len(dirs) == len(set(dirs))
    # a system Python (Debian's, prefix /usr) is already in the system binds
    monkeypatch.setattr(sandbox.sys, "base_prefix", "/usr")
    monkeypatch.setattr(sandbox.sys, "prefix", "/opt/venv")
    monkeypatch.setattr(sandbox.sys, "exec_prefix", "/usr")
    assert sandbox.python_dirs() == [Path("/opt/venv").resolve()]
    data = sandbox.data_dirs()
    assert all(path.is_absolute() for path in data)


def test_head_and_tail_cut_at_their_size(tmp_path):
    shorter, exact, longer = tmp_path / "short", tmp_path / "exact", tmp_path / "long"
    shorter.write_bytes(b"a" * 9)
    exact.write_bytes(b"a" * 10)
    longer.write_bytes(b"a" * 11)
    assert sandbox._head(shorter, 10) == (b"a" * 9, False)
    # a run cannot write past its limit: output that reaches it was cut there
    assert sandbox._head(exact, 10) == (b"a" * 10, True)
    assert sandbox._head(longer, 10) == (b"a" * 10, True)
    log = tmp_path / "log"
    log.write_bytes(b"x" * 10 + b"end \xff")
    assert sandbox._tail(log, size=5) == "end \ufffd"
    assert sandbox._tail(log) == "x" * 10 + "end \ufffd"
    big = tmp_path / "big"
    big.write_bytes(b"y" * 5000)
    assert len(sandbox._tail(big)) == 4000


def test_sandbox_problem_names_each_missing_piece_and_its_fix(monkeypatch):
    """Promise: a grader that cannot isolate says why, and what to do, in one line."""
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    assert sandbox.sandbox_problem() == (
        "Debian's bubblewrap (bwrap) is not installed, and grading untrusted "
        "notebooks needs it. Install it with `make setup` (or `apt-get install "
        "bubblewrap`), or pass --no-sandbox to run submissions with no "
        "isolation (only for code you trust)."
    )
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: "/usr/bin/bwrap")
    monkeypatch.setattr(sandbox, "seccomp_problem", lambda: "no pyseccomp")
    assert sandbox.sandbox_problem() == ("no seccomp filter can be made: no pyseccomp")
    monkeypatch.setattr(sandbox, "seccomp_problem", lambda: None)
    seen = {}

    def refuse(command, **kwargs):
        seen.update(kwargs, command=command)
        raise sandbox.SandboxUnavailable("cannot drop to nobody")

    monkeypatch.setattr(sandbox, "run_limited", refuse)
    assert sandbox.sandbox_problem() == "cannot drop to nobody"
    assert seen["command"] == ["/bin/true"] and seen["sandbox"] is True
    assert seen["limits"].seconds == 30 and seen["limits"].memory_bytes == 2**30

    def broken(command, **kwargs):
        raise OSError("exec format error")

    monkeypatch.setattr(sandbox, "run_limited", broken)
    assert sandbox.sandbox_problem() == (
        "bwrap could not start (exec format error); pass --no-sandbox to grade anyway"
    )

    def failing(command, **kwargs):
        return sandbox.RunOutcome(
            1, False, b"", "warning\nmore\nbwrap: No permissions", ""
        )

    monkeypatch.setattr(sandbox, "run_limited", failing)
    assert sandbox.sandbox_problem() == (
        "bwrap is installed but could not make a sandbox here (bwrap: No "
        "permissions). It needs unprivileged user namespaces "
        "(user.max_user_namespaces > 0). Pass --no-sandbox to grade with no isolation."
    )

    def silent(command, **kwargs):
        return sandbox.RunOutcome(1, False, b"", "", "")

    monkeypatch.setattr(sandbox, "run_limited", silent)
    assert "(no message)" in sandbox.sandbox_problem()

    def fine(command, **kwargs):
        return sandbox.RunOutcome(0, False, b"", "", "")

    monkeypatch.setattr(sandbox, "run_limited", fine)
    assert sandbox.sandbox_problem() is None


REPORT = (
    "import json, os, socket, sys; print(json.dumps({'cwd': os.getcwd(), "
    "'home': os.environ.get('HOME'), 'arg': sys.argv[1], 'where': "
    "os.environ.get('WHERE'), 'path': os.environ.get('PATH'), 'stdin': "
    "sys.stdin.read(), 'host': socket.gethostname()}))"
)


def test_without_a_sandbox_the_sandbox_paths_become_the_real_ones(tmp_path):
    """Promise: --no-sandbox runs the same command line and environment, with
    /input and /home/student replaced by the run's real folders."""
    import json
    import sys

    from fmnist_course.grading.sandbox import run_limited

    inputs = tmp_path / "in"
    inputs.mkdir()
    outcome = run_limited(
        [sys.executable, "-c", REPORT, f"{SANDBOX_INPUT}/x.txt"],
        input_dir=inputs,
        limits=Limits(seconds=60),
        sandbox=False,
        env={"WHERE": f"{SANDBOX_INPUT}/a:{SANDBOX_WORK}/b", "PATH": "/usr/bin"},
        stdin=b"fed",
    )
    assert outcome.returncode == 0, outcome.stderr
    seen = json.loads(outcome.stdout)
    assert seen["arg"] == f"{inputs}/x.txt"
    assert Path(seen["cwd"]).name == "work" and seen["home"] == seen["cwd"]
    assert seen["where"] == f"{inputs}/a:{seen['cwd']}/b"
    assert seen["path"] == "/usr/bin" and seen["stdin"] == "fed"
    plain = run_limited(
        [sys.executable, "-c", REPORT, "x"],
        input_dir=inputs,
        limits=Limits(seconds=60),
        sandbox=False,
    )
    seen = json.loads(plain.stdout)
    assert seen["path"] is None, "the run's environment is only what it is given"
    assert seen["stdin"] == "" and seen["home"] == seen["cwd"]
