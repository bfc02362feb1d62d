"""Tests for softmaxlib.mlp: shapes, backpropagation against central differences, training.

The reference for the gradients of random networks is the central difference
(f(p + h) - f(p - h)) / 2h at h = 1e-6, whose error is h^2 |f^(3)| / 6 (truncation, ~1e-12
here) plus the rounding of f, c eps |L| / h per entry, where c bounds the relative forward
error of the loss. For these networks (three dot products of at most 7 terms, an activation,
a log_softmax) c <= 20 is a safe count of roundings, so the rounding term is about
20 * 2.2e-16 * |L| / 1e-6 = 4.4e-9 |L| per entry. The fixed examples in TestOutputLayer
compare with mpmath instead and are bounded in eps.
"""

import math

import numpy as np
import pytest

from softmaxlib import cross_entropy, softmax
from softmaxlib.accuracy import error_in_eps, exact_log_softmax, exact_softmax
from softmaxlib.mlp import (
    MLP,
    SGD,
    Activation,
    Adam,
    Dense,
    classification_accuracy,
    gradient_check,
    he_init,
    numerical_gradient,
    train,
    xavier_init,
)
from strategies import log_softmax_bound, softmax_bound

EPS = np.finfo(np.float64).eps

def core_bound(n):
    """softmaxlib.core's float64 bound in eps for rows of n entries: the larger of
    tests/strategies.py's softmax_bound and log_softmax_bound (also logsumexp's)."""
    return max(softmax_bound(n, np.float64), log_softmax_bound(n, np.float64))


#: core's bound at the longest row used with it in this file (n <= 10); the bounds grow with n.
CORE_BOUND = core_bound(10)

# A one-layer network set by hand: 3 samples, 2 inputs, 3 classes. Batch = classes, so a
# transposed gradient has the right shape and only its values can give it away. Every entry
# of X, W, b is a small dyadic number, so the logits X W + b are exact in any summation order
# (whatever GEMM kernel OpenBLAS picks for the CPU).
X_HAND = np.array([[1.0, 2.0], [0.0, -1.0], [-0.5, 0.25]])
W_HAND = np.array([[1.0, 0.0, -1.0], [0.0, 2.0, 1.0]])
B_HAND = np.array([0.5, 0.0, -0.5])
Y_HAND = np.array([2, 0, 1])
# By hand: X W + b, row by row.
Z_HAND = np.array([[1.5, 4.0, 0.5], [0.5, -2.0, -1.5], [0.0, 0.5, 0.25]])


def _hand_net():
    net = MLP((2, 3), seed=0)
    (layer,) = net.dense_layers
    layer.W[...] = W_HAND
    layer.b[...] = B_HAND
    return net


def _reference_gradient():
    """dL/dz = (softmax(z) - onehot(y)) / batch from mpmath probabilities, and its bound.

    The network's softmax is within CORE_BOUND eps (relative) of the exact one and the reference's
    within 1/2 eps; the subtraction of the one-hot and the division by the batch round once
    each on both sides: |G - G_ref| <= ((CORE_BOUND + 0.5) p + |p - t|) eps / batch.
    """
    p = exact_softmax(Z_HAND)
    t = np.eye(3)[Y_HAND]
    n = len(Y_HAND)
    return (p - t) / n, ((CORE_BOUND + 0.5) * p + np.abs(p - t)) * EPS / n


