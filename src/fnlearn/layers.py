"""``fl.layers``: the layer classes under their Keras names."""

from .nn.conv import (
    AveragePooling2D,
    Conv2D,
    GlobalAveragePooling2D,
    GlobalMaxPooling2D,
    MaxPooling2D,
    Reshape,
)
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
    Rescaling,
    Softmax,
)
from .nn.merge import Add, Average, Concatenate, Maximum, Merge, Minimum, Multiply, Subtract

__all__ = ["Layer", "Dense", "Activation", "Softmax", "ReLU", "LeakyReLU", "Flatten", "Dropout", "Normalization",
           "BatchNormalization", "Merge", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
           "Concatenate", "Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
           "GlobalMaxPooling2D", "Reshape", "Rescaling", "LAYERS"]
