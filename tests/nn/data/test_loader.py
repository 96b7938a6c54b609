"""nn.datasets.DataLoader and the dataset protocol (issue 26): course-layout batches from an nn Dataset, a class of
the user's, a list of pairs and images; orders from rng; the fast path equals the example-by-example one."""

import numpy as np
import pytest

import nn
from nn.data.loader import DataLoader, ExampleDataset
from nn.datasets import Dataset
from tinygrad_nb import Tensor, jit


def small(m=10, n_x=3):
    r = np.random.RandomState(0)
    return Dataset(r.randn(n_x, m), (r.rand(1, m) > 0.5).astype(float), ["no", "yes"], name="small")


def test_dataset_is_the_protocol_len_m_and_item_i_a_column():
    data = small()
    assert isinstance(data, ExampleDataset) and len(data) == 10
    x, y = data[3]
    np.testing.assert_array_equal(x, data.X[:, 3])
    np.testing.assert_array_equal(y, data.Y[:, 3])
    np.testing.assert_array_equal(data[-1][0], data.X[:, 9])
    X, Y, classes = data  # unpacking as before
    assert X is data.X and classes == ["no", "yes"]


def test_dataset_item_errors_name_the_dataset():
    with pytest.raises(IndexError, match="'small'.*index 10.*m = 10"):
        small()[10]
    with pytest.raises(TypeError, match="DataLoader"):
        small()[1:3]


def test_unshuffled_batches_are_the_columns_in_order_the_last_smaller():
    data = small()
    batches = list(DataLoader(data, 4, shuffle=False))
    assert [X.shape for X, _ in batches] == [(3, 4), (3, 4), (3, 2)]
    np.testing.assert_array_equal(np.concatenate([X for X, _ in batches], axis=1), data.X)
    np.testing.assert_array_equal(np.concatenate([Y for _, Y in batches], axis=1), data.Y)
    assert len(DataLoader(data, 4)) == 3 and len(DataLoader(data, 4, drop_last=True)) == 2
    assert [X.shape[1] for X, _ in DataLoader(data, 4, drop_last=True)] == [4, 4]


def test_shuffle_with_rng_none_is_dezeros_np_random_permutation():
    data = small()
    np.random.seed(5)
    X = np.concatenate([X for X, _ in DataLoader(data, 3)], axis=1)
    np.random.seed(5)
    order = np.random.permutation(10)  # what DeZero's DataLoader.reset draws
    np.testing.assert_array_equal(X, data.X[:, order])


def test_an_int_rng_fixes_every_epochs_order_and_epochs_differ():
    data = small()
    first = [np.concatenate([Y for _, Y in DataLoader(data, 4, rng=7)], axis=1)]
    loader = DataLoader(data, 4, rng=7)
    epochs = [np.concatenate([X for X, _ in loader], axis=1) for _ in range(2)]
    again = DataLoader(data, 4, rng=7)
    np.testing.assert_array_equal(np.concatenate([X for X, _ in again], axis=1), epochs[0])
    r = np.random.RandomState(7)
    np.testing.assert_array_equal(epochs[0], data.X[:, r.permutation(10)])
    np.testing.assert_array_equal(epochs[1], data.X[:, r.permutation(10)])
    assert first[0].shape == (1, 10)


