"""The course's character-level language model (course 5, week 1, "Dinosaurus Island"), on a list of names.

    python examples/sequences/char_model.py                    # the RNN, 20,000 names, about 8 s on one thread
    python examples/sequences/char_model.py --cell lstm        # the same with an LSTM, about 20 s
    python examples/sequences/char_model.py --iterations 35000 --print-every 2000   # the course's run

The course's model, as the notebook builds it:

* the vocabulary is 27 characters, "\\n" (index 0, the end of a name) and a-z (1..26), each one-hot (27, 1);
* one name per optimisation step, in an order shuffled once with seed 0: x<1> is the zero vector, x<t+1> the
  t-th character, and the labels y<t> are the characters followed by "\\n";
* a<t> = tanh(Wax x<t> + Waa a<t-1> + ba), y_hat<t> = softmax(Wya a<t> + by), with n_a = 50 and the weights
  randn * 0.01 from seed 1 (``nn.RNN(27, 50, 27, rng=1)`` draws the very same numbers); ``--cell lstm`` runs
  ``nn.LSTM`` with the same sizes and initialisation instead (not in the course, which stops at the RNN);
* the loss of a name is the sum over its time steps of -log y_hat<t>[y<t>]; its gradient (the engine's backward
  through time, no handwritten ``rnn_backward``) is clipped to [-5, 5] entry by entry (the course's
  ``clip(gradients, 5)``: ``nn.utils.clip_grad_value_``) and applied by SGD with learning rate 0.01;
* the last hidden state of a name is the a<0> of the next one (the course's ``a_prev``; the LSTM carries c too),
  with no gradient through it;
* the printed loss is smoothed: it starts at -log(1/27) * 7 = 23.0709 (seven names' worth of guessing) and
  becomes 0.999 loss + 0.001 cur_loss after each step; every ``--print-every`` iterations (and after the last)
  the run prints "Iteration: j, Loss: l" and seven names sampled by the course's ``sample`` (the drawn character
  fed back one-hot until "\\n" or 50 characters, ``np.random.seed(counter + seed)`` before each draw, seeds 0-6).

The data: ``names.txt`` beside this file holds the first 2,000 of the 32,032 names of makemore's names.txt
(github.com/karpathy/makemore, MIT licence, see LICENSE-names.txt), 14 KB; ``--data`` reads another list,
one name of letters a-z per line.

The training step is jitted (``tinygrad_nb.jit``): a name of T characters is a sequence of T + 1 steps, and each
length records once (the 2,000 names have 8 lengths, all of makemore's 14: ``cache_size=16`` keeps them all),
then replays. The default runs take about 7.6 s (RNN) and 19-24 s (LSTM) on one CPU thread, against 11 s and
28 s eagerly (``--no-jit``), with the same printed numbers: the RNN ends at 14.493633, the LSTM (slower to learn
with the course's SGD at 0.01) at 15.703423, from 23.077452.
"""

from __future__ import annotations

import argparse
import string
from pathlib import Path
from typing import Any

import numpy as np

import nn
from tinygrad_nb import Tensor, jit, no_grad

DATA = Path(__file__).resolve().parent / "names.txt"
VOCABULARY = "\n" + string.ascii_lowercase  # the course's sorted(set(data)): "\n" first, then a..z
char_to_ix = {ch: i for i, ch in enumerate(VOCABULARY)}
ix_to_char = dict(enumerate(VOCABULARY))
NEWLINE = char_to_ix["\n"]


def read_names(path: str | Path = DATA) -> list[str]:
    """The names in ``path``, one per line, lower-cased; a ValueError names a line with another character than a-z."""
    names = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        name = line.strip().lower()
        if not name:
            continue
        if not set(name) <= set(string.ascii_lowercase):
            raise ValueError(f"{path}, line {number}: {line!r} holds characters other than a-z")
        names.append(name)
    if not names:
        raise ValueError(f"{path}: no names")
    return names


def get_initial_loss(vocab_size: int, seq_length: int) -> float:
    """The course's starting point of the smoothed loss: -log(1/vocab_size) * seq_length (23.0709 for 27 and 7)."""
    return float(-np.log(1.0 / vocab_size) * seq_length)


