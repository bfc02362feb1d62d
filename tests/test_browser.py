"""The built book, opened page by page in a real browser with the network off.

Drives Debian's Chromium (/usr/bin/chromium) with playwright. Never run `playwright install`: it
would download a different browser. Every page of _build/html is opened through file:// with
every other request aborted, and each page must:

* make no request that would leave the machine;
* log no console error (apart from the allow-list below, each entry with its reason);
* render its mathematics: every math element holds a MathJax container, and none is an error;
* load every image (and, in a chapter, give every figure a caption and alt text);
* have navigation (previous/next, sidebar, header) and in-page links that point to files and
  anchors that exist; external links appear only in the bibliography, never fetched.

A screenshot of every chapter is saved under _build/screenshots/ for a person to look at.
Offline search, the .ipynb download of every chapter and the completeness of the API reference
are checked too.

Run after `make book` (`make test-browser` does both). Without Chromium or without a built book
the tests skip with a message; with CI=true they fail instead.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from pprint import pformat
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
# Debian's Chromium by default; CHROMIUM names another Chromium or Chrome binary (macOS, Ubuntu).
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI", "").lower() == "true"

pytestmark = pytest.mark.browser

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Console errors that are known and benign: (regular expression, reason). Keep it short; an
# entry needs a reason a reader can check.
ALLOWED_CONSOLE_ERRORS: list[tuple[str, str]] = []


def _unavailable(reason: str):
    """Skip locally, fail under CI: a CI run without the browser test has not tested the book."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason)


def built_pages() -> list[str]:
    """The pages Sphinx built in the last build: every document, plus the index and search pages.

    Read from searchindex.js rather than globbed, so a stale file left in _build/html by an older
    build is not mistaken for a page of the book.
    """
    index = HTML / "searchindex.js"
    if not index.exists():
        return []
    text = index.read_text(encoding="utf-8")
    data = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    pages = [f"{doc}.html" for doc in data["docnames"]]
    return sorted(pages) + [p for p in ("genindex.html", "search.html") if (HTML / p).exists()]


PAGES = built_pages()
CHAPTERS = [p for p in PAGES if p.startswith("notebooks/")]


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable(
            f"Chromium is not installed at {CHROMIUM}: install Debian's package "
            "(apt-get install chromium) to run the browser tests; never `playwright install`"
        )
    if not (HTML / "index.html").exists():
        _unavailable("the book is not built: run `make book` first (`make test-browser` does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Visit:
    """One page opened offline, with everything it tried and logged."""

    def __init__(self, browser, relpath: str, query: str = ""):
        self.relpath = relpath
        self.blocked: list[str] = []
        self.failed: list[str] = []
        self.console: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: m.type == "error" and self.console.append(m.text))
        self.page.on("pageerror", lambda e: self.console.append(f"uncaught exception: {e}"))
        self.page.on("requestfailed", self._request_failed)
        self.url = (HTML / relpath).as_uri() + query
        self.page.goto(self.url, wait_until="load")
        self._wait_for_mathjax()

    def _route(self, route):
        if route.request.url.startswith(("file://", "data:", "blob:")):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _request_failed(self, request):
        if request.url.startswith("file://"):
            self.failed.append(f"{request.url}: {request.failure}")

    def _wait_for_mathjax(self):
        self.page.wait_for_function(
            "() => !window.MathJax || (MathJax.startup && MathJax.startup.promise)", timeout=30_000
        )
        self.page.evaluate("() => window.MathJax ? MathJax.startup.promise.then(() => true) : true")

    def unexpected_console_errors(self) -> list[str]:
        return [
            msg
            for msg in self.console
            if not any(re.search(pattern, msg) for pattern, _ in ALLOWED_CONSOLE_ERRORS)
        ]

    def close(self):
        self.context.close()


@pytest.fixture
def visit(browser):
    opened = []

    def open_page(relpath, query=""):
        v = Visit(browser, relpath, query)
        opened.append(v)
        return v

    yield open_page
    for v in opened:
        v.close()


# --------------------------------------------------------------------------------------------
# Link checking, done on the files themselves.

_ID_CACHE: dict[Path, set[str]] = {}


def ids_in(path: Path) -> set[str]:
    if path not in _ID_CACHE:
        html = path.read_text(encoding="utf-8", errors="replace")
        _ID_CACHE[path] = set(re.findall(r"""\b(?:id|name)=["']([^"']+)["']""", html))
    return _ID_CACHE[path]


