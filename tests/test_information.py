"""Tests for softmaxlib.information: entropy and maxent_distribution.

Bounds are in eps = 2.2e-16, from the standard model (|d| <= u = eps/2 per operation), libm's
and numpy's log within 1 ulp, softmaxlib.core's softmax within CORE_BOUND eps relative, a sum of
n terms in any order within (n - 1) u of the sum of their magnitudes, and, for maxent_distribution,
the optimiser's tolerance: brentq stops within rtol = 4 eps of the root u of the computed
g(u) = <softmax(-u e), e - t> (energies scaled to e in [0, 1], target t). g is evaluated within
G eps, G = 4 + n/2 (softmax 3, n products and additions of terms <= 1, t's rounding 1), and
its slope is -Var_p(e), so the computed root is within root_error(...) = G / Var + 4 |u| eps.
"""

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy.linalg import null_space

from softmaxlib import entropy, hardmax, maxent_distribution, softmax
from strategies import log_softmax_bound, softmax_bound

EPS = np.finfo(np.float64).eps

def core_bound(n):
    """softmaxlib.core's float64 bound in eps for rows of n entries: the larger of
    tests/strategies.py's softmax_bound and log_softmax_bound (also logsumexp's)."""
    return max(softmax_bound(n, np.float64), log_softmax_bound(n, np.float64))


#: core's bound at the longest row used with it in this file (n <= 9); the bounds grow with n.
CORE_BOUND = core_bound(9)


def root_error(u, var, n, extra=0.0):
    """Bound in eps of the computed u against the exact root (module docstring); ``extra``
    adds rounding of the scaled energies or target beyond G."""
    return (4 + n / 2 + extra) / var + 4 * abs(u)


def entropy_error(n):
    """Bound in eps of entropy(softmax(x)) against the exact entropy of the exact softmax.

    p within CORE_BOUND eps relative changes -sum p log p by <= CORE_BOUND (H + 1) <=
    CORE_BOUND (log n + 1) eps; each term -p log p rounds by 1.5 eps (log 1 ulp, product u)
    and the sum by (n - 1) u, of H <= log n;
    the rounding of x_i - max (and / T) moves the entries that matter by at most 0.6 n eps.
    """
    return CORE_BOUND * (math.log(n) + 1) + (1.5 + (n - 1) / 2) * math.log(n) + 0.6 * n


finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
energy_vectors = hnp.arrays(np.float64, st.integers(2, 8), elements=finite)


class TestEntropy:
    def test_cover_thomas_example(self):
        # Cover & Thomas (2006), Example 2.1.2: (1/2, 1/4, 1/8, 1/8) has entropy 1.75 bits.
        h = entropy([0.5, 0.25, 0.125, 0.125])
        # log 1 ulp, the products by powers of 2 exact, 3 additions of positive terms 1.5 eps,
        # math.log(2) and the division 1 eps: 3.5 eps (was rel=1e-15).
        assert h / math.log(2) == pytest.approx(1.75, rel=3.5 * EPS)

    def test_uniform_is_log_n(self):
        # Definition: -sum (1/n) log(1/n) = log n.
        for n in (1, 2, 7, 1000):
            # 1/n rounds (u, which moves -log by u/|log n|), log 1 ulp, the product u, n - 1
            # additions (n - 1) u in any order, math.log 1 ulp: ((n - 1)/2 + 3) eps; for
            # n = 1000 that is 1.2e-13 (was rel=1e-13, below the any-order worst case).
            rel = ((n - 1) / 2 + 3) * EPS
            assert entropy(np.full(n, 1.0 / n)) == pytest.approx(math.log(n), rel=rel, abs=0)

    def test_zero_log_zero_is_zero(self):
        assert entropy([1.0, 0.0, 0.0]) == 0.0
        # -0.5 log 0.5 twice: log 1 ulp, the product and the doubling exact; math.log 1 ulp
        # (was rel=1e-15).
        assert entropy([0.5, 0.0, 0.5]) == pytest.approx(math.log(2), rel=2 * EPS)

    def test_underflowed_softmax_gives_no_nan(self):
        p = softmax([0.0, -1000.0])
        assert p[1] == 0.0
        assert entropy(p) == 0.0

    def test_axis(self):
        p = np.array([[0.5, 0.5], [1.0, 0.0]])
        # As above: 2 eps (was rtol=1e-15).
        np.testing.assert_allclose(entropy(p), [math.log(2), 0.0], rtol=2 * EPS)
        np.testing.assert_allclose(entropy(p.T, axis=0), [math.log(2), 0.0], rtol=2 * EPS)
        # Three terms: logs 1 ulp, products exact, 2 additions 1 eps; the reference: two logs,
        # halving exact, one addition: 1.5 eps (was the default rel=1e-6).
        assert entropy(p / 2, axis=None) == pytest.approx(math.log(4) / 2 + math.log(2) / 2,
                                                          rel=4.5 * EPS)

    def test_returns_float64_scalar_for_a_vector(self):
        h = entropy([0.25, 0.75])
        assert isinstance(h, np.float64)

    def test_integers_and_float16(self):
        assert entropy([1, 0]) == 0.0
        h16 = entropy(np.array([0.5, 0.5], dtype=np.float16))
        # 0.5 is exact in float16; then as for [0.5, 0.5] in float64: 2 eps (was rel=1e-15).
        assert h16.dtype == np.float64 and h16 == pytest.approx(math.log(2), rel=2 * EPS)

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
        # Every term -p log p is >= 0 exactly (log p <= 0 for p <= 1, and the sign survives
        # rounding), so h >= 0 with no tolerance; above, entropy_error(n) (was 1e-12 both).
        assert 0 <= h <= math.log(x.size) + entropy_error(x.size) * EPS

    @given(energy_vectors)
    def test_increases_with_temperature(self, x):
        # dH/dT = Var_p(x) / T^3 >= 0 for p = softmax(x / T).
        temps = np.geomspace(0.1, 10.0, 9)
        h = np.array([entropy(softmax(x, temperature=t)) for t in temps])
        # Each value within entropy_error(n) of the exact, which does not decrease (was 1e-12).
        assert np.all(np.diff(h) >= -2 * entropy_error(x.size) * EPS)


