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

Every page is also read as a person would, at 1280 px, at 390 px (a phone) and in the theme's
dark mode (issue 12, "every page readable"): no literal dollar signs or TeX outside code and
MathJax; no display equation, table or figure wider than the column at 1280 px, nor cut off
without a scroll bar of its own at 390 px, and no page wider than 390 px; no MathJax error. Screenshots of each page at both
widths and in dark mode are saved in screenshots/ beside the html folder (_build/screenshots/)
for a person to look at. Japanese text (the glossary's names, a title in the bibliography) must
be drawn with the book's own Noto Sans JP, served from the build, so that it reads on a machine
without a Japanese font.

Offline search, the .ipynb download of every chapter and the completeness of the API reference
are checked too.

Run after `make book` (`make test-browser` does both). Without Chromium or without a built book
the tests skip with a message; with CI=true they fail instead. BOOK_HTML=/path/to/_build/html
tests another build.
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
# BOOK_HTML points the tests at another build of the book (a copy built elsewhere, say);
# screenshots go beside it, in screenshots/ next to html/.
HTML = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "html")).resolve()
SCREENSHOTS = HTML.parent / "screenshots"
# Debian's Chromium by default; CHROMIUM names another Chromium or Chrome binary (macOS, Ubuntu).
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI", "").lower() == "true"

pytestmark = pytest.mark.browser

# Rendering defects a page is known to have, {page: {check: count}}, with the checks named as in
# RENDER_CHECKS below: a to-do list that can only shrink (a page with more defects than listed
# fails, and so does one with fewer). The eleven found on 2026-12-01 (raw TeX in §1.5 and
# Exercise 4.3, seven chapter and four API equations wider than the column) are fixed: empty.
KNOWN_DEFECTS: dict[str, dict[str, int]] = {}

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


def _pages_of(html: Path, prefix: str = "") -> list[str]:
    index = html / "searchindex.js"
    if not index.exists():
        return []
    text = index.read_text(encoding="utf-8")
    data = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    pages = [f"{prefix}{doc}.html" for doc in data["docnames"]]
    return sorted(pages) + [f"{prefix}{p}" for p in ("genindex.html", "search.html") if (html / p).exists()]


def built_pages() -> list[str]:
    """The pages Sphinx built in the last build of each edition: every document, plus the index
    and search pages; the Japanese edition's pages (in ja/) after the English ones.

    Read from searchindex.js rather than globbed, so a stale file left in _build/html by an older
    build is not mistaken for a page of the book.
    """
    return _pages_of(HTML) + _pages_of(HTML / "ja", "ja/")


def edition(relpath: str) -> tuple[str, str]:
    """(the edition's prefix, the page's path within its edition): ("ja/", "book/intro.html")."""
    return ("ja/", relpath[3:]) if relpath.startswith("ja/") else ("", relpath)


PAGES = built_pages()
CHAPTERS = [p for p in PAGES if edition(p)[1].startswith("notebooks/")]


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
        self.loaded: list[str] = []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: m.type == "error" and self.console.append(m.text))
        self.page.on("pageerror", lambda e: self.console.append(f"uncaught exception: {e}"))
        self.page.on("requestfailed", self._request_failed)
        self.page.on("requestfinished", lambda r: self.loaded.append(r.url))
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
    """Previous/next and the sidebar: present, pointing to pages that exist, listing every chapter
    of the page's edition."""
    prefix, inner = edition(v.relpath)
    chapters = [c for c in CHAPTERS if edition(c)[0] == prefix]
    nav = v.page.evaluate(
        """() => ({
          sidebar: [...document.querySelectorAll('.bd-sidebar-primary nav a[href]')].map(a => a.href),
          prevnext: [...document.querySelectorAll('.prev-next-area a[href]')].map(a => a.href),
        })"""
    )
    problems = []
    if len(nav["sidebar"]) < len(chapters):
        problems.append("the sidebar does not list the chapters")
    if inner != "book/intro.html" and not nav["prevnext"]:
        problems.append("no previous/next links")
    problems += sorted({why for h in nav["sidebar"] + nav["prevnext"] if (why := broken_link(v.url, h))})
    listed = {Path(unquote(urlsplit(h).path)).resolve() for h in nav["sidebar"]}
    problems += [f"{c} is missing from the sidebar" for c in chapters if (HTML / c).resolve() not in listed]
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