def broken_link(page_url: str, href: str) -> str | None:
    """Why ``href`` on the page at ``page_url`` does not resolve, or None if it does."""
    if not href or href.startswith(("mailto:", "javascript:", "data:")):
        return None
    parts = urlsplit(href)
    if parts.scheme in ("http", "https"):
        return None  # external: listed, never fetched (the route blocks it)
    if not parts.scheme.startswith("file"):
        return f"{href}: unexpected scheme"
    target = Path(unquote(parts.path))
    if target.is_dir():
        target = target / "index.html"
    if not target.exists():
        return f"{href}: no such file"
    if parts.fragment and target.suffix == ".html" and unquote(parts.fragment) not in ids_in(target):
        return f"{href}: no anchor #{parts.fragment}"
    return None


# --------------------------------------------------------------------------------------------
# Every page.


def test_the_book_is_built():
    if not PAGES:
        _unavailable("the book is not built: run `make book` first (`make test-browser` does)")
    assert "book/intro.html" in PAGES
    assert CHAPTERS, "the built book has no chapter"


def check_navigation(v) -> list[str]:
    """Previous/next and the sidebar: present, pointing to pages that exist, listing every chapter."""
    nav = v.page.evaluate(
        """() => ({
          sidebar: [...document.querySelectorAll('.bd-sidebar-primary nav a[href]')].map(a => a.href),
          prevnext: [...document.querySelectorAll('.prev-next-area a[href]')].map(a => a.href),
        })"""
    )
    problems = []
    if len(nav["sidebar"]) < len(CHAPTERS):
        problems.append("the sidebar does not list the chapters")
    if v.relpath != "book/intro.html" and not nav["prevnext"]:
        problems.append("no previous/next links")
    problems += sorted({why for h in nav["sidebar"] + nav["prevnext"] if (why := broken_link(v.url, h))})
    listed = {Path(unquote(urlsplit(h).path)).resolve() for h in nav["sidebar"]}
    problems += [f"{c} is missing from the sidebar" for c in CHAPTERS if (HTML / c).resolve() not in listed]
    return problems


def check_download(v) -> list[str]:
    """A chapter offers its .ipynb for download, and the file is a notebook."""
    hrefs = v.page.evaluate("""() => [...document.querySelectorAll('a[href$=".ipynb"]')].map(a => a.href)""")
    if not hrefs:
        return ["no .ipynb download link"]
    problems = []
    for href in hrefs:
        target = Path(unquote(urlsplit(href).path))
        if not target.exists() or not json.loads(target.read_text()).get("cells"):
            problems.append(f"{href}: not a notebook")
    return problems


@pytest.mark.parametrize("relpath", PAGES)
def test_page_works_offline(visit, relpath):
    v = visit(relpath)
    page = v.page

    # Every problem of the page is gathered, so that one failure reports all of them.
    problems: dict[str, list] = {
        "requests that tried to leave the machine": v.blocked,
        "local files requested that do not exist": v.failed,
        "console errors": v.unexpected_console_errors(),
    }

    math = page.evaluate(
        """() => {
          const els = [...document.querySelectorAll('.math, script[type^="math/tex"]')];
          return {
            total: els.length,
            unrendered: els.filter(e => !e.querySelector('mjx-container'))
                          .map(e => e.textContent.slice(0, 60)),
            containers: document.querySelectorAll('mjx-container').length,
            errors: [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
                      .map(e => e.getAttribute('data-mjx-error') || e.textContent.slice(0, 60))
                      // an undefined macro is drawn as its name in red (MathJax's noundefined)
                      .concat([...document.querySelectorAll('mjx-assistive-mml mtext[mathcolor="red"]')]
                      .filter(e => e.textContent.startsWith('\\\\'))
                      .map(e => 'undefined macro ' + e.textContent)),
          };
        }"""
    )
    if math["total"] and math["containers"] < math["total"]:
        problems["math left unrendered"] = math["unrendered"] or [f"{math['containers']} of {math['total']}"]
    problems["MathJax errors"] = math["errors"]

    images = page.evaluate(
        """async () => {
          const imgs = [...document.images];
          for (const img of imgs) { img.loading = 'eager'; }
          await Promise.all(imgs.map(img => img.complete ? null :
              new Promise(r => { img.onload = r; img.onerror = r; })));
          return imgs.map(img => ({src: img.currentSrc || img.src, width: img.naturalWidth}));
        }"""
    )
    problems["images that did not load"] = [img["src"] for img in images if img["width"] == 0]

    hrefs = page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href)")
    problems["links that do not resolve"] = sorted({w for h in hrefs if (w := broken_link(v.url, h))})
    if relpath != "book/bibliography.html":
        # External sources are cited ({cite}) and listed, with their links, in the bibliography.
        problems["external links outside the bibliography"] = sorted(
            {h for h in hrefs if urlsplit(h).scheme in ("http", "https")}
        )

    if relpath.startswith(("book/", "notebooks/")):
        problems["navigation"] = check_navigation(v)

    if relpath in CHAPTERS:
        problems["download"] = check_download(v)
        problems["figures without a caption or alt text"] = page.evaluate(
            """() => [...document.querySelectorAll('main img')]
                .filter(i => !i.alt || !i.closest('figure')?.querySelector('figcaption'))
                .map(i => i.src.split('/').pop())"""
        )
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / (Path(relpath).stem + ".png"), full_page=True)

    found = {k: v for k, v in problems.items() if v}
    assert not found, f"problems on {relpath}:\n{pformat(found, width=100)}"


