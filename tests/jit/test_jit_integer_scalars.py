"""A NumPy integer scalar (mask.sum() of an array) meets a float32 Tensor in that Tensor's dtype, as the integer
Tensor a jitted step gets for the same array does: a float32 model's masked loss is float32 eager and jitted,
with the same value (eager used to promote it to float64, the jit not)."""

import numpy as np

from tinygrad_nb import Tensor, jit


def test_a_masked_mean_of_a_float32_tensor_has_one_dtype_eager_and_jitted():
    A = Tensor(np.random.RandomState(0).randn(4).astype(np.float32), requires_grad=True)

    def masked_mean(Y):
        mask = Y != 0
        return (A * mask).sum() / mask.sum()

    Y = np.array([1, 0, 2, 3])
    eager = masked_mean(Y)
    step = jit(masked_mean)
    for _ in range(3):
        jitted = step(Y)
    assert eager.dtype == jitted.dtype == np.float32
    assert eager.item() == jitted.item()


def test_numpy_integer_scalars_take_the_tensor_s_dtype_as_python_ints_do():
    A = Tensor(np.ones(3, dtype=np.float32))
    assert (A * np.int64(3)).dtype == (A * 3).dtype == np.float32
    assert (A / np.int32(2)).data.tolist() == [0.5, 0.5, 0.5]