def check_language_switch(v) -> list[str]:
    """The header links to the same page in the other edition, if that edition has it."""
    prefix, inner = edition(v.relpath)
    other = "" if prefix else "ja/"
    expected = (HTML / other / inner) if (f"{other}{inner}" in PAGES) else None
    links = v.page.evaluate(
        """() => [...document.querySelectorAll('a.language-switch')]
                  .map(a => ({href: a.href, lang: a.getAttribute('hreflang')}))"""
    )
    if expected is None:
        return [f"links to {links[0]['href']}, which the other edition does not have"] if links else []
    if len(links) != 1:
        return [f"{len(links)} language switches, expected one to {other or 'the English '}{inner}"]
    target = Path(unquote(urlsplit(links[0]["href"]).path)).resolve()
    problems = [] if target == expected.resolve() else [f"switch leads to {target}, not {expected}"]
    if links[0]["lang"] != ("ja" if other else "en"):
        problems.append(f"switch hreflang is {links[0]['lang']}")
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
    if edition(relpath)[1] != "book/bibliography.html":
        # External sources are cited ({cite}) and listed, with their links, in the bibliography.
        problems["external links outside the bibliography"] = sorted(
            {h for h in hrefs if urlsplit(h).scheme in ("http", "https")}
        )

    if edition(relpath)[1].startswith(("book/", "notebooks/")):
        problems["navigation"] = check_navigation(v)
    problems["language switch"] = check_language_switch(v)

    if relpath in CHAPTERS:
        problems["download"] = check_download(v)
        problems["figures without a caption or alt text"] = page.evaluate(
            """() => [...document.querySelectorAll('main img')]
                .filter(i => !i.alt || !i.closest('figure')?.querySelector('figcaption'))
                .map(i => i.src.split('/').pop())"""
        )

    found = {k: v for k, v in problems.items() if v}
    assert not found, f"problems on {relpath}:\n{pformat(found, width=100)}"


# --------------------------------------------------------------------------------------------
# Readable: at 1280 px, at 390 px and in dark mode (issue 12).

PHONE = {"width": 390, "height": 844}

# Text, outside code and MathJax, that shows TeX instead of rendering it: a dollar sign, or a
# backslash command. Text is gathered per block (paragraph, list item, heading, cell), so that a
# `$` split across elements is still seen.
_UNRENDERED_TEX_JS = r"""() => {
  const skip = 'pre, code, kbd, samp, script, style, textarea, mjx-container, .highlight, .math';
  const blocks = new Map();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || el.closest(skip) || !el.getClientRects().length) continue;
    const block = el.closest('p, li, dt, dd, h1, h2, h3, h4, h5, h6, th, td, caption, figcaption, '
                             + 'summary, .admonition-title, div') || document.body;
    blocks.set(block, (blocks.get(block) || '') + n.textContent);
  }
  const tex = /\$|\\[a-zA-Z]+\s*[{_^]|\\(frac|sum|prod|ln|log|exp|infty|max|min|cdot|mathrm|text|left|right|ell|le|ge|approx)\b/;
  return [...blocks.entries()].filter(([, t]) => tex.test(t))
    .map(([b, t]) => `<${b.tagName.toLowerCase()}> ${t.replace(/\s+/g, ' ').trim().slice(0, 100)}`);
}"""

