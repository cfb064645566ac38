"""Run a command on untrusted input inside Debian's bubblewrap, under limits.

A submission's notebook, and the scoring of its answers, run in a `bwrap`
sandbox built like this:

- as an unprivileged host user: a grader started as root drops to `nobody`
  before it starts bwrap (`fmnist_course.grading.privileges`), so the
  sandboxed process is uid 65534 with no capabilities, never host root;
- every namespace unshared (`--unshare-all`): no network (only its own
  loopback), its own process tree whose init is the command itself
  (`--as-pid-1`: no bwrap process inside to read descriptors from, and a
  signal from inside cannot kill it), and `--die-with-parent` plus the end of
  that first process kill every process it started, detached or not;
- a seccomp filter that makes tracing, mounting, keyrings, BPF, performance
  counters and other calls a notebook never needs fail with EPERM;
- a read-only view of the system (`/usr`, a few files of `/etc`), of the
  Python environment (`sys.prefix`, `sys.base_prefix`), of the installed
  `fmnist_course` package and of the data only; `/proc/sys` read-only; no
  home directory, no checkout, no other submission, no output directory;
- `/input` read-only: this one run's directory; `/tmp` and `/home` private,
  size-capped `tmpfs`, the working directory `/home/student`;
- limits: wall-clock time per run (the whole notebook, killed at the end),
  memory and processes (a cgroup of its own when `/sys/fs/cgroup` is writable,
  `RLIMIT_AS` and `RLIMIT_NPROC` otherwise), and output size (`RLIMIT_FSIZE`
  and the `tmpfs` size).

Without a sandbox (`--no-sandbox`) only the limits hold, and a root grader
still drops to `nobody`.

Examples:
    >>> limits = Limits(seconds=60)
    >>> limits.memory_bytes // 2**30
    4

"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import fmnist_course
from fmnist_course.grading.cgroups import cgroups as _cgroups
from fmnist_course.grading.privileges import (
    NOBODY,
    PrivilegeError,
    drop_problem,
    dropper,
    plan_drop,
    seccomp_filter_file,
    seccomp_problem,
)

BWRAP = "bwrap"
SANDBOX_INPUT = "/input"
SANDBOX_WORK = "/home/student"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64")
"""Read-only in the sandbox (those that exist; on Debian some are symlinks)."""
READ_ONLY_PROC = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus")
"""Covered read-only inside the sandbox's own `/proc`, whatever bwrap decides."""

BWRAP_MISSING = (
    "Debian's bubblewrap (bwrap) is not installed, and grading untrusted "
    "notebooks needs it. Install it with `make setup` (or `apt-get install "
    "bubblewrap`), or pass --no-sandbox to run submissions with no "
    "isolation (only for code you trust)."
)

KILL_GRACE_SECONDS = 20
"""How long past its own deadline a run may take to shut its kernel down."""


@dataclass(frozen=True)
class Limits:
    """What one run may use.

    Attributes:
        seconds: Wall-clock seconds for the whole run (every cell together).
        memory_bytes: Memory of the whole process tree (a cgroup), or the
            address space of each process where no cgroup can be made.
        max_processes: Processes and threads of the whole tree.
        output_bytes: Largest file it may write, the size of `/tmp` and
            `/home`, and the most of its standard output that is read.

    """

    seconds: float = 900
    memory_bytes: int = 4 * 2**30
    max_processes: int = 512
    output_bytes: int = 64 * 2**20


@dataclass
class RunOutcome:
    """What a run left behind.

    Attributes:
        returncode: The command's exit status (negative: killed by a signal).
        timed_out: The run was killed at its time limit.
        stdout: What it wrote to its standard output (at most the output limit).
        stderr: The end of its standard error, for diagnostics.
        enforced: The limits that held: "cgroup" or "rlimit" for memory and
            processes.
        output_over: Its standard output reached the output limit (the limit
            stopped it writing more).

    """

    returncode: int
    timed_out: bool
    stdout: bytes
    stderr: str
    enforced: str
    output_over: bool = False


