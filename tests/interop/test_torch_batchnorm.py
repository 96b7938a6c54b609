"""BatchNorm against PyTorch: BatchNorm1d for Z (n, m) given as Z.T (m, n), BatchNorm2d for Z (m, n_H, n_W, n_C)
given as NCHW. Over several training steps and then in eval mode: the output, dZ, dgamma, dbeta, running_mean and
running_var agree to 1e-10 in float64 (the same momentum convention, the unbiased running variance)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nn.layers.batchnorm import BatchNorm
from tinygrad_nb import Tensor

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch")

ATOL = 1e-10


def to_torch_layout(a, layout):
    """(n, m) -> (m, n); (m, n_H, n_W, n_C) -> (m, n_C, n_H, n_W)."""
    return a.T if layout == "dense" else a.transpose(0, 3, 1, 2)


def from_torch_layout(a, layout):
    return a.T if layout == "dense" else a.transpose(0, 2, 3, 1)


def torch_twin(bn, layout):
    cls = torch.nn.BatchNorm1d if layout == "dense" else torch.nn.BatchNorm2d
    twin = cls(bn.n, eps=bn.eps, momentum=bn.momentum, dtype=torch.float64)
    with torch.no_grad():
        twin.weight.copy_(torch.from_numpy(bn.gamma.data.ravel()))
        twin.bias.copy_(torch.from_numpy(bn.beta.data.ravel()))
    return twin


def one_pass(bn, twin, Z, G, layout):
    """Forward and backward on both with the upstream gradient G; the largest differences of each quantity."""
    X = Tensor(Z, requires_grad=True)
    bn.gamma.grad = bn.beta.grad = None
    out = bn(X)
    (out * G).sum().backward()
    tX = torch.tensor(to_torch_layout(Z, layout).copy(), requires_grad=True)
    twin.zero_grad()
    tout = twin(tX)
    tout.backward(torch.from_numpy(to_torch_layout(G, layout).copy()))
    return {
        "Z~": np.abs(out.data - from_torch_layout(tout.detach().numpy(), layout)).max(),
        "dZ": np.abs(X.grad.data - from_torch_layout(tX.grad.numpy(), layout)).max(),
        "dgamma": np.abs(bn.gamma.grad.data.ravel() - twin.weight.grad.numpy()).max(),
        "dbeta": np.abs(bn.beta.grad.data.ravel() - twin.bias.grad.numpy()).max(),
        "running_mean": np.abs(bn.running_mean.ravel() - twin.running_mean.numpy()).max(),
        "running_var": np.abs(bn.running_var.ravel() - twin.running_var.numpy()).max(),
    }


def run_against_torch(layout, shape, seed, momentum, steps=4):
    rs = np.random.RandomState(seed)
    n = shape[0] if layout == "dense" else shape[3]
    bn = BatchNorm(n, momentum=momentum, layout=layout)
    bn.gamma.data[...] = rs.randn(*bn.gamma.shape)
    bn.beta.data[...] = rs.randn(*bn.beta.shape)
    twin = torch_twin(bn, layout)
    worst: dict[str, float] = {}
    for mode in ["train"] * steps + ["eval"] * 2:
        bn.train(mode == "train")
        twin.train(mode == "train")
        Z, G = rs.randn(*shape) * 2 + 0.5, rs.randn(*shape)
        for k, v in one_pass(bn, twin, Z, G, layout).items():
            worst[k] = max(worst.get(k, 0.0), float(v))
    return worst


@pytest.mark.parametrize("layout,shape", [("dense", (5, 8)), ("dense", (3, 2)), ("conv", (4, 3, 5, 2)),
                                          ("conv", (1, 2, 1, 3))])
def test_batchnorm_matches_torch_in_train_and_eval_mode(layout, shape):
    worst = run_against_torch(layout, shape, seed=0, momentum=0.1, steps=5)
    assert max(worst.values()) < ATOL, worst


@given(st.sampled_from(["dense", "conv"]), st.integers(1, 4), st.integers(2, 5), st.integers(1, 3),
       st.floats(0.0, 1.0), st.integers(0, 2**16))
def test_batchnorm_matches_torch_on_random_shapes_and_momenta(layout, n, m, hw, momentum, seed):
    shape = (n, m) if layout == "dense" else (m, hw, hw, n)
    worst = run_against_torch(layout, shape, seed, momentum)
    assert max(worst.values()) < ATOL, worst


def test_one_example_in_training_is_refused_as_torch_refuses_it():
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        torch.nn.BatchNorm1d(3, dtype=torch.float64)(torch.zeros(1, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel when training"):
        BatchNorm(3)(np.zeros((3, 1)))
