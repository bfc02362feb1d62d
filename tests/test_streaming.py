"""Tests of softmaxlib.streaming: chunked logsumexp and softmax, and blockwise attention.

One class per public function. The in-memory functions of softmaxlib.core are the reference
(they are tested against mpmath in tests/test_core.py); where a value is exact, the test says
why. Hypothesis draws the splits into chunks and the order in which partial states are merged.

Bounds are in eps and follow from the standard model (u = eps/2 per operation), numpy's float64
exp/log/log1p within 1 ulp on every SIMD path (umath-validation-set-*.csv, ulperrortol 1), core's
CORE_BOUND eps, and sums of n terms in any order within (n - 1) u of the sum of magnitudes
(the chunk sums run along whatever axis the caller chose, so numpy's pairwise summation is
not assumed).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from softmaxlib import (
    LSEState,
    blockwise_attention,
    log_softmax,
    logsumexp,
    lse_state,
    merge_lse,
    softmax,
    streaming_log_softmax,
    streaming_logsumexp,
    streaming_softmax,
)
from softmaxlib.accuracy import error_in_eps, exact_log_softmax, exact_softmax
from strategies import (
    dominated_rows,
    finite_scores,
    log_softmax_bound,
    shapes,
    softmax_bound,
)

EPS = np.finfo(np.float64).eps

def core_bound(n):
    """softmaxlib.core's float64 bound in eps for rows of n entries: the larger of
    tests/strategies.py's softmax_bound and log_softmax_bound (also logsumexp's)."""
    return max(softmax_bound(n, np.float64), log_softmax_bound(n, np.float64))


#: core's bound at the longest row used with it in this file (n <= 60); the bounds grow with n.
CORE_BOUND = core_bound(60)


def sum_bound(n_max, n_chunks):
    """Relative bound in eps of the streamed d = 1 + s against the exact one.

    Within a chunk of at most n_max entries: the compensated exp, 1 ulp each, and the sum,
    (n_max - 1) u in any order; each of the n_chunks merges: the weight exp(m - M) 1 ulp,
    1 + s, the product and the sum, 1.5 eps more; d = 1 + s itself, u.
    """
    return 1 + (n_max - 1) / 2 + 1.5 * n_chunks + 0.5


def lse_bound(n_max, n_chunks, scale):
    """Absolute bound in eps of streaming logsumexp against core's.

    d's relative error (sum_bound) becomes log1p's absolute error; log1p adds 1 ulp of
    itself and m + log1p(s) rounds by u of the result; core is within CORE_BOUND eps of the result.
    log1p(s) and the result are bounded by ``scale`` = max(|ref|, max |x|) (m + log1p(s) may
    cancel, so |ref| alone would not do).
    """
    return sum_bound(n_max, n_chunks) + (1 + 0.5 + CORE_BOUND) * scale


def softmax_bound(x, n_max, n_chunks, axis=-1):
    """Relative bound in eps, per entry, of streaming softmax against core's (float64).

    The streamed p_i = exp(x_i - M) / d: the difference x_i - M rounds by u |x_i - M|, which
    exp turns into a relative error (the second pass does not compensate it, as core now
    does); exp 1 ulp; d's sum_bound; the division u; core within CORE_BOUND eps.
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        gap = np.abs(x - np.max(x, axis=axis, keepdims=True))
    gap = np.where(np.isfinite(gap), gap, 0.0)
    return 0.5 * gap + 1 + sum_bound(n_max, n_chunks) + 0.5 + CORE_BOUND


def _chunk_sizes(cuts):
    sizes = np.diff(cuts)
    return max(int(sizes.max(initial=0)), 1), len(sizes)


@st.composite
def split_points(draw, n, max_chunks=12):
    """Sorted cut points 0 <= c_1 <= ... <= n (empty chunks allowed) splitting range(n)."""
    cuts = draw(st.lists(st.integers(0, n), max_size=max_chunks - 1))
    return [0] + sorted(cuts) + [n]


def _chunks(x, cuts, axis=-1):
    x = np.moveaxis(x, axis, -1)
    return [np.moveaxis(x[..., a:b], -1, axis) for a, b in zip(cuts[:-1], cuts[1:])]


