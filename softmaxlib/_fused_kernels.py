"""The numba kernels behind :mod:`softmaxlib.fused` (imported on first use: numba is slow to load).

Each kernel works on a C-contiguous (rows, n) float32 or float64 array ``x`` and writes into a
preallocated ``out`` of the same shape and dtype, so no array of the input's size is
allocated inside the kernel. Every arithmetic operation is done in float64 and the result is
rounded to the output dtype once, as in :mod:`softmaxlib.core` (Blanchard, Higham & Higham
2021, Algorithm 4.1).

How the kernels are made fast without giving up accuracy:

* Rows are split into contiguous blocks, several per thread, handed out one at a time
  (``prange`` with a chunk size of 1), so a thread that the OS delays does not hold up the
  others. A row's terms exp(x_i - m) are stored in float64 where they stay in cache: in the
  output row itself for float64 output, in one scratch row per block (8 n bytes) for
  float32 output. Small inputs skip the threads: :mod:`softmaxlib.fused` calls the block
  function directly.
* The maximum, its first index and the non-finite checks are integer reductions over the
  bits of the row (``xi``, an integer view of ``x`` made by the caller): for IEEE floats,
  ``b ^ ((b >> (w - 1)) & (2**(w - 1) - 1))`` orders the bit patterns ``b`` like the
  numbers, and integer max/min vectorise without any fast-math licence.
* ``exp`` is evaluated in a loop LLVM vectorises: Cody-Waite reduction ``r = k ln2 + y`` with
  |y| <= ln2/2, a Taylor polynomial (degree 13 for float64 output, truncation error below
  4e-18; degree 9 for float32 output, below 7e-12) and the factor 2**k assembled from its
  bits as an integer and reinterpreted as a float in a register (``_as_float``, an LLVM
  bitcast), so each term is stored once, already scaled, and the sum and the output read 8
  bytes per entry instead of 16. Its error is below 1 ulp of float64, as for libm. Arguments below -746 give exactly 0
  (as libm's ``exp`` does) and those in [-746, -708), whose results are subnormal, are split
  into two normal factors whose product rounds once: nothing leaves the vectorised loop, so
  masked (-inf) entries and widely spread rows cost nothing extra.
* float64 scores: ``x_i - m`` is rounded, and ``exp`` turns that absolute error into a relative
  one (``|x_i - m| / 2`` ulps, 100 ulps at a spread of 200). Knuth's TwoSum recovers the
  rounding error ``err`` exactly (4 additions) and the term is multiplied by ``1 + err``
  (``exp(d + err) = exp(d) (1 + err)`` to first order), so every term is within about 1.5 ulps
  whatever the spread. float32 scores need none: their differences are exact in float64.
* ``error_model="numpy"``: a division by zero follows IEEE (it cannot happen here: the
  temperature is positive and the denominators are at least 1) instead of raising, so the
  divisions carry no check that would stop LLVM from vectorising their loops.
* One fast-math flag, no more: ``contract`` lets LLVM fuse a multiplication and an addition
  into one FMA instruction, rounded once instead of twice. No expression here relies on the
  rounding of a product (TwoSum and the compensated sums use additions only), so this costs
  no accuracy, and it halves the work of the polynomial. No flag lets LLVM reorder a sum,
  assume the data is free of NaN or infinities, or flush subnormals to zero.
* The row sum: 16 lanes, each adding blocks of 16 terms in a fixed order and the block sums
  with compensation (TwoSum, Ogita, Rump & Oishi's Sum2); the lanes are independent, so LLVM
  vectorises across them without reordering anything, and the sum is the same on every CPU.
  A block of 16 positive terms is within 15 u of its sum, so the row sum is within 16 u
  (8 eps) for every row length; numpy's pairwise sum is within about (18 + log2(n/128)) u.
"""

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic, overload

_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # ln 2 to 32 bits: k * _LN2_HI is exact for |k| < 2**20
_LN2_LO = 1.90821492927058770002e-10
_R_MIN = -708.0  # below this, exp(r) is subnormal and the 2**k trick does not apply
_R_ZERO = -746.0  # below this, exp(r) rounds to 0 (exp(-745.14) is half the smallest subnormal)
_TWO_M64 = 2.0**-64
_BLOCK = 16  # terms per block sum: few enough that its plain sum is accurate
_LANES = 16  # block sums kept side by side (see _sum)


#: The float of each integer width, for _as_float: numba type and LLVM type.
_FLOAT_OF = {
    types.int32: (types.float32, ir.FloatType()),
    types.int64: (types.float64, ir.DoubleType()),
}


