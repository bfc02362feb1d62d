"""Give every check cell of a notebook the same rendering: collapsed under "Check".

A check cell is a code cell tagged ``check``: it asserts the claim the text has just made (and
glues the numbers the prose shows). The reader sees the teaching code; the checks stay executed
and one click away. This script adds, to every cell tagged ``check``, the ``hide-input`` tag and
the myst-nb prompts, and removes them from cells no longer tagged. It rewrites the notebook only if
something changed; outputs are untouched (myst-nb reads these at render time, not execution).

    python tools/mark_checks.py notebooks/*.ipynb
    python tools/mark_checks.py --check notebooks/*.ipynb   # exit 1 if a notebook needs marking
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

TAG = "check"
PROMPTS = {"code_prompt_show": "Check", "code_prompt_hide": "Hide check"}


def mark(nb: dict) -> bool:
    """Mark the check cells of ``nb`` in place; return True if anything changed."""
    changed = False
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        meta = cell.setdefault("metadata", {})
        tags = meta.get("tags", [])
        mystnb = meta.get("mystnb", {})
        if TAG in tags:
            want_tags = tags if "hide-input" in tags else [*tags, "hide-input"]
            want_mystnb = {**mystnb, **PROMPTS}
        else:
            want_tags = tags
            want_mystnb = {k: v for k, v in mystnb.items() if k not in PROMPTS}
        if want_tags != tags:
            meta["tags"] = want_tags
            changed = True
        if want_mystnb != mystnb:
            if want_mystnb:
                meta["mystnb"] = want_mystnb
            else:
                meta.pop("mystnb", None)
            changed = True
    return changed


def main(argv: list[str]) -> int:
    check_only = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"]
    stale = []
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        if mark(nb):
            stale.append(path)
            if not check_only:
                path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for path in stale:
        print(f"{'needs marking' if check_only else 'marked'}: {path}")
    return 1 if check_only and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
