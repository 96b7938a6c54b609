"""conv2d and pool2d against PyTorch's own (torch.nn.functional on NCHW), forward and every gradient, in float64
to 1e-10, on random shapes, strides and paddings. Course 4's layout (m, n_H, n_W, n_C) is torch's NCHW permuted;
W (f, f, n_C_prev, n_C) is torch's weight (n_C, n_C_prev, f, f) permuted."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinygrad_nb import Tensor, conv2d, pool2d

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch")
F = torch.nn.functional
ATOL = 1e-10


def nchw(a):
    return torch.tensor(np.ascontiguousarray(a.transpose(0, 3, 1, 2)), requires_grad=True)


def nhwc(t):
    return t.detach().numpy().transpose(0, 2, 3, 1)


@settings(max_examples=30, deadline=None)
@given(f=st.integers(1, 4), stride=st.integers(1, 3), pad=st.integers(0, 2), m=st.integers(1, 3),
       n_C_prev=st.integers(1, 3), n_C=st.integers(1, 4), H=st.integers(4, 8), W_=st.integers(4, 8),
       seed=st.integers(0, 2**16))
def test_conv2d_forward_and_gradients_match_torch(f, stride, pad, m, n_C_prev, n_C, H, W_, seed):
    rs = np.random.RandomState(seed)
    A_prev, W, b = rs.randn(m, H, W_, n_C_prev), rs.randn(f, f, n_C_prev, n_C), rs.randn(1, 1, 1, n_C)
    A_t, W_t, b_t = (Tensor(a, requires_grad=True) for a in (A_prev, W, b))
    Z = conv2d(A_t, W_t, b_t, stride=stride, pad=pad)
    A_torch = nchw(A_prev)
    W_torch = torch.tensor(np.ascontiguousarray(W.transpose(3, 2, 0, 1)), requires_grad=True)
    b_torch = torch.tensor(b.reshape(-1), requires_grad=True)
    Z_torch = F.conv2d(A_torch, W_torch, b_torch, stride=stride, padding=pad)
    np.testing.assert_allclose(Z.data, nhwc(Z_torch), rtol=0, atol=ATOL)
    dZ = rs.randn(*Z.shape)
    Z.backward(dZ)
    Z_torch.backward(torch.tensor(np.ascontiguousarray(dZ.transpose(0, 3, 1, 2))))
    np.testing.assert_allclose(A_t.grad.data, nhwc(A_torch.grad), rtol=0, atol=ATOL)
    np.testing.assert_allclose(W_t.grad.data, W_torch.grad.numpy().transpose(2, 3, 1, 0), rtol=0, atol=ATOL)
    np.testing.assert_allclose(b_t.grad.data.reshape(-1), b_torch.grad.numpy(), rtol=0, atol=ATOL)


@settings(max_examples=30, deadline=None)
@given(f=st.integers(1, 3), stride=st.integers(1, 3), mode=st.sampled_from(["max", "average"]),
       m=st.integers(1, 3), n_C=st.integers(1, 3), H=st.integers(3, 7), W_=st.integers(3, 7),
       seed=st.integers(0, 2**16))
def test_pool2d_forward_and_gradient_match_torch(f, stride, mode, m, n_C, H, W_, seed):
    rs = np.random.RandomState(seed)
    A_prev = rs.randn(m, H, W_, n_C)
    A_t = Tensor(A_prev, requires_grad=True)
    A = pool2d(A_t, f, stride=stride, mode=mode)
    A_torch = nchw(A_prev)
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    out_torch = pool(A_torch, f, stride=stride)
    np.testing.assert_allclose(A.data, nhwc(out_torch), rtol=0, atol=ATOL)
    dA = rs.randn(*A.shape)
    A.backward(dA)
    out_torch.backward(torch.tensor(np.ascontiguousarray(dA.transpose(0, 3, 1, 2))))
    np.testing.assert_allclose(A_t.grad.data, nhwc(A_torch.grad), rtol=0, atol=ATOL)
