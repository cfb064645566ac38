"""The course website, built in fast mode and checked in a real browser.

Builds the site with every lesson executed in fast mode (reusing the executions
`tests/test_lessons.py` cached), serves it on localhost, and drives Debian's
headless Chromium through Playwright. Screenshots of the home page and a lesson
page are saved under `build/test-artifacts/`.

Every page is audited with axe-core (bundled by `axe-playwright-python`, so
nothing is downloaded) against the WCAG 2.0 and 2.1 A and AA rules, in the
light and the dark colour scheme; the violations per page, rule and scheme go
to `build/test-artifacts/axe-violations.json`.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
import urllib.parse
from pathlib import Path

import pytest

from fmnist_course.authoring.lesson_files import REPO_ROOT

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
ARTIFACTS = REPO_ROOT / "build" / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no chromium binary (install Debian's `chromium`: make setup)",
    ),
]

pytest.importorskip("mkdocs")
from fmnist_course.website import lessons as lesson_pages  # noqa: E402
from fmnist_course.website import reference  # noqa: E402

playwright_api = pytest.importorskip("playwright.sync_api")

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
"""axe-core's rules for WCAG 2.0 and 2.1, levels A and AA."""
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": AXE_TAGS},
    "resultTypes": ["violations"],
}
AXE_TABS = 2
"""Pages audited at once: axe-core keeps one core busy per tab; CI has two."""
MAX_ELEMENTS_SHOWN = 5
"""Elements named per page and rule in a failure message; the rest are counted."""
NO_TRANSITIONS = "*, *::before, *::after { transition: none !important; }"
"""Colours are read once a scheme is switched, not halfway through a fade."""
GENERIC_ALT_TEXTS = {
    "",
    "image",
    "figure",
    "plot",
    "no description has been provided for this image",
}


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    from fmnist_course.website.build import build_site

    return build_site(fast=True, site_dir=tmp_path_factory.mktemp("site"))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site below `site_path` (e.g. `/fmnist-course`), as published."""

    def __init__(self, *args, site_path: str, **kwargs):
        self.site_path = site_path
        super().__init__(*args, **kwargs)

    def translate_path(self, path):
        inside = path == self.site_path or path.startswith(self.site_path + "/")
        if not inside:
            return str(Path(self.directory) / "outside the site")
        return super().translate_path(path[len(self.site_path) :] or "/")

    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site_path() -> str:
    """The path of the site's `site_url`: the 404 page links its assets below it."""
    import yaml

    from fmnist_course.website.build import MKDOCS_CONFIG

    config = yaml.safe_load(MKDOCS_CONFIG.read_text(encoding="utf-8"))
    return urllib.parse.urlsplit(config["site_url"]).path.rstrip("/")


@pytest.fixture(scope="module")
def base_url(site_dir, site_path):
    handler = functools.partial(
        QuietHandler, directory=str(site_dir), site_path=site_path
    )
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}{site_path}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory):
    with playwright_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()


@pytest.fixture()
def page(browser_context):
    page = browser_context.new_page()
    yield page
    page.close()


@pytest.fixture(scope="module")
def lessons():
    found = lesson_pages.site_lessons()
    if not found:
        pytest.skip("no lessons in lessons/ yet")
    return found


def open_page(page, url):
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, (
        f"{url}: {response and response.status}"
    )
    return response


def test_home_page_renders(page, base_url):
    open_page(page, base_url)
    assert "Fashion-MNIST" in page.title()
    assert page.locator("h1").first.is_visible()
    assert page.get_by_role("link", name="Lessons").first.is_visible()
    text = page.locator("article").inner_text()
    assert "<!-- fmnist-course:ladder -->" not in page.content()
    assert "How to start" in text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "site-home.png"), full_page=True)


def test_every_lesson_page_renders_with_executed_images(page, base_url, lessons):
    for index, lesson in enumerate(lessons):
        open_page(page, f"{base_url}lessons/{lesson.stem}/")
        assert page.locator("article h1").first.inner_text().strip(
            "¶ \n"
        ) == lesson.title.strip("¶ ")
        images = page.locator(".jp-OutputArea-output img")
        assert images.count() >= 1, f"{lesson.stem}: no executed output image"
        assert images.first.evaluate("image => image.naturalWidth") > 0
        article = page.locator("article").inner_text()
        assert "Traceback" not in article
        assert "fast mode" in article  # the runtime line says how it was built
        if index == 0:
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "site-lesson.png"), full_page=False)


