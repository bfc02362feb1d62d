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

from softmaxlib.bounds import sum_roundings

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


# --------------------------------------------------------------------------------------------
# The input distributions of the benchmark (bench/bench_softmax.py), in one place: the tests
# check correctness on exactly these (tests/test_core.py and tests/test_fused.py), the benchmark
# times them. Plain numpy, seeded: no Hypothesis here.

#: Name -> what the rows look like, in the order the benchmark prints them.
DISTRIBUTIONS = {
    "N(0,1)": "standard normal scores",
    "N(0,5)": "normal, standard deviation 5",
    "N(0,30)": "normal, sd 30: one entry dominates most rows (ill-conditioned in float64)",
    "N(0,1000)": "normal, sd 1000: almost every row is one-hot",
    "mask 10%": "N(0,5) with 10% of entries -inf (random mask)",
    "mask 50%": "N(0,5) with 50% of entries -inf (random mask)",
    "causal": "N(0,5), entry j of row i kept only for j <= i mod n (lower-triangular mask)",
    "all -inf rows": "N(0,5) with every 8th row entirely -inf (fully masked: NaN by definition)",
    "digits logits": "proxy for the digits network's logits: N(0,2) plus a margin N(12,3) on one"
    " class per row (a confident classifier)",
    "full range": "sign * 10**U(-30, log10(max/4)): every magnitude the dtype holds",
}


def bench_distribution(name, shape, dtype, seed=0):
    """One array of scores of ``shape`` and ``dtype`` drawn from the distribution ``name``.

    ``name`` is a key of :data:`DISTRIBUTIONS`; the rows run along the last axis. The same
    ``seed`` gives the same array on every machine (numpy's default_rng, then one rounding).
    """
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    rows, n = int(np.prod(shape[:-1], dtype=np.int64)), shape[-1]
    if name in ("N(0,1)", "N(0,5)", "N(0,30)", "N(0,1000)"):
        x = float(name[4:-1]) * rng.standard_normal((rows, n))
    elif name.startswith("mask"):
        x = 5.0 * rng.standard_normal((rows, n))
        x[rng.random((rows, n)) < float(name[5:-1]) / 100] = -np.inf
    elif name == "causal":
        x = 5.0 * rng.standard_normal((rows, n))
        x[np.arange(n)[None, :] > (np.arange(rows) % n)[:, None]] = -np.inf
    elif name == "all -inf rows":
        x = 5.0 * rng.standard_normal((rows, n))
        x[::8] = -np.inf
    elif name == "digits logits":
        x = 2.0 * rng.standard_normal((rows, n))
        x[np.arange(rows), rng.integers(0, n, rows)] += 12.0 + 3.0 * rng.standard_normal(rows)
    elif name == "full range":
        top = np.log10(float(np.finfo(dtype).max) / 4)
        x = 10.0 ** rng.uniform(-30.0, top, (rows, n)) * rng.choice([-1.0, 1.0], (rows, n))
    else:
        raise ValueError(f"name must be one of {list(DISTRIBUTIONS)}, got {name!r}")
    return x.astype(dtype).reshape(shape)


