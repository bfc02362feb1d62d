"""Input checks shared by every public function.

Each check raises a ``TypeError`` or ``ValueError`` that names the argument and says what
was expected, so that bad input never turns into a silently wrong result.
"""

import math
import numbers

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

__all__ = [
    "as_float_array",
    "check_positive_int",
    "check_temperature",
    "normalize_axes",
    "working_dtype",
]

# Floating and complex dtypes are kept; integers and unsigned integers become float64.
_REJECTED_KINDS = {
    "b": "boolean",
    "U": "string",
    "S": "bytes",
    "O": "object",
    "V": "structured/void",
    "M": "datetime",
    "m": "timedelta",
}


def as_float_array(x, name="x", *, subok=False):
    """Return ``x`` as a floating or complex ndarray, converting integers to float64.

    Raises ``TypeError`` naming the argument and its dtype for boolean, string, object,
    structured and datetime input. With ``subok=True`` an ndarray subclass is passed through
    (the book traces the naive formulas' memory traffic with one).
    """
    try:
        arr = np.asanyarray(x) if subok else np.asarray(x)
    except (TypeError, ValueError) as exc:  # ragged nested sequences, for example
        raise TypeError(f"{name} must be array-like of real or complex numbers: {exc}") from None
    kind = arr.dtype.kind
    if kind in _REJECTED_KINDS:
        raise TypeError(
            f"{name} must hold real or complex numbers, got a {_REJECTED_KINDS[kind]} "
            f"array of dtype {arr.dtype}"
        )
    if kind in "iu":
        return arr.astype(np.float64)
    return arr


def working_dtype(dtype):
    """The dtype in which to compute for inputs of ``dtype``.

    float16 and float32 are computed in float64 (complex64 in complex128) and rounded back
    once at the end, so their sums lose nothing to accumulation.
    """
    dtype = np.dtype(dtype)
    if dtype.kind == "c":
        return np.result_type(dtype, np.complex128)
    return np.result_type(dtype, np.float64)


def normalize_axes(axis, ndim, name="axis"):
    """Return ``axis`` (an int, a tuple of ints or None) as a sorted tuple of non-negative ints.

    An out-of-range axis raises numpy's ``AxisError``; a repeated one raises ``ValueError``.
    """
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is int and -ndim <= axis < ndim:  # the common case, without the ABC checks
        return (axis % ndim,)
    if isinstance(axis, (bool, np.bool_)) or not (
        isinstance(axis, (numbers.Integral, tuple, list))
    ):
        raise TypeError(f"{name} must be an int, a tuple of ints or None, got {axis!r}")
    if isinstance(axis, (tuple, list)) and not all(
        isinstance(a, numbers.Integral) and not isinstance(a, (bool, np.bool_)) for a in axis
    ):
        raise TypeError(f"{name} must be an int, a tuple of ints or None, got {axis!r}")
    return tuple(sorted(normalize_axis_tuple(axis, ndim, argname=name)))


def check_temperature(temperature):
    """Return ``temperature`` as a float, or raise if it is not a positive, finite real number."""
    if isinstance(temperature, (bool, np.bool_)) or not isinstance(temperature, numbers.Real):
        raise TypeError(
            f"temperature must be a positive, finite real number, got {temperature!r}"
        )
    t = float(temperature)
    if not (math.isfinite(t) and t > 0.0):
        raise ValueError(f"temperature must be positive and finite, got {temperature!r}")
    return t


def check_positive_int(value, name):
    """Return ``value`` as an int if it is a positive integer (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)
