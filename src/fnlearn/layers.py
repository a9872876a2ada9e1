"""``fl.layers``: the layer classes under their Keras names."""

from .nn.layers import LAYERS, Activation, Dense, Dropout, Flatten, Layer

__all__ = ["Layer", "Dense", "Activation", "Flatten", "Dropout", "LAYERS"]
