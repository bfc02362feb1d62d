"""Tests of softmaxlib.core: softmax, log_softmax, logsumexp and hardmax.

One class per public function. Example tests say where each reference value comes from:
"mpmath" means the value was computed with mpmath at 100 significant digits and rounded
(the computation is in the comment, and softmaxlib.accuracy reproduces it); "scipy" means the
case and value are taken from scipy's own test suite (scipy/special/tests/test_logsumexp.py,
scipy 1.17), whose semantics for ``b``, ``return_sign``, ``keepdims`` and ``axis`` we mirror.
Property tests (Hypothesis) sit beside them; the strategies are in tests/strategies.py.

The library tests run with warnings as errors, so every test here also checks that no
RuntimeWarning escapes for finite input.
"""

import math
import tracemalloc

import numpy as np
import pytest
import scipy.special
from hypothesis import example, given, settings
from hypothesis import strategies as st
from numpy.exceptions import AxisError
from numpy.testing import assert_allclose, assert_array_equal, assert_equal

from softmaxlib import (
    core,
    fused_log_softmax,
    fused_softmax,
    get_num_threads,
    hardmax,
    log_softmax,
    logsumexp,
    set_num_threads,
    softmax,
)
from softmaxlib.threads import for_each_chunk
from softmaxlib.accuracy import error_in_eps, exact_log_softmax, exact_logsumexp, exact_softmax
from softmaxlib.calculus import softmax_jacobian

from strategies import (
    DISTRIBUTIONS,
    NARROW_BOUND,
    bench_distribution,
    dominated_rows,
    float_dtypes,
    log_softmax_bound,
    scores_and_axis,
    shapes,
    softmax_bound,
)

DTYPES = [np.float16, np.float32, np.float64]
EPS = {np.dtype(d): float(np.finfo(d).eps) for d in DTYPES}

# Accuracy bounds, in eps of the input's dtype, come from tests/strategies.py (softmax_bound,
# log_softmax_bound, NARROW_BOUND), where each is derived from the operation count: numpy's
# 1-ulp exp/log/log1p, the TwoSum-corrected shifts, numpy's pairwise-sum roundings. They no
# longer carry a |x_i - max| / 2 term: float64 shifts are corrected (issue 13).


def reduce_axes(x, axis):
    """Normalised tuple of the axes ``axis`` names for ``x``."""
    if axis is None:
        return tuple(range(x.ndim))
    axes = (axis,) if isinstance(axis, int) else axis
    return tuple(sorted(a % x.ndim for a in axes))


def rows_of(x, axis):
    """View ``x`` as (rows, n) with the reduced axes last, as the references need."""
    axes = reduce_axes(x, axis)
    moved = np.moveaxis(x, axes, tuple(range(x.ndim - len(axes), x.ndim)))
    n = int(np.prod([x.shape[a] for a in axes]))
    return moved.reshape(-1, n)


# ============================================================================================
# softmax


