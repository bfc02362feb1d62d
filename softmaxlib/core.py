"""Softmax, log-softmax, logsumexp and hardmax, computed without overflow and accurately.

All four reduce along ``axis`` (an int, a tuple of ints or None for every element). Integer
input becomes float64; float16, float32, float64 and complex dtypes are kept. float16 and
float32 (complex64) are computed in float64 (complex128) and rounded once at the end.

The real-valued path follows Blanchard, Higham & Higham (2021), Algorithm 4.1: with ``k`` the
index of the maximum and ``s = sum_{i != k} exp(x_i - x_k)``,

    logsumexp(x)   = x_k + log1p(s)
    softmax(x)     = exp(x - x_k) / (1 + s)
    log_softmax(x) = (x - x_k) - log1p(s)

Using ``log1p(s)`` rather than ``log(1 + s)`` keeps the log-probability of a dominant entry
accurate when ``s`` is tiny. In detail:

* ``s`` is always summed without the maximum's own term (exactly 1): softmax divides by
  ``1 + s``, and log_softmax and logsumexp take ``log1p(s)``, so no ``1 + s`` is rounded
  before the log and a dominant entry keeps its tiny log-probability;
* in float64, ``x_i - x_k`` is rounded, and ``exp`` turns an absolute error ``delta`` of its
  argument into a relative error ``delta`` of its value (65 eps on N(0, 30) rows). For
  softmax, in rows spread 2 or wider, the rounding error of every difference is recovered
  exactly (Dekker's Fast2Sum, 2 operations, in rows whose maximum dominates every entry in
  exponent; Knuth's TwoSum, 5, in the others) and fed back as
  ``exp(d + err) = exp(d) (1 + err)``, so every probability is accurate to a few ulps however
  far apart the entries are; narrower rows lose at most half an eps to it and skip the
  work. log_softmax and logsumexp need the correction only in dominated rows (s < 1):
  elsewhere ``log1p(s) >= log 2`` and the roundings move it by at most ``u log(n)``.
  (float16 and float32 differences are exact in float64.) Complex input gets the same
  correction;
* ``exp``'s argument is clamped at -700 in blocks that reach below it: numpy's SIMD ``exp``
  takes a slow path (ten times slower) for arguments that underflow, which masked (-inf)
  entries and widely spread rows are full of. A clamped term cannot show in a sum or in
  float16/float32 output; float64 softmax output gets those terms back exactly (0 below
  e^-746, and the rare ones in between recomputed one by one).

softmax and log_softmax of float16/float32 input at temperature 1 skip the shift where
float64's range allows: with ``S' = sum(exp(x))`` finite and at least e^-580, they return
``exp(x) / S'`` and ``x - log(S')``, found in float64 (relative error about 1e-15) and rounded
once, so they are as accurate as the shifted formulas and one pass cheaper. log_softmax does so
only where ``log(S') - max(x) >= 2**-10`` and ``|log(S')| < 2**10``; other rows take
``(x - max) - log1p(s)``. Rows out of range (huge or tiny scores) are shifted by their
maximum in the same float64 pass, exactly (float16/float32 differences are exact in
float64); rows whose maximum is NaN or infinite (masked out, say) are repaired afterwards.

Rows are processed in cache-sized blocks, in place where possible, so that the peak extra
memory stays near one output and float32 input is upcast one block at a time. The blocks are
grouped in chunks of rows (about 8 MB of input), and a large input's chunks are spread over
threads (softmaxlib.threads: numpy releases the GIL while it computes). Every row's result
depends on that row only, so the threads change no bit of it; each thread holds its own
blocks. The blocks run with numpy's ufunc buffer lowered to 1024 elements (see
_SmallBuffers), so that a row constant such as ``m[:, None]`` is read in place rather than
copied into the buffer.
"""

import math

import numpy as np

from . import threads as _threads
from .threads import for_each_chunk
from ._validation import as_float_array, check_temperature, normalize_axes, working_dtype

__all__ = ["softmax", "log_softmax", "logsumexp", "hardmax"]

#: Elements per block of rows (512 KiB in float64): few enough numpy calls, still cache-sized.
_BLOCK_ELEMENTS = 1 << 16

#: A numpy call costs about as much as arithmetic on this many elements (a microsecond or two
#: of overhead): work done row by row pays it once per row.
_CALL_ELEMENTS = 2048

#: Elements per block of rows for float16/float32 at T = 1 (512 KiB float64 buffers, as
#: _BLOCK_ELEMENTS: larger blocks were no faster, and the buffer counts in the peak memory).
_NARROW_BLOCK_ELEMENTS = 1 << 16

#: float16/float32 rows at T = 1 are taken in chunks of this many bytes (see _softmax_rows).
_CHUNK_BYTES = 1 << 23

#: ... and of at most this many rows, as are all real rows: the arrays of one number per row
#: (maxima, sums, indices) then take at most 32 KiB each, however short the rows (200000
#: rows of 10 float32 scores peaked at 2.3 outputs in one chunk, for 8 bytes per row each).
_CHUNK_ROWS = 4096

#: float64 rows whose shifted scores x - max reach -_SHIFT_SPREAD (times the largest power
#: of two up to T) get the TwoSum correction of every shift; in the others the rounding of
#: x - max costs at most u (half an eps).
_SHIFT_SPREAD = 2.0

#: Rows of at most this many entries are reduced column by column (see _row_max), when there
#: are at least _COLUMN_MIN of them (_COLUMN_MIN_INDEXED if the maxima's indices are wanted):
#: a column pass is a numpy call per column, which pays only over enough rows (measured, rows
#: of 10: the maxima of 16 rows took 2.5 us by argmax, 5.2 by columns; of 256, 9.8 and 7.4;
#: with the indices, 1024 rows took 33 us by argmax and 39 by columns, 4096 113 and 78).
_COLUMN_ROWS = 16
_COLUMN_MIN = 256
_COLUMN_MIN_INDEXED = 2048

#: Rows shorter than this find their minima by argmin and a gather (see _row_min), faster than
#: numpy's min along them; at 4096 entries min is the faster (7.5 against 8.2 us a block).
_ARGMIN_ROWS = 2048

#: Rows of at most this many entries get TwoSum for every shift, without looking for the rows
#: that Dekker's cheaper Fast2Sum could take (see _shift_error). Measured (float64 N(0, 5)
#: softmax, one thread): 200000 x 10 took 23 ms instead of 31, 2048 x 1024 8.0 instead of
#: 11.5, 1024 x 2048 7.6 instead of 10.5; at 4096 x 4096 the search pays (70 against 74 ms).
_TWOSUM_ROWS = 2048

#: A cap on the TwoSum correction: |err| <= 2**-53 * 700 < 2**-43 wherever it matters.
_ERR_CAP = 2.0**-43

#: exp's argument is clamped here where that cannot show (see _real_rows). numpy's AVX-512
#: exp leaves its fast path a little above -708 (ten times slower); e^-700 is normal.
_EXP_FLOOR = -700.0

#: exp(x) rounds to 0 in float64 below this (exp(-745.14) is half the smallest subnormal).
_EXP_ZERO = -746.0

#: ... unless the sum of the non-maximal terms is below n times this (2**-880, about 1e-265):
#: n clamped terms add less than n e^-700, under 1e-38 of such a sum.
_CLAMP_EXACT_ABOVE = 2.0**-880

#: float16/float32 rows whose maximum m has m >= _DIRECT_MIN_LOG and
#: m + log(n) < _DIRECT_MAX_LOG are computed without the shift: e^-580 <= sum(exp(x)) < e^700,
#: so nothing overflows, and a term below e^-700 (clamped there) is below e^-120 of
#: the sum, which rounds to 0 in float32.
_DIRECT_MIN_LOG = -580.0

#: log_softmax's direct path keeps s = sum(exp(x_i)) / exp(max) relative: with max >= -500, the
#: clamped terms (below e^-700) add under n e^-200 to s, far below float32's eps of any s that
#: shows in float32 (s >= 1e-45 = e^-103.6).
_LOG_DIRECT_MIN_LOG = -500.0
_DIRECT_MAX_LOG = 700.0

#: log_softmax's direct formula x - log(S') is used where log(S') - max >= this: the absolute
#: error of log(S'), below 2**-43, is then at most 2**-33 of every result (1/1000 of float32's eps).
_LOG_DIRECT_GAP = 2.0**-10


#: Each thread of the numpy path gets at least this many elements (8 MiB of float32 input,
#: 16 of float64), so that a thread's own scratch blocks (at most 4 of _BLOCK_ELEMENTS float64
#: numbers, 2 MiB, plus its chunk's per-row arrays) stay a small part of the output it writes,
#: and handing a chunk to a thread (tens of microseconds) is nothing beside its work. Inputs
#: of fewer than twice this many elements run on the calling thread alone.
_THREAD_MIN_ELEMENTS = 1 << 21


