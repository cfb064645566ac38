"""Grading untrusted notebooks of the fake lesson 98 in the sandbox: attacks included.

Every attack of the grading issue is one student of a single batch, graded with
2 workers and small limits. Each gets the score its real answers deserve,
nothing is written outside its own sandbox, no process survives, and the other
submissions are byte-identical afterwards.
"""

import csv
import hashlib
import json
import os
import shutil
import socket
import threading
import uuid
from pathlib import Path

import nbformat
import pytest
from exercise_fixtures import write_fake_lesson, write_graded_checks

from fmnist_course.grading.grade import grade_submissions
from fmnist_course.grading.handouts import build_exercises
from fmnist_course.grading.sandbox import Limits, sandbox_problem

LIMITS = Limits(
    seconds=60, memory_bytes=2 * 2**30, max_processes=200, output_bytes=32 * 2**20
)
MARKER = f"fmnist-attack-{uuid.uuid4().hex[:8]}"
"""In every process an attack starts, to find survivors."""


def require_sandbox():
    problem = sandbox_problem()
    if problem:
        pytest.fail(f"These tests need bubblewrap; run `make setup`. {problem}")


def with_cells(notebook, *sources, at=None):
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))  # a copy
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    if at is None:
        notebook.cells.extend(cells)
    else:
        notebook.cells[at:at] = cells
    return notebook


def printed(path):
    """What the cells of an executed notebook printed (not their sources)."""
    notebook = nbformat.read(path, as_version=4)
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )


def survivors():
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if MARKER.encode() in cmdline:  # only this module's attackers carry it
            found.append(cmdline.decode(errors="replace"))
    return found


@pytest.fixture(scope="module")
def handout(tmp_path_factory):
    root = tmp_path_factory.mktemp("handout")
    build_exercises(
        root / "handout",
        [write_fake_lesson(root / "lessons")],
        graded_dir=write_graded_checks(root / "graded"),
    )
    return root / "handout"


