"""Tests for softmaxlib.calibration: reliability bins, ECE and temperature fitting.

Reference values are worked out by hand in each test (the ECE definition of Guo et al., 2017).
"""

import math

import numpy as np
import pytest

from softmaxlib import cross_entropy, softmax
from softmaxlib.calibration import expected_calibration_error, fit_temperature, reliability_bins

EPS = np.finfo(np.float64).eps


class TestReliabilityBins:
    def test_bin_edges_are_right_closed(self):
        # confidence 0.5 belongs to (0.4, 0.5], 0.51 to (0.5, 0.6]
        p = np.array([[0.5, 0.5], [0.51, 0.49], [1.0, 0.0]])
        b = reliability_bins(p, np.array([0, 0, 0]), n_bins=10)
        np.testing.assert_array_equal(np.nonzero(b["count"])[0], [4, 5, 9])
        np.testing.assert_array_equal(b["edges"], np.linspace(0, 1, 11))

    def test_empty_bins_are_nan(self):
        b = reliability_bins(np.array([[0.95, 0.05]]), np.array([0]), n_bins=4)
        assert np.isnan(b["accuracy"][:3]).all() and b["accuracy"][3] == 1.0

    def test_bad_input(self):
        with pytest.raises(ValueError, match="probs"):
            reliability_bins(np.ones(3), np.array([0, 1, 2]))
        with pytest.raises(ValueError, match="labels"):
            reliability_bins(np.eye(3), np.array([0.0, 1.0, 2.0]))
        with pytest.raises(ValueError, match="n_bins"):
            reliability_bins(np.eye(3), np.array([0, 1, 2]), n_bins=0)


class TestECE:
    def test_hand_computed(self):
        # bin (0.8, 0.9]: confidences 0.9, 0.9, right 1 of 2 -> |0.5 - 0.9| * 2/4
        # bin (0.5, 0.6]: confidences 0.6, 0.6, right 2 of 2 -> |1.0 - 0.6| * 2/4
        p = np.array([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.4, 0.6]])
        # The bin means (an addition and a division), |acc - conf|, the weights and the final
        # sum round once each, and fl(0.9), fl(0.6) are u off 0.9, 0.6: 4 eps (was the
        # default rel=1e-6).
        assert expected_calibration_error(p, np.array([0, 1, 0, 1])) == pytest.approx(
            0.4, rel=4 * EPS)

    def test_perfect_and_worst(self):
        onehot = np.eye(3)
        assert expected_calibration_error(onehot, np.array([0, 1, 2])) == 0.0
        assert expected_calibration_error(onehot, np.array([1, 2, 0])) == 1.0

    def test_calibrated_by_construction_is_near_zero(self):
        # labels drawn from the predicted probabilities: calibrated up to sampling noise
        rng = np.random.default_rng(0)
        p = softmax(rng.normal(scale=2.0, size=(20000, 3)))
        y = (rng.random((20000, 1)) > p.cumsum(axis=1)).sum(axis=1)
        # Sampling noise alone gives a calibrated model an ECE of about
        # sqrt(2/pi) sum_b sqrt(conf_b (1 - conf_b) n_b) / n <= 0.8 * 0.5 * sqrt(10 / 20000)
        # = 0.009 (10 bins); 0.015 leaves room for that bound's crudeness. Seeded: this draw
        # gives 0.005, and the same data at temperature 2 gives 0.12.
        assert expected_calibration_error(p, y) < 0.015


class TestFitTemperature:
    def test_closed_form_two_class_case(self):
        # logits (4, 0), right 3 times of 4: the optimum has sigmoid(4/T) = 3/4, T = 4/log 3
        z = np.array([[4.0, 0.0]] * 3 + [[0.0, 4.0]])
        # The optimiser's tolerance: scipy's bounded Brent stops within 2 (sqrt(eps) |x| +
        # xatol / 3) of the minimiser in x = log T (xatol = 1e-8, x = 1.29): 4.6e-8; and the
        # loss f = 0.562, rounded to about 8 eps, hides its minimum within
        # sqrt(2 * 8 eps f / f'') with f'' = 0.226 in log T: 9.4e-8. T = e^x, so that is T's
        # relative error (was rel=1e-6).
        x = math.log(4 / math.log(3))
        rel = 2 * (math.sqrt(EPS) * x + 1e-8 / 3) + math.sqrt(2 * 8 * EPS * 0.562 / 0.226)
        assert fit_temperature(z, np.array([0, 0, 1, 1])) == pytest.approx(4 / np.log(3), rel=rel)

    def test_recovers_an_inflated_scale(self):
        # labels sampled from softmax(z); the model reports 3 z: the best T is about 3
        rng = np.random.default_rng(1)
        z = rng.normal(size=(5000, 4))
        y = (rng.random((5000, 1)) > softmax(z).cumsum(axis=1)).sum(axis=1)
        T = fit_temperature(3 * z, y)
        # Sampling error: the mean loss has curvature 0.40 in log T at the fit, so log T has
        # standard error 1 / sqrt(5000 * 0.40) = 0.022; rel=0.1 is 4.5 of them (seeded).
        assert T == pytest.approx(3.0, rel=0.1)
        assert cross_entropy(3 * z / T, y) < cross_entropy(3 * z, y)

    def test_bad_bounds(self):
        with pytest.raises(ValueError, match="bounds"):
            fit_temperature(np.eye(2), np.array([0, 1]), bounds=(2.0, 1.0))
