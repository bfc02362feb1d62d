"""Is a classifier's confidence honest? Reliability bins, expected calibration error, temperature.

A classifier is *calibrated* when, among the predictions made with top probability about 0.8,
about 80 % are right. :func:`reliability_bins` groups predictions by their top probability and
compares the mean confidence with the accuracy in each bin; :func:`expected_calibration_error`
averages the gaps. :func:`fit_temperature` finds the single temperature T that, dividing every
logit, minimises the cross-entropy on held-out data (temperature scaling, Guo et al. 2017). It
changes confidences but never the predicted class.
"""

import numpy as np
from scipy.optimize import minimize_scalar

from ._validation import as_float_array
from .calculus import cross_entropy

__all__ = ["reliability_bins", "expected_calibration_error", "fit_temperature"]


def _check(probs, labels):
    p = as_float_array(probs, "probs")
    if p.ndim != 2 or p.shape[0] == 0:
        raise ValueError(f"probs must have shape (n, n_classes) with n > 0, got {p.shape}")
    y = np.asarray(labels)
    if y.dtype.kind not in "iu" or y.shape != (p.shape[0],):
        raise ValueError(
            f"labels must be {p.shape[0]} integer class labels, got {y.dtype} {y.shape}"
        )
    return p, y


def reliability_bins(probs, labels, n_bins=10):
    """Group predictions into equal-width bins of top probability; return each bin's statistics.

    Parameters
    ----------
    probs : array_like, shape (n, n_classes)
        Predicted probabilities (rows sum to 1).
    labels : array_like of int, shape (n,)
        The true classes.
    n_bins : int, optional
        Number of equal-width bins over (0, 1]; bin m holds confidences in (m/M, (m+1)/M]. The
        default, 10.

    Returns
    -------
    bins : dict of ndarray, each of length ``n_bins``
        ``"count"`` (predictions in the bin), ``"confidence"`` (their mean top probability),
        ``"accuracy"`` (the fraction that are right) and ``"edges"`` (length ``n_bins + 1``).
        Empty bins have count 0 and NaN confidence and accuracy.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.calibration import reliability_bins
    >>> p = np.array([[0.9, 0.1], [0.85, 0.15], [0.4, 0.6]])
    >>> b = reliability_bins(p, np.array([0, 1, 1]), n_bins=5)
    >>> print(b["count"], b["accuracy"])
    [0 0 1 0 2] [nan nan 1.  nan 0.5]
    """
    p, y = _check(probs, labels)
    if isinstance(n_bins, bool) or not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise ValueError(f"n_bins must be a positive integer, got {n_bins!r}")
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == y).astype(float)
    idx = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    count = np.bincount(idx, minlength=n_bins)
    with np.errstate(invalid="ignore"):  # empty bins: 0/0 is NaN on purpose
        confidence = np.bincount(idx, weights=conf, minlength=n_bins) / count
        acc = np.bincount(idx, weights=correct, minlength=n_bins) / count
    return {
        "count": count,
        "confidence": confidence,
        "accuracy": acc,
        "edges": np.linspace(0.0, 1.0, n_bins + 1),
    }


def expected_calibration_error(probs, labels, n_bins=10):
    r"""Return the expected calibration error (ECE) of predicted probabilities.

    .. math:: \mathrm{ECE} = \sum_{m=1}^{M} \frac{|B_m|}{n}\,
              \bigl|\operatorname{acc}(B_m) - \operatorname{conf}(B_m)\bigr|

    Parameters
    ----------
    probs : array_like, shape (n, n_classes)
        Predicted probabilities (rows sum to 1).
    labels : array_like of int, shape (n,)
        The true classes.
    n_bins : int, optional
        Number M of equal-width confidence bins. The default, 10.

    Returns
    -------
    ece : float
        In [0, 1]; 0 for a perfectly calibrated classifier (on this binning).

    Notes
    -----
    This is the binned estimator of Naeini et al. (2015) used by Guo et al. (2017). It depends
    on the number of bins and is noisy for small n; read it beside the reliability diagram.

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.calibration import expected_calibration_error
    >>> p = np.array([[0.9, 0.1], [0.9, 0.1]])  # 90 % sure, right half the time
    >>> print(round(expected_calibration_error(p, np.array([0, 1])), 4))
    0.4
    """
    b = reliability_bins(probs, labels, n_bins)
    full = b["count"] > 0
    n = b["count"].sum()
    return float(np.sum(b["count"][full] / n * np.abs(b["accuracy"][full] - b["confidence"][full])))


def fit_temperature(logits, labels, bounds=(0.05, 20.0)):
    r"""Return the temperature T minimising the cross-entropy of ``softmax(logits / T)``.

    .. math:: T^\star = \arg\min_{T > 0} \frac1n \sum_i -\log \operatorname{softmax}(z_i / T)_{y_i}

    Parameters
    ----------
    logits : array_like, shape (n, n_classes)
        Held-out (validation) logits: fitting on training data would reward overconfidence.
    labels : array_like of int, shape (n,)
        The true classes.
    bounds : tuple of float, optional
        The search interval for T. The default, (0.05, 20), is wide enough for a trained net.

    Returns
    -------
    T : float
        T > 1 softens overconfident predictions, T < 1 sharpens underconfident ones. The argmax,
        and so the accuracy, is the same for every T.

    Notes
    -----
    The loss is smooth in log T and has a single minimum on the interval for a network that gets
    most answers right; it is minimised over log T by bounded Brent search (scipy).

    Examples
    --------
    >>> import numpy as np
    >>> from softmaxlib.calibration import fit_temperature
    >>> z = np.array([[4.0, 0.0], [4.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
    >>> T = fit_temperature(z, np.array([0, 0, 1, 1]))  # 3 of 4 right: 4/T = log 3
    >>> print(round(T, 3), round(4 / np.log(3), 3))
    3.641 3.641
    """
    z = as_float_array(logits, "logits")
    _check(z, labels)
    lo, hi = bounds
    if not 0 < lo < hi:
        raise ValueError(f"bounds must satisfy 0 < low < high, got {bounds!r}")

    def nll(log_t):
        return float(cross_entropy(z / np.exp(log_t), labels))

    res = minimize_scalar(nll, bounds=(np.log(lo), np.log(hi)), method="bounded",
                          options={"xatol": 1e-8})
    return float(np.exp(res.x))
