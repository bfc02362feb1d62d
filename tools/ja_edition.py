"""The Japanese edition (日本語版), generated from the English sources and one translation file per page.

One source of code: the Japanese chapters are not separate notebooks. Each English page has a
translation file under ``ja/`` with the same path and the suffix ``.yml``:

* a notebook (``notebooks/01_x.ipynb`` -> ``ja/notebooks/01_x.yml``) is translated cell by cell,
  keyed by the cell's id: ``cells: [{id, en, ja}]`` for its markdown cells and
  ``figures: [{id, en, caption, alt}]`` for the captions and alt text of its figure cells;
* a Markdown page (``book/intro.md`` -> ``ja/book/intro.yml``) is translated block by block (the
  blank-line separated blocks of its text, a fenced directive being one block):
  ``blocks: [{en, ja}]``, matched by ``en``.

``en`` is a hash of the English source the translation was made from. When the English text
changes, its hash changes and the translation is reported stale (``status``), with the cell or
block named; nothing is silently shown out of date.

``build DIR`` writes a complete Jupyter Book source tree for the edition into ``DIR``: the
notebooks with their markdown replaced and their code cells, outputs and glue records copied
unchanged from the English notebooks (so nothing is executed again, and nbval runs once per
chapter, on the English notebook); figures whose cell also glued a Japanese drawing
(``softmaxlib.plotting.show_figure``, key ``<name>__ja``) show that drawing instead. Only pages
with a translation file are in the edition, in the English order. Why not gettext over the
notebooks (sphinx-intl / PO files)? myst-nb parses a notebook itself, and running Sphinx's
translation machinery on ``.ipynb`` sources fails (myst-nb issue 587: NotJSONError), while PO
entries keyed by message text cannot say which cell went stale. Plain YAML keyed by cell id,
with the hash of the English source, can.

    python tools/ja_edition.py status              # every problem, one line each; exit 1 if any
    python tools/ja_edition.py skeleton PAGE ...   # add empty entries for untranslated cells
    python tools/ja_edition.py build DIR           # the edition's source tree
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
JA = ROOT / "ja"
LANGUAGE = "ja"
#: The label of a collapsed check cell (tools/mark_checks.py) in the Japanese edition.
CHECK_PROMPTS = {"code_prompt_show": "確認", "code_prompt_hide": "確認を閉じる"}
#: Where figures glue their Japanese drawing: the English figure's name plus this suffix.
FIGURE_SUFFIX = "__ja"


# --------------------------------------------------------------------------------------------
# Reading the English pages


def source_hash(text: str) -> str:
    """The hash that ties a translation to the English text it was made from."""
    return hashlib.sha256(text.strip().encode("utf-8")).hexdigest()[:12]


def toc_pages(root: Path = ROOT) -> list[str]:
    """The English pages in reading order (root first), as paths without suffix."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    found = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.append(node["file"])
            for key in ("parts", "chapters", "sections"):
                walk(node.get(key, []))
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(toc)
    return found


def english_path(page: str, root: Path = ROOT) -> Path:
    for suffix in (".ipynb", ".md"):
        if (root / f"{page}{suffix}").exists():
            return root / f"{page}{suffix}"
    raise FileNotFoundError(page)


def translation_path(page: str, ja: Path = JA) -> Path:
    return ja / f"{page}.yml"


_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_FENCE_OPEN = re.compile(r"^(`{3,}|~{3,}|:{3,})")


def split_front_matter(text: str) -> tuple[str, str]:
    m = _FRONT_MATTER.match(text)
    return (m.group(0), text[m.end() :]) if m else ("", text)


def markdown_blocks(text: str) -> list[str]:
    """Split Markdown into blocks at blank lines, keeping each fenced block (and $$ math) whole."""
    blocks, current, fence, in_math = [], [], None, False
    for line in text.splitlines():
        if fence is None and not in_math and not line.strip():
            if current:
                blocks.append("\n".join(current))
                current = []
            continue
        current.append(line)
        stripped = line.strip()
        if fence is None:
            m = _FENCE_OPEN.match(stripped)
            if m:
                fence = m.group(1)
            elif stripped.count("$$") % 2 == 1:
                in_math = not in_math
        elif stripped == fence or (stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0])):
            fence = None
    if current:
        blocks.append("\n".join(current))
    return blocks