# --------------------------------------------------------------------------------------------
# Product features.


def test_offline_search_finds_softmax(visit):
    v = visit("search.html", "?q=softmax")
    v.page.wait_for_function(
        "() => document.querySelectorAll('#search-results li, .search li').length > 0", timeout=30_000
    )
    results = v.page.evaluate(
        "() => [...document.querySelectorAll('#search-results li a, .search li a')].map(a => a.href)"
    )
    assert any("notebooks/" in r for r in results), "search for 'softmax' finds no chapter"
    assert all(broken_link(v.url, r) is None for r in results)
    assert v.blocked == []
    assert v.unexpected_console_errors() == []


def test_identity_title_logo_favicon(visit):
    v = visit("book/intro.html")
    assert "Softmax, verified" in v.page.title()
    favicon = v.page.evaluate("() => document.querySelector('link[rel~=\"icon\"]')?.href")
    assert favicon and broken_link(v.url, favicon) is None
    logo = v.page.evaluate("() => document.querySelector('.navbar-brand img, .logo__image')?.naturalWidth")
    assert logo and logo > 0


def test_errata_link_every_demonstration(visit):
    v = visit("book/errata.html")
    pending = v.page.evaluate("() => [...document.querySelectorAll('.errata-pending')].map(e => e.textContent)")
    assert pending == [], "errata whose demonstrating chapter is not in the built book"
    links = v.page.evaluate("() => [...document.querySelectorAll('main a.reference.internal')].map(a => a.href)")
    assert sum("notebooks/" in href for href in links) >= 8
    assert all(broken_link(v.url, href) is None for href in links)


def test_api_reference_documents_every_public_name(visit):
    import softmaxlib
    import softmaxlib.plotting

    v = visit("book/api.html")
    ids = set(v.page.evaluate("() => [...document.querySelectorAll('dt[id]')].map(e => e.id)"))
    expected = {f"softmaxlib.{n}" for n in softmaxlib.__all__}
    expected |= {f"softmaxlib.plotting.{n}" for n in softmaxlib.plotting.__all__}
    assert sorted(expected - ids) == [], "public names missing from the API reference"
    examples = v.page.evaluate("() => document.querySelectorAll('.doctest, pre').length")
    assert examples >= len(softmaxlib.__all__) // 2, "the doctested examples are not shown"


def test_verification_report_lists_every_chapter(visit):
    v = visit("book/verification.html")
    text = v.page.inner_text("main")
    for chapter in CHAPTERS:
        nb = json.loads((ROOT / chapter).with_suffix(".ipynb").read_text())
        title = next(
            line[2:].strip()
            for cell in nb["cells"]
            if cell["cell_type"] == "markdown"
            for line in "".join(cell["source"]).splitlines()
            if line.startswith("# ")
        )
        assert title in text, f"{chapter} is missing from the verification report"
    assert re.search(r"\d+ tests", text)
    assert re.search(r"generated on \d{4}-\d{2}-\d{2}", text)
