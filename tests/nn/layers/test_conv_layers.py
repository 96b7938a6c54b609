"""Issue 23: nn.Conv2D, nn.MaxPool2D, nn.AvgPool2D in course 4's layout, numbered with the Linear layers."""

from __future__ import annotations

import numpy as np
import pytest

import nn
import tinygrad_nb
from tinygrad_nb import Tensor
from tinygrad_nb.testing import assert_gradients_match

RNG = np.random.RandomState(0)
X = RNG.rand(4, 8, 8, 3)  # 4 images of 8 x 8 x 3, the examples first


def cnn(n_in=4 * 4 * 4, rng=0):
    """The tiny CNN of the issue: CONV -> RELU -> MAXPOOL -> FLATTEN -> LINEAR -> SIGMOID."""
    return nn.Sequential(nn.Conv2D(3, 4, 3, pad="same", rng=rng), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(),
                         nn.Linear(n_in, 1, rng=rng + 1), nn.Sigmoid())


# ----- the forward pass is the engine's op ------------------------------------------------------

@pytest.mark.parametrize("f, stride, pad", [(3, 1, 0), (3, 1, "same"), (2, 2, 0), (3, 2, 1), (1, 1, 0), (5, 1, 2)])
def test_conv2d_forward_is_tinygrad_nb_conv2d_with_the_layers_W_and_b(f, stride, pad):
    layer = nn.Conv2D(3, 5, f, stride=stride, pad=pad, rng=1)
    layer.b.data = RNG.randn(1, 1, 1, 5)
    p = (f - 1) // 2 if pad == "same" else pad
    expected = tinygrad_nb.conv2d(Tensor(X), layer.W, layer.b, stride=stride, pad=p)
    out = layer(X)
    np.testing.assert_array_equal(out.data, expected.data)
    n_H = (8 - f + 2 * p) // stride + 1  # the course's formula
    assert out.shape == (4, n_H, n_H, 5)
    if pad == "same":
        assert out.shape[1:3] == (8, 8)


