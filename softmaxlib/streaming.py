r"""Softmax and logsumexp over data that arrives in chunks, and blockwise attention.

A chunk of scores is summarised by a pair (m, d): its maximum and the sum of
``exp(x_i - m)``. Two summaries combine with the associative merge of Milakov & Gimelshein
(2018),

.. math::

    (m, d) \oplus (m', d') = \bigl(M,\; d\,e^{m - M} + d'\,e^{m' - M}\bigr),
    \qquad M = \max(m, m'),

so the logsumexp of a long stream is ``M + log d`` after one pass, however the stream was
split and in whatever order the pieces are merged. Softmax needs a second pass to divide each
``exp(x_i - M)`` by ``d``.

Following Blanchard, Higham & Higham (2021) the state stores ``s = d - 1``, the sum without the
maximum's own term (which is exactly 1), so that ``log1p(s)`` keeps a dominant entry's
log-probability accurate; :func:`softmaxlib.logsumexp` does the same in memory.
"""

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from ._validation import as_float_array

__all__ = [
    "LSEState",
    "lse_state",
    "merge_lse",
    "streaming_logsumexp",
    "streaming_softmax",
    "streaming_log_softmax",
    "blockwise_attention",
]


class LSEState(NamedTuple):
    """The running summary (m, s) of the scores seen so far along the reduced axis.

    ``m`` is the running maximum and ``s`` the running sum of ``exp(x_i - m)`` over every
    entry but one occurrence of the maximum, so Milakov & Gimelshein's ``d`` is ``1 + s``.
    Both are float64 arrays of the batch shape (0-d for a single stream). ``m = -inf``
    means "nothing yet, or only -inf" (a zero sum); then ``s`` is 0. When the maximum is
    +inf, ``1 + s`` counts the +inf entries.

    Examples
    --------
    Two chunks summarised apart and merged give the logsumexp of both:

    >>> import numpy as np
    >>> from softmaxlib import logsumexp
    >>> from softmaxlib.streaming import LSEState, lse_state, merge_lse
    >>> a, b = lse_state(np.array([1.0, 2.0])), lse_state(np.array([3.0]))
    >>> print(float(merge_lse(a, b).logsumexp()), float(logsumexp([1.0, 2.0, 3.0])))
    3.40760596444438 3.40760596444438
    >>> merge_lse(LSEState.empty(), b) == b   # the empty summary changes nothing
    True
    """

    m: np.ndarray
    s: np.ndarray

    @classmethod
    def empty(cls, shape=()):
        """The identity of :func:`merge_lse`: the summary of no scores at all."""
        return cls(np.full(shape, -np.inf), np.zeros(shape))

    def logsumexp(self):
        """Return ``m + log1p(s)``: the logsumexp of everything summarised so far."""
        m, s = np.asarray(self.m), np.asarray(self.s)
        with np.errstate(invalid="ignore"):
            return np.where(np.isfinite(m), m + np.log1p(s), m)