class TestSoftmax:
    def test_chapter_one_example(self):
        # Chapter 1 (issue 2): softmax([2, 4, 2, 1]) = [0.1025, 0.7573, 0.1025, 0.0377] to 4 d.p.
        assert_allclose(softmax([2.0, 4.0, 2.0, 1.0]), [0.1025, 0.7573, 0.1025, 0.0377], atol=5e-5)

    def test_scipy_fixtures(self):
        # scipy: expected value "computed using mpmath (with mpmath.mp.dps = 200)".
        x = np.arange(4, dtype=np.float64)
        expected = [0.03205860328008499, 0.08714431874203256, 0.23688281808991013, 0.6439142598879722]
        assert_allclose(softmax(x), expected, rtol=1e-13)
        assert_allclose(softmax(x + 100), expected, rtol=1e-13)  # translation property
        assert_allclose(softmax(x.reshape(2, 2), axis=None), np.reshape(expected, (2, 2)), rtol=1e-13)
        assert_allclose(softmax([1000.0, 0.0, 0.0, 0.0]), [1.0, 0.0, 0.0, 0.0], rtol=1e-13)
        assert_allclose(softmax([1.0, 1.0]), [0.5, 0.5], rtol=1e-13)
        assert_allclose(softmax([0.0, 1.0]), np.array([1.0, np.e]) / (1 + np.e), rtol=1e-13)

    def test_scipy_multi_axes(self):
        # scipy: expected value "computed using mpmath (with mpmath.mp.dps = 200)".
        assert_allclose(softmax([[1000.0, 0.0], [1000.0, 0.0]], axis=0), [[0.5, 0.5], [0.5, 0.5]], rtol=1e-13)
        assert_allclose(softmax([[1000.0, 0.0], [1000.0, 0.0]], axis=1), [[1.0, 0.0], [1.0, 0.0]], rtol=1e-13)
        x = np.array([[-25.0, 0.0, 25.0, 50.0], [1.0, 325.0, 749.0, 750.0]])
        expected = np.array(
            [
                [2.678636961770877e-33, 1.9287498479371314e-22, 1.3887943864771144e-11, 0.999999999986112],
                [0.0, 1.9444526359919372e-185, 0.2689414213699951, 0.7310585786300048],
            ]
        )
        assert_allclose(softmax(x, axis=1), expected, rtol=1e-13)
        assert_allclose(softmax(x.T, axis=0), expected.T, rtol=1e-13)
        assert_allclose(softmax(x.reshape(2, 2, 2), axis=(1, 2)), expected.reshape(2, 2, 2), rtol=1e-13)

    def test_scalar_int_and_array_like(self):
        # scipy: softmax(1000) = 1 and integer lists are floats.
        assert_allclose(softmax(1000), 1.0, rtol=1e-13)
        out = softmax([1000, 0, 0, 0])
        assert out.dtype == np.float64
        assert_allclose(out, [1.0, 0.0, 0.0, 0.0], rtol=1e-13)

    @pytest.mark.parametrize("dtype", DTYPES)
    def test_dtype_kept(self, dtype):
        x = np.array([[1.0, 2.0, 3.0]], dtype=dtype)
        assert softmax(x).dtype == dtype
        assert log_softmax(x).dtype == dtype

    def test_no_overflow_at_the_extremes(self):
        # Finite input never warns (warnings are errors here), even at the largest floats,
        # where x - max itself overflows to -inf and exp of it is exactly 0.
        big = np.finfo(np.float64).max
        assert_array_equal(softmax([-big, big]), [0.0, 1.0])
        assert_array_equal(softmax([1000.0, 1000.0]), [0.5, 0.5])
        assert_array_equal(softmax([-1000.0, -1000.0]), [0.5, 0.5])  # naive: 0/0
        for dtype in (np.float16, np.float32):
            m = np.finfo(dtype).max
            assert_array_equal(softmax(np.array([-m, m], dtype=dtype)), [0.0, 1.0])

    def test_temperature(self):
        x = np.array([1.0, 2.0, 4.0])
        assert_allclose(softmax(x, temperature=2.0), softmax(x / 2.0), rtol=1e-15)
        assert_allclose(softmax(x, temperature=1e-3), hardmax(x), atol=1e-300)
        with pytest.raises(ValueError, match="temperature"):
            softmax(x, temperature=0.0)
        with pytest.raises(ValueError, match="temperature"):
            softmax(x, temperature=np.inf)
        with pytest.raises(TypeError, match="temperature"):
            softmax(x, temperature="hot")

    @pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
    def test_temperature_with_huge_spread(self, dtype):
        # Regression: max(x) / T overflowed to +inf for T < 1 and the row was "repaired" as if
        # it held +inf. (x - max) / T is finite, and all the mass is on the maximum.
        big = np.finfo(dtype).max
        x = np.array([big, -big, 0.0, 1.0], dtype=dtype)
        for t in (1e-3, 0.7, 3.0):
            assert_array_equal(softmax(x, temperature=t), [1.0, 0.0, 0.0, 0.0])
            logp = log_softmax(x, temperature=t)
            assert logp[0] == 0.0 and np.all(logp[1:] < -1e3)

    def test_nan_propagates_to_its_slice_only(self):
        out = softmax([[1.0, np.nan, 2.0], [1.0, 2.0, 3.0]])
        assert np.isnan(out[0]).all()
        assert np.isfinite(out[1]).all()

    def test_positive_infinity_shares_the_mass(self):
        # Documented choice: the limit of softmax as the +inf entries grow together.
        assert_array_equal(softmax([np.inf, 1.0, np.inf, -np.inf]), [0.5, 0.0, 0.5, 0.0])
        assert_array_equal(softmax([np.inf]), [1.0])

    def test_all_negative_infinity_is_nan(self):
        # As scipy and PyTorch: an all -inf slice has no distribution.
        out = softmax([[-np.inf, -np.inf], [0.0, -np.inf]])
        assert np.isnan(out[0]).all()
        assert_array_equal(out[1], [1.0, 0.0])

    def test_empty(self):
        out = softmax(np.zeros((3, 0)))
        assert out.shape == (3, 0) and out.dtype == np.float64
        assert softmax(np.zeros((0, 4))).shape == (0, 4)
        assert softmax([]).shape == (0,)

    @pytest.mark.parametrize("bad", [np.array([True, False]), np.array(["a", "b"]), np.array([1.0, None], dtype=object)])
    def test_bad_dtypes_raise_type_error_naming_the_dtype(self, bad):
        with pytest.raises(TypeError, match=str(bad.dtype)):
            softmax(bad)
        with pytest.raises(TypeError, match=str(bad.dtype)):
            log_softmax(bad)
        with pytest.raises(TypeError, match=str(bad.dtype)):
            logsumexp(bad)

    def test_axis_out_of_range(self):
        with pytest.raises(AxisError):
            softmax(np.zeros((2, 3)), axis=2)
        with pytest.raises(AxisError):
            softmax(np.zeros((2, 3)), axis=(0, -3))
        with pytest.raises(AxisError):
            softmax(1.0, axis=1)

    def test_input_unchanged_and_output_not_aliased(self):
        for dtype in DTYPES:
            x = np.array([[3.0, 1.0, -2.0], [0.0, 0.0, 0.0]], dtype=dtype)
            before = x.copy()
            for f in (softmax, log_softmax):
                for axis in (-1, 0, None):
                    out = f(x, axis=axis)
                    assert not np.shares_memory(out, x)
            out = logsumexp(x)
            assert not np.shares_memory(out, x)
            assert_array_equal(x, before)

    def test_where_mask(self):
        # As jax.nn.softmax(x, where=...): masked entries get 0, the rest renormalise.
        x = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, np.nan, np.inf, 0.0]])
        mask = np.array([[True, False, True, True], [True, False, False, True]])
        out = softmax(x, where=mask)
        assert_array_equal(out[~mask], 0.0)
        assert_allclose(out[0, mask[0]], softmax([1.0, 3.0, 4.0]), rtol=1e-15)
        assert_allclose(out[1, mask[1]], softmax([5.0, 0.0]), rtol=1e-15)  # NaN, inf masked out
        lout = log_softmax(x, where=mask)
        assert_array_equal(lout[~mask], -np.inf)
        assert_allclose(lout[0, mask[0]], log_softmax([1.0, 3.0, 4.0]), rtol=1e-15)

    def test_where_fully_masked_row_gives_zeros(self):
        # The "safe softmax" choice: padding rows give 0 probabilities, never NaN.
        x = np.arange(6.0).reshape(2, 3)
        mask = np.array([[False, False, False], [True, True, False]])
        out = softmax(x, where=mask)
        assert_array_equal(out[0], 0.0)
        assert_allclose(out[1], [0.2689414213699951, 0.7310585786300049, 0.0], rtol=1e-15)
        assert_array_equal(log_softmax(x, where=mask)[0], -np.inf)
        # An unmasked entry that is -inf is not masked: all -inf still has no distribution.
        assert np.isnan(softmax([-np.inf, 1.0], where=np.array([True, False]))[0])

    def test_where_broadcasts_and_follows_axis(self):
        x = np.arange(12.0).reshape(3, 4)
        col = np.array([True, True, False, True])
        assert_array_equal(softmax(x, where=col)[:, 2], 0.0)
        rows_mask = np.array([[True], [False], [True]])
        out = softmax(x, axis=0, where=rows_mask)
        assert_array_equal(out[1], 0.0)
        assert_allclose(out.sum(axis=0), 1.0, rtol=1e-15)

    def test_where_must_be_boolean_and_broadcast(self):
        with pytest.raises(TypeError, match="where"):
            softmax([1.0, 2.0], where=[1, 0])
        with pytest.raises(ValueError, match="where"):
            softmax([1.0, 2.0], where=np.array([True, False, True]))

    def test_complex_matches_direct_formula(self):
        rng = np.random.default_rng(3)
        z = rng.standard_normal((4, 5)) + 1j * rng.standard_normal((4, 5))
        direct = np.exp(z) / np.exp(z).sum(axis=-1, keepdims=True)
        assert_allclose(softmax(z), direct, rtol=1e-14)
        assert softmax(z.astype(np.complex64)).dtype == np.complex64
        assert_allclose(log_softmax(z), z - np.log(np.exp(z).sum(axis=-1, keepdims=True)), rtol=1e-14)
        # Shifting by the largest real part: no overflow for huge real parts.
        assert_allclose(softmax(z + 1000), direct, rtol=1e-13)

    def test_issue_11_fifteen_entries(self):
        # Issue 11: a random Hypothesis run found softmax([10] + [5] * 14) 3.28 eps from the
        # exact maximum entry (scipy too), above the old fitted bound of 3. mpmath (dps=60,
        # softmaxlib.accuracy). The derived bound for 15 entries is 10 eps (10 pairwise
        # roundings); the sum of the others is now kept apart from the maximal 1.
        x = np.array([10.0] + [5.0] * 14)
        exact = exact_softmax(x)
        assert error_in_eps(softmax(x), exact).max() <= softmax_bound(x.size, x.dtype)
        assert error_in_eps(fused_softmax(x), exact).max() <= softmax_bound(x.size, x.dtype, fused=True)

    @pytest.mark.parametrize("scale", [30.0, 1000.0])
    def test_ill_conditioned_float64_rows(self, scale):
        # Issue 13: N(0, 30) rows of 1000 entries were 65 eps off (x_i - max is rounded and exp
        # turns that absolute error into a relative one); the TwoSum correction removes it.
        # Reference: mpmath at dps=60. Entries below float64's normal range are compared
        # absolutely (assert_within_bound).
        x = scale * np.random.default_rng(13).standard_normal((2, 1000))
        pairs = ((softmax, fused_softmax, softmax_bound, exact_softmax),
                 (log_softmax, fused_log_softmax, log_softmax_bound, exact_log_softmax))
        for f, fused, bound, exact_f in pairs:
            exact = exact_f(x)
            assert_within_bound(f(x), exact, bound(1000, np.float64))
            assert_within_bound(fused(x), exact, bound(1000, np.float64, fused=True))
        # scipy (uncorrected) is far off on the N(0, 30) rows: the reason for the correction.
        if scale == 30.0:
            exact = exact_softmax(x)
            normal = exact > np.finfo(np.float64).tiny
            assert error_in_eps(scipy.special.softmax(x, axis=-1), exact)[normal].max() > 20

    @pytest.mark.parametrize("dtype", [np.float16, np.float32])
    def test_narrow_dtypes_with_temperature(self, dtype):
        # Issue 11: float16/float32 at T != 1 leave the unshifted fast path; a bug there went
        # unnoticed. x / T is exact for these T (powers of two), so mpmath (dps=60) of x / T is
        # the exact answer, and the result is computed in float64 and rounded once.
        x = (np.random.default_rng(11).standard_normal((3, 40)) * [[1.0], [5.0], [20.0]]).astype(dtype)
        for t in (0.25, 2.0, 8.0):
            xt = x.astype(np.float64) / t
            assert_within_bound(softmax(x, temperature=t), exact_softmax(xt), NARROW_BOUND)
            assert_within_bound(log_softmax(x, temperature=t), exact_log_softmax(xt), NARROW_BOUND)
            assert softmax(x, temperature=t).dtype == dtype
            # Not the T = 1 answer by mistake:
            assert not np.array_equal(softmax(x, temperature=t), softmax(x))


