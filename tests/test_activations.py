"""Tests for softmaxlib.activations: values, derivatives, dtypes and edge cases.

Reference values of the sigmoid were computed with mpmath at mp.dps = 50
(``1 / (1 + mpmath.exp(-x))``) and rounded to 17 significant digits.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategies import finite_scores

from softmaxlib import (
    identity,
    naive_sigmoid,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    step,
    step_grad,
)

ALL = [step, sigmoid, relu, identity, step_grad, sigmoid_grad, relu_grad]
EDGES = np.array(
    [-np.inf, -1e308, -800.0, -1.0, -0.0, 0.0, 1e-300, 1.0, 800.0, 1e308, np.inf, np.nan]
)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)

# Bounds in eps follow from the standard model (u = eps/2 per operation) and numpy's float64
# exp within 1 ulp on every SIMD path (umath-validation-set-exp.csv, ulperrortol 1).
EPS = np.finfo(np.float64).eps
SUBNORMAL = float(np.finfo(np.float64).smallest_subnormal)


@pytest.mark.parametrize("f", ALL, ids=lambda f: f.__name__)
class TestCommon:
    """Properties every activation and derivative shares."""

    def test_no_warning_on_extremes(self, f):
        # warnings are errors in this suite, so an overflow would fail here
        out = f(EDGES)
        assert out.shape == EDGES.shape

    def test_nan_propagates(self, f):
        assert np.isnan(f(np.array([np.nan, 1.0])))[0]

    @pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
    def test_float_dtype_is_kept(self, f, dtype):
        assert f(np.array([-2.0, 0.0, 3.0], dtype=dtype)).dtype == dtype

    def test_integers_become_float64(self, f):
        out = f(np.array([-2, 0, 3]))
        assert out.dtype == np.float64
        np.testing.assert_array_equal(out, f(np.array([-2.0, 0.0, 3.0])))

    def test_shape_and_scalar(self, f):
        assert f(np.zeros((2, 3, 4))).shape == (2, 3, 4)
        assert f(0.5).shape == ()
        assert f(np.zeros((0, 3))).shape == (0, 3)

    def test_rejects_complex_bool_and_strings(self, f):
        for bad in ([1 + 2j], [True, False], ["a"]):
            with pytest.raises(TypeError, match="x must"):
                f(bad)


@given(finite_scores())
def test_fuzz_ranges_dtypes_and_no_warnings(x):
    # any finite array of any float dtype, from 1e-30 to 1e300 in scale; warnings are errors
    s, r, g = sigmoid(x), relu(x), sigmoid_grad(x)
    assert s.dtype == r.dtype == g.dtype == x.dtype and s.shape == x.shape
    # Exact, no tolerance: 1/(1 + z) and z/(1 + z) with 0 <= z <= 1 are correctly rounded
    # values in [0, 1]; g = s(w) s(-w) <= 1/4 because the two computed halves never sum to
    # more than 1 (their sum is within 1.5 eps of 1, test_symmetry; from below in practice,
    # checked on 8 million points near 0 where the product is largest).
    assert np.all((s >= 0) & (s <= 1))
    assert np.all(r >= 0) and np.all(r[x > 0] == x[x > 0])
    assert np.all((g >= 0) & (g <= 0.25))
    np.testing.assert_array_equal(relu_grad(x), step(x))


class TestStep:
    def test_values(self):
        np.testing.assert_array_equal(step([-3.0, -0.0, 0.0, 1e-300, 2.0]), [0, 0, 0, 1, 1])

    def test_infinities(self):
        np.testing.assert_array_equal(step([-np.inf, np.inf]), [0.0, 1.0])


class TestSigmoid:
    # mpmath, dps=50: sigma(1) = 0.73105857863000487925..., sigma(2) = 0.88079707797788244406...
    @pytest.mark.parametrize(
        "x, expected",
        [
            (0.0, 0.5),
            (1.0, 0.7310585786300049),
            (2.0, 0.8807970779778824),
            (-2.0, 0.11920292202211756),
            (-40.0, 4.248354255291589e-18),
        ],
    )
    def test_reference_values(self, x, expected):
        # z = exp(-|x|) 1 ulp, 1 + z and the division u each, the reference u: 2.5 eps for
        # z / (1 + z) (x < 0), less for 1 / (1 + z) (was rel=1e-15).
        assert sigmoid(x) == pytest.approx(expected, rel=2.5 * EPS, abs=0)

    @pytest.mark.parametrize(
        "x, expected",
        [
            (-744.0, 1.0e-323),  # e^-744 = 7.7e-324 (mpmath), nearest subnormal 2 x 4.94e-324
            (-745.0, 5.0e-324),  # e^-745 = 2.8e-324 (mpmath), nearest the smallest subnormal
        ],
    )
    def test_subnormal_values(self, x, expected):
        # exp within 1 ulp, here one subnormal step (4.94e-324); 1 + z = 1 exactly. At -744
        # the value is not flushed to 0 even by a 1-ulp exp (was rel=1e-15, exact equality
        # for a subnormal, which the documented accuracy does not promise).
        assert sigmoid(x) == pytest.approx(expected, rel=0, abs=SUBNORMAL)
        if x == -744.0:
            assert sigmoid(x) > 0

    def test_limits(self):
        x = [-np.inf, -1e308, 1e308, np.inf]
        np.testing.assert_array_equal(sigmoid(x), [0.0, 0.0, 1.0, 1.0])

    def test_rounding_not_truncation(self):
        # 0.8807970... rounds to 0.881; writing 0.880 truncates it
        assert round(float(sigmoid(2.0)), 3) == 0.881
        assert np.trunc(float(sigmoid(2.0)) * 1000) / 1000 == 0.880

    @given(finite)
    def test_symmetry(self, x):
        # sigma(-x) = 1 - sigma(x). Both halves share z and D = fl(1 + z), so z's error
        # cancels: (1 (1 + d1) + z (1 + d2)) / D is within 2u of 1, plus the final
        # addition's u: 1.5 eps (was abs=1e-15).
        assert sigmoid(-x) + sigmoid(x) == pytest.approx(1.0, abs=1.5 * EPS)

    @given(st.floats(min_value=-30, max_value=30))
    def test_agrees_with_naive_where_naive_is_safe(self, x):
        # naive 1 / (1 + e^-x): exp 1 ulp, 1 + . and the division u each: 2 eps; stable:
        # 2 eps (test_reference_values): 4 eps. sigma >= 9e-14 on [-30, 30], so no absolute
        # term (was rel=1e-14, abs=1e-300).
        assert sigmoid(x) == pytest.approx(float(naive_sigmoid(x)), rel=4 * EPS, abs=0)

    def test_naive_version_warns_where_stable_one_does_not(self):
        with pytest.warns(RuntimeWarning, match="overflow"):
            naive_sigmoid(np.array([-1000.0]))
        assert sigmoid(-1000.0) == 0.0

    def test_float32_extremes(self):
        # exp(100) overflows float32; sigma(-100) = e^-100 / (1 + e^-100) is a float32 subnormal
        x = np.array([-100.0, 100.0], dtype=np.float32)
        # Exact equality holds on every CPU: the float32 subnormal spacing, 1.4e-45, is 1e14
        # float64 ulps of e^-100 = 3.72e-44 = 26.55 spacings, far from a rounding boundary, so
        # one ulp of float64 exp (array or scalar kernel) cannot change the float32 result.
        expected = np.array([np.exp(-100.0), 1.0]).astype(np.float32)
        np.testing.assert_array_equal(sigmoid(x), expected)


class TestRelu:
    def test_identity_on_the_whole_positive_half_line(self):
        # the misstatement "identity for x > 1" fails at x = 0.5
        x = np.array([1e-300, 0.5, 0.999, 1.0, 7.0])
        np.testing.assert_array_equal(relu(x), x)

    def test_zero_for_non_positive(self):
        np.testing.assert_array_equal(relu([-np.inf, -5.0, -1e-300, 0.0]), [0.0, 0.0, 0.0, 0.0])

    def test_infinity(self):
        assert relu(np.inf) == np.inf

    @given(finite)
    def test_equals_max(self, x):
        assert relu(x) == max(0.0, x)


class TestIdentity:
    def test_returns_a_copy(self):
        x = np.array([1.0, -2.0])
        y = identity(x)
        y[0] = 5.0
        assert x[0] == 1.0

    def test_values(self):
        np.testing.assert_array_equal(identity([-np.inf, 2.5, np.inf]), [-np.inf, 2.5, np.inf])


def _central_difference(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


class TestStepGrad:
    def test_zero_almost_everywhere(self):
        np.testing.assert_array_equal(step_grad([-2.0, -1e-9, 0.0, 1e-9, 3.0]), 0.0)


class TestSigmoidGrad:
    def test_bounded_by_a_quarter(self):
        x = np.linspace(-20, 20, 4001)
        g = sigmoid_grad(x)
        assert g.max() == 0.25 and g.argmax() == 2000
        assert np.all(g <= 0.25) and np.all(g > 0)

    def test_matches_central_difference(self):
        x = np.linspace(-8, 8, 33)
        numeric = _central_difference(sigmoid, x)
        # h = 1e-6: sigmoid's 2 eps at both points over 2h: 4.4e-10 absolute; x + h and
        # x - h round by u |x| each, a relative error of eps |x| / 2h <= 8.9e-10 for |x| <= 8;
        # truncation h^2 |sigma^(3)| / 6 <= 2.1e-14. (Was rtol=1e-7 and atol=1e-10, the
        # latter below the rounding bound where sigma is near 1.)
        np.testing.assert_allclose(sigmoid_grad(x), numeric, rtol=EPS * 8 / 2e-6,
                                   atol=4 * EPS / 2e-6 + 2.1e-14)

    def test_accurate_in_the_tails(self):
        # sigma'(40) = e^-40 / (1 + e^-40)^2 = 4.248354255291589e-18 (mpmath, dps=50);
        # sigma * (1 - sigma) would give exactly 0
        # sigma(40) 1.5 eps, sigma(-40) 2 eps, the product u, the reference u: 4.5 eps
        # (was rel=1e-14).
        assert sigmoid_grad(40.0) == pytest.approx(4.248354255291589e-18, rel=4.5 * EPS)
        assert sigmoid_grad(-40.0) == sigmoid_grad(40.0)

    def test_limits(self):
        np.testing.assert_array_equal(sigmoid_grad([-np.inf, np.inf]), [0.0, 0.0])


class TestReluGrad:
    def test_values_away_from_zero(self):
        np.testing.assert_array_equal(relu_grad([-3.0, -1e-300, 1e-300, 0.5, 2.0]), [0, 0, 1, 1, 1])

    def test_zero_at_zero_is_the_subgradient_choice(self):
        # any value in [0, 1] is a subgradient at 0; the documented choice is 0
        assert relu_grad(0.0) == 0.0
        assert relu_grad(-0.0) == 0.0

    def test_matches_central_difference_away_from_zero(self):
        x = np.array([-3.0, -0.5, 0.5, 3.0])
        # relu is linear here, so no truncation; x + h and x - h round by u |x| each, the
        # difference and the division by u: eps |x| / 2h + eps = 3.3e-10 for |x| = 3 (was 1e-9).
        np.testing.assert_allclose(relu_grad(x), _central_difference(relu, x),
                                   rtol=EPS * 3 / 2e-6 + EPS)

    def test_infinities(self):
        np.testing.assert_array_equal(relu_grad([-np.inf, np.inf]), [0.0, 1.0])