def lse_state(chunk, axis=-1):
    """Summarise one chunk of scores along ``axis`` as an :class:`LSEState`.

    Parameters
    ----------
    chunk : array_like
        Real scores. Integers become float64; float16 and float32 are summarised in float64.
    axis : int, optional
        The axis being reduced. The default, -1, is the last axis; the other axes are the
        batch shape of the state.

    Returns
    -------
    state : LSEState
        ``m`` the maximum along ``axis`` and ``s`` the sum of ``exp(x - m)`` without one
        occurrence of the maximum (float64). An empty or all -inf slice gives (-inf, 0);
        a slice containing NaN gives (NaN, NaN).

    Raises
    ------
    TypeError
        If ``chunk`` is complex, boolean, string or object.
    numpy.exceptions.AxisError
        If ``axis`` is out of range.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import lse_state
    >>> st = lse_state([0.0, 1.0, 1.0])
    >>> print(float(st.m), round(float(st.s), 6))  # s = e^-1 + e^0 (the other 1.0)
    1.0 1.367879
    """
    arr = _real(chunk, "chunk")
    if arr.ndim == 0:
        arr = arr.reshape(1)
    w = np.moveaxis(arr, axis, -1).astype(np.float64, copy=False)
    if w.shape[-1] == 0:
        return LSEState.empty(w.shape[:-1])
    m = np.max(w, axis=-1)
    k = np.argmax(w, axis=-1)[..., None]
    finite = np.isfinite(m)
    m_safe = np.where(finite, m, 0.0)[..., None]
    with np.errstate(over="ignore", invalid="ignore"):
        e = _exp_compensated(w, m_safe)
    np.put_along_axis(e, k, 0.0, axis=-1)  # the maximum's own term, exactly 1, is left out
    s = e.sum(axis=-1)
    # +inf maximum: count the other +inf entries (each "exp(inf - inf)" is a tie, weight 1).
    s = np.where(m == np.inf, (w == np.inf).sum(axis=-1) - 1.0, s)
    s = np.where(m == -np.inf, 0.0, s)
    s = np.where(np.isnan(m), np.nan, s)
    return LSEState(m, s)


def merge_lse(a, b):
    r"""Combine two summaries: :math:`(m, d) \oplus (m', d')` of Milakov & Gimelshein (2018).

    .. math:: M = \max(m, m'), \qquad d_\oplus = d\,e^{m - M} + d'\,e^{m' - M}

    With ``d = 1 + s`` and ``m >= m'`` this is ``s_merged = s + (1 + s') e^{m' - m}``, which
    is how it is computed, so no -inf minus -inf ever happens.

    Parameters
    ----------
    a, b : LSEState
        Summaries of two disjoint parts of the data, with broadcastable batch shapes.

    Returns
    -------
    state : LSEState
        The summary of both parts. The merge is associative and commutative (exactly so in
        real arithmetic; in floating point up to rounding), and :meth:`LSEState.empty` is its
        identity.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import lse_state, merge_lse, logsumexp
    >>> x = np.array([3.0, -1.0, 0.5, 2.0])
    >>> st = merge_lse(lse_state(x[:1]), lse_state(x[1:]))
    >>> print(np.isclose(st.logsumexp(), logsumexp(x)))
    True
    """
    m1, s1 = np.asarray(a[0], dtype=np.float64), np.asarray(a[1], dtype=np.float64)
    m2, s2 = np.asarray(b[0], dtype=np.float64), np.asarray(b[1], dtype=np.float64)
    first = m1 >= m2
    hi_m, hi_s = np.where(first, m1, m2), np.where(first, s1, s2)
    lo_m, lo_s = np.where(first, m2, m1), np.where(first, s2, s1)
    with np.errstate(invalid="ignore", over="ignore"):
        # Equal maxima (including both +inf or both -inf) weigh exactly 1.
        equal = lo_m == hi_m
        scale = np.where(equal, 1.0, _exp_compensated(np.where(equal, 0.0, lo_m), np.where(equal, 0.0, hi_m)))
        s = hi_s + (1.0 + lo_s) * scale
    m = np.maximum(m1, m2)  # propagates NaN
    s = np.where(m == -np.inf, 0.0, s)
    s = np.where(np.isnan(m), np.nan, s)
    return LSEState(m, s)