def english_units(page: str, root: Path = ROOT) -> dict:
    """What needs translating on an English page: markdown cells and figures, or blocks."""
    path = english_path(page, root)
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        cells, figures = [], []
        for cell in nb["cells"]:
            if cell["cell_type"] == "markdown":
                cells.append({"id": cell["id"], "en": "".join(cell["source"])})
            elif (fig := cell.get("metadata", {}).get("mystnb", {}).get("figure")) is not None:
                alt = cell["metadata"]["mystnb"].get("image", {}).get("alt", "")
                figures.append({"id": cell["id"], "caption": fig.get("caption", ""), "alt": alt})
        return {"kind": "notebook", "path": path, "nb": nb, "cells": cells, "figures": figures}
    front, body = split_front_matter(path.read_text(encoding="utf-8"))
    return {"kind": "markdown", "path": path, "front": front, "blocks": markdown_blocks(body)}


def figure_hash(fig: dict) -> str:
    return source_hash(f"{fig['caption']}\n---\n{fig['alt']}")


def load_translation(page: str, ja: Path = JA) -> dict | None:
    path = translation_path(page, ja)
    if not path.exists():
        return None
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    # An id or hash of digits only would read as a number if a hand edit dropped its quotes.
    for key in ("cells", "figures", "blocks"):
        for entry in data.get(key) or []:
            for field in ("id", "en"):
                if field in entry and entry[field] is not None:
                    entry[field] = str(entry[field])
    return data


# --------------------------------------------------------------------------------------------
# What the translation may refer to

_ROLE = re.compile(r"\{(?P<role>[\w:.-]+)\}`(?P<body>[^`]*)`")
_LABEL_LINE = re.compile(r"^\((?P<label>[\w:.-]+)\)=\s*$", re.M)
_NAME_OPTION = re.compile(r"^\s*:(?:name|label):\s*(?P<label>\S+)", re.M)
_DOLLAR_LABEL = re.compile(r"\$\$\s*\((?P<label>[\w:.-]+)\)")
_BIB_KEY = re.compile(r"^@\w+\{(?P<key>[^,\s]+),", re.M)


def labels_in(text: str) -> set[str]:
    return (
        {m.group("label") for m in _LABEL_LINE.finditer(text)}
        | {m.group("label") for m in _NAME_OPTION.finditer(text)}
        | {m.group("label") for m in _DOLLAR_LABEL.finditer(text)}
    )


