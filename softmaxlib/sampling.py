r"""Sampling from softmax, its filters (top-k, nucleus), its relaxation, and sparsemax.

A language model's next token is drawn from ``softmax(logits / T)``. This module draws it
without ever forming those probabilities: with the Gumbel-max trick,

    argmax_i (log p_i + G_i),   G_i independent standard Gumbel,

is an exact sample from ``p``, and ``log p`` comes from :func:`softmaxlib.log_softmax`, which
does not underflow where ``p`` would. The filters are boolean masks: a filtered-out token's
log-probability is set to -inf through ``log_softmax``'s ``where=``, so it can never win.

* :func:`sample_categorical` draws (with temperature, top-k and top-p);
* :func:`top_k_mask` and :func:`top_p_mask` say which tokens a filter keeps;
* :func:`gumbel_softmax` is the differentiable relaxation of one draw;
* :func:`sparsemax` and :func:`sparsemax_jacobian` are the sparse alternative to softmax:
  the Euclidean projection onto the probability simplex, with exact zeros.
"""

import numbers

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from ._validation import as_float_array, check_temperature
from .core import _as_mask, log_softmax, softmax

__all__ = [
    "sample_categorical",
    "top_k_mask",
    "top_p_mask",
    "gumbel_softmax",
    "sparsemax",
    "sparsemax_jacobian",
]


# --------------------------------------------------------------------------------------------
# Argument checks.


def _check_rng(rng):
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            "rng must be a numpy.random.Generator (for example np.random.default_rng(0)), "
            f"got {type(rng).__name__}"
        )
    return rng


def _check_k(k):
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, numbers.Integral):
        raise TypeError(f"k must be a positive int, got {k!r}")
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    return int(k)


def _check_p(p):
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real):
        raise TypeError(f"p must be a real number in (0, 1], got {p!r}")
    p = float(p)
    if not 0.0 < p <= 1.0:  # NaN fails too
        raise ValueError(f"p must lie in (0, 1], got {p!r}")
    return p


def _check_size(size):
    if size is None:
        return ()
    if isinstance(size, (bool, np.bool_)):
        raise TypeError(f"size must be None, an int or a tuple of ints, got {size!r}")
    if isinstance(size, numbers.Integral):
        size = (int(size),)
    if not isinstance(size, tuple) or not all(
        isinstance(s, numbers.Integral) and not isinstance(s, (bool, np.bool_)) for s in size
    ):
        raise TypeError(f"size must be None, an int or a tuple of ints, got {size!r}")
    if any(s < 0 for s in size):
        raise ValueError(f"size must not be negative, got {size!r}")
    return tuple(int(s) for s in size)


def _real_array(x, name):
    """``x`` as a real floating array with at least one axis, or raise."""
    arr = as_float_array(x, name)
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one axis, got a scalar")
    return arr


def _real_logits(logits, name="logits"):
    """``logits`` as a real float64 array with at least one axis and no NaN, or raise."""
    arr = _real_array(logits, name)
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not contain NaN")
    return arr.astype(np.float64, copy=False)  # float16/32 are exact in float64


def _moved(arr, axis):
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"axis must be an int, got {axis!r}")
    ax = normalize_axis_index(int(axis), arr.ndim)
    return np.moveaxis(arr, ax, -1), ax


def _live(x, where):
    """The entries that can be drawn: finite or +inf logits that ``where`` keeps."""
    alive = x > -np.inf
    if where is not None:
        alive = alive & _as_mask(where, x.shape)
    return alive


def _empty_rows(alive):
    empty = ~alive.any(axis=-1)
    if empty.any():
        rows = np.flatnonzero(empty.reshape(-1))
        raise ValueError(
            f"{rows.size} row(s) of logits (flat row indices {rows[:5].tolist()}"
            f"{' ...' if rows.size > 5 else ''}) have no token left to draw: every logit "
            "is -inf or masked out"
        )


# --------------------------------------------------------------------------------------------
# Filters.


