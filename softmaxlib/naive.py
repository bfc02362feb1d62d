"""Deliberately naive or wrong formulas, kept so the book can show them failing.

Nothing here should be used for real work: each function exists to be a counterexample, and
its docstring says what goes wrong. The correct versions live in :mod:`softmaxlib.core`.
"""

import numpy as np

from ._validation import as_float_array, normalize_axes

__all__ = [
    "naive_softmax",
    "linear_normalize",
    "naive_sigmoid",
    "naive_base_softmax",
    "naive_double_exp_softmax",
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
    arr = as_float_array(x)
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
    arr = as_float_array(x)
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
    arr = as_float_array(x)
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
    arr = as_float_array(x)
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
        Positive values summing to 1 and ordered like ``x``. It is not shift invariant:
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
    arr = as_float_array(x)
    axes = None if arr.ndim == 0 else normalize_axes(axis, arr.ndim)
    e = np.exp(np.exp(arr))
    return e / e.sum(axis=axes, keepdims=True)
