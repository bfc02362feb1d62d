"""Tests for softmaxlib.calculus: Jacobians, their products, cross-entropy, numerical Jacobian.

Reference values come from three independent places, named at each use:
* closed forms derived by hand (e.g. softmax of equal scores is uniform, so CE = log n);
* mpmath at 50 significant digits, evaluating the defining formula directly
  (-log(exp(z_y) / sum exp(z_k)) and s_i (delta_ij - s_j));
* finite differences of softmaxlib.softmax / log_softmax / cross_entropy.

Bounds are in units of eps = 2.2e-16 and follow from the standard model fl(a op b) =
(a op b)(1 + d), |d| <= u = eps/2, numpy's float64 exp/log within 1 ulp on every SIMD path
(umath-validation-set-{exp,log}.csv, ulperrortol 1), and softmaxlib.core's own bound: softmax
and log_softmax within CORE_BOUND eps relative (tests/test_core.py). A sum of n terms in
any order is within (n - 1) u sum |terms| (so BLAS's order does not matter); an mpmath
reference rounded to float64 adds u relative. Two layouts of the same data may run different
exp kernels (numpy's SIMD loops need loadable strides), so "the same computation along
another axis" is compared at twice the bound, not bit for bit.
"""

import math
import tracemalloc

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from softmaxlib import (
    cross_entropy,
    cross_entropy_grad,
    log_softmax,
    log_softmax_jvp,
    log_softmax_vjp,
    numerical_jacobian,
    softmax,
    softmax_jacobian,
    softmax_jvp,
    softmax_vjp,
)
from strategies import log_softmax_bound, softmax_bound

mpmath.mp.dps = 50


EPS = np.finfo(np.float64).eps
EPS32 = np.finfo(np.float32).eps
EPS16 = np.finfo(np.float16).eps
TINY = float(np.finfo(np.float64).smallest_subnormal)

def core_bound(n):
    """softmaxlib.core's float64 bound in eps for rows of n entries: the larger of
    tests/strategies.py's softmax_bound and log_softmax_bound (also logsumexp's)."""
    return max(softmax_bound(n, np.float64), log_softmax_bound(n, np.float64))


#: core's bound at the longest row used with it in this file (n <= 7); the bounds grow with n.
CORE_BOUND = core_bound(7)


def jacobian_bound(n):
    """Relative bound in eps of each entry of softmax_jacobian against a rounded reference.

    s_i and s_j: CORE_BOUND eps each; 1 - s_i: u, or for the largest entry the sum of the
    n - 1 others, CORE_BOUND eps + (n - 2) u; the product u; the reference u.
    """
    return 2 * CORE_BOUND + (n - 2) / 2 + 0.5 + 0.5

finite = st.floats(-30.0, 30.0, allow_nan=False, allow_infinity=False)
rows = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
                  elements=finite)


def product_bounds(s, v):
    """Per-entry absolute bounds, in eps, of softmax_jvp / log_softmax_jvp / log_softmax_vjp
    against the same product formed with the full matrix (J or L = I - s) and einsum.

    With M = max |v| over the row and C = CORE_BOUND: _centred's w - <s, w - w_k> is within
    (n + 7 + C) eps M (d = w - w_k: u 2M; <s, d>: s's C eps, the products u and n - 1
    additions, of sum s|d| <= 2M; the final subtraction u 2M). softmax_jvp multiplies by s
    (C + 0.5 eps more of 2M s_i); the einsum with J, each entry within jacobian_bound(n),
    adds (jacobian_bound(n) + (n - 1)/2) eps of sum_j |J_ij| |v_j| <= 2 s_i M. For L, entries
    within C + 0.5 eps, einsum adds (C + 0.5 + n/2) eps of 2M (jvp) or of (1 + n) M (vjp);
    log_softmax_vjp's sum(g) carries (n - 1)/2 eps of n M, times s <= 1, and its other steps
    (6 + C) eps M.
    """
    n = s.shape[-1]
    M = np.abs(v).max(axis=-1, keepdims=True)
    c = n + 7 + CORE_BOUND  # _centred's bound
    soft = (c + 2 * (CORE_BOUND + 0.5) + 2 * (jacobian_bound(n) + (n - 1) / 2)) * s * M
    log_jvp = (c + 2 * (CORE_BOUND + 0.5) + n) * M * np.ones_like(s)
    log_vjp = (n * (n - 1) / 2 + 6 + CORE_BOUND + (CORE_BOUND + 0.5 + n / 2) * (1 + n)) * M
    log_vjp = log_vjp * np.ones_like(s)
    return soft, log_jvp, log_vjp


def mp_softmax(z):
    """Softmax of a 1-D sequence by its definition, in mpmath (50 digits)."""
    e = [mpmath.exp(mpmath.mpf(float(v))) for v in z]
    total = mpmath.fsum(e)
    return [v / total for v in e]


def mp_jacobian(z):
    """s_i (delta_ij - s_j) from mpmath probabilities, as float64."""
    s = mp_softmax(z)
    n = len(s)
    return np.array([[float(s[i] * ((1 if i == j else 0) - s[j])) for j in range(n)]
                     for i in range(n)])


def mp_cross_entropy(z, y):
    """-log(exp(z_y) / sum exp(z_k)) in mpmath, as float64."""
    return float(-mpmath.log(mp_softmax(z)[y]))


