"""Linear's sizes: Linear(10) is refused naming the course's order Linear(n_in, n_out); a W[l] larger than this
machine's memory is refused before anything is allocated, naming W[l] (n[l], n[l-1]), the parameters and the bytes;
an allocation that fails anyway says the same instead of NumPy's bare MemoryError."""

from __future__ import annotations

import re

import pytest

import nn
from nn.layers import dense


def test_one_size_is_refused_naming_the_courses_order():
    with pytest.raises(TypeError, match=re.escape("Linear: got one size, n_in = 10, but a Linear needs two, in the "
                                                  "course's order Linear(n_in, n_out) = Linear(n[l-1], n[l])")):
        nn.Linear(10)
    with pytest.raises(TypeError, match=re.escape("Linear(n_x, 10) for 10 units")):
        nn.Linear(10, init="he")


def test_a_layer_larger_than_memory_is_refused_before_allocating():
    with pytest.raises(ValueError) as info:
        nn.Linear(10**6, 10**6)
    message = str(info.value)
    assert message.startswith("Linear(1000000, 1000000): W[l] (n[l], n[l-1]) = (1000000, 1000000) and b[l] (n[l], 1) "
                              "have 1,000,001,000,000 parameters, 7.3 TiB as float64")  # 8 (10^12 + 10^6) bytes
    assert "make n_in or n_out smaller" in message


def test_a_numbered_layer_is_named_with_its_number():
    with pytest.raises(ValueError, match=re.escape("W[3] (n[3], n[3-1]) = (10000000, 2000000)")):
        nn.Linear(2 * 10**6, 10**7, index=3)


def test_the_limit_is_this_machines_memory(monkeypatch):
    monkeypatch.setattr(dense, "physical_memory", lambda: 1000)  # bytes
    nn.Linear(10, 11)  # (110 + 11) * 8 = 968 bytes fit
    with pytest.raises(ValueError, match=r"have 132 parameters, 1.0 KiB as float64, more than this machine's 1000 B"):
        nn.Linear(11, 11)
    monkeypatch.setattr(dense, "physical_memory", lambda: None)  # an OS that does not say: no check
    assert nn.Linear(11, 11).W.shape == (11, 11)


def test_a_failed_allocation_says_which_layer(monkeypatch):
    def no_memory(shape, rng):
        raise MemoryError()

    with pytest.raises(MemoryError, match=re.escape("Linear(4, 3): W[l] (n[l], n[l-1]) = (3, 4) and b[l] (n[l], 1) "
                                                    "have 15 parameters, 120 B as float64; there was not enough "
                                                    "free memory")):
        nn.Linear(4, 3, init=no_memory)


@pytest.mark.parametrize("n, text", [(0, "0 B"), (1023, "1023 B"), (1024, "1.0 KiB"), (3 * 2**30, "3.0 GiB")])
def test_byte_counts_read_as_people_write_them(n, text):
    assert dense._bytes_text(n) == text


def test_physical_memory_is_a_positive_count_where_the_os_says():
    memory = dense.physical_memory()
    assert memory is None or memory > 2**20
