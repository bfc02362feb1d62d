"""Tests for softmaxlib.naive: the counterexamples fail exactly where their docstrings say."""

import math
import warnings

import numpy as np
import pytest

from softmaxlib import naive_base_softmax, naive_double_exp_softmax, softmax

LARGEST = np.finfo(np.float64).max


class TestNaiveBaseSoftmax:
    @pytest.mark.parametrize("base", [2.0, math.e, 10.0, 100.0])
    def test_is_softmax_at_temperature_one_over_log_base(self, base):
        # psi**x = exp(x ln psi), so the base-psi softmax is softmax(x / T) with T = 1 / ln psi.
        x = np.array([1.0, 2.0, 0.5, -1.0, 1.5])
        np.testing.assert_allclose(
            naive_base_softmax(x, base), softmax(x, temperature=1 / math.log(base)), rtol=1e-13
        )

    def test_base_two_closed_form(self):
        # 2**1 / (2**0 + 2**1) = 2/3, by hand.
        np.testing.assert_allclose(naive_base_softmax([0.0, 1.0], 2), [1 / 3, 2 / 3], rtol=1e-15)

    @pytest.mark.parametrize("base", [2.0, math.e, 10.0, 100.0])
    def test_overflows_above_log_max_over_log_base(self, base):
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
        x = np.array([[0.0, 1.0], [1.0, 0.0]])
        np.testing.assert_allclose(naive_base_softmax(x, 2.0, axis=0), [[1 / 3, 2 / 3], [2 / 3, 1 / 3]])


class TestNaiveDoubleExpSoftmax:
    def test_positive_ordered_normalised(self):
        q = naive_double_exp_softmax([0.0, 0.5, 1.0, 2.0])
        assert np.all(q > 0) and np.all(np.diff(q) > 0)
        assert q.sum() == pytest.approx(1.0, abs=1e-15)

    def test_closed_form(self):
        # e^(e^0) / (e^(e^0) + e^(e^1)) = 1 / (1 + e^(e - 1)), by hand.
        q = naive_double_exp_softmax([0.0, 1.0])
        assert q[0] == pytest.approx(1 / (1 + math.exp(math.e - 1)), rel=1e-14)

    @pytest.mark.parametrize("c", [-3.0, -1.0, 1.0, 2.0])
    def test_not_shift_invariant_a_shift_is_a_temperature(self, c):
        # e^(e^(x + c)) = e^(e^c e^x): a shift by c is softmax(e^x) at temperature e^(-c).
        x = np.array([0.0, 0.5, 1.0])
        shifted = naive_double_exp_softmax(x + c)
        np.testing.assert_allclose(shifted, softmax(np.exp(x), temperature=math.exp(-c)), rtol=1e-12)
        assert not np.allclose(shifted, naive_double_exp_softmax(x), rtol=1e-3)

    def test_overflows_above_log_log_max(self):
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
