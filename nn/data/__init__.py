"""Data: the course's datasets (the cat images, planar, digits) and the DeZero book's toy data (spiral, the sine
curve) as ``Dataset`` objects, and ``DataLoader``, which batches them or a dataset of the user's.

Imports ``nn.files`` (reading HDF5) and ``nn.layers`` (what the labels mean, the ``rng=`` rule). ``nn.datasets``
is the public path of these names.
"""

from nn.data.datasets import Dataset, Split, digits, examples_axis, load_course_h5, load_course_split, planar
from nn.data.loader import DataLoader, ExampleDataset
from nn.data.toy import sin_curve, spiral

__all__ = ["Dataset", "Split", "examples_axis", "load_course_h5", "load_course_split", "planar", "digits",
           "spiral", "sin_curve", "DataLoader", "ExampleDataset"]
