"""Initialisers (``from nn.init import he``): the course's ``zeros``, ``small_random``, ``deep``, ``he``,
and ``xavier``, and DeZero's draw (``dezero``); ``get`` one by name, ``as_rng`` for seeds. The code lives
in ``nn/layers/init.py``.
"""

from nn.layers.init import (
    as_rng,
    deep,
    dezero,
    get,
    he,
    small_random,
    standard_normal,
    xavier,
    zeros,
)

__all__ = ["zeros", "small_random", "deep", "he", "xavier", "dezero", "get", "as_rng", "standard_normal"]
