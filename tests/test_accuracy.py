"""Tests for softmaxlib.accuracy: the mpmath references, checked against an independent one.

The independent reference is Python's ``decimal`` module at 1200 significant digits, evaluating
the defining formulas directly (no shift by the maximum, no log1p): ``exp(x_i) / sum exp(x_j)``,
``x_i - ln(sum exp(x_j))`` and ``ln(sum exp(x_j))``. ``Decimal(float)`` is exact, Decimal's
``exp`` and ``ln`` are correctly rounded at the context precision, and ``float(Decimal)`` is
correctly rounded, so for every input used here (gaps up to 800, so the smallest term is
e^-800 ~ 1e-348, far above the 1e-1200 the working precision resolves) the reference is the
correctly rounded float64. The mpmath references claim to be correctly rounded too, so the two
must agree *exactly*: the tests use assert_array_equal, no tolerance at all.
"""

import decimal
import functools
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from softmaxlib import log_softmax, logsumexp, softmax
from softmaxlib.accuracy import error_in_eps, exact_log_softmax, exact_logsumexp, exact_softmax

EPS64 = np.finfo(np.float64).eps
EPS32 = np.finfo(np.float32).eps
PREC = 1200  # decimal digits; the smallest term used below is e^-800 ~ 1e-348


@functools.lru_cache(maxsize=None)
def _dec_exp(v):
    with decimal.localcontext(decimal.Context(prec=PREC, Emin=-10**6, Emax=10**6)):
        return decimal.Decimal(v).exp()


def _dec_terms(row):
    return [_dec_exp(float(v)) for v in row]


def dec_softmax(row):
    """exp(x_i) / sum exp(x_j) in decimal at 1200 digits, correctly rounded to float64."""
    with decimal.localcontext(decimal.Context(prec=PREC, Emin=-10**6, Emax=10**6)):
        e = _dec_terms(row)
        total = sum(e)
        return [float(t / total) for t in e]


def dec_logsumexp(row):
    """ln(sum exp(x_j)) in decimal at 1200 digits, correctly rounded to float64."""
    with decimal.localcontext(decimal.Context(prec=PREC, Emin=-10**6, Emax=10**6)):
        return float(sum(_dec_terms(row)).ln())


def dec_log_softmax(row):
    """x_i - ln(sum exp(x_j)) in decimal at 1200 digits, correctly rounded to float64."""
    with decimal.localcontext(decimal.Context(prec=PREC, Emin=-10**6, Emax=10**6)):
        lse = sum(_dec_terms(row)).ln()
        return [float(decimal.Decimal(float(v)) - lse) for v in row]


def dec_rows(f, x, axis=-1):
    """Apply a 1-D decimal reference to every slice of ``x`` along ``axis``."""
    moved = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    flat = moved.reshape(-1, moved.shape[-1])
    out = np.array([f(r) for r in flat], dtype=np.float64)
    if out.ndim == 1:  # logsumexp: one value per slice
        return out.reshape(moved.shape[:-1])
    return np.moveaxis(out.reshape(moved.shape), -1, axis)


# Rows whose references are all within decimal's reach (see the module docstring).
FINITE_ROWS = {
    "scipy_0123": [0.0, 1.0, 2.0, 3.0],
    "beyond_exp_range": [1000.0, 1001.0, 1002.0],
    "dominant_40": [0.0] + [-40.0] * 999,  # log_softmax's docstring example
    "dominant_800": [0.0, -800.0],  # the small probability underflows to 0
    "subnormal_result": [0.0, -740.0],  # e^-740 ~ 4e-322 is a subnormal float64
    "float32_pair": [float(np.float32(16.942385)), 0.0],  # scipy's log_softmax failure
    "mixed_signs": [-3.5, 0.25, 7.0, -0.125, 2.0],
    "single": [5.0],
}


