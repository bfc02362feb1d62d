"""Notebook hygiene: what nbval cannot see.

nbval re-runs each notebook and compares outputs, but a notebook saved without outputs has
nothing to compare and passes silently. These checks make such a notebook, and a few other
slips, fail the suite. The checker is itself tested on notebooks built to be wrong.
"""

import base64
import io
import re
import struct
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

sys.path.insert(0, str(ROOT / "tools"))
from mark_checks import TAG as CHECK_TAG  # noqa: E402
from mark_checks import mark as mark_checks  # noqa: E402

#: Longest code line, comments included: ruff's formatter at 88 columns, and no sideways scroll in
#: the book's code column at 1280 px.
MAX_LINE = 88
#: Statements that belong in a cell tagged "check", not in the teaching code.
_CHECK_LINE = re.compile(r"^\s*assert\b|\bnp\.testing\.|\bnumpy\.testing\.|(?<![\w.])glue\(")
#: A font size smaller than softmaxlib.plotting.MIN_FONT_PT (10 pt), by number or by name.
_SMALL_FONT = re.compile(
    r"\b(?:fontsize|labelsize|titlesize)\s*=\s*(?:(?P<num>\d+(?:\.\d+)?)\b|"
    r"['\"](?P<name>xx-small|x-small|small|smaller)['\"])"
)
MIN_FONT_PT = 10
#: Stored PNG figures are "retina": twice as many pixels as the width they are shown at, which at
#: matplotlib's 100 px per inch is 200 dpi (softmaxlib.plotting.PNG_DPI).
PNG_SCALE = 2
#: The widest a figure can be shown without being scaled down: the content column of the book's
#: theme at a 1280 px window holds an image 672 px wide (measured in Chromium; at 390 px every
#: figure is scaled to the phone's width). A wider figure is shrunk, and its 10 pt text with it.
#: At matplotlib's 100 px per inch this is a figure 6.72 in wide (after the tight crop).
MAX_SHOWN_PX = 672


def toc_files():
    """Every `file:` entry of _toc.yml (and its root), without suffix."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found = {toc["root"]}

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                found.add(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(toc)
    return {str(Path(f).with_suffix("")) for f in found}


#: A glued or printed number with this many significant digits or more is the full repr of a
#: float (15 to 17 digits): one that went through exp, log, a sum or BLAS differs in its last
#: digits between CPUs. Glue as_shown(x, fmt) and print as_text(x, fmt) instead
#: (softmaxlib.reporting), at the precision the claim needs.
FULL_REPR_DIGITS = 12

_NUMBER = re.compile(r"(?<![\w.])[-+]?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?(?![\w.])")


def significant_digits(text):
    """Significant digits of the number written as ``text``, trailing zeros not counted."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        return 0
    return len(value.normalize().as_tuple().digits) if value else 1


def unrounded_numbers(text, limit):
    """The numbers in ``text`` that carry ``limit`` or more significant digits and a fraction."""
    return [m.group(0) for m in _NUMBER.finditer(text)
            if ("." in m.group(1) or m.group(2)) and significant_digits(m.group(0)) >= limit]


