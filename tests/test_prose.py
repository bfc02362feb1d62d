"""No number in the prose is typed by hand; every glued number is shown somewhere.

The book's promise is that a number a reader sees in the text was computed by the cell beside it
and glued (``{glue:text}`key:.3f```), so it cannot drift from what the code gives. This test reads
the markdown of every page in the table of contents and fails on a number that looks computed:

* in prose: a decimal (``2.30``), scientific notation (``1e-6``, ``6×10⁻⁶``), a percentage
  (``27%``) or a number with thousands separators (``1,797``);
* in math: a decimal, a power of ten (``10^{-6}``, ``6 \\times 10^{-6}``), a number after
  ``\\approx``, or thousands separators (``1{,}797``).

Glue roles, citations, cross-references, code, links' targets and labels are not prose. What the
text *chooses* rather than computes (an input such as a temperature of 0.5, a version number, a
wrong value that an erratum quotes to refute) is allowed per page: a notebook lists it in its
metadata ``softmax_book.prose_numbers`` and a Markdown page in its front matter
``prose_numbers:``, each token with the reason it is chosen. The lists stay short; an unused entry
fails, so they cannot go stale.

The second check is the converse: a glue key that no page shows is a number computed for nobody.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from test_notebooks import ROOT, toc_files

# --------------------------------------------------------------------------------------------
# Reading a page's markdown


def pages() -> list[Path]:
    """Every page of the table of contents that is written in Markdown or is a notebook."""
    found = []
    for name in sorted(toc_files()):  # a set: sorted, so every xdist worker collects the same
        for suffix in (".ipynb", ".md"):
            path = ROOT / f"{name}{suffix}"
            if path.exists():
                found.append(path)
    return found


_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)


def read_page(path: Path) -> tuple[list[str], dict]:
    """Return the page's markdown blocks and its allow-list of chosen numbers."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        blocks = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
        # Figure captions are prose too (and cannot hold a glue role: myst-nb renders them
        # before the page's glue is known), so a number in one must be chosen, not computed.
        blocks += [
            c["metadata"]["mystnb"]["figure"].get("caption", "")
            for c in nb["cells"]
            if "figure" in c.get("metadata", {}).get("mystnb", {})
        ]
        allowed = nb["metadata"].get("softmax_book", {}).get("prose_numbers", {})
        return blocks, allowed
    text = path.read_text(encoding="utf-8")
    allowed = {}
    if m := _FRONT_MATTER.match(text):
        allowed = (yaml.safe_load(m.group(1)) or {}).get("prose_numbers", {}) or {}
        text = text[m.end() :]
    return [text], allowed


# Fenced blocks whose body is not prose: code, raw HTML, and the glue/figure directives.
_CODE_FENCE = re.compile(
    r"^(?P<fence>`{3,}|~{3,})[ \t]*(?:\{(?:code-cell|code-block|code|raw|glue:figure|glue|"
    r"eval-rst|literalinclude|bibliography)\}[^\n]*|[\w+-]*)\n.*?^(?P=fence)[ \t]*$",
    re.S | re.M,
)
_MATH_FENCE = re.compile(r"^(?P<fence>`{3,}|:{3,})[ \t]*\{math\}[^\n]*\n(?P<body>.*?)^(?P=fence)[ \t]*$", re.S | re.M)
_DISPLAY_MATH = re.compile(r"\$\$(?P<body>.+?)\$\$", re.S)
_INLINE_MATH = re.compile(r"(?<![\\$])\$(?P<body>[^$\n]+?)\$")
_ROLE = re.compile(r"\{[\w:.-]+\}`[^`]*`")
_INLINE_CODE = re.compile(r"(`+)[^`\n].*?\1")
# The fence lines of a directive whose body is prose ({exercise}, {note}, {solution-start}, ...):
# the fence and the directive's name go, its argument (a title) and its body stay.
_DIRECTIVE_OPEN = re.compile(r"^[ \t]*(?:`{3,}|~{3,}|:{3,})\{[\w:.-]+\}[ \t]*(?P<arg>.*)$", re.M)
_FENCE_CLOSE = re.compile(r"^[ \t]*(?:`{3,}|~{3,}|:{3,})[ \t]*$", re.M)
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_LABEL = re.compile(r"^\([\w:.-]+\)=[ \t]*$", re.M)
_OPTION = re.compile(r"^[ \t]*:[\w-]+:.*$", re.M)
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_TAG = re.compile(r"<[^>\n]+>")
_URL = re.compile(r"https?://\S+")


