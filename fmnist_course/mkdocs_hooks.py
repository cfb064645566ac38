r"""MkDocs hooks that turn the lessons and the results file into website pages.

`mkdocs.yml` loads this module under `hooks:`. At build time it:

- executes every lesson in `lessons/` with `execute_lesson` (cached under
  `build/executed/{fast,full}/`, so an unchanged lesson is not run again) in the
  mode named by `FMNIST_SITE_MODE` (`full`, the default, or `fast`), and fails
  the build when a cell raises;
- prepares each executed notebook for the page: solutions replaced by stubs
  (`strip_solutions`), exercise outputs dropped, progress bars and long logs
  trimmed; and adds it as the page `lessons/NN_name.ipynb`, which mkdocs-jupyter
  renders;
- adds downloads of each lesson (`downloads/NN_name.ipynb` without outputs and
  `downloads/NN_name.py`, both the student version) and a header on the lesson
  page with those links, an "Open in Colab" badge and the measured runtime;
- adds one API reference page per library module (`reference/MODULE.md`) and
  links inline code in lessons (`fmc.train_model`) to it;
- generates the results page from `benchmarks/results.json`.

The nav entries `Lessons` and `API reference` in `mkdocs.yml` are placeholders
that `on_config` fills with the pages above. Lessons come from `lessons/`, or
from `FMNIST_SITE_LESSONS_DIR` when set (for tests).

Examples:
    >>> trim_stream("a\rb\n" * 3, max_lines=10)
    'b\nb\nb\n'

"""

from __future__ import annotations

import ast
import copy
import html
import io
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

from fmnist_course import results as results_module
from fmnist_course.bench.report import render_results_markdown
from fmnist_course.notebooks import (
    LESSONS_DIR,
    MACHINE_FIELD,
    REPO_ROOT,
    RUNTIME_FIELD,
    execute_lesson,
    lesson_paths,
)

log = logging.getLogger("mkdocs.hooks.fmnist_course")

PACKAGE_DIR = REPO_ROOT / "fmnist_course"
PREPARED_DIR = REPO_ROOT / "build" / "site-notebooks"
MODE_VARIABLE = "FMNIST_SITE_MODE"
LESSONS_DIR_VARIABLE = "FMNIST_SITE_LESSONS_DIR"
SOLUTION_MARKER = "### BEGIN SOLUTION"
DEFAULT_BRANCH = "main"
ORIGINAL_ACCURACY = 0.8746  # reported by the original challenge notebook
MAX_STREAM_LINES = 30
# TensorFlow's start-up chatter on stderr: nothing a reader needs.
STDERR_NOISE = re.compile(
    r"absl::InitializeLog|^[IWE]\d{4} \d\d:\d\d:\d\d|cuda|oneDNN|TF-TRT|"
    r"This TensorFlow binary is optimized|To enable the following instructions|"
    r"rebuild TensorFlow with the appropriate compiler flags",
    flags=re.IGNORECASE,
)
LESSONS_NAV_TITLE = "Lessons"
REFERENCE_NAV_TITLE = "API reference"
LADDER_MARKER = "<!-- fmnist-course:ladder -->"
# Modules left out of the API reference: the command line (documented by
# `--help`), entry points, and the per-lesson checks (they would give answers).
REFERENCE_EXCLUDE = re.compile(r"(^|\.)(cli|__main__|__init__|lesson_\d\d|_[^.]*)$")


# Runtime sentence of each lesson page, filled by `on_files` for `on_page_content`.
_RUNTIME_TEXTS: dict[str, str] = {}


@dataclass(frozen=True)
class Lesson:
    """One lesson as the site sees it."""

    path: Path
    title: str

    @property
    def stem(self) -> str:
        """The file name without suffix, e.g. `01_dense_baseline`."""
        return self.path.stem


# --------------------------------------------------------------------------- #
# Settings
# --------------------------------------------------------------------------- #


