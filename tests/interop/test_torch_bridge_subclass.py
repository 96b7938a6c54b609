"""Issue 21: ``nn.from_torch`` refuses a subclass of ``torch.nn.Sequential`` instead of dropping its ``forward``.

With PyTorch installed, real torch modules are the oracle: a subclass whose forward doubles the
output is refused naming its class (a plain Sequential of the same layers still converts and
computes what torch computes). Without PyTorch those tests skip; the refusal itself is then
checked with a stand-in ``torch`` module, which is honest only because everything ``from_torch``
does before refusing is class identity (``isinstance``, ``type(m) is torch.nn.Sequential``,
``type(m).forward``): the stand-in cannot say anything about converting real layers, so it is
only used to show what is refused and that a plain Sequential gets past the check.
"""

from __future__ import annotations

import sys
import types
from typing import Any

import numpy as np
import pytest

from nn.files.torch_bridge import from_torch

NO_TORCH = "PyTorch is not installed: pip install torch"


def real_torch() -> Any:
    return pytest.importorskip("torch", reason=NO_TORCH)


# ----- with PyTorch ---------------------------------------------------------------------------------------------

def test_a_torch_sequential_subclass_with_its_own_forward_is_refused_naming_it():
    torch = real_torch()

    base: Any = torch.nn.Sequential

    class Doubled(base):
        def forward(self, x: Any) -> Any:
            return 2 * super().forward(x)

    layers = (torch.nn.Linear(3, 2).double(), torch.nn.Tanh())
    net = Doubled(*layers)
    with pytest.raises(TypeError, match=r"from_torch: the model is a Doubled, a subclass of torch\.nn\.Sequential "
                                        r"that defines its own forward"):
        from_torch(net)
    plain = torch.nn.Sequential(*layers)  # the same layers, plainly: converted, and torch agrees
    X = np.random.RandomState(0).randn(3, 4)
    want = plain(torch.from_numpy(np.ascontiguousarray(X.T))).detach().numpy().T
    np.testing.assert_allclose(from_torch(plain)(X).data, want, rtol=0, atol=1e-12)


def test_a_nested_torch_sequential_subclass_is_refused_naming_it_and_its_position():
    torch = real_torch()

    base: Any = torch.nn.Sequential

    class Doubled(base):
        def forward(self, x: Any) -> Any:
            return 2 * super().forward(x)

    net = torch.nn.Sequential(torch.nn.Linear(3, 3).double(), Doubled(torch.nn.Linear(3, 1).double()))
    with pytest.raises(TypeError, match=r"from_torch: layer 1 is a Doubled, a subclass of torch\.nn\.Sequential "
                                        r"that defines its own forward"):
        from_torch(net)


def test_a_torch_sequential_subclass_without_its_own_forward_is_refused_too():
    torch = real_torch()

    base: Any = torch.nn.Sequential

    class Named(base):
        pass

    with pytest.raises(TypeError, match=r"from_torch: the model is a Named, a subclass of torch\.nn\.Sequential"):
        from_torch(Named(torch.nn.Linear(3, 1).double()))


# ----- without PyTorch: the refusal, on a stand-in torch --------------------------------------------------------

def test_the_refusal_on_a_stand_in_torch(monkeypatch):
    class Sequential:  # torch.nn.Sequential as far as from_torch looks before refusing: a class with a forward
        def __init__(self, *layers: Any):
            self.layers, self.training = list(layers), True

        def __iter__(self) -> Any:
            return iter(self.layers)

        def forward(self, x: Any) -> Any:
            for layer in self.layers:
                x = layer(x)
            return x

    class Doubled(Sequential):
        def forward(self, x: Any) -> Any:
            return 2 * super().forward(x)

    class Named(Sequential):
        pass

    torch = types.ModuleType("torch")
    torch.nn = types.SimpleNamespace(Sequential=Sequential)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "torch", torch)
    with pytest.raises(TypeError, match=r"the model is a Doubled, a subclass of torch\.nn\.Sequential that defines "
                                        r"its own forward, which would be lost"):
        from_torch(Doubled())
    with pytest.raises(TypeError, match=r"the model is a Named, a subclass of torch\.nn\.Sequential that may run"):
        from_torch(Named())
    with pytest.raises(ValueError, match=r"the torch Sequential is empty"):  # a plain one gets past the check
        from_torch(Sequential())