def without_code_spans(text: str) -> str:
    """``text`` with its Markdown code spans blanked out and its roles (``{role}`...` ``) kept."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text[i] != "`":
            out.append(text[i])
            i += 1
            continue
        run = len(text[i:]) - len(text[i:].lstrip("`"))
        if i > 0 and text[i - 1] == "}" and run == 1:  # a role's content: keep it
            end = text.find("`", i + 1)
            end = n - 1 if end < 0 else end
            out.append(text[i : end + 1])
            i = end + 1
            continue
        close = re.compile(rf"(?<!`)`{{{run}}}(?!`)").search(text, i + run)
        if close is None:  # an unmatched run of backticks is literal text
            out.append(text[i : i + run])
            i += run
            continue
        out.append(" ")
        i = close.end()
    return "".join(out)


def references_in(text: str) -> list[tuple[str, str]]:
    """(role, target) of every cross-reference, citation, term and glue role in ``text``.

    A role written inside a code span (``` ``{cite}`key` `` ```) is an example, not a reference.
    """
    found = []
    text = without_code_spans(text)
    for m in _ROLE.finditer(text):
        role, body = m.group("role"), m.group("body")
        target = re.sub(r"^.*<([^>]*)>$", r"\1", body.strip())  # {ref}`text <label>`
        if role.startswith("glue"):  # key, or notebook::key (a glue from another page)
            doc, sep, rest = target.rpartition("::")
            target = doc + sep + rest.split(":")[0]
        found.append((role, target))
    return found


def english_targets(root: Path = ROOT) -> dict[str, set[str]]:
    """Every label, page, citation key and glossary term of the English book."""
    labels, pages, terms = set(), set(), set()
    for page in toc_pages(root):
        pages.add(page)
        units = english_units(page, root)
        texts = [c["en"] for c in units["cells"]] if units["kind"] == "notebook" else units["blocks"]
        if units["kind"] == "notebook":
            for cell in units["nb"]["cells"]:
                name = cell.get("metadata", {}).get("mystnb", {}).get("figure", {}).get("name")
                if name:
                    labels.add(name)
        for text in texts:
            labels |= labels_in(text)
            if "{glossary}" in text:
                terms |= {ln.strip() for ln in text.splitlines() if ln and not ln[0].isspace()
                          and not ln.startswith(("```", ":::", "{", ":"))}
    bib = (root / "references.bib").read_text(encoding="utf-8")
    glue = {p.stem: glue_keys(json.loads(p.read_text(encoding="utf-8")))
            for p in sorted((root / "notebooks").glob("*.ipynb"))}
    return {"labels": labels, "pages": pages, "cites": {m.group("key") for m in _BIB_KEY.finditer(bib)},
            "terms": terms, "glue": glue}


def glue_keys(nb: dict) -> set[str]:
    return {
        out.get("metadata", {}).get("scrapbook", {}).get("name")
        for cell in nb["cells"]
        for out in cell.get("outputs", [])
        if out.get("metadata", {}).get("scrapbook", {}).get("name")
    }


def check_references(text: str, where: str, targets: dict, glued: set[str], en_text: str) -> list[str]:
    problems = []
    for role, target in references_in(text):
        if role.startswith("glue"):
            doc, _, key = target.rpartition("::")
            ok = key in (targets["glue"].get(Path(doc).stem, set()) if doc else glued)
        elif role in ("ref", "numref", "eq"):
            ok = target in targets["labels"]
        elif role == "doc":
            ok = target.lstrip("/") in targets["pages"] or target in targets["pages"]
        elif role.startswith("cite"):
            ok = all(k.strip() in targets["cites"] for k in target.split(","))
        elif role == "term":  # Sphinx matches glossary terms without regard to case
            ok = target.lower() in {t.lower() for t in targets["terms"]}
        else:
            continue
        if not ok:
            problems.append(f"{where}: {{{role}}}`{target}` does not exist in the English book")
    missing = labels_in(en_text) - labels_in(text)
    if missing:
        problems.append(f"{where}: drops the English labels {sorted(missing)}")
    return problems


# --------------------------------------------------------------------------------------------
# Status: missing, stale, orphaned and broken translations


def page_status(page: str, targets: dict | None = None, root: Path = ROOT, ja: Path = JA) -> list[str]:
    """Every problem of one page's translation (an empty list when it is complete and current)."""
    tr = load_translation(page, ja)
    if tr is None:
        return [f"{page}: no translation file {translation_path(page, ja).relative_to(root)}"]
    targets = targets or english_targets(root)
    units = english_units(page, root)
    problems = []
    if units["kind"] == "notebook":
        glued = glue_keys(units["nb"])
        by_id = {c["id"]: c for c in tr.get("cells") or []}
        for cell in units["cells"]:
            entry = by_id.pop(cell["id"], None)
            where = f"{page}: markdown cell {cell['id']}"
            if entry is None or not str(entry.get("ja") or "").strip():
                problems.append(f"{where}: not translated")
            elif entry.get("en") != source_hash(cell["en"]):
                problems.append(f"{where}: stale (the English cell changed after it was translated)")
            else:
                problems += check_references(entry["ja"], where, targets, glued, cell["en"])
        problems += [f"{page}: translation of cell {i} whose English cell no longer exists" for i in by_id]
        figs = {f["id"]: f for f in tr.get("figures") or []}
        for fig in units["figures"]:
            entry = figs.pop(fig["id"], None)
            where = f"{page}: figure cell {fig['id']}"
            if entry is None or not str(entry.get("caption") or "").strip() or (
                fig["alt"] and not str(entry.get("alt") or "").strip()
            ):
                problems.append(f"{where}: caption or alt text not translated")
            elif entry.get("en") != figure_hash(fig):
                problems.append(f"{where}: stale (the English caption or alt text changed)")
            else:
                problems += check_references(entry["caption"], where, targets, glued, fig["caption"])
        problems += [f"{page}: translation of figure {i} whose English cell no longer exists" for i in figs]
    else:
        entries = {b.get("en"): b for b in tr.get("blocks") or []}
        used = set()
        for n, block in enumerate(units["blocks"], 1):
            h = source_hash(block)
            entry = entries.get(h)
            where = f"{page}: block {n} ({block.splitlines()[0][:50]!r})"
            if entry is None or not str(entry.get("ja") or "").strip():
                problems.append(f"{where}: not translated, or changed since (no translation of hash {h})")
            else:
                used.add(h)
                problems += check_references(entry["ja"], where, targets, set(), block)
        problems += [f"{page}: translation of a block (hash {h}) that the English page no longer has"
                     for h in entries if h not in used]
    return problems


