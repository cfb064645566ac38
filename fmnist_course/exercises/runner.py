"""Execute one submitted notebook and print what it left: run inside the sandbox.

`python .../fmnist_course/exercises/runner.py INPUT_DIR` reads `INPUT_DIR/job.json`
and `INPUT_DIR/notebook.ipynb`, runs the notebook in a fresh kernel in the
current directory (every cell allowed to raise, the whole run bounded by the
job's deadline), and writes one JSON object to its standard output: the
executed notebook, the answers its `check` calls exported, and a problem
line. The kernel never sees that output channel: it writes to `/dev/null`.

Nothing here decides a score. Whatever this process prints is read by the
grader as untrusted data, since student code ran beside it.

It runs as a script and imports nothing from `fmnist_course`, whose import
loads TensorFlow: the kernel loads it when the notebook asks, not twice.

Examples:
    >>> import sys; sys.argv = ["runner", "/input"]  # doctest: +SKIP
    >>> main()  # doctest: +SKIP

"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

# The same names as `export.EXPORT_ENV`, `export.PROBES_ENV`,
# `export.ANSWER_FILE` and `settings.FAST_ENV` (a test keeps them in step).
EXPORT_ENV = "FMNIST_EXPORT_DIR"
PROBES_ENV = "FMNIST_PROBES_DIR"
ANSWER_FILE = "answer.json"
FAST_ENV = "FMNIST_FAST"

MAX_ANSWER_BYTES = 64 * 2**20
"""All exported answers of one notebook together (models included)."""


def _unfinished_cell(notebook: nbformat.NotebookNode) -> int | None:
    """The number (from 1) of the first code cell that did not finish."""
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if "shell.execute_reply" not in cell.metadata.get("execution", {}):
            return index + 1
    return None


def _collect_answers(directory: Path) -> tuple[list[dict], str]:
    answers, total, problem = [], 0, ""
    if not directory.is_dir():
        return answers, problem
    for folder in sorted(p for p in directory.iterdir() if p.is_dir())[:1000]:
        files = {}
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.is_symlink():
                continue
            size = path.stat().st_size
            if total + size > MAX_ANSWER_BYTES:
                problem = "the exported answers were too large; the rest were dropped"
                return answers, problem
            total += size
            files[path.name] = base64.b64encode(path.read_bytes()).decode("ascii")
        record = files.pop(ANSWER_FILE, None)
        if record is not None:
            answers.append({"record": record, "files": files})
    return answers, problem


def run_job(input_dir: Path) -> dict:
    """Execute the job's notebook; return the JSON-ready result."""
    job = json.loads((input_dir / "job.json").read_text(encoding="utf-8"))
    started = time.monotonic()
    deadline = started + float(job["seconds"])
    name = str(job.get("name", "notebook.ipynb"))
    notebook = nbformat.read(input_dir / "notebook.ipynb", as_version=4)
    work = Path.cwd()
    exports = work / ".fmnist-answers"
    for sub in (".config/matplotlib", ".ipython", ".jupyter/runtime"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    os.environ.update(
        {
            EXPORT_ENV: str(exports),
            PROBES_ENV: str(input_dir / "probes"),
            "HOME": str(work),
            "MPLCONFIGDIR": str(work / ".config/matplotlib"),
            "IPYTHONDIR": str(work / ".ipython"),
            "JUPYTER_RUNTIME_DIR": str(work / ".jupyter/runtime"),
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "TF_CPP_MIN_LOG_LEVEL": "3",
        }
    )
    if job.get("fast", True):
        os.environ[FAST_ENV] = "1"
    else:
        os.environ.pop(FAST_ENV, None)

    def time_left(cell) -> int:
        return max(1, int(deadline - time.monotonic()))

    client = NotebookClient(
        notebook,
        timeout_func=time_left,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(work)}},
    )
    problem = ""
    try:
        client.execute()
    except CellTimeoutError:
        problem = (
            f"the notebook ran past its {job['seconds']:g} s time limit in cell "
            f"{_unfinished_cell(notebook)}; graded up to that cell"
        )
    except DeadKernelError:
        problem = (
            f"the kernel died in cell {_unfinished_cell(notebook)} (a crash, or "
            "the memory or process limit); graded up to that cell"
        )
    except Exception as error:  # a kernel that never started, a broken notebook
        first = (str(error).strip().splitlines() or [""])[0][:200]
        cell = _unfinished_cell(notebook)
        problem = f"stopped at cell {cell}: {type(error).__name__}: {first}"
    answers, answers_problem = _collect_answers(exports)
    return {
        "name": name,
        "notebook": notebook,
        "answers": answers,
        "problem": "; ".join(p for p in (problem, answers_problem) if p),
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> int:
    """Run the job in `sys.argv[1]`; the result goes to the original stdout."""
    output = os.fdopen(os.dup(1), "w", encoding="utf-8")  # not inherited
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    result = run_job(Path(sys.argv[1]))
    json.dump(result, output)
    output.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
