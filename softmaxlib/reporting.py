"""Numbers as the book prints them: rounded to the precision a claim needs, the same everywhere.

A float that went through ``exp``, ``log``, a sum or a matrix product can differ in its last
bits from one CPU to another (numpy picks SIMD kernels by CPU, OpenBLAS picks its GEMM kernel,
numba compiles for the host), and a value that went through training or an optimiser can differ
by more. The book stores its outputs and compares them on every machine, so it never shows such
a float in full. It shows, and glues into the prose, the text ``format(x, fmt)`` at the
precision the claim needs, and :func:`as_text` checks that this text cannot change when ``x``
moves by as much as it may move on another machine (``rel`` of itself, or ``abs``): a value
too close to a rounding boundary is refused, so the author picks a coarser format rather than
storing an output that another CPU would contradict.
"""

import math
from decimal import Decimal

__all__ = ["as_text", "as_shown", "as_power_of_ten", "as_error_text", "FEW_EPS"]

#: Default relative wobble: far above the last-bit differences of a few roundings (1e-16 each,
#: amplified by a condition number up to 1e6), far below any digit the book prints.
REL = 1e-9


def _check(x, fmt, rel, abs_):
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a format string such as '.3f', got {type(fmt).__name__}")
    if isinstance(x, (bool, complex, str)) or not hasattr(x, "__float__"):
        raise TypeError(f"x must be a real number, got {type(x).__name__}")
    if not fmt or fmt[-1] not in "eEfFgG%":
        raise ValueError(f"fmt must end in e, f, g or % (a float format), got {fmt!r}")
    for name, v in (("rel", rel), ("abs", abs_)):
        if not (isinstance(v, (int, float)) and v >= 0 and math.isfinite(v)):
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    return float(x)


def as_text(x, fmt, *, rel=REL, abs=0.0):  # noqa: A002 (abs mirrors math.isclose's abs_tol)
    """Return ``format(x, fmt)``, after checking that it is the same for every value within
    ``rel * |x| + abs`` of ``x``.

    Parameters
    ----------
    x : float or numpy floating scalar
        The value to show. NaN and infinities are formatted as they are.
    fmt : str
        A float format specification, as in ``f"{x:.3f}"``: fixed (``f``), exponent (``e``),
        general (``g``) or percent (``%``) notation, optionally with ``,``.
    rel, abs : float, optional
        How far ``x`` may be from the value another machine computes: ``rel`` relative to
        ``|x|`` (default 1e-9, ample for last-bit differences) plus ``abs`` (default 0).

    Returns
    -------
    text : str
        ``format(x, fmt)``.

    Raises
    ------
    TypeError
        If ``x`` is not a real number or ``fmt`` is not a string.
    ValueError
        If ``fmt`` is not a float format, ``rel`` or ``abs`` is negative, or the text would
        differ somewhere in the interval: ask for fewer digits.

    Examples
    --------
    >>> from softmaxlib.reporting import as_text
    >>> print(as_text(0.5695355325734242, ".3f"))
    0.570
    >>> print(as_text(2963.7, ".0e", rel=0.01))  # within 1 %: 2934 .. 2993
    3e+03
    >>> as_text(2.05, ".1f", abs=0.1)  # an error in eps that moves by 0.1 with the CPU
    Traceback (most recent call last):
        ...
    ValueError: x = 2.05 shown as '2.0' with fmt '.1f' could read '1.9' to '2.2' for a value within 0.1 of it: use fewer digits
    """
    value = _check(x, fmt, rel, abs)
    text = format(value, fmt)
    if not math.isfinite(value):
        return text
    d = rel * math.fabs(value) + abs
    lo, hi = format(value - d, fmt), format(value + d, fmt)
    if lo != text or hi != text:
        raise ValueError(
            f"x = {value!r} shown as {text!r} with fmt {fmt!r} could read {lo!r} to {hi!r} "
            f"for a value within {d:.3g} of it: use fewer digits"
        )
    return text