def site_mode() -> str:
    """The lesson execution mode of this build: `full` (default) or `fast`.

    Raises:
        ValueError: `FMNIST_SITE_MODE` holds something else.

    Examples:
        >>> os.environ.pop("FMNIST_SITE_MODE", None) and None
        >>> site_mode()
        'full'

    """
    mode = os.environ.get(MODE_VARIABLE, "full").strip().lower() or "full"
    if mode not in ("full", "fast"):
        raise ValueError(
            f"Expected {MODE_VARIABLE}=full or {MODE_VARIABLE}=fast. "
            f"Received: {MODE_VARIABLE}={mode!r}"
        )
    return mode


def site_lessons(lessons_dir: str | os.PathLike | None = None) -> list[Lesson]:
    """The lessons to publish, in course order, with their `# Title`.

    Args:
        lessons_dir: Where the `NN_*.py` lessons are; defaults to
            `FMNIST_SITE_LESSONS_DIR` or the repository's `lessons/`.

    Examples:
        >>> [lesson.stem for lesson in site_lessons()]  # doctest: +SKIP
        ['01_dense_baseline', '02_first_cnn']

    """
    lessons_dir = lessons_dir or os.environ.get(LESSONS_DIR_VARIABLE) or LESSONS_DIR
    return [
        Lesson(path, lesson_title(path.read_text(encoding="utf-8"), path.stem))
        for path in lesson_paths(lessons_dir)
    ]


def lesson_title(text: str, default: str) -> str:
    r"""The first `# Title` of a percent-format lesson's markdown, else `default`.

    Examples:
        >>> lesson_title("# %% [markdown]\n# # Dense baseline\n", "01_x")
        'Dense baseline'

    """
    match = re.search(r"^#\s+#\s+(.+?)\s*$", text, flags=re.MULTILINE)
    return match.group(1) if match else default


def reference_modules(package_dir: Path = PACKAGE_DIR) -> list[str]:
    """Dotted names of the library modules that get an API reference page.

    Examples:
        >>> "fmnist_course.data" in reference_modules()
        True

    """
    names = []
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir.parent).with_suffix("")
        name = ".".join(relative.parts)
        if not REFERENCE_EXCLUDE.search(name) and ".cli." not in f"{name}.":
            names.append(name)
    return names


def public_names(modules: list[str], root: Path = REPO_ROOT) -> dict[str, str]:
    """Map each public top-level function or class name to its defining module.

    Names defined in more than one module are left out (a link would guess).

    Examples:
        >>> public_names(["fmnist_course.data"])["load_fashion_mnist"]
        'fmnist_course.data'

    """
    owners: dict[str, list[str]] = {}
    for module in modules:
        path = root / Path(*module.split(".")).with_suffix(".py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            is_definition = isinstance(
                node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
            )
            if is_definition and not node.name.startswith("_"):
                owners.setdefault(node.name, []).append(module)
    return {name: found[0] for name, found in owners.items() if len(found) == 1}


def colab_url(repo_url: str, lesson_stem: str, branch: str = DEFAULT_BRANCH) -> str:
    """The "Open in Colab" address of a lesson notebook in the repository.

    Raises:
        ValueError: `repo_url` is not a `https://github.com/OWNER/NAME` address.

    Examples:
        >>> colab_url("https://github.com/fmnist-course/fmnist-course", "01_x")
        'https://colab.research.google.com/github/fmnist-course/fmnist-course/blob/main/lessons/01_x.ipynb'

    """
    match = re.fullmatch(r"https://github\.com/([^/]+/[^/]+?)/?", repo_url or "")
    if not match:
        raise ValueError(
            "Expected repo_url in mkdocs.yml to be https://github.com/OWNER/NAME. "
            f"Received: repo_url={repo_url!r}"
        )
    return (
        f"https://colab.research.google.com/github/{match.group(1)}"
        f"/blob/{branch}/lessons/{lesson_stem}.ipynb"
    )


# --------------------------------------------------------------------------- #
# Preparing notebooks
# --------------------------------------------------------------------------- #