# Display equations, tables and figures, measured against the room they have: the content column,
# or less (a numbered equation shares its line with the number). `wide` lists those whose content
# is wider than that room, scroll bar or not; `cut` those that are wider with no horizontal scroll
# bar of their own to reach the rest (overflow-x: auto that shows one is fine on a phone).
_OVERFLOW_JS = r"""() => {
  const article = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
  const column = article.clientWidth;
  const scrolls = a => ['auto', 'scroll'].includes(getComputedStyle(a).overflowX);
  const describe = el => {
    if (el.matches('mjx-container')) {
      const item = window.MathJax?.startup?.document?.getMathItemsWithin?.(el)?.[0];
      return 'equation ' + (item ? item.math : el.textContent).replace(/\s+/g, ' ').trim().slice(0, 70);
    }
    if (el.matches('table')) return 'table ' + el.innerText.replace(/\s+/g, ' ').trim().slice(0, 50);
    const img = el.matches('img') ? el : el.querySelector('img');
    return el.tagName.toLowerCase() + ' ' + (img ? img.src.split('/').pop() : el.textContent.trim().slice(0, 50));
  };
  const els = [...article.querySelectorAll('mjx-container[display="true"], table, figure, img')]
    .filter(el => !(el.matches('img') && el.closest('figure')) && el.getClientRects().length);
  const wide = [], cut = [];
  for (const el of els) {
    // The nearest box, from the element up to the column, that scrolls sideways.
    let box = null;
    for (let a = el; a && a !== article; a = a.parentElement) { if (scrolls(a)) { box = a; break; } }
    // How wide the content is (a display equation's own math, a table's full width) and the room.
    const inner = el.matches('mjx-container') ? (el.querySelector('mjx-math') || el) : el;
    const need = Math.max(inner.getBoundingClientRect().width, el.scrollWidth, box ? box.scrollWidth : 0);
    const room = Math.min(box ? box.clientWidth : column, column);
    if (need <= room + 1) continue;
    const label = `${describe(el)} (${Math.round(need)} px in ${room} px`;
    const scrollbar = box && box.clientWidth <= column + 1 && box.scrollWidth > box.clientWidth + 1;
    wide.push(label + (scrollbar ? ', scrolls)' : ', no scroll bar)'));
    if (!scrollbar) cut.push(label + ', no scroll bar)');
  }
  return {wide, cut};
}"""

_MJX_ERRORS_JS = """() => [...document.querySelectorAll('mjx-merror')]
    .map(e => e.getAttribute('data-mjx-error') || e.textContent.slice(0, 60))"""


def _screenshot(v, suffix: str):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = v.relpath.removesuffix(".html").replace("/", "-") + f"-{suffix}.png"
    v.page.screenshot(path=SCREENSHOTS / name, full_page=True)


def _switch_to_dark_mode(v) -> str:
    """Press the theme's own light/dark/auto button until the page is dark.

    pydata-sphinx-theme keeps the choice in localStorage (`mode`: light, dark or auto; `theme`:
    the resolved light or dark) and shows it as html[data-theme]; its button cycles the modes.
    """
    for _ in range(3):
        if v.page.evaluate("() => document.documentElement.dataset.theme") == "dark":
            break
        v.page.locator(".theme-switch-button").first.click()
    return v.page.evaluate(
        "() => [document.documentElement.dataset.theme, localStorage.getItem('mode')].join(' ')"
    )


# The checks of each page, by the names KNOWN_DEFECTS uses.
RENDER_CHECKS = (
    "unrendered TeX",
    "wider than the column at 1280 px",
    "cut off at 390 px",
    "MathJax errors",
    "Japanese not drawn in Noto Sans JP",
)


def rendering_defects(v) -> dict[str, list[str]]:
    """Every rendering defect of the page, by check; takes the screenshots on the way."""
    found = {
        "unrendered TeX": v.page.evaluate(_UNRENDERED_TEX_JS),
        "MathJax errors": v.page.evaluate(_MJX_ERRORS_JS),
        "wider than the column at 1280 px": v.page.evaluate(_OVERFLOW_JS)["wide"],
    }
    _screenshot(v, "1280")
    v.page.set_viewport_size(PHONE)
    found["cut off at 390 px"] = v.page.evaluate(_OVERFLOW_JS)["cut"]
    # Anything else too wide (a long signature, a path in a reference) widens the whole page,
    # which then scrolls sideways as a whole: the API page was 467 px wide, the bibliography 646.
    width = v.page.evaluate("() => document.documentElement.scrollWidth")
    if width > PHONE["width"] + 1:
        found["cut off at 390 px"].append(f"the page is {width} px wide")
    _screenshot(v, "390")
    v.page.set_viewport_size({"width": 1280, "height": 900})
    assert _switch_to_dark_mode(v) == "dark dark", "the theme's button does not switch to dark mode"
    _screenshot(v, "dark")
    return found


