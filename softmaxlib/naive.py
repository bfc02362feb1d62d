"""Deliberately naive or wrong formulas, kept so the book can show them failing.

Nothing here should be used for real work: each function exists to be a counterexample, and
its docstring says what goes wrong. The functions pass ndarray subclasses through, so that a
chapter can trace exactly what these formulas read and write. The correct versions live in
:mod:`softmaxlib.core`.
"""

import numpy as np

from ._validation import as_float_array, normalize_axes

__all__ = [
    "naive_softmax",
    "linear_normalize",
    "naive_sigmoid",
    "naive_base_softmax",
    "naive_double_exp_softmax",
    "eps_cross_entropy",
    "linear_cross_entropy",
    "naive_logsumexp",
    "naive_log_softmax",
    "shifted_softmax",
    "shifted_log_softmax",
    "shifted_logsumexp",
    "log_of_softmax",
    "wrong_shift_softmax",
    "naive_online_logsumexp",
]


def naive_softmax(x, axis=-1):
    r"""Compute softmax straight from the textbook formula, without shifting by the maximum.

    .. math:: \frac{e^{x_i}}{\sum_j e^{x_j}}

    Parameters
    ----------
    x : array_like
        Scores. Integers become float64.
    axis : int, tuple of ints or None, optional
        The axis or axes along which to normalise. The default, -1, is the last axis.

    Returns
    -------
    p : ndarray
        The same as :func:`softmax` for moderate scores. For scores above about 709
        (float64) ``exp`` overflows to inf and the result is NaN; for scores below about
        -745 every ``exp`` underflows to 0 and the result is 0/0 = NaN. numpy emits a
        RuntimeWarning in both cases.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import naive_softmax
    >>> print(np.round(naive_softmax([0.0, 1.0, 2.0, 3.0]), 4))
    [0.0321 0.0871 0.2369 0.6439]
    >>> with np.errstate(over="ignore", invalid="ignore"):
    ...     print(naive_softmax([1000.0, 1001.0]))
    [nan nan]
    """
    arr = as_float_array(x, subok=True)
    axes = None if arr.ndim == 0 else normalize_axes(axis, arr.ndim)
    e = np.exp(arr)
    return e / e.sum(axis=axes, keepdims=True)


def linear_normalize(x, axis=-1):
    """Divide scores by their sum: the "obvious" alternative to softmax, which breaks.

    Parameters
    ----------
    x : array_like
        Scores. Integers become float64.
    axis : int, tuple of ints or None, optional
        The axis or axes along which to normalise. The default, -1, is the last axis.

    Returns
    -------
    q : ndarray
        ``x / sum(x)``. It sums to 1, but with negative scores some "probabilities" are
        negative or above 1, and when the scores sum to 0 it divides by zero.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import linear_normalize
    >>> print(np.round(linear_normalize([2.0, 4.0, 2.0, 1.0]), 4))
    [0.2222 0.4444 0.2222 0.1111]
    >>> print(linear_normalize([3.0, -1.0]))  # "sums to 1", yet not probabilities
    [ 1.5 -0.5]
    """
    arr = as_float_array(x, subok=True)
    axes = None if arr.ndim == 0 else normalize_axes(axis, arr.ndim)
    return arr / arr.sum(axis=axes, keepdims=True)


def naive_sigmoid(x):
    r"""Compute the sigmoid straight from the textbook formula ``1 / (1 + exp(-x))``.

    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}}

    Parameters
    ----------
    x : array_like
        Pre-activations. Integers become float64.

    Returns
    -------
    s : ndarray
        The same values as :func:`softmaxlib.sigmoid`, but for ``x`` below about -709
        (float64; -88.7 in float32) ``exp(-x)`` overflows to inf and numpy emits a
        RuntimeWarning. The answer, 1/inf = 0, happens to be right; the warning is what
        breaks a program run with warnings as errors. The stable version never forms
        ``exp`` of a positive number.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import naive_sigmoid
    >>> print(naive_sigmoid([0.0, 2.0]).round(4))
    [0.5    0.8808]
    >>> with np.errstate(over="ignore"):
    ...     print(naive_sigmoid([-1000.0]))
    [0.]
    """
    arr = as_float_array(x, subok=True)
    return 1.0 / (1.0 + np.exp(-arr))