@pytest.fixture(scope="module")
def batch(handout, tmp_path_factory):
    require_sandbox()
    root = tmp_path_factory.mktemp("batch")
    student = nbformat.read(handout / "student" / "98_fake.ipynb", as_version=4)
    solved = nbformat.read(handout / "instructor" / "98_fake.ipynb", as_version=4)
    submissions = root / "submissions"
    submissions.mkdir()
    out_csv = root / "grading" / "grades.csv"
    classmate = submissions / "honest.ipynb"
    outside = root / f"outside-{MARKER}.txt"
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    connections = []

    def accept():
        while not stop.is_set():
            try:
                connections.append(listener.accept())
            except OSError:
                continue

    stop = threading.Event()
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()

    wrong = nbformat.from_dict(json.loads(json.dumps(student)))
    stub_line = next(
        line for line in wrong.cells[3].source.splitlines() if "raise" in line
    )
    wrong.cells[3].source = wrong.cells[3].source.replace(stub_line, "answer = 41")
    notebooks = {
        "honest": solved,
        "stub": student,
        # Every checker accepts anything; the answers are wrong.
        "accept_all": with_cells(
            wrong,
            "from fmnist_course.exercises import EXERCISES\n"
            "for key, entry in list(EXERCISES.items()):\n"
            "    EXERCISES[key] = type(entry)(key, '', lambda *a, **k: None)",
            at=2,
        ),
        # Invented exports: a formula id, 50 invented ids, a verdict without answers.
        "forger": with_cells(
            student,
            "import json, os, pathlib\n"
            "root = pathlib.Path(os.environ['FMNIST_EXPORT_DIR'])\n"
            "ids = ['=HYPERLINK(\"http://x\")', '98-answer'] + [f'97-fake-{i}' for i in range(50)]\n"
            "for number, exercise in enumerate(ids):\n"
            "    folder = root / f'{9000 + number:04d}'\n"
            "    folder.mkdir(parents=True)\n"
            "    (folder / 'answer.json').write_text(json.dumps({'exercise': exercise, 'passed': True}))",
        ),
        # Writes outside its directory: the classmate, the output, /tmp, a symlink.
        "escaper": with_cells(
            solved,
            "import os, pathlib\n"
            f"targets = [{str(classmate)!r}, {str(out_csv)!r}, {str(outside)!r},\n"
            f"           '/usr/{MARKER}', '/etc/{MARKER}', '/{MARKER}']\n"
            "for target in targets:\n"
            "    try:\n"
            "        pathlib.Path(target).parent.mkdir(parents=True, exist_ok=True)\n"
            "        with open(target, 'a') as handle:\n"
            "            handle.write('pwned')\n"
            "        print('WROTE', target)\n"
            "    except OSError as error:\n"
            "        print('refused', target, type(error).__name__)\n"
            f"os.symlink({str(root)!r}, 'escape')\n"
            "try:\n"
            "    open('escape/pwned.txt', 'w').write('x')\n"
            "except OSError as error:\n"
            "    print('refused symlink', type(error).__name__)\n"
            f"os.symlink({str(outside)!r}, os.environ['FMNIST_EXPORT_DIR'] + '/link')",
        ),
        # A connection to the grader's machine.
        "caller": with_cells(
            solved,
            "import socket\n"
            "try:\n"
            f"    socket.create_connection(('127.0.0.1', {port}), timeout=3)\n"
            "    print('CONNECTED')\n"
            "except OSError as error:\n"
            "    print('no connection', type(error).__name__)",
        ),
        # Processes that try to outlive grading, one rewriting the CSV later.
        "lingerer": with_cells(
            solved,
            "import subprocess, sys\n"
            f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', "
            f"'{MARKER}'])\n"
            f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(301)', "
            f"'{MARKER}'], start_new_session=True)\n"
            "subprocess.Popen([sys.executable, '-c', 'import time, sys; time.sleep(8); "
            f'open({str(out_csv)!r}, "w").write("=1+1")\', \'{MARKER}\'], '
            "start_new_session=True)",
        ),
        # Hidden inputs: list /input, look for the probes' socket, and leak
        # what the function receives through error text, stderr and a print.
        "leaker": with_cells(
            student,
            "import os, sys\n"
            "print('INPUT', sorted(os.listdir('/input')))\n"
            "print('SOCKET', os.path.exists(os.environ.get('FMNIST_PROBE_SOCKET', '')))\n"
            "def double(x):\n"
            "    print('SEEN', x * 7919, file=sys.stderr)\n"
            "    raise ValueError(f'LEAK {x * 7919}')\n"
            "check('98-double', double)",
        ),
        # A bounded fork bomb: a few thousand processes.
        "forker": with_cells(
            solved,
            "import os, time\n"
            "children = 0\n"
            "try:\n"
            "    for _ in range(3000):\n"
            "        if os.fork() == 0:\n"
            "            time.sleep(30)\n"
            "            os._exit(0)\n"
            "        children += 1\n"
            "except OSError as error:\n"
            "    print('stopped after', children, type(error).__name__)",
        ),
        # 3 GiB of memory, then a check that should not count.
        "hog": with_cells(
            solved,
            "hog = b'x' * (3 * 2**30)\nprint('ALLOCATED')",
            "check('98-answer', 41)",
        ),
        # Sleeps longer than the notebook's limit, in cells each under it.
        "sleeper": with_cells(
            solved,
            "import time\ntime.sleep(25)",
            "time.sleep(25)",
            "time.sleep(25)\ncheck('98-answer', 41)",
        ),
    }
    for name, notebook in notebooks.items():
        nbformat.write(notebook, submissions / f"{name}.ipynb")
    bad = json.loads(json.dumps(student))
    bad["cells"][3]["source"] = 5
    (submissions / "number_source.ipynb").write_text(json.dumps(bad))
    (submissions / "not_json.ipynb").write_text("{ this is not json")
    shutil.copy(submissions / "honest.ipynb", submissions / "=HYPERLINK(1).ipynb")
    digests = {
        p: hashlib.sha256(p.read_bytes()).hexdigest() for p in submissions.iterdir()
    }
    records = grade_submissions(
        [submissions],
        assignment=handout,
        out_csv=out_csv,
        workers=2,
        limits=LIMITS,
    )
    stop.set()
    thread.join()
    listener.close()
    with open(out_csv, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return {
        "records": {r["student"]: r for r in records},
        "rows": rows,
        "table": {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]},
        "root": root,
        "submissions": submissions,
        "digests": digests,
        "out_csv": out_csv,
        "outside": outside,
        "connections": connections,
        "executed": {
            p.parent.name: printed(p)
            for p in (out_csv.parent / "executed").rglob("*.ipynb")
        },
    }


