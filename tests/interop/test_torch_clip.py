"""nn.utils.clip_grad_norm_ and clip_grad_value_ against torch.nn.utils's own, on random gradients: the same
clipped gradients and the same returned total norm (float64, 1e-12), for the norm types PyTorch takes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from tinygrad_nb import Tensor

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch")


def pair(seed, scale):
    rs = np.random.RandomState(seed)
    grads = [rs.randn(*shape) * scale for shape in ((3, 4), (4, 1), (2, 3))]
    ours, theirs = [], []
    for g in grads:
        p = Tensor(np.zeros_like(g), requires_grad=True)
        p.grad = Tensor(g.copy())
        ours.append(p)
        t = torch.zeros(g.shape, dtype=torch.float64, requires_grad=True)
        t.grad = torch.tensor(g.copy())
        theirs.append(t)
    return ours, theirs


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), scale=st.sampled_from([0.01, 1.0, 10.0]),
       max_norm=st.floats(0.1, 5.0), norm_type=st.sampled_from([2.0, 1.0, 3.0, float("inf")]))
def test_clip_grad_norm_matches_torch(seed, scale, max_norm, norm_type):
    ours, theirs = pair(seed, scale)
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    total_torch = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    np.testing.assert_allclose(float(total.item()), float(total_torch), rtol=1e-12)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad.data, t.grad.numpy(), rtol=1e-12, atol=1e-15)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), clip_value=st.floats(0.01, 3.0))
def test_clip_grad_value_matches_torch(seed, clip_value):
    ours, theirs = pair(seed, 1.0)
    nn.utils.clip_grad_value_(ours, clip_value)
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(p.grad.data, t.grad.numpy())
