"""Hypothesis strategies shared by the test modules (others may append theirs).

The strategies draw arrays of scores in float16, float32 or float64, shapes with one to three
axes of one to eight entries, and an ``axis`` argument that is an int, a tuple of ints or
None. Magnitudes range from tiny (1e-30) to about 1e300, so that both the underflow and the
overflow regimes are exercised: a fixed "scale" per array keeps the spread of the entries
realistic (some within exp's range of each other, some not).
"""

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

FLOAT_DTYPES = (np.float16, np.float32, np.float64)

#: Scales of the scores: tiny, moderate, beyond exp's range, and near the largest floats.
SCALES = (1e-30, 1e-3, 1.0, 10.0, 100.0, 1e4, 1e30, 1e300)


@st.composite
def float_dtypes(draw):
    """One of float16, float32, float64."""
    return np.dtype(draw(st.sampled_from(FLOAT_DTYPES)))


@st.composite
def shapes(draw, min_dims=1, max_dims=3, min_side=1, max_side=8):
    """An array shape with ``min_dims`` to ``max_dims`` axes of ``min_side`` to ``max_side``."""
    return draw(
        hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)
    )


@st.composite
def axes_for(draw, ndim):
    """An ``axis`` argument for an array of ``ndim`` dimensions: int, tuple of ints, or None."""
    kind = draw(st.sampled_from(["int", "tuple", "none"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    # Mix positive and negative spellings of the same axes.
    return tuple(a - ndim if draw(st.booleans()) else a for a in chosen)


@st.composite
def finite_scores(draw, dtype=None, shape=None, scales=SCALES):
    """A finite array of scores: standard-normal-like entries times one drawn scale.

    The values are drawn by Hypothesis (so it can shrink them), as floats in [-1, 1] times a
    scale, then rounded to the dtype; scales the dtype cannot hold are clipped to its range.
    """
    dtype = draw(float_dtypes()) if dtype is None else np.dtype(dtype)
    shape = draw(shapes()) if shape is None else shape
    info = np.finfo(dtype)
    scale = min(draw(st.sampled_from(scales)), float(info.max) / 4)
    unit = draw(
        hnp.arrays(
            np.float64,
            shape,
            elements=st.floats(-1.0, 1.0, allow_nan=False, allow_infinity=False, width=64),
        )
    )
    x = (unit * scale).astype(dtype)
    return x


@st.composite
def scores_and_axis(draw, dtype=None, scales=SCALES, max_side=8):
    """A pair (x, axis) of finite scores and a valid axis argument for them."""
    shape = draw(shapes(max_side=max_side))
    x = draw(finite_scores(dtype=dtype, shape=shape, scales=scales))
    return x, draw(axes_for(x.ndim))


@st.composite
def dominated_rows(draw, dtype=None, max_n=12):
    """A 1-D row in which one entry dominates the rest by ``gap`` (10 to 700 in float64).

    These are the rows where ``log(1 + s)`` loses ``s``: the shape of the issue's
    ``[0, -40, ..., -40]`` and ``[16.942385, 0]`` examples, with random offsets and spreads.
    """
    dtype = draw(float_dtypes()) if dtype is None else np.dtype(dtype)
    n = draw(st.integers(2, max_n))
    top_gap = {"float16": 10.0, "float32": 80.0, "float64": 700.0}[dtype.name]
    gap = draw(st.floats(1.0, top_gap))
    offset = draw(st.floats(-50.0, 50.0))
    rest = draw(
        hnp.arrays(np.float64, n - 1, elements=st.floats(0.0, 5.0, allow_nan=False, width=64))
    )
    k = draw(st.integers(0, n - 1))
    x = np.insert(offset - gap - rest, k, offset)
    return x.astype(dtype)
