"""Run a command on untrusted input inside Debian's bubblewrap, under limits.

A submission's notebook runs in a `bwrap` sandbox built like this:

- every namespace unshared (`--unshare-all`): no network (only its own
  loopback), its own process tree, and `--die-with-parent` plus the end of
  the sandbox's first process kill every process it started, detached or not;
- a read-only view of the system (`/usr`, `/etc`, ...), of the Python
  environment (`sys.prefix`, `sys.base_prefix`) and of the installed
  `fmnist_course` package only; no home directory, no checkout, no other
  submission, no output directory;
- `/input` read-only: this one submission's directory; `/tmp` and `/home`
  private `tmpfs` (gone at the end, size-capped), the working directory
  being `/home/student`;
- as uid 65534 (`nobody`) inside, with no capabilities; on the host as the
  grader's own user, or as `nobody` when the grader is root and `nobody` can
  reach the Python environment (not when it lives under `/root`);
- limits: wall-clock time per run (the whole notebook, killed at the end),
  memory and processes (a cgroup of its own when `/sys/fs/cgroup` is writable,
  `RLIMIT_AS` and `RLIMIT_NPROC` otherwise), and output size (`RLIMIT_FSIZE`
  and the `tmpfs` size).

The same command runs without a sandbox when an instructor passes
`--no-sandbox`: then only the time and resource limits hold.

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
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import fmnist_course

NOBODY = 65534
"""The host user (and group) a sandbox runs as when the grader is root."""

BWRAP = "bwrap"
SANDBOX_INPUT = "/input"
SANDBOX_WORK = "/home/student"
SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64")
"""Read-only in the sandbox (those that exist; on Debian some are symlinks)."""

CGROUP_PREFIX = "fmnist-sandbox-"
STALE_CGROUP_SECONDS = 600
"""An empty sandbox cgroup this old was left by a grader that was killed."""

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
        output_bytes: Largest file it may write, and the size of `/tmp` and
            `/home`.

    """

    seconds: float = 900
    memory_bytes: int = 4 * 2**30
    max_processes: int = 512
    output_bytes: int = 256 * 2**20


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

    """

    returncode: int
    timed_out: bool
    stdout: bytes
    stderr: str
    enforced: str


class SandboxUnavailable(OSError):
    """No bubblewrap sandbox can be made on this machine."""


def package_dir() -> Path:
    """The directory of the installed `fmnist_course` package."""
    return Path(fmnist_course.__file__).resolve().parent


def _python_dirs() -> list[Path]:
    """The Python installation and environment the sandbox's kernel runs on."""
    dirs = []
    for prefix in (sys.base_prefix, sys.prefix, sys.exec_prefix):
        path = Path(prefix).resolve()
        if path not in dirs and path != Path("/usr"):
            dirs.append(path)
    return dirs


ETC_FILES = (
    "passwd",
    "group",
    "hosts",
    "nsswitch.conf",
    "host.conf",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "localtime",
    "alternatives",
    "ssl",
    "ca-certificates",
    "fonts",
    "mime.types",
    "os-release",
    "debian_version",
)
"""The parts of `/etc` a Python kernel needs: nothing secret."""


def _reachable_by_others(path: Path) -> bool:
    """Whether any user may enter every directory on the way to `path`."""
    path = path.resolve()
    for directory in [*reversed(path.parents), path]:
        try:
            mode = directory.stat().st_mode
        except OSError:
            return False
        if not mode & 0o001:
            return False
    return True


def _sources(input_dir: Path) -> list[Path]:
    system = [Path(d) for d in SYSTEM_DIRS if d != "/etc"]
    etc = [Path("/etc") / name for name in ETC_FILES]
    return system + etc + _python_dirs() + [package_dir(), input_dir]


def runs_as_nobody() -> bool:
    """Whether sandboxes run as the host's `nobody`, or as the grader's own user.

    They run as `nobody` when the grader is root and `nobody` can reach the
    Python environment; else as the grader's user, mapped to uid 65534 inside,
    with no capabilities.

    Examples:
        >>> isinstance(runs_as_nobody(), bool)
        True

    """
    if os.geteuid() != 0:
        return False
    return all(_reachable_by_others(p) for p in _python_dirs() + [package_dir()])


def bwrap_command(command: list[str], input_dir: Path, limits: Limits) -> list[str]:
    """The full `bwrap` command line that runs `command` in a sandbox.

    Args:
        command: The program and its arguments, as seen inside the sandbox.
        input_dir: The host directory shown read-only at `/input`.
        limits: Sizes the private `tmpfs` of `/home` and `/tmp` (its
            `output_bytes`).

    Examples:
        >>> bwrap_command(["true"], Path("/tmp/in"), Limits())[:3]
        ['bwrap', '--unshare-all', '--unshare-user']

    """
    binds = []
    for source in _sources(input_dir)[:-1]:
        if source.is_symlink() and source.parent == Path("/"):
            binds += ["--symlink", os.readlink(source), str(source)]
        elif source.exists():
            binds += ["--ro-bind", str(source), str(source)]
    size = str(limits.output_bytes)
    return [
        BWRAP,
        "--unshare-all",
        "--unshare-user",
        "--die-with-parent",
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
        "--",
        *command,
    ]


