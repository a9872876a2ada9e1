"""``fl.layers``: the layer classes under their Keras names."""

from .nn.adaptive import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from .nn.attention import GroupedQueryAttention, GroupQueryAttention, MultiHeadAttention
from .nn.attention_simple import AdditiveAttention, Attention
from .nn.audio import MelSpectrogram, STFTSpectrogram
from .nn.augment import (
    AutoContrast,
    CutMix,
    MixUp,
    RandomColorDegeneration,
    RandomGrayscale,
    RandomInvert,
    RandomPosterization,
    RandomSharpness,
    Solarization,
)
from .nn.augment_elastic import ContrastLimitedAdaptiveHistogramEqualization, RandomElasticTransform
from .nn.augment_mix import AugMix, RandAugment
from .nn.augment_more import (
    Equalization,
    RandomColorJitter,
    RandomErasing,
    RandomGaussianBlur,
    RandomHue,
    RandomPerspective,
    RandomSaturation,
    RandomShear,
)
from .nn.cells import RNN, GRUCell, LSTMCell, SimpleRNNCell, StackedRNNCells
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
from .nn.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from .nn.conv_more import (
    Conv1DTranspose,
    Convolution1DTranspose,
    Convolution2D,
    DepthwiseConv1D,
    SeparableConv1D,
    SeparableConvolution1D,
)
from .nn.crop import CenterCrop, RandomBrightness, RandomCrop
from .nn.depthwise import DepthwiseConv2D, SeparableConv2D, SeparableConvolution2D
from .nn.dot import Dot
from .nn.einsum_dense import EinsumDense
from .nn.image import (
    Cropping2D,
    RandomContrast,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Resizing,
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
    Lambda,
    Layer,
    LayerNormalization,
    LeakyReLU,
    Normalization,
    ReLU,
    Rescaling,
    Softmax,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from .nn.lookup import CategoryEncoding, Discretization, IntegerLookup, StringLookup
from .nn.merge import Add, Average, Concatenate, Maximum, Merge, Minimum, Multiply, Subtract
from .nn.noise_more import ActivityRegularization, AlphaDropout
from .nn.normalization import GroupNormalization, RMSNormalization
from .nn.recurrent import GRU, LSTM, Bidirectional, Masking, SimpleRNN
from .nn.shape_layers import (
    ELU,
    Cropping1D,
    GaussianDropout,
    GaussianNoise,
    Identity,
    Permute,
    PReLU,
    UnitNormalization,
    UpSampling1D,
    ZeroPadding1D,
)
from .nn.text import (
    AveragePooling1D,
    AvgPool1D,
    Conv1D,
    Convolution1D,
    Embedding,
    GlobalAveragePooling1D,
    GlobalAvgPool1D,
    GlobalMaxPool1D,
    GlobalMaxPooling1D,
    MaxPool1D,
    MaxPooling1D,
    ReversibleEmbedding,
)
from .nn.transpose import Conv2DTranspose, Convolution2DTranspose
from .nn.vectorize import TextVectorization
from .nn.volume import (
    AveragePooling3D,
    AvgPool3D,
    Conv3D,
    Conv3DTranspose,
    Convolution3D,
    Convolution3DTranspose,
    Cropping3D,
    GlobalAveragePooling3D,
    GlobalAvgPool3D,
    GlobalMaxPool3D,
    GlobalMaxPooling3D,
    MaxPool3D,
    MaxPooling3D,
    UpSampling3D,
    ZeroPadding3D,
)
from .nn.wrappers import Pipeline, RepeatVector, SpectralNormalization, TimeDistributed, Wrapper

__all__ = ["Layer", "Dense", "Activation", "Softmax", "ReLU", "LeakyReLU", "Flatten", "Dropout", "Normalization",
           "BatchNormalization", "Merge", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
           "Concatenate", "Conv2D", "MaxPooling2D", "AveragePooling2D", "GlobalAveragePooling2D",
           "GlobalMaxPooling2D", "Reshape", "Rescaling", "MaxPool2D", "AvgPool2D", "GlobalAvgPool2D", "GlobalMaxPool2D",
           "ZeroPadding2D", "Cropping2D", "UpSampling2D", "RandomFlip", "RandomRotation", "RandomZoom",
           "RandomTranslation", "RandomContrast", "Lambda", "LayerNormalization", "SpatialDropout1D",
           "SpatialDropout2D",
           "Conv2DTranspose", "Convolution2DTranspose", "DepthwiseConv2D", "SeparableConv2D",
           "SeparableConvolution2D", "Embedding", "GlobalAveragePooling1D", "GlobalMaxPooling1D",
           "GlobalAvgPool1D", "GlobalMaxPool1D", "Conv1D", "Convolution1D", "MaxPooling1D", "AveragePooling1D",
           "MaxPool1D", "AvgPool1D", "Resizing", "SimpleRNN", "LSTM", "GRU", "Bidirectional", "Masking",
           "RNN", "SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells",
           "TextVectorization", "StringLookup", "IntegerLookup", "CategoryEncoding", "Discretization",
           "MultiHeadAttention", "TimeDistributed", "RepeatVector", "Permute", "Identity", "GaussianNoise",
           "GaussianDropout", "UpSampling1D", "ZeroPadding1D", "Cropping1D", "ELU", "PReLU", "UnitNormalization",
           "Dot", "Attention", "AdditiveAttention", "GroupNormalization", "RMSNormalization",
           "AlphaDropout", "ActivityRegularization", "Convolution2D", "Conv1DTranspose", "Convolution1DTranspose",
           "DepthwiseConv1D", "SeparableConv1D", "SeparableConvolution1D", "CenterCrop", "RandomCrop",
           "RandomBrightness",
           "Conv3D", "Convolution3D", "MaxPooling3D", "AveragePooling3D", "GlobalAveragePooling3D",
           "GlobalMaxPooling3D", "MaxPool3D", "AvgPool3D", "GlobalAvgPool3D", "GlobalMaxPool3D",
           "ZeroPadding3D", "Cropping3D", "UpSampling3D", "SpatialDropout3D", "ConvLSTM1D", "ConvLSTM2D",
           "ConvLSTM3D", "Conv3DTranspose", "Convolution3DTranspose",
           "AdaptiveAveragePooling1D", "AdaptiveMaxPooling1D", "AdaptiveAveragePooling2D",
           "AdaptiveMaxPooling2D", "AdaptiveAveragePooling3D", "AdaptiveMaxPooling3D", "EinsumDense",
           "GroupQueryAttention", "GroupedQueryAttention",
           "SpectralNormalization", "Wrapper", "Pipeline", "ReversibleEmbedding", "RandomInvert", "Solarization",
           "RandomPosterization",
           "RandomSharpness", "RandomColorDegeneration", "RandomGrayscale", "AutoContrast", "MixUp", "CutMix",
           "RandomSaturation", "RandomHue", "RandomColorJitter", "RandomGaussianBlur", "RandomErasing", "RandomShear",
           "RandomPerspective", "Equalization", "RandAugment", "AugMix", "STFTSpectrogram", "MelSpectrogram",
           "RandomElasticTransform", "ContrastLimitedAdaptiveHistogramEqualization",
           "LAYERS"]
