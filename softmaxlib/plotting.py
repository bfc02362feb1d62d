"""One figure style for the whole book: a colour-blind-safe palette and plain axes.

Every chapter calls :func:`use_book_style` in its first cell and takes colours from
:data:`PALETTE`. Captions and alt text are given in each figure cell's ``mystnb`` metadata.
"""

import matplotlib as mpl

__all__ = ["PALETTE", "use_book_style", "color"]

#: The Okabe–Ito palette (Okabe & Ito, 2008), distinguishable under the common colour-vision
#: deficiencies. Black is left out so that it stays free for reference lines.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "grey": "#999999",
}


def color(i):
    """Return the i-th colour of the palette, cycling.

    Examples
    --------
    >>> from softmaxlib.plotting import color
    >>> color(0), color(8)
    ('#0072B2', '#0072B2')
    """
    values = list(PALETTE.values())
    return values[i % len(values)]


def use_book_style():
    """Set matplotlib's defaults for the book: palette, size, fonts, no top/right spines.

    The settings are deterministic (fixed DPI, no date stamps in SVG/PNG metadata), so a
    figure drawn twice is drawn the same.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> from softmaxlib.plotting import PALETTE, use_book_style
    >>> use_book_style()
    >>> mpl.rcParams["axes.prop_cycle"].by_key()["color"][0] == PALETTE["blue"]
    True
    """
    mpl.rcParams.update(
        {
            "axes.prop_cycle": mpl.cycler(color=list(PALETTE.values())),
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 100,
            "savefig.dpi": 100,
            "font.size": 11,
            "legend.frameon": False,
            "svg.hashsalt": "softmax-verified",
        }
    )
