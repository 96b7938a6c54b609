"""Every layer that allocates refuses an impossible size before allocating, with one message style (issue 25's class).

Linear, Conv2D, BatchNorm, Embedding, the recurrent layers and MLP (all its layers together) name the layer as
called, its arrays in course notation, the parameters, the bytes (the exact count, then decimal units, as the
engine's factories write them) and the machine's memory. The limit is patched low to test the boundary cheaply;
the byte counts are the course's shape formulas, and at the boundary they equal the bytes the built layer holds.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import nn
from nn.layers import sizes
from nn.layers.embedding import Embedding
from nn.layers.recurrent import LSTM, RNN, LSTMCell, RNNCell
from tinygrad_nb import factories

RECURRENT = [RNNCell, RNN, LSTMCell, LSTM]


def rnn_parameters(n_x, n_a, n_y):
    """Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), ba (n_a, 1), by (n_y, 1)."""
    return n_a * n_x + n_a * n_a + n_y * n_a + n_a + n_y


def lstm_parameters(n_x, n_a, n_y):
    """Wf, Wi, Wc, Wo (n_a, n_a + n_x), bf, bi, bc, bo (n_a, 1), Wy (n_y, n_a), by (n_y, 1)."""
    return 4 * (n_a * (n_a + n_x) + n_a) + n_y * n_a + n_y


# (the layer, float64 entries it holds by the course's shapes): parameters, plus BatchNorm's two running buffers
LAYERS = {
    "Linear(3, 4)": (lambda: nn.Linear(3, 4), 4 * 3 + 4),
    "Conv2D(2, 3, 2)": (lambda: nn.Conv2D(2, 3, 2), 2 * 2 * 2 * 3 + 3),
    "BatchNorm(5)": (lambda: nn.BatchNorm(5), 4 * 5),
    "BatchNorm(5, conv)": (lambda: nn.BatchNorm(5, layout="conv"), 4 * 5),
    "Embedding(7, 3)": (lambda: Embedding(7, 3), 3 * 7),
    "RNNCell(3, 4, 2)": (lambda: RNNCell(3, 4, 2), rnn_parameters(3, 4, 2)),
    "RNN(3, 4, 2)": (lambda: RNN(3, 4, 2), rnn_parameters(3, 4, 2)),
    "LSTMCell(3, 4, 2)": (lambda: LSTMCell(3, 4, 2), lstm_parameters(3, 4, 2)),
    "LSTM(3, 4, 2)": (lambda: LSTM(3, 4, 2), lstm_parameters(3, 4, 2)),
    "MLP([3, 4, 2])": (lambda: nn.MLP([3, 4, 2]), (4 * 3 + 4) + (2 * 4 + 2)),
}


def held_bytes(layer):
    """The bytes of the arrays the built layer holds: its parameters and buffers."""
    return sum(p.data.nbytes for p in layer.parameters()) + sum(a.nbytes for a in layer._buffers.values())


@pytest.mark.parametrize("name", LAYERS)
def test_each_layer_builds_at_the_limit_and_is_refused_one_byte_below(name, monkeypatch):
    build, entries = LAYERS[name]
    monkeypatch.setattr(sizes, "physical_memory", lambda: 8 * entries)
    layer = build()
    assert held_bytes(layer) == 8 * entries  # the footprint counted is what the layer holds
    monkeypatch.setattr(sizes, "physical_memory", lambda: 8 * entries - 1)
    with pytest.raises(ValueError, match=re.escape(f" {8 * entries:,} bytes as float64, more than this machine's "
                                                   f"memory ({8 * entries - 1} bytes): ") + ".*make "):
        build()


@pytest.mark.parametrize("name", LAYERS)
def test_an_os_that_does_not_say_its_memory_refuses_nothing(name, monkeypatch):
    monkeypatch.setattr(sizes, "physical_memory", lambda: None)
    assert held_bytes(LAYERS[name][0]()) == 8 * LAYERS[name][1]


@pytest.fixture
def machine(monkeypatch):
    """A 64 GiB machine, whatever runs the test: its memory reads 68.7 GB."""
    monkeypatch.setattr(sizes, "physical_memory", lambda: 64 * 2**30)


def refusal(build):
    with pytest.raises(ValueError) as info:
        build()
    return str(info.value)


def test_conv2d_names_its_filter_bank(machine):
    count = 3 * 3 * 10**5 * 10**5 + 10**5
    assert refusal(lambda: nn.Conv2D(10**5, 10**5, 3)) == (
        f"Conv2D(100000, 100000, 3): W (f, f, n_C_prev, n_C) = (3, 3, 100000, 100000) and b (1, 1, 1, n_C) = "
        f"(1, 1, 1, 100000) have {count:,} parameters, {8 * count:,} bytes (720.0 GB) as float64, more than this "
        "machine's memory (68.7 GB): make n_C_prev, n_C or f smaller")
    assert "W[2] (f, f, n_C_prev, n_C) = (3, 3, 100000, 100000) and b[2] (1, 1, 1, n_C)" in refusal(
        lambda: nn.Conv2D(10**5, 10**5, 3, index=2))


def test_embedding_names_its_matrix(machine):
    assert refusal(lambda: Embedding(10**7, 10**6)) == (
        f"Embedding(10000000, 1000000): the embedding matrix E (n_e, n_vocab) = (1000000, 10000000) has "
        f"{10**13:,} parameters, {8 * 10**13:,} bytes (80.0 TB) as float64, more than this machine's memory "
        "(68.7 GB): make n_vocab or n_e smaller")


def test_batchnorm_counts_its_running_averages_too(machine):
    n = 10**12
    assert refusal(lambda: nn.BatchNorm(n)) == (
        f"BatchNorm({n}): gamma (n, 1) = ({n}, 1) and beta (n, 1) = ({n}, 1) have {2 * n:,} parameters, and the "
        f"buffers running_mean and running_var hold {2 * n:,} more: {32 * n:,} bytes (32.0 TB) as float64, more "
        "than this machine's memory (68.7 GB): make n smaller")
    assert refusal(lambda: nn.BatchNorm(n, layout="conv")).startswith(
        f"BatchNorm({n}, layout='conv'): gamma (1, 1, 1, n_C) = (1, 1, 1, {n}) and beta (1, 1, 1, n_C)")


def test_rnn_and_lstm_name_their_weights(machine):
    n = 10**5
    assert refusal(lambda: RNN(n, n, 10)) == (
        f"RNN({n}, {n}, 10): Wax (n_a, n_x) = ({n}, {n}), Waa (n_a, n_a) = ({n}, {n}), Wya (n_y, n_a) = (10, {n}), "
        f"ba (n_a, 1) = ({n}, 1) and by (n_y, 1) = (10, 1) have {rnn_parameters(n, n, 10):,} parameters, "
        f"{8 * rnn_parameters(n, n, 10):,} bytes (160.0 GB) as float64, more than this machine's memory (68.7 GB): "
        "make n_x, n_a or n_y smaller")
    assert refusal(lambda: LSTMCell(n, n, 10)) == (
        f"LSTMCell({n}, {n}, 10): Wf, Wi, Wc, Wo (n_a, n_a + n_x) = ({n}, {2 * n}) each, bf, bi, bc, bo (n_a, 1) = "
        f"({n}, 1) each, Wy (n_y, n_a) = (10, {n}) and by (n_y, 1) = (10, 1) have {lstm_parameters(n, n, 10):,} "
        f"parameters, {8 * lstm_parameters(n, n, 10):,} bytes (640.0 GB) as float64, more than this machine's "
        "memory (68.7 GB): make n_x, n_a or n_y smaller")


def never_called(shape, rng):
    raise AssertionError(f"an initialiser ran for {shape}: the size should have been refused first")


@pytest.mark.parametrize("build", [
    lambda: nn.Linear(10**7, 10**7, init=never_called),
    lambda: nn.Conv2D(10**5, 10**5, 3, init=never_called),
    lambda: Embedding(10**7, 10**7, init=never_called),
    lambda: RNN(10**7, 10**7, 10, init=never_called),
    lambda: LSTM(10**7, 10**7, 10, init=never_called),
    lambda: nn.MLP([10, 10**7, 10**7, 1], init=never_called),
    lambda: nn.BatchNorm(10**15),  # ones((10**15, 1)) would be a MemoryError, not this ValueError
], ids=["Linear", "Conv2D", "Embedding", "RNN", "LSTM", "MLP", "BatchNorm"])
def test_the_refusal_comes_before_anything_is_drawn(build, machine):
    with pytest.raises(ValueError, match="more than this machine's memory"):
        build()


def test_an_mlp_whose_layers_fit_one_by_one_but_not_together_is_refused_before_building(monkeypatch):
    dims = [10, 20, 20, 20, 1]
    per_layer = [dims[l] * dims[l - 1] + dims[l] for l in range(1, len(dims))]  # 220, 420, 420, 21
    total = sum(per_layer)
    monkeypatch.setattr(sizes, "physical_memory", lambda: 8 * max(per_layer) * 2)  # any one layer fits, not all
    nn.Linear(20, 20)
    with pytest.raises(ValueError) as info:
        nn.MLP(dims, init=never_called)
    assert str(info.value) == (
        f"MLP({dims}): W[1] .. W[4] and b[1] .. b[4] have {total:,} parameters, {8 * total:,} bytes as float64, "
        f"more than this machine's memory ({8 * 420 * 2} bytes): the largest layer is W[2] (n[2], n[1]) = (20, 20), "
        f"420 parameters with b[2]: make n[2] smaller")
    monkeypatch.setattr(sizes, "physical_memory", lambda: 8 * total)
    assert held_bytes(nn.MLP(dims)) == 8 * total


def test_an_mlp_names_the_larger_side_of_its_largest_layer(machine):
    assert refusal(lambda: nn.MLP([10**6, 10**6 // 2, 10**6 // 2, 1])).endswith(
        "the largest layer is W[1] (n[1], n[0]) = (500000, 1000000), 500,000,500,000 parameters with b[1]: "
        "make n[0] smaller")


def test_an_initialiser_called_on_its_own_refuses_too(machine):
    assert refusal(lambda: nn.init.deep((10**7, 10**6))) == (
        f"nn.init.deep((10000000, 1000000)): W (n[l], n[l-1]) = (10000000, 1000000) has {10**13:,} parameters, "
        f"{8 * 10**13:,} bytes (80.0 TB) as float64, more than this machine's memory (68.7 GB): "
        "make n[l] or n[l-1] smaller")
    assert nn.init.he((3, 2), 1).shape == (3, 2)


@pytest.mark.parametrize("build, name", [
    (lambda init: nn.Conv2D(2, 3, 2, init=init), "Conv2D(2, 3, 2): W (f, f, n_C_prev, n_C) = (2, 2, 2, 3)"),
    (lambda init: Embedding(7, 3, init=init), "Embedding(7, 3): the embedding matrix E (n_e, n_vocab) = (3, 7)"),
    (lambda init: RNN(3, 4, 2, init=init), "RNN(3, 4, 2): Wax (n_a, n_x) = (4, 3)"),
    (lambda init: LSTMCell(3, 4, 2, init=init), "LSTMCell(3, 4, 2): Wf, Wi, Wc, Wo (n_a, n_a + n_x) = (4, 7)"),
], ids=["Conv2D", "Embedding", "RNN", "LSTMCell"])
def test_a_failed_allocation_names_the_layer(build, name):
    def no_memory(shape, rng):
        raise MemoryError()

    with pytest.raises(MemoryError, match=re.escape(name) + ".*there was not enough free memory for it: make "):
        build(no_memory)


@pytest.mark.parametrize("cls", RECURRENT, ids=lambda c: c.__name__)
def test_recurrent_layers_name_the_courses_three_sizes_when_one_is_missing(cls):
    who = cls.__name__
    with pytest.raises(TypeError) as info:
        cls(10**6, 10**6)  # PyTorch's nn.LSTM(input_size, hidden_size)
    message = str(info.value)
    assert message.startswith(f"{who}: got n_x = 1000000 and n_a = 1000000 but no n_y; {who} takes the course's "
                              f"three sizes {who}(n_x, n_a, n_y), here {who}(1000000, 1000000, n_y): ")
    assert "(n_y, n_a)" in message and "is n_x, n_a and has no output layer" in message
    assert "_Parameters" not in message and "__init__" not in message
    with pytest.raises(TypeError, match=re.escape(f"{who}: got n_x = 10 but no n_a or n_y; ")):
        cls(10)
    with pytest.raises(TypeError, match=re.escape(f"{who}: got n_x = 3 and n_y = 2 but no n_a; ")):
        cls(n_x=3, n_y=2)
    with pytest.raises(TypeError, match=re.escape(f"{who}: got no sizes; {who} takes the course's three sizes")):
        cls()


@pytest.mark.parametrize("cls", RECURRENT, ids=lambda c: c.__name__)
def test_recurrent_layers_refuse_a_bad_size_naming_it(cls):
    with pytest.raises(ValueError, match=re.escape(f"{cls.__name__}: n_a must be a positive int, got 0")):
        cls(3, 0, 2)
    with pytest.raises(TypeError, match=re.escape(f"{cls.__name__}: n_y must be a positive int, got 2.5")):
        cls(3, 4, 2.5)


@pytest.mark.parametrize("n", [0, 999, 999_999, 10**6, 25_300_000_000, 68_719_476_736, 8 * 10**12, 10**15])
def test_bytes_read_as_the_engines_factories_write_them(n):
    # one convention for the limit and the sizes: the engine's (tinygrad_nb.zeros(...)'s message), decimal units
    assert sizes.short_bytes(n) == factories._bytes_text(n)
    assert sizes.bytes_text(n) == (f"{n:,} bytes" if n < 10**6 else f"{n:,} bytes ({factories._bytes_text(n)})")


def test_the_engine_and_the_layers_quote_the_same_limit(monkeypatch):
    monkeypatch.setattr(sizes, "physical_memory", lambda: 64 * 2**30)
    monkeypatch.setattr(factories, "_memory_bytes", lambda: 64 * 2**30)
    with pytest.raises(ValueError) as engine:
        factories.zeros(10**6, 10**6)
    layer = refusal(lambda: nn.Linear(10**6, 10**6))
    assert "more than this machine's memory (68.7 GB)" in str(engine.value)
    assert "more than this machine's memory (68.7 GB)" in layer


def test_physical_memory_is_a_positive_count_where_the_os_says():
    memory = sizes.physical_memory()
    assert memory is None or memory > 2**20
    assert np.dtype(np.float64).itemsize == sizes.FLOAT64_BYTES
