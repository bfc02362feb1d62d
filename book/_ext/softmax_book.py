"""Local Sphinx extension for "Softmax, verified": the book's generated pages.

It adds two things, both computed while the book is built, so they stay true as chapters arrive:

* the ``verification-report`` directive: for every chapter in ``notebooks/``, how many
  assertions its code cells run and what they check; the library's test count; the build date
  and the versions of the key packages. The page that holds it is re-read on every build (it
  carries the date), which costs nothing: the notebooks themselves are not re-executed, the
  report only parses their stored source.
* the ``errata-demo`` role: ```{errata-demo}`text <errata-label>` `` links to the notebook cell
  labelled ``(errata-label)=``. A label that no chapter defines yet is rendered as plain text
  marked "demonstration not yet written" and logged, instead of failing the nitpicky build;
  ``softmax_book_errata_strict = True`` turns that into a warning (and so, with -W, an error).

It also keeps numpydoc footnotes (``.. [1]``) unique on a page with many docstrings, so that the
API reference does not trip "duplicate target" warnings.
"""

from __future__ import annotations

import ast
import datetime as _dt
import json
import platform
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import Directive
from sphinx import addnodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

KEY_PACKAGES = [
    "numpy",
    "scipy",
    "sympy",
    "matplotlib",
    "jupyter-book",
    "sphinx",
    "myst-nb",
    "nbval",
    "pytest",
    "hypothesis",
]

# --------------------------------------------------------------------------------------------
# Reading a chapter: which assertions do its code cells run?


def _strip_magics(source: str) -> str:
    """Blank out IPython magics and shell escapes so that the cell parses as Python."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _is_testing_call(node: ast.AST) -> bool:
    """True for ``np.testing.assert_*(...)``, ``numpy.testing...`` and bare ``assert_*(...)``."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id.startswith("assert_")
    if isinstance(func, ast.Attribute):
        chain = []
        while isinstance(func, ast.Attribute):
            chain.append(func.attr)
            func = func.value
        if isinstance(func, ast.Name):
            chain.append(func.id)
        return chain[0].startswith("assert_") and "testing" in chain
    return False


def _shorten(text: str, width: int = 100) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def assertions_in(source: str) -> list[dict]:
    """Return the assertions in one code cell: ``kind``, ``code`` and the author's ``note``.

    The note is the assert's message, or else the comment at the end of its line: chapter authors
    use both to say what a check is for.
    """
    source = _strip_magics(source)
    lines = source.splitlines()
    try:
        tree = ast.parse(source)
    except SyntaxError:
        # Count what a regex can see rather than give up on the cell.
        return [
            {"kind": "assert", "code": _shorten(line.strip()), "note": ""}
            for line in lines
            if re.match(r"\s*(assert\b|np\.testing\.)", line)
        ]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            kind, code = "assert", ast.unparse(node.test)
            note = ast.literal_eval(node.msg) if isinstance(node.msg, ast.Constant) else ""
        elif _is_testing_call(node):
            kind, code = "np.testing", ast.unparse(node)
            note = ""
        else:
            continue
        end = getattr(node, "end_lineno", node.lineno)
        comment = re.search(r"#\s*(.*)$", lines[end - 1])
        if not note and comment and "'" not in comment.group(0) and '"' not in comment.group(0):
            note = comment.group(1).strip()
        found.append({"line": node.lineno, "kind": kind, "code": _shorten(code), "note": str(note)})
    return sorted(found, key=lambda a: a["line"])


