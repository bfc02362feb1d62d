"""Exact references and error measurement: how the book checks that softmaxlib is accurate.

The references evaluate the formulas in mpmath at a working precision of ``dps`` decimal
digits (60 by default), far beyond float64's 16, on the floating-point inputs exactly as
given; the result is then the correctly rounded answer to compare against. Errors are
reported in units of the machine epsilon of the dtype under test, so "within 4 eps" means
the same thing for float16, float32 and float64.
"""

import math

import mpmath
import numpy as np

from ._validation import as_float_array

__all__ = ["exact_logsumexp", "exact_log_softmax", "exact_softmax", "error_in_eps"]


def _rows(x, axis):
    arr = as_float_array(x)
    if arr.dtype.kind == "c":
        raise TypeError(f"x must be real for the mpmath references, got {arr.dtype}")
    moved = np.moveaxis(np.atleast_1d(arr), axis, -1)
    return arr, moved


def _row_lse(row, ctx):
    """(top, log1p(s)) with log(sum(exp(row))) = top + log1p(s), for one row of floats.

    Splitting off the maximum keeps the reference's *relative* accuracy when one entry
    dominates: log(1 + 1e-300) would need 300 digits, log1p(1e-300) needs none.
    """
    terms = [ctx.mpf(float(v)) for v in row]
    if any(ctx.isnan(t) for t in terms):
        return ctx.nan, ctx.nan
    if any(t == ctx.inf for t in terms):
        return ctx.inf, ctx.zero
    finite = [t for t in terms if t != -ctx.inf]
    if not finite:
        return -ctx.inf, ctx.zero
    k = max(range(len(finite)), key=lambda i: finite[i])
    top = finite[k]
    s = ctx.fsum(ctx.exp(t - top) for i, t in enumerate(finite) if i != k)
    return top, ctx.log1p(s)


def _row_log_softmax(row, ctx):
    """The exact log-probabilities of one row of floats, as mpmath numbers.

    +inf entries share the probability equally (the limit as they grow together, as in
    :func:`softmaxlib.softmax`): each gets log(1/k) and every other entry -inf. A row with a
    NaN, or entirely -inf, has no probabilities: NaN.
    """
    top, log1p_s = _row_lse(row, ctx)
    terms = [ctx.mpf(float(v)) for v in row]
    if top == ctx.inf:
        k = sum(1 for t in terms if t == ctx.inf)
        return [-ctx.log(k) if t == ctx.inf else -ctx.inf for t in terms]
    if ctx.isnan(top) or top == -ctx.inf:
        return [ctx.nan] * len(terms)
    return [(t - top) - log1p_s for t in terms]


def exact_logsumexp(x, axis=-1, dps=60):
    """Return ``log(sum(exp(x)))`` along ``axis`` computed in mpmath, rounded to float64.

    Parameters
    ----------
    x : array_like
        Real input; its floating-point values are taken as exact.
    axis : int, optional
        The axis to reduce. The default, -1, is the last axis.
    dps : int, optional
        mpmath's working precision in decimal digits. The default, 60, leaves some 40
        digits of margin over float64. The maximum is split off (``max + log1p(s)``), so
        the relative accuracy holds even when one entry dominates by hundreds of orders.

    Returns
    -------
    lse : ndarray of float64
        The reduction, correctly rounded to float64 (up to a 1e-60 chance of a tie).

    Examples
    --------
    >>> from softmaxlib.accuracy import exact_logsumexp
    >>> print(float(exact_logsumexp([0.0, -40.0])))  # log(1 + e^-40) = e^-40 - ...
    4.248354255291589e-18
    """
    arr, moved = _rows(x, axis)
    ctx = mpmath.mp.clone()
    ctx.dps = dps
    flat = moved.reshape(math.prod(moved.shape[:-1]), moved.shape[-1])  # also for n = 0
    out = np.array([float(sum(_row_lse(r, ctx))) for r in flat], dtype=np.float64)
    return out.reshape(moved.shape[:-1])