def streaming_logsumexp(chunks, axis=-1):
    """Compute the logsumexp of chunked data in one pass, holding one chunk at a time.

    Parameters
    ----------
    chunks : iterable of array_like
        The pieces of the data, split along ``axis`` (any sizes, empty ones allowed); a
        one-shot iterator or generator is fine, since it is read once.
    axis : int, optional
        The axis along which the data is split and reduced. The default, -1, is the last.

    Returns
    -------
    lse : ndarray
        The logsumexp of the concatenated chunks, in float64 (the state's precision), with
        the batch shape (0-d for 1-D chunks). Within a few ε of :func:`softmaxlib.logsumexp`
        on the concatenated data for any split. NaN propagates, +inf gives +inf, and no
        chunks or only -inf give -inf.

    Notes
    -----
    Each chunk is summarised by :func:`lse_state` and merged into the running state with
    :func:`merge_lse`: one read of each element, and memory for one chunk.

    References
    ----------
    Milakov & Gimelshein (2018), "Online normalizer calculation for softmax", arXiv:1805.02867.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import streaming_logsumexp, logsumexp
    >>> x = np.linspace(-5.0, 5.0, 11)
    >>> chunks = (x[i:i + 3] for i in range(0, 11, 3))  # a generator: read once
    >>> print(np.isclose(streaming_logsumexp(chunks), logsumexp(x)))
    True
    """
    return _fold(chunks, axis).logsumexp()[()]


def streaming_softmax(chunks, axis=-1):
    r"""Yield the softmax of chunked data, chunk by chunk, in two passes over the chunks.

    .. math:: p_i = \frac{e^{x_i - M}}{d}, \qquad (M, d) = \bigoplus_{\text{chunks}} (m, d)

    Parameters
    ----------
    chunks : re-iterable of array_like, or a callable returning an iterator
        The pieces of the data, split along ``axis``. They are read twice: first to build the
        (maximum, sum) state, then to normalise. Pass a list or tuple, any object whose
        ``__iter__`` starts afresh, or a zero-argument function that returns a new iterator
        each time it is called (say, one that reads the chunks from disk).
    axis : int, optional
        The axis along which the data is split and normalised. The default, -1, is the last.

    Yields
    ------
    p : ndarray
        The probabilities of each chunk, in the chunk's dtype (float64 for integers). All of
        them together sum to 1 along ``axis`` and equal :func:`softmaxlib.softmax` of the
        concatenated data within a few ε, for any split.

    Raises
    ------
    TypeError
        If ``chunks`` is a one-shot iterator (it cannot be read twice), or a chunk is complex,
        boolean, string or object.

    Notes
    -----
    Edge cases follow :func:`softmaxlib.softmax`: NaN anywhere makes every probability NaN;
    +inf entries share the probability equally; all -inf gives NaN. A leading run of -inf
    chunks is harmless: the state (-inf, 0) is the identity of the merge. Memory is one chunk
    and its output, whatever the total length.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import streaming_softmax, softmax
    >>> x = np.array([-np.inf, 1.0, 2.0, 3.0, 4.0])
    >>> parts = [x[:1], x[1:3], x[3:]]
    >>> p = np.concatenate(list(streaming_softmax(parts)))
    >>> print(np.round(p, 4))
    [0.     0.0321 0.0871 0.2369 0.6439]
    >>> print(np.allclose(p, softmax(x)))
    True
    """
    source = _reiterable(chunks)
    state = _fold(source(), axis)
    yield from _normalise(source(), state, axis, log=False)


def streaming_log_softmax(chunks, axis=-1):
    """Yield the log-softmax of chunked data, chunk by chunk, in two passes over the chunks.

    Parameters
    ----------
    chunks : re-iterable of array_like, or a callable returning an iterator
        As for :func:`streaming_softmax`: the chunks are read twice.
    axis : int, optional
        The axis along which the data is split. The default, -1, is the last.

    Yields
    ------
    logp : ndarray
        ``(x - M) - log1p(s)`` for each chunk, in the chunk's dtype: within a few ε of
        :func:`softmaxlib.log_softmax` of the concatenated data, for any split.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import streaming_log_softmax
    >>> x = np.array([0.0] + [-40.0] * 999)
    >>> first = next(streaming_log_softmax([x[:10], x[10:]]))
    >>> print(f"{first[0]:.4e}")  # log1p keeps the tiny log-probability of the winner
    -4.2441e-15
    """
    source = _reiterable(chunks)
    state = _fold(source(), axis)
    yield from _normalise(source(), state, axis, log=True)


