"""A small multilayer perceptron in numpy, written to be read.

The network is a list of layers. A :class:`Dense` layer computes ``u = x W + b``; an
:class:`Activation` layer applies ``phi`` elementwise. Each layer has ``forward`` (which keeps
what ``backward`` will need) and ``backward`` (which takes the gradient of the loss with respect
to the layer's output and returns the gradient with respect to its input, storing the gradients
of its own parameters on the way). The last layer outputs logits; the loss is the cross-entropy
computed from the logits with :func:`softmaxlib.cross_entropy`, whose gradient with respect to
the logits is ``(softmax(z) - onehot(y)) / batch``.

Everything is float64 and seeded with ``np.random.default_rng(seed)``, so the same call gives the
same numbers every time on the same machine.
"""

import numpy as np

from ._validation import as_float_array, check_positive_int
from .activations import identity, relu, relu_grad, sigmoid, sigmoid_grad
from .calculus import cross_entropy, cross_entropy_grad
from .core import softmax

__all__ = [
    "xavier_init",
    "he_init",
    "Dense",
    "Activation",
    "MLP",
    "SGD",
    "Adam",
    "train",
    "classification_accuracy",
    "numerical_gradient",
    "gradient_check",
]

_ACTIVATIONS = {
    "relu": (relu, relu_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "identity": (identity, lambda u: np.ones_like(u)),
}
# The default initialisation per activation. He keeps the signal's scale through ReLU layers. For
# the sigmoid no standard choice does (Xavier assumes a tanh-like activation of slope 1 at 0; the
# sigmoid's slope there is 1/4, so gradients shrink layer by layer: chapter 8 measures it), but
# Xavier is the usual default, and the book shows what it does.
_DEFAULT_INIT = {"relu": "he", "sigmoid": "xavier", "identity": "xavier"}


def xavier_init(n_in, n_out, rng):
    r"""Draw an ``(n_in, n_out)`` weight matrix with Glorot & Bengio's (Xavier) scale.

    .. math:: W_{ij} \sim \mathcal N\!\left(0,\; \frac{2}{n_\text{in} + n_\text{out}}\right)

    Parameters
    ----------
    n_in, n_out : int
        Fan-in and fan-out of the layer.
    rng : numpy.random.Generator
        The source of randomness.

    Returns
    -------
    W : ndarray of shape (n_in, n_out)

    Notes
    -----
    The variance 2 / (n_in + n_out) is Glorot & Bengio's (2010) compromise between keeping the
    variance of the activations from layer to layer (n_in Var W = 1) and that of the
    back-propagated gradients (n_out Var W = 1), for units in a linear regime around 0 with an
    activation symmetric about 0 and of slope 1 there, such as tanh. The sigmoid meets neither
    condition (slope 1/4 and mean output 1/2 at 0): with it, gradients still shrink from layer
    to layer. Glorot & Bengio draw from a uniform distribution; this draws from a normal one of
    the same variance.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.mlp import xavier_init
    >>> W = xavier_init(400, 400, np.random.default_rng(0))
    >>> print(W.shape, round(float(W.std()), 2))  # sqrt(2 / 800) = 0.05
    (400, 400) 0.05
    """
    n_in, n_out = check_positive_int(n_in, "n_in"), check_positive_int(n_out, "n_out")
    return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))


def he_init(n_in, n_out, rng):
    r"""Draw an ``(n_in, n_out)`` weight matrix with He et al.'s scale, made for ReLU.

    .. math:: W_{ij} \sim \mathcal N\!\left(0,\; \frac{2}{n_\text{in}}\right)

    Parameters
    ----------
    n_in, n_out : int
        Fan-in and fan-out of the layer.
    rng : numpy.random.Generator
        The source of randomness.

    Returns
    -------
    W : ndarray of shape (n_in, n_out)

    Notes
    -----
    ReLU zeroes half of its (symmetric) input, halving the second moment; the factor 2 restores
    it, so the scale of the signal stays the same from layer to layer (He et al., 2015).

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.mlp import he_init
    >>> W = he_init(200, 300, np.random.default_rng(0))
    >>> print(W.shape, round(float(W.std()), 2))  # sqrt(2 / 200) = 0.1
    (200, 300) 0.1
    """
    n_in, n_out = check_positive_int(n_in, "n_in"), check_positive_int(n_out, "n_out")
    return rng.normal(0.0, np.sqrt(2.0 / n_in), size=(n_in, n_out))


_INITS = {"xavier": xavier_init, "he": he_init}


