"""Recurrent layers (course 5, week 1): ``RNNCell``, ``RNN``, ``LSTMCell``, ``LSTM``.

Course 5's layout throughout: one time step x<t> is (n_x, m), one example per column; a whole
sequence x is (n_x, m, T_x), time LAST; the hidden states a are (n_a, m, T_x) and the predictions
y (n_y, m, T_x). The parameters carry the course's names, so ``state_dict()`` is the course's
``parameters`` dict and ``load_state_dict(parameters)`` takes it as it is:

* RNN: Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a), ba (n_a, 1), by (n_y, 1);
  a<t> = tanh(Wax x<t> + Waa a<t-1> + ba), y<t> = softmax(Wya a<t> + by) over the n_y rows.
* LSTM: Wf, Wi, Wc, Wo (n_a, n_a + n_x) and bf, bi, bc, bo (n_a, 1) act on concat = [a<t-1>; x<t>];
  Wy (n_y, n_a), by (n_y, 1). ft = sigmoid(Wf concat + bf), it = sigmoid(Wi concat + bi),
  cct = tanh(Wc concat + bc), c<t> = ft * c<t-1> + it * cct, ot = sigmoid(Wo concat + bo),
  a<t> = ot * tanh(c<t>), y<t> = softmax(Wy a<t> + by).

The cells run one step (the notebook's ``rnn_cell_forward`` and ``lstm_cell_forward``), the sequence
layers loop over the T_x steps (``rnn_forward``, ``lstm_forward``) and stack the steps along axis 2,
so every gradient flows back through time (backpropagation through time is the engine's backward).

The tensors a step creates carry the course's names, with the step number t = 1 .. T_x (a cell, which
does not know its t, writes "t"), so ``viz.draw_graph``, the explorer and explain mode read as the
course's unrolled diagrams and its ``rnn_cell_backward``:

* RNN: x<t> (the slice x[:, :, t-1]), (Wax x<t> + ba) and (Waa a<t-1>), their sum z<t> (dz<t> is the
  notebook's ``dtanh`` = (1 - a<t>^2) da<t>), a<t> = tanh(z<t>), zy<t> = Wya a<t> + by, y<t> = softmax(zy<t>);
* LSTM: x<t>, concat<t> = [a<t-1>; x<t>], zf<t>, zi<t>, zc<t>, zo<t> (the gates' arguments), the gates
  f<t>, i<t>, c~<t>, o<t>, (f<t> c<t-1>) and (i<t> c~<t>), c<t>, tanh(c<t>), a<t>, zy<t>, y<t>;
* the sequences a, y (and c) stacked from the steps; a<0> (and c<0>) when the layer makes them.

Only tensors made inside the forward are named: a Tensor you pass in (x, a<0>, a cell's x<t>) keeps its name.

>>> import numpy as np
>>> from nn.layers.recurrent import RNN
>>> rnn = RNN(n_x=3, n_a=5, n_y=2, rng=1)
>>> a, y_pred = rnn(np.zeros((3, 10, 4)))  # x (n_x, m, T_x); a<0> defaults to zeros
>>> a.shape, y_pred.shape
((5, 10, 4), (2, 10, 4))
>>> list(rnn.state_dict())
['Wax', 'Waa', 'Wya', 'ba', 'by']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nn import validate
from nn.layers import init as initialisers
from nn.layers import sizes
from nn.layers.dense import as_input
from nn.layers.module import Module
from nn.layers.summary import Row
from tinygrad_nb import Tensor, concatenate, linear, stack

Init = str | Callable[..., np.ndarray]


def _draw(who: str, init: Init, shape: tuple[int, int], rng: np.random.RandomState | np.random.Generator) -> Tensor:
    """A weight of ``shape`` drawn by ``init`` (an ``nn.init`` name or ``f(shape, rng)``) from ``rng``: a parameter."""
    W = np.asarray(initialisers.get(init)(shape, rng), dtype=np.float64)
    if W.shape != shape:
        raise ValueError(f"{who}: the initialiser returned shape {W.shape}, expected {shape}")
    return Tensor(W, requires_grad=True)


def _bias(n: int) -> Tensor:
    return Tensor(np.zeros((n, 1)), requires_grad=True)


def _named(t: Tensor, name: str) -> Tensor:
    """``t`` labelled ``name`` (a<3>, f<3>, ...): ``t`` must be a tensor this forward just made, never one passed in
    or a parameter. Names are labels for graphs and explain mode only."""
    t.name = name
    return t


def _steps(t: int | None) -> tuple[str, str]:
    """The labels of step t and of step t-1: ("3", "2") for t = 3, ("t", "t-1") for a cell."""
    return ("t", "t-1") if t is None else (str(t), str(t - 1))


def _step_of(x: Tensor, t: int) -> Tensor:
    """x<t+1> = x[:, :, t], a new tensor (a slice of x), labelled with the course's 1-based step."""
    return _named(x[:, :, t], f"x<{t + 1}>")


