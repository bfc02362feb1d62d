"""The book's local Sphinx extension (book/_ext/softmax_book.py), tested without building the book.

* API hygiene: every name in ``softmaxlib.__all__`` (and ``softmaxlib.plotting.__all__``) is on
  the generated API reference page and has a docstring to show there.
* The verification report counts what a chapter asserts, and says what each check is for.
"""

import inspect
import re
import json
import sys
from pathlib import Path

import pytest

import softmaxlib
import softmaxlib.plotting

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import softmax_book  # noqa: E402

DOCUMENTED_PACKAGES = ("softmaxlib", "softmaxlib.plotting")


class TestAPIReference:
    def test_the_page_generates_the_reference_for_both_packages(self):
        page = (ROOT / "book" / "api.md").read_text()
        assert ".. softmaxlib-api:: " + " ".join(DOCUMENTED_PACKAGES) in page

    @pytest.mark.parametrize("package", DOCUMENTED_PACKAGES)
    def test_every_public_name_is_on_the_page(self, package):
        module = sys.modules[package]
        listed = [name for _, _, names in softmax_book.public_api(package) for name, _ in names]
        assert sorted(listed) == sorted(module.__all__)
        assert len(set(module.__all__)) == len(module.__all__), "a name is listed twice in __all__"

    @pytest.mark.parametrize(
        "package, name",
        [(p, n) for p in DOCUMENTED_PACKAGES for n in sys.modules[p].__all__],
    )
    def test_every_public_name_has_a_docstring(self, package, name):
        obj = getattr(sys.modules[package], name)
        if not (inspect.isclass(obj) or callable(obj)):
            return  # data (PALETTE): autodata shows its value and the #: comment above it
        doc = inspect.getdoc(obj)
        assert doc, f"{package}.{name} has no docstring"
        summary = doc.splitlines()[0]
        assert summary.strip().endswith("."), f"{package}.{name}: the summary line is not a sentence"
        # Every public function and class shows how it is used, in an example that runs as a doctest.
        assert "Examples\n--------" in doc, f"{package}.{name} has no Examples section"

    def test_groups_follow_the_defining_module(self):
        groups = {module: [n for n, _ in names] for module, _, names in softmax_book.public_api("softmaxlib")}
        assert "softmax" in groups["softmaxlib.core"]
        assert all(module.startswith("softmaxlib") for module in groups)


class TestAssertionCounting:
    def test_counts_asserts_and_numpy_testing_calls(self):
        source = (
            "import numpy as np\n"
            "assert 1 + 1 == 2   # arithmetic works\n"
            "np.testing.assert_allclose(0.1 + 0.2, 0.3)\n"
            "for c in (1, 2):\n"
            "    assert c > 0, 'positive'\n"
            "print('assert in a string is not an assertion')\n"
        )
        found = softmax_book.assertions_in(source)
        assert [a["kind"] for a in found] == ["assert", "np.testing", "assert"]
        assert found[0]["note"] == "arithmetic works"
        assert found[2]["note"] == "positive"

    def test_magics_do_not_hide_assertions(self):
        assert len(softmax_book.assertions_in("%matplotlib inline\nassert True\n")) == 1

    def test_reads_a_chapter(self, tmp_path):
        cells = [
            {"cell_type": "markdown", "metadata": {}, "source": ["(ch-demo)=\n", "# Demo\n", "## Overview\n"]},
            {"cell_type": "code", "metadata": {}, "source": ["x = 1\n", "assert x == 1\n"], "outputs": [], "execution_count": 1},
            {"cell_type": "markdown", "metadata": {}, "source": ["```{solution-start} ex-1\n```"]},
            {"cell_type": "code", "metadata": {}, "source": ["assert x + 1 == 2\n"], "outputs": [], "execution_count": 2},
            {"cell_type": "markdown", "metadata": {}, "source": ["```{solution-end}\n```"]},
        ]
        path = tmp_path / "99_demo.ipynb"
        path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
        chapter = softmax_book.read_chapter(path)
        assert (chapter["title"], chapter["label"], chapter["total"]) == ("Demo", "ch-demo", 2)
        assert [name for name, _ in chapter["sections"]] == ["Overview", "Exercise solutions"]

    def test_counts_claims_apart_from_sanity_checks(self, tmp_path):
        source = [
            "x = softmaxlib.softmax(z)\n",
            "assert z.shape == (3,), 'sanity: the input has three scores'\n",
            "assert x.argmax() == 2, 'the largest score gets the largest probability'\n",
            "np.testing.assert_allclose(x.sum(), 1)  # the probabilities sum to 1\n",
        ]
        cells = [
            {"cell_type": "markdown", "metadata": {}, "source": ["# Demo\n"]},
            {"cell_type": "code", "metadata": {"tags": ["check"]}, "source": source, "outputs": [],
             "execution_count": 1},
            {"cell_type": "code", "metadata": {}, "source": ["print(x)\n"], "outputs": [], "execution_count": 2},
        ]
        path = tmp_path / "98_demo.ipynb"
        path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
        chapter = softmax_book.read_chapter(path)
        assert (chapter["claims"], chapter["sanity"], chapter["check_cells"], chapter["code_cells"]) == (2, 1, 1, 2)

    @pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.name)
    def test_every_chapter_is_readable(self, path):
        chapter = softmax_book.read_chapter(path)
        assert chapter["title"] != path.stem, f"{path.name} has no '# Title' heading"


class TestDocstringFixes:
    def test_absolute_value_bars_are_escaped_outside_math_and_code(self):
        lines = [
            "rounding of order eps * |f| / h.",
            "``|x|`` and :math:`|x|` are left alone.",
            ".. math:: |x|",
            "   |y|",
            ">>> print('|a|')",
            "|a|",
            "",
            "after |q|",
        ]
        softmax_book._escape_bars(None, "function", "f", None, None, lines)
        assert lines == [
            "rounding of order eps * \\|f\\| / h.",
            "``|x|`` and :math:`|x|` are left alone.",
            ".. math:: |x|",
            "   |y|",
            ">>> print('|a|')",
            "|a|",
            "",
            "after \\|q\\|",
        ]

    def test_numbered_references_become_unique_per_object(self):
        lines = ["See [1]_.", "", ".. [1] A. Author, A paper."]
        softmax_book._unique_footnotes(None, "function", "softmaxlib.f", None, None, lines)
        assert lines == ["See [#softmaxlib-f-1]_.", "", ".. [#softmaxlib-f-1] A. Author, A paper."]


class TestErrata:
    """book/errata.md and the chapters' `(errata-...)=` labels agree, both ways."""

    PAGE = (ROOT / "book" / "errata.md").read_text()

    @staticmethod
    def chapter_labels():
        found = {}
        for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
            for cell in json.loads(path.read_text())["cells"]:
                if cell["cell_type"] == "markdown":
                    for label in re.findall(r"^\((errata-[\w-]+)\)=", "".join(cell["source"]), re.M):
                        found[label] = path.name
        return found

    def test_every_erratum_links_a_demonstration_that_exists(self):
        linked = re.findall(r"\{errata-demo\}`[^`<]*<([\w-]+)>`", self.PAGE)
        assert linked, "the errata page links no demonstration"
        missing = sorted(set(linked) - set(self.chapter_labels()))
        assert missing == [], "errata labels that no chapter defines"

    def test_every_demonstration_in_a_chapter_is_on_the_errata_page(self):
        linked = set(re.findall(r"<([\w-]+)>`", self.PAGE))
        unlisted = {k: v for k, v in self.chapter_labels().items() if k not in linked}
        assert unlisted == {}, "chapters demonstrate mistakes that book/errata.md does not list"
