"""Tests for softmaxlib.symbolic: SymPy's softmax Jacobian against the closed form and numpy.

References: the closed form s_i (delta_ij - s_j) derived by hand with the quotient rule;
softmaxlib.softmax_jacobian (itself tested against mpmath in test_calculus.py); and the
logistic derivative sigma'(z) = sigma(z)(1 - sigma(z)) (Bishop 2006, eq. 4.88).
"""

import numpy as np
import pytest
import sympy as sp

from softmaxlib import softmax, softmax_jacobian
from softmaxlib.symbolic import (
    jacobian_closed_form,
    jacobian_expr,
    jacobian_in_s,
    lambdify_jacobian,
    softmax_expr,
    verify_jacobian,
)

EPS = np.finfo(np.float64).eps


class TestSoftmaxExpr:
    def test_sums_to_one(self):
        x, s = softmax_expr(4)
        assert len(x) == 4 and s.shape == (4, 1)
        assert sp.simplify(sum(s) - 1) == 0

    def test_bad_n(self):
        with pytest.raises(ValueError, match="n must be at least 1"):
            softmax_expr(0)
        with pytest.raises(TypeError, match="n must be a positive int"):
            softmax_expr(2.0)
        with pytest.raises(TypeError, match="n must be a positive int"):
            softmax_expr(True)


class TestJacobianExpr:
    def test_entries_are_derivatives(self):
        x, J = jacobian_expr(3)
        _, s = softmax_expr(3)
        assert sp.simplify(J[1, 2] - sp.diff(s[1], x[2])) == 0

    def test_two_class_is_logistic(self):
        # With x1 = 0, s0 = sigma(x0) and d s0 / d x0 = sigma (1 - sigma).
        x, J = jacobian_expr(2)
        z = x[0]
        sigma = 1 / (1 + sp.exp(-z))
        d = J[0, 0].subs(x[1], 0)
        assert sp.simplify(d - sigma * (1 - sigma)) == 0


class TestJacobianInS:
    def test_one_class(self):
        # A single class always has probability 1: the derivative is 0 (= s0 (1 - s0) at s0 = 1).
        assert jacobian_in_s(1)[1].is_zero_matrix

    @pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
    def test_is_closed_form(self, n):
        s, J = jacobian_in_s(n)
        _, C = jacobian_closed_form(n)
        assert (J - C).applyfunc(sp.expand).is_zero_matrix

    def test_cases(self):
        s, J = jacobian_in_s(3)
        assert sp.expand(J[0, 0] - s[0] * (1 - s[0])) == 0  # i = j
        assert sp.expand(J[0, 2] + s[0] * s[2]) == 0  # i != j


class TestVerifyJacobian:
    @pytest.mark.parametrize("n", [2, 3, 4, 5, 6])
    def test_true(self, n):
        assert verify_jacobian(n) is True


class TestLambdifyJacobian:
    def test_matches_numpy(self):
        rng = np.random.default_rng(0)
        for n in (2, 4, 6):
            f = lambdify_jacobian(n)
            x = rng.normal(size=n)
            # The textbook formula s_i delta_ij - s_i s_j with raw exp: exps 1 ulp, the sum
            # (n - 1) u, divisions and products 1.5 eps: (3.5 + n/2) eps of each term, and
            # the diagonal's difference keeps the absolute error of both terms. softmaxlib's
            # own Jacobian is within 6 + (n - 2)/2 + 0.5 eps of |J| (test_calculus's
            # jacobian_bound). Was rtol=1e-13, atol=1e-16.
            s = softmax(x)
            terms = np.outer(s, s) + np.diag(s)
            J = softmax_jacobian(x)
            bound = ((3.5 + n / 2) * terms + (6.5 + (n - 2) / 2) * np.abs(J)) * EPS
            assert (np.abs(f(x) - J) <= bound).all()

    def test_shape_check(self):
        with pytest.raises(ValueError, match="vector of length 3"):
            lambdify_jacobian(3)(np.zeros(4))
