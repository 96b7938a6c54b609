"""nn: networks in the course's layout, built on tinygrad_nb.

>>> import numpy as np
>>> import nn
>>> model = nn.MLP([2, 4, 1], hidden="tanh", rng=1)
>>> sorted(model.state_dict())
['W1', 'W2', 'b1', 'b2']
>>> model(np.zeros((2, 3))).shape
(1, 3)
"""

from nn import datasets, defaults, init, optim, utils
from nn.data.loader import DataLoader, ExampleDataset
from nn.files.onnx_bridge import export_onnx, to_onnx
from nn.files.serialization import load, save
from nn.files.torch_bridge import from_torch, save_torch_state_dict, to_torch
from nn.layers.activations import Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from nn.layers.batchnorm import BatchNorm
from nn.layers.containers import MLP, Sequential
from nn.layers.conv import AvgPool2D, Conv2D, MaxPool2D
from nn.layers.dense import Linear
from nn.layers.dropout import Dropout
from nn.layers.embedding import Embedding
from nn.layers.flatten import Flatten
from nn.layers.lists import ModuleList, ParameterList
from nn.layers.module import Module, Parameter, UnregisteredWarning
from nn.layers.recurrent import LSTM, RNN, LSTMCell, RNNCell
from nn.layers.summary import summary
from nn.layers.task import Task, TaskMismatchError, check_task
from nn.training.defaults import Settings, default_settings
from nn.training.divergence import DeadNetworkWarning, DivergenceWarning, OscillatingCostWarning, TrainingWarning
from nn.training.loop import Costs, fit
from nn.training.losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    MSELoss,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l2_penalty,
    mse,
)
from nn.training.metrics import accuracy, confusion_matrix, predict
from nn.training.reference import (
    ClosedFormReport,
    check_against_closed_form,
    closed_form_backward,
    closed_form_forward,
)
from nn.training.sampling import sample_index
from tinygrad_nb import register_library

__all__ = [
    "Module", "Parameter", "Linear", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "Softmax", "Identity", "Dropout",
    "Conv2D", "MaxPool2D", "AvgPool2D", "BatchNorm", "Flatten", "Sequential", "MLP", "ModuleList", "ParameterList",
    "UnregisteredWarning", "DataLoader", "ExampleDataset",
    "RNNCell", "RNN", "LSTMCell", "LSTM", "Embedding", "sample_index",
    "init", "optim", "datasets", "utils",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "mse", "l2_penalty",
    "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss",
    "fit", "Costs", "predict", "accuracy", "confusion_matrix", "DivergenceWarning", "DeadNetworkWarning",
    "OscillatingCostWarning", "TrainingWarning", "defaults", "default_settings", "Settings",
    "check_against_closed_form", "closed_form_forward", "closed_form_backward", "ClosedFormReport",
    "save", "load", "summary", "Task", "TaskMismatchError", "check_task",
    "export_onnx", "to_onnx", "to_torch", "from_torch", "save_torch_state_dict",
]

register_library("nn")  # the jit trusts this package's code to keep its contract
