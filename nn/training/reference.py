"""The closed-form reference: the course's formulas written directly in NumPy, and the check
that autograd agrees with them.

Forward, for l = 1..L:  Z[l] = W[l] A[l-1] + b[l],  A[l] = g[l](Z[l]),  A[0] = X.
Backward, with a sigmoid output and the cross-entropy cost:

    dZ[L]   = A[L] - Y
    dW[l]   = 1/m dZ[l] A[l-1]^T
    db[l]   = 1/m sum(dZ[l], axis=1, keepdims=True)
    dA[l-1] = W[l]^T dZ[l]
    dZ[l]   = dA[l] * g'(Z[l])          for l < L

The course's dZ[l] and dA[l] are m times the derivatives of the cost J = -1/m sum(...):
dZ[l] = m dJ/dZ[l], dA[l] = m dJ/dA[l], while dW[l] and db[l] are dJ/dW[l] and dJ/db[l]
(``tinygrad_nb.explain_mode.course_scale``). ``closed_form_backward`` returns the course's
quantities, and ``check_against_closed_form`` scales autograd's dJ/dZ and dJ/dA by m before it
compares, so that like is compared with like. ``viz.draw_graph``, ``viz.explore`` and explain mode
show the same convention; the report's ``norms`` are the numbers they print (||dZ4|| and so on).

Each quantity is compared by ``relative_difference``, the course's gradient-check metric
with a floor under its denominator (see there), so that an exact 0 against a rounding
residue of 1e-17 is not reported as a 100% difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

import tinygrad_nb
from nn import validate
from nn.layers.activations import Activation, LeakyReLU
from nn.layers.containers import Sequential
from nn.layers.dense import Linear
from nn.layers.dropout import Dropout
from nn.layers.module import eval_mode
from nn.training.data_checks import check_data
from nn.training.losses import binary_cross_entropy
from tinygrad_nb import Tensor, grad

# g(Z) and g'(Z) for each hidden activation, written as the course writes them.
G = {
    "sigmoid": lambda Z, s: 1 / (1 + np.exp(-Z)),
    "tanh": lambda Z, s: np.tanh(Z),
    "relu": lambda Z, s: np.maximum(0, Z),
    "leaky_relu": lambda Z, s: np.where(Z > 0, Z, s * Z),
}
G_PRIME = {
    "sigmoid": lambda Z, s: (1 / (1 + np.exp(-Z))) * (1 - 1 / (1 + np.exp(-Z))),
    "tanh": lambda Z, s: 1 - np.tanh(Z) ** 2,
    "relu": lambda Z, s: (Z > 0).astype(Z.dtype),  # relu_backward: dZ[Z <= 0] = 0
    "leaky_relu": lambda Z, s: np.where(Z > 0, 1.0, s),
}


def closed_form_forward(parameters: Mapping[str, np.ndarray], X: np.ndarray, activations: list[str],
                        slope: float = 0.01) -> tuple[np.ndarray, list[dict[str, np.ndarray]]]:
    """L_model_forward: A[L] and the caches {A_prev, W, b, Z} of each layer l = 1..L."""
    A, caches = X, []
    for l, g in enumerate(activations, start=1):
        W, b = parameters[f"W{l}"], parameters[f"b{l}"]
        Z = W @ A + b
        caches.append({"A_prev": A, "W": W, "b": b, "Z": Z})
        A = G[g](Z, slope)
    return A, caches


def closed_form_backward(AL: np.ndarray, Y: np.ndarray, caches: list[dict[str, np.ndarray]],
                         activations: list[str], slope: float = 0.01) -> dict[str, np.ndarray]:
    """L_model_backward for a sigmoid output and cross-entropy: {dZl, dWl, dbl, dA(l-1)} for l = L..1."""
    m = Y.shape[1]
    L = len(caches)
    grads: dict[str, np.ndarray] = {}
    dZ = AL - Y
    for l in range(L, 0, -1):
        cache = caches[l - 1]
        if l < L:
            dZ = grads[f"dA{l}"] * G_PRIME[activations[l - 1]](cache["Z"], slope)
        grads[f"dZ{l}"] = dZ
        grads[f"dW{l}"] = 1 / m * dZ @ cache["A_prev"].T
        grads[f"db{l}"] = 1 / m * np.sum(dZ, axis=1, keepdims=True)
        grads[f"dA{l - 1}"] = cache["W"].T @ dZ
    return grads


FLOOR = 1e-4  # below this norm a gradient is rounding-level small next to the O(1) cost: compare absolutely


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """||a - b|| / max(||a|| + ||b||, FLOOR), with FLOOR = 1e-4 and Frobenius norms.

    Where the gradients have norm >= 1e-4 this is the course's relative difference
    ||a - b|| / (||a|| + ||b||). Below, the denominator stays at 1e-4, so the difference is
    1e4 times the absolute one: an exact 0 against 1e-17 (a sum that cancels in floating
    point) reads 1e-13, not 1, while a gradient that is wrong by more than rounding fails.
    """
    return tinygrad_nb.relative_difference(a, b, FLOOR)  # the formula gradcheck uses, with its own floor


@dataclass(frozen=True)
class ClosedFormReport:
    """``relative_difference(autograd, formula)`` for each quantity, one row per quantity: (name, shape, difference)."""

    rows: list[tuple[str, tuple[int, ...], float]]
    norms: dict[str, float] = field(default_factory=dict)  # ||quantity|| from autograd, in the course's convention

    @property
    def max_difference(self) -> float:
        """The largest relative difference of all rows."""
        return max(d for _, _, d in self.rows)

    def passed(self, tolerance: float = 1e-10) -> bool:
        """True when every relative difference is at most ``tolerance``."""
        return self.max_difference <= validate.number("tolerance", tolerance, low=0)

    def as_dict(self) -> dict[str, float]:
        """{"dZ2": 1.2e-16, "dW2": ..., ...}."""
        return {name: d for name, _, d in self.rows}

    def __str__(self) -> str:
        lines = [f"{'quantity':<10}{'shape':<16}{'relative difference':>20}{'norm':>12}"]
        lines += [f"{name:<10}{str(shape):<16}{d:>20.3e}" + (f"{self.norms[name]:>12.4g}" if name in self.norms else "")
                  for name, shape, d in self.rows]
        return "\n".join(lines)


def model_activations(model: Sequential) -> tuple[list[str], float]:
    """The g of each layer l = 1..L for a Sequential of [Linear, activation] pairs ending in sigmoid."""
    return _activations(_layer_pairs(model))


def _activations(pairs: list[tuple[Linear, Activation]]) -> tuple[list[str], float]:
    """The kinds of g[1..L] and the leaky_relu slope (the last one given; 0.01 without one)."""
    slopes = [g.slope for _, g in pairs if isinstance(g, LeakyReLU)]
    return [g.kind for _, g in pairs], slopes[-1] if slopes else 0.01


def _layer_pairs(model: Sequential) -> list[tuple[Linear, Activation]]:
    """(Linear l, g[l]) for l = 1..L; refuses what the closed form does not cover."""
    if not isinstance(model, Sequential):
        raise TypeError(f"check_against_closed_form needs a Sequential or MLP, got {type(model).__name__}")
    layers = [m for m in model.layers if not isinstance(m, Dropout)]
    last = layers[-1]
    if not (isinstance(last, Activation) and last.kind == "sigmoid"):
        raise ValueError("the closed form dZ[L] = A[L] - Y needs a sigmoid output, the model ends in "
                         f"{type(last).__name__}")
    pairs: list[tuple[Linear, Activation]] = []
    for i in range(0, len(layers), 2):
        pair = layers[i:i + 2]
        lin, g = pair[0], pair[-1]
        if len(pair) != 2 or not isinstance(lin, Linear) or not isinstance(g, Activation) or g.kind not in G:
            raise ValueError("check_against_closed_form needs [Linear, activation] pairs with activations in "
                             f"{sorted(G)}; got {[type(m).__name__ for m in layers]}")
        pairs.append((lin, g))
    if len({id(lin) for lin, _ in pairs}) < len(pairs):
        raise ValueError("check_against_closed_form needs a distinct Linear layer for each l = 1..L; "
                         "this model uses a layer twice")
    return pairs


def check_against_closed_form(model: Sequential, X: np.ndarray, Y: np.ndarray,
                              verbose: bool = True) -> ClosedFormReport:
    """Run autograd and the course's formulas on the same model and data; compare dZ, dW, db, dA per layer.

    X is (n[0], m), Y (1, m) in {0, 1}. Autograd's gradients come from ``tinygrad_nb.grad``
    on the cross-entropy cost, so the model's ``.grad`` is not touched. Dropout layers are
    switched off for the check. Each row is ``relative_difference(autograd, formula)``.
    Prints the table when ``verbose``; returns a ``ClosedFormReport``.
    """
    pairs = _layer_pairs(model)
    activations, slope = _activations(pairs)
    x, y = check_data(X, Y)
    params = model.state_dict()
    with eval_mode(model):
        X0 = Tensor(x.astype(next(iter(params.values())).dtype), requires_grad=True, name="X")
        Zs, As = [], [X0]
        for lin, g in pairs:
            Zs.append(lin(As[-1]))
            As.append(g(Zs[-1]))
        J = binary_cross_entropy(As[-1], y)
        lins = [lin for lin, _ in pairs]
        targets = Zs + As[:-1] + [lin.W for lin in lins] + [lin.b for lin in lins]
        auto = [np.zeros_like(t.data) if d is None else d.data for t, d in zip(targets, grad(J, targets))]
    L = len(lins)
    m = y.shape[1]  # the course's dZ, dA are m dJ/dZ, m dJ/dA (course_scale); dW, db are dJ/dW, dJ/db
    dZ_auto, dA_auto = [a * m for a in auto[:L]], [a * m for a in auto[L:2 * L]]
    dW_auto, db_auto = auto[2 * L:3 * L], auto[3 * L:]
    AL, caches = closed_form_forward(params, X0.data, activations, slope)
    ref = closed_form_backward(AL, y.astype(AL.dtype), caches, activations, slope)
    rows, norms = [], {}
    for l in range(L, 0, -1):
        for name, value in ((f"dZ{l}", dZ_auto[l - 1]), (f"dW{l}", dW_auto[l - 1]), (f"db{l}", db_auto[l - 1]),
                            (f"dA{l - 1}", dA_auto[l - 1])):
            rows.append((name, value.shape, relative_difference(value, ref[name])))
            norms[name] = float(np.linalg.norm(value))
    report = ClosedFormReport(rows, norms)
    if verbose:
        print(report)
    return report
