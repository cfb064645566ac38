"""MkDocs hooks: the events that turn lessons and results into website pages.

`mkdocs.yml` loads this module under `hooks:`. At build time it:

- executes every lesson with `execute_lesson` (cached under
  `build/executed/{fast,full}/`, so an unchanged lesson is not run again), in
  fast mode under `FMNIST_FAST=1` and in full mode otherwise, and fails the
  build when a cell raises;
- adds each prepared notebook as the page `lessons/NN_name.ipynb`, which
  mkdocs-jupyter renders, with the student downloads `downloads/NN_name.ipynb`
  and `downloads/NN_name.py` (`fmnist_course.website.lessons`);
- writes each lesson figure's alt text into its page
  (`fmnist_course.website.figure_alt`);
- adds one API reference page per library module
  (`fmnist_course.website.reference`) and links lesson code to it;
- generates the results page (`fmnist_course.website.results_page`).

The nav entries `Lessons` and `API reference` in `mkdocs.yml` are placeholders
that `on_config` fills with the pages above. This module holds no state: what
a later event needs, it reads again from the files the earlier one wrote.
"""

from __future__ import annotations

import re

import nbformat
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

from fmnist_course import results as results_module
from fmnist_course.authoring.execute import RUNTIME_FIELD, execute_lesson
from fmnist_course.authoring.lesson_files import REPO_ROOT
from fmnist_course.authoring.student_notebooks import DEFAULT_BRANCH, colab_url
from fmnist_course.bench.results_markdown import render_headline_markdown
from fmnist_course.website.figure_alt import alt_texts_by_image, write_alt_texts
from fmnist_course.website.lessons import (
    Lesson,
    format_seconds,
    lesson_header,
    prepare_notebook,
    runtime_text,
    site_lessons,
    site_mode,
    student_sources,
)
from fmnist_course.website.reference import (
    link_reference_names,
    public_names,
    reference_markdown,
    reference_modules,
    reference_nav,
    reference_uri,
)
from fmnist_course.website.results_page import (
    calibration_plot_png,
    ladder_plot,
    results_page,
)

PREPARED_DIR = REPO_ROOT / "build" / "site-notebooks"
LESSONS_NAV_TITLE = "Lessons"
REFERENCE_NAV_TITLE = "API reference"
LADDER_MARKER = "<!-- fmnist-course:ladder -->"


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
        _expand_nav(config.nav, REFERENCE_NAV_TITLE, reference_nav(modules))
    return config


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
        ipynb, script = student_sources(lesson.path)
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
    files.append(
        File.generated(
            config, "lessons/index.md", content=_lessons_index(lessons, runtimes)
        )
    )
    for module in reference_modules():
        files.append(
            File.generated(
                config, reference_uri(module), content=reference_markdown(module)
            )
        )
    results = results_module.load_results()
    plot_name = None
    if results.get("ladder"):
        plot_name = "results-ladder.png"
        files.append(
            File.generated(config, plot_name, content=ladder_plot(results["ladder"]))
        )
    calibration_plot = None
    calibration_png = calibration_plot_png(results)
    if calibration_png:
        calibration_plot = "results-calibration.png"
        files.append(File.generated(config, calibration_plot, content=calibration_png))
    files.append(
        File.generated(
            config,
            "results.md",
            content=results_page(results, plot_name, calibration_plot),
        )
    )
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Put the measured ladder where a page has the ladder marker (the home page)."""
    if LADDER_MARKER in markdown:
        markdown = markdown.replace(
            LADDER_MARKER, render_headline_markdown(results_module.load_results())
        )
    return markdown


def on_page_content(content: str, page, config, files) -> str:
    """Add the header, figures' alt texts and API reference links to lesson pages."""
    match = re.fullmatch(r"lessons/(\d\d_[^/]+)\.ipynb", page.file.src_uri)
    if not match:
        return content
    stem = match.group(1)
    notebook = _page_notebook(page)
    content = write_alt_texts(content, alt_texts_by_image(notebook))
    header = lesson_header(
        ipynb_url=files.get_file_from_path(f"downloads/{stem}.ipynb").url_relative_to(
            page.file
        ),
        py_url=files.get_file_from_path(f"downloads/{stem}.py").url_relative_to(
            page.file
        ),
        colab=colab_url(
            stem, config.repo_url, config.extra.get("colab_branch", DEFAULT_BRANCH)
        ),
        runtime=runtime_text(notebook.metadata, site_mode()),
        stem=stem,
    )
    position = content.find("</h1>")
    position = position + len("</h1>") if position >= 0 else 0
    content = content[:position] + header + content[position:]
    modules = reference_modules()
    module_urls = {}
    for module in modules:
        reference = files.get_file_from_path(reference_uri(module))
        if reference is not None:
            module_urls[module] = reference.url_relative_to(page.file)
    return link_reference_names(content, public_names(modules), module_urls)


def _page_notebook(page) -> nbformat.NotebookNode:
    """The prepared notebook a lesson page renders, as `on_files` wrote it."""
    return nbformat.read(page.file.abs_src_path, as_version=4)
