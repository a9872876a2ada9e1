"""``keras.applications.resnet50``: ResNet50, its preprocessing and ImageNet's class names, as in
:mod:`fnlearn.keras.applications.resnet`.

Example:
    >>> from fnlearn.keras.applications import resnet50
    >>> resnet50.preprocess_input([[[255, 0, 0]]]).astype(float).round(2).tolist()
    [[[-103.94, -116.78, 131.32]]]
"""

from __future__ import annotations

from .._missing import not_provided
from .imagenet_utils import decode_predictions
from .resnet import ResNet50, preprocess_input

__all__ = ["ResNet50", "preprocess_input", "decode_predictions"]

__getattr__ = not_provided(__name__, __all__)
