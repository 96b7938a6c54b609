"""The settings a run starts from when none are given (``nn.defaults.default_settings``), read by
``nn.fit`` and the command line. The code lives in ``nn/training/defaults.py``.
"""

from nn.training.defaults import (
    ADAPTIVE,
    ADAPTIVE_LR,
    ADAPTIVE_LR_BY_DATASET,
    ALIASES,
    DATASET_KINDS,
    OPTIMIZER_NAMES,
    SGD_LR,
    Settings,
    dataset_kind,
    default_lr,
    default_settings,
    epochs_for,
    kind_for_data,
)

__all__ = [
    "OPTIMIZER_NAMES", "ADAPTIVE", "ADAPTIVE_LR", "ADAPTIVE_LR_BY_DATASET", "SGD_LR", "ALIASES", "Settings",
    "DATASET_KINDS", "kind_for_data", "dataset_kind", "default_lr", "epochs_for", "default_settings",
]
