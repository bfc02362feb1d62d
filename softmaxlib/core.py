"""Softmax, log-softmax, logsumexp and hardmax, computed without overflow.

All four reduce along ``axis`` (an int, a tuple of ints or None for every element). Integer
input becomes float64; float16, float32 and float64 keep their dtype, the first two being
computed in float64 and rounded once at the end.

The real-valued path follows Blanchard, Higham & Higham (2021), Algorithm 4.1: with ``k`` the
index of the maximum and ``s = sum_{i != k} exp(x_i - x_k)``,

    logsumexp(x)   = x_k + log1p(s)
    softmax(x)     = exp(x - x_k) / (1 + s)
    log_softmax(x) = (x - x_k) - log1p(s)

Using ``log1p(s)`` rather than ``log(1 + s)`` keeps the log-probability of a dominant entry
accurate when ``s`` is tiny.
"""

import numpy as np

from ._validation import as_float_array, check_temperature, normalize_axes, working_dtype

__all__ = ["softmax", "log_softmax", "logsumexp", "hardmax"]


# --------------------------------------------------------------------------------------------
# Reshaping: every reduction is done along the last axis of a (..., n) array.


def _to_rows(x, axis):
    """Move the reduced axes of ``x`` to the end and merge them into one axis of length n.

    Returns the (..., n) array and a function that maps a (..., n) result back to the
    shape of ``x`` (or, with ``reduced=True``, a (..., 1) result to the keepdims shape).
    """
    if x.ndim == 0:
        # A scalar is a single element: only the whole-array axes make sense for it.
        if axis not in (None, -1, 0, ()):
            normalize_axes(axis, 0)  # raises the usual AxisError
        rows = x.reshape(1)

        def restore(r, reduced=False):
            return r.reshape(())

        return rows, restore

    axes = normalize_axes(axis, x.ndim)
    dest = tuple(range(x.ndim - len(axes), x.ndim))
    moved = np.moveaxis(x, axes, dest)
    kept_shape = moved.shape[: x.ndim - len(axes)]
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    rows = moved.reshape(kept_shape + (n,))

    def restore(r, reduced=False):
        if reduced:
            keep = tuple(1 if i in axes else s for i, s in enumerate(x.shape))
            return r.reshape(keep)
        return np.moveaxis(r.reshape(moved.shape), dest, axes)

    return rows, restore


# --------------------------------------------------------------------------------------------
# The shared kernel.


def _real_kernel(w):
    """For real (..., n) ``w`` with n > 0 return (m, shifted, e, s), each row shifted by its max.

    ``e`` is exp(shifted) and ``s`` the sum of ``e`` without the maximum's own term (which is
    exactly 1). Rows whose maximum is not finite are left for :func:`_fix_nonfinite`.
    """
    m = np.max(w, axis=-1, keepdims=True)
    k = np.argmax(w, axis=-1, keepdims=True)
    finite = np.isfinite(m)
    m_safe = np.where(finite, m, 0.0).astype(w.dtype, copy=False)
    # x - m may overflow to -inf for |x| near the largest float: exp(-inf) = 0 is right.
    with np.errstate(over="ignore", invalid="ignore"):
        shifted = w - m_safe
        e = np.exp(shifted)
    np.put_along_axis(e, k, 0.0, axis=-1)
    s = e.sum(axis=-1, keepdims=True)
    np.put_along_axis(e, k, 1.0, axis=-1)
    return m, shifted, e, s


def _nonfinite_rows(w, m):
    """Masks of the rows whose max is NaN, -inf (all -inf) and +inf."""
    return np.isnan(m), m == -np.inf, m == np.inf


def _complex_kernel(w):
    """Shift by the maximum real part; the imaginary parts ride along analytically."""
    m = np.max(w.real, axis=-1, keepdims=True)
    m_safe = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        shifted = w - m_safe
        e = np.exp(shifted)
        total = e.sum(axis=-1, keepdims=True)
    return m, shifted, e, total


def _prepare(x, axis, temperature=None):
    arr = as_float_array(x)
    rows, restore = _to_rows(arr, axis)
    wdt = working_dtype(arr.dtype)
    w = rows.astype(wdt, copy=False)
    if temperature is not None:
        t = check_temperature(temperature)
        if t != 1.0:
            w = w / t
    return arr.dtype, w, restore


# --------------------------------------------------------------------------------------------
# Public functions.