def _lse_close(got, ref, n_chunks):
    """|got - ref| within (n_chunks + 4) eps of the larger of |ref| and |max|.

    Each merge rounds the running sum once, like one step of a sequential sum, so the bound
    grows with the number of chunks; relative to |max| because m + log1p(s) may cancel.
    """
    got, ref = np.asarray(got, dtype=np.float64), np.asarray(ref, dtype=np.float64)
    assert_array_equal(np.isnan(got), np.isnan(ref))
    both = np.isfinite(ref)
    assert_array_equal(got[~both & ~np.isnan(ref)], ref[~both & ~np.isnan(ref)])
    return got[both], ref[both]


class TestLseState:
    def test_example(self):
        # s = e^(0 - 1) + e^(1 - 1): the maximum's own term (one of the two 1.0s) is left out.
        st_ = lse_state([0.0, 1.0, 1.0])
        assert float(st_.m) == 1.0
        # Both exps within 1 ulp of e^-1 (array and scalar may take different kernels), each
        # sum rounds once: (2 * 0.37 + 1.37) eps of 1.37, under 2 eps (was rtol=1e-15).
        assert_allclose(st_.s, np.exp(-1.0) + 1.0, rtol=2 * EPS)

    def test_special_values(self):
        assert (float(lse_state([]).m), float(lse_state([]).s)) == (-np.inf, 0.0)
        assert (float(lse_state([-np.inf, -np.inf]).m), float(lse_state([-np.inf]).s)) == (-np.inf, 0.0)
        nan = lse_state([1.0, np.nan])
        assert np.isnan(nan.m) and np.isnan(nan.s)
        inf = lse_state([np.inf, 0.0, np.inf, np.inf])
        assert float(inf.m) == np.inf and float(inf.s) == 2.0  # 1 + s counts the +inf entries

    def test_batch_axis(self):
        x = np.arange(6.0).reshape(2, 3)
        assert lse_state(x).m.shape == (2,)
        assert_array_equal(lse_state(x, axis=0).m, [3.0, 4.0, 5.0])

    def test_bad_input(self):
        with pytest.raises(TypeError, match="chunk must be real"):
            lse_state(np.array([1j]))
        with pytest.raises(TypeError, match="boolean"):
            lse_state(np.array([True]))
        with pytest.raises(np.exceptions.AxisError):
            lse_state(np.ones((2, 2)), axis=3)


class TestMergeLse:
    def test_identity(self):
        a = lse_state([0.5, -2.0, 3.0])
        for merged in (merge_lse(a, LSEState.empty()), merge_lse(LSEState.empty(), a)):
            assert_array_equal(merged.m, a.m)
            assert_array_equal(merged.s, a.s)

    def test_leading_negative_infinity_gives_no_nan(self):
        # The naive merge would form -inf - (-inf) = NaN (with a RuntimeWarning, an error here).
        a = lse_state([-np.inf, -np.inf])
        b = lse_state([1.0, 2.0])
        # lse_bound(2, 2, 2.31) eps, about 3.4 eps relative (was rtol=1e-15 = 4.5 eps).
        ref = logsumexp([1.0, 2.0])
        assert_allclose(merge_lse(a, b).logsumexp(), ref, rtol=0,
                        atol=lse_bound(2, 2, float(ref)) * EPS)
        assert float(merge_lse(a, a).logsumexp()) == -np.inf

    def test_infinities_and_nan(self):
        inf = merge_lse(lse_state([np.inf]), lse_state([np.inf, 1.0]))
        assert float(inf.m) == np.inf and float(inf.s) == 1.0  # two +inf entries
        assert np.isnan(merge_lse(lse_state([np.nan]), lse_state([1.0])).logsumexp())
        assert np.isnan(merge_lse(lse_state([1.0]), lse_state([np.nan])).logsumexp())

    @given(st.data())
    def test_any_merge_order_gives_the_same_answer(self, data):
        # Associativity and commutativity: merge the chunk states pairwise in a random order.
        x = data.draw(finite_scores(dtype=np.float64, shape=(data.draw(st.integers(1, 60)),)))
        cuts = data.draw(split_points(x.size))
        states = [lse_state(c) for c in _chunks(x, cuts)]
        while len(states) > 1:
            i = data.draw(st.integers(0, len(states) - 1))
            a = states.pop(i)
            j = data.draw(st.integers(0, len(states) - 1))
            states[j] = merge_lse(a, states[j]) if data.draw(st.booleans()) else merge_lse(states[j], a)
        got, ref = _lse_close(states[0].logsumexp(), logsumexp(x), len(cuts))
        scale = np.maximum(np.abs(ref), np.abs(x).max())
        # Merged in any order, each state still passes through at most n_chunks merges.
        # Was (n_cuts + 4) eps of scale, below the worst case of a 60-entry chunk's sum.
        n_max, n_chunks = _chunk_sizes(cuts)
        assert (np.abs(got - ref) <= lse_bound(n_max, n_chunks, scale) * EPS).all()


