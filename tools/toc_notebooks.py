"""Print the notebooks listed in _toc.yml, in reading order (the ones the book executes)."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def files(node):
    if isinstance(node, dict):
        if "file" in node:
            yield node["file"]
        for value in node.values():
            yield from files(value)
    elif isinstance(node, list):
        for value in node:
            yield from files(value)


if __name__ == "__main__":
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    print(" ".join(f + ".ipynb" for f in files(toc) if (ROOT / (f + ".ipynb")).exists()))