def edition_pages(root: Path = ROOT, ja: Path = JA) -> list[str]:
    """The English pages that have a translation file: the pages of the Japanese edition."""
    return [p for p in toc_pages(root) if translation_path(p, ja).exists()]


def status(root: Path = ROOT, ja: Path = JA) -> list[str]:
    targets = english_targets(root)
    problems = []
    for page in edition_pages(root, ja):
        problems += page_status(page, targets, root, ja)
    return problems


# --------------------------------------------------------------------------------------------
# Skeletons for translators


def skeleton(page: str, root: Path = ROOT, ja: Path = JA) -> Path:
    """Create or extend a page's translation file with an entry for every untranslated unit.

    Existing translations are kept (a stale one keeps its text, so the translator can revise it,
    and its old hash, so it stays reported until revised).
    """
    units = english_units(page, root)
    tr = load_translation(page, ja) or {}
    if units["kind"] == "notebook":
        have = {c["id"]: c for c in tr.get("cells") or []}
        tr["cells"] = [have.get(c["id"], {"id": c["id"], "en": source_hash(c["en"]), "ja": ""})
                       for c in units["cells"]]
        figs = {f["id"]: f for f in tr.get("figures") or []}
        tr["figures"] = [figs.get(f["id"], {"id": f["id"], "en": figure_hash(f), "caption": "", "alt": ""})
                         for f in units["figures"]]
    else:
        have = {b["en"]: b for b in tr.get("blocks") or []}
        tr["blocks"] = [have.pop(source_hash(b), {"en": source_hash(b), "ja": ""}) for b in units["blocks"]]
        # Stale blocks (their English changed): kept at the end, so their text can be reused.
        tr["blocks"] += [b for b in have.values() if str(b.get("ja") or "").strip()]
    path = translation_path(page, ja)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_translation(tr, units, root), encoding="utf-8")
    return path


def _comment(text: str, indent: str) -> str:
    return "".join(f"{indent}# | {line}".rstrip() + "\n" for line in text.splitlines())


def _field(key: str, value, indent: str) -> str:
    dumped = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, width=1000)
    return "".join(indent + line + "\n" for line in dumped.rstrip("\n").splitlines())