class SandboxUnavailable(OSError):
    """No bubblewrap sandbox can be made on this machine."""


def package_dir() -> Path:
    """The directory of the installed `fmnist_course` package."""
    return Path(fmnist_course.__file__).resolve().parent


def python_dirs() -> list[Path]:
    """The Python installation and environment the sandbox's kernel runs on."""
    dirs = []
    for prefix in (sys.base_prefix, sys.prefix, sys.exec_prefix):
        path = Path(prefix).resolve()
        if path not in dirs and path != Path("/usr"):
            dirs.append(path)
    return dirs


def data_dirs() -> list[Path]:
    """The verified Fashion-MNIST files, for graded checks that train or score."""
    from fmnist_course.data import find_data_dir

    try:
        return [Path(find_data_dir(download=False)).resolve()]
    except (OSError, ValueError):
        return []


ETC_FILES = tuple(
    "passwd group hosts nsswitch.conf host.conf ld.so.cache ld.so.conf ld.so.conf.d "
    "localtime alternatives ssl ca-certificates fonts mime.types os-release "
    "debian_version".split()
)
"""The parts of `/etc` a Python kernel needs: nothing secret."""


def readable_sources() -> list[Path]:
    """What student code must read besides the system: Python, package, data."""
    return python_dirs() + [package_dir()] + data_dirs()


def bwrap_command(
    command: list[str],
    input_dir: Path,
    limits: Limits,
    *,
    seccomp_fd: int | None = None,
) -> list[str]:
    """The full `bwrap` command line that runs `command` in a sandbox.

    Args:
        command: The program and its arguments, as seen inside the sandbox.
        input_dir: The host directory shown read-only at `/input`.
        limits: Sizes the private `tmpfs` of `/home` and `/tmp` (its
            `output_bytes`).
        seccomp_fd: A file descriptor of a compiled seccomp filter (see
            `fmnist_course.grading.privileges.seccomp_filter_file`).

    Examples:
        >>> bwrap_command(["true"], Path("/tmp/in"), Limits())[:3]
        ['bwrap', '--unshare-all', '--unshare-user']

    """
    binds = []
    system = [Path(d) for d in SYSTEM_DIRS]
    etc = [Path("/etc") / name for name in ETC_FILES]
    for source in system + etc + readable_sources():
        if source.is_symlink() and source.parent == Path("/"):
            binds += ["--symlink", os.readlink(source), str(source)]
        elif source.exists():
            binds += ["--ro-bind", str(source), str(source)]
    proc_covers = []
    for path in READ_ONLY_PROC:
        proc_covers += ["--ro-bind-try", path, path]
    size = str(limits.output_bytes)
    seccomp = ["--seccomp", str(seccomp_fd)] if seccomp_fd is not None else []
    return [
        BWRAP,
        "--unshare-all",
        "--unshare-user",
        "--die-with-parent",
        "--as-pid-1",
        "--new-session",
        "--disable-userns",
        "--cap-drop",
        "ALL",
        "--hostname",
        "sandbox",
        "--uid",
        str(NOBODY),
        "--gid",
        str(NOBODY),
        # Private tmpfs first, so that a Python environment under /tmp or /home
        # is bound on top of them rather than hidden.
        "--size",
        size,
        "--tmpfs",
        "/tmp",
        "--size",
        size,
        "--tmpfs",
        "/home",
        "--dir",
        SANDBOX_WORK,
        *binds,
        "--proc",
        "/proc",
        *proc_covers,
        "--dev",
        "/dev",
        "--ro-bind",
        str(input_dir),
        SANDBOX_INPUT,
        "--remount-ro",
        "/",
        "--chdir",
        SANDBOX_WORK,
        "--clearenv",
        *seccomp,
        "--",
        *command,
    ]


# --- running -------------------------------------------------------------------