def test_lesson_downloads_answer(page, base_url, lessons):
    for lesson in lessons:
        open_page(page, f"{base_url}lessons/{lesson.stem}/")
        header = page.locator(".fmnist-lesson-header")
        for suffix in ("ipynb", "py"):
            link = header.locator(f'a[download="{lesson.stem}.{suffix}"]')
            href = link.get_attribute("href")
            response = page.request.get(page.url.rsplit("/", 1)[0] + "/" + href)
            assert response.ok, f"{href}: {response.status}"
            body = response.text()
            if suffix == "ipynb":
                notebook = json.loads(body)
                assert notebook["cells"]
                assert all(not cell.get("outputs") for cell in notebook["cells"])
            else:
                assert "# %%" in body
            assert "### BEGIN SOLUTION" not in body
        colab = header.locator("a.fmnist-colab").get_attribute("href")
        assert colab.endswith(f"/blob/main/notebooks/{lesson.stem}.ipynb")
        assert "github/fmnist-course/fmnist-course/" in colab
        # The link resolves to a committed, solution-free student notebook.
        target = REPO_ROOT / colab.split("/blob/main/", 1)[1]
        assert target.is_file(), target
        assert "### BEGIN SOLUTION" not in target.read_text(encoding="utf-8")


def test_search_finds_a_lesson_for_dropout(page, base_url, lessons):
    open_page(page, base_url)
    search_box = page.locator("input.md-search__input")
    search_box.click()
    search_box.press_sequentially("dropout", delay=30)  # typed, as a reader does
    results = page.locator(".md-search-result__item a")
    results.first.wait_for(timeout=20_000)
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert any("/lessons/" in href for href in hrefs), hrefs


def test_api_reference_renders(page, base_url):
    modules = reference.reference_modules()
    assert "fmnist_course.data" in modules
    for module in modules:
        path = module.removeprefix("fmnist_course.").replace(".", "/")
        open_page(page, f"{base_url}reference/{path}/")
        assert page.locator("article .doc").count() >= 1, module
    open_page(page, f"{base_url}reference/data/")
    anchor = page.locator('[id="fmnist_course.data.load_fashion_mnist"]')
    assert anchor.count() == 1
    assert "data_dir" in page.locator("article").inner_text()


def test_results_page_renders(page, base_url):
    open_page(page, f"{base_url}results/")
    text = page.locator("article").inner_text()
    assert "benchmarks/results.json" in text
    assert "Lesson ladder" in text and "`dense`" not in text and "dense" in text


def test_the_ladder_table_fits_the_content_column(page, base_url):
    page.set_viewport_size({"width": 1280, "height": 900})
    for url in (f"{base_url}results/",):  # the home page links to the tables
        open_page(page, url)
        table = page.locator("article table").first
        widths = table.evaluate(
            "table => [table.scrollWidth, table.closest('article').clientWidth]"
        )
        assert widths[0] <= widths[1], f"{url}: table {widths[0]}px in {widths[1]}px"
        heights = table.locator("td code").evaluate_all(
            "codes => codes.map(code => code.getClientRects().length)"
        )
        assert heights and max(heights) == 1, f"{url}: a model name wraps"


def test_lesson_figures_say_what_they_show(page, base_url, lessons):
    for lesson in lessons:
        open_page(page, f"{base_url}lessons/{lesson.stem}/")
        alts = page.locator(".jupyter-wrapper img").evaluate_all(
            "images => images.map(image => image.getAttribute('alt'))"
        )
        assert alts, f"{lesson.stem}: no figure"
        vague = [
            alt for alt in alts if (alt or "").strip().lower() in GENERIC_ALT_TEXTS
        ]
        assert not vague, (lesson.stem, alts)
    open_page(page, f"{base_url}lessons/01_dense_baseline/")
    alts = page.locator(".jupyter-wrapper img").evaluate_all(
        "images => images.map(image => image.alt)"
    )
    # plot_history(history, title="Dense baseline"): its suptitle and panels
    assert any(alt.startswith("Dense baseline.") and "epoch" in alt for alt in alts)
    assert any("Confusion matrix" in alt for alt in alts), alts


def site_pages(site_dir: Path) -> list[str]:
    """Every page of the built site, as a path relative to its root URL."""
    pages = []
    for path in sorted(site_dir.rglob("*.html")):
        relative = path.relative_to(site_dir).as_posix()
        pages.append(relative.removesuffix("index.html"))
    return pages


def color_scheme(page) -> str:
    return page.evaluate("document.body.getAttribute('data-md-color-scheme')")


