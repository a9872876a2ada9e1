"""``keras.applications``: the classic ImageNet architectures, with Keras's layers, names and weight files, for
transfer learning.

``keras.applications.MobileNetV2(input_shape=(160, 160, 3), include_top=False, weights="imagenet")`` builds the
model and loads Keras's official ImageNet weights (downloaded once into Keras's cache, ``~/.keras/models``, with
Keras's URL and hash, and read by layer name, or layer after layer where an older file names its layers otherwise,
as Keras reads them); freeze it (``base.trainable = False``), add a head and train. Each model's module (``vgg16``,
``vgg19``, ``resnet50``, ``resnet``, ``resnet_v2``, ``mobilenet``, ``mobilenet_v2``, ``mobilenet_v3``, ``xception``,
``inception_v3``, ``inception_resnet_v2``, ``densenet``, ``efficientnet``, ``efficientnet_v2``, ``convnext``,
``nasnet``) also has its ``preprocess_input`` and ``decode_predictions``; ``imagenet_utils`` has both with every
mode.

Example:
    >>> from fnlearn.keras import applications
    >>> base = applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None, pooling="avg")
    >>> base.output_shape
    (None, 1280)
"""

from __future__ import annotations

from .._missing import not_provided
from . import (
    convnext,
    densenet,
    efficientnet,
    efficientnet_v2,
    imagenet_utils,
    inception_resnet_v2,
    inception_v3,
    mobilenet,
    mobilenet_v2,
    mobilenet_v3,
    nasnet,
    resnet,
    resnet50,
    resnet_v2,
    vgg16,
    vgg19,
    xception,
)
from .convnext import ConvNeXtBase, ConvNeXtLarge, ConvNeXtSmall, ConvNeXtTiny, ConvNeXtXLarge
from .densenet import DenseNet121, DenseNet169, DenseNet201
from .efficientnet import (
    EfficientNetB0,
    EfficientNetB1,
    EfficientNetB2,
    EfficientNetB3,
    EfficientNetB4,
    EfficientNetB5,
    EfficientNetB6,
    EfficientNetB7,
)
from .efficientnet_v2 import (
    EfficientNetV2B0,
    EfficientNetV2B1,
    EfficientNetV2B2,
    EfficientNetV2B3,
    EfficientNetV2L,
    EfficientNetV2M,
    EfficientNetV2S,
)
from .inception_resnet_v2 import InceptionResNetV2
from .inception_v3 import InceptionV3
from .mobilenet import MobileNet
from .mobilenet_v2 import MobileNetV2
from .mobilenet_v3 import MobileNetV3Large, MobileNetV3Small
from .nasnet import NASNetLarge, NASNetMobile
from .resnet import ResNet50, ResNet101, ResNet152
from .resnet_v2 import ResNet50V2, ResNet101V2, ResNet152V2
from .vgg16 import VGG16
from .vgg19 import VGG19
from .xception import Xception

__all__ = ["VGG16", "VGG19", "ResNet50", "ResNet101", "ResNet152", "ResNet50V2", "ResNet101V2", "ResNet152V2",
           "MobileNet", "MobileNetV2", "MobileNetV3Small", "MobileNetV3Large", "Xception", "InceptionV3",
           "InceptionResNetV2", "DenseNet121", "DenseNet169", "DenseNet201", "EfficientNetB0", "EfficientNetB1",
           "EfficientNetB2", "EfficientNetB3", "EfficientNetB4", "EfficientNetB5", "EfficientNetB6", "EfficientNetB7",
           "EfficientNetV2B0", "EfficientNetV2B1", "EfficientNetV2B2", "EfficientNetV2B3", "EfficientNetV2S",
           "EfficientNetV2M", "EfficientNetV2L", "ConvNeXtTiny", "ConvNeXtSmall", "ConvNeXtBase", "ConvNeXtLarge",
           "ConvNeXtXLarge", "NASNetMobile", "NASNetLarge", "vgg16", "vgg19", "resnet", "resnet50", "resnet_v2",
           "mobilenet", "mobilenet_v2", "mobilenet_v3", "densenet", "xception", "inception_v3", "inception_resnet_v2",
           "efficientnet", "efficientnet_v2", "convnext", "nasnet", "imagenet_utils"]

__getattr__ = not_provided(__name__, __all__)
