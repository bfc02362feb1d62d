"""softmaxlib.plotting: the book's figure style and its figures in two languages."""

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from softmaxlib import plotting  # noqa: E402

LABELS = {"en": {"x": "score", "title": "Softmax"}, "ja": {"x": "スコア", "title": "ソフトマックス関数"}}


def _draw(t):
    fig, ax = plt.subplots()
    ax.set_xlabel(t["x"])
    ax.set_title(t["title"])
    return fig


class TestUseBookStyle:
    def test_no_text_below_the_minimum_size(self):
        plotting.use_book_style()
        sizes = {k: mpl.rcParams[k] for k in ("font.size", "xtick.labelsize", "ytick.labelsize",
                                               "legend.fontsize", "axes.titlesize", "axes.labelsize")}
        points = {k: v if isinstance(v, float) else mpl.font_manager.FontProperties(size=v).get_size_in_points()
                  for k, v in sizes.items()}
        assert min(points.values()) >= plotting.MIN_FONT_PT

    def test_figures_are_stored_at_200_dpi_on_an_opaque_page(self):
        plotting.use_book_style()
        assert mpl.rcParams["savefig.dpi"] == plotting.PNG_DPI == 2 * mpl.rcParams["figure.dpi"]
        assert mpl.colors.to_rgba(mpl.rcParams["savefig.facecolor"])[3] == 1.0


class TestDrawIn:
    def test_english_text_in_the_default_font(self):
        fig = plotting.draw_in("en", _draw, LABELS)
        assert fig.axes[0].get_xlabel() == "score"
        plt.close(fig)

    def test_japanese_text_in_a_japanese_font_with_every_glyph(self, recwarn):
        fig = plotting.draw_in("ja", _draw, LABELS)
        title = fig.axes[0].title
        assert title.get_text() == "ソフトマックス関数"
        assert title.get_fontfamily()[0] == plotting.JAPANESE_FONT
        fig.canvas.draw()  # drawing after the call still uses the Japanese font
        plt.close(fig)
        assert not [w for w in recwarn if "missing from font" in str(w.message)]

    @pytest.mark.parametrize(
        "labels, match",
        [
            ({"en": {"x": "a", "title": "b"}}, "each of"),
            ({"en": {"x": "a", "title": "b"}, "ja": {"x": "あ"}}, "keys differ"),
        ],
    )
    def test_labels_must_cover_both_languages_with_the_same_keys(self, labels, match):
        with pytest.raises(ValueError, match=match):
            plotting.draw_in("ja", _draw, labels)

    def test_unknown_language(self):
        with pytest.raises(ValueError, match="language must be one of"):
            plotting.draw_in("fr", _draw, LABELS)