class TestExactSoftmax:
    @pytest.mark.parametrize("row", FINITE_ROWS.values(), ids=FINITE_ROWS.keys())
    def test_equals_decimal_reference(self, row):
        # Reference: decimal at 1200 digits (dec_softmax); both correctly rounded, so equal.
        np.testing.assert_array_equal(exact_softmax(row), dec_softmax(row))

    def test_known_value(self):
        # Reference: mpmath at dps=200, e^k / sum e^j, correctly rounded. scipy's test
        # (test_logsumexp.py) cites the same computation but its 2nd and 4th values are one
        # ulp off (...256, ...722), which its rtol=1e-13 cannot see.
        expected = [0.03205860328008499, 0.08714431874203257, 0.23688281808991013,
                    0.6439142598879724]
        np.testing.assert_array_equal(exact_softmax([0.0, 1.0, 2.0, 3.0]), expected)

    @pytest.mark.parametrize("axis", [0, 1, -1, -2])
    def test_axis_on_2d(self, axis):
        # Rows and columns differ, so normalising along the wrong axis changes every value.
        x = np.random.default_rng(0).normal(scale=10.0, size=(3, 5))
        got = exact_softmax(x, axis=axis)
        assert got.shape == x.shape
        np.testing.assert_array_equal(got, dec_rows(dec_softmax, x, axis))

    def test_axis_on_3d(self):
        x = np.random.default_rng(1).normal(scale=3.0, size=(2, 3, 4))
        np.testing.assert_array_equal(exact_softmax(x, axis=1), dec_rows(dec_softmax, x, 1))

    def test_minus_inf_entries_get_zero(self):
        # Closed form: e^-inf = 0, the rest are softmax([0, 1]) (decimal reference).
        np.testing.assert_array_equal(exact_softmax([-np.inf, 0.0, 1.0]),
                                      [0.0] + dec_softmax([0.0, 1.0]))

    def test_plus_inf_entries_share_the_probability(self):
        # Convention of softmaxlib.softmax (its Notes): the limit as the +inf entries grow
        # together, so k of them get 1/k each and every other entry 0.
        np.testing.assert_array_equal(exact_softmax([np.inf, 0.0]), [1.0, 0.0])
        np.testing.assert_array_equal(exact_softmax([np.inf, -np.inf, np.inf, 3.0]),
                                      [0.5, 0.0, 0.5, 0.0])
        x = np.array([[np.inf, 0.0, 1.0], [-np.inf, np.inf, -np.inf]])
        np.testing.assert_array_equal(exact_softmax(x), softmax(x))

    def test_undefined_rows_are_nan_and_stay_in_their_row(self):
        # A NaN entry, or a row that is entirely -inf, has no probabilities (as in core).
        x = np.array([[np.nan, 0.0], [-np.inf, -np.inf], [0.0, 0.0], [np.inf, np.nan]])
        got = exact_softmax(x)
        assert np.isnan(got[[0, 1, 3]]).all()
        np.testing.assert_array_equal(got[2], [0.5, 0.5])

    def test_empty_rows(self):
        assert exact_softmax(np.zeros((2, 0))).shape == (2, 0)
        assert exact_softmax(np.zeros((0, 3))).shape == (0, 3)

    def test_complex_is_refused(self):
        with pytest.raises(TypeError, match="x must be real"):
            exact_softmax([1j, 0.0])


class TestExactLogSoftmax:
    @pytest.mark.parametrize("row", FINITE_ROWS.values(), ids=FINITE_ROWS.keys())
    def test_equals_decimal_reference(self, row):
        # Reference: decimal at 1200 digits (dec_log_softmax); both correctly rounded, so equal.
        np.testing.assert_array_equal(exact_log_softmax(row), dec_log_softmax(row))

    def test_dominant_entry_closed_form(self):
        # Closed form: log_softmax([0, -40 x 999])[0] = -log1p(u), u = 999 e^-40, by the
        # series -(u - u^2/2 + u^3/3); the next term, u^4/4 ~ 1e-58, is below float64's
        # resolution of 4e-15 (2e-31). e^-40 from decimal at 60 digits.
        with decimal.localcontext(decimal.Context(prec=60)):
            u = 999 * decimal.Decimal(-40).exp()
            expected = float(-(u - u**2 / 2 + u**3 / 3))
        assert expected == -4.2441059010362884e-15  # the value test_core.py cites
        assert exact_log_softmax(np.array([0.0] + [-40.0] * 999))[0] == expected

    def test_float32_pair(self):
        # Reference: -log1p(e^-x) for x = float32(16.942385), decimal at 60 digits; the value
        # tests/test_core.py cites.
        x = np.array([16.942385, 0.0], dtype=np.float32)
        assert exact_log_softmax(x)[0] == -4.3854664851156856e-08

    @pytest.mark.parametrize("axis", [0, 1, -1])
    def test_axis_on_2d(self, axis):
        x = np.random.default_rng(2).normal(scale=10.0, size=(4, 3))
        np.testing.assert_array_equal(exact_log_softmax(x, axis=axis),
                                      dec_rows(dec_log_softmax, x, axis))

    def test_infinities(self):
        # -inf entries have log-probability -inf; k entries of +inf get -log(k) (core's
        # convention); the others -inf.
        got = exact_log_softmax([-np.inf, 0.0, 1.0])
        np.testing.assert_array_equal(got, [-np.inf] + dec_log_softmax([0.0, 1.0]))
        np.testing.assert_array_equal(exact_log_softmax([np.inf, 0.0]), [0.0, -np.inf])
        np.testing.assert_array_equal(exact_log_softmax([np.inf, np.inf, 0.0]),
                                      [-math.log(2), -math.log(2), -np.inf])
        x = np.array([[np.inf, 0.0, np.inf], [-np.inf, 5.0, -np.inf]])
        np.testing.assert_array_equal(exact_log_softmax(x), log_softmax(x))

    def test_undefined_rows_are_nan(self):
        x = np.array([[np.nan, 0.0], [-np.inf, -np.inf], [1.0, 1.0]])
        got = exact_log_softmax(x)
        assert np.isnan(got[:2]).all()
        np.testing.assert_array_equal(got[2], [-math.log(2), -math.log(2)])