def scores(batch, student):
    row = batch["table"][student]
    return row["98-answer"], row["98-double"], row["total"]


def test_honest_gets_full_marks_and_stub_none(batch):
    assert scores(batch, "honest") == ("1", "1", "2")
    assert scores(batch, "stub") == ("0", "0", "0")
    assert batch["table"]["honest"]["mode"] == "sandbox"
    assert batch["table"]["honest"]["problem"] == ""


def test_replaced_checkers_do_not_change_the_grade(batch):
    assert scores(batch, "accept_all") == ("0", "0", "0")


def test_forged_exports_score_nothing_and_never_reach_the_header(batch):
    assert scores(batch, "forger") == ("0", "0", "0")
    assert batch["rows"][0] == [
        "student",
        "98-answer",
        "98-double",
        "total",
        "mode",
        "problem",
        "probe",
    ]
    assert "ignored" in batch["table"]["forger"]["problem"]
    for row in batch["rows"]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), row
    assert "'=HYPERLINK(1)" in batch["table"]


def test_writes_outside_the_sandbox_fail_and_grading_goes_on(batch):
    assert scores(batch, "escaper") == ("1", "1", "2")
    executed = batch["executed"]["escaper"]
    # Paths under /tmp exist only in the sandbox's private /tmp; the rest of
    # the system is read-only.
    for target in (f"/usr/{MARKER}", f"/etc/{MARKER}", f"/{MARKER}"):
        assert f"refused {target}" in executed
        assert not Path(target).exists()
    assert not batch["outside"].exists()
    assert not (batch["root"] / "pwned.txt").exists()
    for path, digest in batch["digests"].items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == digest


def test_hidden_inputs_never_reach_the_students_feedback(batch):
    """Hidden inputs are not a folder, and nothing computed on them comes back."""
    assert scores(batch, "leaker") == ("0", "0", "0")
    executed = batch["executed"]["leaker"]
    assert "INPUT ['job.json', 'notebook.ipynb']" in executed
    assert "SOCKET False" in executed  # no socket while the student's cells run
    feedback = (batch["out_csv"].parent / "feedback" / "leaker.md").read_text()
    for leaked in ("LEAK", "23757", "SEEN", "7919"):
        assert leaked not in feedback
        assert leaked not in batch["table"]["leaker"]["problem"]
    assert "grader's own inputs" in feedback


def test_the_probe_is_recorded_in_every_row(batch):
    for row in batch["table"].values():
        assert row["probe"].startswith("passed: host uid 65534")


def test_no_network(batch):
    assert scores(batch, "caller") == ("1", "1", "2")
    assert "no connection" in batch["executed"]["caller"]
    assert batch["connections"] == []


def test_no_process_outlives_grading_and_the_csv_stays(batch):
    assert scores(batch, "lingerer") == ("1", "1", "2")
    import time

    time.sleep(9)  # past the detached rewriter's delay
    assert survivors() == []
    assert not batch["out_csv"].read_text().startswith("=1+1")


def test_fork_bomb_is_bounded(batch):
    assert scores(batch, "forker") == ("1", "1", "2")
    assert "stopped after" in batch["executed"]["forker"]


def test_memory_and_time_are_capped_per_notebook(batch):
    assert scores(batch, "hog") == ("1", "1", "2")
    assert "ALLOCATED" not in batch["executed"]["hog"]
    assert "kernel died" in batch["table"]["hog"]["problem"]
    assert scores(batch, "sleeper") == ("1", "1", "2")
    assert "time limit" in batch["table"]["sleeper"]["problem"]


def test_malformed_files_are_rows_of_their_own(batch):
    for name in ("number_source", "not_json"):
        assert scores(batch, name) == ("0", "0", "0")
        assert "not a readable notebook" in batch["table"][name]["problem"]
    assert len(batch["rows"]) == 1 + len(batch["digests"])