def as_shown(x, fmt, *, rel=REL, abs=0.0):  # noqa: A002
    """Return the number that ``as_text(x, fmt)`` shows, as a Python float, to glue.

    Gluing ``as_shown(x, ".3f")`` rather than ``x`` stores a value whose ``repr`` has no more
    digits than the prose displays, so a last-bit difference between two machines cannot
    change the stored output, and ``format(as_shown(x, fmt), fmt) == format(x, fmt)``.
    Parameters, checks and errors as for :func:`as_text`; a percentage is divided by 100
    again.

    Examples
    --------
    >>> from softmaxlib.reporting import as_shown
    >>> print(as_shown(0.5695355325734242, ".3f"))
    0.57
    >>> print(as_shown(1.575184905431158e-06, ".1e"))
    1.6e-06
    >>> print(as_shown(0.574, ".1%"), as_shown(2980.9579870417283, ",.0f"))
    0.574 2981.0
    """
    text = as_text(x, fmt, rel=rel, abs=abs).replace(",", "").strip()
    if text.endswith("%"):
        return float(Decimal(text[:-1]) / 100)
    return float(text)


def as_power_of_ten(x, *, rel=0.05):
    """Return ``|x|`` as the nearest power of ten, ``"1e+03"`` for 2963, after checking that
    every value within ``rel * |x|`` of it has the same nearest power.

    For errors that are large by construction (thousands of eps from a cancellation) but whose
    exact figure moves by a percent or so with the CPU's ``exp`` and ``log``. The boundary
    between two powers ``10**k`` and ``10**(k+1)`` is their geometric mean ``10**(k + 1/2)``.

    Raises
    ------
    ValueError
        If a value within ``rel * |x|`` of ``x`` rounds to another power of ten.

    Examples
    --------
    >>> from softmaxlib.reporting import as_power_of_ten
    >>> print(as_power_of_ten(2963.7), as_power_of_ten(2.68e13), as_power_of_ten(845.0))
    1e+03 1e+13 1e+03
    >>> print(as_power_of_ten(0.0), as_power_of_ten(float("inf")))
    0 inf
    """
    value = math.fabs(_check(x, ".0e", rel, 0.0))
    if value == 0 or not math.isfinite(value):
        return format(value, "g")
    powers = {round(math.log10(v)) for v in (value * (1 - rel), value, value * (1 + rel))}
    if len(powers) > 1:
        raise ValueError(
            f"x = {value!r} is within {rel:.0%} of the boundary between two powers of ten: "
            "the power shown could differ on another CPU"
        )
    return f"1e{powers.pop():+03d}"


#: Errors within this many eps are "a few": a handful of roundings of 1 to 4 ulp each (numpy's
#: tested exp and log), whose exact total depends on the CPU's kernels.
FEW_EPS = 16


def as_error_text(err, *, one_ulp=False):
    """Return an error in eps as the book's tables print it, the same on every CPU.

    ``"few"`` within :data:`FEW_EPS`, ``"inf"`` for a NaN or infinite answer, and otherwise
    the nearest power of ten (:func:`as_power_of_ten`): large errors come from cancellation,
    and the CPU moves them by a percent or so. With ``one_ulp``, an error of at most 1 eps
    (two results each rounded once from a more precise one) reads ``"<= 1"``.

    Examples
    --------
    >>> from softmaxlib.reporting import as_error_text
    >>> print(as_error_text(2.05), as_error_text(2.68e13), as_error_text(float("inf")))
    few 1e+13 inf
    >>> print(as_error_text(0.94, one_ulp=True), as_error_text(10.7, one_ulp=True))
    <= 1 few
    """
    value = float(err)
    if value != value or value == float("inf"):
        return "inf"
    if one_ulp and value <= 1:
        return "<= 1"
    return "few" if value <= FEW_EPS else as_power_of_ten(value)
