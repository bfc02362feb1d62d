"""Chapter 2's overflow explorable, driven in the browser and compared with softmaxlib.

The page holds, in its ``explorable-expected`` container, two tables glued from the chapter's
check cells: each format's three thresholds of ``exp`` (numpy, 2 decimals) and, for six
(format, score) pairs, e^x and the textbook and shifted softmax of the row (x, x - 1, x - 2)
as numpy and softmaxlib compute them (4 significant digits). The test sets the explorable's
controls to each format and score, reads what the JavaScript shows and compares it with those
glued values at the precision both display. It also drives the slider and checks that the
classification of e^x flips exactly at the glued thresholds.
"""

from __future__ import annotations

import math

import pytest
from test_browser import CHAPTERS, browser, visit  # noqa: F401  (reuses the Chromium fixtures)

pytestmark = pytest.mark.browser

PAGE = "notebooks/02_overflow_underflow_accuracy.html"


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


@pytest.fixture
def chapter(visit):  # noqa: F811
    if PAGE not in CHAPTERS:
        pytest.skip(f"{PAGE} is not in the built book")
    v = visit(PAGE)
    v.page.wait_for_selector("#overflow-dtype")
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


def test_classification_flips_at_the_thresholds(chapter):
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
            assert shown(chapter, "kind") == kind, (dtype, x)


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


def test_slider_drives_the_score(chapter):
    set_control(chapter, "float32", "0")
    chapter.evaluate(
        """() => { const s = document.getElementById('overflow-x-range');
                   s.value = '100'; s.dispatchEvent(new Event('input')); }"""
    )
    assert number(chapter.input_value("#overflow-x")) == 100
    assert shown(chapter, "kind") == "overflows to inf"
    assert shown(chapter, "naive") == "NaN, NaN, NaN"
    assert chapter.get_attribute("#overflow-x-range", "max") == "110"