def trim_stream(text: str, max_lines: int = MAX_STREAM_LINES) -> str:
    r"""Keep what a reader needs from a stream output.

    Progress-bar redraws (`\r`, backspaces) keep their final state only, and a
    log longer than `max_lines` keeps its first and last lines around a note
    saying how many were left out.

    Examples:
        >>> trim_stream("".join(f"{i}\n" for i in range(6)), max_lines=4)
        '0\n1\n... (2 lines left out) ...\n4\n5\n'

    """
    while "\x08" in text:  # a backspace erases the character before it
        erased = re.sub("[^\x08\n]\x08", "", text).replace("\n\x08", "\n")
        erased = erased.lstrip("\x08")
        if erased == text:
            break
        text = erased
    lines = [
        line.rsplit("\r", 1)[-1] if "\r" in line else line for line in text.split("\n")
    ]
    ends_with_newline = text.endswith("\n")
    if ends_with_newline:
        lines = lines[:-1]
    if len(lines) > max_lines:
        head = max_lines // 2
        tail = max_lines - head
        lines = (
            lines[:head]
            + [f"... ({len(lines) - max_lines} lines left out) ..."]
            + lines[-tail:]
        )
    return "\n".join(lines) + ("\n" if ends_with_newline else "")


def strip_exercise_solutions(
    notebook: nbformat.NotebookNode,
) -> nbformat.NotebookNode:
    """The student version: solutions replaced by stubs, exercise outputs dropped.

    Uses `fmnist_course.exercises.authoring.strip_solutions` for the stubs;
    the outputs of the exercise cells are removed too, since they show the
    checks passing with the solution.

    Raises:
        ImportError: The notebook has solutions but `strip_solutions` is missing.
        ValueError: `strip_solutions` changed the number of cells.

    """
    exercise_cells = {
        index
        for index, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and SOLUTION_MARKER in cell.source
    }
    if not exercise_cells:
        return copy.deepcopy(notebook)
    from fmnist_course.exercises.authoring import strip_solutions

    student = strip_solutions(copy.deepcopy(notebook))
    if len(student.cells) != len(notebook.cells):
        raise ValueError(
            "Expected strip_solutions to keep the number of cells. "
            f"Received: {len(notebook.cells)} cells in, {len(student.cells)} out."
        )
    for index in exercise_cells:
        student.cells[index].outputs = []
        student.cells[index].execution_count = None
    return student