def split_prose_and_math(block: str) -> tuple[str, list[str]]:
    """Return the block's prose (math, code, roles, labels removed) and its pieces of math."""
    maths: list[str] = []

    def keep_math(m: re.Match) -> str:
        maths.append(m.group("body"))
        return " "

    text = _COMMENT.sub(" ", block)
    text = _CODE_FENCE.sub(" ", text)
    text = _MATH_FENCE.sub(keep_math, text)
    text = _DISPLAY_MATH.sub(keep_math, text)
    text = _DIRECTIVE_OPEN.sub(lambda m: m.group("arg"), text)
    text = _FENCE_CLOSE.sub(" ", text)
    text = _ROLE.sub(" ", text)
    text = _INLINE_CODE.sub(" ", text)
    text = _INLINE_MATH.sub(keep_math, text)
    text = _LINK_TARGET.sub("]", text)
    text = _URL.sub(" ", text)
    text = _LABEL.sub(" ", text)
    text = _OPTION.sub(" ", text)
    text = _HTML_TAG.sub(" ", text)
    return text, maths


# --------------------------------------------------------------------------------------------
# What a typed number looks like

_SUPERSCRIPT = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺"
# A reference by number ("Exercise 4.3", "section 2.1", "equation (3.5)") is not a computed value.
_NUMBERED_THING = re.compile(
    r"(?:chapter|chapters|section|sections|§|exercise|exercises|figure|figures|fig\.|equation|"
    r"equations|eq\.|table|tables|step|steps|part|version|python|numpy|scipy|torch|sympy|"
    r"matplotlib|jupyter book|jupyter-book|sphinx|mathjax|myst-nb|ieee|rfc|algorithm|theorem|lemma|"
    r"appendix)\s*\(?(?:\d+(?:\.\d+)*\)?\s*(?:,|and|&|or|to|-|–)\s*)*$",
    re.I,
)

_PROSE_NUMBER = re.compile(
    r"(?<![\w.,])(?:"
    rf"\d+(?:\.\d+)?\s*(?:×|x|\*)\s*10[{_SUPERSCRIPT}]+"  # 6×10⁻⁶
    rf"|10[{_SUPERSCRIPT}]+"  # 10⁻⁶
    r"|\d+(?:\.\d+)?[eE][-+]?\d+"  # 1e-6, 2.5E+3
    r"|\d+(?:\.\d+)?\s*%"  # 27%, 2.5 %
    r"|\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # 1,797
    r"|\d*\.\d+"  # 2.30, .5
    r")(?![\w])"
)

_MATH_NUMBER = re.compile(
    r"(?:"
    r"\\approx\s*-?\s*\d+(?:\.\d+)?(?:\s*\\times\s*10\^\{?-?\d+\}?)?"  # \approx 6 \times 10^{-6}
    r"|(?<![\w.])\d+(?:\.\d+)?\s*\\times\s*10\^\{?-?\d+\}?"  # 6 \times 10^{-6}
    r"|(?<![\w.^{])10\^\{?-?\d+\}?"  # 10^{-6}
    r"|(?<![\w.])\d{1,3}(?:\{,\}\d{3})+"  # 1{,}797
    r"|(?<![\w.])\d+\.\d+"  # 2.30
    r"|(?<![\w.])\d+(?:\.\d+)?\s*\\%"  # 27\%
    r")"
)


def _norm(token: str) -> str:
    return re.sub(r"\s+", "", token)


def typed_numbers(block: str) -> list[str]:
    """The tokens in one markdown block that look like computed numbers typed by hand."""
    prose, maths = split_prose_and_math(block)
    found = []
    for m in _PROSE_NUMBER.finditer(prose):
        if _NUMBERED_THING.search(prose[max(0, m.start() - 20) : m.start()].rstrip()):
            continue
        found.append(_norm(m.group(0)))
    for body in maths:
        found.extend(_norm(m.group(0)) for m in _MATH_NUMBER.finditer(body))
    return found


def page_problems(path: Path) -> list[str]:
    blocks, allowed = read_page(path)
    used: set[str] = set()
    problems = []
    for block in blocks:
        for token in typed_numbers(block):
            if token in allowed:
                used.add(token)
                continue
            line = next((ln.strip() for ln in block.splitlines() if token[:3] in _norm(ln)), "")
            problems.append(f"typed number {token!r} (glue it, or allow it with a reason): {line[:100]}")
    for token, why in allowed.items():
        if not str(why or "").strip():
            problems.append(f"allow-list entry {token!r} gives no reason")
        if token not in used:
            problems.append(f"allow-list entry {token!r} is not used on the page: remove it")
    return problems


PAGES = pages()


