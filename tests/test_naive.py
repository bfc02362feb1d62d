"""Tests for softmaxlib.naive: the counterexamples fail exactly where their docstrings say.

Where a naive formula should agree with softmaxlib.core (moderate scores), it is compared on
2-D input, along each axis, with the correctly rounded mpmath reference
(softmaxlib.accuracy, itself tested against decimal in test_accuracy.py). The bounds follow
from the standard model fl(a op b) = (a op b)(1 + d), |d| <= u = eps/2, and numpy's documented
float64 accuracy of exp and log, at most 1 ulp (<= eps relative) on every SIMD path
(numpy/_core/tests/data/umath-validation-set-{exp,log}.csv, ulperrortol 1; the baseline path
calls libm, which is within 1 ulp too). A sum of n positive terms in any order has relative
error <= (n - 1) u, so BLAS-free pairwise or sequential summation give the same bound.
"""

import math
import warnings

import numpy as np
import pytest

import softmaxlib.naive as naive
from softmaxlib import (
    log_softmax,
    logsumexp,
    naive_base_softmax,
    naive_double_exp_softmax,
    softmax,
)
from softmaxlib.accuracy import error_in_eps, exact_log_softmax, exact_logsumexp, exact_softmax
from strategies import log_softmax_bound, softmax_bound

LARGEST = np.finfo(np.float64).max

EPS = np.finfo(np.float64).eps
LOG_MAX = math.log(LARGEST)  # 709.78...: exp overflows above it
LOG_MIN = math.log(np.finfo(np.float64).smallest_subnormal) - math.log(2)  # -745.13: exp -> 0

def core_bound(n):
    """softmaxlib.core's float64 bound in eps for rows of n entries: the larger of
    tests/strategies.py's softmax_bound and log_softmax_bound (also logsumexp's)."""
    return max(softmax_bound(n, np.float64), log_softmax_bound(n, np.float64))


#: core's bound at the longest row used with it in this file (n <= 12); the bounds grow with n.
CORE_BOUND = core_bound(12)

# Rows and columns differ, so normalising along the wrong axis changes every value. Every
# difference of two entries is exact in float64 (small dyadic numbers), so the shifted
# formulas add no rounding of x - max and the bounds below need no |x| term for it.
X = np.array([[0.0, 1.0, 2.0, 3.0], [3.0, -1.0, 0.5, 2.0], [-2.5, -2.0, 4.0, 0.25]])


def softmax_bound(n):
    """Relative bound in eps of e^x_i / sum e^x_j computed naively, against a rounded reference.

    exp of the numerator: 1 eps; the sum: exp of each term (1 eps) plus n - 1 additions
    ((n - 1)/2 eps); the division: 1/2 eps; the reference's own rounding: 1/2 eps.
    """
    return 1 + 1 + (n - 1) / 2 + 0.5 + 0.5


def log_softmax_bound(n, lse, exact):
    """Absolute bound in eps of x_i - log(sum e^x_j) computed naively (or shifted).

    The sum's relative error (1 + (n - 1)/2 eps, as above) becomes an absolute error of the
    log; log itself adds 1 ulp (eps |lse|); the subtraction and the reference's rounding add
    1/2 eps |result| each.
    """
    return 1 + (n - 1) / 2 + np.abs(lse) + np.abs(exact)


def abs_err_in_eps(got, exact):
    return np.abs(np.asarray(got) - np.asarray(exact)) / EPS