def _limiter(limits: Limits, cgroups: list[Path]):
    """What the child does between fork and exec: join cgroups, set limits."""
    procs_files = [str(directory / "cgroup.procs") for directory in cgroups]

    def setup() -> None:
        for path in procs_files:
            with open(path, "w") as handle:
                handle.write(str(os.getpid()))
        resource.setrlimit(
            resource.RLIMIT_FSIZE, (limits.output_bytes, limits.output_bytes)
        )
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if not cgroups:
            memory = limits.memory_bytes
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            processes = limits.max_processes
            resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))

    return setup


def _kill_group(process: subprocess.Popen) -> None:
    """Kill the run's whole process group (it leads a session of its own)."""
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)
    process.kill()  # a no-op once the process has been waited for


def _tail(path: Path, size: int = 4000) -> str:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - size))
        return handle.read().decode("utf-8", "replace")


def _head(path: Path, size: int) -> tuple[bytes, bool]:
    """A file's first `size` bytes, and whether it reached them.

    `RLIMIT_FSIZE` stops a run's writes at its output limit: reaching it is over.
    """
    with open(path, "rb") as handle:
        data = handle.read(size)
    return data, len(data) >= size


def share_with_sandbox(directory: Path) -> None:
    """Let the sandbox's group read a directory tree the grader made.

    Owned by the grader, group `nobody`, no access for other users: another
    local user cannot read a submission while it is graded.
    """
    chown = os.geteuid() == 0
    for path in [directory, *directory.rglob("*")]:
        if path.is_symlink():
            path.unlink()
            continue
        if chown:
            os.chown(path, 0, NOBODY)
        path.chmod(0o750 if path.is_dir() else 0o640)


