"""`fmnist-course site build`: execute the lessons and build the course website."""

from __future__ import annotations

import argparse
import importlib.util
import sys

from fmnist_course._version import REPOSITORY_URL
from fmnist_course.authoring.execute import LessonError
from fmnist_course.errors import MissingExtraError, UserError, missing_extra_message
from fmnist_course.machine import logical_cores
from fmnist_course.website.build import (
    MKDOCS_CONFIG,
    SITE_DIR,
    SiteBuildError,
    build_site,
)


def add_parser(subparsers) -> None:
    """Register the `site` subcommand and its `build` action."""
    parser = subparsers.add_parser(
        "site",
        help="build the course website",
        description="Build the course website into site/: execute every lesson "
        "(full mode on the real data unless --fast; unchanged lessons are not run "
        "again), then run `mkdocs build --strict`.",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    build = actions.add_parser(
        "build",
        help="execute the lessons and build the site",
        description="Execute the lessons (cached under build/executed/) and build "
        "the site with `mkdocs build --strict`.",
    )
    build.add_argument(
        "--fast",
        action="store_true",
        help="execute the lessons in fast mode (a small subset; for CI): the "
        "pages say their outputs are not the full lessons'",
    )
    build.add_argument(
        "--force",
        action="store_true",
        help="execute every lesson again, even when its cached run is current",
    )
    build.add_argument(
        "--site-dir", default=str(SITE_DIR), help="where to write the site"
    )
    build.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="lessons executed at once, each kernel with its share of the cores' "
        f"threads (default: the usable cores, {logical_cores()})",
    )
    build.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Build the site and say where it is and how to browse it."""
    if not MKDOCS_CONFIG.is_file():
        raise UserError(
            f"No {MKDOCS_CONFIG.name} at {MKDOCS_CONFIG}: the website is built "
            f"from a checkout of the repository ({REPOSITORY_URL}), with the "
            "course installed from it: pip install -e '.[docs]'"
        )
    if importlib.util.find_spec("mkdocs") is None:
        raise MissingExtraError(missing_extra_message("site", "mkdocs", "docs"))
    if args.jobs is not None and args.jobs < 1:
        raise UserError(
            f"Expected --jobs to be at least 1. Received: --jobs {args.jobs}. "
            "Leave it out to run as many lessons at once as there are cores."
        )
    try:
        site_dir = build_site(
            fast=args.fast, force=args.force, site_dir=args.site_dir, jobs=args.jobs
        )
    except (LessonError, SiteBuildError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(
        f"The site is in {site_dir}/ (open {site_dir}/index.html): browse it with "
        f"`python -m http.server -d {site_dir}` or, while writing, "
        "`.venv/bin/mkdocs serve`."
    )
    return 0
