"""Chapter 1's temperature slider, driven in Chromium (issue 12, explorables).

The page shows, beside the slider, softmaxlib's probabilities at a few temperatures (glued by
the chapter's check cell, to 3 decimals) and the scores they come from. The slider's JavaScript
computes softmax itself. At each temperature of that table the slider is set, through the same
'input' event a person's drag fires, and must show the same numbers to the same precision; the
scores it shows must be the chapter's. Run after a build (BOOK_HTML=... for another one).

Both editions: the English page and the Japanese edition's (ja/, <html lang="ja">), where the
same slider writes its words in Japanese. Each is driven the same way and compared with the
table glued on that page. The Japanese page must show Japanese labels and none of the English
words its English twin shows. Without the Japanese page in the build the Japanese runs skip
(fail under CI=true, as the other browser tests do).
"""

import json
import re

import pytest
from explorable_pages import EDITIONS, JAPANESE, english_left, english_words, words_js
from explorable_pages import open_edition as _open_edition
from test_browser import browser, visit  # noqa: F401  (Chromium fixtures)

pytestmark = pytest.mark.browser

PAGE = "notebooks/01_scores_to_probabilities.html"
PHONE = {"width": 390, "height": 844}
# The reference table's first two column heads: the Japanese edition may translate them.
HEADS = {"en": [["class", "score"]], "ja": [["class", "score"], ["クラス", "スコア"]]}
# Words that are the same in both editions: a function's name in a formula.
FORMULA_WORDS = {"softmax"}

_TABLE_JS = """() => [...document.querySelectorAll('.explorable-expected table tr')]
    .map(tr => [...tr.querySelectorAll('th, td')].map(c => c.textContent.trim()))"""

_SET_JS = """(i) => {
    const s = document.getElementById('temperature-slider');
    s.value = String(i);
    s.dispatchEvent(new Event('input', {bubbles: true}));
}"""

_SHOWN_JS = """() => ({
    T: document.getElementById('temperature-T').textContent,
    p: [...document.querySelectorAll('[id^="temperature-p-"]')].map(e => e.textContent),
    scores: [...document.querySelectorAll('[id^="temperature-score-"]')].map(e => e.textContent),
    label: document.querySelector('label[for="temperature-slider"]') !== null,
})"""

_WORDS_JS = words_js("temperature-explorable")

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?$")


def last_number(cell: str) -> str:
    """The number a table cell ends with ('T = 0.3' rendered with MathJax ends in '0.3')."""
    m = _NUMBER.search(cell.replace("\u2212", "-"))
    assert m, f"no number in the reference table's cell {cell!r}"
    return m.group(0)


def open_edition(visit, lang: str):  # noqa: F811
    return _open_edition(visit, PAGE, lang)


def reference(v, lang: str = "en") -> tuple[list[str], list[str], dict[str, list[str]]]:
    """The page's reference table (a row per class: name, score, then one column per
    temperature) as classes, scores and {T: probabilities}, each number as shown."""
    rows = v.page.evaluate(_TABLE_JS)
    assert len(rows) >= 3 and rows[0][:2] in HEADS[lang], f"no reference table: {rows}"
    body = rows[1:]
    classes = [r[0] for r in body]
    scores = [last_number(r[1]) for r in body]
    probs = {
        last_number(t): [last_number(r[2 + j]) for r in body] for j, t in enumerate(rows[0][2:])
    }
    return classes, scores, probs


