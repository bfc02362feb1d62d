"""Tests for softmaxlib.mlp: shapes, backpropagation against central differences, training.

The reference for every gradient is the central difference (f(p + h) - f(p - h)) / 2h, whose
error is O(h^2) plus rounding; agreement to about 1e-6 relative means backpropagation is right.
"""

import numpy as np
import pytest

from softmaxlib import cross_entropy, softmax
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
        assert W.std() == pytest.approx(np.sqrt(2 / 800), rel=0.02)

    def test_he_scale(self):
        W = he_init(300, 500, np.random.default_rng(0))
        assert W.std() == pytest.approx(np.sqrt(2 / 300), rel=0.02)

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
        np.testing.assert_allclose(net.predict_proba(X).sum(axis=1), 1.0, rtol=1e-14)

    def test_batched_equals_one_at_a_time(self):
        net = MLP((6, 5, 4), seed=1)
        X = np.random.default_rng(2).normal(size=(8, 6))
        rows = np.vstack([net.forward(X[i : i + 1]) for i in range(8)])
        np.testing.assert_allclose(net.forward(X), rows, rtol=1e-13, atol=1e-15)

    def test_predict_proba_is_softmax_of_logits(self):
        net = MLP((3, 4, 2), seed=0)
        X = np.eye(3)
        expected = softmax(net.forward(X) / 2.0)
        np.testing.assert_array_equal(net.predict_proba(X, temperature=2.0), expected)

    def test_default_init_follows_activation(self):
        assert MLP((2, 2), activation="relu").init == "he"
        assert MLP((2, 2), activation="sigmoid").init == "xavier"

    def test_bad_arguments(self):
        with pytest.raises(ValueError, match="sizes"):
            MLP((3,))
        with pytest.raises(ValueError, match="sizes"):
            MLP((3, 0, 2))
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
        assert gradient_check(net, X, y) < 1e-7

    def test_input_gradient(self):
        # dL/dX from backward against central differences on X itself
        rng = np.random.default_rng(5)
        X, y = rng.normal(size=(3, 4)), np.array([0, 2, 1])
        net = MLP((4, 6, 3), activation="sigmoid", seed=0)
        gX = net.backward(np.asarray(softmax(net.forward(X)) - np.eye(3)[y]) / 3)
        num = numerical_gradient(lambda: float(cross_entropy(net.forward(X), y)), X)
        np.testing.assert_allclose(gX, num, rtol=1e-6, atol=1e-9)

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
        np.testing.assert_allclose(p, [0.9, 1.1], rtol=1e-6)

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
