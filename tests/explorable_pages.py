"""What the three explorables' browser tests share (tests/test_explorable_*.py).

Each explorable lives on a chapter page of both editions: the English one and the Japanese
edition's copy in ja/ (<html lang="ja">), where its JavaScript writes its words in Japanese.
The tests open the page in an edition, read everything the explorable says, and check that the
Japanese one says none of the English words its twin says (names in formulas and data aside).
"""

from __future__ import annotations

import re

from test_browser import CHAPTERS, _unavailable

EDITIONS = {"en": "", "ja": "ja/"}
JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60]")


def open_edition(visit, page: str, lang: str):
    """The chapter ``page`` in the edition ``lang``, opened in Chromium.

    A page missing from the build skips locally and fails under CI=true (test_browser's
    _unavailable): the book, or its Japanese edition, was not built.
    """
    relpath = EDITIONS[lang] + page
    if relpath not in CHAPTERS:
        _unavailable(f"{relpath} is not in the built book: run `make book` (both editions)")
    return visit(relpath)


def words_js(root_id: str) -> str:
    """JavaScript returning everything the explorable ``root_id`` shows or announces: its text,
    text node by text node (innerText runs two adjacent buttons together, "chunkReset"), and
    its accessible names and values."""
    return """() => {
    const root = document.getElementById('ROOT_ID');
    const texts = [];
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walk.nextNode()) texts.push(walk.currentNode.nodeValue);
    const attrs = ['aria-label', 'aria-valuetext', 'title'];
    const els = [root, ...root.querySelectorAll('*')];
    return [...texts,
            ...els.flatMap(e => attrs.map(a => e.getAttribute(a)).filter(Boolean))].join('\\n');
}""".replace("ROOT_ID", root_id)


def english_words(said: str) -> set[str]:
    """The Latin words (two letters or more) in ``said``, lower-cased."""
    return {w.lower() for w in re.findall(r"[A-Za-z]{2,}", said)}


def english_left(english: set[str], said: str) -> list[str]:
    """The words of ``english`` that the Japanese explorable still says.

    Not \\b: a Japanese character is a word character too ("のscore" has no \\b before "s").
    """
    return sorted(w for w in english if re.search(rf"(?i)(?<![a-z]){w}(?![a-z])", said))