# --------------------------------------------------------------------------------------------


class TestCrossEntropy:
    def test_uniform_is_log_n(self):
        # Closed form: equal logits give probability 1/n to every class, so CE = log n.
        for n in (2, 3, 10, 1000):
            # core's bound for n entries plus math.log's 1 ulp (libm); was rel=1e-15.
            assert cross_entropy(np.zeros(n), 1) == pytest.approx(math.log(n),
                                                                 rel=(core_bound(n) + 1) * EPS)

    def test_against_mpmath(self):
        # Reference: mpmath at 50 digits, see mp_cross_entropy.
        rng = np.random.default_rng(1)
        z = rng.normal(scale=5.0, size=(6, 7))
        y = rng.integers(0, 7, size=6)
        expected = [mp_cross_entropy(z[i], y[i]) for i in range(6)]
        got = cross_entropy(z, y, reduction="none")
        # Per sample: core's CORE_BOUND eps plus the reference's rounding (was rtol=1e-14).
        np.testing.assert_allclose(got, expected, rtol=(CORE_BOUND + 0.5) * EPS)
        # Sum of 6 positive terms: CORE_BOUND eps each plus 5 additions (2.5 eps), on both sides but
        # the 3; the mean's division adds 0.5 eps on both sides (was rel=1e-14).
        sum_rel = (CORE_BOUND + 0.5 + 2 * 2.5) * EPS
        assert cross_entropy(z, y) == pytest.approx(np.mean(expected), rel=sum_rel + EPS)
        assert cross_entropy(z, y, reduction="sum") == pytest.approx(np.sum(expected), rel=sum_rel)

    def test_huge_gap_is_exact(self):
        # Closed form: CE of [800, 0] at label 1 is 800 + log(1 + e^-800) = 800 in float64.
        # log(softmax) would give inf here; log(softmax + 1e-7) would give 16.118.
        assert float(cross_entropy([800.0, 0.0], 1)) == 800.0
        assert float(cross_entropy([800.0, 0.0], 0)) == 0.0

    def test_soft_labels_equal_hard_labels_for_onehot(self):
        rng = np.random.default_rng(2)
        z = rng.normal(size=(5, 4))
        y = rng.integers(0, 4, size=5)
        onehot = np.eye(4)[y]
        # The same log_softmax row; 1 * l is exact and adding the zeros of the other classes
        # is exact: equal, bit for bit (was rtol=1e-15, and the default 1e-7 below).
        np.testing.assert_array_equal(cross_entropy(z, onehot, reduction="none"),
                                      cross_entropy(z, y, reduction="none"))
        # An integer one-hot array of the logits' shape is read as probabilities too.
        np.testing.assert_array_equal(cross_entropy(z, onehot.astype(int)), cross_entropy(z, y))

    def test_soft_labels_against_formula(self):
        # Reference: -sum t_k log s_k with mpmath probabilities.
        z = np.array([1.0, -2.0, 0.5])
        t = np.array([0.2, 0.3, 0.5])
        s = mp_softmax(z)
        expected = float(-mpmath.fsum(mpmath.mpf(ti) * mpmath.log(si) for ti, si in zip(t, s)))
        # log s_k CORE_BOUND eps each, times t_k u, 3 terms of one sign 2u, reference u: 5 eps
        # (was rel=1e-14).
        assert float(cross_entropy(z, t)) == pytest.approx(expected, rel=(CORE_BOUND + 2) * EPS)

    def test_zero_target_times_minus_inf_is_zero(self):
        # 0 * log 0 counts as 0: a class with -inf logit and zero target weight adds nothing.
        z = np.array([0.0, -np.inf])
        assert float(cross_entropy(z, [1.0, 0.0])) == 0.0

    def test_axis(self):
        rng = np.random.default_rng(3)
        z = rng.normal(size=(3, 5, 2))
        y = rng.integers(0, 5, size=(3, 2))
        moved = np.moveaxis(z, 1, -1)
        # Two layouts, each within CORE_BOUND eps of the exact loss (module docstring); was 1e-15.
        np.testing.assert_allclose(cross_entropy(z, y, axis=1, reduction="none"),
                                   cross_entropy(moved, y, reduction="none"),
                                   rtol=2 * CORE_BOUND * EPS)
        assert cross_entropy(z, y, axis=1, reduction="none").shape == (3, 2)

    def test_float32_and_int(self):
        z = np.array([[2.0, 0.0, 0.0]], dtype=np.float32)
        out = cross_entropy(z, [0])
        assert out.dtype == np.float32
        # Reference: mpmath. float32 is computed in float64 (3 eps) and rounded once to
        # float32 (u32 = 6e-8 relative); was rel=1e-7.
        assert float(out) == pytest.approx(mp_cross_entropy([2.0, 0.0, 0.0], 0),
                                           rel=EPS32 / 2 + CORE_BOUND * EPS)
        assert cross_entropy(np.array([[2, 0, 0]]), [0]).dtype == np.float64

    def test_float_labels_with_whole_values(self):
        z = np.zeros((2, 3))
        assert cross_entropy(z, np.array([0.0, 2.0])) == cross_entropy(z, [0, 2])

    def test_nan_logits_propagate(self):
        assert np.isnan(cross_entropy([np.nan, 0.0], 0))

    def test_empty_batch(self):
        z = np.zeros((0, 3))
        y = np.zeros(0, dtype=int)
        assert cross_entropy(z, y, reduction="none").shape == (0,)
        assert float(cross_entropy(z, y, reduction="sum")) == 0.0
        assert np.isnan(cross_entropy(z, y))

    @pytest.mark.parametrize(
        "target, match",
        [
            ([0, 3], "labels must lie in"),
            ([0, -1], "labels must lie in"),
            ([0.0, 1.5], "integer class labels"),
            ([0.0, np.nan], "integer class labels"),
            ([0, 1, 2], "target must be integer labels of shape"),
            (np.full((2, 3), 0.5), "sum to 1"),
            (np.array([[1.5, -0.5, 0.0], [1.0, 0.0, 0.0]]), "non-negative"),
            (np.array([[np.nan, 1.0, 0.0], [1.0, 0.0, 0.0]]), "finite"),
        ],
    )
    def test_bad_target(self, target, match):
        with pytest.raises(ValueError, match=match):
            cross_entropy(np.zeros((2, 3)), target)
        with pytest.raises(ValueError, match=match):
            cross_entropy_grad(np.zeros((2, 3)), target)

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="reduction"):
            cross_entropy(np.zeros(3), 0, reduction="avg")
        with pytest.raises(ValueError, match="logits must have at least one dimension"):
            cross_entropy(1.0, 0)
        with pytest.raises(TypeError, match="target"):
            cross_entropy(np.zeros(2), np.array(True))
        with pytest.raises(TypeError, match="target must be real"):
            cross_entropy(np.zeros(2), np.array([1j, 0.0]))
        with pytest.raises(TypeError, match="logits"):
            cross_entropy(["a", "b"], 0)
        with pytest.raises(TypeError, match="axis"):
            cross_entropy(np.zeros((2, 2)), [0, 0], axis=(0, 1))

    @given(rows, st.data())
    def test_nonnegative_and_shift_invariant(self, z, data):
        n = z.shape[-1]
        y = data.draw(hnp.arrays(np.int64, z.shape[:-1], elements=st.integers(0, n - 1)))
        loss = cross_entropy(z, y, reduction="none")
        assert np.all(loss >= 0)
        # z + 7 rounds each logit by u |z + 7| <= 18.5 eps (|z| <= 30); the loss moves by at
        # most sum |dL/dz_i| = 2 (1 - p_y) <= 2 times that: 37 eps absolute; each side is also
        # within CORE_BOUND eps of its |L| (was rtol=1e-12, atol=1e-12).
        np.testing.assert_allclose(cross_entropy(z + 7.0, y, reduction="none"), loss,
                                   rtol=2 * CORE_BOUND * EPS, atol=37 * EPS)


