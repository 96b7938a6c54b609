"""``tinygrad-nb graph`` names the input X of the drawn graph after where its examples are from: the name is given to
``cost_of_one_step`` when X is made, not found afterwards by walking the graph."""

import numpy as np

import nn
from tinygrad_nb_cli.costs import cost_of_one_step


def leaves_named(J):
    """The names of the leaf tensors of J's graph that are not parameters (a walk of the test's own)."""
    seen, stack, names = set(), [J], []
    while stack:
        t = stack.pop()
        if id(t) not in seen:
            seen.add(id(t))
            if t.is_leaf and not t.requires_grad:
                names.append(t.name)
            stack.extend(t.inputs)
    return names


def test_the_input_carries_the_name_given():
    model = nn.MLP([3, 4, 1], rng=0)
    X, Y = np.random.RandomState(0).rand(3, 5), np.array([[0.0, 1.0, 1.0, 0.0, 1.0]])
    J = cost_of_one_step(model, X, Y, multiclass=False, x_name="X (5 random inputs)")
    assert "X (5 random inputs)" in leaves_named(J)
    assert all(p.grad is not None for p in model.parameters())  # backward ran, as the drawing needs
    assert "X" in leaves_named(cost_of_one_step(model, X, Y, multiclass=False))  # the default name