def naive_base_softmax(x, base, axis=-1):
    r"""Compute a base-``base`` softmax straight from the formula, without shifting.

    .. math:: \frac{\psi^{x_i}}{\sum_j \psi^{x_j}}

    Parameters
    ----------
    x : array_like
        Scores. Integers become float64.
    base : float
        The base psi > 1. ``base = e`` gives :func:`naive_softmax`.
    axis : int, tuple of ints or None, optional
        The axis or axes along which to normalise. The default, -1, is the last axis.

    Returns
    -------
    p : ndarray
        In exact arithmetic this equals ``softmax(x, temperature=1 / log(base))``, so a
        base is only a choice of scale. Computed this way, ``base ** x`` overflows to inf
        once ``x`` exceeds ``log(max float) / log(base)`` (about 709.78 for e, 308.25 for
        10, 154.13 for 100 in float64) and the result is NaN, with a RuntimeWarning.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import naive_base_softmax
    >>> print(np.round(naive_base_softmax([0.0, 1.0], 2.0), 4))
    [0.3333 0.6667]
    >>> with np.errstate(over="ignore", invalid="ignore"):
    ...     print(naive_base_softmax([310.0, 320.0], 10.0))
    [nan nan]
    """
    arr = as_float_array(x, subok=True)
    axes = None if arr.ndim == 0 else normalize_axes(axis, arr.ndim)
    b = float(base)
    if not (np.isfinite(b) and b > 1.0):
        raise ValueError(f"base must be a finite number greater than 1, got {base!r}")
    e = np.power(b, arr)
    return e / e.sum(axis=axes, keepdims=True)


def naive_double_exp_softmax(x, axis=-1):
    r"""Normalise ``exp(exp(x))``: positive and order-preserving, but not a softmax.

    .. math:: \frac{e^{e^{x_i}}}{\sum_j e^{e^{x_j}}}

    Parameters
    ----------
    x : array_like
        Scores. Integers become float64.
    axis : int, tuple of ints or None, optional
        The axis or axes along which to normalise. The default, -1, is the last axis.

    Returns
    -------
    q : ndarray
        Values summing to 1, positive and ordered like ``x`` in exact arithmetic (in float64,
        every score below -53 ln 2, about -36.7, has ``exp(x) < 2**-53``, so ``exp(exp(x))``
        rounds to exactly 1 and their order is lost). It is not shift invariant:
        adding c to every score gives ``softmax(exp(x), temperature=exp(-c))``, so the
        same score differences give sharper probabilities the larger the scores are.
        ``exp(exp(x))`` overflows already for ``x`` above about 6.56.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import naive_double_exp_softmax
    >>> print(np.round(naive_double_exp_softmax([0.0, 1.0]), 4))
    [0.1521 0.8479]
    >>> print(np.round(naive_double_exp_softmax([1.0, 2.0]), 4))  # same gap, other answer
    [0.0093 0.9907]
    """
    arr = as_float_array(x, subok=True)
    axes = None if arr.ndim == 0 else normalize_axes(axis, arr.ndim)
    e = np.exp(np.exp(arr))
    return e / e.sum(axis=axes, keepdims=True)


def _pick(values, labels, axis):
    """values[..., y, ...] along ``axis`` for integer ``labels`` of the batch shape."""
    arr = np.moveaxis(values, axis, -1)
    y = np.asarray(labels)
    if y.dtype.kind not in "iu" or y.shape != arr.shape[:-1]:
        raise ValueError(
            f"target must be integer labels of shape {arr.shape[:-1]}, got {y.dtype} {y.shape}"
        )
    return np.take_along_axis(arr, y[..., None].astype(np.intp), axis=-1)[..., 0]


def eps_cross_entropy(logits, target, axis=-1, eps=1e-7):
    r"""Cross-entropy computed as ``-log(softmax(logits)[y] + eps)``: the epsilon habit.

    .. math:: -\log\bigl(\operatorname{softmax}(z)_y + \varepsilon\bigr)

    Parameters
    ----------
    logits : array_like
        Scores, with classes along ``axis``.
    target : array_like of int
        Class labels, of the shape of ``logits`` without ``axis``.
    axis : int, optional
        The class axis. The default, -1, is the last axis.
    eps : float, optional
        The constant added inside the log. The default, 1e-7, is the common habit.

    Returns
    -------
    loss : ndarray
        Per-sample losses. The softmax is the stable one, so the only flaw is ``eps``: every
        loss is biased low (by about ``eps / p_y``, which is large when ``p_y`` is small),
        the loss can never exceed ``-log(eps)`` (16.12 for 1e-7), and once
        ``p_y << eps`` the gradient with respect to the logits is about ``p_y / eps`` times
        the true one: the model stops learning from its worst mistakes. Use
        :func:`softmaxlib.cross_entropy`.

    Examples
    --------
    >>> from softmaxlib import eps_cross_entropy
    >>> print(eps_cross_entropy([[40.0, 0.0]], [1]))  # the true loss is 40.0
    [16.11809565]
    """
    from .core import softmax

    arr = as_float_array(logits, "logits")
    p = softmax(arr, axis=axis)
    return -np.log(_pick(p, target, axis) + eps)