def test_outputs_beside_the_csv(batch):
    grading = batch["out_csv"].parent
    assert sorted(p.name for p in grading.iterdir()) == [
        "executed",
        "feedback",
        "grades.csv",
        "grades.jsonl",
        "summary.md",
    ]
    feedback = (grading / "feedback" / "stub.md").read_text()
    assert "Score: 0 / 2 points" in feedback
    assert feedback.index("98-answer") < feedback.index("98-double")
    assert "In [" in (grading / "feedback" / "honest.md").read_text()
    summary = (grading / "summary.md").read_text()
    assert "| `98-answer` |" in summary
    ledger = (grading / "grades.jsonl").read_text().splitlines()
    assert len(ledger) == len(batch["digests"])


def test_existing_outputs_are_refused_before_grading(batch, handout):
    before = batch["out_csv"].read_bytes()
    with pytest.raises(FileExistsError, match="Refusing to overwrite"):
        grade_submissions(
            [batch["submissions"]], assignment=handout, out_csv=batch["out_csv"]
        )
    assert batch["out_csv"].read_bytes() == before


def test_a_rerun_with_resume_grades_nobody_again(batch, handout):
    records = grade_submissions(
        [batch["submissions"]],
        assignment=handout,
        out_csv=batch["out_csv"],
        resume=True,
    )
    assert len(records) == len(batch["digests"])
    ledger = (batch["out_csv"].parent / "grades.jsonl").read_text().splitlines()
    assert len(ledger) == len(batch["digests"])  # nothing appended


def test_resume_after_the_grader_is_killed(handout, tmp_path):
    """Kill `fmnist-course grade` once a student is in the ledger; resume."""
    import signal
    import subprocess
    import sys
    import time

    require_sandbox()
    student = nbformat.read(handout / "instructor" / "98_fake.ipynb", as_version=4)
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    for name in ("ann", "ben"):
        nbformat.write(student, submissions / f"{name}.ipynb")
    out_csv = tmp_path / "grading" / "grades.csv"
    ledger = out_csv.with_suffix(".jsonl")
    command = [
        sys.executable, "-m", "fmnist_course", "grade", str(submissions),
        "--assignment", str(handout), "--out", str(out_csv), "--workers", "1",
        "--timeout", "60",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if ledger.is_file() and ledger.read_text().count("\n") >= 1:
            break
        time.sleep(0.05)  # kill before the second student can finish too
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    first = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert len(first) == 1, process.stderr.read().decode()[-2000:]
    assert not out_csv.exists()
    refused = subprocess.run(command, capture_output=True, text=True)
    assert refused.returncode == 2 and "--resume" in refused.stderr
    resumed = subprocess.run([*command, "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    records = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert records[: len(first)] == first  # finished students were not regraded
    assert sorted(r["student"] for r in records) == ["ann", "ben"]
    with open(out_csv, newline="") as handle:
        rows = {row["student"]: row["total"] for row in csv.DictReader(handle)}
    assert rows == {"ann": "2", "ben": "2"}
    assert survivors() == []


def test_grading_refuses_without_a_sandbox_and_writes_nothing(
    handout, tmp_path, monkeypatch
):
    from fmnist_course.grading import sandbox
    from fmnist_course.grading.sandbox import SandboxUnavailable

    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    assert "bubblewrap" in sandbox.sandbox_problem()
    notebook = tmp_path / "ada.ipynb"
    shutil.copy(handout / "student" / "98_fake.ipynb", notebook)
    out_csv = tmp_path / "grading" / "grades.csv"
    with pytest.raises(SandboxUnavailable, match="--no-sandbox"):
        grade_submissions([notebook], assignment=handout, out_csv=out_csv)
    assert not out_csv.parent.exists()


def test_no_sandbox_mode_is_recorded_in_the_table(handout, tmp_path):
    folder = tmp_path / "submissions" / "ada"  # a folder per student
    folder.mkdir(parents=True)
    shutil.copy(handout / "instructor" / "98_fake.ipynb", folder / "98_fake.ipynb")
    out_csv = tmp_path / "grading" / "grades.csv"
    [record] = grade_submissions(
        [tmp_path / "submissions"],
        assignment=handout,
        out_csv=out_csv,
        sandbox=False,
        limits=LIMITS,
    )
    assert (record["student"], record["total"], record["mode"]) == (
        "ada",
        2,
        "no-sandbox",
    )
    assert "ada,1,1,2,no-sandbox,,no-sandbox" in out_csv.read_text()
