"""Layers: ``Module`` and its containers, the dense layer, activations, dropout, flatten, initialisers.

Course layout throughout: A[l-1] is (n[l-1], m), one example per column; W[l] is (n[l], n[l-1]);
b[l] is (n[l], 1). Imports ``nn.validate`` and the engine only.
"""