class Squares:
    """A dataset of the user's, DeZero style: only the two methods; x (1,), y a number."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.array([i / 7]), (i / 7) ** 2


def test_a_class_of_the_users_is_stacked_into_columns():
    assert isinstance(Squares(), ExampleDataset)
    (X1, Y1), (X2, Y2) = list(DataLoader(Squares(), 4, shuffle=False))
    np.testing.assert_array_equal(X1, [[0, 1 / 7, 2 / 7, 3 / 7]])
    np.testing.assert_array_equal(Y2, [[(4 / 7) ** 2, (5 / 7) ** 2, (6 / 7) ** 2]])
    assert X2.shape == (1, 3)


def test_a_list_of_pairs_and_images_stay_examples_first():
    r = np.random.RandomState(1)
    images = [(r.rand(5, 5, 2), np.array([i % 2])) for i in range(6)]
    X, Y = next(iter(DataLoader(images, 4, shuffle=False)))
    assert X.shape == (4, 5, 5, 2) and Y.shape == (1, 4)
    np.testing.assert_array_equal(X[2], images[2][0])
    data = Dataset(np.stack([x for x, _ in images]), np.array([[y[0] for _, y in images]]), ["a", "b"])
    Xd, Yd = next(iter(DataLoader(data, 4, shuffle=False)))  # the fast path over images (m, n_H, n_W, n_C)
    np.testing.assert_array_equal(Xd, X)
    np.testing.assert_array_equal(Yd, Y)


class ByExample(Dataset):
    """A subclass with its own __getitem__: the loader must call it, not slice X."""

    def __getitem__(self, i):
        x, y = super().__getitem__(i)
        return x * 2, y


def test_the_fast_path_equals_example_by_example_and_respects_overrides():
    data = small(m=11)
    wrapped = [data[i] for i in range(len(data))]  # a list: the per-example path
    for fast, slow in zip(DataLoader(data, 4, rng=3), DataLoader(wrapped, 4, rng=3)):
        np.testing.assert_array_equal(fast[0], slow[0])
        np.testing.assert_array_equal(fast[1], slow[1])
    doubled = ByExample(data.X, data.Y, data.classes)
    X, _ = next(iter(DataLoader(doubled, 11, shuffle=False)))
    np.testing.assert_array_equal(X, 2 * data.X)


def test_transforms_apply_to_each_example():
    data = small()
    noisy = Dataset(data.X, data.Y, data.classes, transform=lambda x: x + 1, target_transform=lambda y: 1 - y)
    X, Y = next(iter(DataLoader(noisy, 10, shuffle=False)))
    np.testing.assert_array_equal(X, data.X + 1)
    np.testing.assert_array_equal(Y, 1 - data.Y)
    assert noisy.split(0.2).transform is noisy.transform
    with pytest.raises(TypeError, match="transform must be a function"):
        Dataset(data.X, data.Y, data.classes, transform=3)


def test_a_hand_written_jitted_loop_over_the_loader_equals_eager():
    data = small(m=10)

    def train(use_jit):
        model = nn.MLP([3, 4, 1], rng=0)
        opt = nn.optim.SGD(model.parameters(), lr=0.5)

        def step(X, Y):
            J = nn.binary_cross_entropy(model(Tensor(X)), Y)
            opt.zero_grad()
            J.backward()
            opt.step()
            return J

        run = jit(step) if use_jit else step
        costs = [run(X, Y).item() for _ in range(5) for X, Y in DataLoader(data, 4, rng=1)]
        return costs, model.state_dict()

    (c1, s1), (c2, s2) = train(False), train(True)
    assert c1 == c2 and len(c1) == 15
    for k in s1:
        np.testing.assert_array_equal(s1[k], s2[k])


@pytest.mark.parametrize("make, error, message", [
    (lambda: DataLoader(np.zeros((3, 4)), 2), TypeError, "nn.datasets.Dataset"),
    (lambda: DataLoader((np.zeros((3, 4)), np.zeros((1, 4))), 2), TypeError, "pair of arrays"),
    (lambda: DataLoader(3, 2), TypeError, "__len__ and __getitem__"),
    (lambda: DataLoader(small(), 0), ValueError, "batch_size"),
    (lambda: DataLoader(small(), 2, shuffle=1), TypeError, "shuffle"),
    (lambda: DataLoader(small(), 2, rng="x"), TypeError, "DataLoader: rng"),
    (lambda: DataLoader([], 2), ValueError, "no examples"),
    (lambda: DataLoader(small(), 20, drop_last=True), ValueError, "drop_last"),
    (lambda: list(DataLoader([1, 2], 2)), TypeError, r"dataset\[\d\] must be one example as a pair"),
    (lambda: list(DataLoader([(np.zeros(2), 1), (np.zeros(3), 1)], 2)), ValueError, "differ in shape"),
    (lambda: list(DataLoader([(np.zeros(2), np.zeros((2, 2)))], 1)), ValueError, "number or a vector"),
    (lambda: list(DataLoader([(np.zeros(2), None)], 1)), ValueError, "no y"),
])
def test_bad_datasets_and_options_are_refused(make, error, message):
    with pytest.raises(error, match=message):
        make()
