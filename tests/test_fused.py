"""Tests of softmaxlib.fused: the numba kernels must behave exactly like softmaxlib.core.

One class per public function. The reference is softmaxlib.core (the numpy version), and for
accuracy the mpmath references of softmaxlib.accuracy (mpmath at dps=60). Speed is measured
only in bench/bench_scale.py, never here.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from softmaxlib import core, fused, fused_log_softmax, fused_softmax
from softmaxlib.accuracy import error_in_eps, exact_log_softmax, exact_softmax

from strategies import (
    NARROW_BOUND,
    axes_for,
    dominated_rows,
    finite_scores,
    log_softmax_bound,
    shapes,
    softmax_bound,
)

KERNEL_DTYPES = (np.float32, np.float64)


def _tol(fast, x, axis=-1):
    """Agreement of a fused result with core's, in eps: each is within its derived bound of
    the exact value (tests/strategies.py), so they are within the sum of the two. With a
    temperature both round fl(x - max) / T identically, so that rounding is common to both."""
    x = np.asarray(x)
    axes = range(x.ndim) if axis is None else np.atleast_1d(axis)
    n = int(np.prod([x.shape[a] for a in axes])) if x.ndim else 1
    bound = softmax_bound if fast is fused_softmax else log_softmax_bound
    return bound(n, x.dtype, fused=True) + bound(n, x.dtype)


def _agree(fast, ref, dtype, tol_eps):
    """Equal NaN/inf patterns, and relative agreement within tol_eps eps elsewhere."""
    fast, ref = np.asarray(fast), np.asarray(ref)
    assert fast.shape == ref.shape and fast.dtype == ref.dtype
    assert_array_equal(np.isnan(fast), np.isnan(ref))
    assert_array_equal(np.isinf(fast), np.isinf(ref))
    assert_array_equal(fast[np.isinf(fast)], ref[np.isinf(ref)])
    finite = np.isfinite(ref)
    assert error_in_eps(fast[finite], ref[finite].astype(np.float64), dtype).max(initial=0) <= tol_eps


#: Rows that exercise every branch of the kernels (NaN, -NaN, +inf, -inf, -0.0, ties,
#: subnormal results, more than one block of 128).
def _edge_rows(dtype):
    rng = np.random.default_rng(8)
    x = (rng.normal(size=(14, 300)) * 5).astype(dtype)
    x[0, 3] = np.nan
    x[1, 7] = -np.nan  # a NaN with the sign bit set orders below -inf by its bits
    x[2, 5] = np.inf
    x[3, 4:9] = np.inf
    x[4] = -np.inf
    x[5, ::2] = -np.inf
    x[6] = 0.0
    x[6, 3] = -0.0
    x[7, [10, 200]] = 40.0  # a tie for the maximum
    x[8, :4] = [0.0, -745.0, -720.0, -708.5]  # results below exp(-708): subnormal or zero
    x[9] = np.inf
    x[10, 0] = -np.inf  # a leading -inf
    x[11] = 1e30 if dtype == np.float32 else 1e300
    x[12, :3] = [np.finfo(dtype).max, -np.finfo(dtype).max, 0.0]  # x - max overflows to -inf
    x[13] = x[13] * 1e-3
    return x


class TestFusedSoftmax:
    @pytest.mark.parametrize("dtype", KERNEL_DTYPES)
    def test_edge_rows_match_core(self, dtype):
        x = _edge_rows(dtype)
        _agree(fused_softmax(x), core.softmax(x), dtype, _tol(fused_softmax, x))

    @pytest.mark.parametrize("dtype", KERNEL_DTYPES)
    def test_threaded_path_matches_core(self, dtype):
        # 280 x 300 entries is above fused._PARALLEL_MIN_SIZE: the rows go to the threads.
        x = np.tile(_edge_rows(dtype), (20, 1))
        assert x.size >= fused._PARALLEL_MIN_SIZE
        _agree(fused_softmax(x), core.softmax(x), dtype, _tol(fused_softmax, x))
        _agree(fused_log_softmax(x), core.log_softmax(x), dtype, _tol(fused_log_softmax, x))

    def test_issue_examples(self):
        # softmaxlib.core's docstring examples, computed there with numpy.
        assert_allclose(fused_softmax([1000.0, 1001.0, 1002.0]), [0.09003057, 0.24472847, 0.66524096], rtol=1e-7)
        assert_array_equal(fused_softmax([np.inf, 0.0, np.inf]), [0.5, 0.0, 0.5])
        assert np.isnan(fused_softmax([-np.inf, -np.inf])).all()
        assert np.isnan(fused_softmax([[1.0, np.nan], [1.0, 2.0]])[0]).all()
        assert not np.isnan(fused_softmax([[1.0, np.nan], [1.0, 2.0]])[1]).any()

    @pytest.mark.parametrize("dtype", KERNEL_DTYPES)
    def test_accuracy_against_mpmath(self, dtype):
        # Reference: mpmath at dps=60 (softmaxlib.accuracy.exact_softmax). Widely spread
        # float64 rows no longer inherit the rounding of x - max (TwoSum-corrected), so every
        # row is within the derived bound (tests/strategies.py).
        rng = np.random.default_rng(3)
        x = (rng.normal(size=(3, 200)) * [[1.0], [10.0], [300.0]]).astype(dtype)
        exact = exact_softmax(x)
        normal = exact > np.finfo(dtype).tiny / np.finfo(dtype).eps  # away from gradual underflow
        err = np.where(normal, error_in_eps(fused_softmax(x), exact, dtype), 0.0)
        assert err.max() <= softmax_bound(200, dtype, fused=True)

    @pytest.mark.parametrize("n", [1, 15, 16, 17, 255, 256, 257, 300, 4097])
    def test_every_row_length_within_bound(self, n):
        # The kernel's sum reads spans of 256 terms as 16 lanes of 16 and the rest in blocks
        # of up to 16 (_fused_kernels._sum): lengths on both sides of each boundary, with
        # scores spread enough (sd 3) that the terms differ by orders of magnitude.
        x = np.random.default_rng(n).normal(size=(2, n)) * 3.0
        assert error_in_eps(fused_softmax(x), exact_softmax(x)).max() <= softmax_bound(
            n, np.float64, fused=True)
        assert error_in_eps(fused_log_softmax(x), exact_log_softmax(x)).max() <= log_softmax_bound(
            n, np.float64, fused=True)

    @pytest.mark.parametrize("dtype", KERNEL_DTYPES)
    def test_signed_zero_maximum(self, dtype):
        # -0.0 orders below +0.0 by its bits: the maximum is still the first zero of either
        # sign, and both zeros get the same probability.
        x = np.array([[-1.0, -0.0, 0.0, -2.0], [-0.0, -3.0, -0.0, -1.0]], dtype=dtype)
        _agree(fused_softmax(x), core.softmax(x), dtype, _tol(fused_softmax, x))
        p = fused_log_softmax(x)
        assert p[0, 1] == p[0, 2] and p[1, 0] == p[1, 2]

    def test_float32_rounds_once(self):
        # float32 is computed in float64 and rounded once, like core: the same bits almost
        # always. The two float64 values are within 25 eps64 of each other (both bounds), so
        # they round differently only within that of a float32 rounding boundary: probability
        # about 2 * 25 * 2**-52 / 2**-23 < 1e-7 per entry, so under 1e-3 of them is a margin of
        # 10**4 (and never more than 1 ulp).
        x = (np.random.default_rng(4).normal(size=(50, 257)) * 10).astype(np.float32)
        ulps = np.abs(fused_softmax(x).view(np.int32) - core.softmax(x).view(np.int32))
        assert ulps.max() <= 1 and (ulps == 0).mean() > 0.999

    @pytest.mark.parametrize("dtype", KERNEL_DTYPES)
    def test_temperature_matches_core(self, dtype):
        x = _edge_rows(dtype)
        for t in (1e-3, 0.7, 3.0):
            _agree(fused_softmax(x, temperature=t), core.softmax(x, temperature=t), dtype, _tol(fused_softmax, x))

    @pytest.mark.parametrize("dtype", KERNEL_DTYPES)
    def test_temperature_with_huge_spread(self, dtype):
        # Exact: every other term is exp(-inf-ish) = 0, so all the mass is on the maximum.
        # (x - max) / T is formed as in core, so x / T never overflows.
        big = np.finfo(dtype).max
        x = np.array([big, -big, 0.0, 1.0], dtype=dtype)
        for t in (1e-3, 0.7, 3.0):
            assert_array_equal(fused_softmax(x, temperature=t), [1.0, 0.0, 0.0, 0.0])
            logp = fused_log_softmax(x, temperature=t)
            assert logp[0] == 0.0 and logp[1] < -1e30  # -inf, or finite for float32 scores

    def test_axes_and_shapes(self):
        x = np.random.default_rng(5).normal(size=(3, 4, 5))
        for axis in (0, 1, -1, (0, 2), None):
            assert_allclose(fused_softmax(x, axis=axis), core.softmax(x, axis=axis), rtol=1e-14)
        assert_array_equal(fused_softmax(2.5), 1.0)
        assert fused_softmax(2.5).shape == ()
        assert type(fused_softmax(2.5)) is type(core.softmax(2.5))  # a numpy scalar, as in core

    def test_empty(self):
        for shape, axis in (((2, 0), -1), ((0, 3), -1), ((0,), -1), ((2, 0), 0)):
            out = fused_softmax(np.zeros(shape, dtype=np.float32), axis=axis)
            assert out.shape == shape and out.dtype == np.float32

    def test_integers_become_float64(self):
        out = fused_softmax([1, 2, 3])
        assert out.dtype == np.float64
        assert_allclose(out, core.softmax([1.0, 2.0, 3.0]), rtol=1e-15)

    def test_float16_and_complex_go_to_core(self):
        h = np.array([1.0, 2.0, 3.0], dtype=np.float16)
        assert_array_equal(fused_softmax(h), core.softmax(h))
        z = np.array([1.0 + 1.0j, 2.0 - 0.5j])
        assert_array_equal(fused_softmax(z), core.softmax(z))

    def test_fallbacks_keep_the_temperature(self):
        # Issue 11: the float16 and complex fallbacks must pass the temperature on. x / 0.5 is
        # exact; mpmath (dps=60) of it is the reference; float16 is rounded once.
        h = np.array([1.0, 2.0, 3.0], dtype=np.float16)
        out = fused_softmax(h, temperature=0.5)
        assert out.dtype == np.float16
        assert error_in_eps(out, exact_softmax(h.astype(np.float64) / 0.5)).max() <= NARROW_BOUND
        z = np.array([1.0 + 1.0j, 2.0 - 0.5j, -1.0 + 0.25j])
        assert_array_equal(fused_softmax(z, temperature=0.5), core.softmax(z, temperature=0.5))
        direct = np.exp(z / 0.5) / np.exp(z / 0.5).sum()
        # Complex exp (1 ulp in modulus and angle), a sum of 3 and a division (3 roundings):
        # within 8 eps of the largest modulus.
        assert np.abs(fused_softmax(z, temperature=0.5) - direct).max() <= 8 * 2.0**-52 * np.abs(direct).max()

    @pytest.mark.parametrize("bad", [np.array([True, False]), np.array(["a"]), np.array([object()])])
    def test_bad_dtypes_raise_type_error(self, bad):
        with pytest.raises(TypeError, match="x must"):
            fused_softmax(bad)

    def test_bad_arguments(self):
        with pytest.raises(np.exceptions.AxisError):
            fused_softmax(np.ones((2, 3)), axis=2)
        with pytest.raises(ValueError, match="temperature"):
            fused_softmax([1.0, 2.0], temperature=0.0)
        with pytest.raises(TypeError, match="temperature"):
            fused_softmax([1.0, 2.0], temperature="hot")

    def test_input_unchanged_and_output_not_aliased(self):
        x = np.random.default_rng(6).normal(size=(4, 6))
        before = x.copy()
        out = fused_softmax(x)
        assert_array_equal(x, before)
        assert not np.shares_memory(out, x)

    def test_fewer_rows_than_threads_and_non_contiguous_input(self):
        x = np.random.default_rng(7).normal(size=(8, 10))
        assert_allclose(fused_softmax(x[:1]), core.softmax(x[:1]), rtol=1e-14)
        assert_allclose(fused_softmax(x[:, ::2]), core.softmax(x[:, ::2]), rtol=1e-14)
        assert_allclose(fused_softmax(x.T), core.softmax(x.T), rtol=1e-14)

    @given(st.data())
    def test_agrees_with_core(self, data):
        dtype = data.draw(st.sampled_from(KERNEL_DTYPES))
        x = data.draw(finite_scores(dtype=dtype, shape=data.draw(shapes(max_side=40))))
        axis = data.draw(axes_for(x.ndim))
        _agree(fused_softmax(x, axis=axis), core.softmax(x, axis=axis), dtype, _tol(fused_softmax, x, axis))


class TestFusedLogSoftmax:
    @pytest.mark.parametrize("dtype", KERNEL_DTYPES)
    def test_edge_rows_match_core(self, dtype):
        x = _edge_rows(dtype)
        _agree(fused_log_softmax(x), core.log_softmax(x), dtype, _tol(fused_log_softmax, x))

    def test_issue_example_one_dominant_entry(self):
        # mpmath (dps=50): -log1p(999 exp(-40)) = -4.2441059010362884e-15.
        # Issue 11: this failed on some runs (1.67 eps against a fitted bound of 1). The block
        # sums were compiled with `reassoc`, so LLVM picked the order of the 128-term sums per
        # CPU target (vector width, unrolling), and which compiled kernel a run loaded depended
        # on the numba cache: the last bits of s depended on the machine. The sum is now
        # bounded for any order (blocks of 16, then Sum2), and the bound derived: 11.5 eps.
        x = np.array([0.0] + [-40.0] * 999)
        out = fused_log_softmax(x)
        assert error_in_eps(out[0], -4.2441059010362884e-15) <= log_softmax_bound(x.size, x.dtype, fused=True)
        # mpmath: -log1p(exp(-16.942385)) in float32 is -4.3854664851156856e-08 (not 0 as in scipy).
        out32 = fused_log_softmax(np.array([16.942385, 0.0], dtype=np.float32))
        assert error_in_eps(out32[0], -4.3854664851156856e-08) <= NARROW_BOUND  # rounded once
        # The threaded kernel gives the same (each row is summed by one thread, the same way).
        rows = np.tile(x, (100, 1))
        assert rows.size >= fused._PARALLEL_MIN_SIZE
        assert_array_equal(fused_log_softmax(rows), np.tile(out, (100, 1)))

    def test_inexact_differences_are_compensated(self):
        # The case of tests/test_core.py: 0.1 - (-700.3) is rounded in float64.
        # mpmath: -log1p(exp(-700.3 - 0.1)) = -6.6091388347098631034e-305.
        out = fused_log_softmax(np.array([0.1, -700.3]))
        # s = p (1 + err): the kernel's exp (1 eps) and one FMA (0.5 eps); log1p's 1 ulp (1
        # eps); 0 - log1p(s) exact: 2.5 eps (was a fitted 1).
        assert error_in_eps(out[0], -6.6091388347098631034e-305) <= 2.5

    @given(dominated_rows(dtype=np.float64))
    def test_dominated_rows_accurate(self, x):
        # Reference: mpmath at dps=60 (softmaxlib.accuracy.exact_log_softmax).
        exact = exact_log_softmax(x)
        ok = np.abs(exact) > np.finfo(np.float64).tiny / np.finfo(np.float64).eps
        bound = log_softmax_bound(x.size, x.dtype, fused=True)
        assert error_in_eps(fused_log_softmax(x)[ok], exact[ok]).max(initial=0) <= bound

    @pytest.mark.parametrize("dtype", KERNEL_DTYPES)
    def test_temperature_matches_core(self, dtype):
        x = _edge_rows(dtype)
        for t in (1e-3, 0.7, 3.0):
            _agree(fused_log_softmax(x, temperature=t), core.log_softmax(x, temperature=t), dtype, _tol(fused_log_softmax, x))

    def test_edge_cases(self):
        assert np.isnan(fused_log_softmax([1.0, np.nan])).all()
        assert_array_equal(fused_log_softmax([np.inf, 0.0, np.inf]), [-np.log(2.0), -np.inf, -np.log(2.0)])
        assert np.isnan(fused_log_softmax([-np.inf, -np.inf])).all()
        assert fused_log_softmax(np.zeros((2, 0))).shape == (2, 0)
        assert_array_equal(fused_log_softmax([0.0, -800.0]), [0.0, -800.0])

    def test_float16_goes_to_core(self):
        h = np.array([10.0, 0.0], dtype=np.float16)
        assert_array_equal(fused_log_softmax(h), core.log_softmax(h))

    def test_fallbacks_keep_the_temperature(self):
        # Issue 11: a hand-made bug that dropped the temperature in the float16 and complex
        # fallbacks went unnoticed. x / 4 is exact; mpmath (dps=60) of it is the reference,
        # and float16 is computed in float64 and rounded once (NARROW_BOUND).
        h = np.array([10.0, 0.0, -3.0], dtype=np.float16)
        out = fused_log_softmax(h, temperature=4.0)
        assert out.dtype == np.float16
        assert error_in_eps(out, exact_log_softmax(h.astype(np.float64) / 4.0)).max() <= NARROW_BOUND
        z = np.array([1.0 + 1.0j, 2.0 - 0.5j, -1.0 + 0.25j])
        assert_array_equal(fused_log_softmax(z, temperature=4.0), core.log_softmax(z, temperature=4.0))
        direct = z / 4.0 - np.log(np.exp(z / 4.0).sum())
        # A few roundings of values of modulus about 1 (complex exp, log, one subtraction),
        # each within 4 eps: 16 eps of the largest modulus.
        assert np.abs(fused_log_softmax(z, temperature=4.0) - direct).max() <= 16 * 2.0**-52 * np.abs(direct).max()

    @given(st.data())
    def test_agrees_with_core(self, data):
        dtype = data.draw(st.sampled_from(KERNEL_DTYPES))
        x = data.draw(finite_scores(dtype=dtype, shape=data.draw(shapes(max_side=40))))
        axis = data.draw(axes_for(x.ndim))
        _agree(fused_log_softmax(x, axis=axis), core.log_softmax(x, axis=axis), dtype, _tol(fused_log_softmax, x, axis))
