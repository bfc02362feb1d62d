"""Derivatives of softmax and log-softmax, the cross-entropy loss, and a numerical Jacobian.

With ``s = softmax(x)`` along one axis of length n, the Jacobians are

    d softmax(x)_i / d x_j     = s_i (delta_ij - s_j)     i.e.  J = diag(s) - s s^T
    d log_softmax(x)_i / d x_j = delta_ij - s_j           i.e.  L = I - 1 s^T

:func:`softmax_jacobian` forms the (..., n, n) matrix. The products with a vector never need
it: ``J v = s * (v - <s, v>)`` and ``L v = v - <s, v>``, O(n) time and memory per row.

:func:`cross_entropy` is the negative log-likelihood of integer labels (or soft labels) under
the categorical model ``softmax(logits)``, always computed from ``log_softmax(logits)``; its
gradient with respect to the logits is ``softmax(logits) - onehot(target)``.
"""

import numbers

import numpy as np

from ._validation import as_float_array, normalize_axes, working_dtype
from .core import log_softmax, softmax

__all__ = [
    "softmax_jacobian",
    "softmax_jvp",
    "softmax_vjp",
    "log_softmax_jvp",
    "log_softmax_vjp",
    "cross_entropy",
    "cross_entropy_grad",
    "numerical_jacobian",
]

_REDUCTIONS = ("mean", "sum", "none")


# --------------------------------------------------------------------------------------------
# Helpers.