def top_k_mask(logits, k, axis=-1, *, where=None):
    """Return a mask of the ``k`` largest logits along ``axis``, ties at the boundary kept.

    Parameters
    ----------
    logits : array_like
        Real scores (float16/32/64 or integers), no NaN. -inf marks a token that cannot be
        drawn.
    k : int
        How many tokens to keep, at least 1. ``k`` at or above the number of tokens keeps
        every token whose logit is above -inf.
    axis : int, optional
        The token axis. The default, -1, is the last axis.
    where : array_like of bool, optional
        Tokens already excluded (False) are never kept and do not count towards ``k``.
        The default, None, considers every token.

    Returns
    -------
    mask : ndarray of bool
        The shape of ``logits``: True for every token whose logit is at least the k-th
        largest one of its row (among the tokens considered) and above -inf.

    Raises
    ------
    TypeError
        If ``logits`` is not real, ``k`` is not an int or ``axis`` is not an int.
    ValueError
        If ``k < 1``, ``logits`` is a scalar or holds NaN.

    Notes
    -----
    Tie rule: every token tied with the k-th largest logit is kept, so a row may keep
    more than ``k`` tokens, and the mask never depends on the order of the tokens. This is
    the rule of Hugging Face transformers' ``TopKLogitsWarper``, which removes exactly the
    logits below the k-th largest value. Top-k sampling is due to
    :cite:t:`fan2018hierarchical`. Temperature does not change the mask (it keeps the
    order), so it may be applied before or after.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import top_k_mask
    >>> print(top_k_mask([1.0, 3.0, 2.0, 0.0], 2))
    [False  True  True False]

    Ties with the k-th largest are kept, and -inf is never kept:

    >>> print(top_k_mask([2.0, 1.0, 2.0, -np.inf], 1))
    [ True False  True False]
    >>> print(top_k_mask([2.0, 1.0, 2.0, -np.inf], 10))
    [ True  True  True False]
    """
    x = _real_logits(logits)
    k = _check_k(k)
    moved_x, ax = _moved(x, axis)
    alive = _live(x, where)
    moved_alive = np.moveaxis(alive, ax, -1)
    n = moved_x.shape[-1]
    if n == 0:
        return np.zeros(x.shape, dtype=bool)
    y = np.where(moved_alive, moved_x, -np.inf)
    if k >= n:
        keep = moved_alive
    else:
        kth = np.partition(y, n - k, axis=-1)[..., n - k : n - k + 1]  # the k-th largest
        keep = (y >= kth) & moved_alive
    return np.moveaxis(keep, -1, ax)


