"""Dropout: ``p`` (torch's drop rate) and ``keep_prob`` (the course's), ``reseed`` for the course's exact masks,
off in eval mode, the course's masked gradient."""

from __future__ import annotations

import numpy as np
import pytest
from _shared import torch_or_skip

import nn
from tinygrad_nb import Tensor


def test_a_bare_dropout_rate_is_refused_naming_both_spellings():
    with pytest.raises(TypeError, match=r"Dropout: the rate is keyword-only.*keep_prob=.*p="):
        nn.Dropout(0.2)
    with pytest.raises(TypeError, match="both keep_prob=0.8 and p=0.2"):
        nn.Dropout(keep_prob=0.8, p=0.2)
    with pytest.raises(ValueError, match=r"Dropout: p must be in \[0, 1\)"):
        nn.Dropout(p=1.0)
    assert nn.Dropout().keep_prob == 0.5


def test_dropout_p_and_keep_prob_make_the_same_layer_and_p_is_torch_p():
    A = np.ones((200, 50))
    by_keep = nn.Dropout(keep_prob=0.8, rng=np.random.RandomState(3))(A).data
    by_p = nn.Dropout(p=0.2, rng=np.random.RandomState(3))(A).data
    np.testing.assert_array_equal(by_keep, by_p)
    assert abs((by_p != 0).mean() - 0.8) < 0.01  # 80 % kept: p = 0.2 drops 20 %, as torch.nn.Dropout(p=0.2)
    assert nn.Dropout(p=0.2).p == pytest.approx(0.2)
    torch = torch_or_skip()
    converted = nn.to_torch(nn.Sequential(nn.Linear(2, 2, rng=0), nn.Dropout(p=0.2)))
    assert any(isinstance(m, torch.nn.Dropout) and m.p == pytest.approx(0.2) for m in converted.modules())


def test_mlp_keep_prob_option_still_adds_dropout():
    model = nn.MLP([3, 4, 1], keep_prob=0.7, rng=0)
    assert [m.keep_prob for m in model.layers if isinstance(m, nn.Dropout)] == [0.7]

# --- Dropout(reseed) ---------------------------------------------------------------------------


def course_dropout_masks(shapes, keep_prob):
    """forward_propagation_with_dropout: np.random.seed(1), then D1, D2 from the one stream."""
    np.random.seed(1)
    return [np.random.rand(*shape) < keep_prob for shape in shapes]


def two_dropouts(keep_prob=0.86):
    masks = np.random.RandomState(1)
    return (nn.Dropout(keep_prob=keep_prob, rng=masks, reseed=1), nn.Dropout(keep_prob=keep_prob, rng=masks))


def test_reseeded_dropout_draws_the_courses_masks_every_pass():
    first, second = two_dropouts()
    A1, A2 = np.random.RandomState(0).rand(20, 211) + 0.1, np.random.RandomState(1).rand(3, 211) + 0.1
    D1, D2 = course_dropout_masks([A1.shape, A2.shape], 0.86)
    for _ in range(3):  # the same masks in every pass
        out1, out2 = first(A1), second(A2)
        np.testing.assert_array_equal(out1.data, A1 * D1 / 0.86)  # bit for bit: mask, then divide
        np.testing.assert_array_equal(out2.data, A2 * D2 / 0.86)


def test_dropout_without_reseed_draws_new_masks():
    layer = nn.Dropout(keep_prob=0.5, rng=0)
    A = np.ones((10, 50))
    assert not np.array_equal(layer(A).data, layer(A).data)


def test_reseeded_dropout_is_off_in_eval_mode():
    first, _ = two_dropouts()
    first.eval()
    A = np.ones((4, 5))
    np.testing.assert_array_equal(first(A).data, A)


def test_dropout_gradient_is_the_courses_masked_gradient():
    first, _ = two_dropouts()
    A = Tensor(np.random.RandomState(2).rand(20, 30), requires_grad=True)
    first(A).sum().backward()
    (D,) = course_dropout_masks([(20, 30)], 0.86)
    np.testing.assert_array_equal(A.grad.data, np.ones((20, 30)) * D / 0.86)


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.Dropout(keep_prob=0.5, reseed=-1), ValueError,
     "Dropout: reseed must be an int in [0, 4294967295] or None"),
    (lambda: nn.Dropout(keep_prob=0.5, reseed=1.5), TypeError, "Dropout: reseed must be an int"),
    (lambda: nn.Dropout(keep_prob=0.5, reseed=True), TypeError, "Dropout: reseed must be an int"),
    (lambda: nn.Dropout(keep_prob=0.5, rng=np.random.default_rng(0), reseed=1), TypeError, "RandomState"),
])
def test_dropout_reseed_refuses_bad_values(make, error, message):
    with pytest.raises(error, match=message.replace("[", r"\[").replace("]", r"\]")):
        make()
