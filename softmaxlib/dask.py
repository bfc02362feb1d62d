r"""logsumexp, softmax and log_softmax of chunked ``dask.array`` arrays, beyond one machine.

The reduction is the associative merge of :mod:`softmaxlib.streaming`: each chunk is
summarised by an :class:`~softmaxlib.streaming.LSEState` ``(m, s)`` (its maximum and the sum of
``exp(x - m)`` over its other entries), and :func:`~softmaxlib.streaming.merge_lse` combines the
summaries in dask's tree reduction (``dask.array.reduction`` with chunk, combine and aggregate
steps), so no worker ever holds more than its own chunks. softmax and log_softmax then
normalise every chunk against the merged summary, in a second, embarrassingly parallel pass:

.. math:: \log\operatorname{softmax}(x)_i = (x_i - m) - \operatorname{log1p}(s)

The maximum and ``log1p(s)`` are kept apart until the very end, as in :mod:`softmaxlib.core`,
so a dominant entry keeps its tiny log-probability.

dask is an optional dependency (``pip install softmaxlib[dask]``): ``import softmaxlib`` never
imports this module; ``import softmaxlib.dask`` needs dask.

Examples
--------
>>> import dask
>>> import dask.array as da
>>> import numpy as np
>>> from softmaxlib.dask import softmax
>>> x = da.from_array(np.array([[1.0, 2.0, 3.0, 4.0]]), chunks=(1, 2))
>>> with dask.config.set(scheduler="synchronous"):
...     print(np.round(softmax(x).compute(), 4))
[[0.0321 0.0871 0.2369 0.6439]]
"""

import dask.array as da
import numpy as np

from ._validation import normalize_axes
from .core import _twosum_error
from .streaming import LSEState, lse_state, merge_lse

__all__ = ["logsumexp", "softmax", "log_softmax"]

#: How a summary travels as one array element: the maximum and the sum of the other terms.
_STATE = np.dtype([("m", np.float64), ("s", np.float64)])


def _as_dask(x):
    """``x`` as a real floating dask array (integers become float64), or raise TypeError."""
    arr = x if isinstance(x, da.Array) else da.asarray(x)
    kind = arr.dtype.kind
    if kind in "iu":
        return arr.astype(np.float64)
    if kind != "f":
        raise TypeError(f"x must hold real numbers, got a dask array of dtype {arr.dtype}")
    return arr


def _summarise(block, axis, keepdims=True, computing_meta=False, **kwargs):
    """The chunk step: the LSEState of one block over ``axis``, with the reduced axes kept."""
    if computing_meta:  # dask asks for the type of the result: an array, as dask's own mean
        return block
    dest = tuple(range(block.ndim - len(axis), block.ndim))
    moved = np.moveaxis(block, axis, dest)
    batch = moved.shape[: block.ndim - len(axis)]
    state = lse_state(moved.reshape(batch + (-1,)).astype(np.float64), axis=-1)
    kept = tuple(1 if i in axis else n for i, n in enumerate(block.shape))
    return {"m": np.reshape(state.m, kept), "s": np.reshape(state.s, kept)}


def _flatten(parts):
    """The dicts of a (nested) list that dask hands to combine and aggregate, in a flat list."""
    if isinstance(parts, dict):
        return [parts]
    return [d for p in parts for d in _flatten(p)]


def _merge(parts, axis=None, keepdims=True, computing_meta=False, **kwargs):
    """The combine step: merge_lse folded over the summaries of neighbouring chunks."""
    if computing_meta:
        return parts
    states = _flatten(parts)
    total = LSEState(states[0]["m"], states[0]["s"])
    for st in states[1:]:
        total = merge_lse(total, LSEState(st["m"], st["s"]))
    return {"m": total.m, "s": total.s}