def read_chapter(path: Path) -> dict:
    """Summarise one notebook: title, label, and its assertions grouped by section."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    title, label, section = path.stem, None, "(before the first heading)"
    in_solution = False
    sections: list[tuple[str, list[dict]]] = []
    n_code = n_check_cells = n_figures = n_exercises = 0
    headings: set[str] = set()
    for cell in nb.get("cells", []):
        source = "".join(cell.get("source", []))
        if cell.get("cell_type") == "markdown":
            n_exercises += len(re.findall(r"^(?:```|:::)\{exercise\}", source, re.M))
            if "{solution-start}" in source:
                in_solution = True
            if "{solution-end}" in source:
                in_solution = False
            for line in source.splitlines():
                if m := re.match(r"\((ch-[^)]+)\)=\s*$", line) if label is None else None:
                    label = m.group(1)
                if m := re.match(r"(#{1,3})\s+(.*\S)", line):
                    headings.add(m.group(2).strip().lower())
                    if m.group(1) == "#" and title == path.stem:
                        title = m.group(2)
                    else:
                        section = m.group(2)
            continue
        if cell.get("cell_type") != "code" or not source.strip():
            continue
        n_code += 1
        if "check" in cell.get("metadata", {}).get("tags", []):
            n_check_cells += 1
        if cell.get("metadata", {}).get("mystnb", {}).get("figure"):
            n_figures += 1
        checks = assertions_in(source)
        if not checks:
            continue
        name = f"Exercise solutions" if in_solution else section
        if not sections or sections[-1][0] != name:
            sections.append((name, []))
        sections[-1][1].extend(checks)
    every = [a for _, c in sections for a in c]
    sanity = sum(is_sanity(a) for a in every)
    return {
        "path": path,
        "title": title,
        "label": label,
        "code_cells": n_code,
        "check_cells": n_check_cells,
        "figures": n_figures,
        "exercises": n_exercises,
        "missing": [h for h in ("Overview", "Summary", "Exercises") if h.lower() not in headings],
        "sections": sections,
        "total": len(every),
        "claims": len(every) - sanity,
        "sanity": sanity,
    }


def is_sanity(check: dict) -> bool:
    """A sanity check guards the setup (input data, an identity of numpy), not a claim of the text.

    Authors mark one with a message (or end-of-line comment) that starts with "sanity".
    """
    return check["note"].strip().lower().startswith("sanity")


# --------------------------------------------------------------------------------------------
# The library's tests, the build date and the versions.


_COLLECT = """
import json, sys, pytest

class Record:
    items = []
    def pytest_collection_finish(self, session):
        self.items = [[i.nodeid, sorted({m.name for m in i.iter_markers()})] for i in session.items]

record = Record()
code = pytest.main(["--collect-only", "-qq", "-p", "no:cacheprovider", "--doctest-modules",
                    "tests", "softmaxlib"], plugins=[record])
with open(sys.argv[1], "w") as out:
    json.dump({"code": int(code), "items": record.items}, out)
