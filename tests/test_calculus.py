"""Tests for softmaxlib.calculus: Jacobians, their products, cross-entropy, numerical Jacobian.

Reference values come from three independent places, named at each use:
* closed forms derived by hand (e.g. softmax of equal scores is uniform, so CE = log n);
* mpmath at 50 significant digits, evaluating the defining formula directly
  (-log(exp(z_y) / sum exp(z_k)) and s_i (delta_ij - s_j));
* finite differences of softmaxlib.softmax / log_softmax / cross_entropy.
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

mpmath.mp.dps = 50

finite = st.floats(-30.0, 30.0, allow_nan=False, allow_infinity=False)
rows = hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
                  elements=finite)


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
            assert cross_entropy(np.zeros(n), 1) == pytest.approx(math.log(n), rel=1e-15)

    def test_against_mpmath(self):
        # Reference: mpmath at 50 digits, see mp_cross_entropy.
        rng = np.random.default_rng(1)
        z = rng.normal(scale=5.0, size=(6, 7))
        y = rng.integers(0, 7, size=6)
        expected = [mp_cross_entropy(z[i], y[i]) for i in range(6)]
        got = cross_entropy(z, y, reduction="none")
        np.testing.assert_allclose(got, expected, rtol=1e-14)
        assert cross_entropy(z, y) == pytest.approx(np.mean(expected), rel=1e-14)
        assert cross_entropy(z, y, reduction="sum") == pytest.approx(np.sum(expected), rel=1e-14)

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
        np.testing.assert_allclose(cross_entropy(z, onehot, reduction="none"),
                                   cross_entropy(z, y, reduction="none"), rtol=1e-15)
        # An integer one-hot array of the logits' shape is read as probabilities too.
        np.testing.assert_allclose(cross_entropy(z, onehot.astype(int)), cross_entropy(z, y))

    def test_soft_labels_against_formula(self):
        # Reference: -sum t_k log s_k with mpmath probabilities.
        z = np.array([1.0, -2.0, 0.5])
        t = np.array([0.2, 0.3, 0.5])
        s = mp_softmax(z)
        expected = float(-mpmath.fsum(mpmath.mpf(ti) * mpmath.log(si) for ti, si in zip(t, s)))
        assert float(cross_entropy(z, t)) == pytest.approx(expected, rel=1e-14)

    def test_zero_target_times_minus_inf_is_zero(self):
        # 0 * log 0 counts as 0: a class with -inf logit and zero target weight adds nothing.
        z = np.array([0.0, -np.inf])
        assert float(cross_entropy(z, [1.0, 0.0])) == 0.0

    def test_axis(self):
        rng = np.random.default_rng(3)
        z = rng.normal(size=(3, 5, 2))
        y = rng.integers(0, 5, size=(3, 2))
        moved = np.moveaxis(z, 1, -1)
        np.testing.assert_allclose(cross_entropy(z, y, axis=1, reduction="none"),
                                   cross_entropy(moved, y, reduction="none"), rtol=1e-15)
        assert cross_entropy(z, y, axis=1, reduction="none").shape == (3, 2)

    def test_float32_and_int(self):
        z = np.array([[2.0, 0.0, 0.0]], dtype=np.float32)
        out = cross_entropy(z, [0])
        assert out.dtype == np.float32
        # Reference: mpmath.
        assert float(out) == pytest.approx(mp_cross_entropy([2.0, 0.0, 0.0], 0), rel=1e-7)
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
        np.testing.assert_allclose(cross_entropy(z + 7.0, y, reduction="none"), loss,
                                   rtol=1e-12, atol=1e-12)


class TestCrossEntropyGrad:
    def test_softmax_minus_onehot(self):
        rng = np.random.default_rng(4)
        z = rng.normal(size=(4, 3))
        y = np.array([0, 2, 1, 1])
        expected = softmax(z) - np.eye(3)[y]
        np.testing.assert_allclose(cross_entropy_grad(z, y, reduction="sum"), expected,
                                   atol=1e-16)
        np.testing.assert_allclose(cross_entropy_grad(z, y, reduction="none"), expected,
                                   atol=1e-16)
        np.testing.assert_allclose(cross_entropy_grad(z, y), expected / 4, atol=1e-16)

    @pytest.mark.parametrize("reduction", ["mean", "sum"])
    def test_matches_complex_step(self, reduction):
        # Reference: complex-step derivative of cross_entropy itself (no subtraction).
        rng = np.random.default_rng(5)
        z = rng.normal(scale=3.0, size=(3, 4))
        y = np.array([3, 0, 1])
        num = numerical_jacobian(lambda w: cross_entropy(w, y, reduction=reduction), z,
                                 "complex")
        np.testing.assert_allclose(cross_entropy_grad(z, y, reduction=reduction), num,
                                   atol=1e-15)

    def test_soft_labels_against_central(self):
        rng = np.random.default_rng(6)
        z = rng.normal(size=(2, 5))
        t = softmax(rng.normal(size=(2, 5)))
        num = numerical_jacobian(lambda w: cross_entropy(w, t), z)
        np.testing.assert_allclose(cross_entropy_grad(z, t), num, atol=1e-10)

    def test_axis_and_dtype(self):
        rng = np.random.default_rng(7)
        z = rng.normal(size=(3, 4, 2)).astype(np.float32)
        y = rng.integers(0, 4, size=(3, 2))
        g = cross_entropy_grad(z, y, axis=1)
        assert g.shape == z.shape and g.dtype == np.float32
        np.testing.assert_allclose(g.sum(axis=1), 0.0, atol=1e-7)
        expected = np.moveaxis(cross_entropy_grad(np.moveaxis(z, 1, -1), y), -1, 1)
        np.testing.assert_allclose(g, expected, rtol=1e-6)

    def test_huge_logits_finite(self):
        g = cross_entropy_grad([1000.0, 0.0], 1)
        np.testing.assert_array_equal(g, [1.0, -1.0])

    @given(rows, st.data())
    def test_rows_sum_to_zero(self, z, data):
        n = z.shape[-1]
        y = data.draw(hnp.arrays(np.int64, z.shape[:-1], elements=st.integers(0, n - 1)))
        g = cross_entropy_grad(z, y, reduction="sum")
        np.testing.assert_allclose(g.sum(axis=-1), 0.0, atol=1e-12)
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
        np.testing.assert_allclose(softmax_jacobian(z), mp_jacobian(z), rtol=1e-14, atol=1e-17)

    @pytest.mark.parametrize("z", [20.0, 40.0, 100.0, 700.0])
    def test_dominant_class_diagonal_is_accurate(self, z):
        # Reference: s0 (1 - s0) = e^-z / (1 + e^-z)^2 for scores [z, 0], in mpmath (no
        # cancellation in this form). s0 - s0**2 would give 0 in float64 once s0 rounds to 1.
        ref = float(mpmath.exp(-z) / (1 + mpmath.exp(-z)) ** 2)
        J = softmax_jacobian([z, 0.0])
        np.testing.assert_allclose(J, [[ref, -ref], [-ref, ref]], rtol=1e-14)
        np.testing.assert_allclose(softmax_jvp([z, 0.0], [1.0, 0.0]), [ref, -ref], rtol=1e-14)
        np.testing.assert_allclose(softmax_vjp([z, 0.0], [1.0, 0.0]), [ref, -ref], rtol=1e-14)
        # d log s0 / d z0 = 1 - s0 = e^-z / (1 + e^-z), also from the sum of the others.
        one_minus = float(mpmath.exp(-z) / (1 + mpmath.exp(-z)))
        np.testing.assert_allclose(log_softmax_vjp([z, 0.0], [1.0, 0.0]),
                                   [one_minus, -one_minus], rtol=1e-14)
        np.testing.assert_allclose(log_softmax_jvp([z, 0.0], [1.0, 0.0])[0], one_minus,
                                   rtol=1e-14)

    def test_batched_shapes_and_axis(self):
        rng = np.random.default_rng(8)
        z = rng.normal(size=(2, 3, 4))
        J = softmax_jacobian(z, axis=1)
        assert J.shape == (2, 4, 3, 3)
        for a in range(2):
            for b in range(4):
                np.testing.assert_allclose(J[a, b], mp_jacobian(z[a, :, b]), atol=1e-16)
        assert softmax_jacobian(z).shape == (2, 3, 4, 4)

    def test_properties(self):
        rng = np.random.default_rng(9)
        J = softmax_jacobian(rng.normal(scale=2.0, size=(10, 6)))
        np.testing.assert_allclose(J.sum(axis=-1), 0.0, atol=4e-16)  # shift invariance
        np.testing.assert_allclose(J.sum(axis=-2), 0.0, atol=4e-16)  # sum of s stays 1
        np.testing.assert_array_equal(J, np.swapaxes(J, -1, -2))
        eig = np.linalg.eigvalsh(J)
        assert np.all(eig >= -1e-16) and np.all(eig <= 0.5)

    def test_float32(self):
        J = softmax_jacobian(np.array([1.0, 2.0, 3.0], dtype=np.float32))
        assert J.dtype == np.float32
        np.testing.assert_allclose(J, mp_jacobian([1.0, 2.0, 3.0]), rtol=1e-6, atol=1e-8)

    def test_matches_numerical(self):
        z = np.array([0.3, -1.2, 2.0, 0.0])
        J = softmax_jacobian(z)
        assert np.abs(numerical_jacobian(softmax, z, "complex") - J).max() < 1e-15
        assert np.abs(numerical_jacobian(softmax, z) - J).max() < 1e-9

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
        np.testing.assert_allclose(J @ np.ones(n), 0.0, atol=1e-15)
        eig = np.linalg.eigvalsh(J)
        assert np.all(eig >= -1e-15)
        assert np.all(eig <= np.max(softmax(z), axis=-1, keepdims=True) + 1e-15)


class TestProducts:
    """softmax_jvp / softmax_vjp / log_softmax_jvp / log_softmax_vjp against full matrices."""

    def test_against_matrices(self):
        rng = np.random.default_rng(10)
        z = rng.normal(size=(3, 7))
        v = rng.normal(size=(3, 7))
        J = softmax_jacobian(z)
        L = np.eye(7) - softmax(z)[:, None, :]  # closed form of d log_softmax / dz
        np.testing.assert_allclose(softmax_jvp(z, v), np.einsum("bij,bj->bi", J, v), atol=1e-15)
        np.testing.assert_allclose(softmax_vjp(z, v), np.einsum("bi,bij->bj", v, J), atol=1e-15)
        np.testing.assert_allclose(log_softmax_jvp(z, v), np.einsum("bij,bj->bi", L, v),
                                   atol=1e-14)
        np.testing.assert_allclose(log_softmax_vjp(z, v), np.einsum("bi,bij->bj", v, L),
                                   atol=1e-14)

    def test_log_softmax_matrix_is_numerical(self):
        z = np.array([0.5, -1.0, 2.0])
        L = numerical_jacobian(log_softmax, z, "complex")
        v = np.array([1.0, 2.0, -0.5])
        np.testing.assert_allclose(log_softmax_jvp(z, v), L @ v, atol=1e-15)
        np.testing.assert_allclose(log_softmax_vjp(z, v), v @ L, atol=1e-15)

    def test_axis(self):
        rng = np.random.default_rng(11)
        z = rng.normal(size=(4, 3, 2))
        v = rng.normal(size=(4, 3, 2))
        for f in (softmax_jvp, softmax_vjp, log_softmax_jvp, log_softmax_vjp):
            out = f(z, v, axis=1)
            ref = np.moveaxis(f(np.moveaxis(z, 1, -1), np.moveaxis(v, 1, -1)), -1, 1)
            np.testing.assert_allclose(out, ref, atol=1e-16)

    def test_float32(self):
        z = np.array([1.0, 2.0, 3.0], dtype=np.float32)
        v = np.array([1.0, 0.0, -1.0], dtype=np.float32)
        out = softmax_jvp(z, v)
        assert out.dtype == np.float32
        np.testing.assert_allclose(out, mp_jacobian([1.0, 2.0, 3.0]) @ [1.0, 0.0, -1.0],
                                   rtol=1e-6)

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
        # Reference: the closed form s (v - <s, v>), evaluated in extended precision by math.fsum.
        dot = math.fsum(s * v)
        np.testing.assert_allclose(jv, s * (v - dot), rtol=1e-12, atol=1e-20)
        np.testing.assert_allclose(gv, v - s * math.fsum(v), rtol=1e-12, atol=1e-12)
        assert abs(jv.sum()) < 1e-15

    def test_shape_mismatch(self):
        with pytest.raises(ValueError, match="v must have the shape of x"):
            softmax_jvp(np.zeros(3), np.zeros(4))
        with pytest.raises(ValueError, match="g must have the shape of x"):
            log_softmax_vjp(np.zeros(3), np.zeros((2, 3)))

    @given(rows, st.data())
    def test_products_sum_properties(self, z, data):
        v = data.draw(hnp.arrays(np.float64, z.shape, elements=finite))
        # J v sums to 0 (probabilities keep total 1); L^T g ... sums to sum(g) - sum(g) = 0.
        np.testing.assert_allclose(softmax_jvp(z, v).sum(axis=-1), 0.0, atol=1e-12)
        np.testing.assert_allclose(log_softmax_vjp(z, v).sum(axis=-1), 0.0, atol=1e-11)
        # Adding a constant to v changes log_softmax_jvp not at all (it removes <s, v>).
        np.testing.assert_allclose(log_softmax_jvp(z, v + 3.0), log_softmax_jvp(z, v),
                                   atol=1e-12)


class TestNumericalJacobian:
    def test_shapes(self):
        jac = numerical_jacobian(lambda w: np.sum(w**2), np.ones((2, 3)))
        assert jac.shape == (2, 3)
        jac = numerical_jacobian(lambda w: np.outer(w, w), np.ones(3), "complex")
        assert jac.shape == (3, 3, 3)

    def test_polynomial(self):
        # Closed form: d/dx x^3 = 3x^2. Central differences are exact up to h^2 f'''/6 = h^2.
        x = np.array([2.0])
        assert numerical_jacobian(lambda w: w**3, x, "complex")[0, 0] == pytest.approx(12.0,
                                                                                        rel=1e-15)
        h = np.cbrt(np.finfo(float).eps) * 2.0
        assert numerical_jacobian(lambda w: w**3, x)[0, 0] == pytest.approx(12.0, abs=2 * h * h)

    def test_default_step_beats_tiny_step(self):
        # With h = 1e-12 the rounding error eps/h (about 1e-4) dominates.
        z = np.array([0.1, 0.7, -0.4])
        J = softmax_jacobian(z)
        good = np.abs(numerical_jacobian(softmax, z) - J).max()
        bad = np.abs(numerical_jacobian(softmax, z, h=1e-12) - J).max()
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
        assert eps_cross_entropy(z, [1])[0] == pytest.approx(-math.log(math.exp(-40) + 1e-7))
        assert eps_cross_entropy(z, [1])[0] < -math.log(1e-7) < float(cross_entropy(z, [1]))
        # For moderate p_y the bias is about eps / p_y, always downwards.
        z = np.array([[0.0, 0.0]])
        bias = float(cross_entropy(z, [0])) - eps_cross_entropy(z, [0])[0]
        assert bias == pytest.approx(1e-7 / 0.5, rel=1e-6)

    def test_label_check(self):
        from softmaxlib import eps_cross_entropy

        with pytest.raises(ValueError, match="integer labels"):
            eps_cross_entropy(np.zeros((2, 3)), [0.5, 1.0])


class TestLinearCrossEntropy:
    def test_positive_scores(self):
        from softmaxlib import linear_cross_entropy

        # Closed form: -log(3 / 4).
        assert linear_cross_entropy([[1.0, 3.0]], [1])[0] == pytest.approx(-math.log(0.75))

    def test_negative_scores(self):
        from softmaxlib import linear_cross_entropy

        # -1 and -3 "normalise" to 1/4 and 3/4: the lower score looks more likely.
        assert linear_cross_entropy([[-1.0, -3.0]], [1])[0] == pytest.approx(-math.log(0.75))
        with pytest.warns(RuntimeWarning):
            assert np.isnan(linear_cross_entropy([[3.0, -1.0]], [1])[0])


class TestEdgeCases:
    """float16, ±inf, empty class axes, complex input."""

    def test_float16(self):
        z = np.array([[2.0, 0.0, 0.0]], dtype=np.float16)
        out = cross_entropy(z, [0])
        assert out.dtype == np.float16
        # Reference: mpmath, rounded to float16 precision (eps 9.8e-4).
        assert float(out) == pytest.approx(mp_cross_entropy([2.0, 0.0, 0.0], 0), rel=1e-3)
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
        np.testing.assert_allclose(Jc.real, softmax_jacobian(x), atol=1e-16)
