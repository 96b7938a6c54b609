"""Shape errors name the op, the tensors (course names) and both shapes."""

import numpy as np
import pytest

from tinygrad_nb import ShapeError, Tensor, concatenate


def named(shape, name):
    return Tensor(np.ones(shape), name=name)


def test_matmul_inner_dimension_message_is_exact():
    with pytest.raises(ShapeError) as err:
        named((7, 20), "W2") @ named((19, 209), "A1")
    assert str(err.value) == "matmul: W2 (7, 20) @ A1 (19, 209): inner dimensions 20 and 19 differ"


def test_matmul_needs_matrices():
    with pytest.raises(ShapeError, match=r"matmul: W1 \(3,\) @ X \(3, 2\): both operands must be 2-D"):
        named((3,), "W1") @ named((3, 2), "X")


def test_broadcast_error_names_op_tensors_and_shapes():
    with pytest.raises(ShapeError, match=r"add: Z1 \(3, 4\) \+ b1 \(5, 1\)"):
        named((3, 4), "Z1") + named((5, 1), "b1")
    with pytest.raises(ShapeError, match=r"mul: \(3, 4\) \* \(2,\)"):
        Tensor(np.ones((3, 4))) * Tensor(np.ones(2))


def test_shape_errors_are_value_errors_for_other_ops():
    with pytest.raises(ValueError, match=r"reshape: A1 \(2, 3\)"):
        named((2, 3), "A1").reshape(4, 2)
    with pytest.raises(ValueError, match=r"sum: .*axis 2 is out of range"):
        named((2, 3), "A1").sum(axis=2)
    with pytest.raises(ValueError, match="concatenate"):
        concatenate([named((2, 3), "A"), named((3, 3), "B")], axis=1)
    with pytest.raises(TypeError, match="non-empty list"):
        concatenate([])


def test_index_errors_name_the_op_and_tensor():
    with pytest.raises(IndexError, match=r"getitem: A1 \(2, 3\): index 5 is out of bounds"):
        named((2, 3), "A1")[5]