class _Recurrent(Module):
    """What the four layers share: the sizes n_x, n_a, n_y, the checks of their inputs, the display."""

    n_x: int
    n_a: int
    n_y: int
    _input_weight = ""  # the weight that x<t> meets ("Wax"; "Wf" for an LSTM) and what it is called in messages
    _weights = ""  # the weights in course notation, for the message of a missing size
    _output = ""  # the output layer, for the same message
    _footprint: Callable[[str, int, int, int], sizes.Footprint]  # its parameters in course notation (nn.layers.sizes)

    def _sizes(self, n_x: int | None, n_a: int | None, n_y: int | None) -> sizes.Footprint:
        """Check and keep the sizes (TypeError naming the course's three when one is missing), and refuse
        parameters larger than this machine's memory (ValueError); their footprint, for ``sizes.allocating``."""
        who = type(self).__name__
        missing = [name for name, n in (("n_x", n_x), ("n_a", n_a), ("n_y", n_y)) if n is None]
        if missing:
            given = [f"{name} = {n!r}" for name, n in (("n_x", n_x), ("n_a", n_a), ("n_y", n_y)) if n is not None]
            got = f"got {' and '.join(given)} but no {' or '.join(missing)}" if given else "got no sizes"
            example = ", ".join(str(n) if n is not None else name
                                for name, n in (("n_x", n_x), ("n_a", n_a), ("n_y", n_y)))
            message = (f"{who}: {got}; {who} takes the course's three sizes {who}(n_x, n_a, n_y)"
                       + (f", here {who}({example})" if given else "")
                       + f": {self._weights} and the output layer {self._output} over n_y classes")
            if missing == ["n_y"]:  # PyTorch's two sizes
                message += (f" (PyTorch's nn.{who.removesuffix('Cell')}(input_size, hidden_size) is n_x, n_a "
                            "and has no output layer)")
            raise TypeError(message)
        self.n_x = validate.positive_int(f"{who}: n_x", n_x)
        self.n_a = validate.positive_int(f"{who}: n_a", n_a)
        self.n_y = validate.positive_int(f"{who}: n_y", n_y)
        footprint = self._footprint(who, self.n_x, self.n_a, self.n_y)
        sizes.check(footprint)
        return footprint

    # ----- the checks, in course notation --------------------------------------------------------
    def _step_input(self, xt: Any) -> Tensor:
        """x<t> (n_x, m) as a Tensor, or a ValueError saying why it does not fit."""
        who = type(self).__name__
        xt = as_input(xt, "x<t>")
        if xt.ndim != 2:
            hint = ""
            if xt.ndim == 3:
                hint = (f"; {xt.shape} looks like a whole sequence x (n_x, m, T_x): a cell takes one time step "
                        f"x<t> = x[:, :, t], and {who.removesuffix('Cell')} runs the whole sequence")
            raise ValueError(f"{who}: x<t> must be (n_x, m), one example per column, got shape {xt.shape}{hint}")
        if xt.shape[0] != self.n_x:
            raise ValueError(self._rows_message("x<t>", xt.shape))
        return xt

    def _rows_message(self, name: str, shape: tuple[int, ...]) -> str:
        who = type(self).__name__
        layout = "(n_x, m, T_x)" if name == "x" else "(n_x, m)"
        message = (f"{who}: {name} has n_x = {shape[0]} rows but {self._weight_text()}, "
                   f"which needs n_x = {self.n_x} (course layout: {name} {layout})")
        if len(shape) >= 2 and shape[-1] == self.n_x and shape[0] != self.n_x:
            flip = "x.transpose(2, 1, 0)" if len(shape) == 3 else "xt.T"
            message += (f"; did you mean {flip}? {shape} looks like the features last "
                        + ("(PyTorch's (T_x, m, n_x))" if len(shape) == 3 else "(m, n_x)"))
        return message

    def _weight_text(self) -> str:
        return f"{self._input_weight} is {getattr(self, self._input_weight).shape}"

    def _state(self, state: Any, name: str, m: int) -> Tensor:
        """a<t-1> or c<t-1> (n_a, m) as a Tensor (None: zeros of the parameters' dtype, as the course's c<0>),
        or a ValueError."""
        who = type(self).__name__
        if state is None:
            return Tensor(np.zeros((self.n_a, m), dtype=getattr(self, self._input_weight).dtype), name=name)
        state = as_input(state, name)
        if state.shape != (self.n_a, m):
            raise ValueError(f"{who}: {name} must be (n_a, m) = ({self.n_a}, {m}) for n_a = {self.n_a} hidden units "
                             f"and the m = {m} examples of x, got shape {state.shape}")
        return state

    def _sequence_input(self, x: Any) -> Tensor:
        """x (n_x, m, T_x) as a Tensor, or a ValueError saying why it does not fit."""
        who = type(self).__name__
        x = as_input(x, "x")
        if x.ndim != 3:
            hint = ""
            if x.ndim == 2:
                hint = (f"; {x.shape} looks like one time step x<t> (n_x, m): {who}Cell runs one step, or give "
                        "x[:, :, None] for a sequence of T_x = 1")
            raise ValueError(f"{who}: x must be (n_x, m, T_x), time last, got shape {x.shape}{hint}")
        if x.shape[0] != self.n_x:
            raise ValueError(self._rows_message("x", x.shape))
        if x.shape[2] == 0:
            raise ValueError(f"{who}: x (n_x, m, T_x) = {x.shape} has no time steps (T_x = 0)")
        return x

    # ----- display ------------------------------------------------------------------------------
    def describe_parameters(self) -> str:
        """``Wax (5, 3), Waa (5, 5), ...``: the parameters with their shapes, in the course's names."""
        return ", ".join(f"{name} {p.shape}" for name, p in self.named_parameters())

    def _outputs(self) -> str:
        raise NotImplementedError

    def summary_rows(self) -> list[Row]:
        """One row: the layer, its parameters with their shapes, their count and its outputs with their shapes."""
        return [("", type(self).__name__, self.describe_parameters(), f"{self.count_parameters():,}", self._outputs())]

    def config(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "n_x": self.n_x, "n_a": self.n_a, "n_y": self.n_y}

    def extra_repr(self) -> str:
        return f"n_x={self.n_x}, n_a={self.n_a}, n_y={self.n_y}: {self.describe_parameters()}"