@intrinsic
def _as_float(typingctx, bits):
    """The float of the same width whose bit pattern is the int32 or int64 ``bits`` (one
    register move, vectorised)."""
    if bits not in _FLOAT_OF:
        return None
    result, llvm_type = _FLOAT_OF[bits]

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvm_type)

    return result(bits), codegen


@njit(cache=True, inline="always", error_model="numpy")
def _key(b, w):
    """Map the w-bit pattern ``b`` of a float to an int64 that orders like the float."""
    return np.int64(b) ^ ((np.int64(b) >> (w - 1)) & ((np.int64(1) << (w - 1)) - 1))


# The two passes over the row's bits are separate functions, called, not inlined: inlined
# into the kernel, LLVM vectorised them half as well (measured: 9.4 ms against 5.0 ms for
# 4096 rows of 4096 float32 on one thread).
@njit(cache=True, inline="never", error_model="numpy")
def _key_range(xir, w):
    """Return the largest and the smallest key of the w-bit patterns ``xir`` (vectorised)."""
    kmax = np.iinfo(np.int64).min
    kmin = np.iinfo(np.int64).max
    for i in range(xir.shape[0]):
        key = _key(xir[i], w)
        kmax = max(kmax, key)
        kmin = min(kmin, key)
    return kmax, kmin


@njit(cache=True, inline="never", error_model="numpy")
def _first_at_least(xir, target, w):
    """The first index whose key is at least ``target`` (a min reduction, vectorised)."""
    n = xir.shape[0]
    first = n
    for i in range(n):
        first = min(first, i if _key(xir[i], w) >= target else n)
    return first


@njit(cache=True, inline="always", error_model="numpy")
def _key_value(key, w):
    """The float (as float64) whose key is ``key``: the map of _key is its own inverse."""
    b = key ^ ((key >> (w - 1)) & ((np.int64(1) << (w - 1)) - 1))
    if w == 64:
        return _as_float(b)
    return np.float64(_as_float(np.int32(b)))


@njit(cache=True, inline="always", error_model="numpy")
def _row_stats(xr, xir, w):
    """Return (max, index of its first occurrence, smallest key) of one row."""
    kmax, kmin = _key_range(xir, w)
    # -0.0 (key -1) orders just below +0.0 (key 0) by its bits, but equals it: when the
    # maximum is +0.0, the first zero of either sign is the first entry with key >= -1.
    # Every other key is at most kmax, so ">= kmax" finds the first maximum.
    first = _first_at_least(xir, kmax - 1 if kmax == 0 else kmax, w)
    return np.float64(xr[first]), first, kmin


@njit(cache=True, inline="always", error_model="numpy")
def _poly(y, w):
    """exp(y) for |y| <= ln2/2: Taylor to degree 13 (float64 output) or 9 (float32 output).

    The truncation errors are below 4e-18 and 7e-12, far under the output's ulp.
    """
    p = 1.0 / 362880.0
    if w == 64:
        p = 1.0 / 6227020800.0
        p = p * y + 1.0 / 479001600.0
        p = p * y + 1.0 / 39916800.0
        p = p * y + 1.0 / 3628800.0
        p = p * y + 1.0 / 362880.0
    p = p * y + 1.0 / 40320.0
    p = p * y + 1.0 / 5040.0
    p = p * y + 1.0 / 720.0
    p = p * y + 1.0 / 120.0
    p = p * y + 1.0 / 24.0
    p = p * y + 1.0 / 6.0
    p = p * y + 0.5
    p = p * y + 1.0
    return p * y + 1.0


@njit(cache=True, inline="always", error_model="numpy")
def _shift_error(x, m, r):
    """The rounding error of ``r = fl(x - m)``: ``x - m == r + err`` exactly (Knuth's TwoSum)."""
    bp = r - x  # what the subtraction "saw" of -m
    ap = r - bp  # ... and of x
    return (x - ap) - (m + bp)