class TestComplexStep:
    """Complex-step derivatives of softmax, log_softmax and logsumexp, entry by entry.

    Im f(x + i h e_j) / h = df/dx_j - (h^2 / 6) d3f/dx_j3 + ...: with h = 1e-20 the truncation
    is below 1e-38 relative (the derivatives of exp-ratios are O(1) multiples of each other),
    and no subtraction cancels, so every entry must match the analytic Jacobian
    (softmaxlib.calculus.softmax_jacobian, accurate on its diagonal) to a relative few eps.
    Entries whose h * J would underflow (|J| < 1e-280) are skipped.
    """

    H = 1e-20

    CASES = {
        "N(0,1)": np.random.default_rng(7).standard_normal(6),
        "30 N(0,1)": 30.0 * np.random.default_rng(8).standard_normal(6),
        # Issue 13: the dominant entry's diagonal Jacobian entry is tiny here, and came out 0.
        "300 N(0,1)": 300.0 * np.random.default_rng(9).standard_normal(6),
        "one dominant": np.array([0.0, -40.0, -40.0]),
        "far apart": np.array([0.0, -170.0, -600.0, -300.5, 2.0]),
    }

    @staticmethod
    def _bound(n):
        # Each side is formed from probabilities within softmax_bound(n) eps, times or over at
        # most 4 more roundings (complex exp: exp, cos/sin, 1 ulp each; Smith's division: 3;
        # the Jacobian's products: 1): 2 (softmax_bound + 4) eps between them.
        return 2 * (softmax_bound(n, np.float64) + 4)

    def _steps(self, f, x):
        cols = []
        for j in range(x.size):
            z = x.astype(complex)
            z[j] += 1j * self.H
            cols.append(np.imag(f(z)) / self.H)
        return np.stack(cols, axis=-1)

    @pytest.mark.parametrize("case", list(CASES))
    def test_softmax(self, case):
        x = self.CASES[case]
        J = softmax_jacobian(x)
        num = self._steps(softmax, x)
        ok = np.abs(J) > 1e-280
        assert error_in_eps(num[ok], J[ok]).max() <= self._bound(x.size)

    def test_dominant_entry_of_issue_13(self):
        # The issue's case: x = 300 N(0,1) in 6 entries; the diagonal entry of the dominant
        # index is p_k (1 - p_k), about 1e-77 here, not 0.
        x = self.CASES["300 N(0,1)"]
        k = int(np.argmax(x))
        J = softmax_jacobian(x)
        assert 0 < J[k, k] < 1e-30
        assert self._steps(softmax, x)[k, k] > 0

    @pytest.mark.parametrize("case", list(CASES))
    def test_log_softmax(self, case):
        x = self.CASES[case]
        p = softmax(x)
        # d log p_i / dx_j = delta_ij - p_j, with 1 - p_i the sum of the other probabilities.
        J = -np.tile(p, (x.size, 1))
        np.fill_diagonal(J, [math.fsum(np.delete(p, i)) for i in range(x.size)])
        num = self._steps(log_softmax, x)
        ok = np.abs(J) > 1e-280
        assert error_in_eps(num[ok], J[ok]).max() <= self._bound(x.size)

    @pytest.mark.parametrize("case", list(CASES))
    def test_logsumexp(self, case):
        x = self.CASES[case]
        p = softmax(x)  # the gradient of logsumexp
        num = self._steps(logsumexp, x)
        ok = p > 1e-280
        assert error_in_eps(num[ok], p[ok]).max() <= self._bound(x.size)


class TestBenchDistributions:
    """Correctness on every distribution bench/bench_softmax.py times (tests/strategies.py).

    Small arrays of each (6 rows of 48), against mpmath at dps=60, within the derived bounds;
    the fused kernels too. Rows that are entirely -inf give NaN, as documented.
    """

    @pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
    @pytest.mark.parametrize("name", list(DISTRIBUTIONS))
    def test_against_mpmath(self, name, dtype):
        x = bench_distribution(name, (6, 48), dtype, seed=5)
        n = x.shape[1]
        empty = np.all(x == -np.inf, axis=1)
        impls = [(softmax, log_softmax, {})]
        if dtype != np.float16:
            impls.append((fused_softmax, fused_log_softmax, {"fused": True}))
        for sm, lsm, kw in impls:
            p, logp = sm(x), lsm(x)
            assert np.isnan(p[empty]).all() and np.isnan(logp[empty]).all()
            assert_within_bound(p[~empty], exact_softmax(x[~empty]), softmax_bound(n, dtype, **kw))
            ref = exact_log_softmax(x[~empty])
            got = logp[~empty]
            finite = np.isfinite(ref)
            assert_array_equal(got[~finite], ref[~finite])  # masked entries: -inf
            assert_within_bound(got[finite], ref[finite], log_softmax_bound(n, dtype, **kw))


# ============================================================================================
# log_softmax


class TestLogSoftmax:
    def test_issue_example_one_dominant_entry_float64(self):
        # x = [0, -40, ..., -40] (1000 entries). mpmath, 100 digits:
        # -log1p(999 e^-40) = -4.2441059010362884001e-15 and -40 - log1p(999 e^-40).
        x = np.array([0.0] + [-40.0] * 999)
        out = log_softmax(x)
        bound = log_softmax_bound(x.size, x.dtype)  # 14.5 eps: 21 pairwise roundings (was 1)
        assert error_in_eps(out[0], -4.2441059010362884001e-15) <= bound
        assert error_in_eps(out[1:], -40.000000000000004244).max() <= bound
        # scipy's plain shifted formula loses it (about 3e13 eps): the reason for log1p.
        assert error_in_eps(scipy.special.log_softmax(x)[0], -4.2441059010362884001e-15) > 1e10

    def test_issue_example_float32(self):
        # float32(16.942385) = 16.9423847198486328125 exactly; mpmath, 100 digits:
        # -log1p(exp(-16.9423847198486328125)) = -4.3854664851156854754e-8.
        x = np.array([16.942385, 0.0], dtype=np.float32)
        out = log_softmax(x)
        assert out.dtype == np.float32
        # Computed in float64, rounded once: half an ulp plus the float64 error (NARROW_BOUND).
        assert error_in_eps(out[0], -4.3854664851156854754e-8) <= NARROW_BOUND
        assert error_in_eps(out[1], -16.942384763703297664) <= NARROW_BOUND
        assert scipy.special.log_softmax(x)[0] == 0.0  # scipy: exactly 0, the issue's example

    def test_float16_dominant_entry(self):
        # mpmath: -log1p(e^-10) = -4.5398899216864646769e-5, a normal float16.
        out = log_softmax(np.array([10.0, 0.0], dtype=np.float16))
        assert out.dtype == np.float16
        assert error_in_eps(out[0], -4.5398899216864646769e-5) <= NARROW_BOUND  # rounded once

    def test_inexact_differences_are_compensated(self):
        # 0.1 - (-700.3) is rounded in float64; exp turns that into a 1e-14 relative error
        # unless TwoSum recovers it. mpmath: -log1p(exp(-700.3 - 0.1)) = -6.6091388347098631034e-305.
        out = log_softmax(np.array([0.1, -700.3]))
        # s = exp(d) (1 + err): exp's 1 ulp (1 eps) + the correction's rounding (0.5 eps);
        # log1p's 1 ulp (1 eps) on top: 2.5 eps (was a fitted 1).
        assert error_in_eps(out[0], -6.6091388347098631034e-305) <= 2.5

    def test_scipy_fixtures(self):
        # scipy: "Expected value computed using mpmath (with mpmath.mp.dps = 200)".
        expect = np.array([-3.4401896985611953, -2.4401896985611953, -1.4401896985611953, -0.44018969856119533])
        x = np.arange(4, dtype=np.float64)
        for offset in (0, 100):
            assert_allclose(log_softmax(x + offset), expect, rtol=1e-13)
        assert_allclose(log_softmax(x.reshape(2, 2), axis=None), expect.reshape(2, 2), rtol=1e-13)
        x2 = np.arange(8.0).reshape(2, 4)
        assert_allclose(log_softmax(x2, axis=1), np.tile(expect, (2, 1)), rtol=1e-13)
        assert_allclose(log_softmax(x2.T, axis=0), np.tile(expect, (2, 1)).T, rtol=1e-13)
        assert_allclose(log_softmax(x2.reshape(2, 2, 2), axis=(1, 2)), np.tile(expect, (2, 1)).reshape(2, 2, 2), rtol=1e-13)
        assert_allclose(log_softmax([1000.0, 1.0]), [0.0, -999.0], rtol=1e-13)
        assert_allclose(log_softmax([1000, 1]), [0.0, -999.0], rtol=1e-13)
        assert_allclose(log_softmax(1.0), 0.0, rtol=1e-13)
        y = np.array([[1000.0, 1.0], [1000.0, 1.0]])
        assert_allclose(log_softmax(y, axis=0), np.log(0.5) * np.ones((2, 2)), rtol=1e-13)
        assert_allclose(log_softmax(y, axis=1), [[0.0, -999.0], [0.0, -999.0]], rtol=1e-13)

    def test_log_of_softmax_underflows_where_log_softmax_does_not(self):
        x = np.array([0.0, -800.0])
        with np.errstate(divide="ignore"):
            assert np.log(softmax(x))[1] == -np.inf
        assert_array_equal(log_softmax(x), [0.0, -800.0])

    def test_edge_cases(self):
        assert np.isnan(log_softmax([1.0, np.nan])).all()
        assert_array_equal(log_softmax([np.inf, 0.0, np.inf]), [-np.log(2.0), -np.inf, -np.log(2.0)])
        assert np.isnan(log_softmax([-np.inf, -np.inf])).all()
        assert log_softmax(np.zeros((2, 0))).shape == (2, 0)

    def test_temperature(self):
        x = np.array([1.0, 2.0, 4.0])
        assert_allclose(log_softmax(x, temperature=0.5), log_softmax(2.0 * x), rtol=1e-15)