def prepare_notebook(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The executed notebook as the site shows it (a new notebook).

    Student version of the exercises, trimmed logs, TensorFlow's start-up
    messages removed, no error output.

    Raises:
        ValueError: A cell has an error output (the site never shows one).

    """
    prepared = strip_exercise_solutions(notebook)
    for index, cell in enumerate(prepared.cells):
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            if output.output_type == "error":
                raise ValueError(
                    f"Cell {index} has an error output ({output.ename}: "
                    f"{output.evalue}); the site never shows errors. Fix the "
                    "lesson and rebuild."
                )
        outputs = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stderr":
                output.text = "".join(
                    line
                    for line in output.text.splitlines(keepends=True)
                    if not STDERR_NOISE.search(line)
                )
            if output.output_type == "stream":
                output.text = trim_stream(output.text)
                if not output.text.strip():
                    continue
            outputs.append(output)
        cell.outputs = outputs
    return prepared


def student_sources(
    notebook: nbformat.NotebookNode,
) -> tuple[str, str]:
    """The downloadable student `.ipynb` (no outputs) and `.py` of a lesson."""
    student = strip_exercise_solutions(notebook)
    for cell in student.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    keep = {"kernelspec"}
    student.metadata = {
        key: value for key, value in student.metadata.items() if key in keep
    }
    return (
        nbformat.writes(student) + "\n",
        jupytext.writes(student, fmt="py:percent"),
    )


def format_seconds(seconds: float) -> str:
    """A runtime for people: `42 s`, `3 min 05 s`, `1 h 02 min`.

    Examples:
        >>> format_seconds(185.2)
        '3 min 05 s'

    """
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def runtime_text(metadata: dict[str, Any], mode: str) -> str:
    """The sentence about a lesson's measured runtime shown on its page.

    Examples:
        >>> runtime_text({"fmnist_course_runtime_seconds": 95,
        ...               "fmnist_course_machine": "AMD EPYC, 2 cores"}, "full")
        'Measured runtime: 1 min 35 s in full mode on AMD EPYC, 2 cores.'

    """
    seconds = metadata.get(RUNTIME_FIELD)
    if seconds is None:
        return "Runtime not measured yet (rebuild with --force to measure it)."
    machine = metadata.get(MACHINE_FIELD, "an unrecorded machine")
    text = f"Measured runtime: {format_seconds(seconds)} in {mode} mode on {machine}."
    if mode == "fast":
        text += (
            " This site was built in fast mode (a small subset, one or two "
            "epochs): its outputs and runtime are not the full lesson's."
        )
    return text


def lesson_header(
    *, ipynb_url: str, py_url: str, colab: str, runtime: str, stem: str
) -> str:
    """HTML inserted under a lesson's title: downloads, Colab badge, runtime."""
    return (
        '<div class="fmnist-lesson-header admonition info">\n'
        '<p class="admonition-title">Run this lesson yourself</p>\n<p>'
        f'<a class="md-button" href="{html.escape(ipynb_url)}" '
        f'download="{stem}.ipynb">Download notebook (.ipynb)</a> '
        f'<a class="md-button" href="{html.escape(py_url)}" '
        f'download="{stem}.py">Download script (.py)</a> '
        f'<a class="md-button fmnist-colab" href="{html.escape(colab)}">'
        "Open in Colab</a></p>\n"
        f"<p>{html.escape(runtime)}</p>\n</div>\n"
    )


def link_reference_names(
    content: str, names: dict[str, str], module_urls: dict[str, str]
) -> str:
    """Link inline code naming a library function or class to its reference.

    Args:
        content: A page's HTML.
        names: Public name -> defining module, from `public_names`.
        module_urls: Module -> address of its reference page from this page.

    Returns:
        The HTML with `<code>fmc.train_model()</code>` (also written bare or
        with its module) wrapped in a link to the function's reference entry.

    Examples:
        >>> link_reference_names(
        ...     "<code>fmc.f()</code>", {"f": "fmnist_course.m"},
        ...     {"fmnist_course.m": "../m/"})
        '<a href="../m/#fmnist_course.m.f"><code>fmc.f()</code></a>'

    """

    def replace(match: re.Match) -> str:
        if match.group("name") is None:  # already a link: leave it
            return match.group(0)
        prefix, _, name = match.group("name").rpartition(".")
        module = names.get(name)
        if module not in module_urls or prefix not in (
            "",
            "fmc",
            "fmnist_course",
            module,
        ):
            return match.group(0)
        return f'<a href="{module_urls[module]}#{module}.{name}">{match.group(0)}</a>'

    return re.sub(
        r"<a\b[^>]*>.*?</a>|<code>(?P<name>[A-Za-z_][\w.]*)(?:\(\))?</code>",
        replace,
        content,
        flags=re.DOTALL,
    )


# --------------------------------------------------------------------------- #
# Results
# --------------------------------------------------------------------------- #

RESULTS_COMMANDS = {
    "ladder": "fmnist-course bench ladder",
    "speed": "fmnist-course bench speed",
    "speed_levers": "fmnist-course bench levers",
    "time_to_accuracy": "fmnist-course bench time-to-accuracy",
    "course_runtime": "fmnist-course site build",
    "tuning": "fmnist-course tune",
}


def ladder_plot(rows: list[dict[str, Any]]) -> bytes:
    """A PNG bar chart of test accuracy per recipe, with the original's mark."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    labels = [f"{row.get('lesson', '')} {row.get('model', '')}".strip() for row in rows]
    accuracies = [100 * float(row.get("test_accuracy", 0.0)) for row in rows]
    figure = Figure(figsize=(7, 0.5 * len(rows) + 1.5))
    axes = figure.subplots()
    axes.barh(labels, accuracies, color="#3f51b5")
    axes.axvline(
        100 * ORIGINAL_ACCURACY,
        color="#e53935",
        linestyle="--",
        label="original challenge (reported)",
    )
    for y, accuracy in enumerate(accuracies):
        axes.text(accuracy, y, f" {accuracy:.2f}%", va="center")
    lowest = min([*accuracies, 100 * ORIGINAL_ACCURACY])
    axes.set_xlim(max(0.0, lowest - 5), 100)
    axes.invert_yaxis()
    axes.set_xlabel("test accuracy (%)")
    axes.legend(loc="lower right")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    return buffer.getvalue()


def _section_markdown(name: str, value: Any) -> str:
    flat: list[tuple[str, Any]] = []

    def walk(prefix: str, item: Any) -> None:
        if isinstance(item, dict):
            for key, sub in item.items():
                walk(f"{prefix}.{key}" if prefix else str(key), sub)
        else:
            flat.append((prefix, item))

    walk("", value)
    lines = ["| measure | value |", "|---|---|"]
    for key, item in flat:
        shown = json.dumps(item) if isinstance(item, (list, dict)) else item
        lines.append(f"| `{key}` | {shown} |")
    return "\n".join(lines)


def results_page(results: dict[str, Any], plot_name: str | None) -> str:
    """The Markdown of the results page, from the results mapping only.

    The ladder, speed, time-to-accuracy and target tables are the ones the
    README shows (`render_results_markdown`); the other sections, such as the
    hyperparameter search, are listed measure by measure.
    """
    parts = [
        "# Results",
        "",
        "Every number on this page is read from `benchmarks/results.json`, which "
        "the benchmark commands write; none is typed by hand. The original "
        f"challenge notebook reported {ORIGINAL_ACCURACY:.2%}.",
        "",
        render_results_markdown(results),
    ]
    if plot_name:
        parts += [f"![Test accuracy per recipe]({plot_name})", ""]
    for key, command in RESULTS_COMMANDS.items():
        if key not in results:
            what = key.replace("_", " ")
            parts += [f"Not measured yet: {what}. Run `{command}`.", ""]
    covered = {
        "ladder",
        "speed",
        "speed_levers",
        "time_to_accuracy",
        "course_runtime",
        "targets",
    }
    for key in [key for key in results if key not in covered]:
        parts += [f"### {key.replace('_', ' ').capitalize()}", ""]
        parts += [_section_markdown(key, results[key]), ""]
    return "\n".join(parts)


# --------------------------------------------------------------------------- #
# MkDocs events
# --------------------------------------------------------------------------- #


def _expand_nav(nav: list, title: str, entries: list) -> None:
    for index, item in enumerate(nav):
        if isinstance(item, dict) and title in item:
            value = item[title]
            head = [value] if isinstance(value, str) else list(value or [])
            nav[index] = {title: [*head, *entries]}
            return
        if isinstance(item, dict):
            for value in item.values():
                if isinstance(value, list):
                    _expand_nav(value, title, entries)


def on_config(config):
    """Fill the `Lessons` and `API reference` nav placeholders."""
    lessons = site_lessons()
    modules = reference_modules()
    if config.nav:
        _expand_nav(
            config.nav,
            LESSONS_NAV_TITLE,
            [{lesson.title: f"lessons/{lesson.stem}.ipynb"} for lesson in lessons],
        )
        _expand_nav(config.nav, REFERENCE_NAV_TITLE, _reference_nav(modules))
    return config


def _reference_nav(modules: list[str]) -> list[dict]:
    """Nav entries of the reference pages; a subpackage's modules are grouped."""
    entries: list[dict] = []
    groups: dict[str, list] = {}
    for module in modules:
        parts = module.removeprefix("fmnist_course.").split(".")
        if len(parts) == 1:
            entries.append({parts[0]: _reference_uri(module)})
        else:
            if parts[0] not in groups:
                groups[parts[0]] = []
                entries.append({parts[0]: groups[parts[0]]})
            groups[parts[0]].append({".".join(parts[1:]): _reference_uri(module)})
    return entries


def _reference_uri(module: str) -> str:
    return (
        "reference/" + module.removeprefix("fmnist_course.").replace(".", "/") + ".md"
    )


def _reference_markdown(module: str) -> str:
    short = module.removeprefix("fmnist_course.")
    return (
        f"# `{short}`\n\n"
        f"The `{module}` module: its public functions and classes, in source "
        "order.\n\n"
        f"::: {module}\n"
    )


def _lessons_index(lessons: list[Lesson], runtimes: dict[str, str]) -> str:
    lines = [
        "# Lessons",
        "",
        "Each lesson is a page you can read with its outputs, a notebook to run "
        "(download it or open it in Colab) and exercises checked as you go.",
        "",
        "| lesson | runtime |",
        "|---|---|",
    ]
    for lesson in lessons:
        lines.append(
            f"| [{lesson.title}]({lesson.stem}.ipynb) | {runtimes[lesson.stem]} |"
        )
    if not lessons:
        lines.append("| No lessons yet. | |")
    return "\n".join(lines) + "\n"


@event_priority(100)  # before mkdocs-jupyter wraps the notebooks as pages
def on_files(files: Files, config) -> Files:
    """Execute the lessons and add the lesson, download, reference and results files."""
    mode = site_mode()
    lessons = site_lessons()
    # A real file under a source folder of its own: mkdocs-jupyter's page
    # wrapper finds it through `src_dir`, which `File.generated` leaves unset.
    source_dir = PREPARED_DIR / mode
    target_dir = source_dir / "lessons"
    target_dir.mkdir(parents=True, exist_ok=True)
    runtimes = {}
    _RUNTIME_TEXTS.clear()
    for lesson in lessons:
        executed_path = execute_lesson(lesson.path, fast=mode == "fast")
        executed = nbformat.read(executed_path, as_version=4)
        prepared = prepare_notebook(executed)
        prepared_path = target_dir / f"{lesson.stem}.ipynb"
        text = nbformat.writes(prepared)
        if not prepared_path.is_file() or prepared_path.read_text("utf-8") != text:
            prepared_path.write_text(text, encoding="utf-8")
        files.append(
            File(
                f"lessons/{lesson.stem}.ipynb",
                src_dir=str(source_dir),
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
        ipynb, script = student_sources(read_lesson_notebook(lesson.path))
        files.append(
            File.generated(config, f"downloads/{lesson.stem}.ipynb", content=ipynb)
        )
        files.append(
            File.generated(config, f"downloads/{lesson.stem}.py", content=script)
        )
        seconds = executed.metadata.get(RUNTIME_FIELD)
        runtimes[lesson.stem] = (
            f"{format_seconds(seconds)} ({mode} mode)" if seconds is not None else "—"
        )
        _RUNTIME_TEXTS[lesson.stem] = runtime_text(executed.metadata, mode)
    files.append(
        File.generated(
            config, "lessons/index.md", content=_lessons_index(lessons, runtimes)
        )
    )
    for module in reference_modules():
        files.append(
            File.generated(
                config, _reference_uri(module), content=_reference_markdown(module)
            )
        )
    results = results_module.load_results()
    plot_name = None
    if results.get("ladder"):
        plot_name = "results-ladder.png"
        files.append(
            File.generated(config, plot_name, content=ladder_plot(results["ladder"]))
        )
    files.append(
        File.generated(config, "results.md", content=results_page(results, plot_name))
    )
    return files


def read_lesson_notebook(path: Path) -> nbformat.NotebookNode:
    """The lesson script as an output-free notebook, as the repository pairs it."""
    from fmnist_course.notebooks import read_lesson

    return read_lesson(path)


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Put the measured ladder where a page has the ladder marker (the home page)."""
    if LADDER_MARKER in markdown:
        markdown = markdown.replace(
            LADDER_MARKER, render_results_markdown(results_module.load_results())
        )
    return markdown


def on_page_content(content: str, page, config, files) -> str:
    """Add the header to lesson pages and link names to the API reference."""
    match = re.fullmatch(r"lessons/(\d\d_[^/]+)\.ipynb", page.file.src_uri)
    if not match:
        return content
    stem = match.group(1)
    header = lesson_header(
        ipynb_url=files.get_file_from_path(f"downloads/{stem}.ipynb").url_relative_to(
            page.file
        ),
        py_url=files.get_file_from_path(f"downloads/{stem}.py").url_relative_to(
            page.file
        ),
        colab=colab_url(
            config.repo_url, stem, config.extra.get("colab_branch", DEFAULT_BRANCH)
        ),
        runtime=_RUNTIME_TEXTS.get(stem, ""),
        stem=stem,
    )
    position = content.find("</h1>")
    position = position + len("</h1>") if position >= 0 else 0
    content = content[:position] + header + content[position:]
    modules = reference_modules()
    module_urls = {}
    for module in modules:
        reference = files.get_file_from_path(_reference_uri(module))
        if reference is not None:
            module_urls[module] = reference.url_relative_to(page.file)
    return link_reference_names(content, public_names(modules), module_urls)
