"""Unit tests of the website wing: lesson pages, API reference, results page, events."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

pytest.importorskip("mkdocs")

from fmnist_course.authoring.execute import MACHINE_FIELD, RUNTIME_FIELD  # noqa: E402
from fmnist_course.authoring.setup_cell import SETUP_CELL_MARKER  # noqa: E402
from fmnist_course.authoring.student_notebooks import student_notebook  # noqa: E402
from fmnist_course.figure_text import FIGURE_TEXT_FIELD  # noqa: E402
from fmnist_course.settings import FAST_ENV  # noqa: E402
from fmnist_course.website import (  # noqa: E402
    events,
    figure_alt,
    lessons,
    reference,
    results_page,
)


def code_cell(source, outputs=()):
    cell = nbformat.v4.new_code_cell(source)
    cell.outputs = [nbformat.from_dict(output) for output in outputs]
    return cell


def stream(text, name="stdout"):
    return {"output_type": "stream", "name": name, "text": text}


def notebook_with(*cells):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# A title"), *cells]
    return notebook


EXERCISE = (
    "### BEGIN SOLUTION\n"
    "def scale_pixels(images):\n"
    "    return images / 255.0\n"
    "### END SOLUTION\n"
    'check("00-scale-pixels", scale_pixels)'
)


def test_trim_stream_keeps_final_progress_state_and_trims_long_logs():
    assert lessons.trim_stream("1/3\r2/3\r3/3 done\n") == "3/3 done\n"
    assert lessons.trim_stream("ab\b\bcd\n") == "cd\n"
    assert lessons.trim_stream("\b\bx\n") == "x\n"
    log = "".join(f"epoch {i}\n" for i in range(100))
    trimmed = lessons.trim_stream(log, max_lines=10).splitlines()
    assert trimmed[:5] == [f"epoch {i}" for i in range(5)]
    assert trimmed[-5:] == [f"epoch {i}" for i in range(95, 100)]
    assert trimmed[5] == "... (90 lines left out) ..."
    assert lessons.trim_stream("short\n", max_lines=10) == "short\n"


def test_prepare_notebook_refuses_error_outputs():
    error = {
        "output_type": "error",
        "ename": "ValueError",
        "evalue": "bad",
        "traceback": [],
    }
    with pytest.raises(ValueError, match="ValueError: bad"):
        lessons.prepare_notebook(notebook_with(code_cell("1/0", [error])))


def test_prepare_notebook_drops_tensorflow_noise_and_keeps_real_stderr():
    noise = (
        "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
        "I0000 00:00:1795557978.781841   11724 cudart_stub.cc:31] Could not find cuda drivers\n"
    )
    notebook = notebook_with(
        code_cell("import keras", [stream(noise, "stderr")]),
        code_cell("warn()", [stream(noise + "UserWarning: look at this\n", "stderr")]),
    )
    prepared = lessons.prepare_notebook(notebook)
    assert prepared.cells[1].outputs == []
    assert prepared.cells[2].outputs[0].text == "UserWarning: look at this\n"
    assert notebook.cells[1].outputs  # the input notebook is left as it was


def test_prepare_notebook_shows_student_version_without_exercise_outputs():
    pytest.importorskip("fmnist_course.authoring.solutions")
    notebook = notebook_with(
        code_cell("x = 1", [stream("setup output\n")]),
        code_cell(EXERCISE, [stream("✅ 00-scale-pixels: passed\n")]),
    )
    prepared = lessons.prepare_notebook(notebook)
    assert prepared.cells[1].outputs[0].text == "setup output\n"
    exercise = prepared.cells[2]
    assert "return images / 255.0" not in exercise.source
    assert "NotImplementedError" in exercise.source
    assert 'check("00-scale-pixels", scale_pixels)' in exercise.source
    assert exercise.outputs == []


def figure(words=None, data="QUJD"):
    metadata = {} if words is None else {FIGURE_TEXT_FIELD: words}
    return {
        "output_type": "display_data",
        "data": {"image/png": data, "text/plain": "<Figure>"},
        "metadata": metadata,
    }


def panel(title="", xlabel="", ylabel="", legend=(), images=0):
    return {
        "title": title,
        "xlabel": xlabel,
        "ylabel": ylabel,
        "legend": list(legend),
        "images": images,
        "colorbar": False,
    }


def test_prepare_notebook_gives_each_figure_an_alt_text_from_its_cell():
    chart = panel("loss", "epoch", legend=["train", "validation"])
    grid = [panel(name, images=1) for name in ("Coat", "Bag", "Coat")]
    notebook = notebook_with(
        code_cell("plot_history(h)", [figure({"suptitle": "CNN", "axes": [chart]})]),
        code_cell("show(grid)", [figure({"suptitle": "", "axes": grid}, "REVG")]),
        code_cell(
            "# Ink per class\nplt.show()", [figure({"suptitle": "", "axes": []})]
        ),
    )
    prepared = lessons.prepare_notebook(notebook)
    alts = [cell.outputs[0].metadata["image/png"]["alt"] for cell in prepared.cells[1:]]
    assert alts == [
        "CNN. Chart titled loss, over epoch; legend: train, validation.",
        "3 images titled Coat, Bag.",
        "Ink per class.",  # no words in the figure: the cell's caption
    ]
    page = '<p><img alt="No description has been provided for this image" src="data:image/png;base64,REVG"></p>'
    assert figure_alt.write_alt_texts(
        page, figure_alt.alt_texts_by_image(prepared)
    ) == (
        '<p><img alt="3 images titled Coat, Bag." src="data:image/png;base64,REVG"></p>'
    )


def test_prepare_notebook_refuses_a_figure_that_says_nothing():
    notebook = notebook_with(
        code_cell(
            "plt.imshow(x)", [figure({"suptitle": "", "axes": [panel(images=1)]})]
        )
    )
    with pytest.raises(ValueError, match="says nothing"):
        lessons.prepare_notebook(notebook)
    with pytest.raises(ValueError, match="says nothing"):  # executed without the record
        lessons.prepare_notebook(notebook_with(code_cell("plt.show()", [figure()])))


def test_student_sources_are_the_student_notebook(tmp_path):
    lesson = tmp_path / "01_tiny.py"
    lesson.write_text(
        "# %% [markdown]\n# # Tiny\n\n# %%\n" + EXERCISE.replace("\n", "\n") + "\n"
    )
    ipynb, script = lessons.student_sources(lesson)
    parsed = json.loads(ipynb)
    assert all(not cell.get("outputs") for cell in parsed["cells"])
    assert "".join(parsed["cells"][1]["source"]).startswith(SETUP_CELL_MARKER)
    for text in (ipynb, script):
        assert "255.0" not in text
        assert "NotImplementedError" in text
    assert ipynb == nbformat.writes(student_notebook(lesson)) + "\n"


def test_runtime_text_labels_the_mode():
    metadata = {RUNTIME_FIELD: 3725, MACHINE_FIELD: "AMD EPYC, 2 cores"}
    assert lessons.runtime_text(metadata, "full") == (
        "Measured runtime: 1 h 02 min in full mode on AMD EPYC, 2 cores."
    )
    fast = lessons.runtime_text(metadata, "fast")
    assert "in fast mode" in fast and "not the full lesson's" in fast
    assert "not measured" in lessons.runtime_text({}, "full")


def test_link_reference_names_links_only_known_library_names():
    names = {"train_model": "fmnist_course.training"}
    urls = {"fmnist_course.training": "../../reference/training/"}
    html = (
        "<p><code>fmc.train_model()</code> <code>train_model</code> "
        "<code>np.train_model</code> <code>keras.Model</code></p>"
    )
    linked = reference.link_reference_names(html, names, urls)
    target = '<a href="../../reference/training/#fmnist_course.training.train_model">'
    assert linked.count(target) == 2
    assert "<code>np.train_model</code>" in linked.replace(target, "")
    assert reference.link_reference_names(linked, names, urls) == linked  # idempotent


def test_public_names_and_reference_modules_come_from_the_package():
    modules = reference.reference_modules()
    assert "fmnist_course.training" in modules
    assert not [m for m in modules if ".cli" in m or m.endswith("__main__")]
    assert not [m for m in modules if re.search(r"\.lesson_\d\d$", m)]  # answers
    assert "fmnist_course.authoring.lesson_cache" in modules
    names = reference.public_names(modules)
    assert names["train_model"] == "fmnist_course.training"
    assert not [name for name in names if name.startswith("_")]


def test_lesson_title_reads_the_first_heading():
    text = "# %% [markdown]\n# # Convolutions, step by step\n#\n# ## Not this\n"
    assert lessons.lesson_title(text, "02_x") == "Convolutions, step by step"
    assert lessons.lesson_title("# %%\nx = 1\n", "02_x") == "02_x"


def test_site_mode_follows_the_one_fast_switch(monkeypatch):
    monkeypatch.setenv(FAST_ENV, "1")
    assert lessons.site_mode() == "fast"
    monkeypatch.setenv(FAST_ENV, "0")
    assert lessons.site_mode() == "full"
    monkeypatch.delenv(FAST_ENV)
    assert lessons.site_mode() == "full"


def test_results_page_says_what_is_not_measured_yet():
    page = results_page.results_page({}, plot_name=None)
    assert "No benchmark results yet" in page
    assert "Not measured yet: speed. Run `fmnist-course bench speed`" in page
    tables = [line for line in page.splitlines() if line.startswith("|")]
    assert all("theirs" in line for line in tables[2:]), tables  # published only
    assert "| theirs | WRN-40-4 | 8,900,000 | 96.70% |" in page


def test_results_page_renders_the_ladder_from_the_file():
    row = {
        "lesson": "01",
        "model": "dense",
        "params": 235146,
        "epochs": 12,
        "test_accuracy": 0.8899,
        "train_seconds": 40.8,
        "images_per_second": 15882.4,
        "peak_rss_mib": 1167.0,
        "seed": 0,
        "device": "cpu",
        "machine": {"cpu_model": "AMD EPYC", "logical_cores": 2, "gpus": []},
        "runs": [
            {"seed": 0, "test_accuracy": 0.8889, "train_seconds": 40.0},
            {"seed": 1, "test_accuracy": 0.8909, "train_seconds": 41.6},
        ],
    }
    results = {"ladder": [row], "tuning": {"grid": {"total_epochs": 60}}}
    page = results_page.results_page(results, plot_name="results-ladder.png")
    assert (
        "| 01 | `dense` | 235,146 | 12 | 88.99% ± 0.14 | 88.89–89.09 | — | 2 | 40.8 s "
        "| 15,882 | 1,167 MiB |" in page
    )
    assert "seeds 0 and 1" in page
    assert "| **ours** | `dense` | 235,146 | 88.99% | mean of 2 seeds" in page
    assert "AMD EPYC" in page
    assert "| `grid.total_epochs` | 60 |" in page
    assert "![Test accuracy per recipe](results-ladder.png)" in page
    assert (
        "Not measured yet: time to accuracy. Run `fmnist-course bench time-to-accuracy`"
        in page
    )
    assert results_page.ladder_plot([row])[:8] == b"\x89PNG\r\n\x1a\n"


def test_expand_nav_fills_placeholders():
    nav = [{"Home": "index.md"}, {"Lessons": "lessons/index.md"}]
    events._expand_nav(nav, "Lessons", [{"One": "lessons/01_x.ipynb"}])
    assert nav[1] == {"Lessons": ["lessons/index.md", {"One": "lessons/01_x.ipynb"}]}
    entries = reference.reference_nav(
        ["fmnist_course.bench.flops", "fmnist_course.models", "fmnist_course.data"]
    )
    assert entries == [
        {
            "For students": [
                {"data": "reference/data.md"},
                {"models": "reference/models.md"},
            ]
        },
        {"For maintainers": [{"bench": [{"flops": "reference/bench/flops.md"}]}]},
    ]


def test_reference_puts_every_student_module_before_the_internals():
    modules = reference.reference_modules()
    nav = reference.reference_nav(modules)
    assert [next(iter(section)) for section in nav] == [
        "For students",
        "For maintainers",
    ]
    students = json.dumps(nav[0])
    for name in ("data", "models", "training", "plots", "predict", "tuning"):
        assert f'"{name}"' in students
    for name in ("website", "bench", "notebooks"):
        assert f'"{name}"' not in students
