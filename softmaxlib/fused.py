r"""Softmax and log-softmax as fused, multi-threaded numba kernels.

The numpy functions in :mod:`softmaxlib.core` are the reference. They sweep the whole array
several times (maximum, shift, exponential, sum, division), each sweep a separate numpy call
that allocates a temporary as large as the input. The kernels here do the same arithmetic one
row at a time, while the row is still in cache, write straight into the output, and spread the
rows over the available threads (``numba.set_num_threads`` sets how many).

The kernels are compiled on first use and cached on disk (numba's ``cache=True``, in
``softmaxlib/__pycache__``, or in ``NUMBA_CACHE_DIR`` if that is set), so only the first call
in a fresh clone pays for compilation.
"""

import math

import numpy as np

from . import core
from ._validation import as_float_array, check_temperature, normalize_axes

__all__ = ["fused_softmax", "fused_log_softmax"]

# The dtypes the kernels are compiled for; the others go to the numpy reference.
_KERNEL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def fused_softmax(x, axis=-1, *, temperature=1.0):
    r"""Compute the softmax of ``x`` along ``axis`` with a fused, multi-threaded kernel.

    .. math:: \operatorname{softmax}(x)_i = \frac{e^{x_i/T - m}}{1 + \sum_{j \ne k} e^{x_j/T - m}},
              \qquad m = x_k/T = \max_j x_j/T

    Parameters
    ----------
    x : array_like
        Scores (logits). float32 and float64 run in the kernel; integers become float64;
        float16 and complex input is passed to :func:`softmaxlib.softmax`.
    axis : int, tuple of ints or None, optional
        The axis or axes along which the probabilities sum to 1. The default, -1, is the
        last axis, and the fastest for a C-contiguous array: any other choice costs a copy.
        None means every element at once.
    temperature : float, optional
        The temperature T > 0 that divides the scores. The default, 1.0, is plain softmax.

    Returns
    -------
    p : ndarray
        Probabilities of the shape and dtype of ``x`` (float64 for integers), each slice along
        ``axis`` in [0, 1] and summing to 1. A new array: it never aliases ``x``.

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
    The same algorithm, accuracy and edge cases as :func:`softmaxlib.softmax`: shift by the
    maximum, whose own term is exactly 1, and divide by the sum of all the terms, ``1 + s``
    (summed with the 1 in it: one rounding fewer than adding 1 to ``s``); float32 is
    computed in float64 and rounded once. The sum is compensated, so its
    rounding error does not grow with the row length. NaN makes its slice NaN, +inf entries
    share the probability equally, an all -inf slice gives NaN and an empty slice an empty
    result. No floating-point warning is ever emitted.

    Only the output is allocated at the size of the input. float64 output holds the terms
    while the row is worked on; for float32 output each thread also holds one float64
    scratch row.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import fused_softmax, softmax
    >>> x = np.array([[1000.0, 1001.0, 1002.0], [0.0, -np.inf, np.inf]])
    >>> print(np.round(fused_softmax(x), 4))
    [[0.09   0.2447 0.6652]
     [0.     0.     1.    ]]
    >>> print(np.allclose(fused_softmax(x), softmax(x)))
    True
    """
    return _run(x, axis, temperature, log=False)


def fused_log_softmax(x, axis=-1, *, temperature=1.0):
    r"""Compute the log-softmax of ``x`` along ``axis`` with a fused, multi-threaded kernel.

    .. math:: \log\operatorname{softmax}(x)_i = (x_i/T - m) - \operatorname{log1p}(s),
              \qquad s = \sum_{j \ne k} e^{x_j/T - m}

    Parameters
    ----------
    x : array_like
        Scores (logits). float32 and float64 run in the kernel; integers become float64;
        float16 and complex input is passed to :func:`softmaxlib.log_softmax`.
    axis : int, tuple of ints or None, optional
        The axis or axes of the distribution. The default, -1, is the last axis.
    temperature : float, optional
        The temperature T > 0 that divides the scores. The default, 1.0, is plain log-softmax.

    Returns
    -------
    logp : ndarray
        Log-probabilities, all at most 0, of the shape and dtype of ``x`` (float64 for
        integers).

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
    The same algorithm, accuracy and edge cases as :func:`softmaxlib.log_softmax`: +inf
    entries get ``-log(count of +inf)`` and the rest -inf, NaN and all -inf slices give NaN.
    The probabilities are never formed, so a dominant entry keeps its tiny log-probability.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import fused_log_softmax
    >>> x = np.array([0.0] + [-40.0] * 999)
    >>> print(f"{fused_log_softmax(x)[0]:.4e}")
    -4.2441e-15
    """
    return _run(x, axis, temperature, log=True)


