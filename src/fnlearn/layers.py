"""``fl.layers``: the layer classes under their Keras names."""

from .nn.layers import (
    LAYERS,
    Activation,
    BatchNormalization,
    Dense,
    Dropout,
    Flatten,
    Layer,
    LeakyReLU,
    Normalization,
    ReLU,
    Softmax,
)

__all__ = ["Layer", "Dense", "Activation", "Softmax", "ReLU", "LeakyReLU", "Flatten", "Dropout", "Normalization",
           "BatchNormalization", "LAYERS"]
