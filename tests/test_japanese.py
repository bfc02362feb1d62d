"""The Japanese edition (日本語版): one source of code, every translation complete and current.

The edition is generated (tools/ja_edition.py) from the English notebooks and one translation
file per page in ja/. These tests fail when a translated chapter's code or outputs differ from
the English ones, when a markdown cell or block has no translation, when the English text changed
after it was translated (stale), and when a translation refers to a glue key, label, page or
citation that the English book does not have, or drops one of the English labels. The checker is
tested on a small book built to break each rule.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import ja_edition as ja  # noqa: E402

PAGES = ja.edition_pages()
CHAPTERS = [p for p in PAGES if p.startswith("notebooks/")]


@pytest.fixture(scope="module")
def targets():
    return ja.english_targets()


def test_the_edition_has_its_root_and_reference_pages():
    # The root page opens the edition; the glossary and the bibliography hold the terms and the
    # citations every chapter refers to, which cannot be resolved across editions.
    assert {"book/intro", "book/glossary", "book/bibliography"} <= set(PAGES)


def test_the_edition_follows_the_english_reading_order():
    order = ja.toc_pages()
    assert PAGES == [p for p in order if p in set(PAGES)]
    assert [c["file"] for part in ja.japanese_toc()["parts"] for c in part["chapters"]] == PAGES[1:]


@pytest.mark.parametrize("page", PAGES)
def test_translation_is_complete_and_current(page, targets):
    problems = ja.page_status(page, targets)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", CHAPTERS)
def test_code_outputs_and_glue_are_the_english_ones(page):
    english = json.loads(ja.english_path(page).read_text(encoding="utf-8"))
    japanese = ja.japanese_notebook(page)
    assert [(c["id"], c["cell_type"]) for c in japanese["cells"]] == [
        (c["id"], c["cell_type"]) for c in english["cells"]
    ]
    for en, jp in zip(english["cells"], japanese["cells"]):
        if en["cell_type"] != "code":
            continue
        assert jp["source"] == en["source"], f"cell {en['id']}: the code differs"
        assert len(jp["outputs"]) == len(en["outputs"]), f"cell {en['id']}: outputs differ"
        for a, b in zip(en["outputs"], jp["outputs"]):
            same = {k: v for k, v in a.get("data", {}).items() if not k.startswith("image/")}
            assert {k: v for k, v in b.get("data", {}).items() if not k.startswith("image/")} == same
            assert a.get("text") == b.get("text"), f"cell {en['id']}: a printed output differs"


# --------------------------------------------------------------------------------------------
# The checker, on a small book built to break each rule


def _book(tmp_path: Path, english_md: str, translated: str | None, glue=("p_top",)) -> tuple[Path, Path]:
    root, jdir = tmp_path / "book", tmp_path / "book" / "ja"
    (root / "notebooks").mkdir(parents=True)
    (jdir / "notebooks").mkdir(parents=True)
    (root / "_toc.yml").write_text(
        "format: jb-book\nroot: notebooks/01_demo\nparts:\n- caption: Demo\n  chapters: []\n", encoding="utf-8"
    )
    (root / "references.bib").write_text("@book{bishop2006pattern,\n title={PRML}\n}\n", encoding="utf-8")
    outputs = [
        {"output_type": "display_data", "data": {"application/papermill.record/text/plain": "'0.731'"},
         "metadata": {"scrapbook": {"name": key, "mime_prefix": "application/papermill.record/"}}}
        for key in glue
    ]
    nb = {"cells": [
        {"cell_type": "markdown", "id": "intro", "metadata": {}, "source": english_md},
        {"cell_type": "code", "id": "calc", "metadata": {}, "source": "glue('p_top', '0.731')",
         "outputs": outputs, "execution_count": 1},
    ], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (root / "notebooks" / "01_demo.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    if translated is not None:
        entry = {"id": "intro", "en": ja.source_hash(english_md), "ja": translated}
        (jdir / "notebooks" / "01_demo.yml").write_text(
            yaml.safe_dump({"cells": [entry], "figures": []}, allow_unicode=True), encoding="utf-8"
        )
    return root, jdir


ENGLISH = "(ch-demo)=\n# Demo\n\nThe top class gets {glue:text}`p_top` {cite}`bishop2006pattern`."
JAPANESE = "(ch-demo)=\n# デモ\n\n最上位のクラスの確率は {glue:text}`p_top` です {cite}`bishop2006pattern`。"


def _status(root, jdir):
    return ja.page_status("notebooks/01_demo", None, root, jdir)


def test_checker_accepts_a_complete_translation(tmp_path):
    assert _status(*_book(tmp_path, ENGLISH, JAPANESE)) == []


def test_checker_rejects_a_missing_translation(tmp_path):
    root, jdir = _book(tmp_path, ENGLISH, JAPANESE)
    data = yaml.safe_load((jdir / "notebooks" / "01_demo.yml").read_text(encoding="utf-8"))
    data["cells"] = []
    (jdir / "notebooks" / "01_demo.yml").write_text(yaml.safe_dump(data), encoding="utf-8")
    assert _status(root, jdir) == ["notebooks/01_demo: markdown cell intro: not translated"]
    (jdir / "notebooks" / "01_demo.yml").unlink()
    assert "no translation file" in _status(root, jdir)[0]


def test_checker_reports_a_stale_translation(tmp_path):
    root, jdir = _book(tmp_path, ENGLISH, JAPANESE)
    nb_path = root / "notebooks" / "01_demo.ipynb"
    nb = json.loads(nb_path.read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = ENGLISH.replace("top class", "most likely class")
    nb_path.write_text(json.dumps(nb), encoding="utf-8")
    assert _status(root, jdir) == [
        "notebooks/01_demo: markdown cell intro: stale (the English cell changed after it was translated)"
    ]


def test_checker_rejects_unknown_glue_keys_labels_and_citations(tmp_path):
    bad = JAPANESE.replace("`p_top`", "`p_max`").replace("bishop2006pattern", "nosuch2020") + " {ref}`ch-nowhere`"
    problems = _status(*_book(tmp_path, ENGLISH, bad))
    assert len(problems) == 3
    assert all("does not exist in the English book" in p for p in problems)


def test_checker_rejects_a_dropped_label(tmp_path):
    problems = _status(*_book(tmp_path, ENGLISH, JAPANESE.replace("(ch-demo)=\n", "")))
    assert problems == ["notebooks/01_demo: markdown cell intro: drops the English labels ['ch-demo']"]


def test_markdown_blocks_keep_fences_and_display_math_whole():
    text = "# T\n\nA para\nline 2\n\n```{note}\nx\n\ny\n```\n\n$$\na\n\nb\n$$\n\nEnd"
    assert ja.markdown_blocks(text) == ["# T", "A para\nline 2", "```{note}\nx\n\ny\n```", "$$\na\n\nb\n$$", "End"]


def test_a_japanese_figure_replaces_the_english_one():
    english_png, japanese_png = "RU5HTElTSA==", "SkFQQU5FU0U="
    cell = {"cell_type": "code", "outputs": [
        {"output_type": "display_data", "data": {"image/png": english_png, "text/plain": "<Figure>"},
         "metadata": {"image/png": {"width": 640}}},
        {"output_type": "display_data",
         "data": {"application/papermill.record/image/png": japanese_png,
                  "application/papermill.record/text/plain": "<Figure>"},
         "metadata": {"image/png": {"width": 640},
                      "scrapbook": {"name": "fig-demo__ja", "mime_prefix": "application/papermill.record/"}}},
    ]}
    ja._swap_figure(cell, "fig-demo")
    assert cell["outputs"][0]["data"]["image/png"] == japanese_png
    assert cell["outputs"][0]["metadata"] == {"image/png": {"width": 640}}


@pytest.mark.parametrize("page", CHAPTERS)
def test_every_figure_is_drawn_in_japanese(page):
    # softmaxlib.plotting.show_figure glues each figure's Japanese drawing as <name>__ja.
    nb = json.loads(ja.english_path(page).read_text(encoding="utf-8"))
    glued = ja.glue_keys(nb)
    names = [c["metadata"]["mystnb"]["figure"].get("name") for c in nb["cells"]
             if c["cell_type"] == "code" and "figure" in c.get("metadata", {}).get("mystnb", {})]
    missing = [n for n in names if f"{n}{ja.FIGURE_SUFFIX}" not in glued]
    assert not missing, f"figures without a Japanese drawing (use show_figure): {missing}"


def test_lines_join_only_within_a_paragraph():
    text = "argmax\nargmax（アーグマックス）\n  最大の要素の\n  添字です。\n- 項目は\n  続きます。\n本文\n続き\n$x$ です"
    assert ja.join_japanese_lines(text) == (
        "argmax\nargmax（アーグマックス）\n  最大の要素の添字です。\n- 項目は続きます。\n本文続き\n$x$ です"
    )


def test_roles_inside_code_spans_are_examples_not_references():
    text = "write `` {glue:text}`key:.4f` `` for {cite}`abc` and {ref}`the chapter <ch-demo>`"
    assert ja.references_in(text) == [("cite", "abc"), ("ref", "ch-demo")]


def test_ids_and_hashes_of_digits_stay_strings(tmp_path):
    root, jdir = _book(tmp_path, ENGLISH, JAPANESE)
    path = jdir / "notebooks" / "01_demo.yml"
    path.write_text(path.read_text(encoding="utf-8").replace("id: intro", "id: 12345"), encoding="utf-8")
    assert ja.load_translation("notebooks/01_demo", jdir)["cells"][0]["id"] == "12345"


def test_checker_rejects_a_glossary_term_the_english_glossary_lacks():
    targets = ja.english_targets()
    assert "softmax" in {t.lower() for t in targets["terms"]}
    problems = ja.check_references("{term}`ソフトマックス関数 <softmax>` と {term}`no such term`", "x", targets, set(), "")
    assert problems == ["x: {term}`no such term` does not exist in the English book"]
