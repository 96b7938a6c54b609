"""Issue 23: to_torch / from_torch for convolutional networks, PyTorch's own forward and autograd the oracle.

The torch network is a plain torch.nn.Sequential of Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d/1d, Flatten,
Linear and the activations, taking NCHW images: ``net(X.transpose(0, 3, 1, 2))`` equals ``model(X).T`` for the
course's X (m, n_H, n_W, n_C). On random small CNNs (hypothesis) it agrees in eval mode to 1e-12 (float64); in
train mode (BatchNorm on batch statistics, no dropout) the output, dX, every parameter's gradient and the running
averages agree to 1e-10 (each relative to the array's largest entry where that is above 1: measured over 150
examples, 1.6e-12 relative, 1.2e-10 absolute on the largest gradients); and from_torch(to_torch(model)) gives back
the configuration and every array exactly.
The test maps torch's arrays to the course's with its own formulas: the filters (n_C, n_C_prev, f, f) ->
(f, f, n_C_prev, n_C), and the features after Flatten from torch's (n_C, n_H, n_W) order to the course's
(n_H, n_W, n_C).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nn
from nn.files.portable import portable_layers
from nn.files.torch_bridge import from_torch, save_torch_state_dict, to_torch
from nn.layers.activations import activation
from nn.layers.conv import output_size
from tinygrad_nb import Tensor

torch = pytest.importorskip("torch", reason="PyTorch is not installed: pip install torch")

EVAL_ATOL, TRAIN_ATOL = 1e-12, 1e-10


def assert_close(got, want, tol):
    """|got - want| <= tol, relative to the largest entry of ``want`` where that is above 1 (a gradient through a
    BatchNorm of a small batch variance can reach 1e3: its rounding grows with it)."""
    assert got.shape == want.shape
    scale = max(1.0, float(np.abs(want).max()))
    assert np.abs(got - want).max() <= tol * scale, (np.abs(got - want).max(), scale)


HIDDEN = st.sampled_from(["relu", "tanh", "sigmoid", "leaky_relu"])


@st.composite
def cnns(draw):
    """(model, image shape (n_H, n_W, n_C), output kind, seed): 1-2 conv blocks (Conv2D with random f, stride, pad;
    maybe a conv BatchNorm; an activation; maybe a max or average pool), Flatten, maybe a dense BatchNorm on the
    flattened features, maybe a hidden Linear (with a BatchNorm), a Linear head with sigmoid, softmax or identity.
    Each Conv2D and Linear has its index l, as from_torch numbers them (so the configurations compare)."""
    H, W, C = draw(st.integers(4, 9)), draw(st.integers(4, 9)), draw(st.integers(1, 3))
    layers: list = []
    size, channels, l = (H, W), C, 0
    for _ in range(draw(st.integers(1, 2))):
        f, stride = draw(st.integers(1, 3)), draw(st.integers(1, 2))
        pad = draw(st.sampled_from([0, 1, "same"]))
        if pad == "same" and (f % 2 == 0 or stride != 1):
            pad = 1
        p = (f - 1) // 2 if pad == "same" else pad
        if min(size) + 2 * p < f:
            f = 1
        n_C = draw(st.integers(1, 4))
        l += 1
        layers.append(nn.Conv2D(channels, n_C, f, stride=stride, pad=pad, index=l))
        size, channels = tuple(output_size(n, f, p, stride) for n in size), n_C
        if draw(st.booleans()):
            layers.append(nn.BatchNorm(n_C, layout="conv"))
        layers.append(activation(draw(HIDDEN)))
        pool = draw(st.sampled_from([None, nn.MaxPool2D, nn.AvgPool2D]))
        pf, ps = draw(st.integers(1, 2)), draw(st.integers(1, 2))
        if pool is not None and min(size) >= pf:
            layers.append(pool(pf, stride=ps))
            size = tuple(output_size(n, pf, 0, ps) for n in size)
    layers.append(nn.Flatten())
    n = size[0] * size[1] * channels
    if draw(st.booleans()):
        layers.append(nn.BatchNorm(n))  # its vectors are in the flattened order too
    if draw(st.booleans()):
        n_h = draw(st.integers(1, 5))
        l += 1
        layers += [nn.Linear(n, n_h, index=l), nn.BatchNorm(n_h), activation(draw(HIDDEN))]
        n = n_h
    output = draw(st.sampled_from(["sigmoid", "softmax", "identity"]))
    n_y = 1 if output == "sigmoid" else draw(st.integers(2, 4))
    layers += [nn.Linear(n, n_y, index=l + 1), activation(output)]
    model = nn.Sequential(*layers)
    seed = draw(st.integers(0, 2**16))
    randomise(model, seed)
    return model, (H, W, C), output, seed


def randomise(model, seed):
    """Parameters and running averages away from their initial values (a zero b or a unit variance would hide
    a mistake)."""
    rs = np.random.RandomState(seed)
    for name, p in model.named_parameters():
        p.data = p.data + 0.3 * rs.randn(*p.shape) + (1.0 if "gamma" in name else 0.0)
    for name, b in model.named_buffers():
        b[...] = rs.uniform(0.2, 2.0, b.shape) if "var" in name else 0.3 * rs.randn(*b.shape)


def nchw(X):
    return torch.from_numpy(np.ascontiguousarray(X.transpose(0, 3, 1, 2)))


def course_features(a, n_C):
    """The last axis of ``a`` from torch's order of flattened NCHW features (n_C, n_H n_W) to the course's
    (n_H n_W, n_C)."""
    return a.reshape(*a.shape[:-1], n_C, -1).swapaxes(-1, -2).reshape(a.shape)


def pairs(model, net):
    """(our layer, its torch layer, the channels n_C whose flattened order torch holds its input features in, or
    None), in order."""
    out, n_C, flattened = [], None, False
    for m, t in zip(portable_layers(model, "test"), net, strict=True):
        if isinstance(m, nn.Conv2D):
            n_C = m.n_C
        elif isinstance(m, nn.BatchNorm) and m.layout == "conv":
            n_C = m.n
        elif isinstance(m, nn.Flatten):
            flattened = True
        out.append((m, t, n_C if flattened else None))
        if isinstance(m, nn.Linear):
            flattened = False
    return out


def torch_arrays(m, t, n_C, grad):
    """{our name: torch's array (or its gradient) in the course's layout} for layer ``m`` and its torch twin ``t``."""
    def get(x):
        return (x.grad if grad else x).detach().numpy()

    def features(a):
        return a if n_C is None else course_features(a, n_C)

    if isinstance(m, nn.Conv2D):
        return {"W": get(t.weight).transpose(2, 3, 1, 0), "b": get(t.bias).reshape(1, 1, 1, -1)}
    if isinstance(m, nn.Linear):
        return {"W": features(get(t.weight)), "b": get(t.bias).reshape(-1, 1)}
    if isinstance(m, nn.BatchNorm):
        shape = m.gamma.shape
        got = {"gamma": features(get(t.weight)).reshape(shape), "beta": features(get(t.bias)).reshape(shape)}
        if not grad:
            got.update(running_mean=features(t.running_mean.numpy()).reshape(shape),
                       running_var=features(t.running_var.numpy()).reshape(shape))
        return got
    return {}


def ours(m, grad):
    if isinstance(m, (nn.Conv2D, nn.Linear)):
        return {"W": m.W.grad.data if grad else m.W.data, "b": m.b.grad.data if grad else m.b.data}
    if isinstance(m, nn.BatchNorm):
        got = {"gamma": m.gamma.grad.data if grad else m.gamma.data, "beta": m.beta.grad.data if grad else m.beta.data}
        if not grad:
            got.update(running_mean=m.running_mean, running_var=m.running_var)
        return got
    return {}


def largest_difference(model, net, grad):
    """The largest difference between torch's arrays (or gradients) and the model's, each relative to the largest
    entry of the model's array where that is above 1."""
    worst = 0.0
    for m, t, n_C in pairs(model, net):
        theirs = torch_arrays(m, t, n_C, grad)
        for name, here in ours(m, grad).items():
            assert theirs[name].shape == here.shape, (type(m).__name__, name)
            worst = max(worst, float(np.abs(theirs[name] - here).max()) / max(1.0, float(np.abs(here).max())))
    return worst