class _RNNParameters(_Recurrent):
    """Wax, Waa, Wya, ba, by and one step of the basic RNN; ``RNNCell`` runs a step, ``RNN`` a sequence."""

    _input_weight = "Wax"
    _weights = "Wax (n_a, n_x), Waa (n_a, n_a)"
    _output = "Wya (n_y, n_a), y<t> = softmax(Wya a<t> + by)"
    _footprint = staticmethod(sizes.rnn)

    def __init__(self, n_x: int | None = None, n_a: int | None = None, n_y: int | None = None,
                 init: Init = "small_random", rng: initialisers.RNG = None):
        super().__init__()
        footprint = self._sizes(n_x, n_a, n_y)
        who = type(self).__name__
        r = initialisers.as_rng(rng)  # one stream: Wax, then Waa, then Wya, as the course draws them
        with sizes.allocating(footprint):
            self.Wax = _draw(who, init, (self.n_a, self.n_x), r)
            self.Waa = _draw(who, init, (self.n_a, self.n_a), r)
            self.Wya = _draw(who, init, (self.n_y, self.n_a), r)
            self.ba = _bias(self.n_a)
            self.by = _bias(self.n_y)

    def step(self, xt: Tensor, a_prev: Tensor, t: int | None = None) -> tuple[Tensor, Tensor]:
        """(a<t>, y<t>) from checked Tensors x<t> (n_x, m) and a<t-1> (n_a, m): the notebook's rnn_cell_forward.

        ``t`` (1 .. T_x) only labels the tensors made here (a<3>, y<3>, ...); None labels them a<t>, y<t>.
        """
        now, before = _steps(t)
        from_x = _named(linear(self.Wax, xt, self.ba), f"(Wax x<{now}> + ba)")
        from_a = _named(self.Waa @ a_prev, f"(Waa a<{before}>)")
        a_next = _named(_named(from_x + from_a, f"z<{now}>").tanh(), f"a<{now}>")
        yt_pred = _named(_named(linear(self.Wya, a_next, self.by), f"zy<{now}>").softmax(axis=0), f"y<{now}>")
        return a_next, yt_pred