def blockwise_attention(q, k, v, block_size=128):
    r"""Compute softmax(Q Kᵀ / √d) V block by block over the keys, with online rescaling.

    .. math:: O = \operatorname{softmax}\!\left(\frac{Q K^\top}{\sqrt{d}}\right) V

    For each block of keys the scores ``S = Q K_bᵀ / √d`` are formed, the running row maxima
    ``m`` updated to ``m_new``, and the accumulated output and row sums rescaled by
    ``exp(m - m_new)`` before the block's ``exp(S - m_new) V_b`` is added: the merge of
    :func:`merge_lse` carried along with the weighted values. Only an (n_q × block_size)
    block of scores exists at any time, never the full (n_q × n_k) matrix.

    Parameters
    ----------
    q : array_like, shape (n_q, d)
        Queries.
    k : array_like, shape (n_k, d)
        Keys.
    v : array_like, shape (n_k, d_v)
        Values.
    block_size : int, optional
        Keys per block. The default, 128, is a typical tile; any positive int gives the same
        result up to rounding.

    Returns
    -------
    out : ndarray, shape (n_q, d_v)
        The attention output, in the result dtype of the inputs (float64 for integers),
        computed in float64. Equal to the full computation within a few ε.

    Raises
    ------
    TypeError
        If an input is not real numeric, or ``block_size`` is not an int.
    ValueError
        If the shapes do not fit together, ``n_k`` is 0, or ``block_size`` < 1.

    References
    ----------
    Dao et al. (2022), "FlashAttention: fast and memory-efficient exact attention with
    IO-awareness"; Rabe & Staats (2021), "Self-attention does not need O(n²) memory".

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import blockwise_attention, softmax
    >>> rng = np.random.default_rng(0)
    >>> q, k, v = rng.normal(size=(4, 8)), rng.normal(size=(10, 8)), rng.normal(size=(10, 3))
    >>> full = softmax(q @ k.T / np.sqrt(8)) @ v
    >>> print(np.allclose(blockwise_attention(q, k, v, block_size=3), full))
    True
    """
    q, k, v = _real(q, "q"), _real(k, "k"), _real(v, "v")
    for name, a in (("q", q), ("k", k), ("v", v)):
        if a.ndim != 2:
            raise ValueError(f"{name} must be a 2-D array, got shape {a.shape}")
    if q.shape[1] != k.shape[1]:
        raise ValueError(f"q and k must have the same width d, got {q.shape[1]} and {k.shape[1]}")
    if k.shape[0] != v.shape[0]:
        raise ValueError(f"k and v must have the same number of rows, got {k.shape[0]} and {v.shape[0]}")
    if k.shape[0] == 0:
        raise ValueError("k must have at least one row: attention over no keys is undefined")
    if isinstance(block_size, (bool, np.bool_)) or not isinstance(block_size, (int, np.integer)):
        raise TypeError(f"block_size must be a positive int, got {block_size!r}")
    if block_size < 1:
        raise ValueError(f"block_size must be a positive int, got {block_size!r}")
    out_dtype = np.result_type(q.dtype, k.dtype, v.dtype)
    qq, kk, vv = (a.astype(np.float64, copy=False) for a in (q, k, v))
    scale = 1.0 / np.sqrt(q.shape[1])
    n_q = q.shape[0]
    m = np.full((n_q, 1), -np.inf)
    d = np.zeros((n_q, 1))
    acc = np.zeros((n_q, v.shape[1]))
    for start in range(0, k.shape[0], block_size):
        scores = (qq @ kk[start : start + block_size].T) * scale
        m_new = np.maximum(m, scores.max(axis=1, keepdims=True))
        with np.errstate(invalid="ignore"):
            # exp(m - m_new) rescales what was accumulated; at the start m = -inf gives 0.
            alpha = np.where(m == m_new, 1.0, np.exp(np.where(m == m_new, 0.0, m - m_new)))
        p = np.exp(scores - m_new)
        d = d * alpha + p.sum(axis=1, keepdims=True)
        acc = acc * alpha + p @ vv[start : start + block_size]
        m = m_new
    return (acc / d).astype(out_dtype, copy=False)