def top_p_mask(logits, p, axis=-1, *, where=None):
    r"""Return the nucleus: the most probable tokens whose total probability reaches ``p``.

    .. math:: V(p) = \text{the smallest set } V \text{ with }
              \sum_{i \in V} \operatorname{softmax}(x)_i \ge p

    Parameters
    ----------
    logits : array_like
        Real scores (float16/32/64 or integers), no NaN. Temperature, if any, must already
        be applied: the nucleus depends on it.
    p : float
        The probability mass to reach, in (0, 1]. ``p = 1`` keeps every token whose logit
        is above -inf, including tokens whose probability underflows to 0.
    axis : int, optional
        The token axis. The default, -1, is the last axis.
    where : array_like of bool, optional
        Tokens already excluded (False, for example by :func:`top_k_mask`); the
        probabilities are renormalised over the others. The default, None, uses all.

    Returns
    -------
    mask : ndarray of bool
        The shape of ``logits``. A row with no token left (all -inf or masked out) gives
        all False.

    Raises
    ------
    TypeError
        If ``logits`` is not real, ``p`` is not a real number or ``axis`` is not an int.
    ValueError
        If ``p`` is outside (0, 1], ``logits`` is a scalar or holds NaN.

    Notes
    -----
    This is the definition of :cite:t:`holtzman2020curious` (their eq. 2): sort the
    probabilities in decreasing order and keep tokens *until the running sum reaches* ``p``,
    including the token that crosses it. A token is kept exactly when the mass of the
    tokens strictly more probable than the boundary is below ``p``.

    Tie rule: every token whose logit equals that of the last token needed is kept too, so
    the mask never depends on the order of the tokens (among tied tokens, any choice of the
    "smallest set" would be arbitrary). If rounding keeps the running sum just below ``p``
    at the end of a row, every token is kept.

    The probabilities are ``exp(log_softmax(x))`` in float64; only their cumulative sum
    decides the boundary, so a token whose probability underflows lies beyond every
    boundary except that of ``p = 1``, which is handled exactly.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import softmax, top_p_mask
    >>> x = np.log([0.5, 0.3, 0.15, 0.05])
    >>> print(top_p_mask(x, 0.6))  # 0.5 is not enough; 0.5 + 0.3 reaches 0.6
    [ True  True False False]
    >>> print(top_p_mask(x, 0.4))  # the first token alone reaches 0.4
    [ True False False False]
    >>> print(top_p_mask([0.0, 0.0, -800.0], 1.0))  # p = 1 keeps the underflowing token
    [ True  True  True]
    """
    x = _real_logits(logits)
    p = _check_p(p)
    moved_x, ax = _moved(x, axis)
    alive = np.moveaxis(_live(x, where), ax, -1)
    if moved_x.shape[-1] == 0:
        return np.zeros(x.shape, dtype=bool)
    if p == 1.0:
        return np.moveaxis(alive.copy(), -1, ax)
    # Fully masked rows give -inf everywhere (no NaN): where= handles them.
    logp = log_softmax(moved_x, where=alive)
    order = np.argsort(-moved_x, axis=-1, kind="stable")
    prob_sorted = np.exp(np.take_along_axis(logp, order, axis=-1))
    reached = np.cumsum(prob_sorted, axis=-1) >= p
    n = moved_x.shape[-1]
    # Index of the first token whose running sum reaches p; the last one if rounding never
    # lets it reach p.
    last = np.where(reached.any(axis=-1), reached.argmax(axis=-1), n - 1)[..., None]
    boundary = np.take_along_axis(np.take_along_axis(moved_x, order, axis=-1), last, axis=-1)
    keep = (moved_x >= boundary) & alive
    return np.moveaxis(keep, -1, ax)


# --------------------------------------------------------------------------------------------
# Sampling.


