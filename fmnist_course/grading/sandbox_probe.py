"""Check the sandbox before a batch, as a submission would meet it.

`require_sandbox` runs a small Python program in the sandbox exactly as a
notebook's runner runs (the same `run_limited`, interpreter, limits and input
layout) and checks what the sandbox promises:

- from the host, while the program runs: the host uid of every process of
  the sandbox, read from `/proc/PID/status`, is not 0 (the uid a process
  shows inside says nothing: bwrap maps it to 65534 either way);
- inside: `/proc/sys` and `/proc/sysrq-trigger` cannot be opened for
  writing, nor `/usr`; the only network interface is loopback and the
  network namespace is not the grader's; the submissions, the output folder
  and the grader's home are not there, and `/input` holds only the run's own
  files; no capability is left; seccomp is on and `ptrace` fails; the
  program is the sandbox's first process and, made undumpable as the runner
  makes itself, a child of it can neither read its descriptors, memory or
  environment, nor kill it, nor open an AF_VSOCK socket.

If any check fails, grading refuses before anyone is graded; the summary of
the checks that held is recorded with every student's row.

Examples:
    >>> probe_summary(ProbeResult({"host uid": "65534", "network": "none"}, []))
    'passed: host uid 65534; network none'

"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fmnist_course.grading.sandbox import (
    SandboxUnavailable,
    readable_sources,
    run_limited,
    sandbox_problem,
)

PROBE_PROGRAM = r"""
import ctypes, json, os, sys, time
expected_input, hidden, host_net = json.loads(sys.argv[1])
facts, failures = {}, []
def writable(path):
    try:
        with open(path, "w"):
            return True
    except OSError:
        return False
for path in ("/proc/sys/kernel/core_pattern", "/proc/sys/kernel/panic",
             "/proc/sys/vm/drop_caches", "/proc/sysrq-trigger", "/usr/fmnist-probe"):
    if writable(path):
        failures.append(f"{path} can be opened for writing")
facts["/proc/sys"] = "read-only"
with open("/proc/net/dev") as handle:
    interfaces = sorted(l.split(":")[0].strip() for l in handle.readlines()[2:])
if interfaces != ["lo"]:
    failures.append(f"network interfaces {interfaces}, expected only lo")
if os.readlink("/proc/self/ns/net") == host_net:
    failures.append("the grader's network namespace is shared")
facts["network"] = "loopback only"
visible = [path for path in hidden if os.path.lexists(path)]
if visible:
    failures.append(f"visible from the sandbox: {visible[:3]}")
if sorted(os.listdir("/input")) != sorted(expected_input):
    failures.append(f"/input holds {sorted(os.listdir('/input'))[:5]}")
facts["other files"] = "hidden"
status = dict(l.split(":", 1) for l in open("/proc/self/status") if ":" in l)
if int(status["CapEff"].strip(), 16):
    failures.append(f"capabilities left: {status['CapEff'].strip()}")
if status.get("Seccomp", "0").strip() != "2":
    failures.append("no seccomp filter")
libc = ctypes.CDLL(None, use_errno=True)
if libc.ptrace(0, 0, 0, 0) == 0 or ctypes.get_errno() != 1:
    failures.append("ptrace is allowed")
facts["seccomp"] = "on"
facts["uid inside"] = str(os.getuid())
# Like the runner: pid 1, undumpable, holding a secret on its standard input.
libc.prctl(4, 0, 0, 0, 0)
secret = sys.stdin.buffer.read()
if os.getpid() != 1:
    failures.append("the command is not the sandbox's first process")
reader, writer = os.pipe()
child = os.fork()
if child == 0:
    found = []
    for attempt in ("/proc/1/fd/0", "/proc/1/mem", "/proc/1/environ"):
        try:
            with open(attempt, "rb") as handle:
                if handle.read(64):
                    found.append(attempt)
        except OSError:
            pass
    if libc.syscall(434, 1, 0) >= 0:  # pidfd_open
        found.append("pidfd_open(1)")
    import socket
    try:
        socket.socket(40, socket.SOCK_STREAM)  # AF_VSOCK
        found.append("an AF_VSOCK socket")
    except OSError:
        pass
    os.kill(1, 9)
    os.write(writer, json.dumps(found).encode())
    os._exit(0)
os.waitpid(child, 0)
os.close(writer)
found = json.loads(os.read(reader, 65536) or b"[]")
if found:
    failures.append(f"from a child, the first process is open to: {found}")