def _packed(parts, axis=None, keepdims=True, computing_meta=False, **kwargs):
    """The aggregate step: the merged summary as an array of _STATE (reduced axes kept)."""
    if computing_meta:
        return np.empty((0,) * np.ndim(parts), dtype=_STATE)
    merged = _merge(parts)
    out = np.empty(np.shape(merged["m"]), dtype=_STATE)
    out["m"], out["s"] = merged["m"], merged["s"]
    return out


def _state(x, axes, split_every=None):
    """The merged LSEState of ``x`` over ``axes``, reduced axes kept, as a dask array of _STATE."""
    meta = np.empty((0,) * x.ndim, dtype=_STATE)
    return da.reduction(
        x,
        chunk=_summarise,
        combine=_merge,
        aggregate=_packed,
        axis=axes,
        keepdims=True,
        dtype=_STATE,
        split_every=split_every,
        concatenate=False,
        meta=meta,
    )


def _lse_block(st, out_dtype):
    """logsumexp m + log1p(s) of a block of summaries (LSEState's own edge cases)."""
    return LSEState(st["m"], st["s"]).logsumexp().astype(out_dtype)


def _normalise(block, st, log, out_dtype):
    """softmax or log_softmax of one block against the merged summary ``st`` of its slices."""
    m, s = st["m"], st["s"]
    x = block.astype(np.float64)  # float16/32 differences are exact in float64
    with np.errstate(all="ignore"):
        finite = np.isfinite(m)
        m0 = np.where(finite, m, 0.0)
        d = x - m0
        if log:
            out = d - np.log1p(s)
            top = np.where(x == np.inf, -np.log1p(s), -np.inf)  # +inf entries share the mass
        else:
            # The rounding of x - m, recovered with TwoSum: exp(d + err) = exp(d) (1 + err).
            e = np.exp(d)
            e += e * np.nan_to_num(_twosum_error(x, m0, d), nan=0.0)
            out = e / (1.0 + s)
            top = (x == np.inf) / (1.0 + s)
        out = np.where(m == np.inf, top, out)
        out = np.where(np.isnan(m) | (m == -np.inf), np.nan, out)  # NaN, or no finite entry
    return out.astype(out_dtype)


def logsumexp(x, axis=-1, *, keepdims=False, split_every=None):
    r"""Compute ``log(sum(exp(x)))`` of a dask array along ``axis``, as a tree reduction.

    .. math:: \operatorname{lse}(x) = m + \operatorname{log1p}(s), \qquad
              (m, s) = \bigoplus_{\text{chunks}} \operatorname{lse\_state}(\text{chunk})

    Parameters
    ----------
    x : dask.array.Array or array_like
        Real scores, chunked in any way. Integers become float64; float16/float32 are summed
        in float64 and the result rounded back.
    axis : int, tuple of ints or None, optional
        The axis or axes to reduce. The default, -1, is the last axis; None reduces all.
    keepdims : bool, optional
        Keep the reduced axes with length 1. The default, False, drops them.
    split_every : int or dict, optional
        How many chunks each combine step merges (dask's fan-in). The default, None, is
        dask's.

    Returns
    -------
    lse : dask.array.Array
        Lazy: call ``.compute()``. Of the dtype of ``x`` (float64 for integers), and of the
        reduced shape. Edge cases as :func:`softmaxlib.logsumexp`: NaN propagates, +inf gives
        +inf, an all -inf slice gives -inf.

    Raises
    ------
    TypeError
        If ``x`` is complex, boolean or not numeric.
    numpy.exceptions.AxisError
        If ``axis`` is out of range.

    Notes
    -----
    Each chunk is summarised by :func:`softmaxlib.streaming.lse_state` and the summaries are
    merged with :func:`softmaxlib.streaming.merge_lse`, which is associative, so the order
    of dask's tree does not matter beyond rounding.

    Examples
    --------
    >>> import dask
    >>> import dask.array as da
    >>> import numpy as np
    >>> from softmaxlib.dask import logsumexp
    >>> x = da.from_array(np.array([1000.0, 1000.0, -5.0, 2.0]), chunks=2)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     print(float(logsumexp(x).compute()))  # 1000 + log 2, no overflow
    1000.6931471805599
    """
    arr = _as_dask(x)
    axes = normalize_axes(axis, arr.ndim)
    st = _state(arr, axes, split_every)
    meta = np.empty((0,) * arr.ndim, arr.dtype)
    out = st.map_blocks(_lse_block, out_dtype=arr.dtype, dtype=arr.dtype, meta=meta)
    if not keepdims:
        out = out.squeeze(axis=axes)
    return out