class TestNaiveBaseSoftmax:
    @pytest.mark.parametrize("base", [2.0, math.e, 10.0, 100.0])
    def test_is_softmax_at_temperature_one_over_log_base(self, base):
        # psi**x = exp(x ln psi), so the base-psi softmax is softmax(x / T) with T = 1 / ln psi.
        x = np.array([1.0, 2.0, 0.5, -1.0, 1.5])
        # naive: softmax_bound(5) = 5 eps (pow within 1 ulp, as exp) + 2 eps (float(base) is
        # rounded, times |x| <= 2); core: CORE_BOUND eps + its (x - max) / T, whose 2 eps relative
        # error (T = 1 / log(base): 1.5 eps; the quotient 0.5) times |x - max| ln(base)
        # <= 3 ln(base) becomes a relative error of exp: 6 ln(base) eps. Was rtol=1e-13.
        rtol = (5 + 2 + CORE_BOUND + 6 * math.log(base)) * EPS
        np.testing.assert_allclose(
            naive_base_softmax(x, base), softmax(x, temperature=1 / math.log(base)), rtol=rtol
        )

    def test_base_two_closed_form(self):
        # 2**1 / (2**0 + 2**1) = 2/3, by hand. 2**0, 2**1 and their sum are exact, so only the
        # final division rounds, as Python's 1/3 and 2/3 do: equal, bit for bit.
        np.testing.assert_array_equal(naive_base_softmax([0.0, 1.0], 2), [1 / 3, 2 / 3])

    @pytest.mark.parametrize("base", [2.0, math.e, 10.0, 100.0])
    def test_overflows_above_log_max_over_log_base(self, base):
        # 1e-12 relative: far above the rounding of the threshold itself (two logs and a
        # division, < 3 eps = 7e-16) and of pow (1 ulp), so each side is surely on its side.
        threshold = math.log(LARGEST) / math.log(base)
        assert np.all(np.isfinite(naive_base_softmax([threshold * (1 - 1e-12), 0.0], base)))
        with pytest.warns(RuntimeWarning):
            p = naive_base_softmax([threshold * (1 + 1e-12), 0.0], base)
        assert np.isnan(p[0])

    @pytest.mark.parametrize("base", [1.0, 0.5, -2.0, np.inf, np.nan])
    def test_bad_base_raises(self, base):
        with pytest.raises(ValueError, match="base must be a finite number greater than 1"):
            naive_base_softmax([0.0, 1.0], base)

    def test_axis(self):
        # Exact powers of 2, so only the division rounds (as above): equal, bit for bit.
        x = np.array([[0.0, 1.0], [1.0, 0.0]])
        expected = [[1 / 3, 2 / 3], [2 / 3, 1 / 3]]
        np.testing.assert_array_equal(naive_base_softmax(x, 2.0, axis=0), expected)
        np.testing.assert_array_equal(naive_base_softmax(x.T, 2.0, axis=1), np.transpose(expected))


class TestNaiveDoubleExpSoftmax:
    def test_positive_ordered_normalised(self):
        q = naive_double_exp_softmax([0.0, 0.5, 1.0, 2.0])
        assert np.all(q > 0) and np.all(np.diff(q) > 0)
        # The exp errors cancel (the same e_i are in numerator and sum): the sum of n terms,
        # n divisions and the final sum of n quotients round, (2n - 1) u = 3.5 eps for n = 4.
        assert q.sum() == pytest.approx(1.0, abs=3.5 * EPS)

    def test_closed_form(self):
        # e^(e^0) / (e^(e^0) + e^(e^1)) = 1 / (1 + e^(e - 1)), by hand.
        # Formula: exp(1) 1 eps, times e in the outer exponent, 2.7 eps; outer exps 1 eps
        # each; sum and division 1 eps. Reference: e, e - 1, exp, 1 + and / about 4 eps.
        # Together 12 eps (was rel=1e-14).
        q = naive_double_exp_softmax([0.0, 1.0])
        assert q[0] == pytest.approx(1 / (1 + math.exp(math.e - 1)), rel=12 * EPS)

    @pytest.mark.parametrize("c", [-3.0, -1.0, 1.0, 2.0])
    def test_not_shift_invariant_a_shift_is_a_temperature(self, c):
        # e^(e^(x + c)) = e^(e^c e^x): a shift by c is softmax(e^x) at temperature e^(-c).
        x = np.array([0.0, 0.5, 1.0])
        shifted = naive_double_exp_softmax(x + c)
        # Each side's outer exponents, up to A = e^(1 + c), carry 3 eps relative error (x + c
        # or / T, and the inner exp / T): 3A eps absolute, doubled for a difference, and
        # exp makes it relative: 6A eps per side; plus 4 eps for each normalisation.
        # Was rtol=1e-12 (26x the bound for c = 2).
        rtol = (12 * math.exp(1 + c) + 8) * EPS
        np.testing.assert_allclose(shifted, softmax(np.exp(x), temperature=math.exp(-c)), rtol=rtol)
        # Not a rounding matter: the two differ in the first or second digit.
        assert not np.allclose(shifted, naive_double_exp_softmax(x), rtol=1e-3)

    def test_overflows_above_log_log_max(self):
        # A step of 1e-9 in x moves e^(e^x) by a factor e^(709e-9) = 1 + 7e-7, far beyond the
        # rounding of the threshold (3e-15) and of the inner exp (709 eps = 1.6e-13).
        threshold = math.log(math.log(LARGEST))  # about 6.565
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            naive_double_exp_softmax([threshold - 1e-9, 0.0])
        with pytest.warns(RuntimeWarning):
            q = naive_double_exp_softmax([threshold + 1e-9, 0.0])
        assert np.isnan(q[0])