facts["first process"] = "closed to its children"
print(json.dumps({"facts": facts, "failures": failures}), flush=True)
time.sleep(float(os.environ.get("FMNIST_PROBE_HOLD", "1.5")))
"""


@dataclass
class ProbeResult:
    """What the probe found.

    Attributes:
        facts: What held, by name (for the record).
        failures: What did not hold; empty when the sandbox keeps its promise.

    """

    facts: dict[str, str]
    failures: list[str]


def probe_summary(result: ProbeResult) -> str:
    """One line for the grades table: `passed: ...` or `FAILED: ...`."""
    if result.failures:
        return "FAILED: " + "; ".join(result.failures)
    return "passed: " + "; ".join(f"{k} {v}" for k, v in result.facts.items())


def _descendants(root: int) -> list[int]:
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                parents[int(entry)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                continue
    found, changed = {root}, True
    while changed:
        changed = False
        for pid, parent in parents.items():
            if parent in found and pid not in found:
                found.add(pid)
                changed = True
    return sorted(found)


def host_uids(pid: int) -> set[int]:
    """Every real, effective, saved and file-system uid of a process tree.

    Examples:
        >>> 0 in host_uids(os.getpid()) or os.geteuid() != 0
        True

    """
    uids: set[int] = set()
    for member in _descendants(pid):
        try:
            with open(f"/proc/{member}/status") as handle:
                for line in handle:
                    if line.startswith("Uid:"):
                        uids.update(int(value) for value in line.split()[1:])
        except OSError:
            continue
    return uids


def _sentinels(places: list[Path], per_place: int = 3) -> list[str]:
    """Host files the sandbox must not show: a few from each place.

    A place's entries that lead to what the sandbox binds on purpose (the
    Python environment, the package, the data) are left out.
    """
    shown = [source.resolve() for source in readable_sources()]
    found: list[str] = []
    for place in places:
        place = Path(place).resolve()
        if place in (Path("/"), Path("/tmp"), Path("/home")):
            continue
        candidates = [place]
        if place.is_dir():
            try:
                candidates = sorted(place.iterdir())[:50]
            except OSError:
                continue
        kept = [
            c
            for c in candidates
            if not any(c == s or c in s.parents or s in c.parents for s in shown)
        ]
        found += [str(c) for c in kept[:per_place]]
    return found


def probe_sandbox(limits, hidden: list[Path] = ()) -> ProbeResult:
    """Run the probe in a sandbox as a submission would run; report what held.

    Args:
        limits: The batch's `Limits` (the probe runs under them, shortened).
        hidden: Host paths that must not be visible inside (the submissions,
            the output folder); the grader's home and checkout are added.

    Raises:
        SandboxUnavailable: No sandbox could be started at all.

    """
    from dataclasses import replace

    problem = sandbox_problem()
    if problem:
        raise SandboxUnavailable(problem)
    paths = _sentinels([*hidden, Path.home(), Path.cwd(), Path("/var/lib")])
    seen: dict[str, set[int]] = {"uids": set()}

    def watch(process) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and process.poll() is None:
            members = _descendants(process.pid)
            seen["uids"] |= host_uids(process.pid)
            if len(members) >= 2:  # bwrap and the probe, the sandbox's first process
                time.sleep(0.3)
                seen["uids"] |= host_uids(process.pid)
                seen["checked"] = set(members)
                return
            time.sleep(0.05)

    with tempfile.TemporaryDirectory(prefix="fmnist-input-") as directory:
        input_dir = Path(directory)
        (input_dir / "notebook.ipynb").write_text("{}", encoding="utf-8")
        (input_dir / "job.json").write_text("{}", encoding="utf-8")
        argument = json.dumps(
            [
                ["job.json", "notebook.ipynb"],
                paths,
                os.readlink("/proc/self/ns/net"),
            ]
        )
        outcome = run_limited(
            [sys.executable, "-c", PROBE_PROGRAM, argument],
            stdin=b"fmnist-probe-secret",
            input_dir=input_dir,
            limits=replace(limits, seconds=min(60, limits.seconds)),
            sandbox=True,
            env={"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin"},
            watch=watch,
        )
    try:
        report = json.loads(outcome.stdout.decode("utf-8").strip().splitlines()[-1])
        facts, failures = dict(report["facts"]), list(report["failures"])
    except (ValueError, IndexError, KeyError):
        last = outcome.stderr.strip().splitlines()[-1:] or ["no output"]
        return ProbeResult(
            {}, [f"the probe did not run (exit {outcome.returncode}: {last[0][:200]})"]
        )
    uids = seen["uids"]
    if "checked" not in seen:
        failures.append("the sandbox's processes could not be seen from the host")
    elif 0 in uids:
        failures.append("a sandboxed process runs as host uid 0 (root)")
    facts = {"host uid": ",".join(map(str, sorted(uids))) or "?", **facts}
    return ProbeResult(facts, failures)


def require_sandbox(limits, hidden: list[Path] = ()) -> ProbeResult:
    """Probe the sandbox; refuse unless every check held.

    Raises:
        SandboxUnavailable: The sandbox cannot be made, or a check failed
            (the message lists which); nobody is graded then.

    """
    result = probe_sandbox(limits, hidden)
    if result.failures:
        raise SandboxUnavailable(
            "the sandbox probe failed, so nobody was graded: "
            + "; ".join(result.failures)
        )
    return result
