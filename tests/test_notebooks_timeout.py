"""A busy cell runs as long as it prints; a silent one is stopped; reruns resume.

The limits are scaled down: a silence limit of 3 s stands for the real 15
minutes, and a cell running 6 s stands for a training longer than the old
fixed limit of 1,800 s per cell.
"""

import time

import nbformat
import pytest

from fmnist_course.authoring.execute import (
    LessonError,
    execute_lesson,
    execute_notebook,
)

SILENCE = 3.0


def notebook_of(*sources):
    return nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(source) for source in sources]
    )


def test_a_cell_that_keeps_printing_runs_past_the_silence_limit(tmp_path):
    training = (
        "import time\n"
        "for epoch in range(1, 7):\n"
        "    print(f'Epoch {epoch}/6', flush=True)\n"
        "    time.sleep(1.0)\n"
        "print('trained')"
    )
    lines = []
    from fmnist_course.authoring.cell_watch import LessonProgress

    start = time.monotonic()
    notebook = execute_notebook(
        notebook_of("x = 1", training),
        cwd=tmp_path,
        silence_limit=SILENCE,
        progress=LessonProgress("04_test", report=lines.append),
    )
    assert time.monotonic() - start > 2 * SILENCE  # longer than the limit
    assert "trained" in notebook.cells[1].outputs[-1]["text"]
    assert lines[0] == "04_test: cell 2/2, epoch 1/6"
    assert lines[-1].startswith("04_test: cell 2/2, epoch 6/6, 1.0 s per epoch")
    assert "min left in this training" in lines[-1]


def test_a_silent_cell_is_stopped_with_a_clear_message(tmp_path):
    start = time.monotonic()
    with pytest.raises(LessonError) as raised:
        execute_notebook(
            notebook_of("print('start')", "import time\ntime.sleep(60)", "y = 2"),
            cwd=tmp_path,
            silence_limit=SILENCE,
            name="silent.ipynb",
        )
    assert time.monotonic() - start < 40
    message = str(raised.value)
    assert message.startswith("silent.ipynb failed:")
    assert "printed nothing for 3 seconds" in message
    assert "the kernel looks stuck" in message
    assert "time.sleep(60)" in message  # the cell is shown


def test_a_stuck_kernel_that_ignores_interrupts_is_stopped(tmp_path):
    stuck = (
        "import signal, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "time.sleep(120)"
    )
    start = time.monotonic()
    with pytest.raises(LessonError, match="printed nothing"):
        execute_notebook(notebook_of(stuck), cwd=tmp_path, silence_limit=SILENCE)
    assert time.monotonic() - start < 60


LESSON = """# %% [markdown]
# # Test lesson {number}

# %%
import os
print("ran {number}")
if os.environ.get("FAIL_LESSON") == "{number}":
    raise RuntimeError("lesson {number} fails")
"""


def test_a_rerun_after_a_failure_resumes_with_the_lessons_not_yet_executed(
    tmp_path, monkeypatch
):
    lessons = []
    for number in ("01", "02"):
        path = tmp_path / f"{number}_test.py"
        path.write_text(LESSON.format(number=number), encoding="utf-8")
        lessons.append(path)
    out = tmp_path / "executed"
    reports = []

    def build():
        return [
            execute_lesson(path, output_dir=out, report=reports.append)
            for path in lessons
        ]

    monkeypatch.setenv("FAIL_LESSON", "02")
    with pytest.raises(LessonError, match="lesson 02 fails"):
        build()
    assert (out / "01_test.ipynb").is_file()
    assert not (out / "02_test.ipynb").exists()  # nothing written for a failure
    first_run = (out / "01_test.ipynb").stat().st_mtime_ns

    monkeypatch.delenv("FAIL_LESSON")
    reports.clear()
    executed = build()
    assert (out / "01_test.ipynb").stat().st_mtime_ns == first_run  # not rerun
    assert reports == ["02_test: executing in fast mode", reports[-1]]
    assert reports[-1].startswith("02_test: done in ")
    notebook = nbformat.read(executed[1], as_version=4)
    assert "ran 02" in str(notebook.cells)


def test_an_executed_lesson_records_the_cpu_time_its_kernel_used(tmp_path):
    from fmnist_course.authoring.execute import CPU_FIELD, RUNTIME_FIELD

    path = tmp_path / "01_busy.py"
    path.write_text(
        "# %%\n"
        "import time\n"
        "end = time.process_time() + 2.0\n"
        "while time.process_time() < end:\n"
        "    pass\n",
        encoding="utf-8",
    )
    executed = execute_lesson(path, output_dir=tmp_path / "out", report=None)
    metadata = nbformat.read(executed, as_version=4).metadata
    # the kernel burned 2 CPU-seconds on top of starting up; it is counted
    # only once it has been shut down and reaped, before the time is read
    assert metadata[CPU_FIELD] >= 2.0
    assert metadata[RUNTIME_FIELD] >= 2.0