def test_known_defects_name_real_pages_and_checks():
    for page, checks in KNOWN_DEFECTS.items():
        assert page in PAGES or not PAGES, f"KNOWN_DEFECTS names {page}, which the book does not have"
        assert set(checks) <= set(RENDER_CHECKS), f"{page}: unknown checks {set(checks) - set(RENDER_CHECKS)}"
        assert all(n > 0 for n in checks.values()), f"{page}: delete the entries at zero"
        assert "MathJax errors" not in checks, "a MathJax error is never a known defect"


@pytest.mark.parametrize("relpath", PAGES)
def test_page_is_readable(visit, relpath):
    v = visit(relpath)
    # Japanese text anywhere (the glossary, its index entries, a title in the bibliography) must
    # be drawn in the book's own font, not as empty boxes.
    japanese = japanese_not_in_web_font(v)
    found = rendering_defects(v) | {"Japanese not drawn in Noto Sans JP": japanese}
    known = KNOWN_DEFECTS.get(relpath, {})
    problems = []
    for check in RENDER_CHECKS:
        items, allowed = found[check], known.get(check, 0)
        if len(items) > allowed:
            listed = "\n  ".join(items)
            problems.append(f"{check}: {len(items)}, KNOWN_DEFECTS allows {allowed}:\n  {listed}")
        elif len(items) < allowed:
            problems.append(
                f"{check}: {len(items)}, fewer than the {allowed} KNOWN_DEFECTS lists: lower "
                f"KNOWN_DEFECTS[{relpath!r}][{check!r}] to {len(items)} (the list only shrinks)"
            )
    assert not problems, f"{relpath}:\n" + "\n".join(problems)


# --------------------------------------------------------------------------------------------
# Japanese text, drawn with the book's own web font.

# Kana, CJK ideographs and punctuation, full-width forms.
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
WEB_FONT = "Noto Sans JP"
FONT_CSS = HTML / "_static" / "noto-sans-jp" / "noto-sans-jp-400.css"


def japanese_in_sources() -> set[str]:
    """Every Japanese character in the book's sources: its pages, chapters, bibliography and the
    Japanese edition's translations."""
    files = [*(ROOT / "book").glob("*.md"), *(ROOT / "notebooks").glob("*.ipynb"), ROOT / "references.bib",
             *(ROOT / "ja").rglob("*.yml")]
    return {c for f in files for c in JAPANESE.findall(f.read_text(encoding="utf-8"))}


def unicode_ranges(css: str) -> list[tuple[int, int]]:
    ranges = []
    for spec in re.findall(r"unicode-range:\s*([^;]+);", css):
        for part in spec.split(","):
            lo, _, hi = part.strip().removeprefix("U+").partition("-")
            ranges.append((int(lo, 16), int(hi or lo, 16)))
    return ranges


def test_the_web_font_covers_every_japanese_character():
    if not FONT_CSS.exists():
        _unavailable(f"{FONT_CSS} is missing: the book was built without `make setup`'s font")
    ranges = unicode_ranges(FONT_CSS.read_text())
    missing = sorted(c for c in japanese_in_sources() if not any(lo <= ord(c) <= hi for lo, hi in ranges))
    assert missing == [], f"{WEB_FONT}'s faces do not cover {''.join(missing)}"
    for url in re.findall(r"url\(([^)]+)\)", FONT_CSS.read_text()):
        assert (FONT_CSS.parent / url).exists(), f"{url}: named in {FONT_CSS.name} but not served"