class TestOutputLayer:
    """Fixed examples that a wrong output layer fails: the axis of the softmax, the loss taken
    from log_softmax, the gradient's factor and orientation, the biases' update."""

    def test_logits_by_hand(self):
        np.testing.assert_array_equal(_hand_net().forward(X_HAND), Z_HAND)

    def test_predict_proba_normalises_each_sample(self):
        # Reference: mpmath along the class axis (exact_softmax); bound: core's CORE_BOUND eps.
        # Columns normalised instead would differ in the first digit.
        p = _hand_net().predict_proba(X_HAND)
        assert (error_in_eps(p, exact_softmax(Z_HAND, axis=-1)) <= CORE_BOUND).all()
        np.testing.assert_array_equal(_hand_net().predict(X_HAND), [1, 0, 1])

    def test_loss_is_mean_cross_entropy(self):
        # Reference: -mean(log_softmax(z)[y]) from mpmath; each term within CORE_BOUND eps of
        # |term|, the sum of 3 positive terms and the division by 3 add 1.5 eps, the reference
        # 0.5.
        exact = -exact_log_softmax(Z_HAND)[np.arange(3), Y_HAND]
        ref = float(np.mean(exact))
        net = _hand_net()
        assert error_in_eps(net.loss(X_HAND, Y_HAND), ref) <= CORE_BOUND + 1.5 + 0.5
        assert error_in_eps(net.gradient(X_HAND, Y_HAND), ref) <= CORE_BOUND + 1.5 + 0.5

    def test_loss_from_log_softmax_not_log_of_softmax(self):
        # Logits [400, -400]: the true loss of label 1 is 800 + log1p(e^-800) = 800.0 in
        # float64. -log(softmax) would give inf (softmax underflows), an epsilon inside the
        # log 16.12. The gradient (softmax - onehot) = [1, -1] is exact.
        net = MLP((1, 2), seed=0)
        net.dense_layers[0].W[...] = [[400.0, -400.0]]
        X, y = np.array([[1.0]]), np.array([1])
        assert net.loss(X, y) == 800.0
        assert net.gradient(X, y) == 800.0
        np.testing.assert_array_equal(net.dense_layers[0].dW, [[1.0, -1.0]])
        np.testing.assert_array_equal(net.dense_layers[0].db, [1.0, -1.0])

    def test_gradients_by_hand(self):
        # dW = X^T G and db = sum over the batch of G, G = (softmax(z) - onehot(y)) / batch.
        # Bound: G's (see _reference_gradient), carried through X^T and the batch sum, plus
        # the rounding of the products and the 3-term sums in any order (3 u |X|^T |G|).
        G, g_bound = _reference_gradient()
        net = _hand_net()
        net.gradient(X_HAND, Y_HAND)
        (layer,) = net.dense_layers
        absX = np.abs(X_HAND)
        dW_bound = absX.T @ g_bound + 1.5 * EPS * (absX.T @ np.abs(G))
        db_bound = g_bound.sum(axis=0) + 1.5 * EPS * np.abs(G).sum(axis=0)
        assert (np.abs(layer.dW - X_HAND.T @ G) <= dW_bound).all()
        assert (np.abs(layer.db - G.sum(axis=0)) <= db_bound).all()
        # The gradient with respect to the input, G W^T, is what backward returns.
        gX = net.backward(G)
        assert (np.abs(gX - G @ W_HAND.T) <= 1.5 * EPS * (np.abs(G) @ np.abs(W_HAND.T))).all()

    def test_sgd_step_moves_weights_and_biases(self):
        # One epoch with one batch of all 3 samples is one step: p - lr dL/dp, from b = b0.
        # lr = 0.5 is a power of 2, so the step adds only the subtraction's rounding.
        G, g_bound = _reference_gradient()
        net = _hand_net()
        train(net, X_HAND, Y_HAND, optimizer=SGD(0.5), epochs=1, batch_size=3)
        (layer,) = net.dense_layers
        absX = np.abs(X_HAND)
        dW_bound = absX.T @ g_bound + 1.5 * EPS * (absX.T @ np.abs(G))
        db_bound = g_bound.sum(axis=0) + 1.5 * EPS * np.abs(G).sum(axis=0)
        W_new, b_new = W_HAND - 0.5 * (X_HAND.T @ G), B_HAND - 0.5 * G.sum(axis=0)
        assert (np.abs(layer.W - W_new) <= 0.5 * dW_bound + EPS * np.abs(W_new)).all()
        assert (np.abs(layer.b - b_new) <= 0.5 * db_bound + EPS * np.abs(b_new)).all()
        assert (np.abs(layer.b - B_HAND) > 0.01).all()  # every bias moved (|db| > 0.02)

    def test_adam_first_step_moves_biases_by_lr(self):
        # Adam's first step is lr * g / (|g| + 1e-8): lr against the sign of every gradient,
        # up to lr * 1e-8 / |g| (|g| >= 0.02 here: 5e-9 relative) and a few roundings.
        G, _ = _reference_gradient()
        net = _hand_net()
        net.gradient(X_HAND, Y_HAND)
        Adam(0.01).step(net.params, net.grads)
        (layer,) = net.dense_layers
        np.testing.assert_allclose(layer.b, B_HAND - 0.01 * np.sign(G.sum(axis=0)), rtol=0,
                                   atol=0.01 * 1e-8 / 0.02 + 4 * EPS)

    def test_batch_of_one_row_is_that_row(self):
        # The mean over a batch of one is the sample's own loss and gradient: no factor.
        net = _hand_net()
        for i in range(3):
            loss = net.gradient(X_HAND[i : i + 1], Y_HAND[i : i + 1])
            exact = -float(exact_log_softmax(Z_HAND[i])[Y_HAND[i]])
            assert error_in_eps(loss, exact) <= CORE_BOUND + 0.5
            p, t = exact_softmax(Z_HAND[i]), np.eye(3)[Y_HAND[i]]
            bound = ((CORE_BOUND + 0.5) * p + np.abs(p - t)) * EPS
            assert (np.abs(net.dense_layers[0].db - (p - t)) <= bound).all()