class TestCrossEntropyGrad:
    def test_softmax_minus_onehot(self):
        rng = np.random.default_rng(4)
        z = rng.normal(size=(4, 3))
        y = np.array([0, 2, 1, 1])
        expected = softmax(z) - np.eye(3)[y]
        # The same softmax of the same contiguous rows, p - 1 at the label and p - 0 = p
        # elsewhere, and / 4 is exact: equal, bit for bit (was atol=1e-16).
        np.testing.assert_array_equal(cross_entropy_grad(z, y, reduction="sum"), expected)
        np.testing.assert_array_equal(cross_entropy_grad(z, y, reduction="none"), expected)
        np.testing.assert_array_equal(cross_entropy_grad(z, y), expected / 4)

    @pytest.mark.parametrize("reduction", ["mean", "sum"])
    def test_matches_complex_step(self, reduction):
        # Reference: complex-step derivative of cross_entropy itself (no subtraction).
        rng = np.random.default_rng(5)
        z = rng.normal(scale=3.0, size=(3, 4))
        y = np.array([3, 0, 1])
        num = numerical_jacobian(lambda w: cross_entropy(w, y, reduction=reduction), z,
                                 "complex")
        # Both are p - t (over the batch of 3 for "mean"), p within CORE_BOUND eps on each side,
        # plus the complex arithmetic's own roundings (a complex product or quotient: 2 eps) and
        # the subtraction of 1: 9 eps of |p| <= 1 (was atol=1e-15).
        scale = 1 / 3 if reduction == "mean" else 1.0
        np.testing.assert_allclose(cross_entropy_grad(z, y, reduction=reduction), num,
                                   rtol=0, atol=(2 * CORE_BOUND + 2 + 1) * EPS * scale)

    def test_soft_labels_against_central(self):
        rng = np.random.default_rng(6)
        z = rng.normal(size=(2, 5))
        t = softmax(rng.normal(size=(2, 5)))
        num = numerical_jacobian(lambda w: cross_entropy(w, t), z)
        # Central differences at h >= cbrt(eps) = 6e-6: the loss is within 8 eps |L| (3 for
        # log_softmax, t * log and 5 additions 3, the mean 2) on each side, so the rounding
        # is 2 (8 eps |L|) / 2h; truncation h^2 |f^(3)| / 6 <= 1e-11 (|f^(3)| <= 0.1 for
        # log-sum-exp, h <= 1.8e-5). About 5e-10 for |L| ~ 1.7: the old atol=1e-10 held only
        # because rounding errors are rarely worst-case.
        L = float(cross_entropy(z, t))
        atol = 2 * 8 * EPS * L / (2 * np.cbrt(EPS)) + 1e-11
        np.testing.assert_allclose(cross_entropy_grad(z, t), num, rtol=0, atol=atol)

    def test_axis_and_dtype(self):
        rng = np.random.default_rng(7)
        z = rng.normal(size=(3, 4, 2)).astype(np.float32)
        y = rng.integers(0, 4, size=(3, 2))
        g = cross_entropy_grad(z, y, axis=1)
        assert g.shape == z.shape and g.dtype == np.float32
        # Each entry is rounded once to float32 (u32 |g|), then 3 float32 additions: the sum
        # of 4 is within 4 u32 sum |g| = 2 eps32 sum |g| of 0 (was atol=1e-7).
        atol = 2 * EPS32 * np.abs(g).sum(axis=1)
        assert (np.abs(g.sum(axis=1)) <= atol).all()
        expected = np.moveaxis(cross_entropy_grad(np.moveaxis(z, 1, -1), y), -1, 1)
        # Two layouts (module docstring), each one float32 rounding of a float64 value
        # within CORE_BOUND eps: apart by at most one float32 ulp, eps32 relative (was rtol=1e-6).
        np.testing.assert_allclose(g, expected, rtol=EPS32)

    def test_huge_logits_finite(self):
        g = cross_entropy_grad([1000.0, 0.0], 1)
        np.testing.assert_array_equal(g, [1.0, -1.0])

    @given(rows, st.data())
    def test_rows_sum_to_zero(self, z, data):
        n = z.shape[-1]
        y = data.draw(hnp.arrays(np.int64, z.shape[:-1], elements=st.integers(0, n - 1)))
        g = cross_entropy_grad(z, y, reduction="sum")
        # sum_i (p_i - t_i) = 0: each p_i within CORE_BOUND eps (sum p = 1, so CORE_BOUND eps in
        # all), p_y - 1
        # rounds by u, n - 1 additions by u sum |g| <= 2u each (was atol=1e-12).
        n = z.shape[-1]
        np.testing.assert_allclose(g.sum(axis=-1), 0.0, atol=(CORE_BOUND + 0.5 + (n - 1)) * EPS)
        assert np.all(g <= 1.0) and np.all(g >= -1.0)