@njit(cache=True, inline="always", error_model="numpy")
def _term(xi, m, t, w, divide):
    """exp((x_i - m) / t) for the finite maximum ``m`` of the row (0 for x_i = -inf).

    The polynomial's value is scaled by 2**k, whose bits are assembled as an integer and
    reinterpreted in a register: the scaling is exact in the normal range. For float64 scores
    (``w == 64``) the term carries the TwoSum correction of its shift.
    """
    x = np.float64(xi)
    r = x - m
    # float64 only: exp(r + err) = exp(r) (1 + err); err is NaN for x = -inf, masked below.
    err = _shift_error(x, m, r) if w == 64 else 0.0
    if divide:
        r = r / t
        err = err / t
    rc = max(r, _R_ZERO)  # keeps k in range; below -746 the term is 0 (selected below)
    k = np.floor(rc * _LOG2E + 0.5)
    y = (rc - k * _LN2_HI) - k * _LN2_LO
    p = _poly(y, w)
    if w == 64:
        p = p + p * err  # one FMA: p (1 + err), rounded once
    # A subnormal result (r < -708): 2**k is not a normal number, so the factors become
    # p 2**-64 and 2**(k + 64), both normal; their product rounds once, like libm's exp.
    sub = r < _R_MIN
    p = p * (_TWO_M64 if sub else 1.0)
    kb = np.int64(k) + (64 if sub else 0)
    term = p * _as_float((kb + 1023) << 52)  # p 2**kb, rounded once (subnormal) or exact
    return term if r >= _R_ZERO else 0.0  # below -746 (and for -inf) exp is exactly 0


@njit(cache=True, inline="always", error_model="numpy")
def _exp_terms(xr, m, t, buf, w):
    """Store exp((x_i - m) / t) in ``buf`` (float64), for the finite maximum ``m`` of the row.

    One loop per case, each with its constants folded in: a test of ``t`` or ``w`` inside
    the loop made LLVM compute both branches, two vector divisions per 8 terms included
    (the slowest instruction there is), and keep only one.
    """
    n = xr.shape[0]
    if t == 1.0:
        if w == 64:
            for i in range(n):
                buf[i] = _term(xr[i], m, 1.0, 64, False)
        else:
            for i in range(n):
                buf[i] = _term(xr[i], m, 1.0, 32, False)
    elif w == 64:
        for i in range(n):
            buf[i] = _term(xr[i], m, t, 64, True)
    else:
        for i in range(n):
            buf[i] = _term(xr[i], m, t, 32, True)


@njit(cache=True, inline="always", error_model="numpy")
def _two_sum(s, c, v):
    """Add ``v`` to the compensated sum ``(s, c)``: TwoSum keeps in ``c`` what ``s`` rounds away."""
    t = s + v
    bp = t - s
    return t, c + ((s - (t - bp)) + (v - bp))


