"""nn.validate: the one set of checks behind every numeric option of the public nn API."""

import math

import numpy as np
import pytest

from nn import validate


@pytest.mark.parametrize("value", [True, False, np.bool_(True), 2.0, "3", None, [3]])
def test_a_bool_or_a_float_is_never_an_int(value):
    with pytest.raises(TypeError, match="n must be a positive int"):
        validate.positive_int("n", value)


@pytest.mark.parametrize("value", [True, np.bool_(False), "0.1", None, [0.1], 1j])
def test_a_bool_or_a_string_is_never_a_number(value):
    with pytest.raises(TypeError, match="lr must be a positive number"):
        validate.number("lr", value, low=0, low_open=True)


def test_validators_accept_numpy_scalars_and_return_python_types():
    assert validate.positive_int("n", np.int64(3)) == 3 and type(validate.positive_int("n", np.int64(3))) is int
    assert validate.number("lr", np.float32(0.5), low=0, low_open=True) == 0.5
    assert validate.positive_int("batch_size", None, allow_none=True) is None
    assert validate.probability("keep_prob", 1) == 1.0


@pytest.mark.parametrize("call, message", [
    (lambda: validate.positive_int("layer_dims[1] = n[1]", 0), "layer_dims[1] = n[1] must be a positive int, got 0"),
    (lambda: validate.number("lr", -0.1, low=0, low_open=True), "lr must be positive, got -0.1"),
    (lambda: validate.number("lr", math.nan, low=0, low_open=True), "lr must be a finite number, got nan"),
    (lambda: validate.number("lambd", math.inf, low=0), "lambd must be a finite number, got inf"),
    (lambda: validate.number("lambd", -1, low=0), "lambd must be >= 0, got -1"),
    (lambda: validate.probability("keep_prob", 2), "keep_prob must be in (0, 1], got 2"),
    (lambda: validate.probability("keep_prob", 0.0), "keep_prob must be in (0, 1], got 0.0"),
    (lambda: validate.number("slope", 1.0, low=0, high=1, high_open=True), "slope must be in [0, 1), got 1.0"),
    (lambda: validate.integer("num_iterations", -1, low=0), "num_iterations must be an int >= 0, got -1"),
])
def test_messages_name_the_option_the_rule_and_the_value(call, message):
    with pytest.raises(ValueError) as err:
        call()
    assert str(err.value) == message