# --------------------------------------------------------------------------------------------


class TestSoftmaxJacobian:
    def test_two_equal_scores(self):
        # Closed form: s = (1/2, 1/2) so J = [[1/4, -1/4], [-1/4, 1/4]].
        np.testing.assert_array_equal(softmax_jacobian([0.0, 0.0]),
                                      [[0.25, -0.25], [-0.25, 0.25]])

    def test_against_mpmath(self):
        # Reference: s_i (delta_ij - s_j) in mpmath, see mp_jacobian.
        z = np.array([1.0, -3.0, 0.25, 2.5, 0.0])
        # jacobian_bound(5) = 8.5 eps per entry (was rtol=1e-14, atol=1e-17).
        np.testing.assert_allclose(softmax_jacobian(z), mp_jacobian(z),
                                   rtol=jacobian_bound(5) * EPS)

    @pytest.mark.parametrize("z", [20.0, 40.0, 100.0, 700.0])
    def test_dominant_class_diagonal_is_accurate(self, z):
        # Reference: s0 (1 - s0) = e^-z / (1 + e^-z)^2 for scores [z, 0], in mpmath (no
        # cancellation in this form). s0 - s0**2 would give 0 in float64 once s0 rounds to 1.
        ref = float(mpmath.exp(-z) / (1 + mpmath.exp(-z)) ** 2)
        J = softmax_jacobian([z, 0.0])
        # jacobian_bound(2) = 7 eps per entry; the products with a unit vector pick one
        # column or row, adding at most one more rounding (was rtol=1e-14).
        rtol = (jacobian_bound(2) + 1) * EPS
        np.testing.assert_allclose(J, [[ref, -ref], [-ref, ref]], rtol=rtol)
        np.testing.assert_allclose(softmax_jvp([z, 0.0], [1.0, 0.0]), [ref, -ref], rtol=rtol)
        np.testing.assert_allclose(softmax_vjp([z, 0.0], [1.0, 0.0]), [ref, -ref], rtol=rtol)
        # d log s0 / d z0 = 1 - s0 = e^-z / (1 + e^-z), also from the sum of the others.
        one_minus = float(mpmath.exp(-z) / (1 + mpmath.exp(-z)))
        # 1 - s0 = s1: CORE_BOUND eps, one more rounding in the product, the reference's u.
        rtol = (CORE_BOUND + 1.5) * EPS
        np.testing.assert_allclose(log_softmax_vjp([z, 0.0], [1.0, 0.0]),
                                   [one_minus, -one_minus], rtol=rtol)
        np.testing.assert_allclose(log_softmax_jvp([z, 0.0], [1.0, 0.0])[0], one_minus,
                                   rtol=rtol)

    def test_batched_shapes_and_axis(self):
        rng = np.random.default_rng(8)
        z = rng.normal(size=(2, 3, 4))
        J = softmax_jacobian(z, axis=1)
        assert J.shape == (2, 4, 3, 3)
        for a in range(2):
            for b in range(4):
                # jacobian_bound(3) per entry; the old atol=1e-16 was below the
                # worst case (even 7.5 eps of an entry of 0.25 is 4e-16).
                np.testing.assert_allclose(J[a, b], mp_jacobian(z[a, :, b]),
                                           rtol=jacobian_bound(3) * EPS)
        assert softmax_jacobian(z).shape == (2, 3, 4, 4)

    def test_properties(self):
        rng = np.random.default_rng(9)
        J = softmax_jacobian(rng.normal(scale=2.0, size=(10, 6)))
        # The exact row sums are 0; each entry is within jacobian_bound(6) = 9 eps of its
        # magnitude and the sum adds 5 u of sum |J|: (9 + 2.5) eps sum |J| (was atol=4e-16,
        # below the worst case for sum |J| up to 0.5).
        bound = (jacobian_bound(6) + 2.5) * EPS * np.abs(J).sum(axis=-1)
        assert (np.abs(J.sum(axis=-1)) <= bound).all()  # shift invariance
        assert (np.abs(J.sum(axis=-2)) <= bound).all()  # sum of s stays 1 (J is symmetric)
        np.testing.assert_array_equal(J, np.swapaxes(J, -1, -2))
        # LAPACK's eigenvalues are within n eps ||J||_2 of those of the stored J, and the
        # stored J within 9 eps entrywise (||.||_2 <= n max) of the exact one, whose spectrum
        # lies in [0, max s] (was -1e-16, below the worst case).
        eig = np.linalg.eigvalsh(J)
        tol = (jacobian_bound(6) + 6) * 6 * EPS * np.abs(J).max(axis=(-2, -1))[:, None]
        assert np.all(eig >= -tol) and np.all(eig <= 0.5 + tol)

    def test_float32(self):
        J = softmax_jacobian(np.array([1.0, 2.0, 3.0], dtype=np.float32))
        assert J.dtype == np.float32
        # At worst computed in float32 from a rounded s: s_i, s_j and 1 - s_i rounded (u32
        # each), the product u32, the float32 result against the float64 reference: 2.5 eps32
        # plus the float64 terms (was rtol=1e-6 = 8.4 eps32, atol=1e-8).
        np.testing.assert_allclose(J, mp_jacobian([1.0, 2.0, 3.0]),
                                   rtol=2.5 * EPS32 + jacobian_bound(3) * EPS)

    def test_matches_numerical(self):
        z = np.array([0.3, -1.2, 2.0, 0.0])
        J = softmax_jacobian(z)
        # Complex step: no subtraction, so the entries carry only rounding, jacobian_bound(4)
        # = 8 eps, plus 2 eps for complex products and quotients, on |J| <= 1/4.
        assert np.abs(numerical_jacobian(softmax, z, "complex") - J).max() < 10 * EPS / 4
        # Central at h = cbrt(eps) = 6e-6: rounding 2 (3 eps) / 2h = 1.1e-10 and truncation
        # h^2 |s^(3)| / 6 <= 1e-11 (|s^(3)| <= 1): 1.3e-10 (was 1e-9).
        assert np.abs(numerical_jacobian(softmax, z) - J).max() < 1.3e-10

    def test_bad_input(self):
        with pytest.raises(ValueError, match="at least one dimension"):
            softmax_jacobian(1.0)
        with pytest.raises(TypeError, match="axis must be a single int"):
            softmax_jacobian(np.zeros((2, 2)), axis=None)
        with pytest.raises(np.exceptions.AxisError):
            softmax_jacobian(np.zeros(3), axis=1)

    @given(rows)
    def test_psd_with_ones_in_null_space(self, z):
        J = softmax_jacobian(z)
        n = z.shape[-1]
        # As in test_properties: the row sums are within (bound + (n - 1)/2) eps sum |J| of
        # 0, the eigenvalues within (bound + n) n eps max |J| of [0, max s] (was 1e-15 for
        # both: a 6-entry row of |J| up to 0.5 can reach 2.5e-15).
        rows = (jacobian_bound(n) + (n - 1) / 2) * EPS * np.abs(J).sum(axis=-1)
        assert (np.abs(J @ np.ones(n)) <= rows).all()
        eig = np.linalg.eigvalsh(J)
        tol = (jacobian_bound(n) + n) * n * EPS * np.abs(J).max(axis=(-2, -1))[..., None]
        assert np.all(eig >= -tol)
        assert np.all(eig <= np.max(softmax(z), axis=-1, keepdims=True) + tol)


