"""Training: ``fit``, losses, optimisers, gradient clipping, divergence watch, progress, defaults,
the checks of data against a model, and the closed-form reference autograd is checked against.

The top of nn: imports layers, files and data, and nothing imports it but ``nn/__init__.py``.
"""