@pytest.mark.parametrize("cls, mode", [(nn.MaxPool2D, "max"), (nn.AvgPool2D, "average")])
@pytest.mark.parametrize("f, stride", [(2, None), (3, 1), (2, 3)])
def test_pool_layers_are_tinygrad_nb_pool2d(cls, mode, f, stride):
    out = cls(f, stride=stride)(X)
    np.testing.assert_array_equal(out.data, tinygrad_nb.pool2d(Tensor(X), f, stride, mode).data)
    s = f if stride is None else stride
    assert out.shape == (4, (8 - f) // s + 1, (8 - f) // s + 1, 3)
    assert cls(f, stride).count_parameters() == 0 and cls(f).stride == f


def test_conv2d_initialisers_use_fan_in_f_f_n_C_prev():
    f, C, n_C = 3, 3, 8
    fan_in = f * f * C
    course = np.random.RandomState(1).randn(f, f, C, n_C)  # the course's draw for W (f, f, n_C_prev, n_C)
    np.testing.assert_array_equal(nn.Conv2D(C, n_C, f, rng=1).W.data, course * np.sqrt(2.0 / fan_in))  # he
    np.testing.assert_array_equal(nn.Conv2D(C, n_C, f, init=nn.init.he, rng=1).W.data, course * np.sqrt(2 / fan_in))
    np.testing.assert_array_equal(nn.Conv2D(C, n_C, f, init="deep", rng=1).W.data, course / np.sqrt(fan_in))
    np.testing.assert_allclose(nn.Conv2D(C, n_C, f, init="xavier", rng=1).W.data,
                               course * np.sqrt(2.0 / (fan_in + f * f * n_C)))
    assert not nn.Conv2D(C, n_C, f, init="zeros").W.data.any()
    layer = nn.Conv2D(C, n_C, f, init=lambda shape, rng: np.ones(shape))
    assert layer.W.shape == (3, 3, 3, 8) and layer.W.data.sum() == 3 * 3 * 3 * 8
    assert layer.b.shape == (1, 1, 1, 8) and not layer.b.data.any()
    with pytest.raises(ValueError, match=r"initialiser returned shape \(2, 2\), expected \(f, f, n_C_prev, n_C\)"):
        nn.Conv2D(C, n_C, f, init=lambda shape, rng: np.ones((2, 2)))
    with pytest.raises(ValueError, match="unknown initialiser 'bogus'"):
        nn.Conv2D(C, n_C, f, init="bogus")


def test_pad_same_needs_stride_1_and_an_odd_f():
    assert nn.Conv2D(3, 2, 5, pad="same").pad == 2
    with pytest.raises(ValueError, match=r"pad='same' .* stride 1 and an odd f.*got f=4, stride=1"):
        nn.Conv2D(3, 2, 4, pad="same")
    with pytest.raises(ValueError, match=r"pad='same' .*got f=3, stride=2"):
        nn.Conv2D(3, 2, 3, stride=2, pad="same")
    with pytest.raises(ValueError, match=r"pad must be an int >= 0 or 'same', got 'valid'"):
        nn.Conv2D(3, 2, 3, pad="valid")
    with pytest.raises(ValueError, match="Conv2D: pad"):
        nn.Conv2D(3, 2, 3, pad=-1)
    with pytest.raises(ValueError, match="Conv2D: f must be a positive int"):
        nn.Conv2D(3, 2, 0)
    with pytest.raises(ValueError, match="MaxPool2D: stride must be a positive int"):
        nn.MaxPool2D(2, stride=0)


# ----- names and numbers ---------------------------------------------------------------------

def test_a_sequential_numbers_conv2d_and_linear_layers_together():
    model = cnn()
    state = model.state_dict()
    assert list(state) == ["W1", "b1", "W2", "b2"]
    assert state["W1"].shape == (3, 3, 3, 4) and state["b1"].shape == (1, 1, 1, 4)  # the filters
    assert state["W2"].shape == (1, 64) and state["b2"].shape == (1, 1)              # the dense layer
    deeper = nn.Sequential(nn.Conv2D(3, 4, 3, rng=0), nn.ReLU(), nn.Conv2D(4, 6, 3, rng=1), nn.ReLU(),
                           nn.AvgPool2D(2), nn.Flatten(), nn.Linear(24, 3, rng=2), nn.ReLU(), nn.Linear(3, 1, rng=3))
    assert [(k, v.shape) for k, v in deeper.state_dict().items()] == [
        ("W1", (3, 3, 3, 4)), ("b1", (1, 1, 1, 4)), ("W2", (3, 3, 4, 6)), ("b2", (1, 1, 1, 6)),
        ("W3", (3, 24)), ("b3", (3, 1)), ("W4", (1, 3)), ("b4", (1, 1))]
    assert deeper.layer_dims == [24, 3, 1]  # the dense layers': n[L] is the output units
    assert deeper.linears() == [deeper[6], deeper[8]]
    assert deeper.numbering() == {id(deeper[0]): 1, id(deeper[2]): 2, id(deeper[6]): 3, id(deeper[8]): 4}


def test_outputs_are_named_Z_A_P_as_the_course_and_parameters_alone_by_index():
    head = nn.Sequential(nn.Conv2D(3, 4, 3, rng=0), nn.ReLU(), nn.MaxPool2D(2))
    P = head(X)
    assert P.name == "P1"
    assert nn.Sequential(nn.Conv2D(3, 4, 3, rng=0), nn.ReLU())(X).name == "A1"
    assert nn.Sequential(nn.Conv2D(3, 4, 3, rng=0))(X).name == "Z1"
    assert cnn()(X).name == "A2"
    alone = nn.Conv2D(3, 4, 3, rng=0)
    assert sorted(alone.state_dict()) == ["W", "b"] and alone(X).name == "Z"
    third = nn.Conv2D(3, 4, 3, rng=0, index=3)
    assert sorted(third.state_dict()) == ["W3", "b3"] and third(X).name == "Z3"
    assert nn.MaxPool2D(2)(X).name == "P"


def test_count_repr_and_config():
    layer = nn.Conv2D(3, 8, 5, stride=2, pad=1, rng=0)
    assert layer.count_parameters() == 5 * 5 * 3 * 8 + 8  # f f n_C_prev n_C weights and n_C biases
    assert repr(layer) == ("Conv2D(n_C_prev=3, n_C=8, f=5, stride=2, pad=1: W (5, 5, 3, 8), b (1, 1, 1, 8), "
                           "params=608)")
    assert layer.config() == {"type": "Conv2D", "n_C_prev": 3, "n_C": 8, "f": 5, "stride": 2, "pad": 1}
    assert nn.Conv2D(3, 8, 3, pad="same", index=2).config()["pad"] == "same"
    assert nn.Conv2D(3, 8, 3, index=2).config()["index"] == 2
    assert nn.MaxPool2D(2).config() == {"type": "MaxPool2D", "f": 2, "stride": 2}
    assert nn.AvgPool2D(3, stride=1).config() == {"type": "AvgPool2D", "f": 3, "stride": 1}
    assert repr(nn.MaxPool2D(2)) == "MaxPool2D(f=2, stride=2)"
    text = repr(cnn())
    assert "(0): Conv2D(n_C_prev=3, n_C=4, f=3, stride=1, pad='same': W1 (3, 3, 3, 4)" in text
    assert "(4): Linear(n_in=64, n_out=1: W2 (1, 64), b2 (1, 1), params=65)" in text


# ----- gradients -----------------------------------------------------------------------------

def test_gradients_of_a_tiny_cnn_match_finite_differences():
    rng = np.random.RandomState(3)
    X = rng.rand(3, 5, 5, 2)
    Y = np.array([[0.0, 1.0, 1.0]])
    model = nn.Sequential(nn.Conv2D(2, 3, 3, pad=1, rng=0), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(),
                          nn.Linear(12, 1, rng=1), nn.Sigmoid())
    model[0].b.data = rng.randn(1, 1, 1, 3) * 0.1
    assert_gradients_match(lambda *params: nn.binary_cross_entropy(model(X), Y), *model.parameters())
    x = Tensor(X, requires_grad=True)  # and the gradient reaches the images (dA_prev through every layer)
    avg = nn.Sequential(nn.Conv2D(2, 2, 2, rng=2), nn.Tanh(), nn.AvgPool2D(2), nn.Flatten(), nn.Linear(8, 1, rng=3),
                        nn.Sigmoid())
    assert_gradients_match(lambda x: nn.binary_cross_entropy(avg(x), Y), x)


# ----- summary ---------------------------------------------------------------------------------

def test_summary_shows_the_filters_and_the_output_shapes():
    model = cnn()
    assert model.summary().splitlines() == [
        "Sequential",
        "layer  module                   parameters                        count  output",
        "1      Conv2D f=3, s=1, p=same  W1 (3, 3, 3, 4), b1 (1, 1, 1, 4)    112  Z1 (m, ?, ?, 4)",
        "       ReLU                                                              A1 (m, ?, ?, 4)",
        "       MaxPool2D f=2, s=2                                                P1 (m, ?, ?, 4)",
        "       Flatten                                                           P1",
        "2      Linear                   W2 (1, 64), b2 (1, 1)                65  Z2 (1, m)",
        "       Sigmoid                                                           A2 (1, m)",
        "total: 177 parameters (W: 172, b: 5)",
    ]
    sized = model.summary(input_shape=X.shape)
    assert "Z1 (m, 8, 8, 4)" in sized and "P1 (m, 4, 4, 4)" in sized and "P1 (64, m)" in sized
    assert nn.summary(model, input_shape=(8, 8, 3)) == sized  # one image's shape works too
    with pytest.raises(ValueError, match=r"Linear 2 expects n\[1\] = 64 inputs, but Flatten gives n_H n_W n_C = "
                                         r"5 x 5 x 4 = 100"):
        model.summary(input_shape=(10, 10, 3))
    with pytest.raises(TypeError, match="input_shape is for an nn.Sequential"):
        nn.summary(nn.Conv2D(3, 4, 3), input_shape=(8, 8, 3))
    alone = nn.Conv2D(3, 4, 3, index=1).summary()
    assert "1      Conv2D f=3, s=1, p=0  W1 (3, 3, 3, 4), b1 (1, 1, 1, 4)    112  Z1 (m, ?, ?, 4)" in alone


# ----- errors in course notation ----------------------------------------------------------------

def test_an_input_with_other_channels_is_refused_naming_the_layer_and_W():
    model = cnn()
    with pytest.raises(ValueError, match=r"^Conv2D 1: X \(m, n_H_prev, n_W_prev, n_C_prev\) = \(4, 8, 8, 4\) has "
                                         r"n_C_prev = 4 but W1 \(3, 3, 3, 4\) expects n_C_prev = 3$"):
        model(np.ones((4, 8, 8, 4)))
    with pytest.raises(ValueError, match=r"channels last.*\(m, n_C, n_H, n_W\), PyTorch's layout; did you mean "
                                         r"X\.transpose\(0, 2, 3, 1\)\?"):
        model(X.transpose(0, 3, 1, 2))  # (m, n_C, n_H, n_W)
    second = nn.Sequential(nn.Conv2D(3, 4, 3, rng=0), nn.ReLU(), nn.Conv2D(4, 2, 3, rng=1))
    assert second(X).shape == (4, 4, 4, 2)  # the chain fits: Conv2D 2 takes Conv2D 1's n_C = 4 channels
    with pytest.raises(ValueError, match=r"Conv2D 2: A1 .* has n_C_prev = 5 but W2 \(3, 3, 4, 2\) expects "
                                         r"n_C_prev = 4"):
        second[2].apply_as(Tensor(np.ones((1, 6, 6, 5)), name="A1"), 2)


def test_inputs_that_are_not_images_or_too_small_are_refused():
    with pytest.raises(ValueError, match=r"Conv2D 1: expects X of shape \(m, n_H_prev, n_W_prev, n_C_prev\) "
                                         r"\(images, channels last\), got \(192, 4\).*dense activation"):
        cnn()(X.reshape(4, -1).T)
    with pytest.raises(ValueError, match=r"Conv2D: a 5x5 filter with pad=0, stride=1 does not fit X \(2, 3, 3, 3\): "
                                         r"n_H = floor\(\(3 - 5 \+ 2\*0\) / 1\) \+ 1 = -1"):
        nn.Conv2D(3, 1, 5)(np.ones((2, 3, 3, 3)))
    with pytest.raises(ValueError, match=r"MaxPool2D: a 4x4 window with stride=4 does not fit X \(2, 3, 3, 3\)"):
        nn.MaxPool2D(4)(np.ones((2, 3, 3, 3)))


def test_layers_that_do_not_chain_are_refused_when_the_network_is_built():
    with pytest.raises(ValueError, match=r"Linear 2 follows Conv2D 1, whose output is images .*put nn\.Flatten\(\) "
                                         r"before it"):
        nn.Sequential(nn.Conv2D(3, 4, 3), nn.ReLU(), nn.Linear(10, 1))
    with pytest.raises(ValueError, match=r"Linear 2 follows MaxPool2D 1"):
        nn.Sequential(nn.Conv2D(3, 4, 3), nn.MaxPool2D(2), nn.Linear(10, 1))
    with pytest.raises(ValueError, match=r"Conv2D 1 gives n_C = 4 channels but Conv2D 2 expects n_C_prev = 5"):
        nn.Sequential(nn.Conv2D(3, 4, 3), nn.ReLU(), nn.MaxPool2D(2), nn.Conv2D(5, 2, 3))
    with pytest.raises(ValueError, match=r"Conv2D 2 takes images \(m, n_H_prev, n_W_prev, n_C_prev\) but follows "
                                         r"Linear 1, whose output is \(n, m\)"):
        nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Conv2D(4, 2, 3))
    with pytest.raises(ValueError, match=r"MaxPool2D 1 takes images .* but follows Flatten"):
        nn.Sequential(nn.Conv2D(3, 4, 3), nn.Flatten(), nn.MaxPool2D(2))
    model = cnn()
    with pytest.raises(ValueError):
        model[4] = nn.Conv2D(4, 1, 1)  # replacing a layer checks the chain again ...
    assert isinstance(model[4], nn.Linear)  # ... and keeps the network as it was


def test_a_linear_after_flatten_that_does_not_fit_is_refused_at_forward_naming_it():
    model = cnn(n_in=10)  # the images give 4 x 4 x 4 = 64
    with pytest.raises(ValueError, match=r"^Linear 2 expects n\[1\] = 10 inputs, but Flatten gives n_H n_W n_C = "
                                         r"4 x 4 x 4 = 64 per example from images \(4, 4, 4, 4\); build it as "
                                         r"Linear\(64, 1\)"):
        model(X)
    with pytest.raises(ValueError, match=r"Linear 2 expects n\[1\] = 10 inputs"):
        model.trace_shapes(X.shape)
    assert [shape for _, shape in cnn().trace_shapes(X.shape)] == [
        (4, 8, 8, 4), (4, 8, 8, 4), (4, 4, 4, 4), (64, 4), (1, 4), (1, 4)]