class TestProducts:
    """softmax_jvp / softmax_vjp / log_softmax_jvp / log_softmax_vjp against full matrices."""

    def test_against_matrices(self):
        rng = np.random.default_rng(10)
        z = rng.normal(size=(3, 7))
        v = rng.normal(size=(3, 7))
        J = softmax_jacobian(z)
        s = softmax(z)
        L = np.eye(7) - s[:, None, :]  # closed form of d log_softmax / dz
        # Worst-case bounds of product_bounds (was atol=1e-15 and 1e-14, met here with 1 eps
        # M per entry; a worst case is not excluded by anything but luck).
        soft, log_jvp, log_vjp = (b * EPS for b in product_bounds(s, v))
        assert (np.abs(softmax_jvp(z, v) - np.einsum("bij,bj->bi", J, v)) <= soft).all()
        assert (np.abs(softmax_vjp(z, v) - np.einsum("bi,bij->bj", v, J)) <= soft).all()
        assert (np.abs(log_softmax_jvp(z, v) - np.einsum("bij,bj->bi", L, v)) <= log_jvp).all()
        assert (np.abs(log_softmax_vjp(z, v) - np.einsum("bi,bij->bj", v, L)) <= log_vjp).all()

    def test_log_softmax_matrix_is_numerical(self):
        z = np.array([0.5, -1.0, 2.0])
        L = numerical_jacobian(log_softmax, z, "complex")
        v = np.array([1.0, 2.0, -0.5])
        # As product_bounds, the complex-step L's entries carrying 2 eps more (complex
        # products and quotients) than I - s: + 2 eps of (1 + n) M (was atol=1e-15).
        _, log_jvp, log_vjp = product_bounds(softmax(z), v)
        extra = 2 * (1 + 3) * np.abs(v).max()
        assert (np.abs(log_softmax_jvp(z, v) - L @ v) <= (log_jvp + extra) * EPS).all()
        assert (np.abs(log_softmax_vjp(z, v) - v @ L) <= (log_vjp + extra) * EPS).all()

    def test_axis(self):
        rng = np.random.default_rng(11)
        z = rng.normal(size=(4, 3, 2))
        v = rng.normal(size=(4, 3, 2))
        for f in (softmax_jvp, softmax_vjp, log_softmax_jvp, log_softmax_vjp):
            out = f(z, v, axis=1)
            ref = np.moveaxis(f(np.moveaxis(z, 1, -1), np.moveaxis(v, 1, -1)), -1, 1)
            # Two layouts (module docstring): each within its own rounding of the exact
            # product, at most the larger product bound, twice (was atol=1e-16).
            bound = 2 * max(b.max() for b in product_bounds(softmax(z, axis=1), v)) * EPS
            np.testing.assert_allclose(out, ref, rtol=0, atol=bound)

    def test_float32(self):
        z = np.array([1.0, 2.0, 3.0], dtype=np.float32)
        v = np.array([1.0, 0.0, -1.0], dtype=np.float32)
        out = softmax_jvp(z, v)
        assert out.dtype == np.float32
        # Computed in float64 (product_bounds, eps) and rounded once to float32 (u32), against
        # a float64 reference from J (jacobian_bound); was rtol=1e-6 = 8.4 eps32.
        soft, _, _ = product_bounds(softmax(z.astype(np.float64)), v.astype(np.float64))
        expected = mp_jacobian([1.0, 2.0, 3.0]) @ [1.0, 0.0, -1.0]
        bound = EPS32 / 2 * np.abs(expected) + soft * EPS
        assert (np.abs(out - expected) <= bound).all()

    def test_wide_row_without_matrix(self):
        # n = 20,000: the matrix would take 3.2 GB; the products must stay O(n).
        n = 20_000
        rng = np.random.default_rng(12)
        z = rng.normal(size=n)
        v = rng.normal(size=n)
        tracemalloc.start()
        try:
            jv = softmax_jvp(z, v)
            gv = log_softmax_vjp(z, v)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 50 * n * 8  # a few dozen vectors at most, never n * n
        s = softmax(z)
        # Reference: the closed form s (v - <s, v>), with the sums in exact arithmetic by
        # math.fsum (then rounded once), on the same s. The library computes <s, v> as
        # v_k + <s, v - v_k> (k the most likely class): with S = sum s |v| + |v_k|, that is
        # within ((n - 1)/2 + core_bound(n) + 0.5) eps S (n - 1 additions in any order, s's
        # core_bound(n) eps, the products' u); each entry adds the roundings of v_i - v_k and the last subtraction,
        # eps (|v_i| + |v_k|), and of the product by s, 2 eps |result|. (Was rtol=1e-12,
        # atol=1e-20: v_i - <s, v> may cancel, so a relative bound alone is not justified.)
        k = int(np.argmax(s))
        big = math.fsum(np.abs(s * v)) + abs(v[k])
        dot = math.fsum(s * v)
        ref_jv = s * (v - dot)
        dot_err = ((n - 1) / 2 + core_bound(n) + 0.5) * EPS * big
        jv_bound = s * (dot_err + EPS * (np.abs(v) + abs(v[k]))) + 2 * EPS * np.abs(ref_jv)
        assert (np.abs(jv - ref_jv) <= jv_bound).all()
        # g - s sum(g) as g (1 - s) - s (sum(g) - g): sum(g) within (n - 1) u sum |g|; the
        # other steps 5 eps of |g_i| + s_i sum |g|, and 1 - s_k, a sum of n - 1
        # probabilities, (n - 2) u more at k (was rtol=1e-12, atol=1e-12).
        ref_gv = v - s * math.fsum(v)
        total = math.fsum(np.abs(v))
        extra = np.full(n, 5.0)
        extra[k] += (n - 2) / 2
        gv_bound = s * (n - 1) / 2 * EPS * total + extra * EPS * (np.abs(v) + s * total)
        assert (np.abs(gv - ref_gv) <= gv_bound).all()
        # sum_i s_i (v_i - d) = <s, v> - d sum s = d (1 - sum s), |1 - sum s| <= CORE_BOUND eps
        # (s within CORE_BOUND eps each); plus the entries' bounds and the final sum's (n - 1) u
        # sum |jv| (was 1e-15).
        bound = math.fsum(jv_bound) + core_bound(n) * EPS * abs(dot)
        bound += (n - 1) / 2 * EPS * math.fsum(np.abs(jv))
        assert abs(jv.sum()) <= bound

    def test_shape_mismatch(self):
        with pytest.raises(ValueError, match="v must have the shape of x"):
            softmax_jvp(np.zeros(3), np.zeros(4))
        with pytest.raises(ValueError, match="g must have the shape of x"):
            log_softmax_vjp(np.zeros(3), np.zeros((2, 3)))

    @given(rows, st.data())
    def test_products_sum_properties(self, z, data):
        v = data.draw(hnp.arrays(np.float64, z.shape, elements=finite))
        n = z.shape[-1]
        soft, log_jvp, log_vjp = product_bounds(softmax(z), v)
        # J v sums to 0 (probabilities keep total 1); L^T g ... sums to sum(g) - sum(g) = 0.
        # Each entry within its product bound of the exact product (whose sum is 0), plus
        # the n - 1 additions' u of sum |entries| <= 2 max|v| n (was atol=1e-12 and 1e-11).
        # Hypothesis draws subnormal v too, where a product or quotient also errs by up to
        # half the smallest subnormal (fl(x * y) = xy (1 + d) + e): (n + 3) of them per entry.
        M = np.abs(v).max(axis=-1)
        under = (n + 3) * n * TINY
        assert (np.abs(softmax_jvp(z, v).sum(axis=-1))
                <= (soft.sum(axis=-1) + (n - 1) * n * M) * EPS + under).all()
        assert (np.abs(log_softmax_vjp(z, v).sum(axis=-1))
                <= (log_vjp.sum(axis=-1) + (n - 1) * n * M) * EPS + under).all()
        # Adding a constant to v changes log_softmax_jvp not at all (it removes <s, v>), but
        # v + 3 rounds (u |v + 3| <= 16.5 eps, |v| <= 30), which L (row sums of |L| <= 2)
        # passes on doubled; both sides within the log_jvp bound with max |v| + 3 (was 1e-12).
        log_jvp_coef = 2 * n + 8 + 3 * CORE_BOUND  # product_bounds' log_jvp over M
        bound = (33 + 2 * log_jvp_coef * (M + 3))[..., None] * EPS + 2 * (n + 3) * TINY
        assert (np.abs(log_softmax_jvp(z, v + 3.0) - log_softmax_jvp(z, v)) <= bound).all()