def run_limited(
    command: list[str],
    *,
    input_dir: str | os.PathLike,
    limits: Limits,
    sandbox: bool = True,
    env: dict[str, str] | None = None,
    stdin: bytes = b"",
    watch=None,
) -> RunOutcome:
    r"""Run `command` on `input_dir` under `limits`, in a sandbox or not.

    With `sandbox=True` the command runs in `bwrap` (see the module's
    docstring) and sees `input_dir` at `/input`, with `/home/student` as its
    private working directory. With `sandbox=False` it runs as a plain child
    process in a new session, in a temporary working directory, with the same
    limits; `/input` and `/home/student` in `env` values are then replaced by
    the real paths. Either way a root grader runs it as `nobody`.

    Args:
        command: The program and its arguments.
        input_dir: The directory of this run's input (made readable to the
            run, and to no other user).
        limits: Time, memory, processes and output size.
        sandbox: Run inside bubblewrap.
        env: The whole environment of the command.
        stdin: Bytes the command reads on its standard input (from a file
            that no path inside the sandbox names).
        watch: Called with the `Popen` once the command has started (the
            sandbox probe reads the process's host uid with it).

    Returns:
        The outcome; the command's standard output is kept (up to the output
        limit), its standard error only as a tail.

    Raises:
        SandboxUnavailable: `sandbox=True` and `bwrap` is not installed, or
            no seccomp filter can be made, or (as root) student code could
            not be made to run as `nobody`.

    Examples:
        >>> outcome = run_limited(["echo", "hi"], input_dir="/tmp/in", limits=Limits(seconds=10))  # doctest: +SKIP
        >>> outcome.stdout  # doctest: +SKIP
        b'hi\\n'

    """  # noqa: E501
    input_dir = Path(input_dir).resolve()
    env = dict(env or {})
    plan = plan_drop(readable_sources())
    with contextlib.ExitStack() as stack:
        scratch = Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="fmnist-run-"))
        )
        share_with_sandbox(input_dir)
        pass_fds: tuple[int, ...] = ()
        if sandbox:
            bwrap = shutil.which(BWRAP)
            if bwrap is None:
                raise SandboxUnavailable(BWRAP_MISSING)
            try:
                seccomp_fd = seccomp_filter_file()
            except PrivilegeError as error:
                raise SandboxUnavailable(str(error.strerror or error)) from None
            stack.callback(os.close, seccomp_fd)
            pass_fds = (seccomp_fd,)
            env_args = [
                arg for key, value in env.items() for arg in ("--setenv", key, value)
            ]
            full = bwrap_command(command, input_dir, limits, seccomp_fd=seccomp_fd)
            full = [
                bwrap,
                *full[1 : full.index("--")],
                *env_args,
                *full[full.index("--") :],
            ]
            cwd, run_env = None, {}
        else:
            work = scratch / "work"
            work.mkdir()
            if plan.drop:
                os.chown(scratch, 0, NOBODY)
                scratch.chmod(0o750)
                os.chown(work, NOBODY, NOBODY)
            replaced = {
                key: value.replace(SANDBOX_INPUT, str(input_dir)).replace(
                    SANDBOX_WORK, str(work)
                )
                for key, value in env.items()
            }
            full = [arg.replace(SANDBOX_INPUT, str(input_dir)) for arg in command]
            cwd, run_env = work, {**replaced, "HOME": str(work)}
        cgroups = stack.enter_context(_cgroups(limits))
        limit, drop = _limiter(limits, cgroups), dropper(plan)

        def child_setup() -> None:
            limit()
            drop()

        stdout_path, stderr_path = scratch / "stdout", scratch / "stderr"
        stdin_file = stack.enter_context(tempfile.TemporaryFile())
        stdin_file.write(stdin)
        stdin_file.seek(0)
        with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
            try:
                process = subprocess.Popen(
                    full,
                    stdin=stdin_file,
                    stdout=stdout,
                    stderr=stderr,
                    cwd=cwd,
                    env=run_env,
                    start_new_session=True,
                    pass_fds=pass_fds,
                    preexec_fn=child_setup,  # noqa: PLW1509
                )
            except (PrivilegeError, subprocess.SubprocessError) as error:
                # the child's set-up (the drop to nobody) failed
                raise SandboxUnavailable(drop_problem(error, plan)) from None
        timed_out = False
        try:
            if watch is not None:
                watch(process)
            process.wait(timeout=limits.seconds + KILL_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(process)
            process.wait()
        stdout_bytes, over = _head(stdout_path, limits.output_bytes)
        return RunOutcome(
            returncode=process.returncode,
            timed_out=timed_out,
            stdout=stdout_bytes,
            stderr=_tail(stderr_path),
            enforced="cgroup" if cgroups else "rlimit",
            output_over=over,
        )


def sandbox_problem() -> str | None:
    """Why no sandbox can be made here, or `None` when one can.

    Checks that bubblewrap and the seccomp bindings are there and runs
    `true` in a sandbox once; `fmnist_course.grading.sandbox_probe` then
    checks what the sandbox promises.

    Examples:
        >>> sandbox_problem() is None  # doctest: +SKIP
        True

    """
    if shutil.which(BWRAP) is None:
        return BWRAP_MISSING
    problem = seccomp_problem()
    if problem:
        return f"no seccomp filter can be made: {problem}"
    with tempfile.TemporaryDirectory(prefix="fmnist-probe-") as directory:
        try:
            outcome = run_limited(
                ["/bin/true"],
                input_dir=directory,
                limits=Limits(seconds=30, memory_bytes=2**30),
                sandbox=True,
            )
        except SandboxUnavailable as error:
            return str(error)
        except OSError as error:
            return f"bwrap could not start ({error}); pass --no-sandbox to grade anyway"
    if outcome.returncode != 0:
        reason = outcome.stderr.strip().splitlines()[-1:] or ["no message"]
        return (
            f"bwrap is installed but could not make a sandbox here ({reason[0]}). "
            "It needs unprivileged user namespaces (user.max_user_namespaces > 0). "
            "Pass --no-sandbox to grade with no isolation."
        )
    return None


__all__ = [
    "Limits",
    "RunOutcome",
    "SandboxUnavailable",
    "bwrap_command",
    "run_limited",
    "sandbox_problem",
]