"""


def count_library_tests(root: Path) -> dict:
    """Collect (without running) the tests, and sort them as the Makefile runs them.

    ``make test-lib`` runs everything not marked ``browser`` or ``book``; ``make test-browser``
    runs those two markers, which need the built book. Collection runs in a subprocess, so that
    the test modules are not imported into the Sphinx process.
    """
    import tempfile

    problem, items = None, []
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "collected.json"
        try:
            done = subprocess.run(
                [sys.executable, "-c", _COLLECT, str(result)],
                cwd=root, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            data = json.loads(result.read_text())
            items = data["items"]
            if data["code"] not in (0, 5):  # 5: nothing collected
                tail = (done.stdout.strip().splitlines() or ["?"])[-1]
                problem = f"pytest reported a collection problem: {tail}"
        except (OSError, ValueError, subprocess.TimeoutExpired) as exc:
            problem = f"could not collect the tests: {exc}"
    built = [i for i, marks in items if {"browser", "book"} & set(marks)]
    lib = [i for i, marks in items if not {"browser", "book"} & set(marks)]
    doctests = [i for i in lib if i.startswith("softmaxlib/")]
    files = sorted({i.split("::")[0] for i in lib if i.startswith("tests/")})
    return {
        "total": len(lib),
        "doctests": len(doctests),
        "unit": len(lib) - len(doctests),
        "files": files,
        "browser": len(built),
        "problem": problem,
    }


def cached_test_count(root: Path, cache: Path) -> dict:
    """:func:`count_library_tests`, redone only when a file under tests/ or softmaxlib/ changed.

    Collecting imports every test module (about 20 s on a loaded machine); a warm rebuild of an
    unchanged book should not pay that.
    """
    files = sorted(p for d in ("tests", "softmaxlib") for p in (root / d).rglob("*.py"))
    files.append(root / "pyproject.toml")
    key = [[str(p.relative_to(root)), p.stat().st_mtime_ns, p.stat().st_size] for p in files if p.exists()]
    try:
        stored = json.loads(cache.read_text())
        if stored["key"] == key:
            return stored["result"]
    except (OSError, ValueError, KeyError):
        pass
    result = count_library_tests(root)
    if not result["problem"]:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(json.dumps({"key": key, "result": result}))
    return result


def mathjax_version(root: Path) -> str:
    package = root / ".mathjax-npm" / "node_modules" / "mathjax" / "package.json"
    try:
        return json.loads(package.read_text())["version"]
    except (OSError, ValueError, KeyError):
        return "not installed"


def package_versions(root: Path) -> list[tuple[str, str]]:
    rows = [("Python", platform.python_version())]
    for name in KEY_PACKAGES:
        try:
            rows.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            rows.append((name, "not installed"))
    rows.append(("MathJax", mathjax_version(root)))
    return rows


# --------------------------------------------------------------------------------------------
# Docutils helpers.


def _para(*children) -> nodes.paragraph:
    para = nodes.paragraph()
    for child in children:
        para += nodes.Text(child) if isinstance(child, str) else child
    return para


_INLINE_MATH = re.compile(r"\$([^$]+)\$")


def _with_math(text: str) -> list[nodes.Node]:
    """Text with its ``$...$`` spans as math nodes, which MathJax renders like the chapters' own.

    Chapter headings carry inline math (``Maximise $\\ln W$, not $W$``); copied as plain text
    into the report, they would show their dollar signs and backslashes.
    """
    out: list[nodes.Node] = []
    for i, part in enumerate(_INLINE_MATH.split(text)):
        if i % 2:
            out.append(nodes.math(f"${part}$", part))
        elif part:
            out.append(nodes.Text(part))
    return out


def _table(header: list[str], rows: list[list], widths: list[int]) -> nodes.table:
    table = nodes.table(classes=["verification-table"])
    group = nodes.tgroup(cols=len(header))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    body = nodes.tbody()
    group += body
    for target, values in ((head, [header]), (body, rows)):
        for values_row in values:
            row = nodes.row()
            for value in values_row:
                entry = nodes.entry()
                entry += value if isinstance(value, nodes.Element) and not isinstance(value, nodes.Inline) else _para(value)
                row += entry
            target += row
    return table


def _doc_link(docname: str, text: str) -> addnodes.pending_xref:
    ref = addnodes.pending_xref(
        "", refdomain="std", reftype="doc", reftarget="/" + docname, refexplicit=True, refwarn=True
    )
    ref += nodes.inline("", "", *_with_math(text))
    return ref


# --------------------------------------------------------------------------------------------
# The verification report.


#: The report's own words in each edition (the Japanese edition sets softmax_book_language).
REPORT_TEXT = {
    "en": {
        "build": "Build",
        "generated": "This page was generated on {date} from {n} chapter notebooks and the tests in the "
        "repository. The book's build fails if any of the assertions below fails, if a cell raises "
        "or writes to stderr, or if a cross-reference does not resolve.",
        "date": "%Y-%m-%d at %H:%M UTC",
        "chapters": "Chapters",
        "chapters_intro": "Each chapter states a claim and checks it in the next code cell, shown "
        "collapsed under \u201cCheck\u201d. Claims checked counts the assertions (assert statements "
        "and numpy.testing comparisons) that test something the text says; an assertion inside a "
        "loop runs once per pass but is counted once. Sanity checks guard the setup instead (the "
        "input data, an identity of numpy): they cannot fail while the code is right, so they are "
        "counted apart and are not verified claims. nbval also re-runs every notebook in make test "
        "and compares its stored text outputs.",
        "header": ["Chapter", "Code cells", "Check cells", "Claims checked", "Sanity checks", "Figures",
                   "Exercises"],
        "all": "All chapters",
        "incomplete": "Not yet in the book's chapter shape (an Overview, a Summary and Exercises): {list}.",
        "lacks": "{title} lacks {missing}",
        "none": "No chapter notebooks exist yet.",
        "box": "{title}: the {claims} claims it checks, and {sanity} sanity checks",
        "asserts_nothing": "This chapter asserts nothing yet.",
        "section": " \u2014 {n} checks",
        "sanity": "sanity check: ",
        "library": "The library",
        "library_text": "softmaxlib's own suite (make test-lib) collects {total} tests: {unit} unit and "
        "property tests in {files} files under tests/ and {doctests} doctests (every Examples section "
        "of the API reference runs). make test-browser adds {browser} checks on the built book, among "
        "them opening every page of it in Chromium with the network blocked.",
        "note": " Note: {problem}.",
        "versions": "Versions",
        "versions_header": ["Package", "Version"],
    },
    "ja": {
        "build": "ビルド",
        "generated": "このページは {date} に、{n} 章のノートブックとリポジトリのテストから生成されました。"
        "以下のアサーションが一つでも失敗するか、セルが例外を出すか標準エラーに書き出すか、"
        "相互参照が解決できなければ、本のビルドは失敗します。",
        "date": "%Y-%m-%d %H:%M (UTC)",
        "chapters": "各章",
        "chapters_intro": "各章は主張を述べ、次のコードセルでそれを確かめます（「確認」の下に折りたたんで"
        "あります）。「検証した主張」は、本文の述べたことを確かめるアサーション（assert 文と numpy.testing "
        "による比較）の数です。ループ内のアサーションは実行は毎回でも、数えるのは一度です。"
        "「健全性チェック」は主張ではなく準備（入力データや numpy の恒等式）を確かめるもので、"
        "コードが正しい限り失敗しえないため、検証した主張とは別に数えます。"
        "さらに make test では nbval がすべてのノートブックを再実行し、保存されたテキスト出力と比較します。",
        "header": ["章", "コードセル", "確認セル", "検証した主張", "健全性チェック", "図", "演習"],
        "all": "全章",
        "incomplete": "まだ章の構成（概要・まとめ・演習）がそろっていない章: {list}。",
        "lacks": "{title} には {missing} がない",
        "none": "章のノートブックはまだありません。",
        "box": "{title}: 検証する主張 {claims} 件、健全性チェック {sanity} 件",
        "asserts_nothing": "この章にはまだアサーションがありません。",
        "section": " \u2014 {n} 件",
        "sanity": "健全性チェック: ",
        "library": "ライブラリ",
        "library_text": "softmaxlib 自身のテストスイート（make test-lib）は {total} 件のテストを集めます。"
        "tests/ 以下の {files} ファイルにある単体テストと性質テストが {unit} 件、doctest が {doctests} 件"
        "（API リファレンスの Examples 節はすべて実行されます）です。make test-browser はビルドされた本に"
        "対して {browser} 件のチェックを加えます。その中には、ネットワークを遮断した Chromium で"
        "全ページを開くチェックも含まれます。",
        "note": " 注: {problem}。",
        "versions": "バージョン",
        "versions_header": ["パッケージ", "バージョン"],
    },
}


def chapter_sources(root: Path, srcdir: Path) -> list[Path]:
    """The chapter notebooks to report on: the edition's own copy where it has one (its titles and
    section names are in the edition's language; its code is the English code), else the English."""
    english = sorted((root / "notebooks").glob("*.ipynb"))
    return [srcdir / "notebooks" / p.name if (srcdir / "notebooks" / p.name).exists() else p for p in english]