class TestStreamingLogsumexp:
    @given(st.data())
    def test_any_split_matches_core(self, data):
        x = data.draw(finite_scores(dtype=np.float64, shape=data.draw(shapes(max_dims=2, max_side=50))))
        cuts = data.draw(split_points(x.shape[-1]))
        got, ref = _lse_close(streaming_logsumexp(iter(_chunks(x, cuts))), logsumexp(x), len(cuts))
        scale = np.maximum(np.abs(ref), np.abs(x).max(axis=-1)[np.isfinite(logsumexp(x))])
        # lse_bound (was (n_cuts + 4) eps of scale, below the worst case for long chunks).
        n_max, n_chunks = _chunk_sizes(cuts)
        assert (np.abs(got - ref) <= lse_bound(n_max, n_chunks, scale) * EPS).all()

    def test_dominant_entry_keeps_log1p_accuracy(self):
        # mpmath (dps=50): log1p(999 exp(-40)) = 4.2441059010362884e-15; m + log(d) would
        # round 1 + s and lose it.
        x = np.array([0.0] + [-40.0] * 999)
        got = streaming_logsumexp(np.array_split(x, 7))
        # log1p(s) ~ s, so its relative error is s's: sum_bound(143, 7) = 83 eps, plus log1p's
        # ulp, m + . is exact (m = 0), the reference's u. Was 2, which only numpy's pairwise
        # order of equal terms meets; m + log(d) would be 1e15 eps off.
        assert error_in_eps(got, 4.2441059010362884e-15) <= sum_bound(143, 7) + 1.5

    def test_edge_cases(self):
        assert float(streaming_logsumexp([])) == -np.inf
        assert float(streaming_logsumexp([np.array([-np.inf]), np.array([])])) == -np.inf
        assert float(streaming_logsumexp([[1.0], [np.inf]])) == np.inf
        assert np.isnan(streaming_logsumexp([[np.nan], [1.0]]))

    def test_axis_and_float32(self):
        x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
        got = streaming_logsumexp([x[:2], x[2:]], axis=0)
        # float32 scores are exact in float64; lse_bound(3, 2, |ref|) (was rtol=4 eps).
        ref = logsumexp(x.astype(np.float64), axis=0)
        scale = np.maximum(np.abs(ref), np.abs(x).max(axis=0))
        assert (np.abs(got - ref) <= lse_bound(3, 2, scale) * EPS).all()


