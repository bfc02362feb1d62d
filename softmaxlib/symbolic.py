"""Softmax and its Jacobian in SymPy: the derivation done by a computer algebra system.

:func:`softmax_expr` builds softmax over n symbols, :func:`jacobian_expr` differentiates it
entry by entry with ``sympy.diff``, and :func:`jacobian_in_s` rewrites each derivative in terms
of the outputs ``s_i``, where it simplifies to ``s_i (delta_ij - s_j)``.
:func:`lambdify_jacobian` turns the symbolic matrix into a numpy function, so the book can
compare it with :func:`softmaxlib.softmax_jacobian`.
"""

import numbers

import numpy as np
import sympy as sp

__all__ = [
    "softmax_expr",
    "jacobian_expr",
    "jacobian_in_s",
    "jacobian_closed_form",
    "verify_jacobian",
    "lambdify_jacobian",
]


def _check_n(n):
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, numbers.Integral):
        raise TypeError(f"n must be a positive int, got {n!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n!r}")
    return int(n)


def softmax_expr(n, name="x"):
    r"""Return n real symbols and the softmax over them, ``exp(x_i) / sum_j exp(x_j)``.

    Parameters
    ----------
    n : int
        The number of classes, at least 1.
    name : str, optional
        The base name of the symbols. The default, "x", gives ``x0, x1, ...``.

    Returns
    -------
    x : tuple of sympy.Symbol
        The n real input symbols.
    s : sympy.Matrix, shape (n, 1)
        The softmax expressions, one per class.

    Raises
    ------
    TypeError, ValueError
        If ``n`` is not a positive int.

    Examples
    --------
    >>> from softmaxlib.symbolic import softmax_expr
    >>> x, s = softmax_expr(2)
    >>> print(s[0])
    exp(x0)/(exp(x0) + exp(x1))
    """
    n = _check_n(n)
    x = sp.symbols(f"{name}0:{n}", real=True)
    x = tuple(x)
    denominator = sp.Add(*[sp.exp(v) for v in x])
    return x, sp.Matrix([sp.exp(v) / denominator for v in x])


def jacobian_expr(n):
    r"""Differentiate softmax over n symbols with ``sympy.diff``: ``J[i, j] = d s_i / d x_j``.

    Parameters
    ----------
    n : int
        The number of classes, at least 1.

    Returns
    -------
    x : tuple of sympy.Symbol
        The input symbols.
    J : sympy.Matrix, shape (n, n)
        The raw derivatives, as sympy.diff returns them (not simplified).

    Examples
    --------
    >>> from softmaxlib.symbolic import jacobian_expr
    >>> x, J = jacobian_expr(2)
    >>> print(J[0, 1])
    -exp(x0)*exp(x1)/(exp(x0) + exp(x1))**2
    """
    x, s = softmax_expr(n)
    return x, sp.Matrix(n, n, lambda i, j: sp.diff(s[i], x[j]))


def jacobian_in_s(n):
    r"""Rewrite the SymPy Jacobian in terms of the outputs ``s_i`` and simplify it.

    Each derivative from :func:`jacobian_expr` is a rational function of ``exp(x_k)`` and
    the sum ``Z = sum_k exp(x_k)``. Substituting ``Z`` by a symbol and then ``exp(x_k)`` by
    ``s_k Z`` (that is, ``x_k`` by ``log(s_k Z)``) leaves an expression in the ``s_k``
    alone, which factors to ``s_i (delta_ij - s_j)``: ``s_i (1 - s_i)`` on the diagonal,
    ``-s_i s_j`` off it.

    Parameters
    ----------
    n : int
        The number of classes, at least 1.

    Returns
    -------
    s : tuple of sympy.Symbol
        Symbols ``s0, s1, ...`` standing for the softmax outputs.
    J : sympy.Matrix, shape (n, n)
        The factored Jacobian in those symbols.

    Examples
    --------
    >>> from softmaxlib.symbolic import jacobian_in_s
    >>> s, J = jacobian_in_s(2)
    >>> print(J)
    Matrix([[-s0*(s0 - 1), -s0*s1], [-s0*s1, -s1*(s1 - 1)]])
    """
    x, J = jacobian_expr(n)
    s = tuple(sp.symbols(f"s0:{n}", positive=True))
    Z = sp.Symbol("Z", positive=True)
    total = sp.Add(*[sp.exp(v) for v in x])
    # x_k = log(s_k Z) turns exp(x_k) into s_k Z, and also exp(2 x_k) into (s_k Z)**2.
    subs = {v: sp.log(s[k] * Z) for k, v in enumerate(x)}
    out = J.applyfunc(lambda e: sp.factor(sp.simplify(e.xreplace({total: Z}).subs(subs))))
    return s, out


def jacobian_closed_form(n):
    r"""Return the matrix ``diag(s) - s s^T`` in the symbols ``s0, ..., s(n-1)``.

    Parameters
    ----------
    n : int
        The number of classes, at least 1.

    Returns
    -------
    s : tuple of sympy.Symbol
    J : sympy.Matrix, shape (n, n)

    Examples
    --------
    >>> from softmaxlib.symbolic import jacobian_closed_form
    >>> print(jacobian_closed_form(2)[1])
    Matrix([[-s0**2 + s0, -s0*s1], [-s0*s1, -s1**2 + s1]])
    """
    n = _check_n(n)
    s = tuple(sp.symbols(f"s0:{n}", positive=True))
    col = sp.Matrix(s)
    return s, sp.diag(*s) - col * col.T


def verify_jacobian(n):
    r"""Check symbolically that ``sympy.diff`` of softmax equals ``diag(s) - s s^T``.

    Both sides are written in the inputs ``x`` (with ``s_i = exp(x_i) / sum exp(x_j)``) and
    their difference is simplified; the check passes when every entry simplifies to 0.

    Parameters
    ----------
    n : int
        The number of classes, at least 1.

    Returns
    -------
    ok : bool
        True when the difference is the zero matrix.

    Examples
    --------
    >>> from softmaxlib.symbolic import verify_jacobian
    >>> verify_jacobian(3)
    True
    """
    x, J = jacobian_expr(n)
    _, s = softmax_expr(n)
    sym, closed = jacobian_closed_form(n)
    closed_x = closed.xreplace(dict(zip(sym, s)))
    diff = (J - closed_x).applyfunc(sp.simplify)
    return bool(diff.is_zero_matrix)


def lambdify_jacobian(n):
    r"""Compile the SymPy Jacobian of softmax over n classes into a numpy function.

    Parameters
    ----------
    n : int
        The number of classes, at least 1.

    Returns
    -------
    jac : callable
        ``jac(x)`` takes a length-n vector and returns the (n, n) float64 Jacobian. It
        evaluates the textbook formula with raw ``exp``, so it overflows for scores above
        about 709: use :func:`softmaxlib.softmax_jacobian` for real work.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.symbolic import lambdify_jacobian
    >>> print(lambdify_jacobian(2)(np.array([0.0, 0.0])))
    [[ 0.25 -0.25]
     [-0.25  0.25]]
    """
    x, J = jacobian_expr(n)
    f = sp.lambdify(x, J, modules="numpy")

    def jac(v):
        v = np.asarray(v, dtype=np.float64)
        if v.shape != (len(x),):
            raise ValueError(f"x must be a vector of length {len(x)}, got shape {v.shape}")
        return np.asarray(f(*v), dtype=np.float64)

    return jac