def dump_translation(tr: dict, units: dict, root: Path = ROOT) -> str:
    """The translation file's text: each entry preceded by its current English source as a comment,
    so that a translator revising a stale entry sees both (comments are rewritten by ``skeleton``)."""
    out = [f"# 日本語訳: {units['path'].relative_to(root).as_posix()} (tools/ja_edition.py).\n",
           "# Edit `ja` (and `caption`, `alt`); `en` is the hash of the English text translated.\n",
           "# The lines after `# |` show the current English text.\n"]
    if units["kind"] == "notebook":
        english = {c["id"]: c["en"] for c in units["cells"]}
        out.append("cells:\n")
        for entry in tr["cells"]:
            out.append(_comment(english.get(entry["id"], "(no longer in the English notebook)"), ""))
            out.append(f"- id: '{entry['id']}'\n")
            out.append(f"  en: '{entry['en']}'\n")
            out.append(_field("ja", entry.get("ja") or "", "  "))
        figures = {f["id"]: f for f in units["figures"]}
        out.append("figures:" + (" []\n" if not tr["figures"] else "\n"))
        for entry in tr["figures"]:
            fig = figures.get(entry["id"])
            eng = f"caption: {fig['caption']}\nalt: {fig['alt']}" if fig else "(no longer a figure)"
            out.append(_comment(eng, ""))
            out.append(f"- id: '{entry['id']}'\n")
            out.append(f"  en: '{entry['en']}'\n")
            out.append(_field("caption", entry.get("caption") or "", "  "))
            out.append(_field("alt", entry.get("alt") or "", "  "))
    else:
        english = {source_hash(b): b for b in units["blocks"]}
        out.append("blocks:\n")
        for entry in tr["blocks"]:
            out.append(_comment(english.get(entry["en"], "(no longer on the English page)"), ""))
            out.append(f"- en: '{entry['en']}'\n")
            out.append(_field("ja", entry.get("ja") or "", "  "))
    return "".join(out)


def _literal_str(dumper, data):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


yaml.SafeDumper.add_representer(str, _literal_str)


# --------------------------------------------------------------------------------------------
# Building the edition's source tree


def japanese_notebook(page: str, root: Path = ROOT, ja: Path = JA) -> dict:
    """The English notebook with its markdown, captions and alt text in Japanese.

    Code cells, their outputs and glue records are the English ones; a figure whose Japanese
    drawing was glued as ``<name>__ja`` shows that drawing in place of the English one.
    """
    units = english_units(page, root)
    tr = load_translation(page, ja) or {}
    nb = copy.deepcopy(units["nb"])
    texts = {c["id"]: c.get("ja") for c in tr.get("cells") or []}
    figs = {f["id"]: f for f in tr.get("figures") or []}
    pages = set(edition_pages(root, ja))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown" and texts.get(cell["id"]):
            cell["source"] = join_japanese_lines(inline_foreign_glue(texts[cell["id"]], page, pages, root))
        meta = cell.get("metadata", {}).get("mystnb", {})
        if cell["cell_type"] == "code" and "code_prompt_show" in meta:  # a check cell
            meta.update(CHECK_PROMPTS)
        if cell["cell_type"] == "code" and "figure" in meta:
            entry = figs.get(cell["id"], {})
            if entry.get("caption"):
                meta["figure"]["caption"] = entry["caption"]
            if entry.get("alt"):
                meta.setdefault("image", {})["alt"] = entry["alt"]
            _swap_figure(cell, meta["figure"].get("name"))
    nb["metadata"]["language"] = LANGUAGE
    return nb


_RECORD = "application/papermill.record/"


def _swap_figure(cell: dict, name: str | None) -> None:
    """Show the glued Japanese drawing ``<name>__ja`` in place of the cell's English image."""
    if not name:
        return
    outputs = cell.get("outputs", [])
    ja_out = next((o for o in outputs if o.get("metadata", {}).get("scrapbook", {}).get("name")
                   == name + FIGURE_SUFFIX), None)
    if ja_out is None:
        return
    image = {k[len(_RECORD):]: v for k, v in ja_out["data"].items() if k.startswith(_RECORD + "image/")}
    for out in outputs:
        if out is not ja_out and "image/png" in out.get("data", {}):
            out["data"] = {**{k: v for k, v in out["data"].items() if not k.startswith("image/")}, **image}
            out["metadata"] = {k: v for k, v in ja_out.get("metadata", {}).items() if k != "scrapbook"}
            break


