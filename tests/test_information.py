"""Tests for softmaxlib.information: entropy and maxent_distribution."""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.linalg import null_space

from softmaxlib import entropy, hardmax, maxent_distribution, softmax

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
energy_vectors = hnp.arrays(np.float64, st.integers(2, 8), elements=finite)


class TestEntropy:
    def test_cover_thomas_example(self):
        # Cover & Thomas (2006), Example 2.1.2: (1/2, 1/4, 1/8, 1/8) has entropy 1.75 bits.
        h = entropy([0.5, 0.25, 0.125, 0.125])
        assert h / math.log(2) == pytest.approx(1.75, rel=1e-15)

    def test_uniform_is_log_n(self):
        # Definition: -sum (1/n) log(1/n) = log n.
        for n in (1, 2, 7, 1000):
            assert entropy(np.full(n, 1.0 / n)) == pytest.approx(math.log(n), rel=1e-13, abs=0)

    def test_zero_log_zero_is_zero(self):
        assert entropy([1.0, 0.0, 0.0]) == 0.0
        assert entropy([0.5, 0.0, 0.5]) == pytest.approx(math.log(2), rel=1e-15)

    def test_underflowed_softmax_gives_no_nan(self):
        p = softmax([0.0, -1000.0])
        assert p[1] == 0.0
        assert entropy(p) == 0.0

    def test_axis(self):
        p = np.array([[0.5, 0.5], [1.0, 0.0]])
        np.testing.assert_allclose(entropy(p), [math.log(2), 0.0], rtol=1e-15)
        np.testing.assert_allclose(entropy(p.T, axis=0), [math.log(2), 0.0], rtol=1e-15)
        assert entropy(p / 2, axis=None) == pytest.approx(math.log(4) / 2 + math.log(2) / 2)

    def test_returns_float64_scalar_for_a_vector(self):
        h = entropy([0.25, 0.75])
        assert isinstance(h, np.float64)

    def test_integers_and_float16(self):
        assert entropy([1, 0]) == 0.0
        h16 = entropy(np.array([0.5, 0.5], dtype=np.float16))
        assert h16.dtype == np.float64 and h16 == pytest.approx(math.log(2), rel=1e-15)

    def test_empty_is_zero(self):
        # The empty sum: no outcomes carry no uncertainty.
        assert entropy(np.array([])) == 0.0

    def test_nan_propagates(self):
        assert np.isnan(entropy([0.5, np.nan]))

    def test_negative_raises(self):
        with pytest.raises(ValueError, match="p must hold probabilities >= 0"):
            entropy([1.5, -0.5])

    @pytest.mark.parametrize("bad", [[1 + 0j, 0j], ["a", "b"], [True, False]])
    def test_non_real_raises(self, bad):
        with pytest.raises(TypeError, match="p must"):
            entropy(bad)

    @given(energy_vectors)
    def test_bounds(self, x):
        # 0 <= H <= log n for every distribution (Cover & Thomas, Theorem 2.6.4).
        h = entropy(softmax(x))
        assert -1e-12 <= h <= math.log(x.size) + 1e-12

    @given(energy_vectors)
    def test_increases_with_temperature(self, x):
        # dH/dT = Var_p(x) / T^3 >= 0 for p = softmax(x / T).
        temps = np.geomspace(0.1, 10.0, 9)
        h = np.array([entropy(softmax(x, temperature=t)) for t in temps])
        assert np.all(np.diff(h) >= -1e-12)