# ============================================================================================
# logsumexp (the cases of scipy's TestLogSumExp, with the reference semantics it states)


class TestLogsumexp:
    def test_scipy_basic(self):
        # scipy test_logsumexp: each reference is the direct formula where it is safe.
        assert logsumexp([]) == -np.inf
        a = np.arange(200.0)
        assert_allclose(logsumexp(a), np.log(np.sum(np.exp(a))), rtol=1e-15)
        assert_allclose(logsumexp([1000.0, 1000.0]), 1000.0 + math.log(2.0), rtol=1e-15)
        assert_allclose(logsumexp(np.full(1000, 10000)), 10000.0 + math.log(1000), rtol=1e-15)
        x = np.full(1000000, 1e-40)
        log_x = np.log(x)
        big_x, big_log_x = np.stack([x, x]), np.stack([log_x, log_x])
        assert_allclose(np.exp(logsumexp(big_log_x, axis=None)), big_x.sum(), rtol=1e-11)
        assert_allclose(np.exp(logsumexp(big_log_x, axis=0)), big_x.sum(axis=0), rtol=1e-11)
        assert_allclose(np.exp(logsumexp(big_log_x, axis=1)), big_x.sum(axis=1), rtol=1e-11)

    def test_scipy_special_values(self):
        assert_equal(logsumexp([np.inf]), np.inf)
        assert_equal(logsumexp([-np.inf]), -np.inf)
        assert_equal(logsumexp([np.nan]), np.nan)
        assert_equal(logsumexp([-np.inf, -np.inf]), -np.inf)
        a = np.array([[1e10, 1e-10], [-1e10, -np.inf]])
        assert_allclose(logsumexp(a, axis=-1), [1e10, -1e10], rtol=1e-15)
        assert_allclose(logsumexp(a, axis=-1, keepdims=True), [[1e10], [-1e10]], rtol=1e-15)
        assert_allclose(logsumexp(a, axis=(-1, -2)), 1e10, rtol=1e-15)
        assert logsumexp(a, axis=(-1, -2), keepdims=True).shape == (1, 1)

    def test_scipy_b(self):
        a = np.arange(200.0)
        b = np.arange(200.0, 0.0, -1.0)
        assert_allclose(logsumexp(a, b=b), np.log(np.sum(b * np.exp(a))), rtol=1e-15)
        assert_allclose(logsumexp([1000, 1000], b=[1.2, 1.2]), 1000 + math.log(2 * 1.2), rtol=1e-15)
        x = np.full(100000, 1e-40)
        b = np.linspace(1, 1000, 100000)
        log_x = np.log(x)
        X, LX, B = np.stack((x, x)), np.stack((log_x, log_x)), np.stack((b, b))
        assert_allclose(np.exp(logsumexp(LX, b=B, axis=None)), np.sum(B * X), rtol=1e-12)
        assert_allclose(np.exp(logsumexp(LX, b=B, axis=0)), np.sum(B * X, axis=0), rtol=1e-12)
        assert_allclose(np.exp(logsumexp(LX, b=B, axis=1)), np.sum(B * X, axis=1), rtol=1e-12)

    def test_scipy_sign(self):
        r, s = logsumexp([1, 1, 1], b=[1, -1, -1], return_sign=True)
        assert_allclose(r, 1.0, rtol=1e-15)
        assert s == -1.0
        # The sum is exactly 0: log 0 = -inf, sign 0 (not NaN).
        r, s = logsumexp([1, 1], b=[1, -1], return_sign=True)
        assert r == -np.inf and s == 0.0
        # Without return_sign, the log of a negative sum is NaN (no warning).
        assert np.isnan(logsumexp([1, 1, 1], b=[1, -1, -1]))

    def test_scipy_shapes(self):
        a = np.ones((1, 2, 3, 4))
        b = np.ones_like(a)
        r, s = logsumexp(a, axis=2, b=b, return_sign=True)
        assert r.shape == s.shape == (1, 2, 4)
        r, s = logsumexp(a, axis=(1, 3), b=b, return_sign=True)
        assert r.shape == s.shape == (1, 3)
        assert logsumexp(a, axis=2, b=b).shape == (1, 2, 4)
        r, s = logsumexp(a, axis=(1, 3), b=b, keepdims=True, return_sign=True)
        assert r.shape == s.shape == (1, 1, 3, 1)
        # b broadcasts against a, and the result has the broadcast shape, reduced.
        assert logsumexp(np.zeros((4, 1, 2, 1)), b=np.ones((3, 1, 5)), axis=None).shape == ()
        assert logsumexp(np.zeros((4, 1, 2, 1)), b=np.ones((3, 1, 5))).shape == (4, 3, 2)
        with pytest.raises(ValueError, match="broadcast"):
            logsumexp(np.zeros(3), b=np.ones(4))

    def test_scipy_complex_sign(self):
        a = np.array([1 + 1j, 2 - 1j, -2 + 3j])
        r, s = logsumexp(a, return_sign=True)
        total = np.sum(np.exp(a))
        assert_allclose(s, total / abs(total), rtol=1e-15)
        assert_allclose(s * np.exp(r), total, rtol=1e-15)
        assert r.dtype == np.float64 and s.dtype == np.complex128

    def test_scipy_b_zero_masks(self):
        assert_allclose(logsumexp([1, 10000], b=[1, 0]), 1.0, rtol=1e-15)
        # Even an infinite or NaN element adds nothing when its weight is 0.
        assert_allclose(logsumexp([1.0, np.inf, np.nan], b=[1, 0, 0]), 1.0, rtol=1e-15)
        # Boolean weights are a mask (scipy's docstring suggests b = ~mask).
        a = np.array([np.log(2), 2, np.log(3)])
        assert_allclose(logsumexp(a, b=np.array([True, False, True])), np.log(5), rtol=1e-15)
        # All weights 0: an empty sum.
        r, s = logsumexp([1.0, 2.0], b=[0.0, 0.0], return_sign=True)
        assert r == -np.inf and s == 0.0

    @pytest.mark.parametrize("arg", [1, [1, 2, 3]])
    def test_scipy_scalar_and_list(self, arg):
        assert logsumexp(arg) == logsumexp(np.atleast_1d(np.asarray(arg)))

    @pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "int64", "complex64", "complex128"])
    def test_scipy_dtypes_a(self, dtype):
        a = np.asarray([1000.0, 1000.0], dtype=dtype)
        want = np.float64 if "int" in dtype else np.dtype(dtype)
        out = logsumexp(a)
        assert out.dtype == want
        assert_allclose(out, 1000.0 + math.log(2.0), rtol=1e-6 if "64" not in dtype or dtype == "complex64" else 1e-15)

    @pytest.mark.parametrize("dtype_a", ["float32", "float64", "int32", "int64", "complex64", "complex128"])
    @pytest.mark.parametrize("dtype_b", ["float32", "float64", "int32", "int64", "complex64", "complex128"])
    def test_scipy_dtypes_ab(self, dtype_a, dtype_b):
        a = np.asarray([2, 1], dtype=dtype_a)
        b = np.asarray([1, -1], dtype=dtype_b)
        want = np.result_type(a, b)
        if want.kind in "iu":
            want = np.dtype(np.float64)
        out = logsumexp(a, b=b)
        assert out.dtype == want
        rtol = 1e-6 if want in (np.float32, np.complex64) else 1e-14
        assert_allclose(out, math.log(math.exp(2) - math.exp(1)), rtol=rtol)

    def test_scipy_gh18295_dominant_entry(self):
        # scipy: one element much larger than the rest; reference numpy.logaddexp.
        assert_allclose(logsumexp([0.0, -40.0]), np.logaddexp(0.0, -40.0), rtol=1e-15)
        # mpmath, 100 digits: log1p(e^-40) = 4.2483542552915889863e-18.
        # s = exp(-40) exactly rounded but for exp's 1 ulp (d = -40 is exact), log1p's 1 ulp,
        # 0 + log1p(s) exact: 2 eps (was a fitted 0.5).
        assert error_in_eps(logsumexp([0.0, -40.0]), 4.2483542552915889863e-18) <= 2

    @pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
    def test_scipy_gh21610_imaginary_part_wrapped(self, dtype):
        rng = np.random.default_rng(324984329582349862)
        x = (rng.uniform(1, 40, (10, 100)) + 1j * rng.uniform(1, 40, (10, 100))).astype(dtype)
        res = logsumexp(x, axis=1)
        ref = np.log(np.sum(np.exp(x.astype(np.complex128)), axis=1))
        assert np.all(np.abs(res.imag) <= np.pi)
        assert_allclose(res, ref, rtol=1e-6 if dtype == np.complex64 else 1e-13)
        out, sgn = logsumexp(x, return_sign=True, axis=1)
        total = np.sum(np.exp(x.astype(np.complex128)), axis=1)
        assert_allclose(out, np.log(np.abs(total)), rtol=1e-6 if dtype == np.complex64 else 1e-13)
        assert_allclose(sgn, total / np.abs(total), rtol=1e-6 if dtype == np.complex64 else 1e-13)

    def test_scipy_gh21709_small_imaginary(self):
        # scipy: mpmath at 100 digits, log(exp(0) + exp(2.2204460492503132e-17 i)).
        res = logsumexp(np.array([0, 0.0 + 2.2204460492503132e-17j]))
        assert_allclose(res.real, 0.6931471805599453, rtol=1e-15)
        assert_allclose(res.imag, 1.1102230246251566e-17, rtol=1e-15)

    @pytest.mark.parametrize(
        "x",
        [-np.inf, np.inf, complex(-np.inf, 0.0), complex(np.inf, 0.0), complex(np.inf, np.inf),
         complex(-np.inf, 0.7533), complex(np.inf, 2.3562), complex(np.inf, 5.4978)],
    )
    @pytest.mark.parametrize("y", [-np.inf, np.inf, complex(-np.inf, 2.3562), complex(np.inf, 0.7533)])
    def test_scipy_gh22601_infinite_elements(self, x, y):
        # scipy: with infinite elements the direct formula (C99 exp/log rules) is the reference.
        arr = np.asarray([x, y])
        with np.errstate(all="ignore"):
            ref = np.log(np.sum(np.exp(arr)))
        assert_equal(logsumexp(arr), ref)

    def test_scipy_no_writeback(self):
        a, b = np.array([5.0, 4.0]), np.array([3.0, 2.0])
        logsumexp(a)
        logsumexp(a, b=b)
        assert_array_equal(a, [5.0, 4.0])
        assert_array_equal(b, [3.0, 2.0])

    def test_scipy_gh22903_negative_weight_on_the_maximum(self):
        a = np.array([3.06409428, 0.37251854, 3.87471931])
        b = np.array([1.88190708, 2.84174795, -0.85016884])
        assert_allclose(logsumexp(a, b=b), logsumexp(a, b=b, return_sign=True)[0], rtol=1e-15)
        assert np.isfinite(logsumexp(a, b=b))
        b = np.array([1.88190708, 2.84174795, -3.85016884])
        assert np.isnan(logsumexp(a, b=b))

    @pytest.mark.parametrize("b, sign_ref", [(None, 1.0), ([-1.0], -1.0)])
    def test_scipy_gh23548_sign_of_infinity(self, b, sign_ref):
        val, sign = logsumexp([np.inf], b=b, return_sign=True)
        assert val == np.inf
        assert sign == sign_ref

    def test_where_is_a_zero_weight(self):
        # As jax.nn.logsumexp(..., where=): masked entries (even inf/NaN) are left out.
        x = np.array([[1.0, np.inf, 2.0], [np.nan, 0.0, 0.0]])
        mask = np.array([[True, False, True], [False, True, True]])
        assert_allclose(logsumexp(x, where=mask), [np.logaddexp(1.0, 2.0), np.log(2.0)], rtol=1e-15)
        assert_allclose(logsumexp(x, where=mask, b=[2.0, 5.0, 2.0]), [np.log(2) + np.logaddexp(1.0, 2.0), np.log(7.0)], rtol=1e-15)
        assert logsumexp([1.0, 2.0], where=np.array([False, False])) == -np.inf
        with pytest.raises(TypeError, match="where"):
            logsumexp([1.0, 2.0], where=[1, 0])

    def test_empty_keeps_shape(self):
        out = logsumexp(np.zeros((3, 0)), axis=1)
        assert_array_equal(out, [-np.inf] * 3)
        assert logsumexp(np.zeros((3, 0)), axis=1, keepdims=True).shape == (3, 1)
        assert logsumexp(np.zeros((0, 3)), axis=1).shape == (0,)

    def test_weighted_dominant_entry_is_accurate(self):
        # mpmath, 100 digits: log(2 e^0 + 3 e^-40) = log 2 + log1p(1.5 e^-40).
        out = logsumexp([0.0, -40.0], b=[2.0, 3.0])
        assert_allclose(out, 0.6931471805599453, rtol=1e-15)
        r, s = logsumexp([0.0, -40.0], b=[-2.0, 3.0], return_sign=True)
        assert s == -1.0 and abs(r - 0.6931471805599453) <= 2e-16

    def test_float16_and_float32_kept(self):
        for dtype in (np.float16, np.float32):
            out = logsumexp(np.array([1.0, 2.0], dtype=dtype))
            assert out.dtype == dtype
            assert_allclose(out, np.logaddexp(1.0, 2.0), rtol=np.finfo(dtype).eps)


