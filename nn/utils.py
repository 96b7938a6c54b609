"""PyTorch's ``torch.nn.utils`` habits (``nn.utils.clip_grad_norm_``, ``clip_grad_value_``). The code
lives in ``nn/training/clip.py``.
"""

from nn.training.clip import (
    clip_grad_norm_,
    clip_grad_value_,
)

__all__ = ["clip_grad_norm_", "clip_grad_value_"]
