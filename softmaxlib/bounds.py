"""Error bounds that hold on every CPU: the book's asserts and the tests derive theirs from these.

A tolerance fitted to the numbers one machine printed fails on the next machine. The bounds here
come from documented properties instead:

* numpy's own accuracy tests (``numpy/_core/tests/test_umath_accuracy.py`` with the data files
  ``umath-validation-set-*.csv``) hold ``exp``, ``log`` and ``log1p`` to these many units in the
  last place (ulp) on every SIMD path numpy dispatches to (baseline, AVX2, AVX-512):
  float64 ``exp``, ``log`` and ``log1p`` to 1 ulp; float32 ``exp`` to 3, ``log`` to 4 and
  ``log1p`` to 2 ulp. One ulp is at most one ``eps`` of relative error.
* IEEE 754 rounds each ``+ - * /`` and ``sqrt`` correctly: a relative error of at most
  ``eps / 2`` each.
* numpy sums a contiguous axis pairwise (8 running sums over blocks of up to 128 elements, then
  halves recursively); :func:`sum_roundings` counts the roundings on the longest path, so a sum
  of ``n`` non-negative terms has a relative error of at most ``sum_roundings(n) * eps / 2``
  (to first order), whatever the CPU and the order the SIMD lanes add in.
"""

__all__ = ["ULP", "sum_roundings", "sum_bound_eps"]

#: Worst-case error in ulp of numpy's elementwise functions, per dtype, from numpy's accuracy
#: tests (the largest ``ulperr`` of ``umath-validation-set-{exp,log,log1p}.csv``).
ULP = {
    "float64": {"exp": 1, "log": 1, "log1p": 1},
    "float32": {"exp": 3, "log": 4, "log1p": 2},
}


def sum_roundings(n):
    """Return the number of roundings on the longest path of numpy's pairwise sum of ``n`` terms.

    Parameters
    ----------
    n : int
        Number of terms, at least 0.

    Returns
    -------
    k : int
        ``n - 1`` below 8 terms (a plain loop); up to 128 terms, the longest of 8 running sums
        (``n // 8 - 1`` additions), 3 to combine the 8 and one for each of the ``n % 8`` left
        over; above that, one more than the larger half (numpy splits at ``n // 2`` rounded
        down to a multiple of 8).

    Examples
    --------
    >>> from softmaxlib.bounds import sum_roundings
    >>> print([sum_roundings(n) for n in (1, 2, 8, 10, 128, 1000, 4096)])
    [0, 1, 3, 5, 18, 21, 23]
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ValueError(f"n must be an int >= 0, got {n!r}")
    if n < 8:
        return max(n - 1, 0)
    if n <= 128:
        return n // 8 - 1 + 3 + n % 8
    half = n // 2
    half -= half % 8
    return 1 + max(sum_roundings(half), sum_roundings(n - half))


def sum_bound_eps(n):
    """Return the relative error bound, in eps, of numpy's sum of ``n`` non-negative terms.

    Examples
    --------
    >>> from softmaxlib.bounds import sum_bound_eps
    >>> print(sum_bound_eps(10), sum_bound_eps(1000))
    2.5 10.5
    """
    return sum_roundings(n) / 2