def exact_log_softmax(x, axis=-1, dps=60):
    """Return ``log(softmax(x))`` along ``axis`` computed in mpmath, rounded to float64.

    Entries whose exact value is below float64's range come out as -inf. The edge cases
    follow :func:`softmaxlib.log_softmax`: +inf entries share the probability equally (each
    gets ``-log(k)`` for k of them, every other entry -inf), and a slice holding a NaN or
    entirely -inf gives NaN. Parameters as for :func:`exact_logsumexp`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.accuracy import exact_log_softmax
    >>> print(exact_log_softmax(np.array([0.0] + [-40.0] * 999))[:2])
    [-4.2441059e-15 -4.0000000e+01]
    """
    arr, moved = _rows(x, axis)
    ctx = mpmath.mp.clone()
    ctx.dps = dps
    flat = moved.reshape(math.prod(moved.shape[:-1]), moved.shape[-1])  # also for n = 0
    out = np.array([[float(v) for v in _row_log_softmax(r, ctx)] for r in flat],
                   dtype=np.float64).reshape(flat.shape)
    return np.moveaxis(out.reshape(moved.shape), -1, axis)


def exact_softmax(x, axis=-1, dps=60):
    """Return ``softmax(x)`` along ``axis`` computed in mpmath, rounded to float64.

    The edge cases follow :func:`softmaxlib.softmax`: +inf entries share the probability
    equally and every other entry gets 0; a slice holding a NaN or entirely -inf gives NaN.
    Parameters as for :func:`exact_logsumexp`.

    Examples
    --------
    >>> from softmaxlib.accuracy import exact_softmax
    >>> print(exact_softmax([0.0, 1.0, 2.0, 3.0]))  # scipy's test case
    [0.0320586  0.08714432 0.23688282 0.64391426]
    """
    arr, moved = _rows(x, axis)
    ctx = mpmath.mp.clone()
    ctx.dps = dps
    flat = moved.reshape(math.prod(moved.shape[:-1]), moved.shape[-1])  # also for n = 0
    out = np.array([[float(ctx.exp(v)) for v in _row_log_softmax(r, ctx)] for r in flat],
                   dtype=np.float64).reshape(flat.shape)
    return np.moveaxis(out.reshape(moved.shape), -1, axis)


def error_in_eps(computed, exact, dtype=None):
    """Return the relative error ``|computed - exact| / |exact|`` in units of machine epsilon.

    Parameters
    ----------
    computed, exact : array_like
        The values to compare. ``exact`` is usually float64 from the mpmath references
        above. One may broadcast to the shape of the other (a scalar ``exact``, say), but
        two shapes that would broadcast to something larger than both, such as (3,) and
        (3, 1), are refused: that is an outer comparison, never what was meant.
    dtype : dtype, optional
        Whose epsilon is the unit. The default, None, takes the dtype of ``computed``, which
        must then be a real floating-point type.

    Returns
    -------
    err : ndarray of float64
        Never negative: 0 where both agree exactly (including equal infinities and both
        NaN), inf where only one is NaN or infinite, and the relative error over eps
        elsewhere; where the exact value is 0 the absolute error is used instead.

    Raises
    ------
    TypeError
        If the unit has no machine epsilon: ``dtype`` (or, when it is None, the dtype of
        ``computed``) is not a real floating-point type, e.g. an integer; or ``computed``
        or ``exact`` is complex.
    ValueError
        If the shapes of ``computed`` and ``exact`` do not broadcast to one of them.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.accuracy import error_in_eps
    >>> print(error_in_eps(np.float32(0.0), -4.3854664851156856e-08))  # scipy on [16.942385, 0]
    8388608.0
    """
    c = np.asarray(computed)
    e = np.asarray(exact)
    for name, a in (("computed", c), ("exact", e)):
        if a.dtype.kind == "c":
            raise TypeError(f"{name} must be real, got {a.dtype}")
    unit = np.dtype(c.dtype if dtype is None else dtype)
    if unit.kind != "f":
        which = "the dtype of computed" if dtype is None else "dtype"
        raise TypeError(
            f"{which} must be a real floating-point type (whose eps is the unit), got {unit}"
        )
    try:
        shape = np.broadcast_shapes(c.shape, e.shape)
    except ValueError:
        shape = None
    if shape not in (c.shape, e.shape):
        raise ValueError(
            f"computed and exact must have the same shape, or one broadcast to the other; "
            f"got {c.shape} and {e.shape}"
        )
    eps = np.finfo(unit).eps
    c, e = np.broadcast_arrays(c.astype(np.float64), e.astype(np.float64))
    same = (c == e) | (np.isnan(c) & np.isnan(e))
    finite = np.isfinite(c) & np.isfinite(e)
    with np.errstate(all="ignore"):
        scale = np.where(e == 0, 1.0, np.abs(e))
        rel = np.abs(c - e) / scale / eps
    return np.where(same, 0.0, np.where(finite, rel, np.inf))
