"""Who student code runs as on the host, and which system calls it may make.

A grader started as root never runs student code as root. Between fork and
exec, the child that will become the sandbox (or, with `--no-sandbox`, the
notebook's runner) drops to the host's `nobody` (uid and gid 65534) and only
then starts bubblewrap, so bubblewrap makes an unprivileged user namespace
and the sandboxed process is host uid 65534 whatever uid it shows inside.
The kernel then checks every `/proc/sys` write, signal and file against that
uid.

`nobody` must read the Python environment. When it sits where `nobody`
cannot reach it (pyenv under `/root`, a virtual environment in a private
home), the child first makes a private mount namespace, the kernel's own
mechanism: it covers the closed directory (say `/root`) with an empty
`tmpfs` and binds back only the paths grading needs, read-only, at the same
place. Nothing changes on the host, and the rest of that directory stays
hidden. Where the kernel refuses that (no `CAP_SYS_ADMIN`, as in some
containers), grading refuses in one line that says what to do.

`seccomp_filter_file` writes a seccomp filter, compiled by libseccomp through
its `pyseccomp` bindings, that makes the calls a notebook never needs fail
with `EPERM`: tracing other processes, mounting, kernel keyrings, BPF,
performance counters, loading modules, rebooting, new namespaces, and the
like. bubblewrap loads it (`--seccomp FD`) just before it starts the command.

Examples:
    >>> NOBODY
    65534
    >>> "ptrace" in BLOCKED_SYSCALLS and "bpf" in BLOCKED_SYSCALLS
    True

"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

NOBODY = 65534
"""The host user and group that student code runs as when the grader is root."""

BLOCKED_SYSCALLS = (
    # other processes' memory, descriptors and execution
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "process_madvise",
    "process_mrelease",
    "pidfd_open",
    "pidfd_getfd",
    "pidfd_send_signal",
    "kcmp",
    "modify_ldt",
    "personality",
    "memfd_secret",
    # file systems and namespaces
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "unshare",
    "setns",
    "open_by_handle_at",
    "name_to_handle_at",
    "quotactl",
    # the kernel's own state
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "syslog",
    "lookup_dcookie",
    "vhangup",
    "iopl",
    "ioperm",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "sethostname",
    "setdomainname",
)
"""System calls that fail with EPERM in the sandbox: none is needed to run a
notebook, and each has been a way out of sandboxes or into the kernel."""

BLOCKED_SOCKET_FAMILIES = (40,)
"""Socket families refused in the sandbox: AF_VSOCK (40), a way to the host
that no network namespace closes."""

_CLONE_NEWNS = 0x00020000
_MS_RDONLY, _MS_NOSUID, _MS_NODEV = 1, 2, 4
_MS_REMOUNT, _MS_BIND, _MS_REC, _MS_PRIVATE = 32, 4096, 16384, 1 << 18


class PrivilegeError(OSError):
    """Student code could not be made to run without root's power."""


def reachable_by_others(path: Path) -> bool:
    """Whether any user may enter every directory on the way to `path`.

    Examples:
        >>> reachable_by_others(Path("/usr/bin"))
        True

    """
    path = Path(path).resolve()
    for directory in [*reversed(path.parents), path]:
        try:
            mode = directory.stat().st_mode
        except OSError:
            return False
        if stat.S_ISDIR(mode) and not mode & 0o001:
            return False
    return True


def _closed_ancestor(path: Path) -> Path:
    """The highest directory on the way to `path` that others may not enter."""
    for directory in [*reversed(path.parents), path]:
        if not directory.stat().st_mode & 0o001:
            return directory
    raise ValueError(f"{path} is reachable")


@dataclass
class DropPlan:
    """What the child does before exec to stop being root (made in the parent).

    Attributes:
        drop: Whether to become `nobody` (only when the grader is root).
        covers: Closed directories to hide under an empty `tmpfs`.
        binds: Paths under them to bind back, read-only, at the same place.

    """

    drop: bool
    covers: list[Path] = field(default_factory=list)
    binds: list[Path] = field(default_factory=list)


def plan_drop(needed: Iterable[Path]) -> DropPlan:
    """How to run as `nobody` with `needed` readable; nothing when not root.

    Args:
        needed: Directories the child must read (the Python environment, the
            package, the data).

    Examples:
        >>> plan_drop([Path("/usr")]).covers
        []

    """
    if os.geteuid() != 0:
        return DropPlan(drop=False)
    closed = {Path(p).resolve() for p in needed if not reachable_by_others(p)}
    binds = sorted(p for p in closed if not any(o in p.parents for o in closed))
    covers = sorted({_closed_ancestor(p) for p in binds})
    covers = [c for c in covers if not any(o in c.parents for o in covers)]
    return DropPlan(drop=True, covers=covers, binds=binds)