class TestSubclassPassThrough:
    """The naive formulas pass ndarray subclasses through (chapter 10 traces their traffic)."""

    class Tagged(np.ndarray):
        pass

    @pytest.mark.parametrize("name", ["naive_softmax", "shifted_softmax", "shifted_log_softmax"])
    def test_subclass_flows_through_and_values_are_unchanged(self, name):
        import softmaxlib.naive as naive

        f = getattr(naive, name)
        x = np.array([0.5, -1.0, 2.0])
        out = f(x.view(self.Tagged))
        assert isinstance(out, self.Tagged)
        np.testing.assert_array_equal(np.asarray(out), f(x))

    def test_library_functions_still_return_plain_arrays(self):
        x = np.array([0.5, -1.0, 2.0]).view(self.Tagged)
        assert type(softmax(x)) is np.ndarray


class TestNaiveSoftmax:
    @pytest.mark.parametrize("axis", [0, 1, -1])
    def test_agrees_with_exact_on_moderate_2d(self, axis):
        # Reference: mpmath (softmaxlib.accuracy.exact_softmax); bound: softmax_bound(n).
        err = error_in_eps(naive.naive_softmax(X, axis=axis), exact_softmax(X, axis=axis))
        assert (err <= softmax_bound(X.shape[axis])).all()

    @pytest.mark.parametrize("axis", [(0, 1), None])
    def test_agrees_with_core_over_several_axes(self, axis):
        # Both within their bounds of the same exact values: naive's plus core's CORE_BOUND eps.
        n = X.size
        np.testing.assert_allclose(naive.naive_softmax(X, axis=axis), softmax(X, axis=axis),
                                   rtol=(softmax_bound(n) + CORE_BOUND) * EPS, atol=0)

    def test_closed_form_row(self):
        # 1 / (1 + e) and e / (1 + e) for [0, 1]; mpmath at dps=60 (exact_softmax).
        got = naive.naive_softmax(np.array([[0.0, 1.0], [1.0, 0.0]]))
        expected = exact_softmax([0.0, 1.0])
        assert (error_in_eps(got, [expected, expected[::-1]]) <= softmax_bound(2)).all()

    def test_overflow_is_nan_only_in_its_own_row(self):
        # exp(x) overflows for x > log(max float) = 709.78; the other row is untouched.
        x = np.array([[LOG_MAX * (1 - 1e-12), 0.0], [LOG_MAX * (1 + 1e-12), 0.0], [0.0, 1.0]])
        with pytest.warns(RuntimeWarning):
            p = naive.naive_softmax(x)
        assert np.isfinite(p[0]).all() and p[0, 0] == 1.0
        assert np.isnan(p[1, 0]) and p[1, 1] == 0.0  # inf / inf and 1 / inf
        np.testing.assert_array_equal(p[2], naive.naive_softmax([0.0, 1.0]))

    def test_overflow_along_axis_0(self):
        x = np.array([[800.0, 0.0], [0.0, 1.0]])
        with pytest.warns(RuntimeWarning):
            p = naive.naive_softmax(x, axis=0)
        assert np.isnan(p[0, 0]) and p[1, 0] == 0.0
        np.testing.assert_array_equal(p[:, 1], naive.naive_softmax([0.0, 1.0]))

    def test_underflow_is_nan(self):
        # Below log(smallest subnormal / 2) = -745.13 every exp rounds to 0: 0 / 0.
        x = np.array([[LOG_MIN - 0.1, LOG_MIN - 0.5], [0.0, 0.0]])
        with pytest.warns(RuntimeWarning):
            p = naive.naive_softmax(x)
        assert np.isnan(p[0]).all()
        np.testing.assert_array_equal(p[1], [0.5, 0.5])
        # The cure: the same row shifted is fine.
        np.testing.assert_allclose(softmax(x[0]), exact_softmax(x[0]), rtol=CORE_BOUND * EPS)


