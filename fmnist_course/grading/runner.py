"""Execute one submitted notebook and print what it left: run inside the sandbox.

`python .../fmnist_course/grading/runner.py INPUT_DIR` reads `INPUT_DIR/job.json`
and `INPUT_DIR/notebook.ipynb`, and the hidden inputs of function answers on
its standard input (never a file the notebook can open). It makes itself
non-dumpable, so that the kernel it starts, which runs as the same user,
cannot read its memory, its descriptors or its environment through `/proc`.

Then it runs the notebook in a fresh kernel, cell by cell (every cell allowed
to raise, the student's cells bounded by the job's deadline less a reserve),
and, after the last of them, one cell of its own that calls the kept
functions on the hidden inputs (`fmnist_course.exercises.export.run_probes`).
Only during that cell does a socket exist that hands the inputs out, one
call at a time. The answers the student's cells exported are read before it
starts; what the functions return is added after.

It writes one JSON object to its standard output: the executed notebook, the
answers, and a problem line. The kernel never sees that output channel.
Nothing here decides a score: the grader reads this as untrusted data.

It runs as a script and imports only `fmnist_course.settings` (the standard
library only): the kernel loads TensorFlow when the notebook asks, not twice.

Examples:
    >>> import sys; sys.argv = ["runner", "/input"]  # doctest: +SKIP
    >>> main()  # doctest: +SKIP

"""

from __future__ import annotations

import base64
import contextlib
import copy
import ctypes
import json
import os
import re
import signal
import socket
import stat
import sys
import threading
import time
from pathlib import Path

import nbformat
from jupyter_core.utils import ensure_async, run_sync
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from fmnist_course.settings import FAST_ENV, QUIET_TF_LOGS

# The same names as `export.EXPORT_ENV`, `export.PROBE_SOCKET_ENV`,
# `export.ANSWER_FILE` and `export.FUNCTIONS_FILE`
# (a test keeps them in step).
EXPORT_ENV = "FMNIST_EXPORT_DIR"
PROBE_SOCKET_ENV = "FMNIST_PROBE_SOCKET"
ANSWER_FILE = "answer.json"
FUNCTIONS_FILE = "functions.json"

MAX_ANSWER_BYTES = 32 * 2**20
"""All exported answers of one notebook together (models included)."""
MAX_ANSWERS = 1000
PROBE_SECONDS = 120
"""Kept back from the deadline for the cell that calls functions on hidden inputs."""
PROBE_CELL = (
    "from fmnist_course.exercises.export import run_probes as _fmnist_run_probes\n"
    "_fmnist_run_probes()"
)
PROBE_TAG = "fmnist-grader-probes"
FILE_NAME = re.compile(r"^f\d{1,6}\.(npy|keras)$")
_PR_SET_DUMPABLE = 4


def make_undumpable() -> bool:
    """Stop same-user processes from reading this one through `/proc`."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _unfinished_cell(notebook: nbformat.NotebookNode) -> int | None:
    """The number (from 1) of the first code cell that did not finish."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if "shell.execute_reply" not in cell.metadata.get("execution", {}):
            return index + 1
    return None