def _libc():
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    libc.mount.argtypes = [ctypes.c_char_p] * 3 + [ctypes.c_ulong, ctypes.c_void_p]
    return libc


def _mount(libc, source, target, kind, flags) -> None:
    def encode(value):
        return None if value is None else os.fsencode(str(value))

    if libc.mount(encode(source), encode(target), encode(kind), flags, None) != 0:
        number = ctypes.get_errno()
        raise PrivilegeError(number, f"mount {target}: {os.strerror(number)}")


def dropper(plan: DropPlan) -> Callable[[], None]:
    """The part of a child's set-up (between fork and exec) that drops root.

    Runs only async-signal-safe work on values computed here, in the parent.
    """
    if not plan.drop:
        return lambda: None
    libc = _libc()
    binds = [(path, [*reversed(path.parents)]) for path in plan.binds]

    def drop() -> None:
        if plan.covers:
            if libc.unshare(_CLONE_NEWNS) != 0:
                number = ctypes.get_errno()
                raise PrivilegeError(number, f"unshare: {os.strerror(number)}")
            _mount(libc, None, "/", None, _MS_REC | _MS_PRIVATE)
            handles = [(os.open(p, os.O_PATH | os.O_DIRECTORY), p) for p, _ in binds]
            for cover in plan.covers:
                _mount(libc, "tmpfs", cover, "tmpfs", _MS_NOSUID | _MS_NODEV)
                os.chmod(cover, 0o755)
            for handle, path in handles:
                os.makedirs(path, mode=0o755, exist_ok=True)
                _mount(libc, f"/proc/self/fd/{handle}", path, None, _MS_BIND | _MS_REC)
                _mount(
                    libc,
                    None,
                    path,
                    None,
                    _MS_REMOUNT | _MS_BIND | _MS_RDONLY | _MS_NOSUID | _MS_NODEV,
                )
                os.close(handle)
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        if os.getuid() == 0 or os.geteuid() == 0:
            raise PrivilegeError(errno.EPERM, "still root after setuid")

    return drop


def drop_problem(error: BaseException, plan: DropPlan) -> str:
    """One line on why student code could not run as `nobody`, and what to do."""
    closed = ", ".join(str(p) for p in plan.binds) or "the Python environment"
    return (
        f"grading runs student code as uid {NOBODY} (nobody), which cannot read "
        f"{closed}, and this machine refused the private mount namespace that "
        f"would show it read-only ({error}). Install the course in a virtual "
        "environment every user can read (for example `python3 -m venv "
        "/opt/fmnist-course` from a Python outside /root, then `pip install "
        "'fmnist-course[notebooks,grading]'`) and grade with its fmnist-course."
    )


# --- seccomp -------------------------------------------------------------------


def seccomp_problem() -> str | None:
    """Why no seccomp filter can be made here, or `None` when one can.

    Examples:
        >>> seccomp_problem() is None or "pyseccomp" in seccomp_problem()
        True

    """
    try:
        import pyseccomp  # noqa: F401
    except (ImportError, OSError) as error:
        return (
            f"the seccomp bindings could not load ({type(error).__name__}: {error}); "
            "install them with `make setup` or `pip install 'fmnist-course[grading]'` "
            "(they need Debian's libseccomp2)"
        )
    return None


def seccomp_filter_file() -> int:
    """A file descriptor of the compiled filter, for `bwrap --seccomp FD`.

    The caller passes it to the child (`pass_fds`) and closes it after.

    Raises:
        PrivilegeError: The filter could not be built (see `seccomp_problem`).

    """
    problem = seccomp_problem()
    if problem:
        raise PrivilegeError(errno.ENOSYS, problem)
    import pyseccomp as seccomp

    rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in BLOCKED_SYSCALLS:
        try:
            rules.add_rule(seccomp.ERRNO(errno.EPERM), name)
        except (RuntimeError, OSError, ValueError):  # not on this architecture
            continue
    # clone3 passes its flags in memory, where a filter cannot read them: make
    # it unknown, as container runtimes do, so that the C library falls back
    # on clone, whose flags the kernel's namespace limits see.
    try:
        rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    except (RuntimeError, OSError, ValueError):  # not on this architecture
        pass
    for family in BLOCKED_SOCKET_FAMILIES:
        rules.add_rule(
            seccomp.ERRNO(errno.EAFNOSUPPORT),
            "socket",
            seccomp.Arg(0, seccomp.EQ, family),
        )
    with tempfile.TemporaryFile() as handle:
        rules.export_bpf(handle)
        handle.flush()
        handle.seek(0)
        return os.dup(handle.fileno())
