"""Error messages: shape errors name the op, the tensors (course names) and both shapes; backward and grad
without requires_grad name the tensor and the fix; bad arguments get one clear error naming the op."""

import numpy as np
import pytest

import tinygrad_nb
from tinygrad_nb import (
    ShapeError,
    Tensor,
    concatenate,
    grad,
    no_grad,
)


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


# ----- clear errors from the Tensor ---------------------------------------------------------------
@pytest.mark.parametrize("call, exc, fragment", [
    (lambda t: t.clip("a", 1), TypeError, "clip: lo must be a number"),
    (lambda t: t.sum().backward(grad="abc"), TypeError, "backward: grad must be"),
    (lambda t: t.requires_grad_("yes"), TypeError, "requires_grad_ expects a bool"),
    (lambda t: t[[[0, 1], [0]]], IndexError, "getitem: an index list must be rectangular"),
    (lambda t: t[["a"]], IndexError, "getitem: an index list must hold ints"),
])
def test_bad_arguments_get_one_clear_error(call, exc, fragment):
    with pytest.raises(exc, match=fragment):
        call(Tensor(np.ones((2, 3)), requires_grad=True))


def test_numpy_type_error_subclasses_are_reported_naming_the_op():
    x = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(TypeError, match="^clip: "):  # np.clip raises a UFuncTypeError that needs extra arguments
        tinygrad_nb.ops.Clip.apply(x, lo="a", hi=1.0)


# ----- 5. forgetting requires_grad --------------------------------------------------------------------------------

def test_backward_without_requires_grad_names_the_result_and_the_fix():
    W, X = Tensor(np.ones((1, 2))), Tensor(np.ones((2, 5)), name="X")
    J = (W @ X).sigmoid().mean()
    with pytest.raises(RuntimeError) as err:
        J.backward()
    message = str(err.value)
    assert message.startswith("backward: mean(sigmoid(...)) of shape () does not require grad: none of the tensors "
                              "it was computed from requires grad")
    assert "requires_grad=True" in message and "nn.Linear" in message and "nn.Parameter" in message
    J.name = "J"
    with pytest.raises(RuntimeError, match=r"backward: J = mean\(sigmoid\(\.\.\.\)\) of shape \(\)"):
        J.backward()
    Z = W @ X  # an unnamed leaf is labelled by its shape, a named one by its name
    with pytest.raises(RuntimeError, match=r"backward: matmul\(Tensor\(1, 2\), X\) of shape \(1, 5\)"):
        Z.backward(np.ones((1, 5)))


def test_backward_of_a_result_computed_under_no_grad_says_so():
    W = Tensor(np.ones((1, 2)), requires_grad=True, name="W")
    with no_grad():
        J = (W * 2.0).sum()
    with pytest.raises(RuntimeError, match=r"sum\(mul\(\.\.\.\)\) of shape \(\) does not require grad: it was "
                                           r"computed under no_grad\(\)"):
        J.backward()
    with pytest.raises(RuntimeError, match=r"grad: output sum\(mul\(\.\.\.\)\) .* under no_grad\(\)"):
        grad(J, [W])


def test_grad_with_respect_to_a_tensor_without_requires_grad_names_it_and_the_fix():
    x = Tensor(np.ones(3), name="x")
    with pytest.raises(RuntimeError, match=r"grad: input x \(3,\) does not require grad: .*requires_grad=True.*"
                                           r"requires_grad_\(\)"):
        grad((x * x).sum(), [x])
