"""Shannon entropy and the maximum-entropy distribution under a mean-energy constraint.

Among all probability vectors ``p`` over states with energies ``E`` that have a given mean
energy ``sum(p * E)``, the one with the largest entropy is ``softmax(-beta * E)`` for the
single ``beta`` that meets the constraint (Jaynes, 1957). :func:`maxent_distribution` finds
that ``beta`` by a one-dimensional root find and returns both.
"""

import numbers

import numpy as np
from scipy import optimize, special

from ._validation import as_float_array, normalize_axes
from .core import hardmax, softmax

__all__ = ["entropy", "maxent_distribution"]


def entropy(p, axis=-1):
    r"""Compute the Shannon entropy, in nats, of the distributions in ``p`` along ``axis``.

    .. math:: H(p) = -\sum_i p_i \log p_i, \qquad 0 \log 0 = 0

    Parameters
    ----------
    p : array_like
        Probabilities, each at least 0. They are not renormalised: pass vectors that sum to 1
        along ``axis``. Integers are converted to float64.
    axis : int, tuple of ints or None, optional
        The axis or axes that hold one distribution. The default, -1, is the last axis; None
        treats every element of ``p`` as one distribution.

    Returns
    -------
    h : ndarray or float64
        The entropy of each distribution, between 0 (one certain outcome) and ``log(n)``
        (uniform over n outcomes). The reduced axes are removed. NaN propagates.

    Raises
    ------
    TypeError
        If ``p`` is complex or not numeric.
    ValueError
        If any entry of ``p`` is negative.

    Notes
    -----
    ``0 log 0`` is taken as 0, its limit as ``p -> 0``: an outcome that never happens adds no
    uncertainty. :func:`scipy.special.entr` implements exactly this convention, so zeros
    produced by an underflowing softmax give no NaN.

    References
    ----------
    Shannon (1948), "A mathematical theory of communication"; Cover & Thomas (2006),
    *Elements of Information Theory*, 2nd ed., section 2.1.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import entropy
    >>> print(float(entropy([0.5, 0.5])) == np.log(2))  # one fair coin: log 2 nats
    True
    >>> print(float(entropy([1.0, 0.0, 0.0])))  # 0 log 0 = 0: a certain outcome
    0.0
    >>> print(np.round(entropy([[0.25, 0.25, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1]]), 4))
    [1.3863 0.9404]
    """
    arr = as_float_array(p, "p")
    if arr.dtype.kind == "c":
        raise TypeError(f"p must hold real probabilities, got complex dtype {arr.dtype}")
    if np.any(arr < 0):  # NaN compares False and simply propagates
        raise ValueError("p must hold probabilities >= 0, got a negative entry")
    axes = None if arr.ndim == 0 else normalize_axes(axis, arr.ndim)
    h = special.entr(arr.astype(np.float64, copy=False)).sum(axis=axes)
    return np.asarray(h, dtype=np.float64) if np.ndim(h) else np.float64(h)


def _mean_gap(u, e, t):
    """Mean of ``e`` under softmax(-u e), minus ``t``; ``e`` scaled to [0, 1]."""
    return float(np.dot(softmax(-u * e), e - t))