class Dense:
    """A fully connected layer ``u = x W + b``.

    Parameters
    ----------
    n_in, n_out : int
        Number of inputs and outputs.
    init : {"he", "xavier"}, optional
        How to draw ``W``; the default, "he", suits ReLU. ``b`` starts at 0.
    rng : numpy.random.Generator, optional
        The source of randomness; the default is ``np.random.default_rng(0)``.

    Attributes
    ----------
    W, b : ndarray
        Weights (n_in, n_out) and biases (n_out,).
    dW, db : ndarray
        Gradients of the loss with respect to ``W`` and ``b``, set by :meth:`backward`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.mlp import Dense
    >>> layer = Dense(3, 2, rng=np.random.default_rng(0))
    >>> print(layer.forward(np.ones((4, 3))).shape)          # a batch of 4
    (4, 2)
    >>> print(layer.backward(np.ones((4, 2))).shape, layer.dW.shape)
    (4, 3) (3, 2)
    """

    def __init__(self, n_in, n_out, *, init="he", rng=None):
        if init not in _INITS:
            raise ValueError(f"init must be one of {sorted(_INITS)}, got {init!r}")
        rng = np.random.default_rng(0) if rng is None else rng
        self.W = _INITS[init](n_in, n_out, rng)
        self.b = np.zeros(n_out)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)

    @property
    def params(self):
        return [self.W, self.b]

    @property
    def grads(self):
        return [self.dW, self.db]

    def forward(self, x):
        """Return ``x @ W + b`` for a batch ``x`` of shape (batch, n_in)."""
        self._x = x
        return x @ self.W + self.b

    def backward(self, g):
        """Given dL/du (batch, n_out), store dL/dW and dL/db and return dL/dx (batch, n_in)."""
        self.dW[...] = self._x.T @ g
        self.db[...] = g.sum(axis=0)
        return g @ self.W.T


class Activation:
    """An elementwise activation layer ``phi(u)``: "relu", "sigmoid" or "identity".

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.mlp import Activation
    >>> relu = Activation("relu")
    >>> print(relu.forward(np.array([-1.0, 0.0, 2.0])))
    [0. 0. 2.]
    >>> print(relu.backward(np.ones(3)))   # ReLU'(0) is taken as 0
    [0. 0. 1.]
    """

    def __init__(self, name):
        if name not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {name!r}")
        self.name = name
        self._f, self._df = _ACTIVATIONS[name]

    params = []
    grads = []

    def forward(self, u):
        """Return ``phi(u)``, keeping ``u`` for the backward pass."""
        self._u = u
        return self._f(u)

    def backward(self, g):
        """Given dL/dphi, return dL/du = dL/dphi * phi'(u) (chain rule, elementwise)."""
        return g * self._df(self._u)


class MLP:
    """A multilayer perceptron: Dense, activation, ..., Dense, with a softmax output.

    Parameters
    ----------
    sizes : sequence of int
        Layer widths from input to output, e.g. ``(64, 50, 100, 10)``: 64 inputs, hidden layers
        of 50 and 100 units and 10 classes.
    activation : {"relu", "sigmoid", "identity"}, optional
        The hidden activation. The default, "relu".
    init : {"he", "xavier"} or None, optional
        Weight initialisation. The default, None, picks He for ReLU and Xavier otherwise (the
        usual choice for the sigmoid, though its derivation assumes a tanh-like activation).
    seed : int, optional
        Seed of the weights' random generator. The default, 0.

    Notes
    -----
    The last Dense layer's output is the vector of logits ``z``; it has no activation layer of
    its own. Softmax is applied by :meth:`predict_proba`, and the loss is computed from the logits
    by :func:`softmaxlib.cross_entropy` so that the log of a probability is never taken.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.mlp import MLP
    >>> net = MLP((4, 8, 3), seed=0)
    >>> X = np.random.default_rng(1).normal(size=(5, 4))
    >>> print(net.forward(X).shape, net.predict_proba(X).sum(axis=1).round(12))
    (5, 3) [1. 1. 1. 1. 1.]
    """

    def __init__(self, sizes, *, activation="relu", init=None, seed=0):
        sizes = tuple(sizes)
        if len(sizes) < 2:
            raise ValueError(
                f"sizes must list at least an input and an output width, got {sizes!r}"
            )
        sizes = tuple(check_positive_int(s, "every entry of sizes") for s in sizes)
        if activation not in _ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}"
            )
        init = _DEFAULT_INIT[activation] if init is None else init
        rng = np.random.default_rng(seed)
        self.sizes, self.activation, self.init = sizes, activation, init
        self.layers = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            self.layers.append(Dense(n_in, n_out, init=init, rng=rng))
            if i < len(sizes) - 2:
                self.layers.append(Activation(activation))

    @property
    def dense_layers(self):
        """The Dense layers, from input to output."""
        return [layer for layer in self.layers if isinstance(layer, Dense)]

    @property
    def params(self):
        return [p for layer in self.layers for p in layer.params]

    @property
    def grads(self):
        return [g for layer in self.layers for g in layer.grads]

    def _check_input(self, X):
        X = as_float_array(X, "X")
        if X.ndim != 2 or X.shape[1] != self.sizes[0]:
            raise ValueError(f"X must have shape (batch, {self.sizes[0]}), got {X.shape}")
        return X

    def forward(self, X):
        """Return the logits, shape (batch, n_classes), for a batch ``X`` (batch, n_in)."""
        h = self._check_input(X)
        for layer in self.layers:
            h = layer.forward(h)
        return h

    def hidden(self, X):
        """Return the output of every hidden activation layer for the batch ``X``."""
        h, out = self._check_input(X), []
        for layer in self.layers:
            h = layer.forward(h)
            if isinstance(layer, Activation):
                out.append(h)
        return out

    def backward(self, grad_logits):
        """Backpropagate dL/dlogits through every layer; return dL/dX."""
        g = grad_logits
        for layer in reversed(self.layers):
            g = layer.backward(g)
        return g

    def loss(self, X, y):
        """Return the mean cross-entropy of the labels ``y`` under the network."""
        return float(cross_entropy(self.forward(X), y))

    def gradient(self, X, y):
        """Compute the loss and store its gradient in every layer's ``dW`` and ``db``.

        Returns
        -------
        loss : float
            The mean cross-entropy on the batch.
        """
        z = self.forward(X)
        self.backward(cross_entropy_grad(z, y))
        return float(cross_entropy(z, y))

    def predict_proba(self, X, temperature=1.0):
        """Return softmax(logits / temperature): each row sums to 1."""
        return softmax(self.forward(X), axis=-1, temperature=temperature)

    def predict(self, X):
        """Return the predicted class (the argmax of the logits) of every row of ``X``."""
        return np.argmax(self.forward(X), axis=-1)