@settings(max_examples=40, deadline=None)
@given(case=cnns(), m=st.integers(2, 4))
def test_torch_agrees_on_a_random_cnn_in_eval_and_train_mode_and_the_round_trip_is_exact(case, m):
    model, (H, W, C), output, seed = case
    rs = np.random.RandomState(seed + 1)
    X = rs.randn(m, H, W, C)

    model.eval()
    net = to_torch(model)
    assert not net.training and all(p.dtype == torch.float64 for p in net.parameters())
    back = from_torch(net)  # before anything trains: the same configuration and arrays, exactly
    assert back.config() == model.config() and not back.training
    assert list(back.state_dict()) == list(model.state_dict())
    for name, value in model.state_dict().items():
        assert back.state_dict()[name].dtype == value.dtype
        np.testing.assert_array_equal(back.state_dict()[name], value, err_msg=name)
    assert largest_difference(model, net, grad=False) == 0.0  # torch's arrays are the model's, reordered exactly
    assert_close(net(nchw(X)).detach().numpy().T, model(X).data, EVAL_ATOL)

    model.train()  # batch statistics, running averages updated by both; there is no dropout
    net.train()
    Xh = Tensor(X, requires_grad=True)
    Xt = nchw(X).requires_grad_(True)
    A, At = model(Xh), net(Xt)
    assert_close(At.detach().numpy().T, A.data, TRAIN_ATOL)
    G = rs.randn(*A.shape)  # J = sum(A * G): any upstream gradient
    (A * G).sum().backward()
    (At * torch.from_numpy(G.T.copy())).sum().backward()
    assert_close(Xt.grad.numpy().transpose(0, 2, 3, 1), Xh.grad.data, TRAIN_ATOL)
    assert largest_difference(model, net, grad=True) <= TRAIN_ATOL
    assert largest_difference(model, net, grad=False) <= TRAIN_ATOL  # the running averages after one step