def sample_categorical(logits, *, temperature=1.0, top_k=None, top_p=None, rng, size=None):
    r"""Draw one token per row of ``logits`` from ``softmax(logits / T)``, filtered.

    .. math::
        i^\ast &= \arg\max_i \left( \log\operatorname{softmax}(x / T)_i + G_i \right), \\
        G_i &\sim \operatorname{Gumbel}(0, 1) \text{ independent}

    Parameters
    ----------
    logits : array_like, shape (..., n)
        Real scores; the last axis holds the n tokens of one distribution. float16/float32
        are converted to float64, which is exact. -inf marks a token that cannot be drawn.
    temperature : float, optional
        T > 0, finite. The default, 1.0, samples from softmax(logits). As T falls to 0 the
        draw becomes the argmax (ties drawn uniformly); as T grows it becomes uniform over
        the tokens with logits above -inf.
    top_k : int or None, optional
        Keep only the ``top_k`` most probable tokens (ties kept, see :func:`top_k_mask`).
        The default, None, keeps all.
    top_p : float or None, optional
        Then keep only the nucleus of mass ``top_p`` of the tempered, top-k-filtered
        distribution (see :func:`top_p_mask`). The default, None, keeps all.
    rng : numpy.random.Generator
        The source of randomness, required (seed it: ``np.random.default_rng(seed)``).
    size : int or tuple of ints, optional
        Independent draws per row: the result has shape ``size + logits.shape[:-1]``. The
        default, None, draws once.

    Returns
    -------
    idx : ndarray of int64
        The drawn token indices, of shape ``size + logits.shape[:-1]`` (0-d for one row and
        no ``size``).

    Raises
    ------
    TypeError
        If ``rng`` is not a numpy Generator, or an argument has the wrong type.
    ValueError
        If ``temperature <= 0`` or is not finite, ``top_k < 1``, ``top_p`` is outside
        (0, 1], ``logits`` holds NaN or is a scalar, or a row has no token left to draw
        (all -inf, or everything filtered out).

    Notes
    -----
    The Gumbel-max trick :cite:p:`gumbel1954statistical,maddison2014astar`: with
    :math:`M_i = \log p_i + G_i`, :math:`P(M_i \le m) = \exp(-p_i e^{-m})`, so
    :math:`\max_j M_j` has CDF :math:`\exp(-\sum_j p_j e^{-m})` and the maximum is
    attained at token i with probability exactly :math:`p_i`. Nothing here forms the
    probabilities themselves: ``log_softmax`` returns ``log p`` accurately even where
    ``p`` underflows, a filtered-out token gets ``log p = -inf`` through ``where=`` and
    can never win, and the per-row normalisation (a constant shift) does not change the
    argmax. One Gumbel variate is drawn per token and row whatever the filters, so the
    same generator state couples draws with different settings (and with
    :func:`gumbel_softmax`).

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import sample_categorical
    >>> rng = np.random.default_rng(0)
    >>> x = np.log([0.5, 0.3, 0.2])
    >>> draws = sample_categorical(x, rng=rng, size=100_000)
    >>> print(np.round(np.bincount(draws, minlength=3) / draws.size, 2))
    [0.5 0.3 0.2]

    -inf tokens are never drawn; a tiny temperature gives the argmax, top_k=1 too:

    >>> y = np.array([[0.0, 1.0, -np.inf], [2.0, -1.0, 0.0]])
    >>> print(sample_categorical(y, temperature=1e-3, rng=rng))
    [1 0]
    >>> print(sample_categorical(y, top_k=1, rng=rng, size=4))
    [[1 0]
     [1 0]
     [1 0]
     [1 0]]
    """
    _check_rng(rng)
    t = check_temperature(temperature)
    shape = _check_size(size)
    x = _real_logits(logits)
    alive = _live(x, None)
    if x.shape[-1] == 0:
        raise ValueError("logits must have at least one token along the last axis")
    if top_k is not None:
        alive = top_k_mask(x, top_k, where=alive)
    if top_p is not None:
        _check_p(top_p)
        alive = top_p_mask(log_softmax(x, temperature=t, where=alive), top_p, where=alive)
    _empty_rows(alive)
    logp = log_softmax(x, temperature=t, where=alive)  # filtered out: -inf
    keys = logp + rng.gumbel(size=shape + x.shape)
    return np.asarray(np.argmax(keys, axis=-1), dtype=np.int64)


def gumbel_softmax(logits, temperature, rng, *, size=None):
    r"""Draw a relaxed one-hot sample: ``softmax((log p + G) / tau)``, the Gumbel-softmax.

    .. math:: y = \operatorname{softmax}\!\left(\frac{\log\operatorname{softmax}(x) + G}
              {\tau}\right), \qquad G_i \sim \operatorname{Gumbel}(0, 1)

    Parameters
    ----------
    logits : array_like, shape (..., n)
        Real scores of the categorical distribution ``softmax(logits)``, last axis the
        tokens; -inf marks an impossible token.
    temperature : float
        The relaxation temperature tau > 0, finite. As tau falls to 0, ``y`` becomes the
        one-hot vector of the Gumbel-max draw made with the same noise; as tau grows, ``y``
        tends to the uniform vector over the possible tokens.
    rng : numpy.random.Generator
        The source of the Gumbel noise.
    size : int or tuple of ints, optional
        Independent samples per row: the result has shape ``size + logits.shape``. The
        default, None, draws once.

    Returns
    -------
    y : ndarray of float64
        Points of the probability simplex (each row sums to 1), of shape
        ``size + logits.shape``; impossible tokens get exactly 0.

    Raises
    ------
    TypeError
        If ``rng`` is not a numpy Generator or ``logits`` is not real.
    ValueError
        If ``temperature`` is not positive and finite, ``logits`` holds NaN or is a
        scalar, or a row is entirely -inf.

    Notes
    -----
    :cite:t:`jang2017categorical` and :cite:t:`maddison2017concrete` replace the argmax of
    the Gumbel-max trick by a softmax at temperature tau, which is differentiable in the
    logits. The relaxation is biased: for tau > 0, ``E[y]`` is not ``softmax(logits)``
    (it is pulled towards the uniform vector). The bias vanishes as tau -> 0, where the
    gradient's variance grows instead. The noise is drawn exactly as in
    :func:`sample_categorical`, so with generators in the same state the argmax of ``y``
    is that function's draw at T = 1.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import gumbel_softmax, sample_categorical
    >>> x = np.log([0.6, 0.3, 0.1])
    >>> y = gumbel_softmax(x, 0.5, np.random.default_rng(1))
    >>> print(round(float(y.sum()), 12), bool((y > 0).all()))
    1.0 True

    At a small tau the sample is (numerically) the one-hot of the Gumbel-max draw:

    >>> y = gumbel_softmax(x, 1e-3, np.random.default_rng(7))
    >>> print(y, int(sample_categorical(x, rng=np.random.default_rng(7))))
    [1. 0. 0.] 0
    """
    _check_rng(rng)
    tau = check_temperature(temperature)
    shape = _check_size(size)
    x = _real_logits(logits)
    if x.shape[-1] == 0:
        raise ValueError("logits must have at least one token along the last axis")
    _empty_rows(_live(x, None))
    keys = log_softmax(x) + rng.gumbel(size=shape + x.shape)
    return softmax(keys, temperature=tau)