def japanese_markdown(page: str, root: Path = ROOT, ja: Path = JA) -> str:
    units = english_units(page, root)
    tr = load_translation(page, ja) or {}
    entries = {b.get("en"): b.get("ja") for b in tr.get("blocks") or []}
    blocks = [entries.get(source_hash(b)) or b for b in units["blocks"]]
    text = units["front"] + "\n\n".join(join_japanese_lines(b) for b in blocks) + "\n"
    return inline_foreign_glue(text, page, set(edition_pages(root, ja)), root)


_CJK = "\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_END = re.compile(rf"[{_CJK}]$")
_CJK_START = re.compile(rf"^[ \t]*[{_CJK}]")
_CONTENT_INDENT = re.compile(r"^[ \t]*(?:(?:[-*+]|\d+[.)])[ \t]+)?")


def join_japanese_lines(text: str) -> str:
    """Join a paragraph's lines where one ends and the next begins with a Japanese character.

    HTML shows a line break inside a paragraph as a space, which English needs and Japanese
    does not: 「確率\nです」 would read 「確率 です」. Lines are joined only when the next one
    continues the same paragraph: it starts where the text of the previous one starts (so a
    glossary term's Japanese name and its indented definition stay apart, while a list item's
    continuation joins its item). A line that starts with markup (a list marker, a heading, a
    table row, a fence, math) does not start with a Japanese character and is kept.
    """
    lines = text.split("\n")
    out = [lines[0]] if lines else []
    indent = len(_CONTENT_INDENT.match(lines[0]).group(0)) if lines else 0
    for line in lines[1:]:
        own = len(line) - len(line.lstrip(" \t"))
        if _CJK_END.search(out[-1]) and _CJK_START.match(line) and own == indent:
            out[-1] += line.lstrip(" \t")
            continue
        out.append(line)
        indent = len(_CONTENT_INDENT.match(line).group(0))
    return "\n".join(out)


_FOREIGN_GLUE = re.compile(r"\{glue:text\}`(?P<doc>[^`:]+)::(?P<key>[\w.-]+)(?::(?P<fmt>[^`]*))?`")