@njit(cache=True, inline="never", error_model="numpy")
def _sum(buf, lane_s, lane_c):
    """Sum ``buf`` (n >= 0 terms, all >= 0) in 16 lanes of compensated sums (Sum2).

    Each span of 256 terms is read as 16 rows of 16: lane j adds the 16 terms j, j + 16, ...,
    j + 240 in that fixed order (one rounding each, 15 u of the block's sum at most: Higham
    2002, eq. 4.4), then adds the block's sum into its own TwoSum chain (``lane_s``,
    ``lane_c``). The lanes are independent, so LLVM vectorises across them (2 AVX-512
    registers) without reordering any sum: the result is the same on every CPU. The tail
    (n mod 256 terms) goes into the lanes in blocks of 16, and the 16 chains are merged with
    TwoSum. Every addition of block sums is error-free, so the error is at most 15 u (inside
    the blocks) + u (the final rounding) of the sum, plus O(n^2 u^2): about 8 eps for every
    row length (Ogita, Rump & Oishi 2005). ``lane_s`` and ``lane_c`` are 16-element scratch.
    """
    n = buf.shape[0]
    if n <= _BLOCK:  # one block: its plain sum, within 15 u (short rows: 10 classes, say)
        a = 0.0
        for i in range(n):
            a += buf[i]
        return a
    used = min(_LANES, (n + _BLOCK - 1) // _BLOCK)  # lanes that receive a block sum
    for j in range(used):
        lane_s[j] = 0.0
        lane_c[j] = 0.0
    span = _LANES * _BLOCK
    full = n // span
    for b in range(full):
        base = b * span
        for j in range(_LANES):  # vectorised across j; each lane's order is fixed
            a = buf[base + j]
            for t in range(1, _BLOCK):
                a += buf[base + t * _LANES + j]
            lane_s[j], lane_c[j] = _two_sum(lane_s[j], lane_c[j], a)
    lo = full * span
    while lo < n:  # the tail: consecutive blocks of up to 16 terms, one per lane
        j = (lo - full * span) // _BLOCK
        a = 0.0
        for i in range(lo, min(n, lo + _BLOCK)):
            a += buf[i]
        lane_s[j], lane_c[j] = _two_sum(lane_s[j], lane_c[j], a)
        lo += _BLOCK
    s = c = 0.0
    for j in range(used):
        s, c = _two_sum(s, c + lane_c[j], lane_s[j])
    return s + c


def _terms_row(outr, buf):
    """The float64 row that holds a row's terms: the output row itself for float64 output
    (no scratch; each entry is read before it is overwritten), else the scratch row."""


@overload(_terms_row, inline="always")
def _terms_row_impl(outr, buf):
    if outr.dtype == types.float64:
        return lambda outr, buf: outr
    return lambda outr, buf: buf


@njit(cache=True, inline="always", error_model="numpy")
def _count_posinf(xr):
    c = 0
    for i in range(xr.shape[0]):
        c += xr[i] == np.inf
    return c


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def softmax_block(x, xi, out, t, w, kninf, start, stop):
    """Softmax of rows ``start:stop`` of the C-contiguous 2-D ``x`` into ``out``, at temperature ``t``.

    ``xi`` is ``x`` viewed as w-bit integers and ``kninf`` the key of -inf.
    """
    n = x.shape[1]
    buf = np.empty(n if w == 32 else 0, dtype=np.float64)  # float64 output holds its terms
    lane_s = np.empty(_LANES, dtype=np.float64)
    lane_c = np.empty(_LANES, dtype=np.float64)
    for r in range(start, stop):
        xr = x[r]
        outr = out[r]
        terms = _terms_row(outr, buf)
        # Only the maximum's value is needed, not its index: one pass over the row's bits.
        kmax, kmin = _key_range(xi[r], w)
        m = _key_value(kmax, w)
        if m != m or kmin < kninf or m == -np.inf:
            # NaN propagates; an all -inf row has no probabilities (NaN, like scipy).
            outr[:] = np.nan
        elif m == np.inf:
            # +inf entries share the probability equally; every finite entry gets 0.
            share = 1.0 / _count_posinf(xr)
            for i in range(n):
                outr[i] = share if xr[i] == np.inf else 0.0
        else:
            _exp_terms(xr, m, t, terms, w)
            # Every maximal entry's term is exp(0) = 1 exactly, so the sum of all the terms
            # is 1 + s with one rounding fewer than adding 1 to s (a ratio needs no log1p).
            d = _sum(terms, lane_s, lane_c)
            if w == 64:
                for i in range(n):
                    outr[i] = terms[i] / d
            else:
                # Rounded to float32 afterwards, the reciprocal's extra float64 rounding is
                # invisible, and a multiplication is far cheaper than a division.
                inv = 1.0 / d
                for i in range(n):
                    outr[i] = terms[i] * inv


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def log_softmax_block(x, xi, out, t, w, kninf, start, stop):
    """Log-softmax of rows ``start:stop`` of ``x`` into ``out`` (as :func:`softmax_block`)."""
    n = x.shape[1]
    buf = np.empty(n if w == 32 else 0, dtype=np.float64)  # float64 output holds its terms
    lane_s = np.empty(_LANES, dtype=np.float64)
    lane_c = np.empty(_LANES, dtype=np.float64)
    for r in range(start, stop):
        xr = x[r]
        outr = out[r]
        terms = _terms_row(outr, buf)
        m, k, kmin = _row_stats(xr, xi[r], w)
        if m != m or kmin < kninf or m == -np.inf:
            outr[:] = np.nan
        elif m == np.inf:
            top = -np.log(np.float64(_count_posinf(xr)))
            for i in range(n):
                outr[i] = top if xr[i] == np.inf else -np.inf
        else:
            _exp_terms(xr, m, t, terms, w)
            terms[k] = 0.0
            s = _sum(terms, lane_s, lane_c)
            lse = np.log1p(s)
            if t == 1.0:  # one loop per case, as in _exp_terms
                for i in range(n):
                    outr[i] = (np.float64(xr[i]) - m) - lse
            else:
                for i in range(n):
                    outr[i] = (np.float64(xr[i]) - m) / t - lse


@njit(cache=True, parallel=True, error_model="numpy")
def softmax_rows(x, xi, out, t, w, kninf, blocks):
    """:func:`softmax_block` over ``blocks`` contiguous runs of rows, spread over the threads."""
    n_rows = x.shape[0]
    for b in prange(blocks):
        softmax_block(x, xi, out, t, w, kninf, b * n_rows // blocks, (b + 1) * n_rows // blocks)


@njit(cache=True, parallel=True, error_model="numpy")
def log_softmax_rows(x, xi, out, t, w, kninf, blocks):
    """:func:`log_softmax_block` over ``blocks`` contiguous runs of rows, spread over the threads."""
    n_rows = x.shape[0]
    for b in prange(blocks):
        log_softmax_block(x, xi, out, t, w, kninf, b * n_rows // blocks, (b + 1) * n_rows // blocks)
