"""fit's checks of the data and the loss before training: transposed data gets a did-you-mean, a loss that
cannot take the output is refused with the fix, custom losses and models are accepted."""

import re

import numpy as np
import pytest

import nn

# ----- 4. transposed data ---------------------------------------------------------------------------------------

def test_data_with_examples_as_rows_gets_did_you_mean_the_transpose():
    model = nn.MLP([3, 5, 1], rng=0)
    with pytest.raises(ValueError, match=r"Linear 1 expects X with 3 rows, got \(10, 3\) .*did you mean X\.T\? "
                                         r"\(10, 3\) looks like 10 examples as rows of 3 features"):
        model(np.ones((10, 3)))
    with pytest.raises(ValueError, match=r"did you mean A1\.T\?"):
        model.linears()[1](np.ones((7, 5)))
    with pytest.raises(ValueError) as err:
        model(np.ones((4, 10)))  # simply the wrong size: no transpose would fit
    assert "did you mean" not in str(err.value)


# --- 8. messages that name the fix --------------------------------------------------------------------------


@pytest.mark.parametrize("transform, hint", [
    (lambda X, Y: (X.T, Y), r"did you mean X\.T\?"),
    (lambda X, Y: (X, Y.T), r"did you mean Y\.T\?"),
    (lambda X, Y: (X.T, Y.T), r"did you mean X\.T and Y\.T\?"),
])
def test_transposed_data_gets_a_did_you_mean(transform, hint):
    X, Y = np.random.RandomState(0).rand(5, 30), np.ones((1, 30))
    with pytest.raises(ValueError, match=hint):
        nn.fit(nn.MLP([5, 3, 1]), *transform(X, Y), num_iterations=1)
    model = nn.MLP([5, 3, 1])
    with pytest.raises(ValueError, match=r"expects X with 5 rows \(n_x = n\[0\] = 5\).*did you mean X\.T\?"):
        nn.predict(model, X.T[:7])  # 7 examples of 5 features, one per row
    with pytest.raises(ValueError, match=r"did you mean X\.T\?"):
        nn.accuracy(model, X.T, Y)


@pytest.mark.parametrize("output, loss, fix", [
    ("sigmoid", "cross_entropy", "output='identity'"),
    ("softmax", nn.CrossEntropyLoss(), "output='identity'"),
    ("identity", "binary_cross_entropy", "binary_cross_entropy_with_logits"),
    ("sigmoid", "binary_cross_entropy_with_logits", "loss='binary_cross_entropy'"),
    ("softmax", "binary_cross_entropy", "loss='cross_entropy'"),
])
def test_a_loss_that_cannot_take_the_output_is_refused_with_the_fix(output, loss, fix):
    n_y = 3 if output == "softmax" else 1
    model = nn.MLP([2, 4, n_y], output=output, rng=0)
    with pytest.raises(ValueError, match=re.escape(fix)):
        nn.fit(model, np.ones((2, 4)), np.zeros((1, 4)), loss=loss, num_iterations=1, print_cost=False)


def test_a_custom_loss_and_a_custom_model_are_accepted():
    model = nn.MLP([2, 4, 1], output="sigmoid", rng=0)
    costs = nn.fit(model, np.ones((2, 4)), np.zeros((1, 4)), loss=lambda A, Y: ((A - Y) ** 2).mean(),
                   num_iterations=1, print_cost=False)
    assert np.isfinite(costs).all()


def test_a_dropout_after_the_output_layer_does_not_hide_a_mismatched_loss():
    model = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Dropout(keep_prob=0.9, rng=0))
    with pytest.raises(ValueError, match=re.escape("output='identity'")):
        nn.fit(model, np.ones((2, 4)), np.zeros((1, 4)), loss="cross_entropy", num_iterations=1, print_cost=False)