def _key(bits, w):
    """The order-preserving integer key of a w-bit float pattern (see _fused_kernels)."""
    u = int(bits) & ((1 << w) - 1)
    b = u - (1 << w) * (u >> (w - 1))  # as a signed w-bit integer
    return b ^ ((b >> (w - 1)) & ((1 << (w - 1)) - 1))


def _run(x, axis, temperature, log):
    arr = as_float_array(x)
    t = check_temperature(temperature)
    if arr.dtype not in _KERNEL_DTYPES:  # float16, longdouble and complex: the numpy reference
        ref = core.log_softmax if log else core.softmax
        return ref(arr, axis, temperature=temperature)
    if arr.ndim == 0:
        if axis not in (None, -1, 0, ()):
            normalize_axes(axis, 0)  # raises the usual AxisError
        rows, restore = arr.reshape(1, 1), lambda r: r.reshape(())[()]  # a numpy scalar, as core
    else:
        axes = normalize_axes(axis, arr.ndim)
        dest = tuple(range(arr.ndim - len(axes), arr.ndim))
        trailing = axes == dest  # the last axes already (axis=-1): no move, no copy
        moved = arr if trailing else np.moveaxis(arr, axes, dest)
        n = math.prod(arr.shape[a] for a in axes)
        n_rows = math.prod(moved.shape[: arr.ndim - len(axes)])
        rows = np.ascontiguousarray(moved.reshape(n_rows, n))  # a view for the last axis

        def restore(r):
            r = r.reshape(moved.shape)
            return r if trailing else np.moveaxis(r, dest, axes)

    out = np.empty(rows.shape, dtype=arr.dtype)
    if out.size:
        _launch(rows, out, t, log)
    return restore(out)


#: Inputs smaller than this many elements run on the calling thread only: below it, handing
#: the rows to the threads costs about what it saves (measured: 16 x 1000 float64 rows took
#: 27 us either way; 2000 x 10 took 210 us on one thread, 100 us on two).
_PARALLEL_MIN_SIZE = 1 << 14

#: Blocks of rows per thread: more than one, so that the work balances on a busy machine.
_BLOCKS_PER_THREAD = 8


def _launch(rows, out, t, log):
    global _numba, _kernels
    if _kernels is None:  # loaded on first use: importing numba takes a while
        import numba

        from . import _fused_kernels

        _numba, _kernels = numba, _fused_kernels
    w = 8 * rows.dtype.itemsize
    ints = rows.view(np.int32 if w == 32 else np.int64)
    kninf = _KEY_OF_MINUS_INF[w]
    n_rows = rows.shape[0]
    threads = _numba.get_num_threads()
    if rows.size < _PARALLEL_MIN_SIZE or threads == 1 or n_rows == 1:
        block = _kernels.log_softmax_block if log else _kernels.softmax_block
        block(rows, ints, out, t, w, kninf, 0, n_rows)
        return
    blocks = min(n_rows, _BLOCKS_PER_THREAD * threads)
    kernel = _kernels.log_softmax_rows if log else _kernels.softmax_rows
    with _numba.parallel_chunksize(1):
        kernel(rows, ints, out, t, w, kninf, blocks)


_numba = _kernels = None

#: The key of -inf for 32- and 64-bit floats (what the kernels compare a row's keys with).
_KEY_OF_MINUS_INF = {
    w: _key(np.array(-np.inf, dtype=dt).view(it)[()], w)
    for w, dt, it in ((32, np.float32, np.int32), (64, np.float64, np.int64))
}
