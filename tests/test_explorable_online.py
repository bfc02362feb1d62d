"""Chapter 10's online normaliser, stepped through chunk by chunk in Chromium (issue 12).

The page gives the explorable a fixed score vector and a chunk size (data- attributes), and
shows beside it softmaxlib's running summary after each chunk (``merge_lse`` of each chunk's
``lse_state``, glued by the chapter's check cell: m to 1 decimal, d = 1 + s to 4) and the final
softmax (``streaming_softmax``, 4 decimals). The JavaScript keeps its own m and d. The test
presses "Next chunk" as a reader would, compares what the page shows after every chunk with
that table, text for text, then the softmax, then presses "Reset" and steps through again.
Run after a build (BOOK_HTML=... for another one).

Both editions: the English page and the Japanese edition's (ja/, <html lang="ja">), where the
explorable writes its words in Japanese; each is stepped through the same way and compared with
the values glued on that page. The Japanese page must show Japanese labels and none of the
English words its English twin shows. Without the Japanese page in the build the Japanese runs
skip (fail under CI=true, as the other browser tests do).
"""

import pytest
from explorable_pages import EDITIONS, JAPANESE, english_left, english_words, words_js
from explorable_pages import open_edition as _open_edition
from test_browser import browser, visit  # noqa: F401  (Chromium fixtures)

pytestmark = pytest.mark.browser

PAGE = "notebooks/10_softmax_at_scale.html"
PHONE = {"width": 390, "height": 844}
# How each edition counts the chunks merged: "k of n", "k / n".
STEP = {"en": "{k} of {n}", "ja": "{k} / {n}"}
# Words that are the same in both editions: a function's name in a formula.
FORMULA_WORDS = {"exp"}

_TABLE_JS = """() => [...document.querySelectorAll('.explorable-expected table tbody tr')]
    .map(tr => [...tr.querySelectorAll('td')].map(c => c.textContent.trim()))"""

_EXPECTED_P_JS = """() => {
    const box = document.querySelector('.explorable-expected');
    // "Softmax: ..." in English; the Japanese edition may write ソフトマックス関数 and a
    // full-width colon.
    const label = /^\\s*(Softmax|ソフトマックス関数)\\s*[:：]\\s*/;
    const p = [...box.querySelectorAll('p')].find(e => label.test(e.textContent));
    return p ? p.textContent.replace(label, '').trim() : null;
}"""

_SHOWN_JS = """() => ({
    step: document.getElementById('online-step').textContent,
    m: document.getElementById('online-m').textContent,
    d: document.getElementById('online-d').textContent,
    p: document.getElementById('online-p').textContent,
    next_disabled: document.getElementById('online-next').disabled,
})"""


def expected(v):
    rows = v.page.evaluate(_TABLE_JS)
    assert rows, "the page's table of softmaxlib's running summaries is missing"
    assert [r[0] for r in rows] == [str(k) for k in range(1, len(rows) + 1)], rows
    p = v.page.evaluate(_EXPECTED_P_JS)
    assert p, "the page does not show softmaxlib's softmax of the scores"
    return [(r[1], r[2]) for r in rows], p


def open_edition(visit, lang: str):  # noqa: F811
    return _open_edition(visit, PAGE, lang)


def step_through(v, rows, p, lang="en"):
    shown = v.page.evaluate(_SHOWN_JS)
    assert (shown["m"], shown["d"]) == ("\u2212\u221e", "0.0000"), shown  # (-inf, 0)
    assert shown["step"] == STEP[lang].format(k=0, n=len(rows))
    for k, (m, d) in enumerate(rows, start=1):
        v.page.click("#online-next")
        shown = v.page.evaluate(_SHOWN_JS)
        assert shown["step"] == STEP[lang].format(k=k, n=len(rows))
        assert (shown["m"], shown["d"]) == (m, d), (
            f"after chunk {k} the page shows m = {shown['m']}, d = {shown['d']}; "
            f"softmaxlib.streaming gives m = {m}, d = {d}"
        )
        assert shown["next_disabled"] == (k == len(rows))
    assert shown["p"] == p, f"the page's softmax {shown['p']} is not softmaxlib's {p}"


@pytest.mark.parametrize("lang", EDITIONS)
def test_stepping_shows_softmaxlib_values(visit, lang):  # noqa: F811
    v = open_edition(visit, lang)
    root = v.page.locator("#online-explorable")
    scores = root.get_attribute("data-scores").split(",")
    size = int(root.get_attribute("data-chunk"))
    rows, p = expected(v)
    assert len(rows) == -(-len(scores) // size), "one table row per chunk"
    assert len(p.split(", ")) == len(scores), "one probability per score"
    step_through(v, rows, p, lang)
    v.page.click("#online-reset")
    step_through(v, rows, p, lang)
    assert not v.unexpected_console_errors(), v.console


@pytest.mark.parametrize("lang", EDITIONS)
def test_explorable_is_labelled_and_fits_a_phone(visit, lang):  # noqa: F811
    v = open_edition(visit, lang)
    assert v.page.get_attribute("#online-explorable", "aria-label"), "no accessible name"
    for button in ("#online-next", "#online-reset"):
        assert v.page.locator(button).inner_text().strip(), f"{button} has no text"
    v.page.set_viewport_size(PHONE)
    v.page.click("#online-next")
    width = v.page.evaluate(
        "() => { const e = document.getElementById('online-explorable');"
        " return [e.scrollWidth, e.clientWidth]; }"
    )
    assert width[0] <= width[1], f"the explorable is cut off at 390 px: {width}"


_WORDS_JS = words_js("online-explorable")


def words_shown(v) -> str:
    """What the explorable says at the start and after each chunk."""
    said = [v.page.evaluate(_WORDS_JS)]
    while not v.page.evaluate("() => document.getElementById('online-next').disabled"):
        v.page.click("#online-next")
        said.append(v.page.evaluate(_WORDS_JS))
    return "\n".join(said)


def test_japanese_page_speaks_japanese(visit):  # noqa: F811
    ja = open_edition(visit, "ja")
    assert ja.page.evaluate("() => document.documentElement.lang") == "ja"
    labels = ja.page.evaluate(
        """() => [
            ['button', document.getElementById('online-next').textContent],
            ['button', document.getElementById('online-reset').textContent],
            ['note', document.getElementById('online-note').textContent],
            ['softmax line', document.getElementById('online-p').textContent],
            ...[...document.querySelectorAll('#online-explorable .online-title')]
                .map(e => ['title', e.textContent]),
            ...[...document.querySelectorAll('#online-explorable dt')]
                .map(e => ['state label', e.textContent]),
        ]"""
    )
    assert len(labels) == 4 + 2 + 3, labels
    for what, text in labels:
        assert JAPANESE.search(text), f"the explorable's {what} {text!r} is not Japanese"
    # The English words of the English page's explorable, except the names in formulas, must
    # not appear in the Japanese one.
    english = english_words(words_shown(open_edition(visit, "en"))) - FORMULA_WORDS
    assert {"next", "chunk", "reset", "maximum"} <= english, english
    said = words_shown(ja)
    left = english_left(english, said)
    assert not left, f"the Japanese explorable still says {left}: {said!r}"
    assert not ja.unexpected_console_errors(), ja.console