def softmax(x, axis=-1, *, temperature=1.0):
    r"""Compute the softmax of ``x`` along ``axis``, without overflow.

    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i/T}}{\sum_j e^{x_j/T}}

    Parameters
    ----------
    x : array_like
        Scores (logits). Integers are converted to float64; float16, float32, float64 and
        complex dtypes are kept.
    axis : int, tuple of ints or None, optional
        The axis or axes along which the probabilities sum to 1. The default, -1, is the
        last axis; None means every element of ``x`` at once.
    temperature : float, optional
        The temperature T > 0 that divides the scores. The default, 1.0, is plain softmax;
        small T approaches :func:`hardmax` and large T the uniform distribution.

    Returns
    -------
    p : ndarray
        Probabilities of the same shape and dtype as ``x`` (float64 for integer input).
        Each slice along ``axis`` lies in [0, 1] and sums to 1.

    Raises
    ------
    TypeError
        If ``x`` holds booleans, strings or objects, or ``temperature`` is not a real number.
    ValueError
        If ``temperature`` is not positive and finite.
    numpy.exceptions.AxisError
        If ``axis`` is out of range.

    Notes
    -----
    The scores are shifted by their maximum, which changes nothing in exact arithmetic
    (softmax is shift invariant) but keeps every exponent at or below 0, so no finite input
    overflows. Edge cases:

    * a NaN anywhere in a slice makes that whole slice NaN;
    * +inf entries share the probability equally (the limit as they grow together) and every
      finite entry gets 0;
    * a slice that is entirely -inf has no defined probabilities and gives NaN, as in scipy
      and PyTorch;
    * a slice of length 0 gives an empty result of the same shape.

    References
    ----------
    Blanchard, Higham & Higham (2021), "Accurately computing the log-sum-exp and softmax
    functions", IMA Journal of Numerical Analysis 41(4).

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import softmax
    >>> p = softmax([2.0, 4.0, 2.0, 1.0])
    >>> print(np.round(p, 4))
    [0.1025 0.7573 0.1025 0.0377]
    >>> print(float(p.sum()))
    1.0

    Scores far beyond exp's range are no problem, because only differences matter:

    >>> print(np.round(softmax([1000.0, 1001.0, 1002.0]), 4))
    [0.09   0.2447 0.6652]
    """
    dtype, w, restore = _prepare(x, axis, temperature)
    if w.shape[-1] == 0:
        return restore(w.copy()).astype(dtype, copy=False)
    if w.dtype.kind == "c":
        _, _, e, total = _complex_kernel(w)
        out = e / total
    else:
        m, _, e, s = _real_kernel(w)
        out = e / (1.0 + s)
        nan_rows, neg_rows, pos_rows = _nonfinite_rows(w, m)
        if pos_rows.any():
            top = w == np.inf
            count = top.sum(axis=-1, keepdims=True)
            out = np.where(pos_rows, top / np.maximum(count, 1), out)
        out = np.where(nan_rows | neg_rows, np.nan, out)
    return restore(out).astype(dtype, copy=False)


def log_softmax(x, axis=-1, *, temperature=1.0):
    r"""Compute the logarithm of the softmax of ``x`` along ``axis``, accurately.

    .. math:: \log\operatorname{softmax}(x)_i = x_i/T - \log\sum_j e^{x_j/T}

    Parameters
    ----------
    x : array_like
        Scores (logits). Integers are converted to float64; float16, float32, float64 and
        complex dtypes are kept.
    axis : int, tuple of ints or None, optional
        The axis or axes of the distribution. The default, -1, is the last axis; None means
        every element of ``x`` at once.
    temperature : float, optional
        The temperature T > 0 that divides the scores. The default, 1.0, is plain log-softmax.

    Returns
    -------
    logp : ndarray
        Log-probabilities, all at most 0, of the same shape and dtype as ``x`` (float64 for
        integer input). ``exp(logp)`` sums to 1 along ``axis``.

    Notes
    -----
    Computing ``np.log(softmax(x))`` fails twice: a probability that underflows to 0 gives
    -inf, and a probability that rounds to 1 gives exactly 0. This function never forms the
    probabilities: it returns ``(x - x_k) - log1p(s)`` with ``s`` the sum of the other
    exponentials, so the result is accurate in both regimes. Edge cases follow
    :func:`softmax`: NaN propagates, +inf entries get ``-log(count of +inf)`` and the rest
    -inf, an all -inf slice gives NaN, and an empty slice an empty result.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import log_softmax, softmax
    >>> x = np.array([0.0, -800.0])
    >>> with np.errstate(divide="ignore"):
    ...     print(np.log(softmax(x)))
    [  0. -inf]
    >>> print(log_softmax(x))
    [   0. -800.]
    """
    dtype, w, restore = _prepare(x, axis, temperature)
    if w.shape[-1] == 0:
        return restore(w.copy()).astype(dtype, copy=False)
    if w.dtype.kind == "c":
        _, shifted, _, total = _complex_kernel(w)
        out = shifted - np.log(total)
    else:
        m, shifted, _, s = _real_kernel(w)
        out = shifted - np.log1p(s)
        nan_rows, neg_rows, pos_rows = _nonfinite_rows(w, m)
        if pos_rows.any():
            top = w == np.inf
            count = np.maximum(top.sum(axis=-1, keepdims=True), 1)
            out = np.where(pos_rows, np.where(top, -np.log(count), -np.inf), out)
        out = np.where(nan_rows | neg_rows, np.nan, out)
    return restore(out).astype(dtype, copy=False)


