"""The site build orchestration: which lessons are re-executed, errors, the CLI."""

from __future__ import annotations

import json

import pytest

from fmnist_course import site
from fmnist_course.cli.main import build_parser
from fmnist_course.notebooks import CACHE_KEY_FIELD, cache_key


def test_is_cached_follows_the_lesson_text_and_mode(tmp_path, monkeypatch):
    monkeypatch.setattr(site, "EXECUTED_DIR", tmp_path / "executed")
    lesson = tmp_path / "01_tiny.py"
    lesson.write_text("# %%\nx = 1\n")
    assert not site.is_cached(lesson, fast=True)
    target = tmp_path / "executed" / "fast" / "01_tiny.ipynb"
    target.parent.mkdir(parents=True)
    target.write_text(
        json.dumps({"metadata": {CACHE_KEY_FIELD: cache_key(lesson, True)}})
    )
    assert site.is_cached(lesson, fast=True)
    assert not site.is_cached(lesson, fast=False)
    lesson.write_text("# %%\nx = 2\n")
    assert not site.is_cached(lesson, fast=True)


def test_build_site_needs_a_config(tmp_path):
    with pytest.raises(FileNotFoundError, match="No MkDocs configuration"):
        site.build_site(fast=True, config=tmp_path / "mkdocs.yml", log=lambda _: None)


def test_execute_lessons_with_no_lessons_runs_nothing():
    lines = []
    assert site.execute_lessons(fast=True, lessons=[], log=lines.append) == []
    assert lines == []


def test_cli_site_build_options():
    args = build_parser().parse_args(["site", "build", "--fast", "--force"])
    assert (args.fast, args.force) == (True, True)
    assert args.site_dir.endswith("site")
    with pytest.raises(SystemExit):
        build_parser().parse_args(["site"])
