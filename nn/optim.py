"""Optimisers (``import nn.optim``): ``SGD`` (with momentum), ``RMSprop``, ``Adam``, and the
learning-rate decay ``InverseTimeDecay``; PyTorch's ``param_groups`` too. The code lives in
``nn/training/optim.py``; this module is its public path.
"""

from nn.training.optim import (
    OPTIMIZERS,
    SGD,
    Adam,
    InverseTimeDecay,
    Optimizer,
    ParamGroup,
    RMSprop,
)

__all__ = ["ParamGroup", "Optimizer", "SGD", "RMSprop", "Adam", "InverseTimeDecay", "OPTIMIZERS"]
