"""Linear's sizes: Linear(10) is refused naming the course's order Linear(n_in, n_out); a W[l] larger than this
machine's memory is refused before anything is allocated, naming W[l] (n[l], n[l-1]), the parameters and the bytes
(nn/layers/sizes.py; tests/nn/layers/test_layer_sizes.py checks the other layers);
an allocation that fails anyway says the same instead of NumPy's bare MemoryError."""

from __future__ import annotations

import re

import pytest

import nn
from nn.layers import sizes


def test_one_size_is_refused_naming_the_courses_order():
    with pytest.raises(TypeError, match=re.escape("Linear: got one size, n_in = 10, but a Linear needs two, in the "
                                                  "course's order Linear(n_in, n_out) = Linear(n[l-1], n[l])")):
        nn.Linear(10)
    with pytest.raises(TypeError, match=re.escape("Linear(n_x, 10) for 10 units")):
        nn.Linear(10, init="he")


def test_a_layer_larger_than_memory_is_refused_before_allocating(monkeypatch):
    monkeypatch.setattr(sizes, "physical_memory", lambda: 64 * 2**30)  # a 64 GiB machine, whatever runs the test
    count = 10**6 * 10**6 + 10**6  # W (n[l], n[l-1]) and b (n[l], 1)
    with pytest.raises(ValueError) as info:
        nn.Linear(10**6, 10**6)
    assert str(info.value) == (f"Linear(1000000, 1000000): W[l] (n[l], n[l-1]) = (1000000, 1000000) and b[l] (n[l], 1) "
                               f"= (1000000, 1) have {count:,} parameters, {8 * count:,} bytes (8.0 TB) as float64, "
                               f"more than this machine's memory (68.7 GB): make n_in or n_out smaller")


def test_a_numbered_layer_is_named_with_its_number():
    with pytest.raises(ValueError, match=re.escape("W[3] (n[3], n[2]) = (10000000, 2000000) and b[3] (n[3], 1)")):
        nn.Linear(2 * 10**6, 10**7, index=3)


def test_an_mlps_single_layer_reads_n_0_not_n_1_minus_1():
    with pytest.raises(ValueError, match=re.escape("MLP([1000000, 10000000]): W[1] (n[1], n[0]) = (10000000, 1000000) "
                                                   "and b[1] (n[1], 1) = (10000000, 1) have")):
        nn.MLP([10**6, 10**7])


def test_the_limit_is_this_machines_memory(monkeypatch):
    monkeypatch.setattr(sizes, "physical_memory", lambda: 1000)  # bytes
    nn.Linear(10, 11)  # (110 + 11) * 8 = 968 bytes fit
    with pytest.raises(ValueError, match=re.escape("have 132 parameters, 1,056 bytes as float64, more than this "
                                                   "machine's memory (1000 bytes)")):
        nn.Linear(11, 11)
    monkeypatch.setattr(sizes, "physical_memory", lambda: None)  # an OS that does not say: no check
    assert nn.Linear(11, 11).W.shape == (11, 11)


def test_a_failed_allocation_says_which_layer():
    def no_memory(shape, rng):
        raise MemoryError()

    with pytest.raises(MemoryError, match=re.escape("Linear(4, 3): W[l] (n[l], n[l-1]) = (3, 4) and b[l] (n[l], 1) "
                                                    "= (3, 1) have 15 parameters, 120 bytes as float64; there was "
                                                    "not enough free memory for it: make n_in or n_out smaller")):
        nn.Linear(4, 3, init=no_memory)