def a_cnn(dtype=np.float64):
    model = nn.Sequential(nn.Conv2D(3, 4, 3, pad="same", index=1), nn.BatchNorm(4, layout="conv"), nn.ReLU(),
                          nn.MaxPool2D(2), nn.Conv2D(4, 6, 2, stride=2, pad=1, index=2), nn.LeakyReLU(0.1),
                          nn.AvgPool2D(2, stride=1), nn.Flatten(), nn.BatchNorm(24), nn.Linear(24, 5, index=3),
                          nn.Tanh(), nn.Dropout(keep_prob=0.9), nn.Linear(5, 3, index=4), nn.Softmax(axis=0))
    randomise(model, 0)
    return model.astype(dtype)


def test_the_torch_network_is_plain_standard_layers_on_nchw_images():
    model = a_cnn()
    net = to_torch(model)
    assert type(net) is torch.nn.Sequential
    assert [type(t).__name__ for t in net] == ["Conv2d", "BatchNorm2d", "ReLU", "MaxPool2d", "Conv2d", "LeakyReLU",
                                               "AvgPool2d", "Flatten", "BatchNorm1d", "Linear", "Tanh", "Dropout",
                                               "Linear", "Softmax"]
    conv, bn, pool, conv2, avg = net[0], net[1], net[3], net[4], net[6]
    assert conv.weight.shape == (4, 3, 3, 3) and conv.padding == "same" and conv2.padding == (1, 1)
    assert conv2.stride == (2, 2) and (pool.kernel_size, pool.stride) == (2, 2)
    assert (avg.kernel_size, avg.stride) == (2, 1)
    assert bn.eps == model[1].eps and bn.momentum == model[1].momentum
    np.testing.assert_array_equal(conv.weight.detach().numpy(), model[0].W.data.transpose(3, 2, 0, 1))
    np.testing.assert_array_equal(bn.running_var.numpy(), model[1].running_var.ravel())
    X = np.random.RandomState(1).randn(2, 8, 8, 3)
    model.eval()
    net.eval()
    np.testing.assert_allclose(net(nchw(X)).detach().numpy().T, model(X).data, rtol=0, atol=EVAL_ATOL)


@pytest.mark.parametrize("dtype, atol", [(np.float32, 1e-5), (np.float64, EVAL_ATOL)])
def test_the_dtype_is_kept_both_ways(dtype, atol):
    model = a_cnn(dtype).eval()
    net = to_torch(model)
    assert {p.dtype for p in net.parameters()} | {b.dtype for b in net.buffers() if b.is_floating_point()} == {
        torch.float32 if dtype == np.float32 else torch.float64}
    assert all(v.dtype == dtype for v in from_torch(net).state_dict().values())
    X = np.random.RandomState(2).randn(3, 8, 8, 3).astype(dtype)
    np.testing.assert_allclose(net(nchw(X)).detach().numpy().T, model(X).data, rtol=0, atol=atol)


