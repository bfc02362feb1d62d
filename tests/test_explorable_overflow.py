"""Chapter 2's overflow explorable, driven in the browser and compared with softmaxlib.

The page holds, in its ``explorable-expected`` container, two tables glued from the chapter's
check cells: each format's three thresholds of ``exp`` (numpy, 2 decimals) and, for six
(format, score) pairs, e^x and the textbook and shifted softmax of the row (x, x - 1, x - 2)
as numpy and softmaxlib compute them (4 significant digits). The test sets the explorable's
controls to each format and score, reads what the JavaScript shows and compares it with those
glued values at the precision both display. It also drives the slider and checks that the
classification of e^x flips exactly at the glued thresholds.

Both editions: the English page and the Japanese edition's (ja/, <html lang="ja">), where the
explorable writes its words in Japanese; each is driven the same way and compared with the
tables glued on that page. The classification keeps its English key in data-kind in both; its
text is the edition's. The Japanese page must show Japanese labels and none of the English
words its English twin shows. Without the Japanese page in the build the Japanese runs skip
(fail under CI=true, as the other browser tests do).
"""

from __future__ import annotations

import math

import pytest
from explorable_pages import EDITIONS, JAPANESE, english_left, english_words, words_js
from explorable_pages import open_edition as _open_edition
from test_browser import browser, visit  # noqa: F401  (Chromium fixtures)

pytestmark = pytest.mark.browser

PAGE = "notebooks/02_overflow_underflow_accuracy.html"
# What the explorable says of e^x, by its data-kind, in each edition.
KINDS = {
    "en": {k: k for k in ("normal", "subnormal", "overflows to inf", "underflows to 0")},
    "ja": {
        "normal": "正規化数です",
        "subnormal": "非正規化数です",
        "overflows to inf": "inf にオーバーフローします",
        "underflows to 0": "0 にアンダーフローします",
    },
}
# Words that are the same in both editions: names in formulas and the formats' names.
FORMULA_WORDS = {"ln", "exp", "inf", "nan", "float", "softmax"}


def number(text: str) -> float:
    """A shown number: the page writes a minus sign as U+2212 in places, NaN as 'NaN'."""
    return float(text.strip().replace("\u2212", "-"))


def same_shown(a: str, b: str) -> bool:
    """Two comma-separated lists of numbers equal at 4 significant digits (NaN equals NaN)."""
    xs, ys = [number(t) for t in a.split(",")], [number(t) for t in b.split(",")]
    if len(xs) != len(ys):
        return False
    for x, y in zip(xs, ys):
        if math.isnan(x) or math.isnan(y):
            if not (math.isnan(x) and math.isnan(y)):
                return False
        elif f"{x:.4g}" != f"{y:.4g}":
            return False
    return True