def fonts_drawing_japanese(v) -> list[dict]:
    """Each element whose own text holds Japanese, with the fonts Chromium actually drew it in.

    DevTools' CSS.getPlatformFontsForNode reports, per font, how many glyphs of the node's text
    it drew: what a reader sees, not what the stylesheet asks for.
    """
    # Mark the elements (once: re-marking restyles them), then let fonts load and the page settle.
    count = v.page.evaluate(
        """async (pattern) => {
          const re = new RegExp(pattern);
          if (window.japaneseMarked === undefined) {
            let i = 0;
            for (const el of document.body.querySelectorAll('*')) {
              const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('');
              // Only what is drawn: not collapsed content, nor MathJax's assistive MathML
              // (clipped to nothing; screen readers read it, no font draws it).
              if (re.test(own) && el.getClientRects().length && !el.closest('mjx-assistive-mml')
                  && el.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true}))
                el.setAttribute('data-japanese', i++);
            }
            window.japaneseMarked = i;
          }
          await document.fonts.ready;
          // Chromium does not re-shape text it laid out before a unicode-range face finished
          // loading until the next layout (seen on genindex's heading "ア", drawn as a box in
          // the first paint only): lay the page out once more, so what is checked is settled.
          document.body.style.display = 'none';
          void document.body.offsetHeight;
          document.body.style.display = '';
          await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
          return window.japaneseMarked;
        }""",
        JAPANESE.pattern,
    )
    cdp = v.context.new_cdp_session(v.page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    found = []
    for i in range(count):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": f'[data-japanese="{i}"]'})["nodeId"]
        text = v.page.evaluate(
            """(i) => [...document.querySelector(`[data-japanese="${i}"]`).childNodes]
                 .filter(n => n.nodeType === 3).map(n => n.textContent).join('')""",
            i,
        )
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
        found.append({"text": text, "fonts": fonts})
    cdp.detach()
    return found


def japanese_not_in_web_font(v) -> list[str]:
    """The Japanese strings of the page that some other font drew (or no font: empty boxes)."""
    problems = []
    for item in fonts_drawing_japanese(v):
        text = item["text"]
        japanese = "".join(JAPANESE.findall(text))
        # The files' own name for the face is "Noto Sans JP Thin" (the variable font's default
        # instance); isCustomFont says it came from an @font-face, not from the system.
        # It comes last in the font stack, so it draws no Latin the theme's fonts have: as many of
        # its glyphs as Japanese characters means every one of them. (The element's other glyphs,
        # a pseudo-element's say, are the theme's.)
        ours = sum(
            f["glyphCount"]
            for f in item["fonts"]
            if f["isCustomFont"] and f["familyName"].startswith(WEB_FONT)
        )
        if ours < len(japanese):
            drawn = {f["familyName"]: f["glyphCount"] for f in item["fonts"]}
            problems.append(f"{' '.join(text.split())!r} drawn with {drawn}")
        ready = v.page.evaluate(
            "([font, text]) => document.fonts.check(font, text)", [f'16px "{WEB_FONT}"', japanese]
        )
        if not ready:
            problems.append(f"{' '.join(text.split())!r}: {WEB_FONT} is not loaded for it")
    return problems


def test_glossary_draws_japanese_in_the_local_web_font(visit):
    v = visit("book/glossary.html")
    japanese = v.page.evaluate(
        """(p) => [...document.querySelectorAll('main dt')].map(d => d.innerText.trim())
                   .filter(t => new RegExp(p).test(t))""",
        JAPANESE.pattern,
    )
    assert len(japanese) >= 10, f"the glossary shows only {len(japanese)} Japanese names"
    assert japanese_not_in_web_font(v) == []
    fonts = [u for u in v.loaded if re.search(r"\.(woff2?|ttf|otf)$", urlsplit(u).path)]
    assert any("/_static/noto-sans-jp/files/" in u for u in fonts), f"no {WEB_FONT} file loaded: {fonts}"
    assert all(u.startswith(HTML.as_uri() + "/") for u in fonts), f"fonts from outside the book: {fonts}"
    assert v.blocked == [], f"requests that tried to leave the machine (a CDN?): {v.blocked}"


# --------------------------------------------------------------------------------------------
# Product features.


def test_offline_search_finds_softmax(visit):
    v = visit("search.html", "?q=softmax")
    # Sphinx adds the results one at a time, 5 ms apart, and writes its summary after the last:
    # reading them before that saw only the first few (a race lost once on a loaded machine).
    v.page.wait_for_function(
        "() => /Search finished|did not match/.test("
        "document.querySelector('#search-results .search-summary')?.textContent || '')",
        timeout=30_000,
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
    for chapter in [c for c in CHAPTERS if not edition(c)[0]]:
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
