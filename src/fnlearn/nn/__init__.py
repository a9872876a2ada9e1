"""Modules and layers: ``Module``, ``Dense``, ``Activation``, ``Flatten``, ``Dropout``, ``Sequential``; the merge
layers (:mod:`.merge`) and the convolutional ones (:mod:`.conv`)."""

from . import conv, initializers, merge  # merge, conv: their layers join the classes a model file may name
from .layers import Activation, Dense, Dropout, Flatten, Layer
from .module import Module
from .sequential import Sequential

__all__ = ["Module", "Layer", "Dense", "Activation", "Flatten", "Dropout", "Sequential", "initializers", "merge",
           "conv"]