class SGD:
    """Plain (mini-batch) stochastic gradient descent: ``p -= lr * g``.

    Parameters
    ----------
    lr : float, optional
        The learning rate. The default, 0.1.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.mlp import SGD
    >>> p = np.array([1.0, -2.0])
    >>> SGD(lr=0.1).step([p], [np.array([0.5, -0.5])])
    >>> print(p)
    [ 0.95 -1.95]
    """

    def __init__(self, lr=0.1):
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr!r}")
        self.lr = float(lr)

    def step(self, params, grads):
        """Update every array of ``params`` in place."""
        for p, g in zip(params, grads):
            p -= self.lr * g


class Adam:
    r"""Adam (Kingma & Ba, 2015): steps scaled by running moments of the gradient.

    .. math::
        m &\leftarrow \beta_1 m + (1-\beta_1) g,\quad
        v \leftarrow \beta_2 v + (1-\beta_2) g^2, \\
        p &\leftarrow p - \eta\,\frac{m / (1-\beta_1^t)}{\sqrt{v / (1-\beta_2^t)} + \epsilon}

    Parameters
    ----------
    lr : float, optional
        The step size eta. The default, 1e-3, is the paper's.
    beta1, beta2, eps : float, optional
        Decay rates of the moments and the guard against division by 0; the defaults are the
        paper's, 0.9, 0.999 and 1e-8.

    Examples
    --------
    The first step moves every parameter by about ``lr`` against the sign of its gradient,
    whatever the gradient's size:

    >>> import numpy as np
    >>> from softmaxlib.mlp import Adam
    >>> p = np.array([1.0, -2.0])
    >>> Adam(lr=0.01).step([p], [np.array([0.5, -0.5])])
    >>> print(p)
    [ 0.99 -1.99]
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        if not lr > 0:
            raise ValueError(f"lr must be positive, got {lr!r}")
        self.lr, self.beta1, self.beta2, self.eps = float(lr), beta1, beta2, eps
        self.t, self.m, self.v = 0, None, None

    def step(self, params, grads):
        """Update every array of ``params`` in place."""
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            m_hat = m / (1 - b1**self.t)
            v_hat = v / (1 - b2**self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def classification_accuracy(model, X, y):
    """Return the fraction of rows of ``X`` whose predicted class equals ``y``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.mlp import MLP, classification_accuracy
    >>> model = MLP((2, 4, 2), seed=0)
    >>> X, y = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0, 1])
    >>> print(model.predict(X), classification_accuracy(model, X, y))
    [1 1] 0.5
    """
    return float(np.mean(model.predict(X) == np.asarray(y)))


def train(model, X, y, *, optimizer, epochs, batch_size=32, seed=0, validation=None):
    """Train ``model`` by mini-batch gradient descent and return the per-epoch history.

    Each epoch shuffles the training set with ``np.random.default_rng(seed)`` (one generator for
    the whole run), then takes one optimiser step per mini-batch. After every epoch the loss and
    accuracy are measured on the whole training set (and on ``validation``), so the history does
    not depend on the order of the batches within the epoch.

    Parameters
    ----------
    model : MLP
        The network; its parameters are updated in place.
    X, y : array_like
        Training inputs (n, n_in) and integer labels (n,).
    optimizer : SGD or Adam
        Anything with ``step(params, grads)``.
    epochs : int
        Number of passes over the training set.
    batch_size : int, optional
        Rows per step. The default, 32; the last batch of an epoch may be smaller.
    seed : int, optional
        Seed of the shuffling. The default, 0.
    validation : tuple (X_val, y_val) or None, optional
        A held-out set to measure after every epoch. The default, None, measures none.

    Returns
    -------
    history : dict of lists
        ``"epoch"``, ``"loss"``, ``"accuracy"`` and, with ``validation``, ``"val_loss"`` and
        ``"val_accuracy"``; one entry per epoch.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.mlp import MLP, SGD, train
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 2)); y = (X[:, 0] > 0).astype(int)
    >>> h = train(MLP((2, 8, 2)), X, y, optimizer=SGD(0.5), epochs=20, batch_size=10)
    >>> print(h["loss"][0] > h["loss"][-1], h["accuracy"][-1] >= 0.95)
    True True
    """
    X = model._check_input(X)
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(
            f"y must hold one label per row of X, shape ({X.shape[0]},), got {y.shape}"
        )
    epochs = int(epochs)
    if epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    batch_size = check_positive_int(batch_size, "batch_size")
    rng = np.random.default_rng(seed)
    history = {"epoch": [], "loss": [], "accuracy": []}
    if validation is not None:
        history.update(val_loss=[], val_accuracy=[])
    n = X.shape[0]
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            batch = order[start : start + batch_size]
            model.gradient(X[batch], y[batch])
            optimizer.step(model.params, model.grads)
        history["epoch"].append(epoch)
        history["loss"].append(model.loss(X, y))
        history["accuracy"].append(classification_accuracy(model, X, y))
        if validation is not None:
            Xv, yv = validation
            history["val_loss"].append(model.loss(Xv, yv))
            history["val_accuracy"].append(classification_accuracy(model, Xv, yv))
    return history


def numerical_gradient(f, p, eps=1e-6):
    r"""Estimate the gradient of the scalar function ``f()`` with respect to the array ``p``.

    .. math::
        \frac{\partial f}{\partial p_i}
        \approx \frac{f(p + \epsilon e_i) - f(p - \epsilon e_i)}{2\epsilon}

    ``p`` is perturbed in place, one entry at a time, and restored. The central difference has
    error O(eps^2) plus rounding of order (machine epsilon * |f|) / eps.

    Parameters
    ----------
    f : callable
        A function of no arguments that reads ``p`` and returns a float.
    p : ndarray
        The float64 array to differentiate with respect to.
    eps : float, optional
        The step. The default, 1e-6, balances truncation and rounding error in float64.

    Returns
    -------
    grad : ndarray of the shape of ``p``

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.mlp import numerical_gradient
    >>> p = np.array([1.0, 2.0])
    >>> print(numerical_gradient(lambda: float(np.sum(p**2)), p).round(6))  # 2p
    [2. 4.]
    """
    grad = np.zeros_like(p)
    flat, gflat = p.reshape(-1), grad.reshape(-1)  # views: writing flat writes p
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        f_plus = f()
        flat[i] = old - eps
        f_minus = f()
        flat[i] = old
        gflat[i] = (f_plus - f_minus) / (2 * eps)
    return grad


def gradient_check(model, X, y, eps=1e-6):
    """Compare backpropagation's gradient with central differences on the batch ``(X, y)``.

    Returns
    -------
    max_rel_error : float
        The largest ``||g_backprop - g_numeric|| / (||g_backprop|| + ||g_numeric||)`` over the
        parameter arrays of the network (Euclidean norms; 0 when both gradients are 0). Below
        about 1e-7 the two agree to the accuracy of the central difference.

    Notes
    -----
    A norm-wise error is used rather than the largest entrywise one: an entry whose gradient is
    itself of the order of the finite-difference error (1e-10, say) would otherwise report a
    large "relative" error for a correct gradient.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.mlp import MLP, gradient_check
    >>> rng = np.random.default_rng(0)
    >>> X, y = rng.normal(size=(4, 3)), np.array([0, 1, 2, 1])
    >>> print(gradient_check(MLP((3, 5, 3), seed=1), X, y) < 1e-7)
    True
    """
    model.gradient(X, y)
    analytic = [g.copy() for g in model.grads]
    worst = 0.0
    for p, g in zip(model.params, analytic):
        num = numerical_gradient(lambda: model.loss(X, y), p, eps)
        scale = np.linalg.norm(g) + np.linalg.norm(num)
        if scale > 0:
            worst = max(worst, float(np.linalg.norm(g - num) / scale))
    return worst
