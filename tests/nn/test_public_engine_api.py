"""Issue 10: nn is built on the engine's public API only (``from tinygrad_nb import ...`` of names in
``tinygrad_nb.__all__``), never on its internals such as ``tinygrad_nb.ops``; the BCE ops'
backward rules run on arrays and on Tensors (create_graph) without an engine helper."""

import ast
from pathlib import Path

import numpy as np
import pytest

import nn
import tinygrad_nb
from tinygrad_nb import Tensor

NN_FILES = sorted((Path(__file__).resolve().parents[2] / "nn").rglob("*.py"))


def engine_imports(path):
    """(module, names) for every import of tinygrad_nb or one of its submodules in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(a.name, []) for a in node.names if a.name.split(".")[0] == "tinygrad_nb"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "tinygrad_nb":
            found.append((node.module, [a.name for a in node.names]))
    return found


@pytest.mark.parametrize("path", NN_FILES, ids=lambda p: p.name)
def test_nn_imports_only_the_engines_public_names(path):
    for module, names in engine_imports(path):
        assert module == "tinygrad_nb", f"{path.name} imports the engine internal {module}"
        private = set(names) - set(tinygrad_nb.__all__)
        assert not private, f"{path.name} imports {private}, which tinygrad_nb does not export"


def second_derivative(J_of, x):
    """d/dx of sum(dJ/dx), from create_graph: the backward rule run on Tensors."""
    (g,) = tinygrad_nb.grad(J_of(x), [x], create_graph=True)
    return tinygrad_nb.grad(g.sum(), [x])[0].data


def test_bce_with_logits_second_derivative_is_sigmoid_prime_over_m():
    Z = Tensor(np.array([[-3.0, -0.5, 0.0, 2.0]]), requires_grad=True)
    Y = np.array([[0.0, 1.0, 1.0, 0.0]])
    A = 1 / (1 + np.exp(-Z.data))
    np.testing.assert_allclose(second_derivative(lambda Z: nn.binary_cross_entropy_with_logits(Z, Y), Z),
                               A * (1 - A) / 4, rtol=1e-12)


def test_bce_second_derivative_is_the_closed_form():
    A = Tensor(np.array([[0.2, 0.7, 0.9]]), requires_grad=True)
    Y = np.array([[1.0, 0.0, 1.0]])
    # dJ/dA = 1 / (m ((1 - Y) - A)), so d2J/dA2 = 1 / (m ((1 - Y) - A)^2)
    np.testing.assert_allclose(second_derivative(lambda A: nn.binary_cross_entropy(A, Y), A),
                               1 / (3 * ((1 - Y) - A.data) ** 2), rtol=1e-12)