class RNNCell(_RNNParameters):
    """One step of the basic RNN: a<t> = tanh(Wax x<t> + Waa a<t-1> + ba), y<t> = softmax(Wya a<t> + by).

    ``cell(xt, a_prev)`` returns ``(a_next, yt_pred)``, (n_a, m) and (n_y, m): the notebook's
    ``rnn_cell_forward`` without the cache (the engine keeps what the backward needs).
    ``state_dict()`` is the course's ``parameters``: Wax (n_a, n_x), Waa (n_a, n_a), Wya (n_y, n_a),
    ba (n_a, 1), by (n_y, 1); ``load_state_dict(parameters)`` takes the course's dict as it is.

    Args:
        n_x: the rows of x<t>, e.g. the vocabulary size for one-hot characters.
        n_a: the hidden units, the rows of a<t>.
        n_y: the rows of y<t>, the classes the softmax is over.
        init: an ``nn.init`` name or a callable ``f(shape, rng)`` for Wax, Waa and Wya, drawn in that order;
            ba and by start at zero. The default "small_random" is randn * 0.01, the course's
            ``initialize_parameters`` of the character-level model (Dinosaurus Island): with ``rng=1`` the
            weights are the course's ``np.random.seed(1); Wax = np.random.randn(n_a, n_x) * 0.01; ...``.
        rng: an int seed, a RandomState or a Generator.

    The three sizes are required (a missing one is a TypeError naming RNNCell(n_x, n_a, n_y)); parameters
    larger than this machine's memory are refused (ValueError, see ``nn.layers.sizes``) before allocating.
    """

    def forward(self, xt: Any, a_prev: Any = None) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        xt = self._step_input(xt)
        return self.step(xt, self._state(a_prev, "a<t-1>", xt.shape[1]))

    def _outputs(self) -> str:
        return f"a<t> ({self.n_a}, m), y<t> ({self.n_y}, m)"


class RNN(_RNNParameters):
    """The basic RNN over a whole sequence: ``RNNCell``'s step run for t = 1 .. T_x, the same parameters.

    ``rnn(x, a0)`` with x (n_x, m, T_x) and a<0> (n_a, m) (None: zeros) returns ``(a, y_pred)``,
    (n_a, m, T_x) and (n_y, m, T_x): the notebook's ``rnn_forward`` without the caches. Both are
    stacked from the steps, so ``(da * a).sum().backward()`` is the notebook's ``rnn_backward(da, caches)``.
    The arguments are ``RNNCell``'s (the course's randn * 0.01 by default).
    """

    def forward(self, x: Any, a0: Any = None) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        x = self._sequence_input(x)
        a_next = self._state(a0, "a<0>", x.shape[1])
        a, y = [], []
        for t in range(x.shape[2]):
            a_next, yt_pred = self.step(_step_of(x, t), a_next, t + 1)
            a.append(a_next)
            y.append(yt_pred)
        return _named(stack(a, axis=2), "a"), _named(stack(y, axis=2), "y")

    def _outputs(self) -> str:
        return f"a ({self.n_a}, m, T_x), y ({self.n_y}, m, T_x)"


class _LSTMParameters(_Recurrent):
    """Wf, bf, Wi, bi, Wc, bc, Wo, bo, Wy, by and one LSTM step; ``LSTMCell`` runs a step, ``LSTM`` a sequence."""

    _input_weight = "Wf"
    _weights = "the gates' Wf, Wi, Wc, Wo (n_a, n_a + n_x)"
    _output = "Wy (n_y, n_a), y<t> = softmax(Wy a<t> + by)"
    _footprint = staticmethod(sizes.lstm)

    def __init__(self, n_x: int | None = None, n_a: int | None = None, n_y: int | None = None,
                 init: Init = "small_random", rng: initialisers.RNG = None):
        super().__init__()
        footprint = self._sizes(n_x, n_a, n_y)
        who = type(self).__name__
        r = initialisers.as_rng(rng)  # one stream: Wf, Wi, Wc, Wo, then Wy
        gate = (self.n_a, self.n_a + self.n_x)
        with sizes.allocating(footprint):
            self.Wf, self.bf = _draw(who, init, gate, r), _bias(self.n_a)
            self.Wi, self.bi = _draw(who, init, gate, r), _bias(self.n_a)
            self.Wc, self.bc = _draw(who, init, gate, r), _bias(self.n_a)
            self.Wo, self.bo = _draw(who, init, gate, r), _bias(self.n_a)
            self.Wy, self.by = _draw(who, init, (self.n_y, self.n_a), r), _bias(self.n_y)

    def _weight_text(self) -> str:
        return f"Wf (n_a, n_a + n_x) is {self.Wf.shape} with n_a = {self.n_a}"

    def step(self, xt: Tensor, a_prev: Tensor, c_prev: Tensor,
             t: int | None = None) -> tuple[Tensor, Tensor, Tensor]:
        """(a<t>, c<t>, y<t>) from checked Tensors: the notebook's lstm_cell_forward.

        ``t`` (1 .. T_x) only labels the tensors made here (f<3>, c<3>, ...); None labels them f<t>, c<t>.
        """
        now, before = _steps(t)
        concat = _named(concatenate([a_prev, xt], axis=0), f"concat<{now}>")
        ft = _named(_named(linear(self.Wf, concat, self.bf), f"zf<{now}>").sigmoid(), f"f<{now}>")
        it = _named(_named(linear(self.Wi, concat, self.bi), f"zi<{now}>").sigmoid(), f"i<{now}>")
        cct = _named(_named(linear(self.Wc, concat, self.bc), f"zc<{now}>").tanh(), f"c~<{now}>")
        c_next = _named(_named(ft * c_prev, f"(f<{now}> c<{before}>)") + _named(it * cct, f"(i<{now}> c~<{now}>)"),
                        f"c<{now}>")
        ot = _named(_named(linear(self.Wo, concat, self.bo), f"zo<{now}>").sigmoid(), f"o<{now}>")
        a_next = _named(ot * _named(c_next.tanh(), f"tanh(c<{now}>)"), f"a<{now}>")
        yt_pred = _named(_named(linear(self.Wy, a_next, self.by), f"zy<{now}>").softmax(axis=0), f"y<{now}>")
        return a_next, c_next, yt_pred