class TestLinearNormalize:
    def test_2d_rows_and_columns(self):
        # By hand: [2, 4, 2, 1] / 9 and the columns of [[1, 3], [3, 1]] / 4.
        x = np.array([[2.0, 4.0, 2.0, 1.0], [1.0, 1.0, 1.0, 1.0]])
        np.testing.assert_array_equal(naive.linear_normalize(x),
                                      [[2 / 9, 4 / 9, 2 / 9, 1 / 9], [0.25] * 4])
        y = np.array([[1.0, 3.0], [3.0, 1.0]])
        np.testing.assert_array_equal(naive.linear_normalize(y, axis=0), y / 4)

    def test_negative_and_zero_sum(self):
        # "Sums to 1" yet -0.5 and 1.5; a row summing to 0 divides by zero.
        np.testing.assert_array_equal(naive.linear_normalize([[3.0, -1.0]]), [[1.5, -0.5]])
        with pytest.warns(RuntimeWarning):
            q = naive.linear_normalize(np.array([[1.0, -1.0], [1.0, 3.0]]))
        assert np.isinf(q[0]).all()
        np.testing.assert_array_equal(q[1], [0.25, 0.75])


class TestNaiveSigmoid:
    def test_values(self):
        # 1 / (1 + e^-x): exp 1 eps, 1 + . 1/2 eps, division 1/2 eps, reference 1/2 eps.
        x = np.array([[0.0, 2.0], [-3.0, 40.0]])
        expected = [[0.5, 0.8807970779778824], [0.04742587317756678, 1.0]]  # mpmath, dps=60
        assert (error_in_eps(naive.naive_sigmoid(x), expected) <= 2.5).all()

    def test_overflow_warns_but_is_right(self):
        # exp(-x) overflows for x < -709.78: 1 / inf = 0 is right, the warning is the flaw.
        x = np.array([[-LOG_MAX * (1 - 1e-12)], [-LOG_MAX * (1 + 1e-12)]])
        with pytest.warns(RuntimeWarning):
            s = naive.naive_sigmoid(x)
        assert s[0, 0] > 0 and s[1, 0] == 0.0


class TestNaiveLogsumexp:
    @pytest.mark.parametrize("axis", [0, 1, -1])
    def test_agrees_with_exact_on_moderate_2d(self, axis):
        # Reference: mpmath; bound: log_softmax_bound's first three terms (no subtraction).
        exact = exact_logsumexp(X, axis=axis)
        got = naive.naive_logsumexp(X, axis=axis)
        assert got.shape == exact.shape
        n = X.shape[axis]
        assert (abs_err_in_eps(got, exact) <= 1 + (n - 1) / 2 + 1.5 * np.abs(exact)).all()

    def test_overflow_and_underflow_per_row(self):
        x = np.array([[LOG_MAX * (1 + 1e-12), 0.0], [LOG_MIN - 0.1, LOG_MIN - 0.5], [0.0, 0.0]])
        with pytest.warns(RuntimeWarning):
            lse = naive.naive_logsumexp(x)
        assert lse[0] == np.inf and lse[1] == -np.inf
        assert abs_err_in_eps(lse[2], math.log(2)) <= 1 + 0.5 + 1.5 * math.log(2)
        # logsumexp is finite and right for both failing rows.
        assert (error_in_eps(logsumexp(x[:2]), exact_logsumexp(x[:2])) <= CORE_BOUND).all()