@pytest.mark.parametrize("path", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_no_number_is_typed_by_hand(path):
    problems = page_problems(path)
    assert not problems, f"{path.relative_to(ROOT)}:\n  " + "\n  ".join(problems)


# --------------------------------------------------------------------------------------------
# Glue keys: every one that is set is shown


_GLUE_USE = re.compile(r"\{glue(?::\w+)?\}`(?:[^`:]*::)?(?P<key>[\w.-]+)(?::[^`]*)?`")
_GLUE_DIRECTIVE = re.compile(r"^(?:`{3,}|:{3,})\{glue(?::\w+)?\}[ \t]+(?P<key>[\w.-]+)", re.M)


def glue_keys_set(nb: dict) -> set[str]:
    keys = set()
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                keys.add(name)
    return keys


def glue_keys_shown(texts: list[str]) -> set[str]:
    shown = set()
    for text in texts:
        shown |= {m.group("key") for m in _GLUE_USE.finditer(text)}
        shown |= {m.group("key") for m in _GLUE_DIRECTIVE.finditer(text)}
    return shown


NOTEBOOK_PAGES = [p for p in PAGES if p.suffix == ".ipynb"]


#: A figure's Japanese drawing (softmaxlib.plotting.show_figure) is glued under its name plus
#: this suffix and shown by the Japanese edition (tools/ja_edition.py), not by a role.
JAPANESE_FIGURE = "__ja"


def glue_keys_shown_from_other_pages(path: Path) -> set[str]:
    """Keys of ``path``'s notebook that other pages show (``{glue:text}`../notebooks/x.ipynb::key```)."""
    shown = set()
    for page in PAGES:
        if page == path:
            continue
        blocks, _ = read_page(page)
        for m in _GLUE_USE_FROM.finditer("\n".join(blocks)):
            if (page.parent / m.group("doc")).resolve() == path.resolve():
                shown.add(m.group("key"))
    return shown


_GLUE_USE_FROM = re.compile(r"\{glue(?::\w+)?\}`(?P<doc>[^`:]+)::(?P<key>[\w.-]+)(?::[^`]*)?`")


@pytest.mark.parametrize("path", NOTEBOOK_PAGES, ids=[p.stem for p in NOTEBOOK_PAGES])
def test_every_glued_key_is_shown(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    markdown = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]
    shown = glue_keys_shown(markdown) | glue_keys_shown_from_other_pages(path)
    unused = sorted(k for k in glue_keys_set(nb) - shown if not k.endswith(JAPANESE_FIGURE))
    assert not unused, f"{path.name}: glued but never shown in its prose or another page's: {unused}"


# --------------------------------------------------------------------------------------------
# The checker itself


@pytest.mark.parametrize(
    "text, expected",
    [
        ("the loss is close to $\\log 10 = 2.30$, a uniform guess", ["2.30"]),
        ("the 1,797 handwritten digits", ["1,797"]),
        ("only about a 27% chance", ["27%"]),
        ("near $h = \\varepsilon^{1/3} \\approx 6 \\times 10^{-6}$", ["\\approx6\\times10^{-6}"]),
        ("smallest between $10^{-7}$ and $10^{-4}$", ["10^{-7}", "10^{-4}"]),
        ("an error below 10⁻⁶ and 3×10⁻⁵", ["10⁻⁶", "3×10⁻⁵"]),
        ("a tolerance of 1e-6 and 0.731 probability", ["1e-6", "0.731"]),
        ("above $x \\approx 154$ for base 100", ["\\approx154"]),
        ("equal to 0.5 in {glue:text}`p:.3f` and `x = 0.25` in code", ["0.5"]),
        ("Exercise 4.3 and section 2.1 and Python 3.11", []),
        ("(Algorithm 4.1) and (sections 5.5 and 6.2.2) but not 0.5", ["0.5"]),
        ("{cite}`blanchard2021accurate` and {ref}`ch-jacobian` and [x](https://a.b/1.5)", []),
        ("the chapter's 10 classes and 784 pixels, $2^{-52}$ and $e^{x_i}$", []),
        ("```python\nx = 0.123\n```\nno number here", []),
        ("```{exercise}\n:label: ex-1\n\nShow that 0.731 is right.\n```", ["0.731"]),
        (":::{exercise} Temperature 0.5\n:label: ex-2\n\nUse `x = 0.25`.\n:::", ["0.5"]),
    ],
)
def test_checker_finds_typed_numbers(text, expected):
    assert typed_numbers(text) == expected


def test_checker_rejects_a_page_with_a_number_typed_by_hand(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "---\nprose_numbers:\n  '0.5': the temperature the text chooses\n---\n"
        "# A page\n\nAt a temperature of 0.5 the top class gets 0.731 of the mass.\n",
        encoding="utf-8",
    )
    problems = page_problems(page)
    assert len(problems) == 1 and "'0.731'" in problems[0]
    page.write_text("---\nprose_numbers:\n  '0.5': chosen\n---\n# A page\n\nNo numbers.\n", encoding="utf-8")
    assert page_problems(page) == ["allow-list entry '0.5' is not used on the page: remove it"]


def test_glue_keys_shown_reads_roles_and_directives():
    text = "{glue:text}`p_max:.3f` and {glue}`n` and {glue:text}`other.ipynb::key:.2f`\n```{glue:figure} fig_a\n```"
    assert glue_keys_shown([text]) == {"p_max", "n", "key", "fig_a"}