def switch_color_scheme(page) -> str:
    """Click the palette toggle, as a reader does, and return the new scheme."""
    before = color_scheme(page)
    page.locator("form[data-md-component=palette] label:visible").first.click()
    page.wait_for_function(
        "before => document.body.getAttribute('data-md-color-scheme') !== before",
        arg=before,
    )
    return color_scheme(page)


def describe_violation(scheme: str, url: str, violation: dict) -> str:
    """One axe violation as a maintainer can act on it: rule, page, elements, fix."""
    nodes = violation["nodes"]
    lines = [
        f"{violation['id']} ({violation['impact']}) on {url} [{scheme} scheme], "
        f"{len(nodes)} element(s): {violation['help']}",
        f"  fix: {violation['helpUrl']}",
    ]
    for node in nodes[:MAX_ELEMENTS_SHOWN]:
        target = " ".join(str(part) for part in node["target"])
        snippet = " ".join(node["html"].split())
        snippet = snippet if len(snippet) <= 160 else snippet[:157] + "..."
        summary = " ".join(node.get("failureSummary", "").split())
        lines += [f"  - {target}", f"    {snippet}", f"    {summary}"]
    if len(nodes) > MAX_ELEMENTS_SHOWN:
        lines.append(f"  ... and {len(nodes) - MAX_ELEMENTS_SHOWN} more element(s)")
    return "\n".join(lines)


def start_axe(tab) -> None:
    """Start axe on a tab's page without waiting: the other tab runs meanwhile."""
    tab.evaluate(
        "options => { window.fmnistAxe = axe.run(document, options); }", AXE_OPTIONS
    )


def axe_violations(tab) -> list[dict]:
    """The violations of the run `start_axe` started, once it has finished."""
    return tab.evaluate("window.fmnistAxe")["violations"]


def audit_site(context, base_url: str, pages: list[str], axe_script: str) -> dict:
    """axe's violations on every page in both colour schemes.

    Each page is audited in the scheme it opens in, then switched with the
    palette toggle and audited again. `AXE_TABS` tabs audit as many pages at
    once, each with its own copy of axe-core.

    Returns:
        `{scheme: {page: violations}}`, schemes named as Material names them.

    """
    found: dict[str, dict[str, list[dict]]] = {}
    tabs = [context.new_page() for _ in range(AXE_TABS)]
    try:
        for first in range(0, len(pages), AXE_TABS):
            batch = list(zip(tabs, pages[first : first + AXE_TABS], strict=False))
            schemes: dict[str, list[str]] = {relative: [] for _, relative in batch}
            for tab, relative in batch:
                open_page(tab, base_url + relative)
                tab.add_style_tag(content=NO_TRANSITIONS)
                tab.evaluate(axe_script)
            for turn in range(2):
                for tab, relative in batch:
                    scheme = switch_color_scheme(tab) if turn else color_scheme(tab)
                    schemes[relative].append(scheme)
                    start_axe(tab)
                for tab, relative in batch:
                    by_page = found.setdefault(schemes[relative][-1], {})
                    by_page[relative] = axe_violations(tab)
            for relative, seen in schemes.items():
                assert sorted(seen) == ["default", "slate"], (relative, seen)
    finally:
        for tab in tabs:
            tab.close()
    return found


def test_every_page_passes_axe_wcag_a_and_aa_in_both_schemes(
    browser_context, base_url, site_dir
):
    axe = pytest.importorskip(
        "axe_playwright_python.sync_playwright",
        reason="axe-playwright-python is not installed (pip install -e '.[dev]')",
    ).Axe()  # with its bundled axe-core: nothing is downloaded
    pages = site_pages(site_dir)
    assert "" in pages and "results/" in pages and "reference/data/" in pages
    found = audit_site(browser_context, base_url, pages, axe.axe_script)
    counts = {
        scheme: {
            relative or "/": {v["id"]: len(v["nodes"]) for v in violations}
            for relative, violations in by_page.items()
        }
        for scheme, by_page in found.items()
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "axe-violations.json").write_text(
        json.dumps(counts, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )
    problems = [
        describe_violation(scheme, base_url + relative, violation)
        for scheme, by_page in sorted(found.items())
        for relative, violations in by_page.items()
        for violation in violations
    ]
    assert not problems, (
        f"axe-core found {len(problems)} WCAG 2 A/AA violation(s) "
        f"on {len(pages)} pages:\n\n" + "\n\n".join(problems)
    )