def maxent_distribution(energies, mean_energy):
    r"""Return the maximum-entropy distribution with a given mean energy, and its ``beta``.

    .. math::

        p_k = \frac{e^{-\beta E_k}}{\sum_j e^{-\beta E_j}} = \operatorname{softmax}(-\beta E)_k,
        \qquad \text{with } \beta \text{ such that } \sum_k p_k E_k = \bar E

    Parameters
    ----------
    energies : array_like, shape (n,)
        The finite energy E_k of each of the n >= 1 states.
    mean_energy : float
        The required mean energy, between ``min(energies)`` and ``max(energies)``.

    Returns
    -------
    p : ndarray, shape (n,)
        The probabilities, summing to 1, whose mean energy is ``mean_energy``.
    beta : float
        The inverse temperature. Positive when ``mean_energy`` lies below the plain average
        of the energies (low energies favoured), negative above it, 0 at it. At the ends of
        the range it is ``+inf`` (all mass on the lowest-energy states) or ``-inf`` (all
        mass on the highest), the mass split evenly among tied states.

    Raises
    ------
    TypeError
        If ``energies`` or ``mean_energy`` is not real.
    ValueError
        If ``energies`` is not a non-empty 1-D array of finite numbers, or ``mean_energy`` is
        not finite or lies outside ``[min(energies), max(energies)]``.

    Notes
    -----
    The mean energy of ``softmax(-beta * E)`` decreases strictly in ``beta`` (its derivative
    is minus the variance of E), from ``max(E)`` at ``-inf`` to ``min(E)`` at ``+inf``, so
    each mean strictly inside the range has exactly one ``beta``. It is found with Brent's
    method on the energies rescaled to [0, 1] (so the bracket does not depend on their
    units), after doubling the bracket until the sign changes. Every evaluation uses the
    overflow-free :func:`softmax`, so large ``beta`` is safe.

    That this ``p`` has the largest entropy among all distributions with the same mean
    energy is the maximum-entropy principle (Jaynes, 1957; Cover & Thomas, 2006, ch. 12).

    References
    ----------
    Jaynes (1957), "Information theory and statistical mechanics", Physical Review 106(4).

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import maxent_distribution
    >>> p, beta = maxent_distribution([0.0, 1.0, 2.0], 0.5)
    >>> print(np.round(p, 4), round(beta, 4))
    [0.6162 0.2676 0.1162] 0.8341
    >>> print(round(float(p @ [0.0, 1.0, 2.0]), 12))
    0.5

    The mean of the energies themselves needs no preference at all:

    >>> p, beta = maxent_distribution([0.0, 1.0, 2.0], 1.0)
    >>> print(np.round(p, 4), beta)
    [0.3333 0.3333 0.3333] 0.0

    At the end of the range the mass sits on the lowest states, split among ties:

    >>> p, beta = maxent_distribution([1.0, 3.0, 1.0], 1.0)
    >>> print(p, beta)
    [0.5 0.  0.5] inf
    """
    E = as_float_array(energies, "energies")
    if E.dtype.kind == "c":
        raise TypeError(f"energies must be real, got complex dtype {E.dtype}")
    if E.ndim != 1 or E.size == 0:
        raise ValueError(f"energies must be a non-empty 1-D array, got shape {E.shape}")
    E = E.astype(np.float64)
    if not np.all(np.isfinite(E)):
        raise ValueError("energies must all be finite, got NaN or inf")
    if isinstance(mean_energy, (bool, np.bool_)) or not isinstance(mean_energy, numbers.Real):
        raise TypeError(f"mean_energy must be a real number, got {mean_energy!r}")
    mean = float(mean_energy)
    lo, hi = float(E.min()), float(E.max())
    if not np.isfinite(mean):
        raise ValueError(f"mean_energy must be finite, got {mean_energy!r}")
    if not lo <= mean <= hi:
        raise ValueError(
            f"mean_energy must lie in [min(energies), max(energies)] = [{lo!r}, {hi!r}], "
            f"got {mean!r}: no distribution over these states has that mean"
        )
    if lo == hi:  # one energy level: every distribution has that mean; the uniform is widest
        return np.full(E.shape, 1.0 / E.size), 0.0
    if mean == lo:
        return hardmax(-E), np.inf
    if mean == hi:
        return hardmax(E), -np.inf

    # Scale by the largest magnitude first, so that hi - lo cannot overflow (or be subnormal).
    scale = max(abs(lo), abs(hi))
    lo_s, hi_s = lo / scale, hi / scale
    span = hi_s - lo_s
    e = (E / scale - lo_s) / span  # in [0, 1], min 0 and max 1
    t = (mean / scale - lo_s) / span  # inside [0, 1]; the search below copes with rounding to 0 or 1
    g0 = _mean_gap(0.0, e, t)
    if g0 == 0.0:
        return softmax(np.zeros_like(E)), 0.0
    # g decreases in u; search on the side where the root lies, doubling the bracket.
    sign = 1.0 if g0 > 0 else -1.0
    a, b = 0.0, sign
    while sign * _mean_gap(b, e, t) > 0:
        a, b = b, 2.0 * b
        if abs(b) > 1e300:  # unreachable in practice: softmax is already one-hot long before
            raise RuntimeError("could not bracket beta; please report this input")
    u = optimize.brentq(
        _mean_gap, min(a, b), max(a, b), args=(e, t), xtol=1e-300, rtol=4 * np.finfo(float).eps,
        maxiter=500,
    )
    return softmax(-u * e), u / span / scale