class TestStreamingSoftmax:
    def test_large_gap_is_compensated(self):
        # x - max = -81.69035191 is rounded in float64, and exp turns that absolute error into
        # a relative error of up to 41 ulps; the second pass recovers it with TwoSum, as core
        # does. Reference: mpmath at dps=60 (exact_softmax). Bound: 1 ulp of exp, the
        # first-order TwoSum correction, 1/2 for 1 + s and 1/2 for the division.
        x = np.array([100.0, 18.30964809])
        p = np.concatenate(list(streaming_softmax([x[:1], x[1:]])))
        assert error_in_eps(p, exact_softmax(x)).max() <= 2.5

    @given(st.data())
    def test_any_split_matches_core(self, data):
        x = data.draw(finite_scores(shape=data.draw(shapes(max_dims=2, max_side=50))))
        cuts = data.draw(split_points(x.shape[-1]))
        chunks = _chunks(x, cuts)
        got = np.concatenate(list(streaming_softmax(chunks)), axis=-1)
        ref = softmax(x)
        assert got.dtype == x.dtype
        # softmax_bound in float64 eps; float16/32 results are rounded once from float64 on
        # each side: 1 eps of the dtype more. Where the result is subnormal in the dtype, one
        # subnormal step. Was (n_cuts + 4) eps, which random runs broke once core began to
        # compensate x_i - max (x = [100, 18.3]: 31.6 eps, the uncompensated 81.7/2 ulps).
        n_max, n_chunks = _chunk_sizes(cuts)
        bound64 = softmax_bound(x, n_max, n_chunks)
        info = np.finfo(x.dtype)
        bound = 1 + bound64 * EPS / info.eps if x.dtype != np.float64 else bound64
        normal = np.abs(ref) >= info.tiny
        assert (error_in_eps(got, ref.astype(np.float64), x.dtype) <= bound)[normal].all()
        diff = np.abs(got.astype(np.float64) - ref.astype(np.float64))[~normal]
        assert (diff <= float(info.smallest_subnormal)).all()

    def test_leading_negative_infinity(self):
        x = np.array([-np.inf, -np.inf, 1.0, 2.0, -np.inf, 3.0])
        got = np.concatenate(list(streaming_softmax([x[:2], x[2:4], x[4:]])))
        # softmax_bound, 3 chunks of at most 2 (was rtol=4 eps).
        rtol = softmax_bound(x[np.isfinite(x)], 2, 3).max() * EPS
        assert_allclose(got, softmax(x), rtol=rtol)
        assert got[0] == 0.0

    def test_edge_cases_follow_core(self):
        for x in ([np.nan, 1.0, 2.0], [np.inf, 0.0, np.inf], [-np.inf, -np.inf, -np.inf], [1e308, -1e308, 0.0]):
            x = np.array(x)
            got = np.concatenate(list(streaming_softmax([x[:1], x[1:]])))
            assert_array_equal(got, softmax(x))

    def test_batched_rows_and_axis(self):
        x = np.random.default_rng(1).normal(size=(4, 9))
        got = np.concatenate(list(streaming_softmax([x[:, :4], x[:, 4:]])), axis=1)
        # softmax_bound (was rtol=4 eps for both).
        assert_allclose(got, softmax(x), rtol=softmax_bound(x, 5, 2).max() * EPS)
        got0 = np.concatenate(list(streaming_softmax([x[:1], x[1:]], axis=0)), axis=0)
        rtol = softmax_bound(x, 3, 2, axis=0).max() * EPS
        assert_allclose(got0, softmax(x, axis=0), rtol=rtol)

    def test_a_function_returning_chunks_is_read_twice(self):
        reads = []

        def source():
            rng = np.random.default_rng(2)  # the same chunks on every pass
            for _ in range(3):
                reads.append(1)
                yield rng.normal(size=4)

        got = np.concatenate(list(streaming_softmax(source)))
        x = np.random.default_rng(2).normal(size=12)
        # softmax_bound, 3 chunks of 4 (was rtol=4 eps).
        assert_allclose(got, softmax(x), rtol=softmax_bound(x, 4, 3).max() * EPS)
        assert len(reads) == 6  # two passes over three chunks

    def test_one_shot_iterator_is_refused(self):
        with pytest.raises(TypeError, match="re-iterable"):
            next(streaming_softmax(iter([np.ones(2)])))
        with pytest.raises(TypeError, match="iterable"):
            next(streaming_softmax(3.0))
        with pytest.raises(TypeError, match="chunk must be real"):
            next(streaming_softmax([np.array([1j])]))


class TestStreamingLogSoftmax:
    @given(dominated_rows(dtype=np.float64), st.data())
    def test_dominated_rows_any_split(self, x, data):
        # Reference: mpmath at dps=60 (softmaxlib.accuracy.exact_log_softmax).
        cuts = data.draw(split_points(x.size))
        got = np.concatenate(list(streaming_log_softmax(_chunks(x, cuts))))
        exact = exact_log_softmax(x)
        ok = np.abs(exact) > np.finfo(np.float64).tiny / EPS
        # x_i - M rounds by u |x_i - M| <= u |exact_i|; log1p(s)'s absolute error is d's
        # relative error (sum_bound) plus 1 ulp, and log1p(s) <= |exact_i| for every i; the
        # subtraction and the reference round by u each. Was core's own error + n_cuts + 4.
        n_max, n_chunks = _chunk_sizes(cuts)
        bound = 0.5 + sum_bound(n_max, n_chunks) + 1 + 0.5 + 0.5
        assert (error_in_eps(got, exact)[ok] <= bound).all()

    def test_edge_cases_follow_core(self):
        for x in ([np.nan, 1.0], [np.inf, 0.0, np.inf], [-np.inf, -np.inf], [0.0, -800.0]):
            x = np.array(x)
            got = np.concatenate(list(streaming_log_softmax([x[:1], x[1:]])))
            assert_array_equal(got, log_softmax(x))


