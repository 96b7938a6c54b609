"""Data: the course's datasets (the cat images, planar, moons, circles, digits) as ``Dataset`` objects.

Imports ``nn.files`` (reading HDF5) and ``nn.layers.task`` (what the labels mean).
"""