# --------------------------------------------------------------------------------------------
# Sparsemax.


def _sparsemax_rows(z):
    """sparsemax of finite-maximum (R, n > 0) float64 rows; -inf entries allowed."""
    z = z - z.max(axis=-1, keepdims=True)  # shift invariant; the largest entry becomes 0
    zs = -np.sort(-z, axis=-1)
    k = np.arange(1, z.shape[-1] + 1, dtype=np.float64)
    cs = np.cumsum(zs, axis=-1)
    with np.errstate(invalid="ignore", over="ignore"):
        # k is in the support iff 1 + k z_(k) > sum_{j<=k} z_(j); the support is a prefix.
        support = 1.0 + k * zs > cs
    size = support.sum(axis=-1, keepdims=True)  # at least 1: the maximum always is in it
    tau = (np.take_along_axis(cs, size - 1, axis=-1) - 1.0) / size
    return np.maximum(z - tau, 0.0)


def sparsemax(x, axis=-1):
    r"""Compute sparsemax: the Euclidean projection of ``x`` onto the probability simplex.

    .. math:: \operatorname{sparsemax}(x) = \arg\min_{p \ge 0,\ \sum_i p_i = 1}
              \lVert p - x \rVert_2^2 = \max(x - \tau(x), 0)

    Parameters
    ----------
    x : array_like
        Real scores (float16/32/64 or integers). -inf entries get probability 0.
    axis : int, optional
        The axis along which the result sums to 1. The default, -1, is the last axis.

    Returns
    -------
    p : ndarray
        Probabilities of the shape and floating dtype of ``x`` (float64 for integers); each
        slice sums to 1 and, unlike softmax, has exact zeros wherever ``x_i <= tau(x)``.

    Raises
    ------
    TypeError
        If ``x`` is complex or not numeric, or ``axis`` is not an int.
    ValueError
        If ``x`` is a scalar.

    Notes
    -----
    :cite:t:`martins2016softmax`, after the simplex projection of
    :cite:t:`duchi2008efficient`: sort :math:`z_{(1)} \ge \dots \ge z_{(n)}`; the support
    size is :math:`k(z) = \max\{k : 1 + k z_{(k)} > \sum_{j \le k} z_{(j)}\}` and the
    threshold :math:`\tau = (\sum_{j \le k(z)} z_{(j)} - 1) / k(z)`. Like softmax it is
    invariant to adding a constant (computed after subtracting the maximum) and keeps the
    order of the scores; unlike softmax it is piecewise linear, with Jacobian
    :func:`sparsemax_jacobian`. Computed in float64 and rounded once.

    Edge cases, as in :func:`softmaxlib.softmax`: NaN propagates to its slice; +inf entries
    share the probability equally (the limit as they grow together); an all -inf slice
    gives NaN; an empty slice gives an empty result.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import softmax, sparsemax
    >>> x = np.array([1.0, 0.8, 0.1, -1.0])
    >>> print(sparsemax(x))  # tau = 0.4: exact zeros below it
    [0.6 0.4 0.  0. ]
    >>> print(np.round(softmax(x), 4))  # softmax never reaches 0
    [0.4236 0.3468 0.1722 0.0573]

    Scores within 1 of each other stay in the support, and a large gap gives the hardmax:

    >>> print(sparsemax([[0.0, 0.5, 0.25], [10.0, 0.0, 0.0]]))
    [[0.08333333 0.58333333 0.33333333]
     [1.         0.         0.        ]]
    """
    arr = _real_array(x, "x")
    moved, ax = _moved(arr, axis)
    out_dtype = arr.dtype
    n = moved.shape[-1]
    rows = moved.reshape(int(np.prod(moved.shape[:-1])), n).astype(np.float64)
    out = np.empty_like(rows)
    if rows.size:
        m = rows.max(axis=-1)
        good = np.isfinite(m)
        out[good] = _sparsemax_rows(rows[good])
        bad = ~good
        if bad.any():
            b = rows[bad]
            top = b == np.inf
            # +inf entries share the mass; an all -inf row (or NaN) has none to share.
            with np.errstate(invalid="ignore", divide="ignore"):
                out[bad] = top / top.sum(axis=-1, keepdims=True)
            out[bad & np.isnan(m)] = np.nan
    res = out.reshape(moved.shape).astype(out_dtype, copy=False)
    return np.moveaxis(res, -1, ax)