class TestNumericalJacobian:
    def test_shapes(self):
        jac = numerical_jacobian(lambda w: np.sum(w**2), np.ones((2, 3)))
        assert jac.shape == (2, 3)
        jac = numerical_jacobian(lambda w: np.outer(w, w), np.ones(3), "complex")
        assert jac.shape == (3, 3, 3)

    def test_polynomial(self):
        # Closed form: d/dx x^3 = 3x^2. Central differences are exact up to h^2 f'''/6 = h^2.
        x = np.array([2.0])
        # Complex step: Im((2 + ih)^3) / h = 12 - h^2 = 12 in float64; numpy's complex cube
        # and the division by h round a few times: 4 eps (was rel=1e-15, the same 4.5 eps).
        assert numerical_jacobian(lambda w: w**3, x, "complex")[0, 0] == pytest.approx(12.0,
                                                                                        rel=4 * EPS)
        # The default step at x = 2 is h = 2 cbrt(eps): truncation h^2 f^(3)/6 = h^2 (f^(3) = 6)
        # plus rounding 2 (u 8) / 2h = 7e-11 < h^2 = 1.5e-10: abs = 2 h^2.
        h = np.cbrt(np.finfo(float).eps) * 2.0
        assert numerical_jacobian(lambda w: w**3, x)[0, 0] == pytest.approx(12.0, abs=2 * h * h)

    def test_default_step_beats_tiny_step(self):
        # With h = 1e-12 the rounding error eps/h (about 1e-4) dominates.
        z = np.array([0.1, 0.7, -0.4])
        J = softmax_jacobian(z)
        good = np.abs(numerical_jacobian(softmax, z) - J).max()
        bad = np.abs(numerical_jacobian(softmax, z, h=1e-12) - J).max()
        # good: rounding 2 (3 eps) / 2h = 1.1e-10 at worst, but the entries of s are < 1/2
        # here, so 5.6e-11, plus truncation 6e-12 < 1e-10; bad: eps / h = 2e-4 typical.
        assert good < 1e-10 < bad

    def test_bad_arguments(self):
        with pytest.raises(TypeError, match="f must be callable"):
            numerical_jacobian(3, [1.0])
        with pytest.raises(ValueError, match="method"):
            numerical_jacobian(np.sin, [1.0], method="forward")
        with pytest.raises(ValueError, match="h must be positive"):
            numerical_jacobian(np.sin, [1.0], h=0.0)
        with pytest.raises(TypeError, match="h must be"):
            numerical_jacobian(np.sin, [1.0], h="1e-6")
        with pytest.raises(TypeError, match="x must be real"):
            numerical_jacobian(np.sin, [1j])


