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


# ----- 6. the factories: each bad argument named with its function (issue 25) ----------------------------------
@pytest.mark.parametrize("call, exc, fragment", [
    (lambda: tinygrad_nb.full((2,), "a"), TypeError, "full: fill_value must be a real number, got str 'a'"),
    (lambda: tinygrad_nb.full((2,), True), TypeError, "full: fill_value must be a real number, got bool"),
    (lambda: tinygrad_nb.full(2.0, 1), TypeError, "full: shape must be an int or a tuple of non-negative ints, "
                                                  "got float 2.0"),
    (lambda: tinygrad_nb.full((2, -1), 1), ValueError, "full: a shape is made of non-negative ints"),
    (lambda: tinygrad_nb.arange(0, float("inf")), ValueError, "arange: stop must be finite, got inf"),
    (lambda: tinygrad_nb.arange(float("nan")), ValueError, "arange: stop must be finite, got nan"),
    (lambda: tinygrad_nb.arange(0, 1, "x"), TypeError, "arange: step must be a real number, got str"),
    (lambda: tinygrad_nb.arange(0, 1, 0), ValueError, "arange: step must not be 0"),
    (lambda: tinygrad_nb.linspace(0, 1, 2.0), TypeError, "linspace: num must be a non-negative int, got float"),
    (lambda: tinygrad_nb.linspace(0, 1, -1), ValueError, "linspace: num must be a non-negative int, got -1"),
    (lambda: tinygrad_nb.linspace(float("-inf"), 1), ValueError, "linspace: start must be finite"),
    (lambda: tinygrad_nb.randn(2, rng=-1), ValueError, r"randn: rng \(a seed\) must be an int in \[0, 4294967295\], "
                                                       "got -1"),
    (lambda: tinygrad_nb.rand(2, rng=2**32), ValueError, r"rand: rng \(a seed\) must be an int in \[0, 4294967295\]"),
    (lambda: tinygrad_nb.rand(2, rng=1.5), TypeError, "rand: rng must be an int seed, a numpy RandomState or "
                                                      "Generator, or None, got float 1.5"),
    (lambda: tinygrad_nb.zeros(2.0), TypeError, r"zeros: shape must be made of non-negative ints, got \(2.0,\)"),
    (lambda: tinygrad_nb.ones(2, dtype=np.int32), TypeError, "ones: dtype must be a float dtype"),
    (lambda: tinygrad_nb.randint(5, 5, (2,)), ValueError, r"randint: high must be greater than low .* "
                                                          "got low=5, high=5"),
    (lambda: tinygrad_nb.randint(0, 2.5, (2,)), TypeError, "randint: high must be an int, got float 2.5"),
    (lambda: tinygrad_nb.randint(10), TypeError, "randint: size is required"),
    (lambda: tinygrad_nb.randint(0, 10, (2, -3)), ValueError, r"randint: a shape is made of non-negative ints, "
                                                              r"got \(2, -3\) \(size\)"),
    (lambda: tinygrad_nb.randint(0, 300, (2,), dtype=np.int8), ValueError, r"randint: \[low, high\) = \[0, 300\) "
                                                                           "does not fit in int8"),
    (lambda: tinygrad_nb.randint(0, 3, (2,), dtype=np.float64), TypeError, "randint: dtype must be an integer dtype"),
    (lambda: tinygrad_nb.manual_seed(-1), ValueError, r"manual_seed: seed must be an int in \[0, 4294967295\], "
                                                      "got -1"),
    (lambda: tinygrad_nb.manual_seed("1"), TypeError, "manual_seed: seed must be an int"),
    (lambda: tinygrad_nb.tensor("abc"), TypeError, "tensor: Tensor expects a number"),
    (lambda: tinygrad_nb.tensor([1.0], dtype=np.int32), TypeError, "tensor: Tensor dtype must be a float type"),
])
def test_factory_arguments_get_one_clear_error(call, exc, fragment):
    with pytest.raises(exc, match=fragment):
        call()


@pytest.mark.parametrize("name, call, count, nbytes", [
    ("arange", lambda: tinygrad_nb.arange(1e12), 10**12, 8 * 10**12),
    ("arange", lambda: tinygrad_nb.arange(0, 1e12, 0.5, dtype=np.float32), 2 * 10**12, 8 * 10**12),
    ("linspace", lambda: tinygrad_nb.linspace(0, 1, 10**11), 10**11, 8 * 10**11),
    ("zeros", lambda: tinygrad_nb.zeros(10**7, 10**7), 10**14, 8 * 10**14),
    ("randn", lambda: tinygrad_nb.randn(10**6, 10**7, rng=0), 10**13, 8 * 10**13),
    ("randint", lambda: tinygrad_nb.randint(0, 2, (10**13,), dtype=np.int8), 10**13, 10**13),
], ids=["arange", "arange_float32", "linspace", "zeros", "randn", "randint_int8"])
def test_sizes_beyond_memory_are_refused_with_elements_and_bytes(name, call, count, nbytes, monkeypatch):
    from tinygrad_nb import factories
    monkeypatch.setattr(factories, "_memory_bytes", lambda: 64 * 2**30)  # a 64 GiB machine, whatever runs the test
    with pytest.raises(ValueError, match=rf"^{name}: .* asks for {count:,} elements, {nbytes:,} bytes .*more than "
                                         r"this machine's memory \(68.7 GB\)"):
        call()


def test_the_memory_limit_is_this_machines_and_leaves_ordinary_sizes_alone():
    from tinygrad_nb import factories
    assert 2**28 < factories._memory_bytes()  # at least 256 MiB: read from the OS, not a made-up constant
    with pytest.raises(ValueError, match=r"^arange: start=0, stop=1000000000000.0, step=1 asks for "
                                         r"1,000,000,000,000 elements, 8,000,000,000,000 bytes \(8.0 TB\) as float64"):
        tinygrad_nb.arange(1e12)  # 8 TB: no machine that runs these tests has it
    assert tinygrad_nb.arange(0, 1, 0.25).shape == (4,) and tinygrad_nb.linspace(0, 1, 0).shape == (0,)