class TestExactLogsumexp:
    @pytest.mark.parametrize("row", FINITE_ROWS.values(), ids=FINITE_ROWS.keys())
    def test_equals_decimal_reference(self, row):
        # Reference: decimal at 1200 digits (dec_logsumexp); both correctly rounded, so equal.
        assert exact_logsumexp(row) == dec_logsumexp(row)

    def test_log1p_series(self):
        # Closed form: logsumexp([0, -40]) = log(1 + e^-40) = e^-40 - e^-80/2 + ..., where
        # e^-80/2 is 1e-35 relative to the result, far below float64's 1.1e-16 rounding.
        with decimal.localcontext(decimal.Context(prec=60)):
            expected = float(decimal.Decimal(-40).exp() - decimal.Decimal(-80).exp() / 2)
        assert expected == 4.248354255291589e-18
        assert float(exact_logsumexp([0.0, -40.0])) == expected
        assert float(exact_logsumexp([0.0, -800.0])) == 0.0  # ~1e-348 is below float64

    @pytest.mark.parametrize("axis", [0, 1, -1])
    def test_axis_on_2d(self, axis):
        x = np.random.default_rng(3).normal(scale=10.0, size=(3, 4))
        got = exact_logsumexp(x, axis=axis)
        assert got.shape == (x.shape[:axis % 2] + x.shape[axis % 2 + 1:])
        np.testing.assert_array_equal(got, dec_rows(dec_logsumexp, x, axis))

    def test_special_values(self):
        # +inf anywhere gives +inf; all -inf gives log 0 = -inf; NaN anywhere gives NaN;
        # an empty slice sums to 0, whose log is -inf.
        x = np.array([[np.inf, 0.0], [-np.inf, -np.inf], [np.nan, np.inf], [-np.inf, 0.0]])
        np.testing.assert_array_equal(exact_logsumexp(x), [np.inf, -np.inf, np.nan, 0.0])
        np.testing.assert_array_equal(exact_logsumexp(np.zeros((2, 0))), [-np.inf, -np.inf])
        np.testing.assert_array_equal(exact_logsumexp(x), logsumexp(x))

    def test_dps_is_used(self):
        # At dps=10 the sum 1 + 999 e^-40 would round to 1; the split-off maximum keeps
        # log1p's relative accuracy, so the answer is still correctly rounded.
        x = [0.0] + [-40.0] * 999
        assert exact_log_softmax(x, dps=20)[0] == exact_log_softmax(x, dps=200)[0]
        assert exact_logsumexp([0.0, 1.0], dps=200) == dec_logsumexp([0.0, 1.0])


