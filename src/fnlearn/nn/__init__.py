"""Modules and layers: ``Module``, ``Dense``, ``Activation``, ``Flatten``, ``Dropout``, ``Sequential``; the merge
layers (:mod:`.merge`), the convolutional ones (:mod:`.conv`; :mod:`.transpose`: Conv2DTranspose; :mod:`.depthwise`:
DepthwiseConv2D, SeparableConv2D) and the other
image layers (:mod:`.image`: padding, cropping, upsampling, data augmentation); the layers for sequences of words
(:mod:`.text`: Embedding, GlobalAveragePooling1D, GlobalMaxPooling1D; :mod:`.vectorize`: TextVectorization) and the
recurrent ones (:mod:`.recurrent`: SimpleRNN, LSTM, GRU, Bidirectional, Masking; :mod:`.cells`: RNN and its
cells); :mod:`.wrappers`:
TimeDistributed, RepeatVector; :mod:`.lookup`: StringLookup, IntegerLookup,
CategoryEncoding; :mod:`.dot`: Dot; :mod:`.attention_simple`: Attention, AdditiveAttention;
:mod:`.normalization`: GroupNormalization, RMSNormalization; :mod:`.noise_more`: AlphaDropout,
ActivityRegularization; :mod:`.conv_more`: Conv1DTranspose, DepthwiseConv1D, SeparableConv1D; :mod:`.crop`:
CenterCrop, RandomCrop, RandomBrightness; :mod:`.volume`: Conv3D and the 3-D poolings;
:mod:`.adaptive`: the adaptive poolings; :mod:`.einsum_dense`: EinsumDense; :mod:`.augment`: the colour
augmentations; :mod:`.augment_more`: the HSV, blur, erasing, shear, perspective and equalization augmentations;
:mod:`.augment_mix`: RandAugment and AugMix; :mod:`.audio`: STFTSpectrogram and MelSpectrogram;
:mod:`.augment_elastic`: RandomElasticTransform and ContrastLimitedAdaptiveHistogramEqualization; :mod:`.residual`:
ConvNeXt's LayerScale and StochasticDepth."""

# the modules of layers are imported for what it does: their layers join the classes a model file may name
from . import (
           adaptive,
           attention,
           attention_simple,
           audio,
           augment,
           augment_elastic,
           augment_mix,
           augment_more,
           cells,
           conv,
           conv_more,
           crop,
           depthwise,
           dot,
           einsum_dense,
           image,
           initializers,
           lookup,
           merge,
           noise_more,
           normalization,
           recurrent,
           residual,
           shape_layers,
           text,
           transpose,
           vectorize,
           volume,
           wrappers,
)
from .layers import Activation, Dense, Dropout, Flatten, Layer
from .module import Module
from .sequential import Sequential

__all__ = ["Module", "Layer", "Dense", "Activation", "Flatten", "Dropout", "Sequential", "initializers", "merge",
           "conv", "depthwise", "image", "text", "transpose", "recurrent", "cells", "vectorize", "attention",
           "wrappers", "lookup", "shape_layers", "dot", "attention_simple", "normalization",
           "noise_more", "conv_more", "crop", "volume", "adaptive", "einsum_dense", "augment",
           "augment_more", "augment_mix", "audio", "augment_elastic", "residual"]