def linear_cross_entropy(scores, target, axis=-1):
    r"""Cross-entropy on a linear normalisation: ``-log(x_y / sum(x))``.

    .. math:: -\log \frac{x_y}{\sum_j x_j}

    Parameters
    ----------
    scores : array_like
        Scores, with classes along ``axis``.
    target : array_like of int
        Class labels, of the shape of ``scores`` without ``axis``.
    axis : int, optional
        The class axis. The default, -1, is the last axis.

    Returns
    -------
    loss : ndarray
        Per-sample losses. It is a proper cross-entropy only while every score is positive.
        A negative "probability" has no logarithm (NaN, with numpy's RuntimeWarning); a
        negative sum can make a negative score look likely; a score of 0 gives an infinite
        loss. Its gradient ``-1/x_y + 1/sum(x)`` blows up as ``x_y`` approaches 0, and it
        is not shift invariant.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import linear_cross_entropy
    >>> print(np.round(linear_cross_entropy([[1.0, 3.0]], [1]), 4))
    [0.2877]
    >>> print(linear_cross_entropy([[-1.0, -3.0]], [1]))  # negative scores, "probability" 3/4
    [0.28768207]
    >>> with np.errstate(invalid="ignore"):
    ...     print(linear_cross_entropy([[3.0, -1.0]], [1]))  # a negative "probability"
    [nan]
    """
    arr = as_float_array(scores, "scores")
    q = linear_normalize(arr, axis=axis)
    return -np.log(_pick(q, target, axis))


# --------------------------------------------------------------------------------------------
# Overflow, underflow and accuracy (chapter 2): each formula below is one step short of
# softmaxlib.core, and the chapter measures what that step costs.


def _axes(arr, axis):
    return None if arr.ndim == 0 else normalize_axes(axis, arr.ndim)


def naive_logsumexp(x, axis=-1):
    r"""Compute ``log(sum(exp(x)))`` literally, without any shift.

    .. math:: \log\sum_j e^{x_j}

    Returns
    -------
    lse : ndarray
        Correct for moderate inputs; +inf (with an overflow RuntimeWarning) as soon as one
        ``exp(x_j)`` overflows, which happens for x_j above 709.78 in float64 and 88.72 in
        float32; -inf once every term underflows.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.naive import naive_logsumexp
    >>> print(round(float(naive_logsumexp([1.0, 2.0, 3.0])), 6))
    3.407606
    >>> with np.errstate(over="ignore"):
    ...     print(float(naive_logsumexp([1000.0, 1000.0])))
    inf
    """
    arr = as_float_array(x, subok=True)
    return np.log(np.sum(np.exp(arr), axis=_axes(arr, axis)))


def naive_log_softmax(x, axis=-1):
    r"""Compute ``x - log(sum(exp(x)))`` without any shift.

    Returns
    -------
    logp : ndarray
        Correct for moderate inputs; NaN or -inf once ``exp`` overflows (x - inf) or every
        term underflows (x - (-inf) = +inf, then nonsense).

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.naive import naive_log_softmax
    >>> print(np.round(naive_log_softmax([0.0, 1.0]), 4))
    [-1.3133 -0.3133]
    >>> with np.errstate(over="ignore"):
    ...     print(naive_log_softmax([1000.0, 0.0]))
    [-inf -inf]
    """
    arr = as_float_array(x, subok=True)
    return arr - np.log(np.sum(np.exp(arr), axis=_axes(arr, axis), keepdims=True))


def shifted_softmax(x, axis=-1):
    r"""Compute softmax with the plain max shift, ``exp(x - max) / sum(exp(x - max))``.

    This is the textbook fix and what ``scipy.special.softmax`` does: it never overflows,
    and for softmax itself it is as accurate as the differences ``x_i - max`` allow.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.naive import shifted_softmax
    >>> print(np.round(shifted_softmax([1000.0, 1001.0, 1002.0]), 4))
    [0.09   0.2447 0.6652]
    """
    arr = as_float_array(x, subok=True)
    axes = _axes(arr, axis)
    e = np.exp(arr - np.max(arr, axis=axes, keepdims=True))
    return e / np.sum(e, axis=axes, keepdims=True)


