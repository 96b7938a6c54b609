"""Files: the HDF5 model format, atomic writes, and the bridges to ONNX and PyTorch.

Imports ``nn.layers`` (what a file holds) and the engine; never training or data.
"""
