"""Grading against a hostile class: one test per attack of the grading issue.

The slow end-to-end batch is in test_grading.py; these tests go straight to
the layer each promise lives in, so that they are fast and fail for the
right reason.
"""

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from fmnist_course.errors import UserError
from fmnist_course.grading import (
    grade,
    privileges,
    runs_in_sandbox,
    sandbox,
    sandbox_probe,
)
from fmnist_course.grading.sandbox import Limits, bwrap_command, run_limited
from fmnist_course.grading.submissions import (
    MAX_NOTEBOOK_BYTES,
    find_submissions,
    read_student,
)
from fmnist_course.parallel import cluster_security

LIMITS = Limits(seconds=30, memory_bytes=2 * 2**30, max_processes=200)


def require_sandbox():
    problem = sandbox.sandbox_problem()
    if problem:
        pytest.fail(f"These tests need bubblewrap; run `make setup`. {problem}")


# --- 1. never host root; /proc/sys read-only; the probe ---------------------------


def test_the_bwrap_command_keeps_every_promise():
    """The sandbox's command line: no network, read-only system, nothing else seen."""
    command = bwrap_command(["true"], Path("/tmp/in"), Limits(), seccomp_fd=7)
    options = command[: command.index("--")]
    assert "--unshare-all" in options and "--share-net" not in options
    assert options[options.index("--seccomp") + 1] == "7"
    pairs = {
        options[i + 1]: options[i]
        for i, arg in enumerate(options)
        if arg.endswith("bind")
    }
    assert "--bind" not in options and "--bind-try" not in options  # nothing writable
    for path in ("/usr", "/proc/sys", "/proc/sysrq-trigger"):
        assert any(
            options[i] in ("--ro-bind", "--ro-bind-try") and options[i + 1] == path
            for i in range(len(options) - 1)
        ), path
    assert options.index("--proc") < options.index("/proc/sys")  # covers the new /proc
    mounted = set(pairs)
    assert str(Path.home()) not in mounted and "/" not in mounted
    assert options[options.index("--ro-bind", options.index("--dev")) + 2] == "/input"
    for flag in (
        "--die-with-parent",
        "--new-session",
        "--disable-userns",
        "--clearenv",
    ):
        assert flag in options
    assert options[options.index("--cap-drop") + 1] == "ALL"


def test_the_seccomp_filter_blocks_what_a_kernel_never_needs():
    """ptrace, mount, keyctl, bpf and perf_event_open fail in the sandbox."""
    for name in ("ptrace", "mount", "keyctl", "bpf", "perf_event_open", "unshare"):
        assert name in privileges.BLOCKED_SYSCALLS
    assert privileges.seccomp_problem() is None, privileges.seccomp_problem()
    handle = privileges.seccomp_filter_file()
    try:
        assert os.fstat(handle).st_size > 0
    finally:
        os.close(handle)


def test_the_probe_passes_and_reads_a_host_uid_that_is_not_root():
    """A sandboxed process is never host uid 0, and /proc/sys is read-only."""
    require_sandbox()
    result = sandbox_probe.probe_sandbox(LIMITS)
    assert result.failures == []
    assert "0" not in result.facts["host uid"].split(",")
    assert result.facts["/proc/sys"] == "read-only"


def test_the_probe_refuses_a_sandbox_that_would_run_as_root(monkeypatch):
    """Without the drop to nobody, the host uid is 0 and grading refuses."""
    require_sandbox()
    if os.geteuid() != 0:
        pytest.skip("only a root grader can start a sandbox as host root")
    monkeypatch.setattr(sandbox, "plan_drop", lambda needed: privileges.DropPlan(False))
    with pytest.raises(sandbox.SandboxUnavailable, match="host uid 0"):
        sandbox_probe.require_sandbox(LIMITS)


def test_the_probe_refuses_a_sandbox_whose_first_process_is_open(monkeypatch):
    """A bwrap init inside would let the kernel read the runner's descriptors."""
    require_sandbox()
    built = sandbox.bwrap_command
    monkeypatch.setattr(
        sandbox,
        "bwrap_command",
        lambda *a, **k: [arg for arg in built(*a, **k) if arg != "--as-pid-1"],
    )
    with pytest.raises(sandbox.SandboxUnavailable, match="first process"):
        sandbox_probe.require_sandbox(LIMITS)