class Answers:
    """The exported answers, read from the export directory under size limits."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.folders: dict[str, dict] = {}
        self.total = 0
        self.problem = ""
        self.snapshotted = False

    def _read(self, path: Path) -> bytes | None:
        try:
            handle = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return None
        with os.fdopen(handle, "rb") as stream:
            status = os.fstat(handle)
            if not stat.S_ISREG(status.st_mode):
                return None
            size = status.st_size
            if self.total + size > MAX_ANSWER_BYTES:
                self.problem = (
                    "the exported answers were too large; the rest were dropped"
                )
                return None
            data = stream.read(size + 1)[:size]
        self.total += len(data)
        return data

    def snapshot(self) -> None:
        """Read every answer folder the student's cells wrote (once)."""
        if self.snapshotted:
            return
        self.snapshotted = True
        if not self.directory.is_dir():
            return
        names = sorted(p.name for p in self.directory.iterdir() if p.name.isdigit())
        for name in names[:MAX_ANSWERS]:
            folder = self.directory / name
            if name in self.folders or folder.is_symlink() or not folder.is_dir():
                continue
            record = self._read(folder / ANSWER_FILE)
            if record is None:
                continue
            files = {}
            for path in sorted(folder.iterdir()):
                if FILE_NAME.match(path.name):
                    data = self._read(path)
                    if data is not None:
                        files[path.name] = data
            self.folders[name] = {"record": record, "files": files}

    def add_function_outputs(self) -> None:
        """Add what the kept functions returned to the folders read before."""
        for name, answer in self.folders.items():
            folder = self.directory / name
            outputs = self._read(folder / FUNCTIONS_FILE)
            if outputs is None:
                continue
            answer["functions"] = outputs
            with contextlib.suppress(OSError):
                for path in sorted(folder.iterdir()):
                    if FILE_NAME.match(path.name) and path.name not in answer["files"]:
                        data = self._read(path)
                        if data is not None:
                            answer["files"][path.name] = data

    def as_json(self) -> list[dict]:
        """The answers as base64 text, in the order the cells exported them."""

        def text(data: bytes) -> str:
            return base64.b64encode(data).decode("ascii")

        return [
            {
                "record": text(answer["record"]),
                "functions": text(answer.get("functions", b"")),
                "files": {n: text(d) for n, d in answer["files"].items()},
            }
            for _, answer in sorted(self.folders.items())
        ]


class ProbeServer:
    """Hands out hidden inputs, one call at a time, each at most once.

    Its thread starts with the runner, before any student code can use up
    the process limit; its socket exists only while `serving`.
    """

    def __init__(self, path: Path, probes: dict) -> None:
        self.path = path
        self.probes = probes
        self.served: set[tuple] = set()
        self.listener: socket.socket | None = None
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _reply(self, request: dict) -> dict:
        exercise_id, key, number = (
            request.get("exercise"),
            request.get("key"),
            request.get("call"),
        )
        calls = self.probes.get(exercise_id, {}).get(key, [])
        if not isinstance(number, int) or not 0 <= number < len(calls):
            return {"args": None}
        if (exercise_id, key, number) in self.served:
            return {"args": None, "problem": "already handed out"}
        self.served.add((exercise_id, key, number))
        call = calls[number]
        return {"args": call["args"], "files": call["files"]}

    def _serve(self) -> None:
        self.ready.wait()
        while self.listener is not None:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection, contextlib.suppress(OSError, ValueError):
                connection.settimeout(30)
                with connection.makefile("rb") as stream:
                    request = json.loads(stream.readline(10_000))
                reply = self._reply(request) if isinstance(request, dict) else {}
                connection.sendall(json.dumps(reply).encode() + b"\n")

    @contextlib.contextmanager
    def serving(self):
        """Open the socket for the duration of the block, then remove it."""
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(self.path))
        self.listener.listen(8)
        self.ready.set()
        try:
            yield self
        finally:
            self.close()

    def close(self) -> None:
        """Stop handing out inputs and remove the socket."""
        listener, self.listener = self.listener, None
        self.ready.set()
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with contextlib.suppress(OSError):
            self.path.unlink()