# ============================================================================================
# hardmax


class TestHardmax:
    def test_examples(self):
        assert_array_equal(hardmax([1.0, 2.5, 0.3]), [0.0, 1.0, 0.0])
        assert_array_equal(hardmax([3.0, 1.0, 3.0]), [0.5, 0.0, 0.5])
        assert np.isnan(hardmax([1.0, np.nan])).all()
        with pytest.raises(TypeError, match="complex"):
            hardmax([1j])

    def test_limit_of_softmax(self):
        x = np.array([1.0, 3.0, 3.0, -2.0])
        assert_allclose(softmax(x, temperature=1e-4), hardmax(x), atol=1e-300)


# ============================================================================================
# Properties (Hypothesis)


def assert_within_bound(got, exact, bound):
    """Relative error <= bound eps where the exact value is a normal number of got's dtype;
    below that (the result underflows to a subnormal or 0) absolute error <= the smallest normal."""
    tiny = np.finfo(got.dtype).tiny
    exact = np.asarray(exact, dtype=np.float64)
    normal = np.abs(exact) >= tiny
    err = error_in_eps(got, exact)
    assert np.all(err[normal] <= bound), float(err[normal].max())
    assert np.all(np.abs(got[~normal].astype(np.float64) - exact[~normal]) <= tiny)