class TestMaxentDistribution:
    @pytest.mark.parametrize("m", [0.1, 0.3, 0.5, 0.9])
    def test_two_states_closed_form(self, m):
        # Two states E = (0, 1): p = (1 - m, m) and e^{-beta} = m / (1 - m), solved by hand.
        p, beta = maxent_distribution([0.0, 1.0], m)
        # e = E and t = m exactly; Var_p(e) = m (1 - m). p moves by Var du (dp_1/du = -p_0 p_1)
        # plus core's CORE_BOUND eps; beta = u, against the reference's 2 roundings inside the
        # log (eps absolute) and its 1 ulp. Was rtol=1e-14, atol=1e-15 and rel=1e-12, abs=1e-15.
        ref = math.log((1 - m) / m)
        du = root_error(ref, m * (1 - m), 2)
        np.testing.assert_allclose(p, [1 - m, m], rtol=(CORE_BOUND + 0.5) * EPS,
                                   atol=m * (1 - m) * du * EPS)
        assert beta == pytest.approx(ref, rel=0, abs=(du + 1 + abs(ref)) * EPS)

    def test_meets_constraints_and_is_softmax(self):
        rng = np.random.default_rng(5)
        E = rng.normal(size=9)
        n, span, top = E.size, np.ptp(E), np.abs(E).max()
        for m in np.linspace(E.min(), E.max(), 13)[1:-1]:
            p, beta = maxent_distribution(E, m)
            u = beta * span  # the root in scaled units
            # 9 entries within CORE_BOUND eps each, 8 additions: 7 eps (was abs=1e-15, below that).
            assert p.sum() == pytest.approx(1.0, abs=(CORE_BOUND + (n - 1) / 2) * EPS)
            # The mean in scaled units is off by g at the computed root, <= G + Var 4|u| eps
            # <= G + |u| eps, and by its own evaluation, G; unscaling costs 3 + n/2 eps of
            # max |E| (was abs=1e-13).
            G = 4 + n / 2
            tol = (span * (2 * G + abs(u)) + (3 + n / 2) * top) * EPS
            assert p @ E == pytest.approx(m, abs=tol)
            # Same distribution, two spellings of the exponent: -u e_i with e_i rounded by
            # 4u / span_s (span_s = span / max|E|), and -beta E_i with beta from 3 roundings
            # (1.5 eps of |u| / span_s): exponents within |u| (3.5 / span_s + 0.5) eps, which
            # p doubles, plus CORE_BOUND eps per softmax (was rtol=1e-12, atol=1e-15).
            rtol = (2 * abs(u) * (3.5 * top / span + 0.5) + 2 * CORE_BOUND) * EPS
            np.testing.assert_allclose(p, softmax(-beta * E), rtol=rtol)

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
            # No tolerance needed: the decrease is second order, sum d_i^2 / 2p_i ~ 1e-4,
            # against a first-order residue from p's rounding and the root's of ~1e-15.
            assert entropy(q) < entropy(p)

    def test_affine_change_of_energy_units(self):
        # E -> a E + b with a > 0 leaves p unchanged and divides beta by a.
        E = np.array([0.0, 1.0, 3.0, 4.5])
        p, beta = maxent_distribution(E, 1.7)
        p2, beta2 = maxent_distribution(1e4 * E - 3e5, 1e4 * 1.7 - 3e5)
        # Each run: p within du |e_i - <e>| <= du of the exact (the root's error) plus the
        # exponent roundings |u| (3.5 / span_s + 0.5) and CORE_BOUND eps. Run 1: span_s = 1. Run 2:
        # the energies are exact integers but scaled by 3e5, span_s = 0.15, so e and t carry
        # 4u / 0.15 = 13 eps more, and m's own rounding (1e4 * 1.7 - 3e5: 1.5e-11) is 1.7 eps
        # of t. Was rtol=1e-9 and rel=1e-9, 1e4 times the bound.
        e = (E - E.min()) / np.ptp(E)
        var = p @ e**2 - (p @ e) ** 2
        u = beta * np.ptp(E)
        du1 = root_error(u, var, 4)
        du2 = root_error(u, var, 4, extra=13.4 + 1.7)
        err1 = du1 + abs(u) * 4 + CORE_BOUND
        err2 = du2 + abs(u) * (3.5 / 0.15 + 0.5) + CORE_BOUND
        np.testing.assert_allclose(p2, p, rtol=(err1 + err2) * EPS)
        # beta = u / span / scale: relative du / |u| per run plus 3 roundings, and / 1e4.
        rel = ((du1 + du2) / abs(u) + 3 + 0.5) * EPS
        assert beta2 == pytest.approx(beta / 1e4, rel=rel)

    def test_mean_of_energies_gives_uniform(self):
        p, beta = maxent_distribution([0.0, 1.0, 2.0], 1.0)
        assert beta == 0.0
        # g(0) = 0 exactly, so p = softmax(zeros): 1/(1 + 2), one rounding, as 1/3: equal.
        np.testing.assert_array_equal(p, np.full(3, 1 / 3))

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
        # hardmax: 1/3 for each of the three ties, one rounding, as 1/3: equal (was 1e-15).
        np.testing.assert_array_equal(p, [1 / 3, 0.0, 1 / 3, 1 / 3])

    def test_just_inside_the_range(self):
        # beta is large but finite, and the constraint still holds.
        p, beta = maxent_distribution([0.0, 1.0, 2.0], 1e-10)
        assert np.isfinite(beta) and beta > 20
        # Near the end the mean is ~ Var_p(e) (all but e^-u of p sits at e = 0), so its
        # relative error is the root's 4|u| eps (brentq; G / Var cancels against Var) plus
        # twice the evaluation's 3 + n/2 eps relative: 4 * 46 + 9 = 193 eps = 4.3e-14
        # (was rel=1e-9).
        u = beta * 2.0
        assert p @ [0.0, 1.0, 2.0] == pytest.approx(1e-10, rel=(4 * u + 9) * EPS)

    def test_energies_near_the_float_limits(self):
        # hi - lo would overflow here; the energies are scaled first (warnings are errors).
        E = np.array([1.7e308, -1.7e308])
        p, beta = maxent_distribution(E, 1e308)
        # Scaled: e = (1, 0), t = (1 + r) / 2 with r = 1e308 / 1.7e308 rounded (2 eps of t).
        # p moves by Var du; the reference rounds r and 1 +- r: 1.5 eps (was rtol=1e-12).
        r = 1e308 / 1.7e308
        expected = [(1 + r) / 2, (1 - r) / 2]
        var = expected[0] * expected[1]
        du = root_error(math.log(expected[0] / expected[1]), var, 2, extra=2)
        np.testing.assert_allclose(p, expected, rtol=(var * du / expected[1] + CORE_BOUND
                                                      + 1.5) * EPS)
        assert beta < 0
        # Tiny energies: the same distribution as for (0, 1, 2), beta scaled by 1e300.
        p_small, beta_small = maxent_distribution([0.0, 1e-300, 2e-300], 5e-301)
        p_unit, beta_unit = maxent_distribution([0.0, 1.0, 2.0], 0.5)
        # 1e-300, 2e-300 and 5e-301 are not exactly 1:2:0.5 apart, so the scaled e and t
        # differ by 2 eps; each run's p within du + CORE_BOUND eps (exponent roundings |u| 0.5 eps,
        # span_s = 1). Was rtol=1e-12 and rel=1e-12.
        e = np.array([0.0, 0.5, 1.0])
        var = p_unit @ e**2 - (p_unit @ e) ** 2
        u = 2 * beta_unit
        du = root_error(u, var, 3, extra=2)
        np.testing.assert_allclose(p_small, p_unit,
                                   rtol=2 * (du + 0.5 * abs(u) + CORE_BOUND) * EPS)
        assert beta_small * 1e-300 == pytest.approx(beta_unit, rel=(2 * du / abs(u) + 4) * EPS)

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
        n = E.size
        # As in test_meets_constraints_and_is_softmax (was abs=1e-14 and 1e-12 (span + |m|)).
        assert p.sum() == pytest.approx(1.0, abs=(CORE_BOUND + (n - 1) / 2) * EPS)
        u = abs(beta) * span if np.isfinite(beta) else 0.0  # +-inf: hardmax, no root
        G = 4 + n / 2
        tol = (span * (2 * G + u) + (3 + n / 2) * np.abs(E).max()) * EPS
        # Hypothesis may draw subnormal energies, where each of the n products of p @ E
        # (and the clipped m) also errs by up to half the smallest subnormal.
        tol += n * float(np.finfo(np.float64).smallest_subnormal)
        assert abs(p @ E - m) <= tol
