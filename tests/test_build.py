"""Checks on the built book (run by `make test` after `make book`; marker ``book``).

- Every notebook's current code matches an executed record in the jupyter-cache, so a second
  `make book` with no changes executes nothing.
- No built page refers to a script, stylesheet, font or image on the network.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
CACHE = ROOT / "_build" / ".jupyter_cache"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.book


@pytest.fixture(scope="module")
def cache():
    if not CACHE.is_dir():
        pytest.fail("no jupyter-cache: run `make book` first")
    from jupyter_cache import get_cache

    return get_cache(str(CACHE))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_rebuild_would_not_reexecute(cache, path):
    nb = nbformat.read(path, as_version=4)
    try:
        cache.match_cache_notebook(nb)
    except KeyError:
        pytest.fail(f"{path.name} has no up-to-date record in the jupyter-cache")


def _pages():
    if not (HTML / "index.html").exists():
        pytest.fail("no _build/html: run `make book` first")
    return sorted(HTML.rglob("*.html"))


# src/href of scripts, stylesheets, images, fonts and iframes; plain <a href> links may point out.
ASSET = re.compile(r"<(script|link|img|iframe|source)\b[^>]*?\b(src|href)=\"(https?:)?//", re.I)


def test_no_page_loads_from_the_network():
    offenders = {}
    for page in _pages():
        hits = ASSET.findall(page.read_text(encoding="utf-8", errors="replace"))
        if hits:
            offenders[page.relative_to(HTML).as_posix()] = len(hits)
    assert offenders == {}


def test_mathjax_is_local():
    page = (HTML / "notebooks" / "01_scores_to_probabilities.html").read_text(encoding="utf-8")
    src = re.search(r'<script[^>]*src="([^"]*tex-chtml\.js)[^"]*"', page)
    assert src, "the chapter does not load MathJax"
    target = (HTML / "notebooks" / src.group(1).split("?")[0]).resolve()
    assert target.is_file(), f"MathJax is not in the build at {target}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_check_cell_is_collapsed_under_check(path):
    """Each cell tagged 'check' is built as one collapsed block labelled "Check", and no other."""
    page = HTML / "notebooks" / f"{path.stem}.html"
    if not page.exists():
        pytest.fail(f"{page} is not built: run `make book` first")
    html = page.read_text(encoding="utf-8")
    nb = nbformat.read(path, as_version=4)
    tagged = sum("check" in c.metadata.get("tags", []) for c in nb.cells if c.cell_type == "code")
    built = re.findall(r'<div class="cell tag_check[^"]*">\s*<details class="[^"]*\bhide above-input">'
                       r'\s*<summary[^>]*>\s*<p class="collapsed admonition-title">([^<]*)</p>', html)
    assert built == ["Check"] * tagged
