"""softmaxlib: the small library behind "Softmax, verified".

Every chapter of the book imports its functions from here; the book never re-implements them.
"""

from .core import hardmax, log_softmax, logsumexp, softmax
from .naive import linear_normalize, naive_softmax

__version__ = "0.1.0"

__all__ = [
    "softmax",
    "log_softmax",
    "logsumexp",
    "hardmax",
    "naive_softmax",
    "linear_normalize",
]
