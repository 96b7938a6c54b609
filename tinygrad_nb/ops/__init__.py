"""Every differentiable op, one ``Function`` subclass each, grouped by kind.

| file         | ops                                                                  |
|--------------|----------------------------------------------------------------------|
| binary.py    | Add, Sub, Mul, Div, Pow, Matmul                                      |
| linear.py    | Linear (Z = W A_prev + b, the course's linear_forward/backward)      |
| conv.py      | Conv2D, Pool2D (course 4: conv_forward/backward, pool_forward/backward)|
| unary.py     | Neg, Cast, Exp, Log, Sqrt, Sin, Cos, Abs, Sigmoid, Tanh, Relu,       |
|              | LeakyRelu, Softplus, LogSigmoid, Softmax, LogSoftmax                 |
| reduce.py    | Sum, Mean, Max, Logsumexp                                            |
| movement.py  | Reshape, Transpose, Expand, Getitem, ScatterAdd, Take, Concatenate,  |
|              | Stack                                                                |
| select.py    | Where, Maximum, Minimum, Clip                                        |
| constant.py  | Less, LessEqual, Greater, GreaterEqual, Equal, NotEqual, Argmax,     |
|              | Argmin, ToIndex, Detach (no gradient; recorded so a jit replays them)|
"""

from tinygrad_nb.ops.binary import Add, Div, Matmul, Mul, Pow, Sub
from tinygrad_nb.ops.constant import (
                                      Argmax,
                                      Argmin,
                                      Detach,
                                      Equal,
                                      Greater,
                                      GreaterEqual,
                                      Less,
                                      LessEqual,
                                      NotEqual,
                                      ToIndex,
)
from tinygrad_nb.ops.conv import Conv2D, Pool2D
from tinygrad_nb.ops.linear import Linear
from tinygrad_nb.ops.movement import Concatenate, Expand, Getitem, Reshape, ScatterAdd, Stack, Take, Transpose
from tinygrad_nb.ops.reduce import Logsumexp, Max, Mean, Sum
from tinygrad_nb.ops.select import Clip, Maximum, Minimum, Where
from tinygrad_nb.ops.unary import (
                                   Abs,
                                   Cast,
                                   Cos,
                                   Exp,
                                   LeakyRelu,
                                   Log,
                                   LogSigmoid,
                                   LogSoftmax,
                                   Neg,
                                   Relu,
                                   Sigmoid,
                                   Sin,
                                   Softmax,
                                   Softplus,
                                   Sqrt,
                                   Tanh,
)

__all__ = [
    "Add", "Sub", "Mul", "Div", "Pow", "Matmul", "Linear", "Conv2D", "Pool2D",
    "Neg", "Cast", "Exp", "Log", "Sqrt", "Abs", "Sigmoid", "Tanh", "Relu", "LeakyRelu", "Softplus", "LogSigmoid",
    "Softmax", "LogSoftmax", "Sin", "Cos",
    "Sum", "Mean", "Max", "Logsumexp",
    "Reshape", "Transpose", "Expand", "Getitem", "ScatterAdd", "Take", "Concatenate", "Stack",
    "Where", "Maximum", "Minimum", "Clip",
    "Less", "LessEqual", "Greater", "GreaterEqual", "Equal", "NotEqual", "Argmax", "Argmin", "Detach", "ToIndex",
]