@pytest.mark.parametrize("lang", EDITIONS)
def test_slider_shows_softmaxlib_values(visit, lang):  # noqa: F811
    v = open_edition(visit, lang)
    root = v.page.locator("#temperature-explorable")
    assert json.loads(root.get_attribute("data-classes")) == reference(v, lang)[0]
    temps = json.loads(root.get_attribute("data-temperatures"))
    classes, scores, probs = reference(v, lang)
    assert len(probs) >= 3, "the page should give reference values at a few temperatures"
    shown = v.page.evaluate(_SHOWN_JS)
    assert shown["label"], "the slider has no label"
    assert shown["scores"] == scores, "the slider's scores are not the chapter's"
    for t, expected in probs.items():
        assert float(t) in temps, f"T = {t} is not a stop of the slider {temps}"
        v.page.evaluate(_SET_JS, temps.index(float(t)))
        shown = v.page.evaluate(_SHOWN_JS)
        assert float(shown["T"].removeprefix("T = ")) == float(t), shown["T"]
        assert v.page.get_attribute("#temperature-slider", "aria-valuetext") == shown["T"]
        assert shown["p"] == expected, (
            f"at T = {t} the slider shows {dict(zip(classes, shown['p']))}, "
            f"softmaxlib gives {dict(zip(classes, expected))}"
        )
    assert not v.unexpected_console_errors(), v.console


@pytest.mark.parametrize("lang", EDITIONS)
def test_slider_sweeps_every_stop_and_fits_a_phone(visit, lang):  # noqa: F811
    v = open_edition(visit, lang)
    temps = json.loads(v.page.locator("#temperature-explorable").get_attribute("data-temperatures"))
    digits = int(v.page.locator("#temperature-explorable").get_attribute("data-digits"))
    tops = []
    for i in range(len(temps)):
        v.page.evaluate(_SET_JS, i)
        p = [float(x) for x in v.page.evaluate(_SHOWN_JS)["p"]]
        # Each shown value is within half a unit of its last digit: the sum is within n/2 units.
        assert abs(sum(p) - 1) <= len(p) * 0.5 * 10**-digits + 1e-12, (temps[i], p)
        tops.append(max(p))
    assert tops == sorted(tops, reverse=True), "a higher temperature never sharpens"
    v.page.set_viewport_size(PHONE)
    width = v.page.evaluate(
        "() => { const e = document.getElementById('temperature-explorable');"
        " return [e.scrollWidth, e.clientWidth]; }"
    )
    assert width[0] <= width[1], f"the slider is cut off at 390 px: {width}"


def words_shown(v) -> str:
    """Everything the explorable says, at every stop of the slider."""
    stops = len(
        json.loads(v.page.locator("#temperature-explorable").get_attribute("data-temperatures"))
    )
    said = []
    for i in range(stops):
        v.page.evaluate(_SET_JS, i)
        said.append(v.page.evaluate(_WORDS_JS))
    return "\n".join(said)


def test_japanese_page_speaks_japanese(visit):  # noqa: F811
    ja = open_edition(visit, "ja")
    assert ja.page.evaluate("() => document.documentElement.lang") == "ja"
    labels = ja.page.evaluate(
        """() => ({
            label: document.querySelector('label[for="temperature-slider"]').textContent,
            heads: [...document.querySelectorAll('#temperature-explorable [role=columnheader]')]
                     .map(e => e.textContent).filter(Boolean),
            table: document.querySelector('#temperature-explorable [role=table]')
                     .getAttribute('aria-label'),
        })"""
    )
    for what, text in [("label", labels["label"]), ("table name", labels["table"])] + [
        ("column head", h) for h in labels["heads"]
    ]:
        assert JAPANESE.search(text), f"the slider's {what} {text!r} is not Japanese"
    # The English words of the English page's explorable, except the data (class names) and
    # the names in formulas, must not appear in the Japanese one.
    en = open_edition(visit, "en")
    data = set(json.loads(en.page.locator("#temperature-explorable").get_attribute("data-classes")))
    english = english_words(words_shown(en)) - {w.lower() for w in data} - FORMULA_WORDS
    assert {"temperature", "probability"} <= english, f"the English words were not found: {english}"
    said = words_shown(ja)
    left = english_left(english, said)
    assert not left, f"the Japanese explorable still says {left}: {said!r}"
    assert not ja.unexpected_console_errors(), ja.console
