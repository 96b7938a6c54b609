"""Optimisers (``import nn.optim``): ``SGD`` (with momentum), ``RMSprop``, ``Adam``, ``Adagrad``, ``Adadelta``,
the learning-rate decay ``InverseTimeDecay``, and DeZero's hooks ``WeightDecay``, ``ClipGrad`` and
``FreezeParam`` (``optimizer.add_hook(nn.optim.ClipGrad(5.0))``); PyTorch's ``param_groups`` and
``weight_decay=`` too. The code lives in ``nn/training/optim.py`` (which gathers ``optim_base.py``,
``adaptive.py`` and ``optim_hooks.py``); this module is its public path.
"""

from nn.training.optim import (
    OPTIMIZERS,
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    ClipGrad,
    FreezeParam,
    InverseTimeDecay,
    Optimizer,
    ParamGroup,
    RMSprop,
    WeightDecay,
)

__all__ = ["ParamGroup", "Optimizer", "SGD", "RMSprop", "Adam", "Adagrad", "Adadelta", "InverseTimeDecay",
           "WeightDecay", "ClipGrad", "FreezeParam", "OPTIMIZERS"]