def expected_tables(page):
    """The glued tables of the explorable-expected container, as lists of cell texts."""
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.explorable-expected table')).map(
               t => Array.from(t.querySelectorAll('tbody tr')).map(
                   r => Array.from(r.querySelectorAll('td')).map(c => c.textContent.trim())))"""
    )


def set_control(page, dtype: str, x: str) -> None:
    page.select_option("#overflow-dtype", dtype)
    page.fill("#overflow-x", x)
    page.dispatch_event("#overflow-x", "input")


def shown(page, name: str) -> str:
    return page.inner_text(f"#overflow-{name}").strip()


def shown_kind(page, lang: str) -> str:
    """The classification of e^x by its key, checked against the text the edition shows."""
    key = page.get_attribute("#overflow-kind", "data-kind")
    assert key in KINDS[lang], f"unknown data-kind {key!r}"
    assert shown(page, "kind") == KINDS[lang][key], (lang, key, shown(page, "kind"))
    return key


def open_edition(visit, lang: str):  # noqa: F811
    v = _open_edition(visit, PAGE, lang)
    v.page.wait_for_selector("#overflow-dtype")
    return v


@pytest.fixture(params=list(EDITIONS))
def edition(request):
    return request.param


@pytest.fixture
def chapter(visit, edition):  # noqa: F811
    v = open_edition(visit, edition)
    yield v.page
    assert v.unexpected_console_errors() == []


def test_thresholds_match_numpy(chapter):
    thresholds, _ = expected_tables(chapter)
    assert [row[0] for row in thresholds] == ["float16", "float32", "float64"]
    for dtype, ln_max, ln_tiny, ln_zero in thresholds:
        set_control(chapter, dtype, "0")
        assert number(shown(chapter, "th-max")) == number(ln_max), dtype
        assert number(shown(chapter, "th-tiny")) == number(ln_tiny), dtype
        assert number(shown(chapter, "th-zero")) == number(ln_zero), dtype


def test_classification_flips_at_the_thresholds(chapter, edition):
    thresholds, _ = expected_tables(chapter)
    for dtype, *limits in thresholds:
        ln_max, ln_tiny, ln_zero = (number(t) for t in limits)
        # 0.01 on either side of each threshold, as the chapter's check cell probes numpy
        probes = {
            ln_max - 0.01: "normal",
            ln_max + 0.01: "overflows to inf",
            ln_tiny + 0.01: "normal",
            ln_tiny - 0.01: "subnormal",
            ln_zero + 0.01: "subnormal",
            ln_zero - 0.01: "underflows to 0",
        }
        for x, kind in probes.items():
            set_control(chapter, dtype, f"{x:.2f}")
            assert shown_kind(chapter, edition) == kind, (dtype, x)


def test_rows_match_softmaxlib(chapter):
    _, samples = expected_tables(chapter)
    assert len(samples) == 6
    for dtype, x, e_x, naive, shifted in samples:
        set_control(chapter, dtype, str(number(x)))
        assert same_shown(shown(chapter, "exp"), e_x), (
            dtype,
            x,
            shown(chapter, "exp"),
            e_x,
        )
        assert same_shown(shown(chapter, "naive"), naive), (
            dtype,
            x,
            shown(chapter, "naive"),
        )
        assert same_shown(shown(chapter, "shifted"), shifted), (dtype, x)


def test_slider_drives_the_score(chapter, edition):
    set_control(chapter, "float32", "0")
    chapter.evaluate(
        """() => { const s = document.getElementById('overflow-x-range');
                   s.value = '100'; s.dispatchEvent(new Event('input')); }"""
    )
    assert number(chapter.input_value("#overflow-x")) == 100
    assert shown_kind(chapter, edition) == "overflows to inf"
    assert shown(chapter, "naive") == "NaN, NaN, NaN"
    assert chapter.get_attribute("#overflow-x-range", "max") == "110"


_WORDS_JS = words_js("overflow-explorable")


def words_shown(page) -> str:
    """What the explorable says for every format and every kind of e^x."""
    said = []
    for dtype, x in [
        ("float16", "0"),
        ("float16", "12"),
        ("float16", "-12"),
        ("float16", "-18"),
        ("float32", "88.5"),
        ("float64", "-744"),
        ("float64", "-800"),
        ("float64", "1000"),
    ]:
        set_control(page, dtype, x)
        said.append(page.evaluate(_WORDS_JS))
    return "\n".join(said)


def test_japanese_page_speaks_japanese(visit):  # noqa: F811
    ja = open_edition(visit, "ja")
    page = ja.page
    assert page.evaluate("() => document.documentElement.lang") == "ja"
    labels = page.evaluate(
        """() => [
            ['format label', document.querySelector('label[for="overflow-dtype"]').textContent],
            ['score label', document.querySelector('label[for="overflow-x"]').textContent],
            ['slider name', document.getElementById('overflow-x-range').getAttribute('aria-label')],
            ...[...document.querySelectorAll('#overflow-explorable dt')]
                .map(e => ['result label', e.textContent]),
        ]"""
    )
    assert len(labels) == 3 + 7, labels
    for what, text in labels:
        assert JAPANESE.search(text), f"the explorable's {what} {text!r} is not Japanese"
    # The English words of the English page's explorable, except the names in formulas and
    # the formats' names, must not appear in the Japanese one.
    english = english_words(words_shown(open_edition(visit, "en").page)) - FORMULA_WORDS
    assert {"format", "overflows", "subnormal", "underflows"} <= english, english
    said = words_shown(page)
    left = english_left(english, said)
    assert not left, f"the Japanese explorable still says {left}: {said!r}"
    assert ja.unexpected_console_errors() == []
