"""Activation functions of a neuron and their derivatives.

A neuron adds up its weighted inputs, ``u = sum_j w_j x_j + b``, and passes the sum through an
activation function ``phi``. This module holds the four the book compares (step, sigmoid, ReLU
and identity) and the derivatives that backpropagation multiplies together.

Every function works elementwise on array_like input of any shape. Integers become float64;
float16, float32 and float64 keep their dtype (float16 and float32 are computed in float64 and
rounded once). NaN in gives NaN out. Complex, boolean and string input raise ``TypeError``.
No function here emits a floating-point warning for any real input, ±inf included.
"""

import numpy as np

from ._validation import as_float_array, working_dtype

__all__ = [
    "step",
    "sigmoid",
    "relu",
    "identity",
    "step_grad",
    "sigmoid_grad",
    "relu_grad",
]


def _real(x, name="x"):
    """Return ``x`` as a real floating ndarray (integers become float64), rejecting complex."""
    arr = as_float_array(x, name)
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real for an activation function, got {arr.dtype}")
    return arr


def _keep_nan(arr, out):
    """Put NaN back wherever the input was NaN (comparisons such as ``x > 0`` drop it)."""
    return np.where(np.isnan(arr), np.nan, out).astype(arr.dtype, copy=False)


def step(x):
    r"""Return the Heaviside step of ``x``: 1 where ``x > 0`` and 0 elsewhere.

    .. math:: h(x) = \begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}

    Parameters
    ----------
    x : array_like
        Pre-activations. Integers become float64; float dtypes are kept.

    Returns
    -------
    y : ndarray
        0.0 or 1.0 (NaN where ``x`` is NaN), with the shape and dtype of ``x``.

    Notes
    -----
    The step is the activation of the perceptron. The value at exactly 0 is a convention; this
    function uses ``h(0) = 0``, as in Saito (2016).

    Examples
    --------
    >>> from softmaxlib import step
    >>> print(step([-1.0, 0.0, 0.5, 3.0]))
    [0. 0. 1. 1.]
    """
    arr = _real(x)
    return _keep_nan(arr, arr > 0)


def sigmoid(x):
    r"""Compute the logistic sigmoid of ``x`` without overflow.

    .. math:: \sigma(x) = \frac{1}{1 + e^{-x}}

    Parameters
    ----------
    x : array_like
        Pre-activations. Integers become float64; float dtypes are kept.

    Returns
    -------
    s : ndarray
        Values in [0, 1] with the shape and dtype of ``x``: ``sigmoid(-inf) = 0``,
        ``sigmoid(0) = 0.5``, ``sigmoid(inf) = 1`` and NaN for NaN.

    Notes
    -----
    The textbook formula (:func:`softmaxlib.naive.naive_sigmoid`) evaluates ``exp(-x)``, which
    overflows for ``x`` below about -709 in float64 (-88.7 in float32) and makes numpy warn.
    Here the exponent is always ``-|x| <= 0``, so ``z = exp(-|x|)`` lies in [0, 1]:

    .. math:: \sigma(x) = \frac{1}{1 + z} \;(x \ge 0), \qquad \sigma(x) = \frac{z}{1 + z} \;(x < 0).

    Both branches are exact rearrangements of the same formula; the second also keeps the
    tiny values of ``sigma`` for very negative ``x`` accurate instead of rounding ``1 + e^{-x}``.

    Examples
    --------
    >>> from softmaxlib import sigmoid
    >>> print(sigmoid([-1.0, 0.0, 1.0, 2.0]).round(4))
    [0.2689 0.5    0.7311 0.8808]

    No overflow and no warning at the extremes:

    >>> print(sigmoid([-1000.0, 1000.0]))
    [0. 1.]
    """
    arr = _real(x)
    w = arr.astype(working_dtype(arr.dtype), copy=False)
    z = np.exp(-np.abs(w))  # in [0, 1]: never overflows
    out = np.where(w >= 0, 1.0 / (1.0 + z), z / (1.0 + z))
    return _keep_nan(w, out).astype(arr.dtype, copy=False)