class VerificationReport(Directive):
    has_content = False

    def run(self):
        env = self.state.document.settings.env
        root = Path(env.config.softmax_book_source_root or env.srcdir)
        srcdir = Path(env.srcdir)
        text = REPORT_TEXT[env.config.softmax_book_language]
        env.softmax_book_report_docs = getattr(env, "softmax_book_report_docs", set()) | {env.docname}
        chapters = [read_chapter(p) for p in chapter_sources(root, srcdir)]
        for chapter in chapters:
            env.note_dependency(str(chapter["path"]))
        tests = cached_test_count(root, Path(env.app.doctreedir).parent / "verification-tests.json")
        now = _dt.datetime.now(_dt.timezone.utc)
        found = env.found_docs
        out: list[nodes.Node] = []

        out.append(nodes.rubric(text=text["build"]))
        before, _, after = text["generated"].partition("{date}")
        out.append(_para(before, nodes.strong(text=now.strftime(text["date"])), after.format(n=len(chapters))))

        out.append(nodes.rubric(text=text["chapters"]))
        out.append(_para(text["chapters_intro"]))
        rows = []
        for ch in chapters:
            docname = "notebooks/" + ch["path"].stem
            title = [_doc_link(docname, ch["title"])] if docname in found else _with_math(ch["title"])
            rows.append(
                [
                    _para(*title),
                    str(ch["code_cells"]),
                    str(ch["check_cells"]),
                    str(ch["claims"]),
                    str(ch["sanity"]),
                    str(ch["figures"]),
                    str(ch["exercises"]),
                ]
            )
        if chapters:
            rows.append(
                [
                    _para(nodes.strong(text=text["all"])),
                    *(
                        _para(nodes.strong(text=str(sum(ch[k] for ch in chapters))))
                        for k in ("code_cells", "check_cells", "claims", "sanity", "figures", "exercises")
                    ),
                ]
            )
            out.append(_table(text["header"], rows, [30, 9, 9, 11, 10, 9, 10]))
            incomplete = [ch for ch in chapters if ch["missing"]]
            if incomplete:
                listing = "; ".join(text["lacks"].format(title=ch["title"], missing=", ".join(ch["missing"]))
                                    for ch in incomplete)
                out.append(_para(text["incomplete"].format(list=listing)))
        else:
            out.append(_para(text["none"]))

        for ch in chapters:
            box = nodes.admonition(classes=["dropdown", "note"])
            box += nodes.title(
                "", "", *_with_math(text["box"].format(title=ch["title"], claims=ch["claims"], sanity=ch["sanity"]))
            )
            if not ch["sections"]:
                box += _para(text["asserts_nothing"])
            for name, checks in ch["sections"]:
                box += _para(nodes.strong("", "", *_with_math(name)), text["section"].format(n=len(checks)))
                items = nodes.bullet_list()
                for check in checks:
                    item = nodes.list_item()
                    para = _para(nodes.literal(text=check["code"]))
                    if is_sanity(check):
                        para.insert(0, nodes.emphasis(text=text["sanity"]))
                    if check["note"]:
                        para += nodes.Text(f" — {check['note']}")
                    item += para
                    items += item
                box += items
            out.append(box)

        out.append(nodes.rubric(text=text["library"]))
        if tests["problem"]:
            logger.info(f"verification report: {tests['problem']}")
        out.append(
            _para(
                text["library_text"].format(
                    total=tests["total"], unit=tests["unit"], files=len(tests["files"]),
                    doctests=tests["doctests"], browser=tests["browser"],
                )
                + (text["note"].format(problem=tests["problem"]) if tests["problem"] else ""),
            )
        )

        out.append(nodes.rubric(text=text["versions"]))
        out.append(
            _table(
                text["versions_header"],
                [[name, version] for name, version in package_versions(root)],
                [30, 20],
            )
        )
        return out