class TestNaiveLogSoftmax:
    @pytest.mark.parametrize("axis", [0, -1])
    def test_agrees_with_exact_on_moderate_2d(self, axis):
        # Reference: mpmath; bound: log_softmax_bound (absolute, in eps).
        exact = exact_log_softmax(X, axis=axis)
        lse = np.expand_dims(exact_logsumexp(X, axis=axis), axis)
        bound = log_softmax_bound(X.shape[axis], lse, exact)
        assert (abs_err_in_eps(naive.naive_log_softmax(X, axis=axis), exact) <= bound).all()

    def test_overflow_gives_minus_inf_and_underflow_plus_inf(self):
        # x - inf = -inf once an exp overflows; x - log(0) = +inf once all underflow.
        x = np.array([[1000.0, 0.0], [-800.0, -801.0], [0.0, 0.0]])
        with pytest.warns(RuntimeWarning):
            out = naive.naive_log_softmax(x)
        np.testing.assert_array_equal(out[:2], [[-np.inf, -np.inf], [np.inf, np.inf]])
        assert (abs_err_in_eps(out[2], -math.log(2)) <= log_softmax_bound(2, math.log(2),
                                                                          math.log(2))).all()


class TestShiftedSoftmax:
    @pytest.mark.parametrize("axis", [0, 1, -1])
    def test_agrees_with_exact_on_moderate_2d(self, axis):
        # Reference: mpmath; x - max is exact for X, so softmax_bound(n) applies.
        err = error_in_eps(naive.shifted_softmax(X, axis=axis), exact_softmax(X, axis=axis))
        assert (err <= softmax_bound(X.shape[axis])).all()

    def test_beyond_exp_range(self):
        # The shift cures overflow: softmax([1000, 1001, 1002]) = softmax([0, 1, 2]), and
        # the differences are exact, so the bound is unchanged.
        x = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1001.0, -1002.0]])
        got = naive.shifted_softmax(x)
        assert (error_in_eps(got, exact_softmax(x)) <= softmax_bound(3)).all()


class TestShiftedLogSoftmax:
    @pytest.mark.parametrize("axis", [0, -1])
    def test_agrees_with_exact_on_moderate_2d(self, axis):
        # Reference: mpmath; x - max is exact, then as naive_log_softmax with lse of x - max.
        exact = exact_log_softmax(X, axis=axis)
        top = X.max(axis=axis, keepdims=True)
        lse = np.expand_dims(exact_logsumexp(X, axis=axis), axis) - top
        bound = log_softmax_bound(X.shape[axis], lse, exact)
        assert (abs_err_in_eps(naive.shifted_log_softmax(X, axis=axis), exact) <= bound).all()

    def test_dominant_entry_loses_log1p(self):
        # Reference: -log1p(e^-16.942385) = -4.3854664851156856e-08 (mpmath, test_core.py).
        # 1 + s rounds in float32 before the log: exactly 0 comes out, a 100% error.
        x = np.array([[16.942385, 0.0], [0.0, 16.942385]], dtype=np.float32)
        got = naive.shifted_log_softmax(x)
        np.testing.assert_array_equal(got[0, 0], 0.0)
        np.testing.assert_array_equal(got[1, 1], 0.0)
        assert error_in_eps(log_softmax(x)[0, 0], -4.3854664851156856e-08) <= CORE_BOUND
        got0 = naive.shifted_log_softmax(x, axis=0)
        assert got0[0, 0] == 0.0 and got0[1, 1] == 0.0


class TestShiftedLogsumexp:
    def test_loses_the_small_term(self):
        # log(1 + e^-40) = 4.248354255291589e-18 (decimal, test_accuracy.py); 1 + e^-40
        # rounds to 1, so the shifted formula gives exactly 0 in both rows.
        x = np.array([[0.0, -40.0], [-40.0, 0.0]])
        np.testing.assert_array_equal(naive.shifted_logsumexp(x), [0.0, 0.0])
        np.testing.assert_array_equal(naive.shifted_logsumexp(x.T, axis=0), [0.0, 0.0])
        assert error_in_eps(logsumexp(x), 4.248354255291589e-18).max() <= CORE_BOUND

    @pytest.mark.parametrize("axis", [0, 1, -1])
    def test_agrees_with_exact_on_moderate_2d(self, axis):
        # As naive_logsumexp, plus the addition of the max: 1/2 eps |result|.
        exact = exact_logsumexp(X, axis=axis)
        got = naive.shifted_logsumexp(X, axis=axis)
        assert got.shape == exact.shape
        n = X.shape[axis]
        assert (abs_err_in_eps(got, exact) <= 1 + (n - 1) / 2 + 2 * np.abs(exact)).all()