# --- cgroups -------------------------------------------------------------------


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
def _cgroups(limits: Limits) -> Iterator[list[Path]]:
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


# --- running -------------------------------------------------------------------


def _preexec(limits: Limits, cgroups: list[Path], drop_to_nobody: bool):
    """What the child does between fork and exec: join cgroups, limits, user."""
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
        if drop_to_nobody:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)

    return setup


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(OSError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        process.kill()


def _tail(path: Path, size: int = 4000) -> str:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - size))
        return handle.read().decode("utf-8", "replace")


def run_limited(
    command: list[str],
    *,
    input_dir: str | os.PathLike,
    limits: Limits,
    sandbox: bool = True,
    env: dict[str, str] | None = None,
) -> RunOutcome:
    r"""Run `command` on `input_dir` under `limits`, in a sandbox or not.

    With `sandbox=True` the command runs in `bwrap` (see the module's
    docstring) and sees `input_dir` at `/input`, with `/home/student` as its private
    working directory. With `sandbox=False` it runs as a plain child process
    in a new session, in a temporary working directory, with the same limits;
    `/input` and `/home/student` in `env` values are then replaced by the real paths.

    Args:
        command: The program and its arguments.
        input_dir: The directory of this run's input (made readable here).
        limits: Time, memory, processes and output size.
        sandbox: Run inside bubblewrap.
        env: The whole environment of the command.

    Returns:
        The outcome; the command's standard output is kept (up to the output
        limit), its standard error only as a tail.

    Raises:
        SandboxUnavailable: `sandbox=True` and `bwrap` is not installed.

    Examples:
        >>> outcome = run_limited(["echo", "hi"], input_dir="/tmp/in", limits=Limits(seconds=10))  # doctest: +SKIP
        >>> outcome.stdout  # doctest: +SKIP
        b'hi\\n'

    """  # noqa: E501
    input_dir = Path(input_dir).resolve()
    env = dict(env or {})
    drop = runs_as_nobody()
    with contextlib.ExitStack() as stack:
        scratch = Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="fmnist-run-"))
        )
        if drop:
            _make_readable(input_dir)
        if sandbox:
            if shutil.which(BWRAP) is None:
                raise SandboxUnavailable(sandbox_problem() or "bwrap is not installed")
            env_args = [
                arg for key, value in env.items() for arg in ("--setenv", key, value)
            ]
            full = bwrap_command(command, input_dir, limits)
            full = full[: full.index("--")] + env_args + full[full.index("--") :]
            cwd, run_env = None, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        else:
            work = scratch / "work"
            work.mkdir()
            if drop:
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
        stdout_path, stderr_path = scratch / "stdout", scratch / "stderr"
        with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
            process = subprocess.Popen(
                full,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                cwd=cwd,
                env=run_env,
                start_new_session=True,
                preexec_fn=_preexec(limits, cgroups, drop),  # noqa: PLW1509
            )
        timed_out = False
        try:
            process.wait(timeout=limits.seconds + KILL_GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_group(process)
            process.wait()
        stdout_bytes = stdout_path.read_bytes()[: limits.output_bytes]
        return RunOutcome(
            returncode=process.returncode,
            timed_out=timed_out,
            stdout=stdout_bytes,
            stderr=_tail(stderr_path),
            enforced="cgroup" if cgroups else "rlimit",
        )


def _make_readable(directory: Path) -> None:
    """Let `nobody` read a directory tree the grader made (no writes)."""
    directory.chmod(0o755)
    for path in directory.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def sandbox_problem() -> str | None:
    """Why no sandbox can be made here, or `None` when one can.

    Runs `bwrap` once with the grader's sandbox options and `true` inside.

    Examples:
        >>> sandbox_problem() is None  # doctest: +SKIP
        True

    """
    if shutil.which(BWRAP) is None:
        return (
            "Debian's bubblewrap (bwrap) is not installed, and grading untrusted "
            "notebooks needs it. Install it with `make setup` (or `apt-get install "
            "bubblewrap`), or pass --no-sandbox to run submissions with no "
            "isolation (only for code you trust)."
        )
    with tempfile.TemporaryDirectory(prefix="fmnist-probe-") as directory:
        try:
            outcome = run_limited(
                ["/bin/true"],
                input_dir=directory,
                limits=Limits(seconds=30, memory_bytes=2**30),
                sandbox=True,
            )
        except OSError as error:
            return f"bwrap could not start ({error}); pass --no-sandbox to grade anyway"
    if outcome.returncode != 0:
        reason = outcome.stderr.strip().splitlines()[-1:] or ["no message"]
        return (
            f"bwrap is installed but could not make a sandbox here ({reason[0]}). "
            "It needs user namespaces (kernel.unprivileged_userns_clone=1), or to "
            "run as root. Pass --no-sandbox to grade with no isolation."
        )
    return None
