"""The web book, built as ``make book`` builds it, read in a real browser that may not leave it.

The module builds the book once into a temporary folder (``tools/build_book.py``: Sphinx fails on
any warning), serves it from 127.0.0.1 with Python's ``http.server``, and opens every page in
headless Chromium (Debian's ``chromium`` through PyPI's ``playwright``).  Every request for
something that is not on that server is refused and fails the test, so the checks below also
show that the book works offline.  On each page: no console error and no failed request; every
figure has loaded and is visible; every formula is typeset by the book's own MathJax; every link
into the book points at a file and an anchor that exist.  Chapter 05's animation plays, and the
search page finds "target network" in chapter 05.  Screenshots go under the test's temporary folder.

Without Chromium or playwright the tests fail in CI (``CI`` set) and are skipped elsewhere.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"]
CHAPTERS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
PAGES = ["README.html"] + [f"notebooks/{c}.html" for c in CHAPTERS] + ["docs/teaching.html", "CONTRIBUTING.html"]
ANIMATED_CHAPTER = next((c for c in CHAPTERS if c.startswith("05_")), None)
SEARCH_TERM = "target network"


def _require_tools() -> None:
    """Fail in CI, skip elsewhere, when the browser or playwright is missing."""
    try:
        import playwright.sync_api  # noqa: F401
        missing = None if CHROMIUM.exists() else f"{CHROMIUM} is missing (apt-get install chromium)"
    except ImportError:
        missing = "playwright is not installed (pip install -e .[test])"
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"book test cannot run in CI: {missing} (.ci/run installs chromium; the [test] extra pins playwright)")
        pytest.skip(missing)


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    """The book, built from this working tree into a fresh temporary folder."""
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from build_book import build_book

    start = time.perf_counter()
    out = build_book(tmp_path_factory.mktemp("book") / "html")
    print(f"book built in {time.perf_counter() - start:.1f} s")
    return out


@pytest.fixture(scope="module")
def site(book):
    """``(base_url, book)``: the book served on 127.0.0.1 by a thread of this process."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(book)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", book
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    _require_tools()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Reader:
    """A browser tab on the book that records what went wrong: console errors, refused and failed requests."""

    def __init__(self, context, base_url: str):
        self.base_url = base_url
        self.problems: list[str] = []
        self.page = context.new_page()
        self.page.route("**/*", self._only_the_book)
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console error: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"request failed: {r.url} ({r.failure})"))
        self.page.on("response", lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"))

    def _only_the_book(self, route) -> None:
        url = route.request.url
        if url.startswith(self.base_url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.problems.append(f"request outside the book: {url}")
            route.abort()

    def open(self, path: str) -> None:
        self.problems.clear()
        self.page.goto(self.base_url + path, wait_until="load")


@pytest.fixture(scope="module")
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context
    context.close()


@pytest.fixture
def reader(context, site):
    r = Reader(context, site[0])
    yield r
    r.page.close()


_TYPESET_JS = """async () => {
    const math = [...document.querySelectorAll('.math')];
    if (math.length && window.MathJax && MathJax.startup) { await MathJax.startup.promise; }
    return {
        math: math.length,
        typeset: math.filter(m => m.querySelector('mjx-container')).length,
        errors: [...document.querySelectorAll('mjx-merror')].map(e => e.textContent),
        mathjax: !!(window.MathJax && MathJax.version),
    };
}"""

_IMAGES_JS = """() => [...document.querySelectorAll('article img')].map(img => {
    const box = img.getBoundingClientRect();
    return {src: img.currentSrc.slice(0, 80), loaded: img.complete && img.naturalWidth > 0,
            visible: box.width > 0 && box.height > 0 && img.checkVisibility({visibilityProperty: true}),
            output: !!img.closest('.cell_output')};
})"""

_LINKS_JS = """() => [...document.querySelectorAll('a[href]')].map(a => a.href)"""


def _png_outputs(chapter: str) -> int:
    nb = json.loads((ROOT / "notebooks" / f"{chapter}.ipynb").read_text())
    return sum("image/png" in out.get("data", {}) for cell in nb["cells"] for out in cell.get("outputs", []))


def _broken(href: str, base_url: str, book: Path) -> str | None:
    """Why a link into the book is broken (no such file, or no such anchor in it), or None."""
    url = urllib.parse.urlsplit(href)
    path = urllib.parse.unquote(url.path.lstrip("/")) or "index.html"
    target = book / path
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return f"{href}: no file {path}"
    if url.fragment and target.suffix == ".html":
        anchor = urllib.parse.unquote(url.fragment)
        html = target.read_text(encoding="utf-8")
        if f'id="{anchor}"' not in html:
            return f"{href}: {path} has no anchor #{anchor}"
    return None


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_offline_with_its_figures_math_and_links(reader, site, path, tmp_path):
    base_url, book = site
    reader.open(path)
    math = reader.page.evaluate(_TYPESET_JS)
    images = reader.page.evaluate(_IMAGES_JS)
    links = reader.page.evaluate(_LINKS_JS)
    reader.page.screenshot(path=str(tmp_path / (path.replace("/", "_") + ".png")))

    assert not reader.problems, f"{path}:\n" + "\n".join(reader.problems)
    assert math["typeset"] == math["math"] and not math["errors"], (
        f"{path}: {math['typeset']} of {math['math']} formulas typeset (MathJax loaded: {math['mathjax']}), "
        f"errors {math['errors']}")
    not_shown = [img for img in images if not (img["loaded"] and img["visible"])]
    assert not not_shown, f"{path}: images not loaded or not visible: {not_shown}"
    if path.startswith("notebooks/"):
        chapter = Path(path).stem
        figures = sum(img["output"] for img in images)
        assert figures >= _png_outputs(chapter), f"{path} shows {figures} figures, the notebook holds {_png_outputs(chapter)}"
        downloads = [h for h in links if "/downloads/" in h]
        assert any(h.endswith(f"downloads/{chapter}.ipynb") for h in downloads), f"{path}: no notebook download"
        assert any(h.endswith(f"downloads/student/{chapter}.ipynb") for h in downloads), f"{path}: no student version"
    broken = [why for href in links if href.startswith(base_url) for why in [_broken(href, base_url, book)] if why]
    assert not broken, f"{path}: broken links:\n" + "\n".join(broken)


def test_the_book_has_every_chapter_and_its_student_version(book):
    for chapter in CHAPTERS:
        assert (book / "notebooks" / f"{chapter}.html").is_file()
        student = json.loads((book / "downloads" / "student" / f"{chapter}.ipynb").read_text())
        assert all(not c.get("outputs") for c in student["cells"] if c["cell_type"] == "code"), chapter
    assert "### BEGIN SOLUTION" not in "".join(
        (book / "downloads" / "student" / f"{c}.ipynb").read_text() for c in CHAPTERS)


@pytest.mark.skipif(ANIMATED_CHAPTER is None, reason="no notebooks/05_*.ipynb")
def test_chapter_05_animation_is_visible_and_plays(reader, tmp_path):
    reader.open(f"notebooks/{ANIMATED_CHAPTER}.html")
    animation = reader.page.locator("div.animation").first
    animation.scroll_into_view_if_needed()
    frame = animation.locator("img").first
    assert frame.is_visible(), "the animation's frame is not visible"
    assert reader.page.evaluate("img => img.naturalWidth", frame.element_handle()) > 0, "no frame drawn"
    icons = animation.locator(".anim-buttons svg, .anim-buttons i.fa").evaluate_all(
        "els => els.map(e => e.getBoundingClientRect().width)")
    assert icons and all(w > 0 for w in icons), f"the animation's buttons show no icons: {icons}"
    before = frame.get_attribute("src")
    animation.locator("button[title='Next frame']").click()
    reader.page.wait_for_function("([img, src]) => img.src !== src", arg=[frame.element_handle(), before])
    animation.screenshot(path=str(tmp_path / "chapter-05-animation.png"))
    assert not reader.problems, "\n".join(reader.problems)


@pytest.mark.skipif(ANIMATED_CHAPTER is None, reason="no notebooks/05_*.ipynb")
def test_search_finds_a_term_of_chapter_05(reader, tmp_path):
    reader.open("search.html?q=" + urllib.parse.quote_plus(SEARCH_TERM))
    results = reader.page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=30_000)
    hrefs = results.evaluate_all("els => els.map(a => a.href)")
    reader.page.screenshot(path=str(tmp_path / "search.png"))
    assert any(f"notebooks/{ANIMATED_CHAPTER}.html" in h for h in hrefs), f"search for {SEARCH_TERM!r} found {hrefs}"
    assert not reader.problems, "\n".join(reader.problems)