def test_the_seccomp_filter_closes_other_processes_descriptors():
    """pidfd_getfd read a hidden-input file from bwrap's stdin: blocked now."""
    for name in ("pidfd_open", "pidfd_getfd", "process_madvise", "personality"):
        assert name in privileges.BLOCKED_SYSCALLS
    assert 40 in privileges.BLOCKED_SOCKET_FAMILIES  # AF_VSOCK


def test_a_sysctl_write_from_student_code_fails():
    """Student code cannot write /proc/sys, whatever uid it shows inside."""
    require_sandbox()
    import tempfile

    tmp_path = Path(tempfile.mkdtemp(prefix="fmnist-test-input-"))
    before = Path("/proc/sys/kernel/core_pattern").read_text()
    code = (
        "import os\n"
        "for path in ('/proc/sys/kernel/core_pattern', '/proc/sys/kernel/panic',\n"
        "             '/proc/sys/vm/drop_caches', '/proc/sys/fs/file-max'):\n"
        "    try:\n"
        "        open(path, 'w').write('|/bin/sh -c id')\n"
        "        print('WROTE', path)\n"
        "    except OSError as error:\n"
        "        print('refused', path, error.errno)\n"
    )
    outcome = run_limited(
        [sys.executable, "-c", code], input_dir=tmp_path, limits=LIMITS
    )
    assert b"WROTE" not in outcome.stdout and outcome.stdout.count(b"refused") == 4
    assert Path("/proc/sys/kernel/core_pattern").read_text() == before


def test_a_run_without_cgroups_still_kills_its_process_group(tmp_path, monkeypatch):
    """--no-sandbox without cgroups: the process-group kill ends what a run left."""
    marker = f"fmnist-orphan-{uuid.uuid4().hex[:8]}"
    monkeypatch.setattr(sandbox, "_cgroups", _no_cgroups)
    code = (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', {marker!r}])\n"
    )
    run_limited(
        [sys.executable, "-c", code], input_dir=tmp_path, limits=LIMITS, sandbox=False
    )
    time.sleep(0.5)
    assert _processes_with(marker) == []


def _no_cgroups(limits):
    import contextlib

    @contextlib.contextmanager
    def none():
        yield []

    return none()


def _processes_with(marker):
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    found.append(entry.name)
            except OSError:
                continue
    return found


# --- 4, 5, 10. submissions are hostile files -----------------------------------------