# --------------------------------------------------------------------------------------------
# The naive versions the book shows failing (softmaxlib.naive).


class TestEpsCrossEntropy:
    def test_cap_and_bias(self):
        from softmaxlib import eps_cross_entropy

        # Closed form: the loss can never exceed -log(1e-7) = 16.118...; the true loss is 40.
        z = np.array([[40.0, 0.0]])
        # Both sides: exp(-40) (1 ulp, or CORE_BOUND eps for p_y) added to 1e-7, where it is 4e-11
        # relative, then the sum's u and log's 1 ulp of |16.1|: 2 eps each (was the default
        # rel=1e-6).
        assert eps_cross_entropy(z, [1])[0] == pytest.approx(-math.log(math.exp(-40) + 1e-7),
                                                            rel=4 * EPS)
        assert eps_cross_entropy(z, [1])[0] < -math.log(1e-7) < float(cross_entropy(z, [1]))
        # For moderate p_y the bias is about eps / p_y, always downwards.
        z = np.array([[0.0, 0.0]])
        bias = float(cross_entropy(z, [0])) - eps_cross_entropy(z, [0])[0]
        # The bias is log1p(2e-7) = 2e-7 (1 - 1e-7 + ...): 1e-7 relative below 2e-7, plus the
        # cancellation of two losses of 0.69 each within 4 eps: 1.2e-15 / 2e-7 = 6e-9
        # (was rel=1e-6).
        assert bias == pytest.approx(1e-7 / 0.5, rel=1e-7 + 8 * EPS * math.log(2) / 2e-7)

    def test_label_check(self):
        from softmaxlib import eps_cross_entropy

        with pytest.raises(ValueError, match="integer labels"):
            eps_cross_entropy(np.zeros((2, 3)), [0.5, 1.0])