def _opaque(png: bytes) -> bool:
    """True if the PNG has no transparent pixel (the book's dark mode needs a page behind text)."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(png))
        image.load()
    except (OSError, SyntaxError):  # a header-only PNG built by the checker's own tests
        return True
    if "A" not in image.getbands():
        return True
    return image.getchannel("A").getextrema()[0] == 255


def problems(nb, relpath, listed):
    """Return a list of human-readable problems with notebook ``nb`` (empty when clean)."""
    found = []
    if str(Path(relpath).with_suffix("")) not in listed:
        found.append(f"{relpath} is not listed in _toc.yml")
    kernel = nb.metadata.get("kernelspec", {}).get("name")
    if kernel != "python3":
        found.append(f"kernelspec name is {kernel!r}, expected 'python3'")
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    if not code:
        found.append("has no code cells")
    counts = [c.get("execution_count") for c in code]
    if None in counts:
        missing = sum(c is None for c in counts)
        found.append(f"{missing} of {len(code)} code cells were never executed (no stored outputs)")
    elif counts != list(range(1, len(code) + 1)):
        found.append(f"cells were not executed once each, in order, from a fresh kernel: {counts}")
    if code and not any(c.get("outputs") for c in code):
        found.append("no code cell has a stored output")
    for c in code:
        for out in c.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"stores an error output: {out.get('ename')}: {out.get('evalue')}")
            if out.get("name") == "stderr":
                found.append(f"stores stderr output: {''.join(out.get('text', ''))[:80]!r}")
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            if re.search(r"\b0x[0-9a-f]{6,}\b", text):
                found.append(f"stores a memory address in an output: {text[:80]!r}")
            glued = out.get("data", {}).get("application/papermill.record/text/plain")
            if glued is not None:
                name = out.get("metadata", {}).get("scrapbook", {}).get("name", "?")
                if unrounded_numbers(glued, FULL_REPR_DIGITS):
                    found.append(f"glues {name} = {glued} unrounded: glue as_shown(x, fmt)")
            elif unrounded_numbers(text, FULL_REPR_DIGITS):
                first = unrounded_numbers(text, FULL_REPR_DIGITS)[0]
                found.append(f"prints a float in full, {first}: print as_text(x, fmt) instead")
    for i, c in enumerate(code, 1):
        tags = c.get("metadata", {}).get("tags", [])
        for line in c.source.splitlines():
            if len(line) > MAX_LINE:
                found.append(f"code cell {i} has a line of {len(line)} > {MAX_LINE} characters: {line[:60]!r}")
            if CHECK_TAG not in tags and _CHECK_LINE.search(line):
                found.append(f"code cell {i} asserts or glues outside a cell tagged '{CHECK_TAG}': {line.strip()[:60]!r}")
            for m in _SMALL_FONT.finditer(line):
                if m.group("name") or float(m.group("num")) < MIN_FONT_PT:
                    found.append(f"code cell {i} sets text below {MIN_FONT_PT} pt: {m.group(0)!r}")
        for out in c.get("outputs", []):
            png = out.get("data", {}).get("image/png")
            if png is None:
                continue
            raw = base64.b64decode("".join(png) if isinstance(png, list) else png)
            pixels = struct.unpack(">I", raw[16:20])[0]
            shown = out.get("metadata", {}).get("image/png", {}).get("width")
            # IPython records the shown width as pixels // 2 (an odd width loses its last pixel).
            if not shown or pixels // PNG_SCALE != shown:
                found.append(f"code cell {i} stores a PNG of {pixels} px shown at {shown}: "
                             "not 200 dpi (call softmaxlib.plotting.use_book_style())")
            if shown and shown > MAX_SHOWN_PX:
                found.append(f"code cell {i} stores a figure shown {shown} px wide: the column holds "
                             f"{MAX_SHOWN_PX}, so it is scaled down and its text drops below 10 pt")
            if not _opaque(raw):
                found.append(f"code cell {i} stores a PNG with a transparent background: "
                             "in dark mode its black text would vanish")
    if mark_checks(nbformat.from_dict(nb)):
        found.append("check cells are not marked for rendering: run tools/mark_checks.py on it")
    sources = "\n".join(c.source for c in code)
    if not re.search(r"^\s*(from softmaxlib\b|import softmaxlib\b)", sources, re.M):
        found.append("does not import softmaxlib")
    if not re.search(r"^\s*(assert\b|np\.testing\.)", sources, re.M):
        found.append("asserts nothing: a chapter must verify its claims")
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    assert problems(nb, path.relative_to(ROOT).as_posix(), toc_files()) == []


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no chapters"


# --- the checker catches what it should -----------------------------------------------------


def _good_notebook():
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_code_cell("from softmaxlib import softmax", execution_count=1),
        nbformat.v4.new_code_cell(
            "p = softmax([1.0, 2.0])\nassert abs(p.sum() - 1) < 1e-12\nprint(p.round(4))",
            execution_count=2,
            outputs=[nbformat.v4.new_output("stream", name="stdout", text="[0.2689 0.7311]\n")],
        ),
    ]
    nb.cells[1].metadata["tags"] = [CHECK_TAG]
    mark_checks(nb)
    return nb


LISTED = {"notebooks/00_demo"}


def test_checker_accepts_a_good_notebook():
    assert problems(_good_notebook(), "notebooks/00_demo.ipynb", LISTED) == []


def test_checker_rejects_cleared_outputs():
    nb = _good_notebook()
    for cell in nb.cells:
        cell.outputs, cell.execution_count = [], None
    assert any("never executed" in p for p in problems(nb, "notebooks/00_demo.ipynb", LISTED))


def test_checker_rejects_out_of_order_execution():
    nb = _good_notebook()
    nb.cells[0].execution_count, nb.cells[1].execution_count = 2, 1
    assert any("in order" in p for p in problems(nb, "notebooks/00_demo.ipynb", LISTED))


def test_checker_rejects_errors_unlisted_and_wrong_kernel():
    nb = _good_notebook()
    nb.cells[1].outputs.append(nbformat.v4.new_output("error", ename="AssertionError", evalue="", traceback=[]))
    nb.metadata["kernelspec"]["name"] = "other"
    found = problems(nb, "notebooks/99_unlisted.ipynb", LISTED)
    assert any("error output" in p for p in found)
    assert any("_toc.yml" in p for p in found)
    assert any("kernelspec" in p for p in found)


def test_checker_rejects_unrounded_glue_and_full_reprs():
    nb = _good_notebook()
    glue_out = nbformat.v4.new_output(
        "display_data",
        data={"application/papermill.record/text/plain": "1.575184905431158e-06"},
        metadata={"scrapbook": {"name": "ratio", "mime_prefix": "application/papermill.record/"}},
    )
    nb.cells[1].outputs.append(glue_out)
    nb.cells[1].outputs.append(
        nbformat.v4.new_output("stream", name="stdout", text="lse = 999.067247870432766\n"))
    found = problems(nb, "notebooks/00_demo.ipynb", LISTED)
    assert any("glues ratio" in p for p in found)
    assert any("prints a float in full" in p for p in found)
    glue_out.data["application/papermill.record/text/plain"] = "1.6e-06"
    nb.cells[1].outputs[-1].text = "lse = 999.067248, n = 4200017, W = 12345678901234567890\n"
    assert problems(nb, "notebooks/00_demo.ipynb", LISTED) == []


def test_significant_digits():
    assert [significant_digits(t) for t in ("0.0709", "2.220446049250313e-16", "1e-10", "100.0",
                                            "26800000000000.0", "-5.96e-08")] == [3, 16, 1, 1, 3, 3]


def test_checker_rejects_notebooks_that_neither_import_nor_assert():
    nb = _good_notebook()
    nb.cells[0].source = "import numpy as np"
    nb.cells[1].source = "print(np.pi)"
    found = problems(nb, "notebooks/00_demo.ipynb", LISTED)
    assert any("softmaxlib" in p for p in found)
    assert any("asserts nothing" in p for p in found)


def _png(width_px):
    """A stored PNG output whose header says it is ``width_px`` wide (the rest does not matter)."""
    header = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", width_px, 10)
    return base64.b64encode(header + b"\0" * 20).decode()


def _rgba_png(alpha):
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGBA", (4, 4), (255, 255, 255, alpha)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_checker_rejects_long_lines_small_fonts_and_blurry_figures():
    nb = _good_notebook()
    nb.cells[0].source = "from softmaxlib import softmax  # " + "x" * 60
    nb.cells.append(nbformat.v4.new_code_cell(
        "ax.legend(fontsize=8)\nax.set_title('t', fontsize='small')\nz = rng.normal(size=5)", execution_count=3,
        outputs=[nbformat.v4.new_output("display_data", data={"image/png": _png(640)},
                                        metadata={"image/png": {"width": 640}})]))
    found = problems(nb, "notebooks/00_demo.ipynb", LISTED)
    assert any("characters" in p for p in found)
    assert sum("below 10 pt" in p for p in found) == 2
    assert any("not 200 dpi" in p for p in found)
    nb.cells[2].outputs[0].data["image/png"] = _png(1400)
    nb.cells[2].outputs[0].metadata["image/png"]["width"] = 700
    assert any("shown 700 px wide" in p for p in problems(nb, "notebooks/00_demo.ipynb", LISTED))
    nb.cells[2].outputs[0].metadata["image/png"]["width"] = 640
    assert not _opaque(_rgba_png(alpha=0)) and _opaque(_rgba_png(alpha=255))
    nb.cells[0].source = "from softmaxlib import softmax"
    nb.cells[2].source = "ax.legend(fontsize=10)\nz = rng.normal(size=5)"
    nb.cells[2].outputs[0].data["image/png"] = _png(1281)  # odd: shown at 1281 // 2 = 640
    assert problems(nb, "notebooks/00_demo.ipynb", LISTED) == []


def test_checker_rejects_checks_in_teaching_cells_and_unmarked_check_cells():
    nb = _good_notebook()
    nb.cells[1].metadata["tags"] = []
    mark_checks(nb)
    found = problems(nb, "notebooks/00_demo.ipynb", LISTED)
    assert any("outside a cell tagged 'check'" in p for p in found)
    nb.cells[1].metadata["tags"] = [CHECK_TAG]
    assert any("not marked for rendering" in p for p in problems(nb, "notebooks/00_demo.ipynb", LISTED))