def _report_docs_outdated(app, env, added, changed, removed):
    """Re-read the report page on every build: its counts and date come from outside it."""
    return [d for d in getattr(env, "softmax_book_report_docs", set()) if d in env.found_docs]


def _purge(app, env, docname):
    getattr(env, "softmax_book_report_docs", set()).discard(docname)


# --------------------------------------------------------------------------------------------
# Errata links that degrade gracefully while a chapter is still being written.

_TITLE_TARGET = re.compile(r"^(.*?)\s*<([^<>]+)>$", re.S)


def errata_demo_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    match = _TITLE_TARGET.match(text)
    title, target = (match.group(1), match.group(2)) if match else (text, text)
    ref = addnodes.pending_xref(
        rawtext,
        refdomain="std",
        reftype="ref",
        reftarget=target.lower(),
        refexplicit=True,
        refwarn=True,
        softmax_book_errata=True,
    )
    ref += nodes.inline(rawtext, title, classes=["xref", "std", "std-ref"])
    return [ref], []


def _missing_reference(app, env, node, contnode):
    if node.get("refdomain") == "py":
        return _public_alias(app, env, node, contnode)
    if not node.get("softmax_book_errata"):
        return None
    message = f"errata: no chapter defines the label {node['reftarget']!r} yet"
    if app.config.softmax_book_errata_strict:
        return None  # the usual "undefined label" warning follows
    logger.info(message, location=node)
    pending = nodes.inline(classes=["errata-pending"])
    pending += nodes.Text(contnode.astext())
    pending += nodes.emphasis(text=" (demonstration not yet written)")
    return pending