def tolerance_sum(n, dtype):
    """How far from 1 a sum of n probabilities may be: n roundings of the entries plus the sum."""
    return (2 * n + 4) * EPS[np.dtype(dtype)]


class TestProperties:
    @given(scores_and_axis())
    def test_softmax_is_a_distribution(self, case):
        x, axis = case
        p = softmax(x, axis=axis)
        assert p.shape == x.shape and p.dtype == x.dtype
        assert np.all((p >= 0) & (p <= 1))
        n = int(np.prod([x.shape[a] for a in reduce_axes(x, axis)]))
        total = p.astype(np.float64).sum(axis=axis)
        assert np.all(np.abs(total - 1) <= tolerance_sum(n, x.dtype))

    @given(scores_and_axis())
    def test_input_never_modified(self, case):
        x, axis = case
        before = x.copy()
        for f in (softmax, log_softmax, logsumexp):
            out = f(x, axis=axis)
            assert not np.shares_memory(out, x)
        assert_array_equal(x, before)

    @given(st.data())
    def test_shift_invariance_is_exact(self, data):
        # On a grid where x + c is exact, the computed differences are the same numbers, so
        # softmax(x + c) equals softmax(x) bit for bit (and log_softmax too).
        dtype = data.draw(float_dtypes())
        step, top, cmax = {"float16": (2**-3, 16, 32), "float32": (2**-10, 2**10, 2**12),
                           "float64": (2**-20, 2**20, 2**30)}[dtype.name]
        shape = data.draw(shapes(max_dims=2))
        ints = data.draw(st.lists(st.integers(-int(top / step), int(top / step)),
                                  min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
        x = (np.array(ints, dtype=np.float64) * step).reshape(shape).astype(dtype)
        c = dtype.type(data.draw(st.integers(-cmax, cmax)))
        assert_array_equal(softmax(x + c), softmax(x))
        assert_array_equal(log_softmax(x + c), log_softmax(x))

    @given(scores_and_axis())
    def test_exp_log_softmax_is_softmax(self, case):
        x, axis = case
        p = softmax(x, axis=axis).astype(np.float64)
        logp = log_softmax(x, axis=axis).astype(np.float64)
        eps = EPS[x.dtype]
        n = int(np.prod([x.shape[a] for a in reduce_axes(x, axis)]))
        ok = p > np.finfo(x.dtype).tiny  # not underflowed, not subnormal
        # exp turns log_softmax's relative error B_log (so an absolute one of B_log |logp| eps)
        # into a relative one; softmax is within B_sm; np.exp in float64 adds 1 ulp (<= 1 eps).
        tol = (softmax_bound(n, x.dtype) + 1 + log_softmax_bound(n, x.dtype) * np.abs(logp)) * eps
        assert np.all(np.abs(np.exp(logp[ok]) - p[ok]) <= tol[ok] * p[ok])

    @given(scores_and_axis())
    def test_log_softmax_is_log_of_softmax_where_not_underflowed(self, case):
        x, axis = case
        p = softmax(x, axis=axis).astype(np.float64)
        logp = log_softmax(x, axis=axis).astype(np.float64)
        ok = p > np.finfo(x.dtype).tiny
        n = int(np.prod([x.shape[a] for a in reduce_axes(x, axis)]))
        # log turns softmax's relative error B_sm into an absolute one (plus log's 1 ulp of
        # |log p|); log_softmax is within B_log |logp|.
        bsm, blog = softmax_bound(n, x.dtype), log_softmax_bound(n, x.dtype)
        tol = (bsm + (blog + 1) * np.abs(logp)) * EPS[x.dtype]
        assert np.all(np.abs(np.log(p[ok]) - logp[ok]) <= tol[ok])
        assert np.all(logp <= 0)

    @given(scores_and_axis())
    def test_logsumexp_is_a_smooth_maximum(self, case):
        x, axis = case
        lse = np.asarray(logsumexp(x, axis=axis), dtype=np.float64)
        m = np.max(x, axis=axis).astype(np.float64)
        n = int(np.prod([x.shape[a] for a in reduce_axes(x, axis)]))
        slack = 2 * EPS[x.dtype] * (np.abs(m) + math.log(n) + 1)
        assert np.all(lse >= m - slack)
        assert np.all(lse <= m + math.log(n) + slack)
        kept = logsumexp(x, axis=axis, keepdims=True)
        assert_array_equal(np.asarray(kept).reshape(np.shape(lse)), lse.astype(x.dtype))

    @settings(max_examples=60)
    @given(scores_and_axis(max_side=5))
    def test_agrees_with_mpmath(self, case):
        # Reference: softmaxlib.accuracy (mpmath, 60 digits, maximum split off).
        x, axis = case
        eps_d = x.dtype
        rows = rows_of(x, axis)
        tiny = np.finfo(x.dtype).tiny
        n = rows.shape[1]
        ref_lsm = exact_log_softmax(rows)
        got_lsm = rows_of(log_softmax(x, axis=axis), axis)
        assert_within_bound(got_lsm, ref_lsm, log_softmax_bound(n, x.dtype))

        ref_p = exact_softmax(rows)
        got_p = rows_of(softmax(x, axis=axis), axis)
        normal = np.abs(ref_p) >= tiny
        err = error_in_eps(got_p, ref_p, eps_d)
        assert np.all(err[normal] <= softmax_bound(n, x.dtype))
        # Subnormal or zero results: an absolute error of at most a few of the smallest steps.
        sub = ~normal
        assert np.all(np.abs(got_p[sub].astype(np.float64) - ref_p[sub]) <= 2 * tiny)

        ref_lse = exact_logsumexp(rows)
        got_lse = np.asarray(logsumexp(x, axis=axis), dtype=np.float64).reshape(-1)
        m = np.abs(rows.max(axis=1).astype(np.float64))
        # x_k + log1p(s) may cancel: the bound is relative to |x_k| + log1p(s), not to the sum.
        scale = m + np.abs(ref_lse - rows.max(axis=1)) + np.abs(ref_lse)
        bound = log_softmax_bound(n, x.dtype)  # lse = fl(m + L): the same steps as log_softmax
        assert np.all(np.abs(got_lse - ref_lse) <= bound * EPS[x.dtype] * scale + tiny)

    @settings(max_examples=150)
    @given(dominated_rows())
    @example(np.array([-0.3125, -1.3125]))  # lse cancels: 0.00076 from -0.3125 + 0.3133
    def test_dominated_rows_agree_with_mpmath(self, x):
        # The hard case for log(1 + s): one entry far above the rest.
        bound = log_softmax_bound(x.size, x.dtype)
        assert_within_bound(log_softmax(x), exact_log_softmax(x), bound)
        # lse = fl(x_k + log1p(s)) may cancel (x_k = -0.3125, log1p(s) = 0.3133, say, found by
        # Hypothesis): the bound is relative to |x_k| + log1p(s), not to the sum.
        ref = float(exact_logsumexp(x))
        m = float(np.max(x))
        scale = abs(m) + abs(ref - m) + abs(ref)
        tiny = float(np.finfo(x.dtype).tiny)
        assert abs(float(logsumexp(x)) - ref) <= bound * EPS[x.dtype] * scale + tiny
        assert_within_bound(softmax(x), exact_softmax(x), softmax_bound(x.size, x.dtype))
        p = softmax(x).astype(np.float64)
        assert np.all(p >= 0) and abs(p.sum() - 1) <= tolerance_sum(x.size, x.dtype)

    @given(scores_and_axis(dtype=np.float64), st.data())
    def test_where_mask_is_softmax_of_the_kept_entries(self, case, data):
        x, _ = case
        x = x.reshape(-1)
        mask = np.array(data.draw(st.lists(st.booleans(), min_size=x.size, max_size=x.size)))
        p = softmax(x, where=mask)
        logp = log_softmax(x, where=mask)
        assert_array_equal(p[~mask], 0.0)
        assert_array_equal(logp[~mask], -np.inf)
        if mask.any():
            # Both within their bound of the same exact values (the masked row sums zeros too,
            # so its pairwise order differs, and only it may take the TwoSum correction).
            n = x.size
            tiny = np.finfo(np.float64).tiny
            rtol = 2 * softmax_bound(n, np.float64) * EPS[np.dtype(np.float64)]
            assert_allclose(p[mask], softmax(x[mask]), rtol=rtol, atol=tiny)
            rtol = 2 * log_softmax_bound(n, np.float64) * EPS[np.dtype(np.float64)]
            assert_allclose(logp[mask], log_softmax(x[mask]), rtol=rtol, atol=tiny)
        else:
            assert_array_equal(p, 0.0)

    @given(scores_and_axis())
    # Found by this test: 1 + s rounded on its own and a reciprocal's rounding made float64
    # softmax 1.53 ulp off where scipy was correctly rounded.
    @example(case=(np.array([-1.5030514014019425, 0.0, -0.20688088009387817]), 0))
    def test_not_less_accurate_than_scipy(self, case):
        # scipy's softmax in the input dtype, against ours, both against a float64-accumulated
        # reference (mpmath would be slow here): ours is never worse by more than rounding.
        x, axis = case
        ax = axis
        ref = exact_softmax(rows_of(x, ax)) if x.size <= 64 else None
        if ref is None:
            return
        ours = error_in_eps(rows_of(softmax(x, axis=ax), ax), ref, x.dtype)
        theirs = error_in_eps(rows_of(scipy.special.softmax(x, axis=ax), ax), ref, x.dtype)
        normal = ref >= np.finfo(x.dtype).tiny
        assert np.max(ours[normal], initial=0.0) <= np.max(theirs[normal], initial=0.0) + 1.0


# ============================================================================================
# Real logits: a softmax regression trained on scikit-learn's digits (shipped, no download)


@pytest.fixture(scope="module")
def digits_logits():
    """Logits of a softmax-regression classifier trained by gradient descent on load_digits.

    300 full-batch steps of size 2 on the 1797 8x8 images (pixels / 16 plus a bias) reach
    about 98% training accuracy, and the trained model is confident: most correct-class
    probabilities are within 1e-2 of 1, the regime where log(1 + s) loses s.
    """
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = np.hstack([X / 16.0, np.ones((len(X), 1))])
    onehot = np.eye(10)[y]
    W = np.zeros((X.shape[1], 10))
    for _ in range(300):
        grad = softmax(X @ W) - onehot
        W -= (2.0 / len(X)) * (X.T @ grad)
    Z = X @ W
    assert np.mean(Z.argmax(axis=1) == y) > 0.95
    return Z[::6], y[::6]  # 300 samples keep the mpmath reference quick


class TestRealLogits:
    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    def test_cross_entropy_loss_is_accurate(self, digits_logits, dtype):
        # Reference: mpmath at 60 digits (softmaxlib.accuracy) on the same rounded logits.
        Z, y = digits_logits
        Z = Z.astype(dtype)
        idx = np.arange(len(y))
        exact = exact_log_softmax(Z)[idx, y]
        ours = error_in_eps(log_softmax(Z)[idx, y], exact)
        theirs = error_in_eps(scipy.special.log_softmax(Z, axis=-1)[idx, y], exact)
        assert ours.max() <= log_softmax_bound(Z.shape[1], dtype)
        # scipy's log(1 + s) costs hundreds of eps on these confident rows; ours does not.
        assert ours.max() < theirs.max()


# ============================================================================================
# Blocks: large inputs are processed in blocks of rows; the result must not depend on that.


def _peak_on_threads(f, x, threads, warm_rows):
    """``(f(x), peak bytes traced during that call)`` with the numpy path on ``threads``.

    ``f`` runs first on 10 rows and on ``warm_rows`` rows (enough to start the threads), so
    that first-call allocations (caches) and the threads' start are not counted.
    """
    previous = set_num_threads(threads)
    try:
        f(x[:10])
        f(x[:warm_rows])
        tracemalloc.start()
        try:
            out = f(x)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    finally:
        set_num_threads(previous)
    return out, peak


class TestBlocks:
    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    @pytest.mark.parametrize("f", [softmax, log_softmax])
    @pytest.mark.parametrize("threads", [1, 2])
    def test_short_rows_peak_memory(self, f, dtype, threads):
        # 400000 rows of 10 scores (a classifier's logits): besides the output, per thread
        # at most 4 blocks of core._BLOCK_ELEMENTS float64 numbers and 16 arrays of one
        # float64 per row of a chunk of core._CHUNK_ROWS rows, and 64 KiB of Python objects
        # in all. Before the rows were chunked, the arrays of one number per row came to
        # 1.3-2.3 outputs.
        x = np.random.default_rng(13).normal(size=(400_000, 10)).astype(dtype)
        x[::7, ::3] = -np.inf
        per_thread = 4 * core._BLOCK_ELEMENTS * 8 + 16 * core._CHUNK_ROWS * 8
        scratch = threads * per_thread + 65536
        out, peak = _peak_on_threads(f, x, threads, warm_rows=100_000)
        assert peak <= out.nbytes + scratch, f"peak {peak / out.nbytes:.2f} outputs"

    @pytest.mark.parametrize("dist", ["N(0,5)", "N(0,1000)", "mask 50%"])
    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    @pytest.mark.parametrize("f", [softmax, log_softmax])
    @pytest.mark.parametrize("threads", [1, 2])
    def test_long_rows_peak_memory(self, f, dtype, threads, dist):
        # 2048 rows of 4096 scores: the scratch blocks live in the output's last rows
        # (core._output_scratch), and those rows take theirs from the rows above them but
        # the last few, computed a row at a time: at most 4 rows of float64. Besides the
        # output there are then, per thread, two boolean blocks (a mask's entries, 1/8 of a
        # float64 block each), 8 rows of float64 (3 of constants, 4 of the unclamped sums of
        # rows near underflow, 1 of slack) and 16 numbers per row of a chunk; and 64 KiB of
        # Python objects in all. With allocated blocks (4 per thread for float64
        # log_softmax), the peak was 1.03 outputs.
        x = bench_distribution(dist, (2048, 4096), dtype, seed=14)
        n = x.shape[1]
        per_thread = 2 * core._BLOCK_ELEMENTS + 8 * n * 8 + 16 * core._CHUNK_ROWS * 8
        with np.errstate(all="ignore"):
            out, peak = _peak_on_threads(f, x, threads, warm_rows=1024)
        scratch = 4 * n * 8 + threads * per_thread + 65536
        assert peak <= out.nbytes + scratch, f"peak {peak / out.nbytes:.4f} outputs"

    @pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
    def test_scratch_in_the_output_changes_nothing(self, dtype, monkeypatch):
        # Rows of core._CALL_ELEMENTS entries or more keep their scratch blocks in the
        # output's last rows, which are then computed in small blocks: every row gets the
        # bits it gets with allocated scratch, on any number of threads. Small blocks and a
        # small share per thread put this small input on that path; the last rows mix
        # dominated (sd 1000), masked, non-finite and huge rows.
        rng = np.random.default_rng(8)
        x = 30.0 * rng.standard_normal((300, 2048))
        x[::5, ::3] = -np.inf
        x[7, 3] += 800.0
        x[100:120] += 3000.0
        x[250:] = 1000.0 * rng.standard_normal((50, 2048))
        x[260:280:3, ::2] = -np.inf
        x[290, 5] = np.nan
        x[291, 9] = np.inf
        x[299, :] = -np.inf
        x = x.astype(dtype)
        monkeypatch.setattr(core, "_THREAD_MIN_ELEMENTS", 4096)
        monkeypatch.setattr(core, "_BLOCK_ELEMENTS", 4096)
        monkeypatch.setattr(core, "_NARROW_BLOCK_ELEMENTS", 4096)
        fns = [softmax, log_softmax, lambda a: softmax(a, temperature=0.3),
               lambda a: log_softmax(a, temperature=0.3)]
        used = []
        carve = core._output_scratch

        def spy(*args):
            n_main, pools = carve(*args)
            used.append(pools is not None and n_main < args[0].shape[0])
            return n_main, pools

        monkeypatch.setattr(core, "_output_scratch", spy)
        previous = set_num_threads(1)
        try:
            with np.errstate(all="ignore"):
                monkeypatch.setattr(core, "_TAIL_ROWS", 0.0)  # allocated scratch
                expected = [f(x) for f in fns]
                assert not any(used)
                monkeypatch.setattr(core, "_TAIL_ROWS", 0.5)
                for threads in (1, 2, 3):
                    set_num_threads(threads)
                    used.clear()
                    for f, e in zip(fns, expected):
                        assert_array_equal(f(x), e)
                    assert all(used) and len(used) == len(fns), "the output's rows were used"
        finally:
            set_num_threads(previous)

    @pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex128])
    def test_threads_change_nothing(self, dtype, monkeypatch):
        # Each row is computed alone, so the chunks of rows given to the threads (and how
        # many threads there are) cannot change a bit of any result. The rows mix every
        # path: dominated, shifted, masked, non-finite, huge scores.
        rng = np.random.default_rng(7)
        x = 30.0 * rng.standard_normal((1500, 400))
        if dtype == np.complex128:
            x = x + 1j * rng.standard_normal(x.shape)
        x[::5, ::3] = -np.inf
        x[7, 3] += 800.0
        x[222, 5] = np.nan
        x[223, 9] = np.inf
        x[299, :] = -np.inf
        x[400:420] += 3000.0
        x = x.astype(dtype)
        # A small share per thread, so that this small input is split over every thread.
        monkeypatch.setattr(core, "_THREAD_MIN_ELEMENTS", 4096)
        fns = [softmax, log_softmax, logsumexp, lambda a: softmax(a, temperature=0.3)]
        previous = set_num_threads(1)
        try:
            with np.errstate(all="ignore"):
                one = [f(x) for f in fns]
                for threads in (2, 3, 8):
                    set_num_threads(threads)
                    assert core._chunking(x.real)[1] == threads, "every thread has rows"
                    for f, expected in zip(fns, one):
                        assert_array_equal(f(x), expected)
        finally:
            set_num_threads(previous)

    @pytest.mark.parametrize("rows", [100, core._COLUMN_MIN_INDEXED + 500])
    @pytest.mark.parametrize("n", [1, 2, 9, core._COLUMN_ROWS, core._COLUMN_ROWS + 1, 40])
    def test_row_max_and_min_are_numpys(self, n, rows):
        # Many short rows are reduced column by column: the same maxima, minima and first
        # maximal indices as numpy's argmax, with ties (small integers), infinities and NaN.
        rng = np.random.default_rng(n)
        x = rng.integers(-3, 3, size=(rows, n)).astype(float)
        x[rng.random(x.shape) < 0.05] = -np.inf
        x[rng.random(x.shape) < 0.02] = np.inf
        ar = np.arange(x.shape[0])
        k, m = core._row_max(x, ar)
        assert_array_equal(k, np.argmax(x, axis=1))
        assert_array_equal(m, np.max(x, axis=1))
        assert_array_equal(core._row_min(x, ar), np.min(x, axis=1))
        x[3, 0] = x[7, n - 1] = np.nan
        _, m = core._row_max(x, ar, index=False)
        assert_array_equal(m, np.max(x, axis=1))  # NaN where a row holds one
        assert_array_equal(core._row_min(x, ar), np.min(x, axis=1))

    @pytest.mark.parametrize("temperature", [1.0, 0.3])
    def test_fast2sum_and_twosum_agree(self, monkeypatch, temperature):
        # Rows of at most core._TWOSUM_ROWS entries get TwoSum for every shift; longer ones
        # get Dekker's Fast2Sum where it is exact and TwoSum in the rows it cannot take.
        # Where both are exact they give the same error, so the choice changes no bit. The
        # rows reach every case: maxima <= 0 (Fast2Sum's slow rows), entries below -2**e
        # of the maximum, masked entries, terms in the subnormal band below e^-700 (clamped,
        # then recomputed), dominated rows and huge scores.
        # Most rows are ones Fast2Sum takes (a positive maximum, entries above -2**e), so
        # that it runs on most of each block; one row in ten or so is special, of each kind
        # in turn, so that every block holds each kind.
        rng = np.random.default_rng(21)
        x = 30.0 * rng.standard_normal((600, 700)) + 100.0
        x[0::60] -= 300.0                      # every entry negative
        x[10::60, ::7] = -np.inf               # masked
        x[20::60, ::5] = x[20::60, :1] - 720.0  # the band between e^-746 and e^-700
        x[30::60, 3] += 900.0                  # dominated rows, the rest far below
        x[40::60, ::3] -= 2000.0               # entries below -2**e of the maximum
        x[50::60] *= 1e3                       # huge spread
        # A small maximum with low-order bits, entries below -2**e but above -700: there
        # Fast2Sum is not exact, and only TwoSum recovers the shifts' rounding errors.
        x[55::60] = 20.0 * rng.standard_normal((10, 700)) - 60.0
        x[55::60, 0] = 0.5 + 2.0**-40
        fns = [
            lambda a: softmax(a, temperature=temperature),
            lambda a: log_softmax(a, temperature=temperature),
            logsumexp,
        ]
        with np.errstate(all="ignore"):
            monkeypatch.setattr(core, "_TWOSUM_ROWS", 1 << 30)
            twosum = [f(x) for f in fns]
            monkeypatch.setattr(core, "_TWOSUM_ROWS", 0)
            fast = [f(x) for f in fns]
        for a, b in zip(twosum, fast):
            assert_array_equal(a, b)

    def test_a_helper_threads_error_is_raised(self, monkeypatch):
        # An exception in any chunk reaches the caller, whichever thread raised it.
        calls = []

        def body(r0, r1, worker):
            assert 0 <= worker < 3
            calls.append(r0)
            if r0 == 30:
                raise FloatingPointError("chunk 30")

        with pytest.raises(FloatingPointError, match="chunk 30"):
            for_each_chunk(100, 10, 3, body)
        assert sorted(calls) == list(range(0, 100, 10)), "every other chunk still ran"

    @pytest.mark.parametrize("value, expected", [("3", 3), (" 1 ", 1), ("0", None),
                                                 ("two", None), ("-1", None)])
    def test_thread_count_from_the_environment(self, monkeypatch, value, expected):
        from softmaxlib import threads as _threads

        monkeypatch.setenv("SOFTMAXLIB_NUM_THREADS", value)
        if expected is None:
            with pytest.raises(ValueError, match="SOFTMAXLIB_NUM_THREADS must be a positive"):
                _threads._default_threads()
        else:
            assert _threads._default_threads() == expected

    @pytest.mark.parametrize("bad, error", [(0, ValueError), (-2, ValueError),
                                            (1.5, TypeError), (True, TypeError),
                                            ("2", TypeError)])
    def test_set_num_threads_rejects_bad_counts(self, bad, error):
        before = get_num_threads()
        with pytest.raises(error, match="n must be a positive int"):
            set_num_threads(bad)
        assert get_num_threads() == before

    @pytest.mark.parametrize("dtype", [np.float32, np.float64])
    def test_block_boundaries_change_nothing(self, dtype):
        rng = np.random.default_rng(12)
        x = (5.0 * rng.standard_normal((300, 700))).astype(dtype)  # about 3 blocks
        x[7, 3] += 80.0             # dominated rows, in different blocks
        x[150, :] -= 60.0
        x[150, 10] = 40.0
        x[222, 5] = np.nan          # non-finite rows are repaired block by block
        x[223, 9] = np.inf
        x[299, :] = -np.inf
        # float32: rows out of float64's direct range are shifted, in the same block as
        # rows that are not (which subtract 0); a row whose maximum is far from 0 takes
        # log_softmax's two-step formula there.
        x[40, :] += 3000.0
        x[41, :] -= 3000.0
        x[42, 2] += 30.0
        for f in (softmax, log_softmax):
            whole = f(x)
            rowwise = np.stack([f(row) for row in x])
            assert_array_equal(whole, rowwise)
        assert_array_equal(logsumexp(x), np.array([logsumexp(row) for row in x], dtype=dtype))
        assert_array_equal(softmax(x, temperature=3.0), np.stack([softmax(r, temperature=3.0) for r in x]))
        assert_array_equal(softmax(x.T, axis=0), softmax(x).T)