def _single_axis(axis, ndim, name="axis"):
    """Return ``axis`` as one non-negative int for an array of ``ndim`` >= 1 dimensions."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"{name} must be a single int, got {axis!r}")
    return normalize_axes(int(axis), ndim, name)[0]


def _as_vector_array(x, name):
    """``x`` as a float/complex array with at least one dimension."""
    arr = as_float_array(x, name)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (the class axis), got a scalar")
    return arr


def _probabilities(x, axis, name="x"):
    """Return (dtype of x, softmax(x) in the working dtype with ``axis`` moved last)."""
    arr = _as_vector_array(x, name)
    ax = _single_axis(axis, arr.ndim)
    w = np.moveaxis(arr, ax, -1).astype(working_dtype(arr.dtype), copy=False)
    return arr.dtype, ax, softmax(w, axis=-1)


def _matching(v, x_shape, name):
    """``v`` as a float array of exactly ``x_shape``."""
    varr = as_float_array(v, name)
    if varr.shape != tuple(x_shape):
        raise ValueError(f"{name} must have the shape of x, {tuple(x_shape)}, got {varr.shape}")
    return varr


def _one_minus(s):
    """``1 - s`` for (..., n) probabilities, accurate also where ``s`` rounds to 1.

    Only the largest entry of a row can be close to 1 (every other is at most 1/2), and for it
    ``1 - s_k`` is the sum of the other probabilities: small terms, no cancellation.
    """
    r = 1.0 - s
    if s.shape[-1] > 1:
        k = np.argmax(s.real, axis=-1)[..., None]
        others = s.copy()
        np.put_along_axis(others, k, 0.0, axis=-1)
        np.put_along_axis(r, k, others.sum(axis=-1, keepdims=True), axis=-1)
    return r


def _centred(s, w):
    """``w - <s, w>`` along the last axis, accurate when one probability is close to 1.

    ``<s, w> = w_k + <s, w - w_k>`` for the most likely class k (the probabilities sum to 1),
    so after subtracting ``w_k`` the dominant term is exactly 0 and the rest are small.
    """
    if s.shape[-1] == 0:
        return w.copy()
    k = np.argmax(s.real, axis=-1)[..., None]
    d = w - np.take_along_axis(w, k, axis=-1)
    return d - np.sum(s * d, axis=-1, keepdims=True)


def _product(x, v, axis, name, kind):
    arr = _as_vector_array(x, "x")
    varr = _matching(v, arr.shape, name)
    out_dtype = np.result_type(arr.dtype, varr.dtype)
    dtype, ax, s = _probabilities(arr, axis)
    w = np.moveaxis(varr, ax, -1).astype(working_dtype(out_dtype), copy=False)
    if kind == "softmax":  # J v = J^T v = s * (v - <s, v>), J being symmetric
        out = s * _centred(s, w)
    elif kind == "log_jvp":  # L v = v - <s, v> 1
        out = _centred(s, w)
    else:  # L^T g = g - s * sum(g) = g * (1 - s) - s * (sum(g) - g)
        total = np.sum(w, axis=-1, keepdims=True)
        out = w * _one_minus(s) - s * (total - w)
    return np.moveaxis(out, -1, ax).astype(out_dtype, copy=False)


# --------------------------------------------------------------------------------------------
# Jacobian and its products.


def softmax_jacobian(x, axis=-1):
    r"""Return the Jacobian matrix of softmax, ``diag(s) - s s^T``, for every slice of ``x``.

    .. math:: J_{ij} = \frac{\partial s_i}{\partial x_j} = s_i(\delta_{ij} - s_j),
              \qquad s = \operatorname{softmax}(x)

    Parameters
    ----------
    x : array_like
        Scores, at least one-dimensional. Integers become float64; float16/float32 are
        computed in float64 and rounded back.
    axis : int, optional
        The axis along which softmax normalises. The default, -1, is the last axis.

    Returns
    -------
    J : ndarray, shape ``batch + (n, n)``
        ``batch`` is the shape of ``x`` without ``axis``. Each (n, n) matrix is symmetric,
        positive semidefinite, and its rows and columns sum to 0.

    Raises
    ------
    TypeError
        If ``x`` does not hold numbers or ``axis`` is not an int.
    ValueError
        If ``x`` is a scalar.

    Notes
    -----
    The matrix costs O(n^2) memory; to multiply it by a vector use :func:`softmax_jvp` or
    :func:`softmax_vjp`, which cost O(n). The diagonal is computed as ``s_i (1 - s_i)`` with
    ``1 - s_k`` of the most likely class taken as the sum of the other probabilities, so it
    stays accurate (not 0) when ``s_k`` rounds to 1; for two classes it is then exactly the
    logistic derivative ``sigma(z) sigma(-z)``.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import softmax_jacobian
    >>> print(softmax_jacobian([0.0, 0.0]))
    [[ 0.25 -0.25]
     [-0.25  0.25]]
    >>> print(softmax_jacobian(np.zeros((5, 3, 4)), axis=1).shape)
    (5, 4, 3, 3)
    """
    dtype, _, s = _probabilities(x, axis)
    n = s.shape[-1]
    J = -s[..., :, None] * s[..., None, :]
    idx = np.arange(n)
    # s_i (1 - s_i) with 1 - s_i accurate: s - s**2 would give 0 once s_i rounds to 1.
    J[..., idx, idx] = s * _one_minus(s)
    return J.astype(dtype, copy=False)


def softmax_jvp(x, v, axis=-1):
    r"""Multiply the softmax Jacobian by ``v`` in O(n), without forming the matrix.

    .. math:: J v = s \odot (v - \langle s, v\rangle), \qquad s = \operatorname{softmax}(x)

    Parameters
    ----------
    x : array_like
        Scores, at least one-dimensional.
    v : array_like
        Tangent vectors, of the same shape as ``x`` (one per slice along ``axis``).
    axis : int, optional
        The axis along which softmax normalises. The default, -1, is the last axis.

    Returns
    -------
    jv : ndarray
        The directional derivative of softmax at ``x`` along ``v``; same shape as ``x``.
        Each slice sums to 0, because the probabilities cannot change their total.

    Raises
    ------
    ValueError
        If ``v`` does not have the shape of ``x``, or ``x`` is a scalar.

    Examples
    --------
    >>> from softmaxlib import softmax_jvp
    >>> print(softmax_jvp([0.0, 0.0], [1.0, 0.0]))
    [ 0.25 -0.25]
    """
    return _product(x, v, axis, "v", "softmax")


def softmax_vjp(x, g, axis=-1):
    r"""Multiply a vector by the softmax Jacobian from the left (backpropagation), in O(n).

    .. math:: g^\top J = s \odot (g - \langle s, g\rangle)

    This equals :func:`softmax_jvp` because J is symmetric.

    Parameters
    ----------
    x : array_like
        Scores, at least one-dimensional.
    g : array_like
        Upstream gradients with respect to softmax's output, of the same shape as ``x``.
    axis : int, optional
        The axis along which softmax normalises. The default, -1, is the last axis.

    Returns
    -------
    gx : ndarray
        The gradient with respect to ``x``; same shape as ``x``.

    Examples
    --------
    >>> from softmaxlib import softmax_vjp
    >>> print(softmax_vjp([0.0, 0.0], [1.0, 1.0]))  # a constant g changes nothing
    [0. 0.]
    """
    return _product(x, g, axis, "g", "softmax")


def log_softmax_jvp(x, v, axis=-1):
    r"""Multiply the log-softmax Jacobian ``I - 1 s^T`` by ``v`` in O(n).

    .. math:: L v = v - \langle s, v \rangle \mathbf{1}

    Parameters
    ----------
    x : array_like
        Scores, at least one-dimensional.
    v : array_like
        Tangent vectors, of the same shape as ``x``.
    axis : int, optional
        The axis along which log-softmax normalises. The default, -1, is the last axis.

    Returns
    -------
    lv : ndarray
        Same shape as ``x``.

    Examples
    --------
    >>> from softmaxlib import log_softmax_jvp
    >>> print(log_softmax_jvp([0.0, 0.0], [1.0, 0.0]))
    [ 0.5 -0.5]
    """
    return _product(x, v, axis, "v", "log_jvp")


def log_softmax_vjp(x, g, axis=-1):
    r"""Multiply a vector by the log-softmax Jacobian from the left, in O(n).

    .. math:: g^\top L = g - s \sum_i g_i

    Parameters
    ----------
    x : array_like
        Scores, at least one-dimensional.
    g : array_like
        Upstream gradients with respect to log-softmax's output, of the same shape as ``x``.
    axis : int, optional
        The axis along which log-softmax normalises. The default, -1, is the last axis.

    Returns
    -------
    gx : ndarray
        Same shape as ``x``. With ``g = -onehot(y)`` this is ``softmax(x) - onehot(y)``, the
        gradient of the cross-entropy.

    Examples
    --------
    >>> from softmaxlib import log_softmax_vjp
    >>> print(log_softmax_vjp([0.0, 0.0], [-1.0, 0.0]))
    [-0.5  0.5]
    """
    return _product(x, g, axis, "g", "log_vjp")


# --------------------------------------------------------------------------------------------
# Cross-entropy.


def _check_reduction(reduction):
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _parse_target(target, logits_shape, ax):
    """Return ('labels', int array of batch shape) or ('probs', float array of logits' shape)."""
    batch_shape = logits_shape[:ax] + logits_shape[ax + 1 :]
    n = logits_shape[ax]
    t = as_float_array(target, "target")
    if t.dtype.kind == "c":
        raise TypeError(f"target must be real, got dtype {t.dtype}")
    raw_kind = np.asarray(target).dtype.kind
    if t.shape == tuple(logits_shape):
        if not np.all(np.isfinite(t)):
            raise ValueError("target probabilities must be finite")
        if np.any(t < 0):
            raise ValueError("target probabilities must be non-negative")
        total = t.astype(np.float64).sum(axis=ax)
        tol = np.sqrt(np.finfo(t.dtype).eps)
        if np.any(np.abs(total - 1.0) > tol):
            raise ValueError(
                f"target probabilities must sum to 1 along axis {ax} (within {tol:.1e}); "
                f"the worst slice sums to {float(total.flat[np.argmax(np.abs(total - 1.0))])!r}"
            )
        return "probs", t
    if t.shape == batch_shape:
        if raw_kind not in "iu":
            if not np.all(np.isfinite(t)) or np.any(t != np.round(t)):
                raise ValueError(
                    "target must hold integer class labels (or be probabilities of the "
                    "logits' shape); got non-integer values"
                )
        labels = np.asarray(target) if raw_kind in "iu" else t
        if labels.size and (labels.min() < 0 or labels.max() >= n):
            raise ValueError(
                f"target labels must lie in [0, {n}) for {n} classes, got values from "
                f"{labels.min()} to {labels.max()}"
            )
        return "labels", labels.astype(np.intp)
    raise ValueError(
        f"target must be integer labels of shape {batch_shape} (logits' shape without axis "
        f"{ax}) or probabilities of shape {tuple(logits_shape)}, got shape {t.shape}"
    )


def _prepare_ce(logits, target, axis, reduction):
    _check_reduction(reduction)
    z = _as_vector_array(logits, "logits")
    ax = _single_axis(axis, z.ndim)
    kind, t = _parse_target(target, z.shape, ax)
    w = np.moveaxis(z, ax, -1).astype(working_dtype(z.dtype), copy=False)
    if kind == "labels":
        onehot = None
        labels = t
    else:
        onehot = np.moveaxis(t, ax, -1).astype(np.float64, copy=False)
        labels = None
    return z.dtype, ax, w, labels, onehot


def cross_entropy(logits, target, axis=-1, *, reduction="mean"):
    r"""Compute the cross-entropy of ``target`` under ``softmax(logits)``, from the logits.

    .. math:: \ell(z, y) = -\log \operatorname{softmax}(z)_y
              \qquad\text{or}\qquad \ell(z, t) = -\sum_k t_k \log\operatorname{softmax}(z)_k

    This is the negative log-likelihood of the labels under a categorical model whose class
    probabilities are ``softmax(logits)``.

    Parameters
    ----------
    logits : array_like
        Unnormalised scores, at least one-dimensional, with classes along ``axis``.
        Integers become float64; complex logits are allowed (for complex-step checks).
    target : array_like
        Either integer class labels, of the shape of ``logits`` without ``axis`` (floats with
        whole values are accepted too), or probabilities (soft labels) of the shape of
        ``logits``, non-negative and summing to 1 along ``axis``.
    axis : int, optional
        The class axis. The default, -1, is the last axis.
    reduction : {"mean", "sum", "none"}, optional
        "mean" (the default) averages the per-sample losses over the batch, "sum" adds them,
        "none" returns them (shape of ``logits`` without ``axis``).

    Returns
    -------
    loss : ndarray or numpy scalar
        Non-negative for hard labels; of the dtype of ``logits`` (float64 for integers).
        A mean over an empty batch is NaN.

    Raises
    ------
    TypeError
        If ``logits`` or ``target`` does not hold numbers, or ``target`` is complex.
    ValueError
        If ``target`` has neither accepted shape, labels are outside [0, n) or not whole
        numbers, probabilities are negative, non-finite or do not sum to 1 (within
        sqrt(eps) of their dtype), or ``reduction`` is unknown.

    Notes
    -----
    The loss is computed as ``-log_softmax(logits)[y]``, never as ``-log(softmax(logits)[y])``:
    a probability that underflows to 0 would make the latter infinite, and adding a small
    epsilon inside the log (a common habit) biases every loss and caps it at ``-log(eps)``.

    References
    ----------
    Goodfellow, Bengio & Courville (2016), Deep Learning, section 6.2.2.3.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import cross_entropy
    >>> logits = np.array([[2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    >>> print(np.round(cross_entropy(logits, [0, 2], reduction="none"), 4))
    [0.2395 1.0986]
    >>> print(round(float(cross_entropy(logits, [0, 2])), 4))  # the mean
    0.6691

    A wrong class far below the others costs its full score gap, not an epsilon-capped 16.1:

    >>> print(float(cross_entropy([800.0, 0.0], 1)))
    800.0
    """
    dtype, ax, w, labels, probs = _prepare_ce(logits, target, axis, reduction)
    logp = log_softmax(w, axis=-1)
    if labels is not None:
        per = -np.take_along_axis(logp, labels[..., None], axis=-1)[..., 0]
    else:
        # 0 * log(0) counts as 0: a class the target never takes adds nothing.
        with np.errstate(invalid="ignore"):
            per = -np.sum(np.where(probs != 0, probs * logp, 0.0), axis=-1)
    if reduction == "none":
        return per.astype(dtype, copy=False)
    total = per.sum()
    if reduction == "sum":
        return total.astype(dtype)
    if per.size == 0:
        return np.array(np.nan, dtype=total.dtype).astype(dtype)[()]
    return (total / per.size).astype(dtype)


def cross_entropy_grad(logits, target, axis=-1, *, reduction="mean"):
    r"""Return the gradient of :func:`cross_entropy` with respect to the logits.

    .. math:: \frac{\partial \ell}{\partial z} = \operatorname{softmax}(z) - t

    where ``t`` is ``onehot(y)`` for integer labels, or the target probabilities.

    Parameters
    ----------
    logits, target, axis
        As in :func:`cross_entropy`.
    reduction : {"mean", "sum", "none"}, optional
        The reduction whose gradient is wanted. "sum" and "none" give ``softmax - t`` for
        every sample (with "none", each row is the gradient of that sample's own loss);
        "mean", the default, divides by the batch size (the number of samples).

    Returns
    -------
    grad : ndarray
        Same shape and dtype as ``logits``. Each slice along ``axis`` sums to 0.

    Raises
    ------
    TypeError, ValueError
        As in :func:`cross_entropy`.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import cross_entropy_grad
    >>> print(cross_entropy_grad([0.0, 0.0], 1))
    [ 0.5 -0.5]
    >>> print(cross_entropy_grad(np.zeros((2, 2)), [0, 1]))  # "mean" halves it
    [[-0.25  0.25]
     [ 0.25 -0.25]]
    """
    dtype, ax, w, labels, probs = _prepare_ce(logits, target, axis, reduction)
    grad = softmax(w, axis=-1)
    if labels is not None:
        rows = np.take_along_axis(grad, labels[..., None], axis=-1) - 1.0
        np.put_along_axis(grad, labels[..., None], rows, axis=-1)
    else:
        grad = grad - probs
    if reduction == "mean":
        batch = int(np.prod(grad.shape[:-1], dtype=np.int64))
        if batch:
            grad = grad / batch
    return np.moveaxis(grad, -1, ax).astype(dtype, copy=False)


# --------------------------------------------------------------------------------------------
# Numerical Jacobian.


def numerical_jacobian(f, x, method="central", h=None):
    r"""Approximate the Jacobian of ``f`` at ``x`` by central differences or the complex step.

    .. math::
        \text{central:}\quad \frac{\partial f}{\partial x_j}
            &\approx \frac{f(x + h e_j) - f(x - h e_j)}{2h}, \\
        \text{complex:}\quad \frac{\partial f}{\partial x_j}
            &\approx \frac{\operatorname{Im} f(x + i h e_j)}{h}

    Parameters
    ----------
    f : callable
        Maps an array of the shape of ``x`` to an array (or scalar). For ``method="complex"``
        it must accept complex input and be real-analytic (no ``abs``, ``max`` of complex
        values or conjugation along the way); :func:`softmaxlib.softmax` and
        :func:`softmaxlib.log_softmax` qualify.
    x : array_like
        The real point at which to differentiate. Integers become float64.
    method : {"central", "complex"}, optional
        The default, "central", needs 2 evaluations of ``f`` per entry of ``x`` and works for
        any ``f``; "complex" needs 1 and is accurate to rounding, but needs an analytic ``f``.
    h : float or None, optional
        The step. None (the default) chooses ``cbrt(eps) * max(1, |x_j|)`` for central
        differences and ``1e-200`` for the complex step (see Notes).

    Returns
    -------
    jac : ndarray, shape ``f(x).shape + x.shape``
        ``jac[i..., j...]`` approximates d f(x)[i...] / d x[j...].

    Raises
    ------
    TypeError
        If ``f`` is not callable or ``x`` is complex or not numeric.
    ValueError
        If ``method`` is unknown or ``h`` is not positive and finite.

    Notes
    -----
    The central difference has truncation error about ``h^2 |f'''| / 6`` and rounding error
    about ``eps |f| / h`` (two nearly equal values of f are subtracted). The sum is smallest
    near ``h = cbrt(3 eps |f| / |f'''|)``; with f and f''' of order 1 this is ``cbrt(eps)``,
    about 6e-6 in float64, leaving an error of order ``eps^(2/3)``, about 1e-11 to 1e-10.
    Scaling by ``max(1, |x_j|)`` keeps the step meaningful relative to large ``x_j``. The
    step is also rounded so that ``x_j + h`` is exactly representable.

    The complex step subtracts nothing: ``Im f(x + ih) / h = f'(x) + O(h^2)`` and the
    imaginary part carries the derivative by itself, so ``h`` can be as small as we like.
    With ``h = 1e-200`` the truncation term ``h^2`` is far below ``eps`` and the result is
    accurate to rounding, about 1e-16 relative (Squire & Trapp 1998; Martins, Sturdza &
    Alonso 2003). ``h`` stays well above the smallest normal float (about 2.2e-308), since
    ``h`` times a derivative of order 1 must not underflow.

    References
    ----------
    Squire & Trapp (1998), "Using complex variables to estimate derivatives of real
    functions", SIAM Review 40(1). Nocedal & Wright (2006), Numerical Optimization, 8.1.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib import numerical_jacobian, softmax, softmax_jacobian
    >>> x = np.array([0.5, -1.0, 2.0])
    >>> err_c = np.abs(numerical_jacobian(softmax, x) - softmax_jacobian(x)).max()
    >>> err_i = np.abs(numerical_jacobian(softmax, x, "complex") - softmax_jacobian(x)).max()
    >>> bool(err_c < 1e-9), bool(err_i < 1e-15)
    (True, True)
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    if method not in ("central", "complex"):
        raise ValueError(f"method must be 'central' or 'complex', got {method!r}")
    x = as_float_array(x, "x")
    if x.dtype.kind == "c":
        raise TypeError(f"x must be real (the point to differentiate at), got dtype {x.dtype}")
    x = x.astype(np.float64)
    if h is not None:
        if isinstance(h, (bool, np.bool_)) or not isinstance(h, numbers.Real):
            raise TypeError(f"h must be a positive real number or None, got {h!r}")
        if not (np.isfinite(h) and h > 0):
            raise ValueError(f"h must be positive and finite, got {h!r}")
    flat = x.ravel()
    columns = []
    for j in range(flat.size):
        if method == "central":
            step = np.cbrt(np.finfo(np.float64).eps) * max(1.0, abs(flat[j])) if h is None else h
            step = (flat[j] + step) - flat[j]  # exactly representable
            xp, xm = flat.copy(), flat.copy()
            xp[j] += step
            xm[j] -= step
            col = (np.asarray(f(xp.reshape(x.shape))) - np.asarray(f(xm.reshape(x.shape))))
            col = col / (2.0 * step)
        else:
            step = 1e-200 if h is None else h
            xc = flat.astype(np.complex128)
            xc[j] += 1j * step
            col = np.imag(np.asarray(f(xc.reshape(x.shape)))) / step
        columns.append(np.asarray(col, dtype=np.float64))
    out_shape = columns[0].shape if columns else np.asarray(f(x)).shape
    jac = np.stack(columns, axis=-1) if columns else np.zeros(out_shape + (0,))
    return jac.reshape(out_shape + x.shape)
