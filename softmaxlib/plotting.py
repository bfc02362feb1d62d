"""One figure style for the whole book: a colour-blind-safe palette and plain axes.

Every chapter calls :func:`use_book_style` in its first cell and takes colours from
:data:`PALETTE`. Captions and alt text are given in each figure cell's ``mystnb`` metadata.
"""

import matplotlib as mpl

__all__ = ["PALETTE", "MIN_FONT_PT", "PNG_DPI", "LANGUAGES", "JAPANESE_FONT", "use_book_style", "color", "draw_in", "show_figure"]

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


#: The smallest font size, in points at the size the figure is shown, that the book uses.
MIN_FONT_PT = 10

#: Pixels per inch of the PNG the notebook stores: 200, drawn as "retina" PNG (twice the pixels,
#: shown at the figure's size in inches at 100 px per inch), so figures are sharp on any screen and
#: their text is shown at its size in points. PNG, not SVG: nbval compares an SVG's text, which
#: changes with the last bit of a plotted float, while it skips PNG.
PNG_DPI = 200


def use_book_style():
    """Set matplotlib's defaults for the book: palette, size, fonts, no top/right spines.

    Text is never smaller than :data:`MIN_FONT_PT` points, and in a notebook figures are stored
    as PNG at :data:`PNG_DPI` pixels per inch. The settings are deterministic (fixed DPI, no date
    stamps in the image metadata), so a figure drawn twice is drawn the same.

    Examples
    --------
    >>> import matplotlib as mpl
    >>> from softmaxlib.plotting import MIN_FONT_PT, PALETTE, use_book_style
    >>> use_book_style()
    >>> mpl.rcParams["axes.prop_cycle"].by_key()["color"][0] == PALETTE["blue"]
    True
    >>> mpl.rcParams["legend.fontsize"] >= MIN_FONT_PT
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
            "figure.dpi": PNG_DPI // 2,
            "savefig.dpi": PNG_DPI,
            # An opaque white page: the figure reads the same in the book's dark mode.
            "figure.facecolor": "white",
            "savefig.facecolor": "white",
            "font.size": 11,
            "axes.titlesize": 11,
            "axes.labelsize": 11,
            "xtick.labelsize": MIN_FONT_PT,
            "ytick.labelsize": MIN_FONT_PT,
            "legend.fontsize": MIN_FONT_PT,
            "legend.title_fontsize": MIN_FONT_PT,
            "figure.titlesize": 12,
            "legend.frameon": False,
            "svg.hashsalt": "softmax-verified",
        }
    )
    _use_retina_png()


def _use_retina_png():
    """In IPython, store figures as PNG at twice figure.dpi, shown at the figure's own size."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # plain Python: nothing is displayed inline
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


#: The book's editions and the font family their figure text is drawn in. Japanese text uses
#: IPAexGothic from the PyPI package matplotlib-fontja (read from its file, never imported: the
#: package switches matplotlib's font for everything on import).
LANGUAGES = ("en", "ja")
JAPANESE_FONT = "IPAexGothic"


def _japanese_font_ready():
    """Register IPAexGothic with matplotlib (once); return False if the font is not installed."""
    import importlib.util
    from pathlib import Path

    from matplotlib import font_manager

    if any(f.name == JAPANESE_FONT for f in font_manager.fontManager.ttflist):
        return True
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        return False
    path = Path(spec.submodule_search_locations[0]) / "fonts" / "ipaexg.ttf"
    if not path.exists():
        return False
    font_manager.fontManager.addfont(str(path))
    return True


def draw_in(language, draw, labels):
    """Return the figure ``draw(labels[language])`` draws, its text in that language's font.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from softmaxlib.plotting import draw_in
    >>> def draw(t):
    ...     fig, ax = plt.subplots()
    ...     ax.set_xlabel(t["x"])
    ...     return fig
    >>> fig = draw_in("ja", draw, {"en": {"x": "score"}, "ja": {"x": "スコア"}})
    >>> fig.axes[0].get_xlabel()
    'スコア'
    >>> plt.close(fig)
    """
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
    if set(labels) != set(LANGUAGES):
        raise ValueError(f"labels must give the figure's text in each of {LANGUAGES}, got {sorted(labels)}")
    if set(labels["en"]) != set(labels["ja"]):
        raise ValueError(f"labels: the keys differ between languages: {sorted(set(labels['en']) ^ set(labels['ja']))}")
    if language == "en":
        return draw(labels["en"])
    with _japanese_text():
        return draw(labels["ja"])


def _japanese_text():
    """A matplotlib context whose text is drawn in IPAexGothic (DejaVu Sans for what it lacks)."""
    if not _japanese_font_ready():
        raise RuntimeError("the Japanese font is missing: pip install matplotlib-fontja")
    # Named families, not the generic "sans-serif": each text keeps them when drawn later.
    return mpl.rc_context({"font.family": [JAPANESE_FONT, "DejaVu Sans"]})


def show_figure(draw, labels, *, name):
    """Show a figure in English and keep its Japanese drawing for the Japanese edition.

    ``draw(t)`` draws the figure with the strings of ``t`` (axis labels, legend entries,
    titles) and returns it; ``labels`` maps each language ("en", "ja") to its strings, with the
    same keys. The English figure is displayed as the cell's image; the Japanese one is glued,
    not displayed, under ``name + "__ja"``, where tools/ja_edition.py finds it and shows it in
    that edition instead. ``name`` is the figure's name in the cell's mystnb metadata.

    Examples
    --------
    In a notebook the English figure appears as the cell's image; in plain Python, its repr:

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> from softmaxlib.plotting import show_figure
    >>> def draw(t):
    ...     fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ...     ax.set_xlabel(t["x"])
    ...     return fig
    >>> show_figure(draw, {"en": {"x": "score"}, "ja": {"x": "スコア"}}, name="fig-demo")
    Figure(400x300)
    """
    import matplotlib.pyplot as plt
    from IPython.display import display
    from myst_nb import glue

    english = draw_in("en", draw, labels)
    display(english)
    plt.close(english)
    with _japanese_text():  # the PNG is rendered inside glue(): keep the font until then
        japanese = draw_in("ja", draw, labels)
        glue(f"{name}__ja", japanese, display=False)
    plt.close(japanese)