class TestLinearCrossEntropy:
    def test_positive_scores(self):
        from softmaxlib import linear_cross_entropy

        # Closed form: -log(3 / 4). 3 / 4 is exact, so only the two logs round (1 ulp each):
        # 2 eps (was the default rel=1e-6).
        assert linear_cross_entropy([[1.0, 3.0]], [1])[0] == pytest.approx(-math.log(0.75),
                                                                           rel=2 * EPS)

    def test_negative_scores(self):
        from softmaxlib import linear_cross_entropy

        # -1 and -3 "normalise" to 1/4 and 3/4: the lower score looks more likely.
        # -3 / -4 = 0.75 exactly: 2 eps as above (was the default rel=1e-6).
        assert linear_cross_entropy([[-1.0, -3.0]], [1])[0] == pytest.approx(-math.log(0.75),
                                                                             rel=2 * EPS)
        with pytest.warns(RuntimeWarning):
            assert np.isnan(linear_cross_entropy([[3.0, -1.0]], [1])[0])


class TestEdgeCases:
    """float16, ±inf, empty class axes, complex input."""

    def test_float16(self):
        z = np.array([[2.0, 0.0, 0.0]], dtype=np.float16)
        out = cross_entropy(z, [0])
        assert out.dtype == np.float16
        # Reference: mpmath. float16 is computed in float64 (3 eps) and rounded once to
        # float16 (u16 = 4.9e-4 relative); was rel=1e-3, about 2 u16.
        assert float(out) == pytest.approx(mp_cross_entropy([2.0, 0.0, 0.0], 0),
                                           rel=EPS16 / 2 + CORE_BOUND * EPS)
        assert softmax_jacobian(z).dtype == np.float16
        assert cross_entropy_grad(z, [0]).dtype == np.float16

    def test_infinite_logits(self):
        # Closed form: an +inf logit takes all the probability.
        assert float(cross_entropy([np.inf, 0.0], 0)) == 0.0
        assert float(cross_entropy([np.inf, 0.0], 1)) == np.inf
        assert float(cross_entropy([-np.inf, 0.0], 1)) == 0.0
        np.testing.assert_array_equal(softmax_jacobian([np.inf, 0.0]), np.zeros((2, 2)))
        np.testing.assert_array_equal(cross_entropy_grad([-np.inf, 0.0], 1), [0.0, 0.0])

    def test_empty_class_axis(self):
        x = np.zeros((2, 0))
        assert softmax_jacobian(x).shape == (2, 0, 0)
        for f in (softmax_jvp, softmax_vjp, log_softmax_jvp, log_softmax_vjp):
            assert f(x, x).shape == (2, 0)

    def test_complex_input(self):
        # The Jacobian is analytic: J(x + ih) = J(x) + ih dJ/dx + O(h^2), so the real part at
        # a tiny imaginary step is J(x).
        x = np.array([0.5, -1.0, 2.0])
        Jc = softmax_jacobian(x + 1e-30j)
        assert Jc.dtype == np.complex128
        # Complex exp is libm's cexp, the real one numpy's SIMD exp: each within its bound of
        # the exact J, 2 eps more for complex products (was atol=1e-16, below 7 eps of 0.25).
        np.testing.assert_allclose(Jc.real, softmax_jacobian(x),
                                   rtol=(2 * jacobian_bound(3) + 2) * EPS)
