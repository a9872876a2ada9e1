"""``fl.layers``: the layer classes under their Keras names."""

from .nn.conv import (
    AveragePooling2D,
    AvgPool2D,
    Conv2D,
    GlobalAveragePooling2D,
    GlobalAvgPool2D,
    GlobalMaxPool2D,
    GlobalMaxPooling2D,
    MaxPool2D,
    MaxPooling2D,
    Reshape,
)
from .nn.image import (
    Cropping2D,
    RandomContrast,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    UpSampling2D,
    ZeroPadding2D,
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
           "GlobalMaxPooling2D", "Reshape", "Rescaling", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D",
           "ZeroPadding2D", "Cropping2D", "UpSampling2D", "RandomFlip", "RandomRotation", "RandomZoom",
           "RandomTranslation", "RandomContrast", "LAYERS"]