#: The numpy path's scratch blocks are carved from the memory of the output's last rows, which
#: are written last (see _output_scratch and _each_chunk), so that a call's peak memory is its
#: output and little more, provided those last rows are at most this fraction of the rows and
#: the rows have at least _CALL_ELEMENTS entries (the last rows are computed in blocks that
#: shrink to a row; a row must then pay a numpy call's overhead with enough arithmetic).
#: Shorter rows keep allocated blocks: their arrays of one number per row (maxima, sums)
#: outweigh the blocks anyway (1.06 outputs at 200000 x 10).
_TAIL_ROWS = 1 / 16


def _chunking(rows):
    """(rows per chunk, threads) for real (R, n > 0) ``rows``.

    A chunk is about _CHUNK_BYTES of input (so that it stays in the last-level cache from the
    pass for the maximum to the last one) and at most _CHUNK_ROWS rows; with several threads,
    at most an equal share of the rows, so that every thread has work.
    """
    n_rows, n = rows.shape
    chunk = max(1, min(_CHUNK_BYTES // (n * rows.itemsize), _CHUNK_ROWS))
    threads = max(1, min(_threads.get_num_threads(), rows.size // _THREAD_MIN_ELEMENTS))
    if threads > 1:
        chunk = min(chunk, -(-n_rows // threads))
    return chunk, threads


def _cache_lines(k):
    """``k`` float64 values, rounded up to whole 64-byte cache lines (8 values each)."""
    return -(-k // 8) * 8


def _float64_memory(rows):
    """The memory of C-contiguous ``rows`` as a flat float64 array that starts on a cache
    line (up to 64 bytes at its start and a few at its end are left out)."""
    raw = rows.reshape(-1).view(np.uint8)
    start = -raw.ctypes.data % 64
    return raw[start : start + (raw.size - start) // 8 * 8].view(np.float64)


def _output_scratch(out, per_thread, threads):
    """float64 scratch for ``threads`` threads, carved from the last rows of ``out``.

    ``out`` is a C-contiguous (R, n) array that nothing has written yet, and ``per_thread``
    the number of float64 values each thread needs. Returns ``(n_main, pools)``: one flat
    float64 array per thread, each starting on a 64-byte boundary, inside the memory of the
    rows from ``n_main`` on. Every row before ``n_main`` must be written before those last
    rows are. ``pools`` is None, and ``n_main`` R, for rows shorter than _CALL_ELEMENTS and
    when the last rows would be more than _TAIL_ROWS of the rows (small outputs): the
    scratch is then allocated.
    """
    n_rows, n = out.shape
    if n < _CALL_ELEMENTS:
        return n_rows, None
    per_thread = _cache_lines(per_thread)  # so that each pool starts on a cache line
    need = 8 * threads * per_thread + 64  # bytes, with room to move to a cache line
    tail = -(-need // (n * out.itemsize))
    if tail > _TAIL_ROWS * n_rows:
        return n_rows, None
    flat = _float64_memory(out[n_rows - tail :])
    return n_rows - tail, [flat[w * per_thread : (w + 1) * per_thread] for w in range(threads)]


def _taker(pool):
    """``take(shape, dtype)``: an empty C-contiguous array, carved from ``pool`` (a flat
    float64 array, or None) while it has room for a float64 one, else allocated."""
    used = 0

    def take(shape, dtype=np.float64):
        nonlocal used
        size = math.prod(shape)
        if pool is None or np.dtype(dtype) != np.float64 or used + size > pool.size:
            return np.empty(shape, dtype=dtype)
        start, used = used, used + _cache_lines(size)  # the next one starts on a cache line
        return pool[start : start + size].reshape(shape)

    return take


def _gather(a, idx, out):
    """The rows ``idx`` of ``a``, copied into ``out`` (None: a new array). numpy's default
    mode "raise" copies them through a temporary as large as ``out``; "clip" does not, and
    changes nothing for indices in range."""
    return np.take(a, idx, axis=0, mode="clip", out=out)


def _each_chunk(rows, out, buffers, block, chunk_of_rows):
    """Call ``chunk_of_rows(c0, c1, take, block)`` over chunks of the rows of ``out``.

    ``rows`` (R, n) is the input and ``out`` the (R, n) output, which nothing has written
    yet; a chunk's blocks hold about ``block`` elements and need at most ``buffers`` float64
    scratch blocks, which they get from ``take`` (see _taker). Those come from the memory of
    the output's last rows (_output_scratch), the same memory for every chunk a thread takes,
    so it stays in that core's cache as a buffer of its own would.

    The last rows are then computed from the bottom up, on the calling thread: each block takes
    its scratch from the rows above it, which are not written yet, so the blocks shrink (by
    about a third each for float64 with two buffers) until a few rows are left, which are
    computed a row at a time with allocated scratch (at most ``buffers`` rows of float64).
    On two threads, splitting those rows into blocks of a row or two instead took 5 to 6 ms
    (76 us a row) of a 45 ms float64 call at 4096 x 4096.
    """
    n_rows, n = rows.shape
    chunk, threads = _chunking(rows)
    per_buffer = min(chunk, max(1, block // n)) * n
    # Each buffer starts on a cache line (see _taker).
    n_main, pools = _output_scratch(out, buffers * _cache_lines(per_buffer), threads)
    if pools is None:
        for_each_chunk(n_rows, chunk, threads,
                       lambda c0, c1, w: chunk_of_rows(c0, c1, _taker(None), block))
        return
    for_each_chunk(n_main, chunk, threads,
                   lambda c0, c1, w: chunk_of_rows(c0, c1, _taker(pools[w]), block))
    row_bytes = n * out.itemsize
    hi = n_rows
    while hi > n_main:
        b = min(max(1, block // n), hi - n_main)
        # b rows need buffers blocks of b n float64 values (whole cache lines each, and 64
        # bytes to reach a cache line), in the rows between n_main and the block.
        while b and 8 * buffers * _cache_lines(b * n) + 64 > (hi - b - n_main) * row_bytes:
            b -= 1
        if not b:
            chunk_of_rows(n_main, hi, _taker(None), n)  # a row at a time, allocated
            return
        chunk_of_rows(hi - b, hi, _taker(_float64_memory(out[n_main : hi - b])), b * n)
        hi -= b


# --------------------------------------------------------------------------------------------
# Reshaping: every reduction is done along the last axis of a (rows, n) array.


def _to_rows(x, axis):
    """Move the reduced axes of ``x`` to the end and merge them: return (rows, restore, axes).

    ``rows`` has shape (R, n), with n the number of reduced elements; ``restore`` maps an
    (R, n) array back to the shape of ``x``; ``axes`` is the normalised tuple of reduced axes.
    """
    if x.ndim == 0:
        # A scalar is a single element: only the whole-array axes make sense for it.
        if axis not in (None, -1, 0, ()):
            normalize_axes(axis, 0)  # raises the usual AxisError
        # A 0-d result is returned as a numpy scalar, as numpy and scipy do.
        return x.reshape(1, 1), (lambda r: r.reshape(())[()]), ()

    if type(axis) is int and axis in (-1, x.ndim - 1):
        # The usual case, the last axis: a reshape (a view of contiguous input), without
        # moveaxis and its checks (a third of the time of a call on a handful of numbers).
        shape = x.shape
        rows = x.reshape(math.prod(shape[:-1]), shape[-1])
        return rows, (lambda r: r.reshape(shape)), (x.ndim - 1,)

    axes = normalize_axes(axis, x.ndim)
    dest = tuple(range(x.ndim - len(axes), x.ndim))
    moved = np.moveaxis(x, axes, dest)
    kept_shape = moved.shape[: x.ndim - len(axes)]
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    rows = moved.reshape((int(np.prod(kept_shape, dtype=np.int64)), n))

    def restore(r):
        return np.moveaxis(r.reshape(moved.shape), dest, axes)

    return rows, restore, axes


def _reduced_shape(shape, axes, keepdims):
    """The shape of a reduction of an array of ``shape`` over ``axes``."""
    if keepdims:
        return tuple(1 if i in axes else s for i, s in enumerate(shape))
    return tuple(s for i, s in enumerate(shape) if i not in axes)


def _as_mask(where, shape):
    """Return the boolean mask ``where`` broadcast to ``shape``, or raise."""
    mask = np.asarray(where)
    if mask.dtype != np.bool_:
        raise TypeError(f"where must be a boolean array, got dtype {mask.dtype}")
    try:
        return np.broadcast_to(mask, shape)
    except ValueError:
        raise ValueError(
            f"where must broadcast to the shape of x {shape}, got shape {mask.shape}"
        ) from None


def _as_weights(b):
    """Return the weights ``b`` as a numeric array (booleans count as 0 and 1), or raise."""
    try:
        arr = np.asarray(b)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"b must be array-like of real or complex numbers: {exc}") from None
    if arr.dtype.kind == "b":
        return arr.astype(np.float64)
    return as_float_array(arr, name="b")


# --------------------------------------------------------------------------------------------
# The real kernel: blocks of rows, shifted by their maximum.


def _twosum_error(x, m, d, out=None, tmp=None):
    """The rounding error of ``d = fl(x - m)``: ``x - m == d + err`` exactly (Knuth's TwoSum).

    ``out`` and ``tmp``, if given, are scratch arrays of the shape of ``x`` (fresh half-MiB
    temporaries cost page faults that take ten times longer than the arithmetic).
    """
    bp = np.subtract(d, x, out=tmp)  # what the subtraction "saw" of -m
    ap = np.subtract(d, bp, out=out)  # ... and of x
    np.subtract(x, ap, out=ap)
    np.add(m, bp, out=bp)
    return np.subtract(ap, bp, out=ap)


def _shift_error(x, m, d, lo, out, tmp, rows=None, floor=None, hint=None):
    """The rounding error ``err`` of ``d = fl(x - m)`` in each row of a block, into ``out``.

    ``x`` and ``d`` are (R, n), ``m`` the finite row maxima and ``lo`` the row minima of ``d``;
    ``rows`` (a boolean (R,) mask, or None for all) says which rows are wanted (the others
    hold garbage). With ``floor`` (a row of the clamp value F), ``err`` is that of
    ``max(d, F)`` instead: exact where ``d >= F`` and, where ``d < F - 1`` or ``x = -inf``,
    at most -1 or NaN, which the caller's ``fmax(err, -1)`` turns into a factor 1 + err = 0.
    ``hint`` False promises that no entry has ``_EXP_ZERO <= d <= -2**e - m`` (see below).
    ``tmp`` is a scratch array like ``out``: nothing of the block's size is allocated here.
    """
    nb, n = x.shape
    if n <= _TWOSUM_ROWS:
        # Short rows: finding the rows Fast2Sum cannot take costs reductions along each row
        # (tens of ns per row), more than TwoSum's 3 extra passes, so the whole block gets
        # TwoSum. Where Fast2Sum is exact, both give the same err, bit for bit.
        src = d if floor is None else np.maximum(d, floor, out=out)
        return _twosum_error(x, m[:, None], src, out, tmp)
    # Dekker's Fast2Sum, 2 passes instead of TwoSum's 5: z = fl(d + m), err = x - z is exact
    # when the exponent of m is at least that of x, i.e. when m > 0 and |x| < P = 2**(e_m + 1).
    # First the rows it cannot do ("slow"), found from d alone.
    P = np.ldexp(1.0, np.frexp(m)[1])  # m = f 2**e with 1/2 <= f < 1: P = 2**e > m
    thr = -P - m  # x <= -P implies d = fl(x - m) <= fl(-P - m): rows with lo > thr are safe
    slow = m <= 0
    maybe = ~slow & (lo <= thr)
    if rows is not None:
        slow &= rows
        maybe &= rows
    if hint is False:
        maybe[:] = False  # the caller found no finite x - m in [-746, thr] (masked rows)
    elif hint and 2 * np.count_nonzero(maybe) > nb:
        # A masked block holding such entries: finding their rows costs 2 passes, and most
        # rows need TwoSum anyway (every row with a masked entry has lo = -inf).
        slow |= maybe
        maybe[:] = False
    if maybe.any():
        # The whole block, in tmp's memory seen as booleans (no copies, no allocation).
        flags = tmp.reshape(-1).view(np.bool_)
        hit = np.less_equal(d, thr[:, None], out=flags[: d.size].reshape(d.shape))
        if floor is not None:
            low = np.greater_equal(d, floor[0], out=flags[d.size : 2 * d.size].reshape(d.shape))
            hit &= low  # clamped entries do not count
        slow |= maybe & hit.any(axis=1)
    # The slow rows get TwoSum, row by row on views (no copies), or on the whole block when
    # that is cheaper: a numpy call costs about as much as _CALL_ELEMENTS elements of
    # arithmetic, so short rows go together (a block of 6553 rows of 10 entries, a third of
    # them slow, took 6 ms row by row, 0.1 ms whole). TwoSum on the whole block leaves
    # nothing for Fast2Sum to do.
    r = np.flatnonzero(slow)
    whole = r.size > 0 and nb * n <= r.size * (n + _CALL_ELEMENTS)
    if not whole:
        src = d if floor is None else np.maximum(d, floor, out=out)
        np.add(src, m[:, None], out=out)
        np.subtract(x, out, out=out)
    for i in ([slice(None)] if whole else r):
        src = d[i] if floor is None else np.maximum(d[i], floor, out=out[i])
        _twosum_error(x[i], m[i, None] if isinstance(i, slice) else m[i], src, out[i], tmp[i])
    return out


def _unclamped_others(x, rows, m, k, temperature, compensate, free=()):
    """The sum of exp((x - m) / T) over each row of ``x[rows]`` but its entry ``k``, unclamped.

    ``m`` and ``k`` hold the maxima and their indices for every row of ``x``. ``free`` holds
    float64 blocks as wide as ``x`` that may be overwritten: the rows are taken in pieces
    that fit in halves of them (four halves with ``compensate``, two without), so that
    nothing of the block's size is allocated. Blocks of one row (rows of over 2**15 entries,
    and the output's last rows) take the rows one at a time, a float64 row of ``x``
    being read where it is; without enough free blocks, the rows go in one allocated piece.
    """
    need = 4 if compensate else 2
    halves = [h for b in free for h in (b[: len(b) // 2], b[len(b) // 2 : len(b) // 2 * 2])]
    halves = [h for h in halves if len(h)][:need]
    if len(halves) == need:
        step = min(len(h) for h in halves)
    elif x.dtype == np.float64 and len([b for b in free if len(b)]) >= need - 1:
        step = 1
        halves = [None] + [b[:1] for b in free if len(b)][: need - 1]
    else:
        step = len(rows)
        halves = [None] * need
    total = np.empty(len(rows))
    for j in range(0, len(rows), step):
        idx = rows[j : j + step]
        q = len(idx)
        buf = [None if h is None else h[:q] for h in halves]
        if x.dtype == np.float64:
            xs = x[idx[0] : idx[0] + 1] if q == 1 and buf[0] is None else _gather(x, idx, buf[0])
        else:
            xs = x[idx].astype(np.float64)
        mi = m[idx, None]
        d = np.subtract(xs, mi, out=buf[1])
        if compensate:
            err = _twosum_error(xs, mi, d, out=buf[2], tmp=buf[3])
            np.nan_to_num(err, nan=0.0, copy=False)
            np.divide(err, temperature, out=err)
        e = np.exp(np.divide(d, temperature, out=d), out=d)
        if compensate:
            np.multiply(err, e, out=err)
            np.add(e, err, out=e)  # exp(d + err) = exp(d) (1 + err), to first order
        e[np.arange(q), k[idx]] = 0.0
        total[j : j + q] = e.sum(axis=1)
    return total


def _band(a):
    """Where exp's argument ``a`` lies in [-746, _EXP_FLOOR): terms that are subnormal or just
    above, rare (a row spread over 700), recomputed one by one; below -746 (and -inf) exp is 0."""
    band = a < _EXP_FLOOR
    band &= a >= _EXP_ZERO
    return np.nonzero(band) if band.any() else None


def _row_max(x, ar, index=True):
    """(k, m) for real (R, n > 0) rows ``x``: each row's maximum ``m`` and the index ``k`` of
    its first maximal entry (None if not ``index`` and the rows went by columns). A row
    holding NaN has ``m`` NaN (and ``k`` of no meaning: such rows are repaired by the
    callers). ``ar`` is ``arange(R)``.

    Many rows of at most _COLUMN_ROWS entries are reduced column by column: numpy's argmax
    along rows that short costs 25 to 50 ns a row, a column pass a few (measured on fresh
    random rows, 200000 of 10: argmax 5.5 ms; the maximum alone 1.8, with its index 3.8).
    """
    n_rows, n = x.shape
    if n > _COLUMN_ROWS or n_rows < (_COLUMN_MIN_INDEXED if index else _COLUMN_MIN):
        k = np.argmax(x, axis=1)  # the first maximum (or the first NaN)
        return k, x[ar, k]
    m = x[:, 0].copy()
    if not index:
        for j in range(1, n):
            np.maximum(m, x[:, j], out=m)  # NaN propagates
        return None, m
    k = np.zeros(x.shape[0], dtype=np.intp)
    above = np.empty(x.shape[0], dtype=bool)
    kj = np.empty(x.shape[0], dtype=np.intp)
    for j in range(1, n):
        # Column j holds a new maximum where it exceeds all before it (strictly: of equal
        # entries the first is kept, as argmax keeps it); the index of the last new maximum
        # is the largest such j, so k = max(k, j * above).
        np.greater(x[:, j], m, out=above)
        np.maximum(k, np.multiply(above, j, out=kj), out=k)
        np.maximum(m, x[:, j], out=m)  # NaN propagates (k is then of no meaning)
    return k, m


def _row_min(x, ar):
    """The minimum of each real (R, n > 0) row of ``x`` (NaN in a row holding NaN).

    numpy's min along short rows is slower than its argmin (measured on fresh random rows:
    6.8 against 5.6 ms for 200000 rows of 10, 1.5 against 0.96 ms for 20000 rows of 100):
    rows shorter than 2048 gather the entry argmin points to, and many rows of at most
    _COLUMN_ROWS entries are reduced column by column (1.8 ms for those 200000 rows).
    """
    n_rows, n = x.shape
    if n <= _COLUMN_ROWS and n_rows >= _COLUMN_MIN:
        lo = x[:, 0].copy()
        for j in range(1, n):
            np.minimum(lo, x[:, j], out=lo)
        return lo
    return x[ar, np.argmin(x, axis=1)] if n < _ARGMIN_ROWS else np.min(x, axis=1)


class _SmallBuffers:
    """Lower numpy's ufunc buffer size to 1024 elements while a kernel runs (restored after).

    numpy 2.x copies a row-constant operand (shape (R, 1)) into its buffer whenever the rows
    are shorter than the buffer (8192 elements by default): x - m[:, None] on rows of 4096 then
    takes 2.5 times as long as with a buffer shorter than the rows, which it reads in place.
    """

    def __enter__(self):
        self.old = np.setbufsize(1024)

    def __exit__(self, *exc):
        np.setbufsize(self.old)


def _real_rows(rows, kind, *, out_dtype, temperature=1.0, compensate=False, out=None,
               take=np.empty, block=_BLOCK_ELEMENTS):
    """Shift each row of real ``rows`` (R, n > 0) by its maximum, exponentiate and sum.

    ``kind`` is "softmax", "log_softmax" or "lse". Returns ``(out, m, L)``: ``out`` the (R, n)
    result for the first two kinds (None for "lse"), ``m`` the row maxima of ``x`` (not divided
    by ``T``: ``max(x) / T`` can overflow although every ``(x - max) / T`` is finite) and
    ``L = log(sum(exp(x/T - m)))`` for "log_softmax" and "lse" (None for "softmax"). Rows
    whose maximum is not finite hold garbage and are repaired by the callers.

    The maximal term, exactly 1, is kept out of the sum: ``s`` sums the others, the total is
    ``1 + s`` and ``L = log1p(s)``, accurate however much one entry dominates. With
    ``compensate`` (float64), rows whose shifted values reach below ``-_SHIFT_SPREAD`` get
    the TwoSum correction of every shift (softmax), or of the dominated rows' sums (the others).

    The rows go in blocks of about ``block`` elements, whose scratch (at most
    ``_real_buffers`` of them) comes from ``take`` (see _taker).
    """
    with _SmallBuffers():
        return _real_blocks(rows, kind, out_dtype, temperature, compensate, out, take, block)


def _real_buffers(kind, inplace, compensate):
    """The number of scratch blocks _real_blocks takes (d, e, err and tmp, where needed)."""
    return (not inplace) + (kind != "softmax") + 2 * compensate


def _real_blocks(rows, kind, out_dtype, temperature, compensate, out, take, block):
    n_rows, n = rows.shape
    wdt = working_dtype(rows.dtype)
    narrow_out = np.dtype(out_dtype) != wdt
    step = max(1, block // n)
    first = min(n_rows, step)
    if out is None and kind != "lse":
        out = np.empty((n_rows, n), dtype=out_dtype)
    inplace = out is not None and out.dtype == wdt
    d_scratch = None if inplace else take((first, n), dtype=wdt)
    # softmax exponentiates d in place; log_softmax keeps d for its result.
    e_scratch = None if kind == "softmax" else take((first, n), dtype=wdt)
    m_all = np.empty(n_rows, dtype=wdt)
    L_all = None if kind == "softmax" else np.empty(n_rows, dtype=wdt)
    # Two scratch blocks for the shifts' rounding errors (err and TwoSum's temporary): from
    # the start for softmax, on the first dominated row for log_softmax and lse.
    eager = compensate and kind == "softmax"
    err_scratch = take((first, n), dtype=wdt) if eager else None
    tmp_scratch = take((first, n), dtype=wdt) if eager else None
    consts = {}

    def const(value):
        # np.maximum and np.fmax take 2.5 times as long against a scalar as against an array:
        # one row of the value, broadcast over the rows, is as fast as a whole block.
        if value not in consts:
            consts[value] = np.full(n, value, dtype=wdt)
        return consts[value]

    # float64 softmax output shows every term, however small: clamped terms (below e^-700) are
    # put back exactly (the "band" below). Elsewhere a term below e^-700 is below e^-700 of the
    # total (which is at least 1): it rounds away in sums and in float16/32 output.
    exact_small = kind == "softmax" and not narrow_out
    # Rows with every |x - m| < spread are left uncorrected: the rounding of x - m is then at
    # most 2**-54 spread, which exp turns into 2**-54 spread / T <= u of the term.
    spread = _SHIFT_SPREAD * 2.0 ** np.floor(np.log2(temperature))

    for r0 in range(0, n_rows, step):
        r1 = min(n_rows, r0 + step)
        nb = r1 - r0
        ar = np.arange(nb)
        xb = rows[r0:r1]
        d = out[r0:r1] if inplace else d_scratch[:nb]
        k, m = _row_max(xb, ar, index=kind != "softmax")  # softmax needs no index
        m = m.astype(wdt)
        m_all[r0:r1] = m
        bad = ~np.isfinite(m)
        any_bad = bad.any()
        m_shift = np.where(bad, 0.0, m) if any_bad else m
        # float16/32 input: cast on the fly; the difference is then exact in float64.
        np.subtract(xb, m_shift[:, None], out=d, dtype=wdt)
        lo = _row_min(xb, ar).astype(wdt) - m_shift  # min(d): fl(x - m) is monotonic in x
        if any_bad:
            # Rows repaired later: zeros keep exp off its slow path (an all -inf row, say).
            d[bad] = 0.0
            lo[bad] = 0.0
        # numpy's SIMD exp takes a slow scalar path (ten times slower) for arguments that
        # underflow (masked -inf entries, widely spread rows): such blocks are clamped at
        # _EXP_FLOOR, and whatever the clamp changes is put back or cannot show (see above).
        clamp = bool((lo < _EXP_FLOOR * temperature).any())
        err = None
        band = None
        clamped = False  # d itself clamped (float64 softmax at T = 1)
        if compensate and kind == "softmax":
            # Only rows spread wider than _SHIFT_SPREAD need the correction: elsewhere the
            # rounding of x - m costs at most _SHIFT_SPREAD / 2 eps. log_softmax and lse need
            # it only in dominated rows (below), where s is small and log1p(s) as accurate as s.
            wide = lo <= -spread
            if wide.any():
                hint = None
                if clamp and exact_small:
                    # One look for both rare cases of masked rows: a finite entry whose term
                    # is in the band below, or one Fast2Sum cannot take (x <= -2**e).
                    top = np.maximum(-np.ldexp(1.0, np.frexp(m_shift)[1]) - m_shift,
                                     _EXP_FLOOR * temperature)
                    hint = d <= top[:, None]
                    hint &= d >= _EXP_ZERO * temperature
                    hint = bool(hint.any())
                if clamp and temperature == 1.0:
                    if hint:
                        band = _band(d)  # before the clamp below changes d
                    # T = 1: d is clamped once, in place, for both err and exp: err is exact
                    # where d >= F, and fmax(err, -1) = -1 below F - 1, where exp(F) (1 + err)
                    # must give 0 (in between: the band, recomputed).
                    np.maximum(d, const(_EXP_FLOOR), out=d)
                    clamped = True
                    floor = None
                else:
                    # With a clamp, err is that of max(d, (F - 1) T): exact above, and
                    # fmax(err, -1) = -1 below F - 2, where exp(F) (1 + err) must give 0.
                    floor = const((_EXP_FLOOR - 1.0) * temperature) if clamp else None
                err = _shift_error(xb, m_shift, d, lo, err_scratch[:nb], tmp_scratch[:nb], wide,
                                   floor, hint)
                if not wide.all():
                    err[~wide] = 0.0  # narrow rows are left uncorrected: exp(d) (1 + 0)
        if temperature != 1.0:
            # (x - m) / T rather than x/T - m/T: the shift stays exact-friendly.
            np.divide(d, temperature, out=d)
            if err is not None:
                np.divide(err, temperature, out=err)
        e = d if kind == "softmax" else e_scratch[:nb]
        if clamp:
            if exact_small and band is None and (err is None or hint) and temperature != 1.0:
                band = _band(d)
            if err is not None:
                np.fmax(err, const(-1.0), out=err)  # NaN (x = -inf) too
            if not clamped:
                np.maximum(d, const(_EXP_FLOOR), out=e)
            np.exp(e, out=e)
        else:
            np.exp(d, out=e)
        if err is not None:
            # exp(d + err) = exp(d) (1 + err), to first order (err is below 2**-53 |d|).
            np.multiply(e, err, out=err)
            np.add(e, err, out=e)
        if band is not None:
            br, bc = band
            xi, mi = xb[br, bc].astype(wdt), m_shift[br]
            di = xi - mi
            ei = np.exp(di / temperature)
            if compensate:
                erri = _twosum_error(xi, mi, di) / temperature
                ei += ei * erri
            e[br, bc] = ei
        if kind == "softmax":
            # Each maximal term is exactly 1 (exp(0), and its shift has no rounding error):
            # summed with the others, the total 1 + s takes one rounding fewer than adding 1
            # to s (a ratio needs no log1p), so a row is never more than rounding worse than
            # scipy's sum of the same terms (test_not_less_accurate_than_scipy).
            total = e.sum(axis=1)
            if narrow_out:
                # float16/32: the reciprocal's extra rounding is 2**-53, invisible after the
                # final rounding, and a multiplication is cheaper than a division.
                np.multiply(e, (1.0 / total)[:, None], out=out[r0:r1], casting="same_kind")
            else:
                # float64: a division, as fast here as multiplying by the reciprocal (both
                # wait on memory), and one rounding fewer.
                np.divide(e, total[:, None], out=out[r0:r1])
            continue
        e[ar, k] = 0.0  # the maximal term, exactly 1, is kept out of s
        s = e.sum(axis=1)
        if compensate:
            # Rows with s >= 1 need no correction: there log1p(s) >= log 2, and the shifts'
            # roundings move it by at most u * E_p[max - x] <= u * log(n) (the entropy bound).
            dom = (lo <= -spread) & (s < 1.0) & ~bad
            if dom.any():
                if err_scratch is None:
                    err_scratch = take((first, n), dtype=wdt)
                    tmp_scratch = take((first, n), dtype=wdt)
                idx = np.flatnonzero(dom)
                # Half the rows or more: the whole block, no copies (the other rows' sums of
                # corrections are computed and dropped); fewer (r rows): those rows, copied
                # into the second r rows of the two scratch blocks, whose first r rows hold
                # err and TwoSum's temporary (nothing of the block's size is allocated).
                whole = 2 * idx.size >= nb
                r = nb if whole else idx.size
                sel = slice(None) if whole else idx
                ms = m_shift[sel]
                xs = xb if whole else _gather(xb, idx, err_scratch[r : 2 * r])
                if temperature != 1.0:  # fl(x - m), undivided (a new block if whole: rare)
                    ds = np.subtract(xs, ms[:, None], out=None if whole else tmp_scratch[r : 2 * r])
                else:
                    ds = d if whole else _gather(d, idx, tmp_scratch[r : 2 * r])
                floor = const((_EXP_FLOOR - 1.0) * temperature) if clamp else None
                rows_wanted = dom if whole else None
                err = _shift_error(xs, ms, ds, lo[sel], err_scratch[:r], tmp_scratch[:r],
                                   rows_wanted, floor)
                if temperature != 1.0:
                    err /= temperature
                if clamp:
                    np.fmax(err, const(-1.0), out=err)
                np.multiply(err, e if whole else _gather(e, idx, tmp_scratch[:r]), out=err)
                err[np.arange(r), k[sel]] = 0.0  # the maximal term is exact
                corr = err.sum(axis=1)
                s[idx] += corr[idx] if whole else corr
        if clamp:
            tiny = np.flatnonzero((s < n * _CLAMP_EXACT_ABOVE) & ~bad)
            if tiny.size:
                # Rows dominated so much that s is near the underflow threshold, where the
                # clamped terms could show. Where no other entry lies within 746 of the
                # maximum, s is exactly 0 (exp underflows); the other rows (rare) are summed
                # again without the clamp.
                # Their rows of d go through e's block, free now (no copy is allocated).
                whole = tiny.size == nb
                sel = slice(None) if whole else tiny
                dt = d if whole else _gather(d, tiny, e_scratch[: tiny.size])
                near = np.count_nonzero(dt >= _EXP_ZERO, axis=1) > 1  # the maximum is one
                s[sel] = 0.0
                redo = np.flatnonzero(near) if whole else tiny[near]
                if redo.size:
                    free = [b for b in (e_scratch, err_scratch, tmp_scratch) if b is not None]
                    s[redo] = _unclamped_others(xb, redo, m_shift, k, temperature, compensate,
                                                [b[:nb] for b in free])
        L = np.log1p(s)
        L_all[r0:r1] = L
        if kind == "log_softmax":
            np.subtract(d, L[:, None], out=out[r0:r1], casting="same_kind")
    return out, m_all, L_all


# --------------------------------------------------------------------------------------------
# Complex input: shift by the largest real part; the imaginary parts ride along analytically.


def _complex_parts(rows, temperature=1.0, b=None):
    """For complex (R, n > 0) ``rows`` return (m, d, e, ek, s) with ``e = b exp(d)``.

    ``m`` is the row maximum of the real part, ``d = x - m``, ``ek`` the maximal term and ``s``
    the sum of the others, so that the full sum is ``ek + s``.
    """
    w = rows.astype(working_dtype(rows.dtype))
    if temperature != 1.0:
        w = w / temperature
    ar = np.arange(w.shape[0])
    k = np.argmax(w.real, axis=1)
    m = w.real[ar, k]
    m_shift = np.where(np.isfinite(m), m, 0.0)
    d = w - m_shift[:, None]
    e = np.exp(d)
    if rows.dtype == w.dtype:
        # complex128: the real part of x - m is rounded, as in the real case; TwoSum's
        # correction exp(d + err) = exp(d) (1 + err) keeps every term to a few ulps (and so
        # the complex-step derivative of every entry). complex64 differences are exact.
        err = _twosum_error(w.real, m_shift[:, None], d.real)
        e += e * np.nan_to_num(err, nan=0.0, posinf=0.0, neginf=0.0)  # -inf entries: e = 0
    if b is not None:
        e = e * b
    ek = e[ar, k].copy()
    e[ar, k] = 0.0
    s = e.sum(axis=1)
    e[ar, k] = ek
    return m, d, e, ek, s


def _complex_log_total(ek, s, log_abs_ek):
    """log|ek + s| and arg(ek + s), the modulus via log1p so a dominant ``ek`` loses nothing."""
    t = s / ek
    log_abs = log_abs_ek + 0.5 * np.log1p(2.0 * t.real + (t.real * t.real + t.imag * t.imag))
    return log_abs, np.angle(ek + s)


# --------------------------------------------------------------------------------------------
# Slices whose maximum is not finite.


def _repair_rows(out, rows, idx, mask, log, m):
    """Write softmax (or log_softmax) of the real rows ``idx`` of ``rows`` into ``out``.

    The rows are those whose maximum is NaN, +inf or -inf. NaN propagates; +inf entries share
    the probability equally; a row with no unmasked entry gives zeros (log: -inf); a row of
    unmasked -inf entries gives NaN. Whole rows are filled in place (fully masked rows are
    the common case): no copy of them is made, so they add nothing to the peak memory.
    """
    m = m[idx]  # the row maxima
    empty = np.zeros(idx.size, dtype=bool) if mask is None else ~mask[idx].any(axis=1)
    undefined = np.isnan(m) | ((m == -np.inf) & ~empty)
    out[idx[undefined]] = np.nan
    out[idx[empty]] = -np.inf if log else 0.0
    for i in idx[(m == np.inf) & ~undefined]:  # rare: rows holding +inf
        top = rows[i] == np.inf
        count = np.count_nonzero(top)
        out[i] = np.where(top, -np.log(count), -np.inf) if log else top / count


def _softmax_rows(rows, mask, temperature, log):
    """softmax or log_softmax of (R, n) ``rows`` along the last axis, in the dtype of ``rows``."""
    dtype = rows.dtype
    if rows.size == 0:
        return np.empty(rows.shape, dtype=dtype)
    if mask is not None:
        rows = np.where(mask, rows, -np.inf).astype(dtype, copy=False)
    if dtype.kind == "c":
        m, d, e, ek, s = _complex_parts(rows, temperature)
        ar = np.arange(rows.shape[0])
        k = np.argmax(d.real, axis=1)
        with np.errstate(all="ignore"):
            t = s / ek  # the other terms relative to the maximal one
            if log:
                # log(ek + s) = d_k + log1p(t), and d_k is subtracted from d first: the
                # maximal entry's own perturbation (a complex step, say) cancels exactly
                # instead of being rounded away inside log(ek + s).
                log_abs = 0.5 * np.log1p(2.0 * t.real + (t.real * t.real + t.imag * t.imag))
                arg = np.arctan2(t.imag, 1.0 + t.real)
                out = (d - d[ar, k][:, None]) - (log_abs + 1j * arg)[:, None]
                # The principal branch, as np.log(sum(exp(x))) gives it: add 2 pi i where the
                # phase of the sum left (-pi, pi] (never for a small imaginary part).
                turns = np.round((d[ar, k].imag + arg) / (2.0 * np.pi))
                if np.any(turns != 0):
                    out += (2j * np.pi * turns)[:, None]
            else:
                total = ek + s
                out = e / total[:, None]
                # Where a term e_i carries much of the total, e_i / total cancels in the
                # imaginary part (d/dx_k of p_k is p_k * s / total, far below p_k): there
                # p_i = 1 / (1 + R_i / e_i) with R_i the sum of the others, which keeps it.
                rest = total[:, None] - e
                rest[ar, k] = s  # the others of the maximal term, summed without it
                big = np.abs(e) >= 0.25 * np.abs(total)[:, None]
                out[big] = 1.0 / (1.0 + rest[big] / e[big])
            bad = ~np.isfinite(m)
            if bad.any():
                # Non-finite real parts: the direct formula decides (usually NaN).
                w = rows[bad].astype(e.dtype) / temperature
                total = np.exp(w).sum(axis=1, keepdims=True)
                direct = w - np.log(total) if log else np.exp(w) / total
                if mask is not None:
                    empty = ~mask[bad].any(axis=1, keepdims=True)
                    direct = np.where(empty, -np.inf if log else 0.0, direct)
                out[bad] = direct
        return out.astype(dtype, copy=False)

    rows = np.ascontiguousarray(rows)
    if working_dtype(dtype) == dtype or temperature != 1.0:
        # float64 keeps the shift: on a grid where x + c is exact, softmax(x + c) is then
        # softmax(x) bit for bit (exp(x) / sum(exp(x)) would be only within rounding).
        return _shifted_rows(rows, mask, temperature, log)
    # float16/float32 at T = 1 (_narrow_rows): x - max is exact in float64, so no shift needs
    # a correction, and rows whose maximum keeps sum(exp(x)) within float64's range skip the
    # shift (one pass fewer); the others (huge or tiny scores) are shifted by their maximum.
    # Rows whose maximum is not finite (NaN, +inf, fully masked) are repaired after.
    # The rows are taken in chunks of about 8 MB, so that the pass for the maximum leaves the
    # chunk in the CPU's last-level cache for the passes that follow (read once from memory).
    out = np.empty(rows.shape, dtype=dtype)
    n_rows, n = rows.shape
    lowest = _LOG_DIRECT_MIN_LOG if log else _DIRECT_MIN_LOG
    highest = _DIRECT_MAX_LOG - np.log(n)

    def chunk_of_rows(c0, c1, take, block):
        xc, oc = rows[c0:c1], out[c0:c1]
        k, m = _row_max(xc, np.arange(c1 - c0), index=log)  # softmax needs no index
        m = m.astype(np.float64)
        with np.errstate(invalid="ignore"):
            finite = np.isfinite(m)
            shift = np.where(finite & ((m < lowest) | (m >= highest)), m, 0.0)
        _narrow_rows(xc, k, m, shift, log, out=oc, take=take, block=block)
        if not finite.all():
            mc = None if mask is None else mask[c0:c1]
            _repair_rows(oc, xc, np.flatnonzero(~finite), mc, log, m)

    _each_chunk(rows, out, 1, _NARROW_BLOCK_ELEMENTS, chunk_of_rows)  # one block: the terms
    return out


def _shifted_rows(rows, mask, temperature, log):
    """softmax or log_softmax of real C-contiguous (R, n > 0) ``rows``, shifted by the maximum.

    The rows go in chunks of at most _CHUNK_ROWS, so that the arrays of one number per row
    (maxima, sums) stay small beside the output however short the rows are.
    """
    dtype = rows.dtype
    out = np.empty(rows.shape, dtype=dtype)  # its last rows hold the scratch (_each_chunk)
    kind = "log_softmax" if log else "softmax"
    # float64 rows (the working dtype): the shifts are compensated, and _real_blocks works
    # in the output itself; float16/32 rows (at T != 1) work in float64 scratch.
    compensate = working_dtype(dtype) == dtype

    def chunk_of_rows(c0, c1, take, block):
        xc, oc = rows[c0:c1], out[c0:c1]
        with np.errstate(all="ignore"):
            _, m, _ = _real_rows(xc, kind, out_dtype=dtype, temperature=temperature,
                                 compensate=compensate, out=oc, take=take, block=block)
        bad = ~np.isfinite(m)
        if bad.any():
            mc = None if mask is None else mask[c0:c1]
            _repair_rows(oc, xc, np.flatnonzero(bad), mc, log, m)

    _each_chunk(rows, out, _real_buffers(kind, inplace=compensate, compensate=compensate),
                _BLOCK_ELEMENTS, chunk_of_rows)
    return out


def _narrow_rows(rows, k, m, shift, log, out=None, take=np.empty, block=_NARROW_BLOCK_ELEMENTS):
    """softmax or log_softmax of float16/float32 C-contiguous (R, n > 0) ``rows`` at T = 1.

    ``k`` and ``m`` hold the index and value (float64) of each row's maximum; ``shift`` is
    the float64 value subtracted from each row before ``exp``: 0 for the rows in range,
    ``m >= -580`` (softmax) or ``m >= -500`` (log_softmax) and ``m + log(n) < _DIRECT_MAX_LOG``
    (see _softmax_rows), and for rows whose maximum is not finite (garbage here, repaired by
    the caller); ``m`` for the others. Without the shift, float64 has room for ``exp(x)``
    itself: no term overflows and every term that can show in the result is a normal float64.
    With it, ``x - m`` is exact in float64 (both are float16/32) and the maximal term is 1.
    Either way ``p = e / sum(e)`` and ``log p = (x - m) - log1p(s)``, with ``s`` the sum of
    the other terms over the maximal one, are found in float64 (relative error about 1e-15,
    far below float32's eps) and rounded once. log_softmax rows with ``log1p(s) >=
    _LOG_DIRECT_GAP`` and ``|m| + log1p(s) < 2**10`` use ``x - (m + log1p(s))``, one pass
    fewer where all the rows qualify: every ``|log p|`` is then at least _LOG_DIRECT_GAP,
    and the rounding of ``m + log1p(s)`` (below 2**-43) cannot show. Each row's result
    depends only on that row: a block with shifted rows subtracts 0 from the others, exactly,
    and so do the two-step rows from the one-step ones.
    """
    with _SmallBuffers(), np.errstate(all="ignore"):
        return _narrow_blocks(rows, k, m, shift, log, out, take, block)


def _narrow_blocks(rows, k, m, shift, log, out, take, block):
    n_rows, n = rows.shape
    step = max(1, block // n)
    first = min(n_rows, step)
    if out is None:
        out = np.empty((n_rows, n), dtype=rows.dtype)
    e_buf = take((first, n), dtype=np.float64)  # the one scratch block (see _each_chunk)
    floor = None
    floor64 = None
    total = np.empty(n_rows, dtype=np.float64)
    ar = np.arange(first)
    for r0 in range(0, n_rows, step):
        r1 = min(n_rows, r0 + step)
        xb = rows[r0:r1]
        t = total[r0:r1]
        e = e_buf[: r1 - r0]
        cb = shift[r0:r1]
        # exp's argument is clamped at _EXP_FLOOR where it reaches below (masked -inf entries,
        # widely spread rows), which keeps numpy's exp on its fast path: a term below e^-700
        # is below e^-120 of the sum (which is at least e^-580, or 1 when shifted), 0 in
        # float16/32 output. Each pass below casts on the fly instead of copying.
        if cb.any():
            # Some rows shifted: x - shift for every row (exact; 0 changes nothing), clamped.
            if floor64 is None:
                floor64 = np.full(n, _EXP_FLOOR)  # np.maximum is 4 times slower on a scalar
            np.subtract(xb, cb[:, None], out=e, dtype=np.float64)
            np.maximum(e, floor64, out=e)
            np.exp(e, out=e)
        elif np.min(xb) >= _EXP_FLOOR:  # no clamp needed: one pass
            np.exp(xb, out=e, dtype=np.float64)
        else:
            if floor is None:
                floor = np.full(n, _EXP_FLOOR, dtype=rows.dtype)
            # The clamp in the input's dtype, into the output block (overwritten below).
            c = np.maximum(xb, floor, out=out[r0:r1])
            np.exp(c, out=e, dtype=np.float64)
        if not log:
            np.add.reduce(e, axis=1, out=t)
            np.multiply(e, (1.0 / t)[:, None], out=out[r0:r1], casting="same_kind")
            continue
        # log_softmax: s, the sum of the other terms, with each row's maximal term left out
        # (no 1 + s is rounded, so a dominant entry keeps its tiny log-probability).
        e[ar[: r1 - r0], k[r0:r1]] = 0.0
        np.add.reduce(e, axis=1, out=t)
    if not log:
        return out
    # log p = (x - m) - log1p(s / e_k), everything but the last pass once for all the rows
    # (numpy calls per block cost as much as the arithmetic). e_k, the maximal term as the
    # blocks computed it: exp(m) unshifted (m >= -500: never clamped), exp(0) = 1 shifted.
    # Relative error of s / e_k: a few float64 eps.
    ek = np.exp(m - shift)
    t = np.log1p(np.divide(total, ek, out=total), out=total)
    # Rows where x - (m + log1p(s)) is as accurate as (x - m) - log1p(s) (see above), and
    # the rows whose maximum is not finite (repaired by the caller).
    one = np.abs(m) + t < 2.0**10
    one |= ~np.isfinite(m)
    if one.all():
        # One pass over all the rows (still in the last-level cache: see _softmax_rows).
        np.subtract(rows, (m + t)[:, None], out=out, dtype=np.float64, casting="same_kind")
    else:
        # Rows of huge scores (|m| >= 2**10): (x - c) - t2, with c = m + t and t2 = 0 in the
        # rows above, c = m and t2 = t in these; subtracting 0 is exact, so every row gets
        # its own formula.
        c = np.where(one, m + t, m)
        t2 = np.where(one, 0.0, t)
        for r0 in range(0, n_rows, step):
            r1 = min(n_rows, r0 + step)
            e = e_buf[: r1 - r0]
            np.subtract(rows[r0:r1], c[r0:r1, None], out=e, dtype=np.float64)
            np.subtract(e, t2[r0:r1, None], out=out[r0:r1], casting="same_kind")
    # Dominated rows (log1p(s) < _LOG_DIRECT_GAP) of the first kind: the maximal entry's
    # log p = -log1p(s) is tiny, and x_k - (m + log1p(s)) would lose it to the rounding of
    # m + log1p(s), so it is written exactly. Every other entry has s >= e^(x_i - m), so
    # x_i - m <= log(expm1(2**-10)) < -6.9, and that rounding (below 2**-43) is under 2**-45
    # of its log p.
    dom = np.flatnonzero(one & (t < _LOG_DIRECT_GAP))
    if dom.size:
        out[dom, k[dom]] = -t[dom]
    return out


def _prepare(x, axis, temperature, where):
    arr = as_float_array(x)
    t = check_temperature(temperature)
    rows, restore, _ = _to_rows(arr, axis)
    mask = None
    if where is not None:
        mask, _, _ = _to_rows(_as_mask(where, arr.shape), axis)
    return rows, restore, t, mask


# --------------------------------------------------------------------------------------------
# Public functions.


def softmax(x, axis=-1, *, temperature=1.0, where=None):
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
    where : array_like of bool, optional
        Which entries take part, broadcast against ``x``. Masked-out entries (False) get
        probability exactly 0 and the others are normalised among themselves, as in
        ``jax.nn.softmax``. The default, None, uses every entry.

    Returns
    -------
    p : ndarray
        Probabilities of the same shape and dtype as ``x`` (float64 for integer input).
        Each slice along ``axis`` lies in [0, 1] and sums to 1, except the slices defined
        under Notes. A new array: ``x`` is never modified or aliased.

    Raises
    ------
    TypeError
        If ``x`` holds booleans, strings or objects, ``where`` is not boolean, or
        ``temperature`` is not a real number.
    ValueError
        If ``temperature`` is not positive and finite, or ``where`` does not broadcast.
    numpy.exceptions.AxisError
        If ``axis`` is out of range.

    Notes
    -----
    The scores are shifted by their maximum :math:`x_k`, which changes nothing in exact
    arithmetic (softmax is shift invariant) but keeps every exponent at or below 0, so no
    finite input overflows. The maximal term is exactly 1 and is kept out of the sum
    :math:`s = \sum_{i\ne k} e^{x_i - x_k}`, and :math:`p_i = e^{x_i-x_k}/(1+s)`
    :cite:p:`blanchard2021accurate`. float16 and float32 are computed in float64, where the
    shift is not needed for moderate scores: :math:`e^{x_i} / \sum_j e^{x_j}` itself cannot
    overflow there, so that is what is computed for them (at T = 1), as accurately.

    Accuracy: each :math:`p_i` is within a few ulps of the exact value, for every finite
    input: the rounding of :math:`x_i - x_k`, which ``exp`` would turn into a relative error
    of :math:`|x_i - x_k|/2` ulps (as in ``scipy.special.softmax``), is recovered with
    TwoSum in float64 (float16/32 differences are exact in float64). The bound the tests
    check is 1 ulp for each ``exp`` (numpy's documented worst case), the roundings of
    numpy's pairwise sum, and one each for ``1 + s`` and the division.

    Edge cases:

    * a NaN anywhere in a slice makes that whole slice NaN;
    * +inf entries share the probability equally (the limit as they grow together) and every
      other entry gets 0;
    * a slice that is entirely -inf has no defined probabilities and gives NaN, as in scipy
      and PyTorch; but a slice whose entries are all masked out by ``where`` gives zeros (the
      "safe softmax" used for attention), so padding never produces NaN;
    * a slice of length 0 gives an empty result of the same shape;
    * complex input is shifted by the largest real part, which keeps the function analytic,
      so complex-step differentiation works.

    References
    ----------
    Blanchard, Higham & Higham (2021), "Accurately computing the log-sum-exp and softmax
    functions", IMA Journal of Numerical Analysis 41(4), Algorithm 4.1.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import softmax
    >>> p = softmax([2.0, 4.0, 2.0, 1.0])
    >>> print(np.round(p, 4))
    [0.1025 0.7573 0.1025 0.0377]
    >>> print(abs(float(p.sum()) - 1.0) < 1e-15)  # sums to 1, up to rounding
    True

    Scores far beyond exp's range are no problem, because only differences matter:

    >>> print(np.round(softmax([1000.0, 1001.0, 1002.0]), 4))
    [0.09   0.2447 0.6652]

    A mask removes entries (padding, say) without producing NaN, even for a fully masked row:

    >>> x = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    >>> print(np.round(softmax(x, where=np.array([[True, True, False], [False] * 3])), 4))
    [[0.2689 0.7311 0.    ]
     [0.     0.     0.    ]]
    """
    rows, restore, t, mask = _prepare(x, axis, temperature, where)
    return restore(_softmax_rows(rows, mask, t, log=False))


def log_softmax(x, axis=-1, *, temperature=1.0, where=None):
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
    where : array_like of bool, optional
        Which entries take part, broadcast against ``x``. Masked-out entries get -inf (the
        log of probability 0); a fully masked slice is all -inf. The default, None, uses
        every entry.

    Returns
    -------
    logp : ndarray
        Log-probabilities, all at most 0, of the same shape and dtype as ``x`` (float64 for
        integer input). ``exp(logp)`` sums to 1 along ``axis`` and equals :func:`softmax`.

    Raises
    ------
    TypeError
        If ``x`` holds booleans, strings or objects, or ``where`` is not boolean.
    ValueError
        If ``temperature`` is not positive and finite.
    numpy.exceptions.AxisError
        If ``axis`` is out of range.

    Notes
    -----
    Computing ``np.log(softmax(x))`` fails twice: a probability that underflows to 0 gives
    -inf, and a probability that rounds to 1 gives exactly 0. The plain shifted formula
    ``(x - x_k) - log(sum(exp(x - x_k)))`` (scipy's) still rounds ``1 + s`` before the log,
    so a dominant entry's log-probability ``-log1p(s)`` comes out as 0 or with a large
    relative error. This function returns ``(x - x_k) - log1p(s)``, with ``s`` the sum of
    the non-maximal terms (their shifts TwoSum-corrected in float64), so every entry is
    within a few ulps of the exact value :cite:p:`blanchard2021accurate`.

    Edge cases follow :func:`softmax`: NaN propagates; +inf entries get
    ``-log(number of +inf entries)`` and the rest -inf; an all -inf slice gives NaN; a fully
    masked slice gives -inf; an empty slice gives an empty result.

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

    The dominant entry's log-probability is tiny but not zero:

    >>> print(log_softmax(np.array([16.942385, 0.0], dtype=np.float32)))
    [-4.3854666e-08 -1.6942385e+01]
    """
    rows, restore, t, mask = _prepare(x, axis, temperature, where)
    return restore(_softmax_rows(rows, mask, t, log=True))


def logsumexp(x, axis=-1, *, b=None, keepdims=False, return_sign=False, where=None):
    r"""Compute ``log(sum(b * exp(x)))`` along ``axis`` without overflow, accurately.

    .. math:: \operatorname{lse}(x) = \log\sum_j b_j e^{x_j}

    Parameters
    ----------
    x : array_like
        Input values. Integers are converted to float64; float16, float32, float64 and
        complex dtypes are kept.
    axis : int, tuple of ints or None, optional
        The axis or axes to reduce. The default, -1, is the last axis; None reduces every
        element.
    b : array_like, optional
        Weights, broadcast against ``x`` (the result has the broadcast shape, reduced). A
        weight of 0 removes its element entirely, even an infinite or NaN one; negative
        weights subtract. Booleans count as 0 and 1. The default, None, means all ones.
    keepdims : bool, optional
        If True the reduced axes are kept with length 1, so the result broadcasts against
        ``x``. The default, False, removes them.
    return_sign : bool, optional
        If True, return ``(log|sum|, sign)``. The default, False, returns only the log, and
        NaN where the weighted sum is negative.
    where : array_like of bool, optional
        Which elements take part, broadcast against ``x`` (as in ``jax.nn.logsumexp``): a
        False entry is left out exactly like a weight of 0. The default, None, uses all.

    Returns
    -------
    lse : ndarray or scalar
        The log of the (absolute) sum, of the dtype of ``x`` (promoted with ``b``). Without
        ``b`` it lies between ``max(x)`` and ``max(x) + log(n)``: a smooth maximum. With
        ``return_sign`` and complex input it is the real part ``log|sum|``.
    sign : ndarray or scalar
        Only with ``return_sign``: +1, -1, or 0 where the sum is exactly 0 (then ``lse`` is
        -inf). For complex input, the phase ``sum / |sum|``.

    Raises
    ------
    TypeError
        If ``x`` or ``b`` hold booleans (``x`` only), strings or objects.
    ValueError
        If ``b`` does not broadcast against ``x``.
    numpy.exceptions.AxisError
        If ``axis`` is out of range.

    Notes
    -----
    Computed as ``x_k + log(b_k) + log1p(s / b_k)`` with ``x_k`` the maximum (over entries
    of non-zero weight), ``b_k`` its weight and ``s`` the weighted sum of the other terms'
    ``exp(x_i - x_k)`` :cite:p:`blanchard2021accurate`; in float64 ``s`` is
    TwoSum-compensated when ``s < |b_k|``. The result is within a few ulps of the exact
    value unless ``x_k + log1p(s)`` itself cancels.

    Edge cases, as in ``scipy.special.logsumexp``: NaN propagates; any +inf gives +inf; an
    all -inf slice gives -inf (the log of an empty sum of positive terms is log 0), and so
    does an empty slice; a slice with an infinite (or NaN) maximum is computed by the direct
    formula ``log(sum(b * exp(x)))``, whose IEEE rules then decide (for example
    ``[inf, inf]`` with weights ``[1, -1]`` gives NaN).

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import logsumexp
    >>> print(float(logsumexp([1000.0, 1000.0])))  # 1000 + log 2, no overflow
    1000.6931471805599
    >>> print(logsumexp([[0.0, 0.0], [1.0, -1.0]], axis=1, keepdims=True).shape)
    (2, 1)

    Weights, including negative ones, and the sign of the sum:

    >>> lse, sign = logsumexp([1.0, 2.0], b=[1.0, -1.0], return_sign=True)
    >>> print(round(float(lse), 6), float(sign))  # log(e^2 - e), negative sum
    1.541325 -1.0
    >>> lse, sign = logsumexp([1.0, 1.0], b=[1.0, -1.0], return_sign=True)
    >>> print(float(lse), float(sign))  # the sum is exactly 0
    -inf 0.0
    """
    a = as_float_array(x)
    if where is not None:
        mask = _as_mask(where, np.broadcast_shapes(a.shape, np.shape(where)))
        b = mask if b is None else np.where(mask, _as_weights(b), 0)
    if b is not None:
        w = _as_weights(b)
        dtype = np.result_type(a.dtype, w.dtype)
        try:
            a, w = np.broadcast_arrays(a, w)
        except ValueError:
            raise ValueError(
                f"b must broadcast against x: shapes {np.shape(b)} and {a.shape}"
            ) from None
    else:
        w = None
        dtype = a.dtype
    shape = a.shape
    rows, _, axes = _to_rows(a, axis)
    brows = None if w is None else _to_rows(w, axis)[0]
    out_shape = _reduced_shape(shape, axes, keepdims)

    if dtype.kind == "c":
        out, sign = _logsumexp_complex(rows, brows, dtype, return_sign)
    else:
        out, sign = _logsumexp_real(rows, brows, dtype)
        if not return_sign:
            out = np.where(sign < 0, np.nan, out)  # the log of a negative sum
        out = out.astype(dtype, copy=False)
        sign = sign.astype(dtype, copy=False)

    out = out.reshape(out_shape)[()]
    if return_sign:
        return out, sign.reshape(out_shape)[()]
    return out


def _logsumexp_real(rows, brows, dtype):
    """(log|sum|, sign) of each real row, in the working dtype."""
    wdt = working_dtype(dtype)
    n_rows, n = rows.shape
    if n == 0 or n_rows == 0:
        return np.full(n_rows, -np.inf, dtype=wdt), np.zeros(n_rows, dtype=wdt)
    if brows is None:
        rows = np.ascontiguousarray(rows)
        m = np.empty(n_rows, dtype=wdt)
        out = np.empty(n_rows, dtype=wdt)

        def chunk_of_rows(c0, c1, worker):
            with np.errstate(all="ignore"):
                _, m[c0:c1], L = _real_rows(
                    rows[c0:c1], "lse", out_dtype=wdt, compensate=rows.dtype == wdt
                )
                np.add(m[c0:c1], L, out=out[c0:c1])

        for_each_chunk(n_rows, *_chunking(rows), chunk_of_rows)
        sign = np.ones(n_rows, dtype=wdt)
        bad = ~np.isfinite(m)
        if bad.any():
            # NaN stays NaN, +inf gives +inf, and an all -inf row gives log(0) = -inf.
            out[bad] = np.where(m[bad] == -np.inf, -np.inf, m[bad])
            sign[bad] = np.where(m[bad] == -np.inf, 0.0, np.where(np.isnan(m[bad]), np.nan, 1.0))
        return out, sign

    compensate = rows.dtype == wdt
    brows = np.asarray(brows, dtype=wdt)
    rows = np.where(brows == 0, -np.inf, rows).astype(wdt)  # weight 0 removes the element
    ar = np.arange(n_rows)
    with np.errstate(all="ignore"):
        k = np.argmax(rows, axis=1)
        m = rows[ar, k]
        m_shift = np.where(np.isfinite(m), m, 0.0)[:, None]
        d = rows - m_shift
        e = np.exp(d) * brows
        bk = brows[ar, k]
        e[ar, k] = 0.0  # the maximal term, b_k exactly, is kept out of the sum
        s = e.sum(axis=1)
        if compensate:
            fix = np.flatnonzero(np.abs(s) < np.abs(bk))
            if fix.size:
                err = _twosum_error(rows[fix], m_shift[fix], d[fix])
                s[fix] += np.nansum(e[fix] * err, axis=1)
        t = s / bk
        # log|1 + t|, with the sum's sign: 1 + t < 0 when the negative weights win.
        out = m + np.log(np.abs(bk)) + np.log1p(np.where(t >= -1, t, -2.0 - t))
        sign = np.sign(bk) * np.sign(1.0 + t)
        bad = ~(np.isfinite(m) & np.isfinite(s) & np.isfinite(bk))
        if bad.any():
            # An infinite or NaN maximum (or weight): the direct formula and IEEE rules decide.
            total = (np.exp(rows[bad]) * brows[bad]).sum(axis=1)
            out[bad] = np.log(np.abs(total))
            sign[bad] = np.sign(total)
    return out, sign


def _logsumexp_complex(rows, brows, dtype, return_sign):
    """logsumexp of complex rows: (complex log, None) or (log|sum|, phase)."""
    cdt = working_dtype(dtype)
    n_rows, n = rows.shape
    if n == 0 or n_rows == 0:
        out = np.full(n_rows, -np.inf, dtype=cdt)
        if return_sign:
            return out.real.astype(np.finfo(dtype).dtype), np.zeros(n_rows, dtype=dtype)
        return out.astype(dtype), None
    rows = rows.astype(cdt)
    if brows is not None:
        brows = brows.astype(cdt)
        rows = np.where(brows == 0, -np.inf, rows)
    with np.errstate(all="ignore"):
        m, _, _, ek, s = _complex_parts(rows, b=brows)
        if brows is None:
            log_abs_bk = 0.0
        else:
            k = np.argmax(rows.real, axis=1)
            log_abs_bk = np.log(np.abs(brows[np.arange(n_rows), k]))
        log_abs, arg = _complex_log_total(ek, s, log_abs_bk)
        total = ek + s
        out = m + log_abs
        bad = ~(np.isfinite(m) & np.isfinite(s) & np.isfinite(ek))
        if bad.any():
            e = np.exp(rows[bad])
            direct = (e if brows is None else e * brows[bad]).sum(axis=1)
            out[bad] = np.log(np.abs(direct))
            arg[bad] = np.angle(direct)
            total[bad] = direct
        real_dtype = np.finfo(dtype).dtype
        if return_sign:
            return out.astype(real_dtype), np.sign(total).astype(dtype)
        result = np.empty(n_rows, dtype=cdt)
        result.real, result.imag = out, arg  # not out + 1j*arg: inf + 1j*nan would be nan
        return result.astype(dtype), None


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

    Raises
    ------
    TypeError
        If ``x`` is complex (complex numbers have no order), boolean, string or object.

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
    rows, restore, _ = _to_rows(arr, axis)
    if rows.size == 0:
        return restore(rows.copy())
    m = np.max(rows, axis=-1, keepdims=True)
    top = rows == m
    out = top / top.sum(axis=-1, keepdims=True).clip(min=1)
    out = np.where(np.isnan(m), np.nan, out)
    return restore(out).astype(arr.dtype, copy=False)