# --------------------------------------------------------------------------------------------
# The API reference: every public name, grouped by the module that defines it.


def public_api(package: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Return ``(module, summary, [(name, autodoc directive), ...])`` for ``package.__all__``.

    Names are grouped by the module that defines them, in the order of ``__all__``, so a function
    added to a module and to ``__all__`` appears in the reference with no edit to the page.
    """
    import importlib
    import inspect

    pkg = importlib.import_module(package)
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in getattr(pkg, "__all__", []):
        obj = getattr(pkg, name)
        if inspect.isclass(obj):
            kind = "autoclass"
        elif callable(obj):
            kind = "autofunction"
        else:
            kind = "autodata"
        module = getattr(obj, "__module__", None) if kind != "autodata" else package
        if not module or not module.startswith(package.split(".")[0]):
            module = package
        groups.setdefault(module, []).append((name, kind))
    out = []
    for module, names in groups.items():
        doc = inspect.getdoc(importlib.import_module(module)) or ""
        out.append((module, doc.split("\n\n")[0].replace("\n", " "), names))
    return out


class SoftmaxlibAPI(Directive):
    """``.. softmaxlib-api:: package [package ...]``: autodoc every name in each ``__all__``."""

    required_arguments = 1
    optional_arguments = 10
    has_content = False

    def run(self):
        from docutils.statemachine import StringList

        import importlib

        env = self.state.document.settings.env
        out = []
        for package in self.arguments:
            # Re-read this page whenever any module of the package changes (a new name in
            # __all__, a new module, an edited docstring), not only the modules already shown.
            for source in Path(importlib.import_module(package).__file__).parent.glob("*.py"):
                env.note_dependency(str(source))
            for module, summary, names in public_api(package):
                section = nodes.section(ids=[nodes.make_id("api-" + module)])
                section += nodes.title("", "", nodes.literal(text=module))
                lines = [f".. currentmodule:: {package}", "", summary, ""]
                for name, kind in names:
                    lines += [f".. {kind}:: {package}.{name}"]
                    lines += ["   :members:", ""] if kind == "autoclass" else [""]
                self.state.nested_parse(
                    StringList(lines, source=f"softmaxlib-api {module}"), self.content_offset, section
                )
                out.append(section)
        return out


def _public_alias(app, env, node, contnode):
    """Resolve ``softmaxlib.module.name`` to the documented ``softmaxlib.name``.

    The reference documents each function once, under the name readers import it by
    (``softmaxlib.softmax``); docstrings may still name the defining module
    (``softmaxlib.core.softmax``). Only an alias of the very same object is accepted.
    """
    import importlib

    target = node.get("reftarget", "")
    parts = target.split(".")
    if len(parts) < 3 or parts[0] != "softmaxlib":
        return None
    public = f"softmaxlib.{parts[-1]}"
    py = env.get_domain("py")
    if public not in py.objects:
        return None
    try:
        obj = getattr(importlib.import_module(".".join(parts[:-1])), parts[-1])
        same = obj is getattr(importlib.import_module("softmaxlib"), parts[-1])
    except (ImportError, AttributeError):
        return None
    if not same:
        return None
    from sphinx.util.nodes import make_refnode

    entry = py.objects[public]
    return make_refnode(app.builder, node["refdoc"], entry.docname, entry.node_id, contnode, public)


# --------------------------------------------------------------------------------------------
# numpydoc footnotes: "[1]" in several docstrings on one page would collide.


def _unique_footnotes(app, what, name, obj, options, lines):
    slug = re.sub(r"\W+", "-", name)
    for i, line in enumerate(lines):
        line = re.sub(r"^(\s*\.\. )\[(\d+)\]", rf"\1[#{slug}-\2]", line)
        lines[i] = re.sub(r"\[(\d+)\]_", rf"[#{slug}-\1]_", line)


# Inline markup whose text must not be touched: ``literal``, :role:`text`, `interpreted`.
_INLINE_MARKUP = re.compile(r"(``.+?``|:[\w:+-]+:`[^`]*`|`[^`]*`_{0,2})")


def _escape_bars(app, what, name, obj, options, lines):
    """Escape ``|`` in plain docstring text, where reST would read ``|f|`` as a substitution.

    Docstrings write absolute values as ``|f|``; reST has no substitution of that name and fails
    the strict build. Math (``.. math::`` blocks, :math: roles), literals and tables are left alone.
    """
    math_indent, in_doctest = None, False
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        in_doctest = bool(stripped) and (in_doctest or stripped.startswith(">>>"))
        if in_doctest:
            continue  # a doctest block runs to the next blank line and is literal
        if math_indent is not None:
            if stripped and indent <= math_indent:
                math_indent = None
            else:
                continue
        if stripped.startswith(".. math::") or stripped.endswith("::"):
            if stripped.startswith(".. math::") or stripped.endswith("::"):
                math_indent = indent
            continue
        if "|" not in line or stripped.startswith(("|", "+-", "+=")):
            continue
        parts = _INLINE_MARKUP.split(line)
        lines[i] = "".join(p if k % 2 else re.sub(r"(?<!\\)\|", r"\\|", p) for k, p in enumerate(parts))


# --------------------------------------------------------------------------------------------
# One copy of each inline script.


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    """Drop repeated inline scripts from a page.

    sphinx-thebe 0.3.1 registers its ``const THEBE_JS_URL = ...`` configuration once more than
    Sphinx 7 writes it out, so every page declared the constant twice and the browser logged
    "Identifier 'THEBE_JS_URL' has already been declared". One copy is all the page needs.
    """
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        attributes = getattr(script, "attributes", {})
        key = (getattr(script, "filename", str(script)) or "", tuple(sorted(attributes.items())))
        if key in seen:
            continue
        seen.add(key)
        kept.append(script)
    context["script_files"] = kept


# --------------------------------------------------------------------------------------------
# The two editions: every page links to its counterpart in the other language.

#: What the switch shows on a page of each edition: (language of the other edition, label, title).
_SWITCH = {
    "en": ("ja", "日本語", "この章を日本語で読む"),
    "ja": ("en", "English", "Read this page in English"),
}


def counterpart(pagename: str, language: str, source_root: Path) -> str | None:
    """The relative URL of ``pagename`` in the other edition, or None if it has no such page.

    The English edition is the root of the site and the Japanese one lives in ``ja/``; a page has
    the same name in both. An English page has a Japanese counterpart once its translation file
    ``ja/<page>.yml`` exists (tools/ja_edition.py); every Japanese page has an English one.
    """
    up = "../" * pagename.count("/")
    if language == "ja":
        return f"{up}../{pagename}.html"
    special = pagename in ("genindex", "search")
    if special or (source_root / "ja" / f"{pagename}.yml").exists():
        return f"{up}ja/{pagename}.html"
    return None


def _language_switch(app, pagename, templatename, context, doctree):
    language = app.config.softmax_book_language
    root = Path(app.config.softmax_book_source_root or app.srcdir)
    other, label, title = _SWITCH[language]
    context["softmax_book_counterpart"] = counterpart(pagename, language, root)
    context["softmax_book_counterpart_lang"] = other
    context["softmax_book_counterpart_label"] = label
    context["softmax_book_counterpart_title"] = title


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")
    app.setup_extension("sphinx.ext.napoleon")
    app.add_directive("softmaxlib-api", SoftmaxlibAPI)
    app.add_config_value("softmax_book_errata_strict", False, "env")
    app.add_directive("verification-report", VerificationReport)
    app.add_role("errata-demo", errata_demo_role)
    app.connect("missing-reference", _missing_reference)
    app.connect("env-get-outdated", _report_docs_outdated)
    app.connect("env-purge-doc", _purge)
    app.connect("autodoc-process-docstring", _unique_footnotes)
    app.connect("autodoc-process-docstring", _escape_bars)
    app.connect("html-page-context", _dedupe_scripts)
    app.add_config_value("softmax_book_language", "en", "html")
    app.add_config_value("softmax_book_source_root", "", "env")
    app.connect("html-page-context", _language_switch)
    return {"version": "1.0", "parallel_read_safe": False, "parallel_write_safe": True}