class LSTMCell(_LSTMParameters):
    """One step of the LSTM (the course's gates on concat = [a<t-1>; x<t>]; see the module's docstring).

    ``cell(xt, a_prev, c_prev)`` returns ``(a_next, c_next, yt_pred)``, (n_a, m), (n_a, m) and (n_y, m):
    the notebook's ``lstm_cell_forward`` without the cache. ``state_dict()`` is the course's
    ``parameters``: Wf, bf, Wi, bi, Wc, bc, Wo, bo with W (n_a, n_a + n_x), b (n_a, 1), and Wy (n_y, n_a),
    by (n_y, 1); ``load_state_dict(parameters)`` takes the course's dict as it is.

    Args:
        n_x: the rows of x<t>.
        n_a: the rows of a<t> and c<t>.
        n_y: the rows of y<t>.
        init: an ``nn.init`` name or ``f(shape, rng)`` for Wf, Wi, Wc, Wo, Wy, drawn in that order; the biases
            start at zero. The default "small_random" is randn * 0.01, as the course's RNN initialisation.
        rng: an int seed, a RandomState or a Generator.

    The three sizes are required (a missing one is a TypeError naming LSTMCell(n_x, n_a, n_y)); parameters
    larger than this machine's memory are refused (ValueError, see ``nn.layers.sizes``) before allocating.
    """

    def forward(self, xt: Any, a_prev: Any = None, c_prev: Any = None) -> tuple[Tensor, Tensor, Tensor]:  # type: ignore[override]
        xt = self._step_input(xt)
        m = xt.shape[1]
        return self.step(xt, self._state(a_prev, "a<t-1>", m), self._state(c_prev, "c<t-1>", m))

    def _outputs(self) -> str:
        return f"a<t> ({self.n_a}, m), c<t> ({self.n_a}, m), y<t> ({self.n_y}, m)"


class LSTM(_LSTMParameters):
    """The LSTM over a whole sequence: ``LSTMCell``'s step run for t = 1 .. T_x, the same parameters.

    ``lstm(x, a0)`` with x (n_x, m, T_x) and a<0> (n_a, m) (None: zeros) returns ``(a, y, c)``,
    (n_a, m, T_x), (n_y, m, T_x) and (n_a, m, T_x): the notebook's ``lstm_forward`` without the caches.
    c<0> is zeros, as in the course (``c0`` gives another). The arguments are ``LSTMCell``'s.
    """

    def forward(self, x: Any, a0: Any = None, c0: Any = None) -> tuple[Tensor, Tensor, Tensor]:  # type: ignore[override]
        x = self._sequence_input(x)
        m = x.shape[1]
        a_next, c_next = self._state(a0, "a<0>", m), self._state(c0, "c<0>", m)
        a, y, c = [], [], []
        for t in range(x.shape[2]):
            a_next, c_next, yt = self.step(_step_of(x, t), a_next, c_next, t + 1)
            a.append(a_next)
            y.append(yt)
            c.append(c_next)
        return _named(stack(a, axis=2), "a"), _named(stack(y, axis=2), "y"), _named(stack(c, axis=2), "c")

    def _outputs(self) -> str:
        return f"a ({self.n_a}, m, T_x), y ({self.n_y}, m, T_x), c ({self.n_a}, m, T_x)"
