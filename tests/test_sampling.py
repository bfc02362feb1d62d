"""Tests for softmaxlib.sampling: one class per public function.

Statistical tests use fixed seeds, so each is deterministic given the seed. Their thresholds
are quantiles of the test statistic's distribution at a stated false-alarm probability
(ALPHA), never a p-value picked because it passes: under a correct sampler a test fails with
probability ALPHA for a random seed, and the fixed seed makes that outcome reproducible.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from scipy import optimize, stats

from softmaxlib import (
    gumbel_softmax,
    hardmax,
    log_softmax,
    numerical_jacobian,
    sample_categorical,
    softmax,
    sparsemax,
    sparsemax_jacobian,
    top_k_mask,
    top_p_mask,
)

#: False-alarm probability of every statistical test below.
ALPHA = 1e-6

EPS = np.finfo(np.float64).eps


def chi2_threshold(n_categories):
    """The chi-square statistic a correct sampler exceeds with probability ALPHA.

    Pearson's statistic over n categories is asymptotically chi-square with n - 1 degrees
    of freedom; the approximation is good when every expected count is at least 5, which
    each test below ensures (its expected counts are in the thousands).
    """
    return stats.chi2.isf(ALPHA, n_categories - 1)


def chi2_statistic(draws, probs):
    probs = np.asarray(probs, dtype=np.float64)
    counts = np.bincount(np.ravel(draws), minlength=probs.size)
    expected = probs * counts.sum()
    keep = expected > 0
    assert counts[~keep].sum() == 0, "drew a token of probability 0"
    return float((((counts - expected) ** 2)[keep] / expected[keep]).sum())


# --- strategies (local to this module) --------------------------------------------------------


@st.composite
def logit_rows(draw, min_n=1, max_n=12, with_neginf=True):
    """A (rows, n) float64 array of logits in [-30, 30], some entries possibly -inf.

    At least one entry per row stays finite, so every row has something to draw. Values
    are rounded to 1/8 so that ties occur often.
    """
    n = draw(st.integers(min_n, max_n))
    rows = draw(st.integers(1, 4))
    x = draw(
        hnp.arrays(np.float64, (rows, n), elements=st.integers(-240, 240).map(lambda v: v / 8))
    )
    if with_neginf:
        drop = draw(hnp.arrays(np.bool_, (rows, n)))
        drop[:, draw(st.integers(0, n - 1))] = False
        x = np.where(drop, -np.inf, x)
    return x


seeds = st.integers(0, 2**32 - 1)


# --- sample_categorical -----------------------------------------------------------------------


class TestSampleCategorical:
    def test_frequencies_match_softmax(self):
        # Reference: softmax([log .5, log .3, log .2]) = (.5, .3, .2) by construction.
        p = np.array([0.5, 0.3, 0.2])
        draws = sample_categorical(np.log(p), rng=np.random.default_rng(20260601), size=200_000)
        assert chi2_statistic(draws, p) < chi2_threshold(3)

    def test_frequencies_with_temperature_match_tempered_softmax(self):
        x = np.array([2.0, 1.0, 0.0, -1.0])
        for T in (0.5, 3.0):
            draws = sample_categorical(x, temperature=T, rng=np.random.default_rng(5), size=100_000)
            assert chi2_statistic(draws, softmax(x, temperature=T)) < chi2_threshold(4)

    def test_filtered_frequencies_are_the_renormalised_softmax(self):
        x = np.log([0.4, 0.3, 0.2, 0.1])
        kept = np.array([0.4, 0.3]) / 0.7
        for kwargs in ({"top_k": 2}, {"top_p": 0.6}):  # 0.4 < 0.6 <= 0.7: two tokens
            draws = sample_categorical(x, rng=np.random.default_rng(9), size=100_000, **kwargs)
            assert chi2_statistic(draws, np.r_[kept, 0.0, 0.0]) < chi2_threshold(2)

    def test_float32_logits_give_the_same_draws(self):
        # float32 -> float64 is exact, so the keys and draws are identical.
        x32 = np.array([[0.5, -1.25, 3.0], [0.0, 0.0, 0.0]], dtype=np.float32)
        a = sample_categorical(x32, rng=np.random.default_rng(3), size=1000)
        b = sample_categorical(x32.astype(np.float64), rng=np.random.default_rng(3), size=1000)
        np.testing.assert_array_equal(a, b)

    def test_tiny_probabilities_are_not_lost(self):
        # log p of the second token is -800: p underflows in float64, log p does not. With
        # T = 400 its probability is sigmoid(-2) = 0.119 (log_softmax never forms exp(-800)).
        x = np.array([0.0, -800.0])
        draws = sample_categorical(x, temperature=400.0, rng=np.random.default_rng(1), size=50_000)
        p = softmax(x, temperature=400.0)
        assert chi2_statistic(draws, p) < chi2_threshold(2)

    def test_small_temperature_is_the_argmax(self):
        # Gap 0.125 at T = 1e-4 puts the runner-up 1250 below the top in log p; a Gumbel
        # variate exceeds 1250 with probability about exp(-1250): never.
        x = np.array([[0.0, 0.125, -3.0], [5.0, 4.875, 4.0]])
        draws = sample_categorical(x, temperature=1e-4, rng=np.random.default_rng(0), size=500)
        np.testing.assert_array_equal(draws, np.broadcast_to([1, 0], draws.shape))

    def test_small_temperature_splits_ties_evenly(self):
        # T -> 0 tends to hardmax, which splits tied maxima evenly (softmaxlib.hardmax).
        x = np.array([1.0, 3.0, 3.0, 2.0])
        draws = sample_categorical(x, temperature=1e-6, rng=np.random.default_rng(2), size=40_000)
        assert chi2_statistic(draws, hardmax(x)) < chi2_threshold(2)

    def test_large_temperature_is_uniform_over_possible_tokens(self):
        x = np.array([100.0, -100.0, -np.inf, 0.0])
        draws = sample_categorical(x, temperature=1e300, rng=np.random.default_rng(4), size=60_000)
        assert chi2_statistic(draws, [1 / 3, 1 / 3, 0.0, 1 / 3]) < chi2_threshold(3)

    def test_top_k_at_or_above_n_and_top_p_one_change_nothing(self):
        # The noise does not depend on the filters: same seed, same keys, same draws.
        x = np.array([[0.3, -2.0, 1.0, -np.inf, 0.0]])
        plain = sample_categorical(x, rng=np.random.default_rng(8), size=2000)
        for kwargs in ({"top_k": 4}, {"top_k": 50}, {"top_p": 1.0}, {"top_k": 5, "top_p": 1.0}):
            again = sample_categorical(x, rng=np.random.default_rng(8), size=2000, **kwargs)
            np.testing.assert_array_equal(again, plain)

    def test_top_k_one_and_tiny_top_p_are_greedy(self):
        x = np.array([[0.3, -2.0, 1.0, 0.0], [4.0, 0.0, 0.0, 0.0]])
        for kwargs in ({"top_k": 1}, {"top_p": 1e-9}):
            draws = sample_categorical(x, rng=np.random.default_rng(6), size=300, **kwargs)
            np.testing.assert_array_equal(draws, np.broadcast_to([2, 0], draws.shape))

    def test_shapes(self):
        rng = np.random.default_rng(0)
        x = np.zeros((2, 3, 5))
        assert sample_categorical(x, rng=rng).shape == (2, 3)
        assert sample_categorical(x, rng=rng, size=7).shape == (7, 2, 3)
        assert sample_categorical(x, rng=rng, size=(4, 1)).shape == (4, 1, 2, 3)
        one = sample_categorical([0.0, 1.0], rng=rng)
        assert one.shape == () and one.dtype == np.int64

    @given(logit_rows(), seeds, st.sampled_from([None, 1, 2, 5]), st.sampled_from([None, 0.3, 0.9]))
    @settings(max_examples=60)
    def test_draws_lie_in_the_kept_set(self, x, seed, k, p):
        kept = x > -np.inf
        if k is not None:
            kept = top_k_mask(x, k)
        if p is not None:
            kept &= top_p_mask(log_softmax(x, where=kept), p, where=kept)
        draws = sample_categorical(x, top_k=k, top_p=p, rng=np.random.default_rng(seed), size=20)
        rows = np.broadcast_to(np.arange(x.shape[0]), draws.shape)
        assert kept[rows, draws].all()

    def test_empty_rows_raise(self):
        rng = np.random.default_rng(0)
        with pytest.raises(ValueError, match="no token left"):
            sample_categorical([[0.0, 1.0], [-np.inf, -np.inf]], rng=rng)
        with pytest.raises(ValueError, match="at least one token"):
            sample_categorical(np.zeros((3, 0)), rng=rng)

    @pytest.mark.parametrize("rng", [None, 0, np.random.RandomState(0), np.random.PCG64(0)])
    def test_rng_must_be_a_generator(self, rng):
        with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
            sample_categorical([0.0, 1.0], rng=rng)

    @pytest.mark.parametrize(
        "kwargs, error, message",
        [
            ({"temperature": 0.0}, ValueError, "temperature"),
            ({"temperature": -1.0}, ValueError, "temperature"),
            ({"temperature": np.inf}, ValueError, "temperature"),
            ({"temperature": "hot"}, TypeError, "temperature"),
            ({"top_k": 0}, ValueError, "k must be at least 1"),
            ({"top_k": 1.5}, TypeError, "k must be a positive int"),
            ({"top_k": True}, TypeError, "k must be a positive int"),
            ({"top_p": 0.0}, ValueError, r"p must lie in \(0, 1\]"),
            ({"top_p": 1.5}, ValueError, r"p must lie in \(0, 1\]"),
            ({"top_p": np.nan}, ValueError, r"p must lie in \(0, 1\]"),
            ({"top_p": "0.9"}, TypeError, "p must be a real number"),
            ({"size": -1}, ValueError, "size"),
            ({"size": 2.0}, TypeError, "size"),
        ],
    )
    def test_bad_arguments(self, kwargs, error, message):
        with pytest.raises(error, match=message):
            sample_categorical([0.0, 1.0], rng=np.random.default_rng(0), **kwargs)

    def test_bad_logits(self):
        rng = np.random.default_rng(0)
        with pytest.raises(ValueError, match="NaN"):
            sample_categorical([0.0, np.nan], rng=rng)
        with pytest.raises(ValueError, match="scalar"):
            sample_categorical(1.0, rng=rng)
        with pytest.raises(TypeError, match="complex"):
            sample_categorical([1j, 0.0], rng=rng)
        with pytest.raises(TypeError, match="boolean"):
            sample_categorical([True, False], rng=rng)


# --- top_k_mask -------------------------------------------------------------------------------


class TestTopKMask:
    # Reference values: by hand, from the definition (logit >= k-th largest, above -inf).
    @pytest.mark.parametrize(
        "x, k, expected",
        [
            ([1.0, 3.0, 2.0, 0.0], 1, [0, 1, 0, 0]),
            ([1.0, 3.0, 2.0, 0.0], 3, [1, 1, 1, 0]),
            ([2.0, 1.0, 2.0, 0.0], 1, [1, 0, 1, 0]),  # tie at the boundary: both kept
            ([2.0, 1.0, 1.0, 0.0], 2, [1, 1, 1, 0]),
            ([0.0, -np.inf, 1.0], 3, [1, 0, 1]),  # k >= n: -inf still dropped
            ([0.0, -np.inf, 1.0], 100, [1, 0, 1]),
            ([-np.inf, -np.inf], 1, [0, 0]),
            ([np.inf, 0.0, np.inf], 1, [1, 0, 1]),
        ],
    )
    def test_examples(self, x, k, expected):
        np.testing.assert_array_equal(top_k_mask(x, k), np.array(expected, dtype=bool))

    def test_where_and_axis(self):
        x = np.array([[3.0, 2.0, 1.0], [0.0, 5.0, 4.0]])
        where = np.array([[False, True, True], [True, True, True]])
        np.testing.assert_array_equal(
            top_k_mask(x, 1, where=where), [[False, True, False], [False, True, False]]
        )
        np.testing.assert_array_equal(top_k_mask(x, 1, axis=0), [[1, 0, 0], [0, 1, 1]])
        assert top_k_mask(np.zeros((2, 0)), 3).shape == (2, 0)

    @given(logit_rows(), st.integers(1, 14), st.floats(0.01, 100.0), st.floats(-50, 50))
    def test_properties(self, x, k, scale, shift):
        mask = top_k_mask(x, k)
        alive = x > -np.inf
        # At least min(k, alive) tokens; every kept logit >= every dropped live logit.
        assert (mask.sum(axis=1) >= np.minimum(k, alive.sum(axis=1))).all()
        assert not (mask & ~alive).any()
        lo = np.where(mask, x, np.inf).min(axis=1)
        hi = np.where(alive & ~mask, x, -np.inf).max(axis=1)
        assert (lo > hi).all()
        # More than k only through ties with the k-th largest.
        exceeds = mask.sum(axis=1) > k
        for r in np.flatnonzero(exceeds):
            assert np.sum(x[r] > lo[r]) < k
        # Invariant under temperature (positive scaling) and shift: the order is kept.
        # (Scaling by a power of two is exact; the shift moves values by rounding only when
        # they are far apart, so compare with an exact scale.)
        np.testing.assert_array_equal(top_k_mask(x * 2.0**-3, k), mask)
        np.testing.assert_array_equal(top_k_mask(x + 16.0, k), mask)
        # Does not depend on the order of the tokens.
        perm = np.random.default_rng(k).permutation(x.shape[1])
        np.testing.assert_array_equal(top_k_mask(x[:, perm], k), mask[:, perm])

    @pytest.mark.parametrize(
        "k, error", [(0, ValueError), (-3, ValueError), (2.0, TypeError), (None, TypeError)]
    )
    def test_bad_k(self, k, error):
        with pytest.raises(error, match="k must"):
            top_k_mask([0.0, 1.0], k)

    def test_bad_input(self):
        with pytest.raises(ValueError, match="NaN"):
            top_k_mask([np.nan, 0.0], 1)
        with pytest.raises(TypeError, match="axis must be an int"):
            top_k_mask([0.0, 1.0], 1, axis=None)
        with pytest.raises(TypeError, match="where must be a boolean"):
            top_k_mask([0.0, 1.0], 1, where=[1, 0])


# --- top_p_mask -------------------------------------------------------------------------------


class TestTopPMask:
    # Reference values: by hand from Holtzman et al.'s definition (smallest set reaching p).
    # Every p is at least 0.05 away from a partial sum, so rounding cannot decide.
    @pytest.mark.parametrize(
        "probs, p, expected",
        [
            ([0.5, 0.3, 0.15, 0.05], 0.4, [1, 0, 0, 0]),
            ([0.5, 0.3, 0.15, 0.05], 0.6, [1, 1, 0, 0]),
            ([0.5, 0.3, 0.15, 0.05], 0.9, [1, 1, 1, 0]),
            ([0.05, 0.15, 0.3, 0.5], 0.9, [0, 1, 1, 1]),  # order of tokens does not matter
            ([0.7, 0.2, 0.1], 0.5, [1, 0, 0]),  # peaked: one token already exceeds p
            ([0.25, 0.25, 0.25, 0.25], 0.3, [1, 1, 1, 1]),  # flat: ties all kept
            ([0.4, 0.2, 0.2, 0.2], 0.5, [1, 1, 1, 1]),  # tie at the boundary kept
            ([0.4, 0.2, 0.2, 0.2], 0.35, [1, 0, 0, 0]),
        ],
    )
    def test_examples(self, probs, p, expected):
        np.testing.assert_array_equal(top_p_mask(np.log(probs), p), np.array(expected, bool))

    def test_p_one_keeps_underflowing_tokens(self):
        x = np.array([0.0, -800.0, -np.inf, 5.0])  # exp(-805) underflows in float64
        np.testing.assert_array_equal(top_p_mask(x, 1.0), [True, True, False, True])
        # Just below 1 the underflowing token is beyond the boundary.
        np.testing.assert_array_equal(top_p_mask(x, 1 - 1e-9), [True, False, False, True])

    def test_rows_with_nothing_left_are_all_false(self):
        x = np.array([[-np.inf, -np.inf], [0.0, 1.0]])
        np.testing.assert_array_equal(top_p_mask(x, 0.5), [[False, False], [False, True]])
        np.testing.assert_array_equal(
            top_p_mask(x[1], 0.5, where=np.array([False, False])), [False, False]
        )

    def test_where_renormalises_and_axis(self):
        x = np.log(np.array([0.4, 0.3, 0.2, 0.1]))
        where = np.array([False, True, True, True])  # renormalised: 0.5, 0.333, 0.167
        np.testing.assert_array_equal(top_p_mask(x, 0.6, where=where), [0, 1, 1, 0])
        np.testing.assert_array_equal(top_p_mask(x[:, None], 0.6, axis=0)[:, 0], [1, 1, 0, 0])

    @given(logit_rows(), st.floats(0.01, 1.0))
    def test_properties(self, x, p):
        mask = top_p_mask(x, p)
        probs = softmax(x, where=x > -np.inf)
        n = x.shape[1]
        kept_mass = np.where(mask, probs, 0.0).sum(axis=1)
        # Reaches p, up to the rounding of an n-term sum of probabilities (n eps).
        assert (kept_mass >= p - 4 * n * EPS).all()
        # Upward closed: a token at least as likely as a kept one is kept.
        lo = np.where(mask, x, np.inf).min(axis=1, keepdims=True)
        np.testing.assert_array_equal(mask, (x >= lo) & (x > -np.inf))
        # Minimal up to ties: the tokens strictly above the boundary have mass below p.
        above = np.where(x > lo, probs, 0.0).sum(axis=1)
        assert (above < p + 4 * n * EPS).all()
        perm = np.random.default_rng(n).permutation(n)
        np.testing.assert_array_equal(top_p_mask(x[:, perm], p), mask[:, perm])

    @pytest.mark.parametrize(
        "p, error",
        [(0.0, ValueError), (-0.1, ValueError), (1.0001, ValueError), (np.nan, ValueError),
         (None, TypeError), (True, TypeError)],
    )
    def test_bad_p(self, p, error):
        with pytest.raises(error, match="p must"):
            top_p_mask([0.0, 1.0], p)


# --- gumbel_softmax ---------------------------------------------------------------------------


def _two_class_mean(d, tau):
    """E[y_1] for logits (d, 0), by quadrature.

    y_1 = sigmoid((d + Z) / tau) with Z = G_1 - G_2 standard logistic, so
    E[y_1] = integral of sigmoid((d + z) / tau) times the logistic density.
    """
    from scipy import integrate, special

    def f(z):
        return special.expit((d + z) / tau) * special.expit(z) * special.expit(-z)

    return integrate.quad(f, -60, 60, points=[-d], limit=400, epsabs=1e-14, epsrel=1e-12)[0]


class TestGumbelSoftmax:
    def test_on_the_simplex(self):
        x = np.array([[0.0, -1.0, 2.0, -np.inf], [1.0, 1.0, 1.0, 1.0]])
        y = gumbel_softmax(x, 0.7, np.random.default_rng(0), size=50)
        assert y.shape == (50, 2, 4)
        # Each row sums to 1 up to rounding of a 4-term sum (a few eps).
        np.testing.assert_allclose(y.sum(axis=-1), 1.0, rtol=0, atol=8 * EPS)
        assert (y[:, 0, 3] == 0).all() and (y[:, 0, :3] > 0).all() and (y[:, 1] > 0).all()

    @given(logit_rows(), seeds)
    @settings(max_examples=50)
    def test_small_tau_is_the_gumbel_max_draw(self, x, seed):
        # Same seed, same noise; softmax is monotone, so the argmax is the Gumbel-max draw.
        y = gumbel_softmax(x, 1e-3, np.random.default_rng(seed), size=5)
        idx = sample_categorical(x, rng=np.random.default_rng(seed), size=5)
        np.testing.assert_array_equal(np.argmax(y, axis=-1), idx)

    def test_large_tau_is_uniform(self):
        # Keys log p + G spread by R (here < 100); softmax(keys / tau) is within R / tau of
        # uniform in relative terms.
        x = np.array([3.0, 0.0, -2.0, -np.inf])
        y = gumbel_softmax(x, 1e8, np.random.default_rng(1), size=100)
        np.testing.assert_allclose(y[..., :3], 1 / 3, rtol=1e-6)
        assert (y[..., 3] == 0).all()

    def test_mean_matches_quadrature_and_bias_vanishes_as_tau_falls(self):
        d = 1.5  # p_1 = sigmoid(1.5)
        p1 = float(softmax([d, 0.0])[0])
        n = 200_000
        for tau in (2.0, 1.0, 0.5):
            y = gumbel_softmax([d, 0.0], tau, np.random.default_rng(11), size=n)
            exact = _two_class_mean(d, tau)
            # y_1 in [0, 1]: Hoeffding, |mean - E| <= sqrt(log(2/ALPHA) / (2n)).
            bound = np.sqrt(np.log(2 / ALPHA) / (2 * n))
            assert abs(y[:, 0].mean() - exact) < bound
            assert exact < p1  # pulled towards 1/2
        bias = [p1 - _two_class_mean(d, tau) for tau in (0.4, 0.2, 0.1, 0.05)]
        assert all(b1 > b2 > 0 for b1, b2 in zip(bias, bias[1:]))

    def test_bad_arguments(self):
        with pytest.raises(TypeError, match="rng"):
            gumbel_softmax([0.0, 1.0], 1.0, 42)
        with pytest.raises(ValueError, match="temperature"):
            gumbel_softmax([0.0, 1.0], 0.0, np.random.default_rng(0))
        with pytest.raises(ValueError, match="no token left"):
            gumbel_softmax([-np.inf, -np.inf], 1.0, np.random.default_rng(0))
        with pytest.raises(ValueError, match="NaN"):
            gumbel_softmax([np.nan, 1.0], 1.0, np.random.default_rng(0))


# --- sparsemax --------------------------------------------------------------------------------


def _qp_projection(z):
    """argmin ||p - z||^2 over the simplex, by SLSQP (a generic solver, no sparsemax)."""
    n = z.size
    res = optimize.minimize(
        lambda p: 0.5 * np.sum((p - z) ** 2),
        np.full(n, 1.0 / n),
        jac=lambda p: p - z,
        method="SLSQP",
        bounds=[(0.0, 1.0)] * n,
        constraints=[{"type": "eq", "fun": lambda p: p.sum() - 1.0, "jac": lambda p: np.ones(n)}],
        options={"ftol": 1e-12, "maxiter": 500},
    )
    assert res.success, res.message
    return res.x


class TestSparsemax:
    # Reference values: by hand from Martins & Astudillo's algorithm (tau in the comment).
    @pytest.mark.parametrize(
        "x, expected",
        [
            ([1.0, 0.8, 0.1, -1.0], [0.6, 0.4, 0.0, 0.0]),  # tau = 0.4
            ([0.0, 0.5, 0.25], [1 / 12, 7 / 12, 4 / 12]),  # tau = -1/12
            ([3.0, 0.0], [1.0, 0.0]),  # tau = 2
            ([0.0, 0.0, 0.0, 0.0], [0.25] * 4),  # tau = -1/4
            ([0.5, 0.0], [0.75, 0.25]),  # tau = -0.25
            ([7.0], [1.0]),
        ],
    )
    def test_examples(self, x, expected):
        np.testing.assert_allclose(sparsemax(x), expected, rtol=0, atol=4 * EPS)

    def test_agrees_with_a_generic_qp_solver(self):
        rng = np.random.default_rng(2016)
        for _ in range(20):
            z = rng.normal(scale=rng.choice([0.3, 1.0, 3.0]), size=rng.integers(2, 9))
            # On a QP, each SLSQP step solves the quadratic subproblem exactly, so once the
            # active set is right the answer is exact up to rounding (about n eps times the
            # scale of z, below 1e-13 here); allow 1e-9.
            np.testing.assert_allclose(sparsemax(z), _qp_projection(z), rtol=0, atol=1e-9)

    @given(logit_rows(with_neginf=True), st.floats(-100, 100))
    def test_properties(self, x, shift):
        p = sparsemax(x)
        n = x.shape[1]
        assert (p >= 0).all()
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=4 * n * EPS)
        assert (p[x == -np.inf] == 0).all()
        # KKT conditions of the projection: p = x - tau on the support, x <= tau off it.
        support = p > 0
        tau = np.nanmax(np.where(support, x - p, -np.inf), axis=1, keepdims=True)
        np.testing.assert_allclose(
            np.where(support, x - p, tau), np.broadcast_to(tau, x.shape), atol=64 * EPS * 30
        )
        assert (np.where(~support, x, -np.inf) <= tau + 64 * EPS * 30).all()
        # Order preserving and shift invariant (shift changes x by rounding: |x| <= 130,
        # so each x + shift is off by at most 130 eps / 2; allow 1e-12).
        order = np.argsort(x, axis=1, kind="stable")
        assert (np.diff(np.take_along_axis(p, order, axis=1), axis=1) >= 0).all()
        np.testing.assert_allclose(sparsemax(x + shift), p, rtol=0, atol=1e-12)

    def test_points_of_the_simplex_are_fixed(self):
        q = np.random.default_rng(4).dirichlet(np.ones(6), size=10)
        np.testing.assert_allclose(sparsemax(q), q, rtol=0, atol=8 * EPS)

    def test_edge_cases(self):
        np.testing.assert_array_equal(sparsemax([np.inf, 0.0, np.inf]), [0.5, 0.0, 0.5])
        assert np.isnan(sparsemax([np.nan, 0.0])).all()
        assert np.isnan(sparsemax([-np.inf, -np.inf])).all()
        np.testing.assert_array_equal(sparsemax([-np.inf, 2.0]), [0.0, 1.0])
        assert sparsemax(np.zeros((3, 0))).shape == (3, 0)
        x32 = np.array([1.0, 0.8, 0.1], dtype=np.float32)
        assert sparsemax(x32).dtype == np.float32
        np.testing.assert_allclose(sparsemax(np.array([[1.0, 0.0], [0.0, 1.0]]), axis=0),
                                   [[1.0, 0.0], [0.0, 1.0]])

    def test_bad_input(self):
        with pytest.raises(TypeError, match="complex"):
            sparsemax([1j, 0.0])
        with pytest.raises(ValueError, match="scalar"):
            sparsemax(1.0)
        with pytest.raises(TypeError, match="axis must be an int"):
            sparsemax([0.0, 1.0], axis=(0,))


class TestSparsemaxJacobian:
    def test_example(self):
        # Support {0, 1} (tau = 0.4): J = I - 1/2 on it, 0 elsewhere (by hand).
        J = sparsemax_jacobian([1.0, 0.8, 0.1, -1.0])
        expected = np.zeros((4, 4))
        expected[:2, :2] = [[0.5, -0.5], [-0.5, 0.5]]
        np.testing.assert_array_equal(J, expected)

    def test_matches_central_differences(self):
        # sparsemax is piecewise linear: a central difference that does not cross a kink is
        # exact up to rounding, about eps * |p| / h = 2e-16 / 6e-6 ~ 4e-11; allow 1e-8.
        rng = np.random.default_rng(3)
        checked = 0
        while checked < 20:
            x = rng.normal(size=rng.integers(2, 8))
            p = sparsemax(x)
            tau = np.max(x[p > 0] - p[p > 0])
            if np.min(np.abs(x - tau)[p == 0], initial=np.inf) < 1e-3:
                continue  # too close to a kink for the step h ~ 6e-6
            np.testing.assert_allclose(
                sparsemax_jacobian(x), numerical_jacobian(sparsemax, x), rtol=0, atol=1e-8
            )
            checked += 1

    @given(logit_rows(with_neginf=False))
    def test_structure(self, x):
        J = sparsemax_jacobian(x)
        assert J.shape == x.shape + (x.shape[1],)
        np.testing.assert_array_equal(J, np.swapaxes(J, -1, -2))
        # Rows sum to 0 up to rounding of |S| terms 1/|S|.
        np.testing.assert_allclose(J.sum(axis=-1), 0.0, atol=4 * x.shape[1] * EPS)
        off = sparsemax(x) == 0
        assert (J[off] == 0).all()

    def test_batch_and_axis(self):
        x = np.random.default_rng(0).normal(size=(3, 4, 5))
        J = sparsemax_jacobian(x, axis=1)
        assert J.shape == (3, 5, 4, 4)
        np.testing.assert_array_equal(J[1, 2], sparsemax_jacobian(x[1, :, 2]))