class TestErrorInEps:
    def test_one_ulp_above_and_half_below(self):
        # 1 + eps is one ulp above 1; 1 - eps/2 is one ulp below 1 (half the spacing): the
        # errors are 1 and 0.5, positive on both sides.
        assert error_in_eps(1.0 + EPS64, 1.0) == 1.0
        assert error_in_eps(1.0 - EPS64 / 2, 1.0) == 0.5

    def test_negative_exact_values(self):
        # |(-1 - eps) - (-1)| / |-1| = eps: a magnitude, never negative.
        assert error_in_eps(-1.0 - EPS64, -1.0) == 1.0
        assert error_in_eps(-1.0 + EPS64 / 2, -1.0) == 0.5
        # -0.5 against -0.25: off by the whole value, 1 / eps; 1.5 against -1.5: 2 / eps;
        # -2 - 4 eps against -2: two ulps of 2 (its spacing is 2 eps), so 2.
        got = error_in_eps([-0.5, 1.5, -2.0 - 4 * EPS64], [-0.25, -1.5, -2.0])
        np.testing.assert_array_equal(got, [1 / EPS64, 2 / EPS64, 2.0])

    def test_unit_is_the_dtype_of_computed(self):
        # One float32 ulp at 1 is 2^-23 = 2^29 float64 ulps.
        one_up = np.float32(1.0) + EPS32
        assert error_in_eps(one_up, 1.0) == 1.0
        assert error_in_eps(one_up, 1.0, np.float64) == 2.0**29
        # 2^-10 / (1 + 2^-10) / 2^-10, one float64 rounding in the division: rel=eps.
        assert error_in_eps(np.float16(1.0), 1.0 + 2.0**-10) == pytest.approx(1 / (1 + 2**-10),
                                                                             rel=EPS64)

    def test_docstring_value(self):
        # float32 0 against -4.385e-8 is the whole value wrong: 1 / eps32 = 2^23.
        assert error_in_eps(np.float32(0.0), -4.3854664851156856e-08) == 2.0**23

    def test_exact_zero_uses_absolute_error(self):
        assert error_in_eps(1e-20, 0.0) == 1e-20 / EPS64
        assert error_in_eps(-1e-20, 0.0) == 1e-20 / EPS64

    def test_special_values(self):
        got = error_in_eps([np.inf, -np.inf, np.nan, np.nan, 1.0, np.inf, 0.0],
                           [np.inf, -np.inf, np.nan, 1.0, np.nan, -np.inf, 0.0])
        np.testing.assert_array_equal(got, [0.0, 0.0, 0.0, np.inf, np.inf, np.inf, 0.0])

    def test_broadcast_one_to_the_other(self):
        got = error_in_eps(np.array([[1.0, 1.0 + EPS64]]), 1.0)
        np.testing.assert_array_equal(got, [[0.0, 1.0]])
        assert error_in_eps(np.array([1.0, 1.0]), np.array([[1.0, 1.0]])).shape == (1, 2)

    @pytest.mark.parametrize("shapes", [((3,), (4,)), ((3,), (3, 1)), ((2, 1), (1, 2))])
    def test_mismatched_shapes(self, shapes):
        # (3,) against (3, 1) would broadcast to a 3x3 outer comparison: refused.
        a, b = (np.ones(s) for s in shapes)
        with pytest.raises(ValueError, match="computed and exact must have the same shape"):
            error_in_eps(a, b)

    def test_no_eps_for_integers(self):
        with pytest.raises(TypeError, match="the dtype of computed must be a real floating"):
            error_in_eps(np.array([1, 2]), [1.0, 2.0])
        with pytest.raises(TypeError, match="dtype must be a real floating"):
            error_in_eps([1.0], [1.0], dtype=int)
        with pytest.raises(TypeError, match="the dtype of computed"):
            error_in_eps(np.array([True]), [1.0])
        # Integers are fine as values once the unit is named.
        assert error_in_eps(np.array([1, 2]), [1.0, 2.0], np.float64).tolist() == [0.0, 0.0]

    def test_complex_is_refused(self):
        with pytest.raises(TypeError, match="computed must be real"):
            error_in_eps(np.array([1j]), [1.0])
        with pytest.raises(TypeError, match="exact must be real"):
            error_in_eps([1.0], np.array([1j]))

    @given(hnp.arrays(np.float64, 5, elements=st.floats(-1e300, 1e300)),
           hnp.arrays(np.float64, 5, elements=st.floats(-1e300, 1e300)))
    def test_never_negative_and_symmetric_in_sign(self, c, e):
        err = error_in_eps(c, e)
        assert (err >= 0).all()
        np.testing.assert_array_equal(err, error_in_eps(-c, -e))  # |(-c) - (-e)| = |c - e|
