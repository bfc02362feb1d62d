"""softmaxlib: the small library behind "Softmax, verified".

Every chapter of the book imports its functions from here; the book never re-implements them.
"""

from .core import hardmax, log_softmax, logsumexp, softmax
from .accuracy import error_in_eps, exact_log_softmax, exact_logsumexp, exact_softmax
from .calculus import (
    cross_entropy,
    cross_entropy_grad,
    log_softmax_jvp,
    log_softmax_vjp,
    numerical_jacobian,
    softmax_jacobian,
    softmax_jvp,
    softmax_vjp,
)
from .information import entropy, maxent_distribution
from .naive import (
    linear_normalize,
    naive_base_softmax,
    naive_double_exp_softmax,
    naive_sigmoid,
    naive_softmax,
    eps_cross_entropy,
    linear_cross_entropy,
    log_of_softmax,
    naive_log_softmax,
    naive_logsumexp,
    shifted_log_softmax,
    shifted_logsumexp,
    shifted_softmax,
    wrong_shift_softmax,
)
from .activations import identity, relu, relu_grad, sigmoid, sigmoid_grad, step, step_grad
from .mlp import (
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
from .calibration import expected_calibration_error, fit_temperature, reliability_bins

__version__ = "0.1.0"

__all__ = [
    "softmax",
    "log_softmax",
    "logsumexp",
    "hardmax",
    "exact_logsumexp",
    "exact_log_softmax",
    "exact_softmax",
    "error_in_eps",
    "naive_logsumexp",
    "naive_log_softmax",
    "shifted_softmax",
    "shifted_log_softmax",
    "shifted_logsumexp",
    "log_of_softmax",
    "wrong_shift_softmax",
    "naive_softmax",
    "linear_normalize",
    "naive_base_softmax",
    "naive_double_exp_softmax",
    "entropy",
    "maxent_distribution",
    "naive_sigmoid",
    "step",
    "sigmoid",
    "relu",
    "identity",
    "step_grad",
    "sigmoid_grad",
    "relu_grad",
    "softmax_jacobian",
    "softmax_jvp",
    "softmax_vjp",
    "log_softmax_jvp",
    "log_softmax_vjp",
    "cross_entropy",
    "cross_entropy_grad",
    "numerical_jacobian",
    "eps_cross_entropy",
    "linear_cross_entropy",
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
    "reliability_bins",
    "expected_calibration_error",
    "fit_temperature",
]