# --------------------------------------------------------------------------------------------
# Helpers.


def _exp_compensated(x, m):
    """exp(x - m) to a few ulps even when x - m is rounded, as softmaxlib.core does.

    With d = fl(x - m) and err its rounding error (Knuth's TwoSum, x - m = d + err exactly),
    exp(x - m) = exp(d) (1 + err) to first order. Without this, exp turns the absolute error
    of d into a relative error of up to |d| ulps; with it, splitting the data into chunks
    loses nothing even where one entry dominates and log1p(s) is as accurate as s.
    """
    d = np.asarray(x - m)
    if d.ndim == 0 or d.dtype != np.float64:  # a merge of two states: nothing to save
        bp = d - x
        err = (x - (d - bp)) - (m + bp)
        e = np.exp(d)
        return np.where(e == 0.0, 0.0, e * (1.0 + err))  # -inf entries have a NaN err
    # In place, three chunk-sized arrays at a time: the second pass stays within a few chunks.
    bp = d - x  # what the subtraction "saw" of -m
    err = d - bp  # ... and of x
    np.subtract(x, err, out=err)
    np.add(bp, m, out=bp)
    np.subtract(err, bp, out=err)  # x - m == d + err exactly
    e = np.exp(d, out=d)
    np.add(err, 1.0, out=err)
    np.multiply(e, err, out=err)  # exp(d + err) = exp(d) (1 + err) to first order
    err[e == 0.0] = 0.0  # -inf entries have a NaN err
    return err


def _real(x, name):
    arr = as_float_array(x, name)
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real for streaming softmax, got {arr.dtype}")
    return arr


def _fold(chunks, axis):
    """Merge the states of every chunk into one (the first pass)."""
    state = None
    for chunk in chunks:
        st = lse_state(chunk, axis)
        state = st if state is None else merge_lse(state, st)
    return LSEState.empty() if state is None else state


def _reiterable(chunks):
    """Return a zero-argument function giving a fresh iterator over ``chunks`` each call."""
    if callable(chunks) and not hasattr(chunks, "__iter__"):
        return lambda: iter(chunks())
    if isinstance(chunks, Iterator):
        raise TypeError(
            "chunks must be re-iterable (a list, a tuple, or a function returning a new "
            f"iterator) because softmax reads them twice; got a one-shot {type(chunks).__name__}"
        )
    if not hasattr(chunks, "__iter__"):
        raise TypeError(f"chunks must be an iterable of arrays, got {type(chunks).__name__}")
    return lambda: iter(chunks)


def _normalise(chunks, state, axis, log):
    """The second pass: divide each chunk's exp(x - M) by d = 1 + s (or subtract log1p(s))."""
    M, S = np.asarray(state.m), np.asarray(state.s)
    for chunk in chunks:
        arr = _real(chunk, "chunk")
        if arr.ndim == 0:
            arr = arr.reshape(1)
        w = np.moveaxis(arr, axis, -1).astype(np.float64, copy=False)
        m, s = M[..., None], S[..., None]
        finite = np.isfinite(m)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            shifted = w - np.where(finite, m, 0.0)
            if log:
                out = shifted - np.log1p(s)
                top = np.where(w == np.inf, -np.log1p(s), -np.inf)
            else:
                # exp of the rounded difference would carry up to |x - M|/2 ulps: compensate.
                out = _exp_compensated(w, np.where(finite, m, 0.0)) / (1.0 + s)
                top = (w == np.inf) / (1.0 + s)
        out = np.where(m == np.inf, top, out)
        out = np.where(np.isnan(m) | (m == -np.inf), np.nan, out)
        yield np.moveaxis(out, -1, axis).astype(arr.dtype, copy=False)