def attention_bound(q, k, v, block):
    """Absolute bound of blockwise_attention against softmax(q k^T / sqrt(d)) @ v, per entry.

    Scores: d products and additions in whatever order the GEMM kernel takes (d u of
    |q| |k|^T), then the scaling, (x * (1/sqrt d) against x / sqrt d: 1.5 eps): the two sides'
    scores differ by (d + 3) eps |q| |k|^T / sqrt d, which exp turns into a relative error of
    every p, doubled by the normalisation. The rest: exp 1 ulp and the rescaling exp(m - M)
    once per block, the sums of n_k terms (n_k u), core's CORE_BOUND eps, and the final products
    with
    v and their sums (n_k u): all of max |v| (was rtol=1e-12, atol=1e-12 max |v|, below the
    worst case at scale 30, and rtol=1e-14 for scores near 1e6).
    """
    n_k, d = k.shape
    s_abs = (np.abs(q) @ np.abs(k).T) / np.sqrt(d)
    delta = (d + 3) * EPS * s_abs.max(axis=1, keepdims=True)
    n_blocks = -(-n_k // block)
    rel = 2 * delta + (1 + n_blocks + n_k + CORE_BOUND + n_k) * EPS
    return np.expm1(rel) * np.abs(v).max() + EPS * np.abs(v).max()


class TestBlockwiseAttention:
    @given(
        st.integers(1, 6), st.integers(1, 40), st.integers(1, 5), st.integers(1, 4),
        st.integers(1, 50), st.sampled_from([0.1, 1.0, 30.0]),
    )
    def test_equals_full_attention(self, n_q, n_k, d, d_v, block, scale):
        rng = np.random.default_rng(n_q * 1000 + n_k)
        q = rng.normal(size=(n_q, d)) * scale
        k = rng.normal(size=(n_k, d)) * scale
        v = rng.normal(size=(n_k, d_v))
        full = softmax(q @ k.T / np.sqrt(d)) @ v
        got = blockwise_attention(q, k, v, block_size=block)
        assert (np.abs(got - full) <= attention_bound(q, k, v, block)).all()

    def test_no_overflow_with_huge_scores(self):
        # Scores near 1e6: exp would overflow without the running maximum.
        q = np.array([[1000.0, 0.0]])
        k = np.array([[1000.0, 0.0], [999.0, 0.0], [0.0, 1.0]])
        v = np.eye(3)
        got = blockwise_attention(q, k, v, block_size=1)
        full = softmax(q @ k.T / np.sqrt(2)) @ v
        assert (np.abs(got - full) <= attention_bound(q, k, v, 1)).all()
        assert got[0, 0] == 1.0  # e^-707 and e^-707106 are nothing beside 1
        assert np.isfinite(got).all()

    def test_dtype(self):
        x = np.ones((2, 3), dtype=np.float32)
        assert blockwise_attention(x, x, x).dtype == np.float32
        assert blockwise_attention([[1, 2]], [[1, 0]], [[3]]).dtype == np.float64

    def test_bad_arguments(self):
        q = np.ones((2, 3))
        with pytest.raises(ValueError, match="same width"):
            blockwise_attention(q, np.ones((4, 2)), np.ones((4, 1)))
        with pytest.raises(ValueError, match="same number of rows"):
            blockwise_attention(q, np.ones((4, 3)), np.ones((5, 1)))
        with pytest.raises(ValueError, match="2-D"):
            blockwise_attention(np.ones(3), np.ones((4, 3)), np.ones((4, 1)))
        with pytest.raises(ValueError, match="at least one row"):
            blockwise_attention(q, np.ones((0, 3)), np.ones((0, 1)))
        with pytest.raises(ValueError, match="block_size"):
            blockwise_attention(q, q, q, block_size=0)
        with pytest.raises(TypeError, match="block_size"):
            blockwise_attention(q, q, q, block_size=2.0)
        with pytest.raises(TypeError, match="q must"):
            blockwise_attention(np.ones((2, 3), dtype=bool), q, q)