def _blobs(n=90, seed=0):
    """Three well-separated Gaussian blobs in 2-D, labels 0, 1, 2."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 3
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    return centres[y] + 0.5 * rng.normal(size=(n, 2)), y


class TestInit:
    def test_xavier_scale(self):
        W = xavier_init(300, 500, np.random.default_rng(0))
        assert W.shape == (300, 500)
        # Seeded draws; the sample std of N = 150,000 normals has relative standard error
        # 1/sqrt(2N) = 0.18%: rel = 6 standard errors (was 0.02). A wrong fan changes it 29%+.
        assert W.std() == pytest.approx(np.sqrt(2 / 800), rel=6 / math.sqrt(2 * W.size))

    def test_he_scale(self):
        W = he_init(300, 500, np.random.default_rng(0))
        # As above: 6 standard errors of the sample std (was 0.02).
        assert W.std() == pytest.approx(np.sqrt(2 / 300), rel=6 / math.sqrt(2 * W.size))

    def test_bad_sizes(self):
        with pytest.raises(ValueError, match="n_in"):
            he_init(0, 3, np.random.default_rng(0))


class TestDense:
    def test_forward_and_backward_shapes(self):
        layer = Dense(4, 3, rng=np.random.default_rng(0))
        x = np.ones((5, 4))
        assert layer.forward(x).shape == (5, 3)
        assert layer.backward(np.ones((5, 3))).shape == (5, 4)
        np.testing.assert_array_equal(layer.db, [5.0, 5.0, 5.0])

    def test_bad_init(self):
        with pytest.raises(ValueError, match="init"):
            Dense(2, 2, init="uniform")


class TestActivation:
    def test_backward_is_chain_rule(self):
        act = Activation("relu")
        act.forward(np.array([[-1.0, 2.0]]))
        np.testing.assert_array_equal(act.backward(np.array([[5.0, 5.0]])), [[0.0, 5.0]])

    def test_unknown(self):
        with pytest.raises(ValueError, match="activation"):
            Activation("tanh")


class TestMLP:
    def test_shapes_784_50_100_10(self):
        net = MLP((784, 50, 100, 10), activation="sigmoid", seed=0)
        X = np.random.default_rng(0).random((7, 784))
        assert [layer.W.shape for layer in net.dense_layers] == [(784, 50), (50, 100), (100, 10)]
        assert net.forward(X).shape == (7, 10)
        # Each p_i within CORE_BOUND eps relative (core), so sum p_i within CORE_BOUND eps of 1,
        # plus 9 additions of u each (was rtol=1e-14).
        rtol = (CORE_BOUND + 4.5) * EPS
        np.testing.assert_allclose(net.predict_proba(X).sum(axis=1), 1.0, rtol=rtol)

    def test_batched_equals_one_at_a_time(self):
        net = MLP((6, 5, 4), seed=1)
        X = np.random.default_rng(2).normal(size=(8, 6))
        rows = np.vstack([net.forward(X[i : i + 1]) for i in range(8)])
        # A batch of 8 and a batch of 1 may take other GEMM kernels, so other summation
        # orders: a dot product of n terms plus a bias is within (n + 1) u sum |x w| + |b| of
        # the exact one in any order, twice for the two sides; ReLU is 1-Lipschitz, so the
        # hidden difference reaches the logits times |W2|. Was rtol=1e-13, atol=1e-15.
        (d1, d2), h = net.dense_layers, np.abs(net.hidden(X)[0])
        e1 = 2 * 7 * EPS / 2 * (np.abs(X) @ np.abs(d1.W) + np.abs(d1.b))
        bound = e1 @ np.abs(d2.W) + 2 * 6 * EPS / 2 * (h @ np.abs(d2.W) + np.abs(d2.b))
        assert (np.abs(net.forward(X) - rows) <= bound).all()

    def test_predict_proba_is_softmax_of_logits(self):
        net = MLP((3, 4, 2), seed=0)
        X = np.eye(3)
        # T = 2 is a power of two, so z / 2 is exact and both are softmax of the same exact
        # scores, each within CORE_BOUND eps; core may round the two routes differently (it
        # shifts and compensates before dividing by T), so not bit for bit.
        expected = softmax(net.forward(X) / 2.0)
        np.testing.assert_allclose(net.predict_proba(X, temperature=2.0), expected,
                                   rtol=2 * CORE_BOUND * EPS)

    def test_default_init_follows_activation(self):
        assert MLP((2, 2), activation="relu").init == "he"
        assert MLP((2, 2), activation="sigmoid").init == "xavier"

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="sizes"):
            MLP((3,))
        with pytest.raises(ValueError, match="sizes"):
            MLP((3, 0, 2))
        with pytest.raises(TypeError, match="sizes must be a positive int, got 2.5"):
            MLP((3, 2.5, 2))
        with pytest.raises(ValueError, match="X must have shape"):
            MLP((3, 2)).forward(np.ones((2, 4)))
        with pytest.raises(TypeError, match="X must"):
            MLP((1, 2)).forward([["a"]])


class TestGradients:
    @pytest.mark.parametrize("activation", ["relu", "sigmoid", "identity"])
    def test_backprop_matches_central_differences(self, activation):
        rng = np.random.default_rng(3)
        X, y = rng.normal(size=(6, 5)), rng.integers(0, 4, size=6)
        net = MLP((5, 7, 6, 4), activation=activation, seed=4)
        # Per entry 4.4e-9 |L| (module docstring), |L| < 1.7 here; norm-wise over the 35
        # entries of the smallest gradient (norm 0.023, sigmoid), relative to twice that
        # norm: sqrt(35) * 7.5e-9 / 0.046 = 1e-6. Was 1e-7, which worst-case rounding does not
        # support (met with 13x to spare only because rounding errors partly cancel); a
        # wrong factor or a transposed gradient gives 0.3 or more.
        assert gradient_check(net, X, y) < 1e-6

    def test_input_gradient(self):
        # dL/dX from backward against central differences on X itself
        rng = np.random.default_rng(5)
        X, y = rng.normal(size=(3, 4)), np.array([0, 2, 1])
        net = MLP((4, 6, 3), activation="sigmoid", seed=0)
        gX = net.backward(np.asarray(softmax(net.forward(X)) - np.eye(3)[y]) / 3)
        num = numerical_gradient(lambda: float(cross_entropy(net.forward(X), y)), X)
        # Rounding 4.4e-9 |L| per entry (module docstring) plus truncation h^2 |f^(3)| / 6
        # <= 1e-11 (|f^(3)| <= 60); was rtol=1e-6 (5e-7 on an entry of 0.5) and atol=1e-9.
        atol = 4.4e-9 * net.loss(X, y) + 1e-11
        np.testing.assert_allclose(gX, num, rtol=0, atol=atol)

    def test_numerical_gradient_restores_the_array(self):
        p = np.array([1.0, -2.0, 3.0])
        numerical_gradient(lambda: float(np.sum(p**3)), p)
        np.testing.assert_array_equal(p, [1.0, -2.0, 3.0])


class TestOptimizers:
    def test_sgd_step(self):
        p = np.array([1.0, 2.0])
        SGD(0.5).step([p], [np.array([2.0, -2.0])])
        np.testing.assert_array_equal(p, [0.0, 3.0])

    def test_adam_first_step_is_lr_times_sign(self):
        # with bias correction, m_hat = g and v_hat = g^2 on step 1: the step is lr * g / |g|
        p = np.array([1.0, 1.0])
        Adam(0.1).step([p], [np.array([3.0, -0.02])])
        # The step is lr g / (|g| + 1e-8): short of lr by lr 1e-8 / |g| <= 5e-8 for |g| = 0.02,
        # plus a few roundings of 1.1 (4 eps). Was rtol=1e-6.
        np.testing.assert_allclose(p, [0.9, 1.1], rtol=0, atol=0.1 * 1e-8 / 0.02 + 4 * EPS)

    def test_bad_lr(self):
        with pytest.raises(ValueError, match="lr"):
            SGD(0.0)
        with pytest.raises(ValueError, match="lr"):
            Adam(-1.0)


class TestTrain:
    def _run(self, optimizer):
        X, y = _blobs()
        net = MLP((2, 16, 3), seed=0)
        history = train(
            net, X, y, optimizer=optimizer, epochs=15, batch_size=8, seed=0, validation=(X, y)
        )
        return net, history

    def test_learns_separable_blobs(self):
        net, h = self._run(Adam(0.01))
        X, y = _blobs()
        assert h["loss"][-1] < h["loss"][0]
        # The centres are 3.4 apart with sd 0.5: the Bayes error is about Phi(-3.4) = 3e-4
        # per point, so a trained net gets all 90 right (it does, on every CPU profile);
        # 0.95 leaves 4 points for a run that has not quite converged after 15 epochs.
        assert classification_accuracy(net, X, y) == h["accuracy"][-1] >= 0.95
        assert h["epoch"] == list(range(1, 16)) and len(h["val_loss"]) == 15

    @pytest.mark.parametrize("make", [lambda: SGD(0.1), lambda: Adam(0.01)], ids=["sgd", "adam"])
    def test_two_runs_are_identical(self, make):
        (net1, h1), (net2, h2) = self._run(make()), self._run(make())
        assert h1 == h2  # exact equality: the same floats, not merely close
        for p1, p2 in zip(net1.params, net2.params):
            np.testing.assert_array_equal(p1, p2)

    def test_different_seed_differs(self):
        X, y = _blobs()
        a = train(MLP((2, 8, 3), seed=0), X, y, optimizer=SGD(0.1), epochs=2, seed=0)
        b = train(MLP((2, 8, 3), seed=0), X, y, optimizer=SGD(0.1), epochs=2, seed=1)
        assert a["loss"] != b["loss"]

    def test_bad_arguments(self):
        X, y = _blobs()
        with pytest.raises(ValueError, match="y must"):
            train(MLP((2, 3)), X, y[:-1], optimizer=SGD(), epochs=1)
        with pytest.raises(ValueError, match="batch_size"):
            train(MLP((2, 3)), X, y, optimizer=SGD(), epochs=1, batch_size=0)
        with pytest.raises(ValueError, match="epochs"):
            train(MLP((2, 3)), X, y, optimizer=SGD(), epochs=-1)