def test_from_torch_takes_a_hand_built_torch_cnn_and_reorders_the_linear_after_flatten():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(2, 3, 3, padding=1), torch.nn.BatchNorm2d(3, momentum=0.2), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2), torch.nn.Sequential(torch.nn.Conv2d(3, 4, (2, 2), stride=(1, 1), padding="valid"),
                                                   torch.nn.Sigmoid(), torch.nn.AvgPool2d((2, 2), stride=1)),
        torch.nn.Flatten(), torch.nn.Linear(16, 5), torch.nn.BatchNorm1d(5), torch.nn.Tanh(), torch.nn.Linear(5, 2),
        torch.nn.Softmax(dim=1)).double()
    with torch.no_grad():  # running averages that are not the initial ones
        for t in net.modules():
            if isinstance(t, torch.nn.modules.batchnorm._BatchNorm):
                t.running_mean.uniform_(-0.5, 0.5)
                t.running_var.uniform_(0.5, 2.0)
    net.eval()
    model = from_torch(net)
    assert [type(m).__name__ for m in model.layers] == ["Conv2D", "BatchNorm", "ReLU", "MaxPool2D", "Conv2D",
                                                        "Sigmoid", "AvgPool2D", "Flatten", "Linear", "BatchNorm",
                                                        "Tanh", "Linear", "Softmax"]
    assert model[1].momentum == 0.2 and model[1].layout == "conv" and model[9].layout == "dense"
    assert (model[4].pad, model[6].f, model[6].stride) == (0, 2, 1) and not model.training
    assert model[8].W.data.shape == (5, 16)
    np.testing.assert_array_equal(model[8].W.data, course_features(net[6].weight.detach().numpy(), 4))
    X = np.random.RandomState(3).randn(4, 8, 8, 2)
    np.testing.assert_allclose(model(X).data, net(nchw(X)).detach().numpy().T, rtol=0, atol=EVAL_ATOL)


def test_a_network_of_conv_layers_only_outputs_nchw_images():
    model = nn.Sequential(nn.Conv2D(2, 3, 3, pad=1, index=1), nn.BatchNorm(3, layout="conv"), nn.Tanh(),
                          nn.MaxPool2D(2)).eval()
    randomise(model, 4)
    X = np.random.RandomState(4).randn(2, 6, 6, 2)
    out = to_torch(model)(nchw(X)).detach().numpy()
    np.testing.assert_allclose(out.transpose(0, 2, 3, 1), model(X).data, rtol=0, atol=EVAL_ATOL)


def test_a_flatten_with_no_image_layer_before_it_flattens_the_input_as_it_comes():
    model = nn.Sequential(nn.Flatten(), nn.Linear(12, 2, index=1), nn.Softmax(axis=0)).eval()
    X = np.random.RandomState(5).randn(3, 2, 2, 3)
    net = to_torch(model)
    assert [type(t).__name__ for t in net] == ["Flatten", "Linear", "Softmax"]
    np.testing.assert_array_equal(net[1].weight.detach().numpy(), model[1].W.data)  # nothing to reorder
    np.testing.assert_allclose(net(torch.from_numpy(X)).detach().numpy().T, model(X).data, rtol=0, atol=EVAL_ATOL)
    assert from_torch(net).config() == model.config()


def test_one_channel_or_one_position_needs_no_reordering():
    model = nn.Sequential(nn.Conv2D(2, 1, 3, index=1), nn.ReLU(), nn.Flatten(), nn.Linear(9, 1, index=2),
                          nn.Sigmoid()).eval()
    net = to_torch(model)
    np.testing.assert_array_equal(net[3].weight.detach().numpy(), model[3].W.data)
    model = nn.Sequential(nn.Conv2D(2, 4, 3, index=1), nn.MaxPool2D(3), nn.Flatten(), nn.Linear(4, 1, index=2))
    np.testing.assert_array_equal(to_torch(model)[3].weight.detach().numpy(), model[3].W.data)


def test_the_saved_state_dict_of_a_cnn_loads_into_the_same_torch_layers(tmp_path):
    model = a_cnn()
    state = torch.load(save_torch_state_dict(model, tmp_path / "cnn.pt"), weights_only=True)
    fresh = to_torch(a_cnn().astype(np.float64))
    for t in fresh.parameters():
        torch.nn.init.zeros_(t)
    fresh.load_state_dict(state)  # strict: torch's own keys and shapes, running averages included
    assert "1.running_var" in state and "8.running_mean" in state
    X = np.random.RandomState(6).randn(2, 8, 8, 3)
    model.eval()
    fresh.eval()
    np.testing.assert_allclose(fresh(nchw(X)).detach().numpy().T, model(X).data, rtol=0, atol=EVAL_ATOL)


