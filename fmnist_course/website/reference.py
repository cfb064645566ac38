"""The API reference: one page per library module, and links to it from lessons.

`reference_modules` lists the modules that get a page, the library students
use first (data, models, training, plots, predict, tuning, exercises), then
the maintainers' internals (the lesson runner, the website, the benchmarks).
`link_reference_names` turns inline code naming a library function in a
lesson (`fmc.train_model`) into a link to its entry.

Examples:
    >>> reference_uri("fmnist_course.bench.ladder")
    'reference/bench/ladder.md'

"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from fmnist_course.authoring.lesson_files import REPO_ROOT

PACKAGE_DIR = REPO_ROOT / "fmnist_course"
# Modules left out of the API reference: the command line (documented by
# `--help`), entry points, and the per-lesson checks (they would give answers).
REFERENCE_EXCLUDE = re.compile(r"(^|\.)(cli|__main__|__init__|lesson_\d\d|_[^.]*)$")
STUDENT_MODULES = (
    "data",
    "fast_mode",
    "explore",
    "kaggle_csv",
    "models",
    "layers",
    "view_averaging",
    "recipes",
    "final_fit",
    "training",
    "losses",
    "callbacks",
    "runs",
    "trained_models",
    "plots",
    "layer_plots",
    "predict",
    "tuning",
    "tuning_plots",
    "exercises",
)
"""Modules (or subpackages) of the library students use, in course order."""

STUDENT_SECTION = "For students"
MAINTAINER_SECTION = "For maintainers"


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


def is_student_module(module: str) -> bool:
    """Whether a module belongs to the library students use (`STUDENT_MODULES`).

    Examples:
        >>> is_student_module("fmnist_course.models"), is_student_module("fmnist_course.bench.ladder")
        (True, False)

    """  # noqa: E501
    first = module.removeprefix("fmnist_course.").split(".")[0]
    return first in STUDENT_MODULES


def _student_rank(module: str) -> int:
    first = module.removeprefix("fmnist_course.").split(".")[0]
    return STUDENT_MODULES.index(first)


def reference_nav(modules: list[str]) -> list[dict]:
    """Nav entries of the reference pages: students' modules first, then internals.

    Within each section a subpackage's modules are grouped under its name.

    Examples:
        >>> reference_nav(["fmnist_course.bench.ladder", "fmnist_course.data"])
        ... # doctest: +NORMALIZE_WHITESPACE
        [{'For students': [{'data': 'reference/data.md'}]},
         {'For maintainers': [{'bench': [{'ladder': 'reference/bench/ladder.md'}]}]}]

    """
    students = sorted(filter(is_student_module, modules), key=_student_rank)
    maintainers = [module for module in modules if not is_student_module(module)]
    sections = []
    for title, members in (
        (STUDENT_SECTION, students),
        (MAINTAINER_SECTION, maintainers),
    ):
        if members:
            sections.append({title: _grouped_nav(members)})
    return sections


def _grouped_nav(modules: list[str]) -> list[dict]:
    entries: list[dict] = []
    groups: dict[str, list] = {}
    for module in modules:
        parts = module.removeprefix("fmnist_course.").split(".")
        if len(parts) == 1:
            entries.append({parts[0]: reference_uri(module)})
        else:
            if parts[0] not in groups:
                groups[parts[0]] = []
                entries.append({parts[0]: groups[parts[0]]})
            groups[parts[0]].append({".".join(parts[1:]): reference_uri(module)})
    return entries


def reference_uri(module: str) -> str:
    """The page of a module's reference, relative to the docs folder."""
    return (
        "reference/" + module.removeprefix("fmnist_course.").replace(".", "/") + ".md"
    )


def reference_markdown(module: str) -> str:
    """The Markdown of a module's reference page: a sentence, then mkdocstrings."""
    short = module.removeprefix("fmnist_course.")
    return (
        f"# `{short}`\n\n"
        f"The `{module}` module: its public functions and classes, in source "
        "order.\n\n"
        f"::: {module}\n"
    )