def smooth(loss: float, cur_loss: float) -> float:
    """The course's smoothing of the printed loss."""
    return loss * 0.999 + cur_loss * 0.001


def one_hot_example(name: str, vocab_size: int = len(VOCABULARY)) -> tuple[np.ndarray, np.ndarray]:
    """X and Y (vocab_size, 1, T_x) for a name of T_x - 1 characters, course 5's layout (time last).

    The course's ``X = [None] + [char_to_ix[ch] for ch in name]`` and ``Y = X[1:] + ["\\n"]``, one-hot: x<1> is the
    zero vector, x<t+1> and y<t> are the t-th character, and y<T_x> is "\\n".
    """
    indices = [char_to_ix[ch] for ch in name]
    T_x = len(indices) + 1
    X, Y = np.zeros((vocab_size, 1, T_x)), np.zeros((vocab_size, 1, T_x))
    X[indices, 0, np.arange(1, T_x)] = 1.0
    Y[indices + [NEWLINE], 0, np.arange(T_x)] = 1.0
    return X, Y


class CharModel:
    """The course's model: an ``nn.RNN`` (or ``nn.LSTM``) with SGD, the course's clipping, and its ``sample``.

    Args:
        cell: "rnn" (the course's) or "lstm".
        n_a: the hidden units (the course's 50).
        vocab_size: the characters (27).
        learning_rate: SGD's (0.01).
        max_value: the gradients are clipped to [-max_value, max_value] (5).
        seed: the parameters' RandomState seed (the course's 1).
        use_jit: jit the training step (the numbers are the same either way).
    """

    def __init__(self, cell: str = "rnn", n_a: int = 50, vocab_size: int = len(VOCABULARY),
                 learning_rate: float = 0.01, max_value: float = 5.0, seed: int = 1, use_jit: bool = True):
        if cell not in ("rnn", "lstm"):
            raise ValueError(f"cell must be 'rnn' or 'lstm', got {cell!r}")
        self.cell, self.n_a, self.vocab_size, self.max_value = cell, n_a, vocab_size, max_value
        layer = nn.RNN if cell == "rnn" else nn.LSTM
        self.model = layer(vocab_size, n_a, vocab_size, rng=seed)  # randn * 0.01, drawn as the course draws them
        self.parameters = list(self.model.parameters())
        self.optimizer = nn.optim.SGD(self.parameters, lr=learning_rate)
        # a name of T characters is a sequence of T + 1 steps: one recording per length, then replays
        self._step = jit(self._train_step, cache_size=16) if use_jit else self._train_step

    def initial_state(self) -> tuple[np.ndarray, ...]:
        """a<0> (and c<0> for the LSTM): zeros (n_a, 1)."""
        return tuple(np.zeros((self.n_a, 1)) for _ in range(1 if self.cell == "rnn" else 2))

    def forward(self, X: Any, Y: Any, *state: Any) -> tuple[Tensor, ...]:
        """The loss of one name, sum over t of -log y_hat<t>[y<t>], and the last a<t> (and c<t>): the course's
        ``rnn_forward``."""
        if self.cell == "rnn":
            a, y_hat = self.model(X, *state)
            last: tuple[Tensor, ...] = (a[:, :, -1],)
        else:
            a, y_hat, c = self.model(X, *state)
            last = (a[:, :, -1], c[:, :, -1])
        loss = -(Y * y_hat.log()).sum()  # Y one-hot: picks -log y_hat<t>[y<t>] at each t
        return (loss, *last)

    def _train_step(self, X: Any, Y: Any, *state: Any) -> tuple[Tensor, ...]:
        """The course's ``optimize``: forward, backward, clip, update."""
        self.optimizer.zero_grad()
        loss, *last = self.forward(X, Y, *state)
        loss.backward()
        nn.utils.clip_grad_value_(self.parameters, self.max_value)
        self.optimizer.step()
        return (loss, *last)

    def optimize(self, name: str, state: tuple[np.ndarray, ...]) -> tuple[float, tuple[np.ndarray, ...]]:
        """One SGD step on one name from the hidden state ``state``: (cur_loss, the state for the next name)."""
        loss, *last = self._step(*one_hot_example(name, self.vocab_size), *state)
        return float(loss.item()), tuple(np.array(t.data) for t in last)

    def sample(self, seed: int) -> list[int]:
        """The course's ``sample``: character indices drawn one at a time, each fed back one-hot, ending with "\\n"."""
        x = np.zeros((self.vocab_size, 1, 1))
        state = self.initial_state()
        indices: list[int] = []
        idx, counter = -1, 0
        with no_grad():
            while idx != NEWLINE and counter != 50:
                if self.cell == "rnn":
                    a, y = self.model(x, *state)
                    state = (a.data[:, :, 0],)
                else:
                    a, y, c = self.model(x, *state)
                    state = (a.data[:, :, 0], c.data[:, :, 0])
                # the course: np.random.seed(counter + seed); np.random.choice(range(vocab_size), p=y.ravel())
                idx = nn.sample_index(y.data[:, :, 0], np.random.RandomState(counter + seed))
                indices.append(idx)
                x = np.zeros((self.vocab_size, 1, 1))
                x[idx] = 1.0
                seed += 1  # the course moves both seed and counter on: the draws use seeds seed, seed + 2, ...
                counter += 1
        if counter == 50:
            indices.append(NEWLINE)
        return indices