def inline_foreign_glue(text: str, page: str, pages: set[str], root: Path = ROOT) -> str:
    """Write out the value of a glue from a chapter that the edition does not have yet.

    myst-nb resolves ``{glue:text}`../notebooks/x.ipynb::key:fmt``` only within one project;
    while chapter x is untranslated, the value is taken from its English notebook (where it was
    computed) and formatted as myst-nb would format it.
    """
    from myst_nb.core.variables import format_plain_text

    def replace(m: re.Match) -> str:
        target = (root / page).parent / m.group("doc")
        docname = target.resolve().relative_to(root.resolve()).with_suffix("").as_posix()
        if docname in pages:
            return m.group(0)
        nb = json.loads(target.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            for out in cell.get("outputs", []):
                if out.get("metadata", {}).get("scrapbook", {}).get("name") == m.group("key"):
                    plain = "".join(out["data"]["application/papermill.record/text/plain"])
                    return format_plain_text(plain, m.group("fmt") or "")
        return m.group(0)  # unknown key: left for the strict build to report

    return _FOREIGN_GLUE.sub(replace, text)


def japanese_config(root: Path = ROOT, ja: Path = JA) -> dict:
    """The English _config.yml, with the edition's title and language and absolute paths."""
    cfg = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    meta = yaml.safe_load((ja / "book.yml").read_text(encoding="utf-8"))
    cfg["title"] = meta["title"]
    cfg["author"] = meta.get("author", cfg.get("author"))
    cfg["logo"] = str(root / cfg["logo"])
    cfg["html"]["favicon"] = str(root / cfg["html"]["favicon"])
    cfg["bibtex_bibfiles"] = [str(root / b) for b in cfg["bibtex_bibfiles"]]
    # The notebooks carry the English outputs: nothing is executed for this edition.
    cfg["execute"] = {"execute_notebooks": "off"}
    sphinx = cfg["sphinx"]
    sphinx["local_extensions"] = {k: str(root / v) for k, v in sphinx["local_extensions"].items()}
    conf = sphinx["config"]
    conf["language"] = LANGUAGE
    conf["html_static_path"] = [str(root / p) for p in conf["html_static_path"]]
    conf["templates_path"] = [str(root / p) for p in conf.get("templates_path", [])]
    # MathJax is served once, from the English edition's root (this edition lives in ja/).
    conf["html_extra_path"] = []
    conf["mathjax_path"] = "../" + conf["mathjax_path"]
    conf["softmax_book_language"] = LANGUAGE
    # myst-nb's prompts for hidden code ("Show code cell source") have no Japanese catalogue.
    conf["nb_code_prompt_show"] = "コードを表示"
    conf["nb_code_prompt_hide"] = "コードを隠す"
    # Japanese words inside math (\text{未定義}) are drawn in the page's font, which has them;
    # MathJax's own fonts have no Japanese glyphs.
    conf["mathjax3_config"] = {"chtml": {"mtextInheritFont": True, "unknownFamily": "\"Noto Sans JP\", serif"}}
    # A reference to a page not translated yet resolves to the English page, through the English
    # build's own inventory (a local file, read offline; the English edition is built first).
    sphinx["extra_extensions"] = [*sphinx.get("extra_extensions", []), "sphinx.ext.intersphinx"]
    conf["intersphinx_mapping"] = {"en": ["../", str(root / "_build" / "html" / "objects.inv")]}
    conf["intersphinx_disabled_reftypes"] = []
    conf["softmax_book_source_root"] = str(root)
    theme = conf.setdefault("html_theme_options", {})
    theme["logo"] = {**theme.get("logo", {}), **meta.get("logo", {})}
    return cfg


def japanese_toc(root: Path = ROOT, ja: Path = JA) -> dict:
    """The English table of contents, limited to the translated pages, captions in Japanese."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    captions = (yaml.safe_load((ja / "book.yml").read_text(encoding="utf-8")) or {}).get("parts", {})
    have = set(edition_pages(root, ja))
    parts = []
    for part in toc.get("parts", []):
        chapters = [c for c in part.get("chapters", []) if c["file"] in have]
        if chapters:
            parts.append({**part, "caption": captions.get(part["caption"], part["caption"]), "chapters": chapters})
    return {**toc, "parts": parts}


def build(out: Path, root: Path = ROOT, ja: Path = JA) -> list[str]:
    """Write the edition's source tree into ``out``; return its pages."""
    out.mkdir(parents=True, exist_ok=True)
    pages = edition_pages(root, ja)
    if toc_pages(root)[0] not in pages:
        raise SystemExit(f"the Japanese edition needs its root page: {translation_path(toc_pages(root)[0], ja)}")
    (out / "_config.yml").write_text(yaml.safe_dump(japanese_config(root, ja), allow_unicode=True), encoding="utf-8")
    (out / "_toc.yml").write_text(yaml.safe_dump(japanese_toc(root, ja), allow_unicode=True, sort_keys=False),
                                  encoding="utf-8")
    for page in pages:
        src = english_path(page, root)
        dest = out / src.relative_to(root)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if src.suffix == ".ipynb":
            text = json.dumps(japanese_notebook(page, root, ja), indent=1, ensure_ascii=False) + "\n"
        else:
            text = japanese_markdown(page, root, ja)
        if not dest.exists() or dest.read_text(encoding="utf-8") != text:  # keep Sphinx's mtimes
            dest.write_text(text, encoding="utf-8")
    return pages


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("status", "skeleton", "build"):
        print(__doc__)
        return 2
    if argv[0] == "status":
        problems = status()
        for p in problems:
            print(p)
        print(f"{len(edition_pages())} pages in the Japanese edition; {len(problems)} problems")
        return 1 if problems else 0
    if argv[0] == "skeleton":
        for page in argv[1:]:
            print(f"wrote {skeleton(str(Path(page).with_suffix(''))).relative_to(ROOT)}")
        return 0
    pages = build(Path(argv[1]))
    print(f"Japanese edition: {len(pages)} pages written to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