class TestLogOfSoftmax:
    def test_zero_and_minus_inf_where_it_should_be_finite(self):
        # Exact log_softmax([0, -40]) = [-4.2e-18, -40 - 4.2e-18] (decimal, test_accuracy.py)
        # and log_softmax([0, -800]) = [-1e-348 -> -0.0, -800]: log(softmax) gives 0 and -inf.
        x = np.array([[0.0, -40.0], [0.0, -800.0]])
        with pytest.warns(RuntimeWarning):
            got = naive.log_of_softmax(x)
        assert got[0, 0] == 0.0 and exact_log_softmax(x)[0, 0] == -4.248354255291589e-18
        assert got[1, 1] == -np.inf and exact_log_softmax(x)[1, 1] == -800.0

    @pytest.mark.parametrize("axis", [0, -1])
    def test_agrees_with_exact_on_moderate_2d(self, axis):
        # core's softmax is within CORE_BOUND eps relative, which log turns into CORE_BOUND eps
        # absolute; log adds 1 ulp (eps |result|) and the reference's rounding 1/2 eps |result|.
        exact = exact_log_softmax(X, axis=axis)
        got = naive.log_of_softmax(X, axis=axis)
        assert (abs_err_in_eps(got, exact) <= CORE_BOUND + 1.5 * np.abs(exact)).all()


class TestWrongShiftSoftmax:
    def test_is_softmax_only_at_zero(self):
        # At C = 0 the formula is naive_softmax itself, bit for bit.
        np.testing.assert_array_equal(naive.wrong_shift_softmax(X, 0.0), naive.naive_softmax(X))
        np.testing.assert_array_equal(naive.wrong_shift_softmax(X, 0.0, axis=0),
                                      naive.naive_softmax(X, axis=0))

    def test_closed_form_does_not_sum_to_one(self):
        # By hand: e^(x_i + C) / (sum e^x_j + n C); for [[0, 0]] and C = ln 2: 2 / (2 + 2 ln 2).
        C = math.log(2.0)
        q = naive.wrong_shift_softmax(np.array([[0.0, 0.0], [0.0, 0.0]]), C, axis=0)
        expected = 2.0 / (2.0 + 2.0 * C)
        # Three roundings in the formula plus exp and log (1 eps each): under 4 eps.
        np.testing.assert_allclose(q, expected, rtol=4 * EPS)
        assert abs(q.sum(axis=0)[0] - 1.0) > 0.1


class TestNaiveOnlineLogsumexp:
    def test_finite_chunks_agree(self):
        # Reference: mpmath. Each chunk's sum of 4 exps (x - max is exact here): 2.5 eps
        # relative; each of the 3 merges: two exps, two products and a sum, 2 eps more; so d
        # is within 8.5 eps, which log turns into an absolute error; log's 1 ulp, m + log d
        # and the reference round by |result| eps, u and u.
        exact = float(exact_logsumexp(X.ravel()))
        got = naive.naive_online_logsumexp([X[0], X[1], X[2]])
        assert abs_err_in_eps(got, exact) <= 8.5 + 2 * abs(exact)

    @pytest.mark.parametrize("chunks", [[[-np.inf], [1.0, 2.0]], [[1.0, 2.0], [-np.inf] * 2]])
    def test_all_minus_inf_chunk_gives_nan(self, chunks):
        # The summary of an all -inf chunk is sum(exp(-inf - (-inf))) = NaN, wherever it comes.
        with pytest.warns(RuntimeWarning):
            assert np.isnan(naive.naive_online_logsumexp(chunks))
