"""Chapter 10's online normaliser, stepped through chunk by chunk in Chromium (issue 12).

The page gives the explorable a fixed score vector and a chunk size (data- attributes), and
shows beside it softmaxlib's running summary after each chunk (``merge_lse`` of each chunk's
``lse_state``, glued by the chapter's check cell: m to 1 decimal, d = 1 + s to 4) and the final
softmax (``streaming_softmax``, 4 decimals). The JavaScript keeps its own m and d. The test
presses "Next chunk" as a reader would, compares what the page shows after every chunk with
that table, text for text, then the softmax, then presses "Reset" and steps through again.
Run after a build (BOOK_HTML=... for another one).
"""

import pytest
from test_browser import browser, visit  # noqa: F401  (reuses the Chromium fixtures)

pytestmark = pytest.mark.browser

PAGE = "notebooks/10_softmax_at_scale.html"
PHONE = {"width": 390, "height": 844}

_TABLE_JS = """() => [...document.querySelectorAll('.explorable-expected table tbody tr')]
    .map(tr => [...tr.querySelectorAll('td')].map(c => c.textContent.trim()))"""

_EXPECTED_P_JS = """() => {
    const box = document.querySelector('.explorable-expected');
    const p = [...box.querySelectorAll('p')].find(e => e.textContent.includes('Softmax'));
    return p ? p.textContent.replace(/^\\s*Softmax:\\s*/, '').trim() : null;
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


def step_through(v, rows, p):
    shown = v.page.evaluate(_SHOWN_JS)
    assert (shown["m"], shown["d"]) == ("\u2212\u221e", "0.0000"), shown  # (-inf, 0)
    assert shown["step"] == f"0 of {len(rows)}"
    for k, (m, d) in enumerate(rows, start=1):
        v.page.click("#online-next")
        shown = v.page.evaluate(_SHOWN_JS)
        assert shown["step"] == f"{k} of {len(rows)}"
        assert (shown["m"], shown["d"]) == (m, d), (
            f"after chunk {k} the page shows m = {shown['m']}, d = {shown['d']}; "
            f"softmaxlib.streaming gives m = {m}, d = {d}"
        )
        assert shown["next_disabled"] == (k == len(rows))
    assert shown["p"] == p, f"the page's softmax {shown['p']} is not softmaxlib's {p}"


def test_stepping_shows_softmaxlib_values(visit):
    v = visit(PAGE)
    root = v.page.locator("#online-explorable")
    scores = root.get_attribute("data-scores").split(",")
    size = int(root.get_attribute("data-chunk"))
    rows, p = expected(v)
    assert len(rows) == -(-len(scores) // size), "one table row per chunk"
    assert len(p.split(", ")) == len(scores), "one probability per score"
    step_through(v, rows, p)
    v.page.click("#online-reset")
    step_through(v, rows, p)
    assert not v.unexpected_console_errors(), v.console


def test_explorable_is_labelled_and_fits_a_phone(visit):
    v = visit(PAGE)
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