@pytest.fixture()
def class_folder(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    notebook = nbformat.v4.new_notebook()
    nbformat.write(notebook, folder / "honest.ipynb")
    secret = tmp_path / "root-only.txt"
    secret.write_text("secret first line\n")
    secret.chmod(0o600)
    big = tmp_path / "big.bin"
    with open(big, "wb") as handle:
        handle.truncate(2**30)  # 1 GB, sparse
    (folder / "classmate.ipynb").symlink_to(folder / "honest.ipynb")
    (folder / "secret.ipynb").symlink_to(secret)
    (folder / "huge.ipynb").symlink_to(big)
    os.link(folder / "honest.ipynb", tmp_path / "hardlink-target")
    os.mkfifo(folder / "fifo.ipynb")
    with open(folder / "fat.ipynb", "wb") as handle:
        handle.truncate(MAX_NOTEBOOK_BYTES + 1)
    linked = folder / "linked_folder"
    linked.mkdir()
    (linked / "a.ipynb").symlink_to(folder / "honest.ipynb")
    (folder / "ada_lovelace.ipynb").write_text("{}")
    (folder / "ada lovelace.ipynb").write_text("{}")
    (folder / "bob.ipynb").write_text("{}")
    (folder / "bob").mkdir()
    (folder / "Carol.ipynb").write_text("{}")
    (folder / "carol.ipynb").write_text("{}")
    (folder / "Jos\u00e9.ipynb").write_text("{}")  # NFC
    (folder / "Jose\u0301.ipynb").write_text("{}")  # NFD: the same name
    (folder / ".hidden_student.ipynb").write_text("{}")
    return folder


def test_links_fifos_and_sizes_are_refused_per_student(class_folder):
    """Symlinks, hard links, FIFOs and oversize files: a row each, nothing read."""
    students = find_submissions([class_folder])
    for name in ("classmate", "secret", "huge", "fifo", "linked_folder"):
        assert students[name].problem.startswith("refused"), name
        assert students[name].files == []
    assert "symbolic link" in students["secret"].problem
    assert "secret first line" not in json.dumps(
        {n: s.problem for n, s in students.items()}
    )
    # honest.ipynb has a second name (a hard link made after it was written)
    assert "hard link" in students["honest"].problem
    notebooks, problem = read_student(students["fat"])
    assert notebooks == [] and "the limit is" in problem


def test_colliding_names_get_rows_and_the_rest_are_graded(class_folder):
    """A shared student name is a row; a shared file name gets files of its own."""
    students = find_submissions([class_folder])
    pairs = [("ada_lovelace", "ada lovelace"), ("Carol", "carol")]  # case-blind
    for pair in pairs:  # graded, each under its own feedback file: no griefing
        files = {students[name].files_as for name in pair}
        assert len(files) == 2 and "" not in files, pair
        for name in pair:
            assert students[name].problem == "" and students[name].files
            assert "files written as" in students[name].note
    assert "would both be student" in students["bob"].problem
    assert "would both be student" in students["Jos\u00e9"].problem
    assert "hidden name" in students["hidden_student"].problem
    assert students["fat"].files  # others are still listed to be read


def test_a_file_name_that_is_not_utf8_is_one_students_row(tmp_path):
    """bad\\xff.ipynb once aborted the whole class, and --resume with it."""
    folder = tmp_path / "submissions"
    folder.mkdir()
    notebook = nbformat.writes(nbformat.v4.new_notebook()).encode()
    with open(
        os.path.join(os.fsencode(folder), b"bad\xff\xfename.ipynb"), "wb"
    ) as handle:
        handle.write(notebook)
    (folder / "good.ipynb").write_bytes(notebook)
    students = find_submissions([folder])
    assert len(students) == 2
    for name, submission in students.items():
        name.encode("utf-8")  # the ledger, the CSV and the feedback can hold it
        notebooks, problem = read_student(submission)
        assert problem == "" and len(notebooks) == 1
        from fmnist_course.grading.submissions import submission_digest

        submission_digest(notebooks)
        notebooks[0][0].encode("utf-8")


def test_names_are_shown_printable():
    from fmnist_course.grading.submissions import display_name

    assert display_name("eve\n- fake: 10/10\u202e") == "eve - fake: 10/10"


# --- 3. hidden inputs never reach the feedback ---------------------------------------


def test_feedback_carries_no_error_text_and_nothing_from_hidden_inputs():
    """A student's feedback: the instructor's words, exception types, no raw text."""
    from fmnist_course.grading.feedback import feedback_markdown
    from fmnist_course.grading.scoring import score_answers

    assignment = {
        "exercises": [{"id": "98-double", "title": "Double", "points": 1}],
        "checks": {"lesson_98.py": _GRADED_DOUBLE},
    }
    leaked = [{"value": {"t": "int", "v": str(x * 7919)}} for x in (3, -5, 1000)]
    record = {"exercise": "98-double", "args": [{"t": "function", "key": "0"}]}
    answers = [
        {
            "record": json.dumps(record),
            "functions": json.dumps({"0": leaked}),
            "files": {},
        }
    ]
    scored = score_answers(assignment, answers)["exercises"]["98-double"]
    assert scored["status"] == "failed"
    assert "23757" in scored["detail"]  # the instructor sees it
    student = {
        "student": "eve",
        "exercises": {"98-double": scored},
        "scores": {"98-double": 0},
        "total": 0,
        "errors": ["In [3]: ValueError"],
        "details": ["In [3]: ValueError: 23757"],
    }
    text = feedback_markdown(assignment, student)
    assert "23757" not in text and "grader's own inputs" in text


_GRADED_DOUBLE = """
from fmnist_course.grading.assignment import expect, graded

@graded("98-double", probes={"double": [(3,), (-5,), (1000,)]})
def graded_double(double):
    for x in (3, -5, 1000):
        expect(double(x) == 2 * x, f"double({x}) returned {double(x)}")
"""


# --- 6. scoring is limited and isolated per student ----------------------------------


def test_a_scoring_that_blows_up_becomes_the_students_row(tmp_path):
    """A check that exhausts memory kills its own process, not the grader."""
    require_sandbox()
    source = (
        "from fmnist_course.grading.assignment import expect, graded\n"
        "@graded('98-answer')\n"
        "def graded_answer(answer):\n"
        "    hog = bytearray(int(answer))\n"
        "    hog[::4096] = b'x' * len(hog[::4096])\n"
    )
    assignment = {
        "exercises": [{"id": "98-answer", "title": "A", "points": 1}],
        "checks": {"lesson_98.py": source},
        "digest": "x",
    }
    answers = [
        {
            "record": json.dumps(
                {"exercise": "98-answer", "args": [{"t": "int", "v": str(3 * 2**30)}]}
            ),
            "functions": "",
            "files": {},
        }
    ]
    task = {
        "assignment": assignment,
        "limits": {**LIMITS.__dict__, "memory_bytes": 2**30},
        "sandbox": True,
        "fast": True,
    }
    with pytest.raises(RuntimeError, match="scoring ended without a result"):
        runs_in_sandbox.score_in_sandbox(task, answers)


# --- 7, 8. limits per student ---------------------------------------------------------


def _notebook(*sources):
    return nbformat.writes(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    ).encode()


def test_a_students_notebooks_share_one_time_and_output_budget(monkeypatch):
    """N notebooks never get N times the limits: the rest are not run, said so."""
    require_sandbox()
    monkeypatch.setattr(grade, "STUDENT_TIME_FACTOR", 1)
    monkeypatch.setattr(grade, "STUDENT_OUTPUT_FACTOR", 1)
    flood = "print('x' * (3 * 2**20))"
    task = {
        "student": "greedy",
        "notebooks": [
            ["a.ipynb", _notebook(flood)],
            ["b.ipynb", _notebook(flood)],
            ["c.ipynb", _notebook("print('third')")],
        ],
        "assignment": {"exercises": [], "checks": {}, "digest": "x"},
        "sandbox": True,
        "limits": {**LIMITS.__dict__, "seconds": 60, "output_bytes": 5 * 2**20},
        "fast": True,
    }
    started = time.monotonic()
    record = grade.grade_student(task)
    assert "c.ipynb: not run" in record["problem"]
    assert "c.ipynb" not in " ".join(record["notebooks"])
    assert time.monotonic() - started < 120


# --- 9. a cluster only the instructor can use --------------------------------------


def test_a_plain_tcp_cluster_is_refused_unless_the_risk_is_named(monkeypatch):
    monkeypatch.delenv("FMNIST_INSECURE_CLUSTER", raising=False)
    with pytest.raises(UserError, match="--insecure-cluster"):
        cluster_security("tcp://127.0.0.1:8786")
    assert cluster_security("tcp://127.0.0.1:8786", allow_insecure=True) is None


def test_grading_on_a_plain_cluster_is_refused_before_anything(tmp_path, monkeypatch):
    monkeypatch.delenv("FMNIST_INSECURE_CLUSTER", raising=False)
    notebook = tmp_path / "ada.ipynb"
    notebook.write_bytes(_notebook("1"))
    out = tmp_path / "grading" / "grades.csv"
    with pytest.raises(UserError, match="unauthenticated"):
        grade.grade_submissions(
            [notebook],
            assignment={"exercises": [], "checks": {}, "digest": "x"},
            out_csv=out,
            scheduler="tcp://127.0.0.1:9",
        )
    assert not out.exists()


def test_the_grade_command_names_the_insecure_flag():
    result = subprocess.run(
        [sys.executable, "-m", "fmnist_course", "grade", "--help"],
        capture_output=True,
        text=True,
    )
    assert "--insecure-cluster" in result.stdout and "tls://" in result.stdout