def relu(x):
    r"""Return the rectified linear unit of ``x``: ``max(0, x)`` elementwise.

    .. math::
        \operatorname{ReLU}(x) = \max(0, x) = \begin{cases} x & x > 0 \\ 0 & x \le 0 \end{cases}

    Parameters
    ----------
    x : array_like
        Pre-activations. Integers become float64; float dtypes are kept.

    Returns
    -------
    y : ndarray
        ``x`` where ``x > 0`` and 0 elsewhere (NaN where ``x`` is NaN), with the shape and
        dtype of ``x``.

    Notes
    -----
    ReLU is the identity on the whole half-line ``x > 0``, not only for ``x > 1`` as is
    sometimes misstated: ``relu(0.5) = 0.5``. See Nair & Hinton (2010) and Glorot, Bordes &
    Bengio (2011).

    Examples
    --------
    >>> from softmaxlib import relu
    >>> print(relu([-2.0, 0.0, 0.5, 3.0]))
    [0.  0.  0.5 3. ]
    """
    arr = _real(x)
    return np.maximum(arr, arr.dtype.type(0))  # np.maximum propagates NaN


def identity(x):
    r"""Return ``x`` unchanged (as a float array): the output activation for regression.

    .. math:: \operatorname{id}(x) = x

    Parameters
    ----------
    x : array_like
        Values. Integers become float64; float dtypes are kept.

    Returns
    -------
    y : ndarray
        A copy of ``x`` as a float array.

    Examples
    --------
    >>> from softmaxlib import identity
    >>> print(identity([1, -2, 3]))
    [ 1. -2.  3.]
    """
    return _real(x).copy()


def step_grad(x):
    r"""Return the derivative of :func:`step`: 0 wherever it exists.

    .. math:: h'(x) = 0 \quad (x \ne 0)

    Parameters
    ----------
    x : array_like
        Pre-activations. Integers become float64; float dtypes are kept.

    Returns
    -------
    g : ndarray
        Zeros (NaN where ``x`` is NaN), with the shape and dtype of ``x``.

    Notes
    -----
    At ``x = 0`` the step jumps and has no derivative; 0 is returned there too. Because the
    derivative is 0 almost everywhere, gradient descent gets no signal through a step unit:
    the reason networks trained by backpropagation use smooth or piecewise-linear activations.

    Examples
    --------
    >>> from softmaxlib import step_grad
    >>> print(step_grad([-1.0, 0.0, 1.0]))
    [0. 0. 0.]
    """
    arr = _real(x)
    return _keep_nan(arr, np.zeros_like(arr))


def sigmoid_grad(x):
    r"""Return the derivative of :func:`sigmoid`, accurate also for large ``|x|``.

    .. math:: \sigma'(x) = \sigma(x)\,(1 - \sigma(x)) = \sigma(x)\,\sigma(-x) \le \tfrac14

    Parameters
    ----------
    x : array_like
        Pre-activations (not the sigmoid's output). Integers become float64; float dtypes are
        kept.

    Returns
    -------
    g : ndarray
        Values in [0, 1/4], largest at ``x = 0``, with the shape and dtype of ``x``.

    Notes
    -----
    ``sigma(x) * (1 - sigma(x))`` is 0 in float64 once ``sigma(x)`` rounds to 1 (``x`` above
    about 37) although the true value is about ``e^{-x} > 0``. Using ``1 - sigma(x) =
    sigma(-x)`` keeps the small values accurate. The bound 1/4 (attained at 0) is why
    gradients shrink when they pass back through many sigmoid layers.

    Examples
    --------
    >>> from softmaxlib import sigmoid_grad
    >>> print(sigmoid_grad([0.0, 2.0]).round(4))
    [0.25  0.105]
    >>> print(float(sigmoid_grad(40.0)) > 0)  # ~4.2e-18, not 0
    True
    """
    arr = _real(x)
    w = arr.astype(working_dtype(arr.dtype), copy=False)
    return (sigmoid(w) * sigmoid(-w)).astype(arr.dtype, copy=False)


def relu_grad(x):
    r"""Return the derivative of :func:`relu`: 1 where ``x > 0`` and 0 elsewhere.

    .. math:: \operatorname{ReLU}'(x) = \begin{cases} 1 & x > 0 \\ 0 & x < 0 \end{cases}

    Parameters
    ----------
    x : array_like
        Pre-activations. Integers become float64; float dtypes are kept.

    Returns
    -------
    g : ndarray
        1.0 where ``x > 0``, 0.0 where ``x <= 0`` (NaN where ``x`` is NaN), with the shape and
        dtype of ``x``.

    Notes
    -----
    ReLU has no derivative at 0: its left derivative is 0 and its right derivative is 1. Any
    value in [0, 1] is a subgradient there; this function chooses 0, as PyTorch and most
    libraries do. The choice rarely matters in training, since a float pre-activation is
    seldom exactly 0, but it must be stated.

    Examples
    --------
    >>> from softmaxlib import relu_grad
    >>> print(relu_grad([-1.0, 0.0, 0.5]))
    [0. 0. 1.]
    """
    arr = _real(x)
    return _keep_nan(arr, arr > 0)