def get_sample(sample_ix: list[int]) -> str:
    """The course's ``get_sample``: the characters, the first one upper-cased (the trailing "\\n" dropped)."""
    txt = "".join(ix_to_char[ix] for ix in sample_ix).rstrip("\n")
    return txt[:1].upper() + txt[1:]


def train(names: list[str], cell: str = "rnn", num_iterations: int = 20000, n_a: int = 50, seed: int = 0,
          print_every: int = 2000, n_names: int = 7, use_jit: bool = True) -> tuple[CharModel, float]:
    """The course's ``model``: shuffle the names with ``seed``, draw the parameters from ``seed + 1`` (the course's
    0 and 1 by default), take one name per iteration and print the smoothed loss and ``n_names`` samples (seeds
    ``seed .. seed + n_names - 1``) every ``print_every`` iterations and after the last. Returns the model and
    the smoothed loss."""
    char_model = CharModel(cell, n_a=n_a, seed=seed + 1, use_jit=use_jit)
    loss = get_initial_loss(char_model.vocab_size, n_names)
    examples = list(names)
    np.random.RandomState(seed).shuffle(examples)  # the course's np.random.seed(0); np.random.shuffle(examples)
    state = char_model.initial_state()
    for j in range(num_iterations):
        cur_loss, state = char_model.optimize(examples[j % len(examples)], state)
        loss = smooth(loss, cur_loss)
        if j % print_every == 0 or j == num_iterations - 1:
            print(f"Iteration: {j}, Loss: {loss:f}")
            for k in range(n_names):
                print(get_sample(char_model.sample(seed + k)))
            print(flush=True)
    return char_model, loss


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cell", choices=("rnn", "lstm"), default="rnn", help="the recurrent cell (default rnn)")
    parser.add_argument("--iterations", type=int, default=20000,
                        help="optimisation steps, one name each (default 20000; the course's 35000)")
    parser.add_argument("--n-a", type=int, default=50, help="hidden units (default 50, the course's)")
    parser.add_argument("--seed", type=int, default=0,
                        help="shuffle seed; the parameters use seed + 1 and the samples seed .. seed + 6 "
                             "(default 0: the course's seeds)")
    parser.add_argument("--print-every", type=int, default=2000, help="iterations between prints (default 2000)")
    parser.add_argument("--data", default=str(DATA), help="a list of names, one a line (default: names.txt here)")
    parser.add_argument("--no-jit", action="store_true", help="run the training step eagerly (the same numbers)")
    args = parser.parse_args(argv)
    if args.iterations < 1 or args.print_every < 1 or args.n_a < 1:
        parser.error("--iterations, --print-every and --n-a must be positive")
    _, loss = train(read_names(args.data), cell=args.cell, num_iterations=args.iterations, n_a=args.n_a,
                    seed=args.seed, print_every=args.print_every, use_jit=not args.no_jit)
    return loss


if __name__ == "__main__":
    main()