def logsumexp(x, axis=-1, *, keepdims=False):
    r"""Compute ``log(sum(exp(x)))`` along ``axis`` without overflow.

    .. math:: \operatorname{lse}(x) = \log\sum_j e^{x_j}

    Parameters
    ----------
    x : array_like
        Input values. Integers are converted to float64; float16, float32, float64 and
        complex dtypes are kept.
    axis : int, tuple of ints or None, optional
        The axis or axes to reduce. The default, -1, is the last axis; None reduces every
        element.
    keepdims : bool, optional
        If True the reduced axes are kept with length 1, so the result broadcasts against
        ``x``. The default, False, removes them.

    Returns
    -------
    lse : ndarray
        The log of the sum of exponentials, of the dtype of ``x``. It lies between
        ``max(x)`` and ``max(x) + log(n)``: a smooth maximum.

    Notes
    -----
    Computed as ``x_k + log1p(s)`` with ``x_k`` the maximum and ``s`` the sum of the other
    terms' ``exp(x_i - x_k)``. NaN propagates, any +inf gives +inf, an all -inf slice gives
    -inf (the log of an empty sum of positive terms is log 0), and so does an empty slice.

    Examples
    --------
    >>> from softmaxlib import logsumexp
    >>> print(float(logsumexp([1000.0, 1000.0])))  # 1000 + log 2, no overflow
    1000.6931471805599
    >>> print(logsumexp([[0.0, 0.0], [1.0, -1.0]], axis=1, keepdims=True).shape)
    (2, 1)
    """
    dtype, w, restore = _prepare(x, axis)
    if w.shape[-1] == 0:
        out = np.full(w.shape[:-1] + (1,), -np.inf, dtype=w.dtype)
    elif w.dtype.kind == "c":
        m, _, _, total = _complex_kernel(w)
        out = m + np.log(total)
    else:
        m, _, _, s = _real_kernel(w)
        # m is +inf, -inf or NaN exactly in the rows where that is the answer; s is 0 there.
        with np.errstate(invalid="ignore"):
            out = np.where(np.isfinite(m), m + np.log1p(s), m)
    out = restore(out, reduced=True)
    if not keepdims:
        if np.ndim(x) == 0:
            out = out.reshape(())
        else:
            axes = normalize_axes(axis, np.ndim(x))
            out = out.reshape([s for i, s in enumerate(np.shape(x)) if i not in axes])
    return np.asarray(out).astype(dtype, copy=False)


def hardmax(x, axis=-1):
    """Return the one-hot argmax of ``x`` along ``axis``, splitting ties evenly.

    Parameters
    ----------
    x : array_like
        Scores. Integers are converted to float64; floating dtypes are kept.
    axis : int, tuple of ints or None, optional
        The axis or axes along which the result sums to 1. The default, -1, is the last axis.

    Returns
    -------
    h : ndarray
        1 at the maximum and 0 elsewhere. When c entries tie for the maximum, each gets 1/c,
        so that ``hardmax(x)`` is exactly the limit of ``softmax(x, temperature=T)`` as T
        falls to 0. A slice containing NaN gives NaN.

    Examples
    --------
    >>> from softmaxlib import hardmax
    >>> print(hardmax([1.0, 2.5, 0.3]))
    [0. 1. 0.]
    >>> print(hardmax([3.0, 1.0, 3.0]))  # a tie is split evenly
    [0.5 0.  0.5]
    """
    arr = as_float_array(x)
    if arr.dtype.kind == "c":
        raise TypeError(f"x must be real for hardmax (complex numbers have no order), got {arr.dtype}")
    rows, restore = _to_rows(arr, axis)
    if rows.shape[-1] == 0:
        return restore(rows.copy())
    m = np.max(rows, axis=-1, keepdims=True)
    top = rows == m
    out = top / top.sum(axis=-1, keepdims=True).clip(min=1)
    out = np.where(np.isnan(m), np.nan, out)
    return restore(out).astype(arr.dtype, copy=False)
