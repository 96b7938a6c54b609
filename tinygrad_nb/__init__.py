"""tinygrad_nb: a small autograd engine on NumPy, in the notation of the deep learning course.

>>> import numpy as np
>>> from tinygrad_nb import Tensor
>>> W1 = Tensor(np.ones((3, 4)), requires_grad=True, name="W1")
>>> X = Tensor(np.ones((4, 5)), name="X")           # course layout: (n_x, m)
>>> J = (W1 @ X).relu().sum() / 5
>>> J.backward()
>>> W1.grad.shape
(3, 4)
"""

from tinygrad_nb._tensor import Tensor
from tinygrad_nb.anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled
from tinygrad_nb.autograd import grad
from tinygrad_nb.explain_mode import explain
from tinygrad_nb.factories import arange, full, linspace, ones, rand, randint, randn, tensor, zeros
from tinygrad_nb.function import Function, GraphFreedError, InputError, ShapeError
from tinygrad_nb.functional import (
    concatenate,
    conv2d,
    cos,
    exp,
    linear,
    log,
    maximum,
    minimum,
    pool2d,
    sin,
    stack,
    take,
    tanh,
    where,
)
from tinygrad_nb.grad_mode import enable_grad, is_grad_enabled, no_grad
from tinygrad_nb.gradcheck import GradcheckResult, check_gradient, gradcheck, relative_difference
from tinygrad_nb.guards import register_library, state_changed, state_read, state_version, state_written
from tinygrad_nb.random_state import default_rng_of, global_generator, manual_seed
from tinygrad_nb.tracing import Jit, JitError, jit, side_effect

__version__ = "0.1.0"

__all__ = [
    "Tensor", "Function", "ShapeError", "InputError", "GraphFreedError",
    "grad", "gradcheck", "check_gradient", "GradcheckResult", "relative_difference",
    "no_grad", "enable_grad", "is_grad_enabled",
    "detect_anomaly", "is_anomaly_enabled", "AnomalyError", "explain",
    "jit", "Jit", "JitError", "side_effect", "state_changed", "state_read", "state_version", "state_written",
    "register_library",
    "tensor", "zeros", "ones", "full", "arange", "linspace", "randn", "rand", "randint",
    "manual_seed", "default_rng_of", "global_generator",
    "linear", "conv2d", "pool2d", "concatenate", "stack", "take", "where", "maximum", "minimum",
    "sin", "cos", "exp", "log", "tanh",
]