class TestMaxentDistribution:
    @pytest.mark.parametrize("m", [0.1, 0.3, 0.5, 0.9])
    def test_two_states_closed_form(self, m):
        # Two states E = (0, 1): p = (1 - m, m) and e^{-beta} = m / (1 - m), solved by hand.
        p, beta = maxent_distribution([0.0, 1.0], m)
        np.testing.assert_allclose(p, [1 - m, m], rtol=1e-14, atol=1e-15)
        assert beta == pytest.approx(math.log((1 - m) / m), rel=1e-12, abs=1e-15)

    def test_meets_constraints_and_is_softmax(self):
        rng = np.random.default_rng(5)
        E = rng.normal(size=9)
        for m in np.linspace(E.min(), E.max(), 13)[1:-1]:
            p, beta = maxent_distribution(E, m)
            assert p.sum() == pytest.approx(1.0, abs=1e-15)
            assert p @ E == pytest.approx(m, abs=1e-13)
            np.testing.assert_allclose(p, softmax(-beta * E), rtol=1e-12, atol=1e-15)

    def test_beaten_by_no_feasible_perturbation(self):
        # Maximum entropy: moving inside the constraint set {sum p = 1, p @ E = m} lowers H.
        rng = np.random.default_rng(7)
        E = rng.uniform(0, 3, size=6)
        p, _ = maxent_distribution(E, 1.2)
        basis = null_space(np.vstack([np.ones_like(E), E]))
        for _ in range(200):
            d = basis @ rng.normal(size=basis.shape[1])
            q = p + 0.5 * p.min() * d / np.abs(d).max()
            assert q.min() > 0
            assert entropy(q) < entropy(p)

    def test_affine_change_of_energy_units(self):
        # E -> a E + b with a > 0 leaves p unchanged and divides beta by a.
        E = np.array([0.0, 1.0, 3.0, 4.5])
        p, beta = maxent_distribution(E, 1.7)
        p2, beta2 = maxent_distribution(1e4 * E - 3e5, 1e4 * 1.7 - 3e5)
        np.testing.assert_allclose(p2, p, rtol=1e-9)
        assert beta2 == pytest.approx(beta / 1e4, rel=1e-9)

    def test_mean_of_energies_gives_uniform(self):
        p, beta = maxent_distribution([0.0, 1.0, 2.0], 1.0)
        assert beta == 0.0
        np.testing.assert_allclose(p, np.full(3, 1 / 3), rtol=1e-15)

    def test_sign_of_beta(self):
        assert maxent_distribution([0.0, 1.0, 2.0], 0.5)[1] > 0
        assert maxent_distribution([0.0, 1.0, 2.0], 1.5)[1] < 0

    def test_mean_at_minimum_splits_ties(self):
        p, beta = maxent_distribution([2.0, 1.0, 5.0, 1.0], 1.0)
        assert beta == np.inf
        np.testing.assert_array_equal(p, [0.0, 0.5, 0.0, 0.5])
        np.testing.assert_array_equal(p, hardmax(-np.array([2.0, 1.0, 5.0, 1.0])))

    def test_mean_at_maximum_splits_ties(self):
        p, beta = maxent_distribution([5.0, 1.0, 5.0, 5.0], 5.0)
        assert beta == -np.inf
        np.testing.assert_allclose(p, [1 / 3, 0.0, 1 / 3, 1 / 3], rtol=1e-15)

    def test_just_inside_the_range(self):
        # beta is large but finite, and the constraint still holds.
        p, beta = maxent_distribution([0.0, 1.0, 2.0], 1e-10)
        assert np.isfinite(beta) and beta > 20
        assert p @ [0.0, 1.0, 2.0] == pytest.approx(1e-10, rel=1e-9)

    def test_energies_near_the_float_limits(self):
        # hi - lo would overflow here; the energies are scaled first (warnings are errors).
        E = np.array([1.7e308, -1.7e308])
        p, beta = maxent_distribution(E, 1e308)
        np.testing.assert_allclose(p, [(1 + 1e308 / 1.7e308) / 2, (1 - 1e308 / 1.7e308) / 2], rtol=1e-12)
        assert beta < 0
        # Tiny energies: the same distribution as for (0, 1, 2), beta scaled by 1e300.
        p_small, beta_small = maxent_distribution([0.0, 1e-300, 2e-300], 5e-301)
        p_unit, beta_unit = maxent_distribution([0.0, 1.0, 2.0], 0.5)
        np.testing.assert_allclose(p_small, p_unit, rtol=1e-12)
        assert beta_small * 1e-300 == pytest.approx(beta_unit, rel=1e-12)

    def test_single_state_and_equal_energies(self):
        p, beta = maxent_distribution([3.0], 3.0)
        assert beta == 0.0 and p.tolist() == [1.0]
        p, beta = maxent_distribution([2.0, 2.0], 2.0)
        assert beta == 0.0 and p.tolist() == [0.5, 0.5]

    def test_integer_energies(self):
        p, _ = maxent_distribution([0, 1, 2], 1)
        assert p.dtype == np.float64

    @pytest.mark.parametrize("m", [-0.1, 2.5, -1e300])
    def test_mean_outside_range_raises(self, m):
        with pytest.raises(ValueError, match=r"mean_energy must lie in \[min\(energies\)"):
            maxent_distribution([0.0, 1.0, 2.0], m)

    def test_equal_energies_other_mean_raises(self):
        with pytest.raises(ValueError, match="mean_energy must lie"):
            maxent_distribution([2.0, 2.0], 2.5)

    @pytest.mark.parametrize("m", [np.nan, np.inf])
    def test_nonfinite_mean_raises(self, m):
        with pytest.raises(ValueError, match="mean_energy must be finite"):
            maxent_distribution([0.0, 1.0], m)

    @pytest.mark.parametrize(
        "E", [[0.0, np.nan], [0.0, np.inf], [], [[0.0, 1.0]], 1.0]
    )
    def test_bad_energies_raise(self, E):
        with pytest.raises(ValueError, match="energies must"):
            maxent_distribution(E, 0.5)

    @pytest.mark.parametrize(
        "E, m", [([0j, 1j], 0.5), (["a", "b"], 0.5), ([0.0, 1.0], "0.5"), ([0.0, 1.0], True)]
    )
    def test_non_real_raises(self, E, m):
        with pytest.raises(TypeError, match="(energies|mean_energy) must"):
            maxent_distribution(E, m)

    @given(energy_vectors, st.floats(0.0, 1.0))
    def test_constraint_holds_for_any_mean(self, E, frac):
        span = np.ptp(E)
        assume(span > 0)
        m = float(np.clip(E.min() + frac * span, E.min(), E.max()))
        p, beta = maxent_distribution(E, m)
        assert np.all(p >= 0)
        assert p.sum() == pytest.approx(1.0, abs=1e-14)
        assert abs(p @ E - m) <= 1e-12 * span + 1e-12 * abs(m)