@pytest.mark.parametrize("make, message", [
    (lambda t: t.nn.Conv2d(2, 2, 3, groups=2), r"layer 0 \(Conv2d\) has groups=2"),
    (lambda t: t.nn.Conv2d(2, 2, 3, dilation=2), r"layer 0 \(Conv2d\) has dilation=\(2, 2\)"),
    (lambda t: t.nn.Conv2d(2, 2, 3, padding=1, padding_mode="reflect"), "padding_mode='reflect'"),
    (lambda t: t.nn.Conv2d(2, 2, 3, padding=(1, 0)), r"padding=\(1, 0\); the course's are square"),
    (lambda t: t.nn.Conv2d(2, 2, (3, 2)), r"kernel_size=\(3, 2\)"),
    (lambda t: t.nn.Conv2d(2, 2, 3, stride=(1, 2)), r"stride=\(1, 2\)"),
    (lambda t: t.nn.Conv2d(2, 2, 2, padding="same"), "padding='same' with an even kernel_size=2"),
    (lambda t: t.nn.Conv2d(2, 2, 3, bias=False), r"layer 0 \(Conv2d\) has no bias"),
    (lambda t: t.nn.MaxPool2d(2, padding=1), r"layer 0 \(MaxPool2d\) has padding=1"),
    (lambda t: t.nn.MaxPool2d(2, dilation=2), "has dilation=2"),
    (lambda t: t.nn.MaxPool2d(2, ceil_mode=True), "has ceil_mode=True"),
    (lambda t: t.nn.MaxPool2d(2, return_indices=True), "has return_indices=True"),
    (lambda t: t.nn.AvgPool2d(2, padding=1), r"layer 0 \(AvgPool2d\) has padding=1"),
    (lambda t: t.nn.AvgPool2d(2, divisor_override=3), "has divisor_override=3"),
    (lambda t: t.nn.BatchNorm2d(2, affine=False), r"layer 0 \(BatchNorm2d\) has affine=False"),
    (lambda t: t.nn.BatchNorm2d(2, track_running_stats=False), "has track_running_stats=False"),
    (lambda t: t.nn.BatchNorm2d(2, momentum=None), r"has momentum=None \(a cumulative average\)"),
    (lambda t: t.nn.BatchNorm2d(2, momentum=1.5), r"layer 0 \(BatchNorm2d\): "),
])
def test_from_torch_refuses_what_the_course_layers_cannot_represent(make, message):
    net = torch.nn.Sequential(make(torch), torch.nn.Flatten(), torch.nn.Linear(8, 1)).double()
    with pytest.raises(ValueError, match=message):
        from_torch(net)


@pytest.mark.parametrize("make, message", [
    (lambda t: [t.nn.Conv2d(1, 2, 3), t.nn.Flatten(0)], r"layer 1 \(Flatten\) flattens dims 0\.\.-1"),
    (lambda t: [t.nn.Conv2d(1, 2, 3), t.nn.BatchNorm1d(2)], r"layer 1 \(BatchNorm1d\) runs on images"),
    (lambda t: [t.nn.Conv2d(1, 2, 3), t.nn.Softmax(dim=1)], r"layer 1 \(Softmax\) runs on images"),
    (lambda t: [t.nn.Conv2d(1, 2, 3), t.nn.Flatten(), t.nn.BatchNorm2d(2)], r"layer 2 \(BatchNorm2d\) takes images"),
    (lambda t: [t.nn.Conv2d(1, 2, 3), t.nn.Flatten(), t.nn.Linear(9, 1)], r"layer 2 \(Linear\) takes 9 features"),
    (lambda t: [t.nn.Conv2d(1, 2, 3), t.nn.Flatten()], r"reach the output with no Linear after them"),
    (lambda t: [t.nn.Conv2d(1, 2, 3), t.nn.BatchNorm2d(3)], r"do not chain: layer 1 \(BatchNorm2d\) normalises n = 3"),
])
def test_from_torch_refuses_layers_in_the_wrong_place(make, message):
    with pytest.raises(ValueError, match=message):
        from_torch(torch.nn.Sequential(*make(torch)).double())


def test_to_torch_refuses_what_torch_would_flatten_in_another_order():
    with pytest.raises(ValueError, match=r"to_torch: the images layer 2 \(Flatten\) flattens reach the output"):
        to_torch(nn.Sequential(nn.Conv2D(1, 2, 3), nn.ReLU(), nn.Flatten()))
    with pytest.raises(ValueError, match=r"channels of the images layer 1 \(Flatten\) flattens are not known"):
        to_torch(nn.Sequential(nn.MaxPool2D(2), nn.Flatten(), nn.Linear(8, 1)))
    shared = nn.Linear(8, 8)
    with pytest.raises(ValueError, match=r"layer 2 \(Linear\) takes the flattened images and is used more than once"):
        to_torch(nn.Sequential(nn.Conv2D(1, 2, 3), nn.Flatten(), shared, nn.ReLU(), shared))
    with pytest.raises(ValueError, match=r"to_torch: layer 2 \(Softmax\) runs on images"):
        to_torch(nn.Sequential(nn.Conv2D(1, 2, 3), nn.ReLU(), nn.Softmax(), nn.Flatten(), nn.Linear(8, 1)))