def shifted_log_softmax(x, axis=-1):
    r"""Compute ``(x - max) - log(sum(exp(x - max)))``: the shift, but ``log`` not ``log1p``.

    This is what ``scipy.special.log_softmax`` does. It never overflows, but the sum is
    ``1 + s`` with ``s`` the other terms, and rounding ``1 + s`` before the log loses ``s``
    when it is tiny: the dominant entry's log-probability ``-log1p(s)`` comes out as exactly
    0, or with a relative error of order ``eps / s``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.naive import shifted_log_softmax
    >>> from softmaxlib import log_softmax
    >>> x = np.array([16.942385, 0.0], dtype=np.float32)
    >>> print(shifted_log_softmax(x))  # the first entry should be -4.3854666e-08
    [  0.       -16.942385]
    >>> print(log_softmax(x))
    [-4.3854666e-08 -1.6942385e+01]
    """
    arr = as_float_array(x, subok=True)
    axes = _axes(arr, axis)
    d = arr - np.max(arr, axis=axes, keepdims=True)
    return d - np.log(np.sum(np.exp(d), axis=axes, keepdims=True))


def shifted_logsumexp(x, axis=-1):
    r"""Compute ``max + log(sum(exp(x - max)))``: the shift, but ``log`` not ``log1p``.

    Never overflows, but ``log(1 + s)`` rounds away a tiny ``s``: for ``[0, -40]`` it
    returns exactly 0 instead of ``4.25e-18``.

    Examples
    --------
    >>> from softmaxlib.naive import shifted_logsumexp
    >>> from softmaxlib import logsumexp
    >>> print(float(shifted_logsumexp([0.0, -40.0])), float(logsumexp([0.0, -40.0])))
    0.0 4.248354255291589e-18
    """
    arr = as_float_array(x, subok=True)
    axes = _axes(arr, axis)
    m = np.max(arr, axis=axes, keepdims=True)
    out = m + np.log(np.sum(np.exp(arr - m), axis=axes, keepdims=True))
    return out if axes is None and arr.ndim == 0 else np.squeeze(out, axis=axes)


def log_of_softmax(x, axis=-1):
    r"""Compute ``log(softmax(x))``: the log of (correctly computed) probabilities.

    Returns
    -------
    logp : ndarray
        -inf (with a divide-by-zero RuntimeWarning) wherever the probability underflows to 0,
        and exactly 0 wherever it rounds to 1, although the true log-probability is finite
        and non-zero in both cases. Use :func:`softmaxlib.log_softmax` instead.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.naive import log_of_softmax
    >>> with np.errstate(divide="ignore"):
    ...     print(log_of_softmax([0.0, -800.0]))
    [  0. -inf]
    """
    from .core import softmax

    return np.log(softmax(x, axis=axis))


def wrong_shift_softmax(x, C, axis=-1):
    r"""The "shift" found in some popular explanations: ``exp(x_i + C) / sum(exp(x_j) + C)``.

    .. math:: \frac{e^{x_i + C}}{\sum_j \left(e^{x_j} + C\right)}

    The constant is added to the exponent in the numerator but outside the exponential in
    the denominator, so the two sides are no longer scaled by the same factor ``e^C``: the
    result does not sum to 1 and is not softmax (except at C = 0). The correct identity is
    ``exp(x_i + C) / sum(exp(x_j + C))``, which is the same as softmax for every C.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.naive import wrong_shift_softmax
    >>> q = wrong_shift_softmax([1.0, 2.0, 3.0], C=-3.0)
    >>> print(np.round(q, 4), round(float(q.sum()), 4))
    [0.0064 0.0174 0.0472] 0.0709
    """
    arr = as_float_array(x, subok=True)
    axes = _axes(arr, axis)
    return np.exp(arr + C) / np.sum(np.exp(arr) + C, axis=axes, keepdims=True)


# Softmax at scale (chapter 10): the online normaliser taken literally.


def naive_online_logsumexp(chunks):
    r"""Stream logsumexp with the merge :math:`d\,e^{m - M} + d'\,e^{m' - M}` taken literally.

    Starts from (m, d) = (-inf, 0) and summarises each chunk as (max, sum(exp(x - max))).

    Returns
    -------
    lse : float
        Correct for finite chunks. A chunk that is entirely -inf (padding, a masked block, or
        simply a leading -inf when the chunks are single elements) has the summary
        ``sum(exp(-inf - (-inf)))`` = NaN, and the NaN spreads to the result, with an
        "invalid value" RuntimeWarning. :func:`softmaxlib.streaming_logsumexp` treats
        (-inf, 0) as the identity of the merge instead.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.naive import naive_online_logsumexp
    >>> print(round(float(naive_online_logsumexp([[1.0, 2.0], [3.0]])), 6))
    3.407606
    >>> with np.errstate(invalid="ignore"):
    ...     print(float(naive_online_logsumexp([[-np.inf], [1.0, 2.0]])))
    nan
    """
    m, d = -np.inf, 0.0
    for chunk in chunks:
        arr = as_float_array(chunk)
        mc = np.max(arr)
        dc = np.sum(np.exp(arr - mc))
        big = max(m, mc)
        d = d * np.exp(m - big) + dc * np.exp(mc - big)
        m = big
    return m + np.log(d)