def _normalised(x, axis, log, split_every):
    arr = _as_dask(x)
    axes = normalize_axes(axis, arr.ndim)
    st = _state(arr, axes, split_every)
    return da.map_blocks(
        _normalise, arr, st, log=log, out_dtype=arr.dtype, dtype=arr.dtype,
        meta=np.empty((0,) * arr.ndim, arr.dtype),
    )


def softmax(x, axis=-1, *, split_every=None):
    r"""Compute the softmax of a dask array along ``axis``: a tree reduction, then one pass.

    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i - m}}{1 + s}

    Parameters
    ----------
    x : dask.array.Array or array_like
        Real scores, chunked in any way (along ``axis`` too). Integers become float64.
    axis : int, tuple of ints or None, optional
        The axis or axes along which the probabilities sum to 1. The default, -1, is the last
        axis; None means every element at once.
    split_every : int or dict, optional
        dask's fan-in for the reduction. The default, None, is dask's.

    Returns
    -------
    p : dask.array.Array
        Lazy probabilities of the shape, chunks and dtype of ``x``, each slice summing to 1.
        Edge cases as :func:`softmaxlib.softmax`: NaN makes its slice NaN, +inf entries share
        the probability, an all -inf slice gives NaN.

    Raises
    ------
    TypeError
        If ``x`` is complex, boolean or not numeric.
    numpy.exceptions.AxisError
        If ``axis`` is out of range.

    Examples
    --------
    >>> import dask
    >>> import dask.array as da
    >>> import numpy as np
    >>> from softmaxlib.dask import softmax
    >>> x = da.from_array(np.array([[1000.0, 1001.0, 1002.0]]), chunks=(1, 1))
    >>> with dask.config.set(scheduler="threads"):
    ...     print(np.round(softmax(x).compute(), 4))
    [[0.09   0.2447 0.6652]]
    """
    return _normalised(x, axis, False, split_every)


def log_softmax(x, axis=-1, *, split_every=None):
    r"""Compute the log-softmax of a dask array along ``axis``, accurately.

    .. math:: \log\operatorname{softmax}(x)_i = (x_i - m) - \operatorname{log1p}(s)

    Parameters
    ----------
    x : dask.array.Array or array_like
        Real scores, chunked in any way. Integers become float64.
    axis : int, tuple of ints or None, optional
        The axis or axes of the distribution. The default, -1, is the last axis.
    split_every : int or dict, optional
        dask's fan-in for the reduction. The default, None, is dask's.

    Returns
    -------
    logp : dask.array.Array
        Lazy log-probabilities of the shape, chunks and dtype of ``x``. ``m`` and
        ``log1p(s)`` are subtracted one after the other, never as ``m + log1p(s)``, so a
        dominant entry's log-probability is not rounded to 0.

    Raises
    ------
    TypeError
        If ``x`` is complex, boolean or not numeric.
    numpy.exceptions.AxisError
        If ``axis`` is out of range.

    Examples
    --------
    >>> import dask
    >>> import dask.array as da
    >>> import numpy as np
    >>> from softmaxlib.dask import log_softmax
    >>> x = da.from_array(np.array([100.0, 60.0]), chunks=1)
    >>> with dask.config.set(scheduler="synchronous"):
    ...     print(log_softmax(x).compute())  # not [0, -40]: -log1p(e^-40) is kept
    [-4.24835426e-18 -4.00000000e+01]
    """
    return _normalised(x, axis, True, split_every)
