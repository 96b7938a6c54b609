"""Model summaries and reprs: each layer in course notation with its parameter counts, a shared layer once."""

import re

import nn

# ----- 3. parameter counts --------------------------------------------------------------------------------------

def test_summary_lists_each_layer_in_course_notation_with_counts():
    model = nn.MLP([2, 4, 1], hidden="tanh", task=nn.Task("binary", ["red", "blue"]))
    text = model.summary()
    assert isinstance(text, str) and repr(text) == str(text)  # a notebook shows the table, not an escaped string
    lines = text.splitlines()
    assert lines[0] == "MLP(layer_dims=[2, 4, 1], hidden='tanh', output='sigmoid')"
    assert re.fullmatch(r"1 +Linear +W1 \(4, 2\), b1 \(4, 1\) +12 +Z1 \(4, m\)", lines[2])
    assert re.fullmatch(r" +Tanh +A1 \(4, m\)", lines[3])
    assert re.fullmatch(r"2 +Linear +W2 \(1, 4\), b2 \(1, 1\) +5 +Z2 \(1, m\)", lines[4])
    assert lines[-2:] == ["total: 17 parameters (W: 12, b: 5)", "task: binary (red, blue), outputs probabilities"]
    assert nn.summary(model) == text


def test_a_shared_layer_is_counted_once_in_the_summary():
    lin = nn.Linear(3, 3)
    text = nn.Sequential(lin, nn.ReLU(), lin, nn.Sigmoid()).summary()
    assert "shared" in text and "total: 12 parameters" in text


def test_reprs_show_parameter_counts():
    assert repr(nn.Linear(2, 4)) == "Linear(n_in=2, n_out=4: W (4, 2), b (4, 1), params=12)"
    seq = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    assert repr(seq).splitlines()[0] == "Sequential(  # params=17"
    assert repr(nn.MLP([2, 4, 1])).splitlines()[0] == ("MLP(layer_dims=[2, 4, 1], hidden='relu', "
                                                        "output='sigmoid', params=17)")
    assert nn.MLP([12288, 20, 7, 5, 1]).count_parameters() == 12288 * 20 + 20 + 20 * 7 + 7 + 7 * 5 + 5 + 5 + 1