# --------------------------------------------------------------------------------------------
# Error bounds, in eps of the result's dtype, derived from the operation count (first order in
# u = eps/2; the neglected terms are below 1e-12 eps for every n the tests use). Each bound is
# the sum of the worst cases of the steps, so no machine can exceed it, whatever its SIMD path.
#
# Ingredients:
# * numpy's float64 exp, log and log1p are within 1 ulp on every SIMD path (the ulperr column
#   of numpy/_core/tests/data/umath-validation-set-{exp,log,log1p}.csv, which numpy's
#   test_umath_accuracy.py enforces): a relative error of at most eps. glibc's log1p, which
#   the numba kernels call, is within 1 ulp too (glibc's libm-test-ulps for x86_64).
# * The fused kernels' own exp (Cody-Waite reduction, Taylor polynomial by FMA Horner) is within
#   1 ulp: the truncation is below 0.04 eps, the Horner roundings add up to under 0.8 u
#   (|y| <= ln2/2 scales the earlier ones down) and the reduction's rounding of y costs
#   u |y| < 0.2 u.
# * Each shifted term carries the TwoSum correction of x - max (float64; numpy computes it with
#   Dekker's Fast2Sum where that is exact, which gives the same number), applied in one
#   rounding (u); in float64 rows where every |x - max| < softmaxlib.core._SHIFT_SPREAD = 2
#   it is skipped instead, and the rounding of x - max (half an ulp of a number below 2) costs
#   at most u. Either way a term is within 1.5 eps; the numpy bounds below allot it 2.
# * numpy sums a contiguous row pairwise (numpy/_core/src/umath/loops_utils.h.src): 8
#   accumulators over blocks of up to 128, halves above that. An element passes through at most
#   pairwise_depth(n) roundings, and a sum of positive terms is then within that many u.
# * The fused kernels sum blocks of 16 in any order (at most 15 roundings) and add the block
#   sums with TwoSum (Sum2: one more u): 16 u = 8 eps for every n.
# * float16/float32 results are computed in float64 and rounded once: 0.5 eps of the dtype plus
#   the float64 error, which is below 1e-3 of float32's eps (see narrow_bound).


def pairwise_depth(n):
    """The most roundings an element goes through in numpy's pairwise sum of ``n`` terms."""
    return sum_roundings(n)  # softmaxlib.bounds, which the notebooks use too


#: float16/float32 results: one rounding (0.5 eps) plus the float64 work, whose relative error
#: is at most (720 + 30) * 2**-52 * 2**10 < 2e-10 (log_softmax's direct path divides the
#: absolute error of log(S'), at most (|log S'| <= 720, plus 30 for exp and the sum) eps64, by
#: |log p| >= 2**-10), i.e. under 2e-3 of float32's eps.
NARROW_BOUND = 0.5 + 2e-3


def softmax_bound(n, dtype, *, fused=False):
    """Relative error bound (eps) of softmax over rows of ``n`` entries in ``dtype``.

    float64: the term itself (2 eps numpy, 1.5 kernel) + the sum s of the others (the terms'
    error, plus pairwise_depth(n) u, or 8 eps in the kernel) + rounding 1 + s (u) + the
    division (u). Both paths sum the maximal term (exactly 1) with the others, so 1 + s is
    not rounded separately: that u is spare.
    """
    if np.dtype(dtype) != np.float64:
        return NARROW_BOUND
    if fused:
        return 1.5 + (1.5 + 8.0) + 0.5 + 0.5
    return 2.0 + (2.0 + pairwise_depth(n) / 2) + 0.5 + 0.5


def log_softmax_bound(n, dtype, *, fused=False):
    """Relative error bound (eps) of log_softmax over rows of ``n`` entries in ``dtype``.

    float64: y_i = fl(x_i - max) - log1p(s). |y_i| = |x_i - max| + log1p(s), so the rounding of
    the difference (u |x_i - max|) is at most u of |y_i|; log1p(s) is within (error of s) + eps
    of itself, since log1p(s(1 + r)) - log1p(s) <= r s / (1 + s) <= r log1p(s); the final
    subtraction adds u. numpy's path corrects the shifts only in dominated rows (s < 1, where
    log1p(s) is as accurate as s); elsewhere log1p(s) >= log 2, and the uncorrected shifts move
    it by at most u E_p[max - x] <= u ln(n) (E_p[max - x] = ln p_max + H(p) <= ln n): relative
    to |y_i| >= log 2 that is 0.5 log2(n) eps more.
    """
    if np.dtype(dtype) != np.float64:
        return NARROW_BOUND
    if fused:
        return 0.5 + (1.5 + 8.0 + 1.0) + 0.5
    return 0.5 + (2.0 + pairwise_depth(n) / 2 + 1.0) + 0.5 + 0.5 * np.log2(max(n, 1))