def run_job(input_dir: Path, probes: dict) -> dict:
    """Execute the job's notebook, then its function answers; return the result."""
    job = json.loads((input_dir / "job.json").read_text(encoding="utf-8"))
    started = time.monotonic()
    seconds = float(job["seconds"])
    reserve = min(PROBE_SECONDS, seconds / 4) if probes else 0
    deadline = started + seconds
    name = str(job.get("name", "notebook.ipynb"))
    notebook = nbformat.read(input_dir / "notebook.ipynb", as_version=4)
    student_cells = len(notebook.cells)
    work = Path.cwd()
    exports = work / ".fmnist-answers"
    socket_path = work / ".fmnist-probes.sock"
    for sub in (".config/matplotlib", ".ipython", ".jupyter/runtime"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            EXPORT_ENV: str(exports),
            PROBE_SOCKET_ENV: str(socket_path),
            "HOME": str(work),
            "MPLCONFIGDIR": str(work / ".config/matplotlib"),
            "IPYTHONDIR": str(work / ".ipython"),
            "JUPYTER_RUNTIME_DIR": str(work / ".jupyter/runtime"),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            **QUIET_TF_LOGS,
        }
    )
    if job.get("fast", True):
        os.environ[FAST_ENV] = "1"
    else:
        os.environ.pop(FAST_ENV, None)
    probe_cell = nbformat.v4.new_code_cell(PROBE_CELL)
    probe_cell.metadata["tags"] = [PROBE_TAG]

    def time_left(cell) -> int:
        if PROBE_TAG in cell.get("metadata", {}).get("tags", []):
            return max(1, int(deadline - time.monotonic()))
        return max(1, int(deadline - reserve - time.monotonic()))

    answers = Answers(exports)
    server = ProbeServer(socket_path, probes) if probes else None

    def run(cells: list) -> str:
        """Execute `cells` in a fresh kernel, then the function answers."""
        book = nbformat.v4.new_notebook(cells=cells, metadata=notebook.metadata)
        client = NotebookClient(
            book,
            timeout_func=time_left,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(work)}},
        )
        problem = ""
        with client.setup_kernel():
            for index, cell in enumerate(list(book.cells)):
                try:
                    client.execute_cell(cell, index)
                except CellTimeoutError:
                    problem = (
                        f"the notebook ran past its {seconds:g} s time limit in "
                        f"cell {index + 1}; graded up to that cell"
                    )
                    run_sync(ensure_async)(client.km.interrupt_kernel())
                    break
            answers.snapshot()
            if server is not None and time.monotonic() < deadline:
                with server.serving():
                    book.cells.append(probe_cell)
                    try:
                        client.execute_cell(probe_cell, len(book.cells) - 1)
                    except CellTimeoutError:
                        problem = problem or "the functions ran past the time limit"
                answers.add_function_outputs()
        return problem

    problem = ""
    try:
        problem = run(notebook.cells)
    except DeadKernelError:
        if answers.snapshotted:
            # It died while running the functions on the hidden inputs: say
            # nothing that depends on them; those functions simply fail.
            problem = ""
        dead = _unfinished_cell(notebook) or len(notebook.cells)
        if not answers.snapshotted:
            problem = (
                f"the kernel died in cell {dead} (a crash, or the memory or "
                "process limit); graded up to that cell"
            )
        if server is not None and not answers.snapshotted:
            # The functions died with the kernel: run the cells before the one
            # that died again, in a fresh kernel, outputs thrown away, then
            # the functions on the hidden inputs.
            with contextlib.suppress(Exception):
                run(copy.deepcopy(notebook.cells[: dead - 1]))
    except Exception as error:  # a kernel that never started, a broken notebook
        if not answers.snapshotted:
            problem = (
                f"stopped at cell {_unfinished_cell(notebook)} ({type(error).__name__})"
            )
    if not answers.snapshotted:
        answers.snapshot()
    del notebook.cells[student_cells:]
    return {
        "name": name,
        "notebook": notebook,
        "answers": answers.as_json(),
        "problem": "; ".join(p for p in (problem, answers.problem) if p),
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> int:
    """Run the job in `sys.argv[1]`; the result goes to the original stdout."""
    make_undumpable()
    # The sandbox's first process: a signal from inside reaches it only when it
    # has a handler, and Python has one for SIGINT. Ignore it (in a handler,
    # not SIG_IGN, which the kernel would inherit and stop being interruptible).
    signal.signal(signal.SIGINT, lambda number, frame: None)
    output = os.fdopen(os.dup(1), "w", encoding="utf-8")  # not inherited
    raw = sys.stdin.buffer.read()
    probes = json.loads(raw) if raw.strip() else {}
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)  # the hidden inputs' file is closed to the kernel
    os.dup2(devnull, 1)
    os.close(devnull)
    result = run_job(Path(sys.argv[1]), probes)
    json.dump(result, output)
    output.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
