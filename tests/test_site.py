"""The course website, built in fast mode and checked in a real browser.

Builds the site with every lesson executed in fast mode (reusing the executions
`tests/test_lessons.py` cached), serves it on localhost, and drives Debian's
headless Chromium through Playwright. Screenshots of the home page and a lesson
page are saved under `build/test-artifacts/`.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import threading
from pathlib import Path

import pytest

from fmnist_course.notebooks import REPO_ROOT

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


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    from fmnist_course.website.build import build_site

    return build_site(fast=True, site_dir=tmp_path_factory.mktemp("site"))


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def base_url(site_dir):
    handler = functools.partial(QuietHandler, directory=str(site_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
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
    for url in (base_url, f"{base_url}results/"):
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