def sparsemax_jacobian(x, axis=-1):
    r"""Return the Jacobian of sparsemax, ``diag(s) - s s^T / |S|``, for every slice of ``x``.

    .. math::
        J_{ij} &= \frac{\partial\, \operatorname{sparsemax}(x)_i}{\partial x_j}
              = s_i \left(\delta_{ij} - \frac{s_j}{|S|}\right), \\
        s_i &= [\operatorname{sparsemax}(x)_i > 0],\quad |S| = \sum_i s_i

    Parameters
    ----------
    x : array_like
        Real scores, at least one-dimensional, with finite maxima.
    axis : int, optional
        The axis along which sparsemax normalises. The default, -1, is the last axis.

    Returns
    -------
    J : ndarray of float64, shape ``batch + (n, n)``
        ``batch`` is the shape of ``x`` without ``axis``. Each matrix is symmetric,
        its rows and columns sum to 0, and it is zero outside the support S.

    Raises
    ------
    TypeError
        If ``x`` is complex or not numeric, or ``axis`` is not an int.
    ValueError
        If ``x`` is a scalar.

    Notes
    -----
    Inside a region of constant support, sparsemax is :math:`x_i - \tau(x)` on S with
    :math:`\tau = (\sum_{j\in S} x_j - 1)/|S|`, so :math:`\partial p_i/\partial x_j =
    \delta_{ij} - 1/|S|` for i, j in S and 0 otherwise :cite:p:`martins2016softmax`. On
    the boundary of such a region (some :math:`x_i = \tau` exactly) sparsemax is not
    differentiable; this function then returns the Jacobian of the support it finds,
    which is one of the one-sided derivatives.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import sparsemax_jacobian
    >>> print(sparsemax_jacobian([1.0, 0.8, 0.1, -1.0]))  # support {0, 1}
    [[ 0.5 -0.5  0.   0. ]
     [-0.5  0.5  0.   0. ]
     [ 0.   0.   0.   0. ]
     [ 0.   0.   0.   0. ]]
    """
    arr = _real_array(x, "x")
    moved, ax = _moved(arr, axis)
    s = (sparsemax(moved.astype(np.float64), axis=-1) > 0).astype(np.float64)
    count = np.maximum(s.sum(axis=-1), 1.0)[..., None, None]
    n = s.shape[-1]
    return np.eye(n) * s[..., None, :] - s[..., :, None] * s[..., None, :] / count
