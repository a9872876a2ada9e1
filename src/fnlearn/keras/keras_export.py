"""fnlearn models written as real Keras 3 ``.keras`` files, which ``keras.models.load_model`` reads.

The reverse of :mod:`fnlearn.keras.keras_files`: fnlearn's config of a model (its ``get_config()``, whose layer
settings mostly carry Keras's names already) becomes Keras's serialized model, the ``config.json`` of the zip;
the weights go into ``model.weights.h5`` in the layout Keras's saving code walks (``layers/<name>/vars/<i>``, a
recurrent layer's under ``layers/<name>/cell/vars/<i>``), named as :mod:`~fnlearn.keras.keras_files` reads them.
Every layer and setting is checked before anything is written; one Keras cannot take is refused in one sentence.

Example:
    >>> import os, tempfile
    >>> from fnlearn import keras
    >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.keras")
    >>> export_keras(model, path)
    >>> keras.models.load_model(path).count_params()
    8
"""

from __future__ import annotations

import datetime
import io as _io
import json
import os
import warnings
import zipfile
from typing import Any

import numpy as np

from ..errors import ConfigError, FnlearnError, ModelFileError
from ..losses import Loss, reduction_for_keras
from .initializers import keras_form
from .keras_files import _CHILDREN, _MODEL_CLASSES, _snake, _unique

__all__ = ["export_keras"]

_KERAS_VERSION = "3.15.1"  # the Keras whose file layout this writes
_WEIGHTS = ("kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
            "activity_regularizer", "kernel_constraint", "bias_constraint")
_RECURRENT = ("units", "activation", "use_bias", "recurrent_initializer", "recurrent_regularizer",
              "recurrent_constraint", "dropout", "recurrent_dropout", "seed", "return_sequences", "return_state",
              "go_backwards", "stateful", "unroll", *_WEIGHTS)
_NORMALIZING = ("axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer", "beta_regularizer",
                "gamma_regularizer", "beta_constraint", "gamma_constraint")
_POOLING = ("pool_size", "strides", "padding", "data_format")
_CONVOLUTION = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation",
                "use_bias", *_WEIGHTS)
_TRANSPOSED = ("filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate",
               "activation", "use_bias", *_WEIGHTS)
# The settings each Keras layer class takes (its __init__'s arguments), for the layers written
_SETTINGS: dict[str, tuple[str, ...]] = {
    "Dense": ("units", "activation", "use_bias", *_WEIGHTS),
    "EinsumDense": ("equation", "output_shape", "activation", "bias_axes", *_WEIGHTS),
    "Dropout": ("rate", "noise_shape", "seed"),
    "Flatten": ("data_format",),
    "Activation": ("activation",),
    "Conv2D": _CONVOLUTION,
    "MaxPooling2D": _POOLING,
    "AveragePooling2D": _POOLING,
    "GlobalAveragePooling2D": ("data_format", "keepdims"),
    "Conv3D": _CONVOLUTION,
    "Conv3DTranspose": _TRANSPOSED,
    "MaxPooling3D": _POOLING,
    "AveragePooling3D": _POOLING,
    "GlobalAveragePooling3D": ("data_format", "keepdims"),
    "GlobalMaxPooling3D": ("data_format", "keepdims"),
    "AdaptiveAveragePooling1D": ("output_size", "data_format"),
    "AdaptiveMaxPooling1D": ("output_size", "data_format"),
    "AdaptiveAveragePooling2D": ("output_size", "data_format"),
    "AdaptiveMaxPooling2D": ("output_size", "data_format"),
    "AdaptiveAveragePooling3D": ("output_size", "data_format"),
    "AdaptiveMaxPooling3D": ("output_size", "data_format"),
    "ZeroPadding3D": ("padding", "data_format"),
    "Cropping3D": ("cropping", "data_format"),
    "UpSampling3D": ("size", "data_format"),
    "BatchNormalization": ("momentum", "moving_mean_initializer", "moving_variance_initializer", "synchronized",
                           *_NORMALIZING),
    "LayerNormalization": ("rms_scaling", *_NORMALIZING),
    "ReversibleEmbedding": ("input_dim", "output_dim", "tie_weights", "embeddings_initializer",
                            "embeddings_regularizer", "embeddings_constraint", "mask_zero", "reverse_dtype",
                            "logit_soft_cap"),
    "Embedding": ("input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer",
                  "embeddings_constraint", "mask_zero"),
    "SimpleRNN": _RECURRENT,
    "LSTM": ("recurrent_activation", "unit_forget_bias", *_RECURRENT),
    "GRU": ("recurrent_activation", "reset_after", *_RECURRENT),
    "Concatenate": ("axis",),
    "Add": (), "Subtract": (), "Multiply": (), "Average": (), "Maximum": (), "Minimum": (),
    "Normalization": ("axis", "mean", "variance", "invert"),
    # vocabulary layers: an adapted one's vocabulary (and tf_idf's weights) in its config, as Keras's
    # TextVectorization(vocabulary=…, idf_weights=…) takes them, so no assets are needed beside the weights
    "TextVectorization": ("max_tokens", "standardize", "split", "ngrams", "output_mode", "output_sequence_length",
                          "pad_to_max_tokens", "vocabulary", "idf_weights", "encoding"),
    "StringLookup": ("max_tokens", "num_oov_indices", "mask_token", "oov_token", "vocabulary", "idf_weights",
                     "invert", "output_mode", "pad_to_max_tokens", "encoding"),
    "IntegerLookup": ("max_tokens", "num_oov_indices", "mask_token", "oov_token", "vocabulary", "vocabulary_dtype",
                      "idf_weights", "invert", "output_mode", "pad_to_max_tokens"),
    "Rescaling": ("scale", "offset"),
    "Reshape": ("target_shape",),
    "Conv1D": _CONVOLUTION,
    "Conv2DTranspose": _TRANSPOSED,
    "MaxPooling1D": _POOLING,
    "AveragePooling1D": _POOLING,
    "GlobalMaxPooling2D": ("data_format", "keepdims"),
    "GlobalAveragePooling1D": ("data_format", "keepdims"),
    "GlobalMaxPooling1D": ("data_format", "keepdims"),
    "UpSampling1D": ("size",),
    "UpSampling2D": ("size", "data_format", "interpolation"),
    "ZeroPadding1D": ("padding", "data_format"),
    "ZeroPadding2D": ("padding", "data_format"),
    "Cropping1D": ("cropping",),
    "Cropping2D": ("cropping", "data_format"),
    "ReLU": ("max_value", "negative_slope", "threshold"),
    "LeakyReLU": ("negative_slope",),
    "ELU": ("alpha",),
    "Softmax": ("axis",),
    "RepeatVector": ("n",),
    "Permute": ("dims",),
    "Identity": (),
    "UnitNormalization": ("axis",),
    "SpatialDropout1D": ("rate", "seed"),
    "SpatialDropout2D": ("rate", "seed", "data_format"),
    "SpatialDropout3D": ("rate", "seed", "data_format"),
    "GaussianNoise": ("stddev", "seed"),
    "GaussianDropout": ("rate", "seed"),
    "PReLU": ("alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"),
    "TimeDistributed": ("layer",),
    "SpectralNormalization": ("layer", "power_iterations"),
    "Pipeline": ("layers",),
    "Bidirectional": ("layer", "merge_mode"),  # Keras makes the backward layer, the mirror, itself
    "MultiHeadAttention": ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "use_gate", "output_shape",
                           "attention_axes", "sliding_window", "flash_attention", "seed", *_WEIGHTS),
    "GroupedQueryAttention": ("head_dim", "num_query_heads", "num_key_value_heads", "dropout", "use_bias", "use_gate",
                              "sliding_window", "flash_attention", "seed", *_WEIGHTS),
    "Attention": ("use_scale", "score_mode", "dropout", "seed"),
    "AdditiveAttention": ("use_scale", "dropout", "seed"),
    "Masking": ("mask_value",),
    "Dot": ("axes", "normalize"),
    "RNN": ("cell", "return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask"),
    "StackedRNNCells": ("cells",),
    "GroupNormalization": ("groups", "axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
                           "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"),
    "RMSNormalization": ("axis", "epsilon"),
    "Conv1DTranspose": _TRANSPOSED,
    "AlphaDropout": ("rate", "noise_shape", "seed"),
    "ActivityRegularization": ("l1", "l2"),
    "CenterCrop": ("height", "width", "data_format"),
    "Resizing": ("height", "width", "interpolation", "crop_to_aspect_ratio", "pad_to_aspect_ratio", "fill_mode",
                 "fill_value", "antialias", "data_format"),
    "CategoryEncoding": ("num_tokens", "output_mode"),
    "Discretization": ("bin_boundaries", "num_bins", "epsilon", "output_mode"),
    # the augmentation layers: active in training only, in both libraries
    "RandomFlip": ("mode", "seed", "data_format"),
    "RandomRotation": ("factor", "fill_mode", "interpolation", "seed", "fill_value", "data_format"),
    "RandomZoom": ("height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value",
                   "data_format"),
    "RandomTranslation": ("height_factor", "width_factor", "fill_mode", "interpolation", "seed", "fill_value",
                          "data_format"),
    "RandomContrast": ("factor", "value_range", "seed", "data_format"),
    "RandomBrightness": ("factor", "value_range", "seed", "data_format"),
    "RandomInvert": ("factor", "value_range", "seed", "data_format"),
    "Solarization": ("addition_factor", "threshold_factor", "value_range", "seed", "data_format"),
    "RandomPosterization": ("factor", "value_range", "seed", "data_format"),
    "RandomSharpness": ("factor", "value_range", "seed", "data_format"),
    "RandomColorDegeneration": ("factor", "value_range", "seed", "data_format"),
    "RandomGrayscale": ("factor", "seed", "data_format"),
    "AutoContrast": ("value_range", "data_format"),
    "MixUp": ("alpha", "seed", "data_format"),
    "CutMix": ("factor", "seed", "data_format"),
    "RandomSaturation": ("factor", "value_range", "seed", "data_format"),
    "RandomHue": ("factor", "value_range", "seed", "data_format"),
    "RandomColorJitter": ("value_range", "brightness_factor", "contrast_factor", "saturation_factor", "hue_factor",
                          "seed", "data_format"),
    "RandomGaussianBlur": ("factor", "kernel_size", "sigma", "value_range", "seed", "data_format"),
    "RandomErasing": ("factor", "scale", "fill_value", "value_range", "seed", "data_format"),
    "RandomShear": ("x_factor", "y_factor", "interpolation", "fill_mode", "fill_value", "seed", "data_format"),
    "RandomPerspective": ("factor", "scale", "interpolation", "fill_value", "seed", "data_format"),
    "Equalization": ("value_range", "bins", "data_format"),
    "RandomElasticTransform": ("factor", "scale", "interpolation", "fill_mode", "fill_value", "value_range", "seed",
                               "data_format"),
    "ContrastLimitedAdaptiveHistogramEqualization": ("value_range", "clip_limit", "tile_grid_size", "data_format"),
    "RandAugment": ("value_range", "num_ops", "factor", "interpolation", "seed", "data_format"),
    "AugMix": ("value_range", "num_chains", "chain_depth", "factor", "alpha", "all_ops", "interpolation", "seed",
               "data_format"),
    "RandomCrop": ("height", "width", "seed", "data_format"),
    "STFTSpectrogram": ("mode", "frame_length", "frame_step", "fft_length", "window", "periodic", "scaling", "padding",
                        "expand_dims", "data_format"),
    "MelSpectrogram": ("fft_length", "sequence_stride", "sequence_length", "window", "sampling_rate", "num_mel_bins",
                       "min_freq", "max_freq", "power_to_db", "top_db", "mag_exp", "min_power", "ref_power"),
    # ConvNeXt's, in Keras's keras.src.applications.convnext (the layer's keras_module)
    "LayerScale": ("init_values", "projection_dim"),
    "StochasticDepth": ("drop_path_rate",),
    # InceptionResNetV2's residual join, in keras.src.applications.inception_resnet_v2
    "CustomScaleLayer": ("scale",),
}
_CELL_SETTINGS = tuple(k for k in _RECURRENT if k not in ("return_sequences", "return_state", "go_backwards",
                                                             "stateful", "unroll", "activity_regularizer"))
_SETTINGS.update(SimpleRNNCell=_CELL_SETTINGS, LSTMCell=("recurrent_activation", "unit_forget_bias", *_CELL_SETTINGS),
                 GRUCell=("recurrent_activation", "reset_after", *_CELL_SETTINGS))
_WRAPPERS = ("TimeDistributed", "Bidirectional", "SpectralNormalization")  # their "layer" is a layer's entry
_DEPTHWISE = ("kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier", "activation",
              "use_bias", "depthwise_initializer", "bias_initializer", "depthwise_regularizer", "bias_regularizer",
              "activity_regularizer", "depthwise_constraint", "bias_constraint")
_SEPARABLE = ("filters", "pointwise_initializer", "pointwise_regularizer", "pointwise_constraint", *_DEPTHWISE)
_SETTINGS.update(DepthwiseConv1D=_DEPTHWISE, DepthwiseConv2D=_DEPTHWISE, SeparableConv1D=_SEPARABLE,
                 SeparableConv2D=_SEPARABLE)
_CONV_LSTM = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "recurrent_activation",
              "unit_forget_bias", *(k for k in _RECURRENT if k not in ("units", "unroll")))
_SETTINGS.update(ConvLSTM1D=_CONV_LSTM, ConvLSTM2D=_CONV_LSTM, ConvLSTM3D=_CONV_LSTM)
# Keras keeps their weights in their cell
_CELLS = ("SimpleRNN", "LSTM", "GRU", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D")
# Keras's take no trainable= (they have no weights)
_UNTRAINABLE = ("SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "Discretization")
_ACTIVATIONS = frozenset((
    "celu", "elu", "exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "leaky_relu", "linear", "log_sigmoid", "log_softmax", "mish", "relu", "relu6", "selu", "sigmoid",
    "silu", "soft_shrink", "softmax", "softplus", "softsign", "sparse_plus", "sparse_sigmoid", "sparsemax",
    "squareplus", "swish", "tanh", "tanh_shrink", "threshold"))
_OPTIMIZER_SETTINGS: dict[str, tuple[str, ...]] = {
    "SGD": ("momentum", "nesterov"),
    "Adam": ("beta_1", "beta_2", "epsilon", "amsgrad"),
    "AdamW": ("beta_1", "beta_2", "epsilon", "amsgrad", "weight_decay"),
    "Adamax": ("beta_1", "beta_2", "epsilon"),
    "Nadam": ("beta_1", "beta_2", "epsilon"),
    "RMSprop": ("rho", "momentum", "epsilon", "centered"),
    "Adagrad": ("initial_accumulator_value", "epsilon"),
    "ScheduleFreeAdamW": ("beta_1", "beta_2", "epsilon", "warmup_steps"),
}
_OPTIMIZER_COMMON = ("name", "learning_rate", "weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema",
                     "ema_momentum", "ema_overwrite_frequency")


def _refuse(here: str, text: str) -> ConfigError:
    return ConfigError(f"export_keras: {here} {text}")


def _policy(dtype: str) -> dict[str, Any]:
    return {"module": "keras", "class_name": "DTypePolicy", "config": {"name": dtype}, "registered_name": None}


def _initializer(here: str, key: str, value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value  # Keras knows fnlearn's initializer names ("glorot_uniform", "orthogonal", ...)
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        raise _refuse(here, f"has the initializer {value!r} for {key}, which Keras cannot name; use a built-in "
                            "initializer by name.")
    return keras_form(value)


def _regularizer(here: str, key: str, value: Any) -> Any:
    """The layer config's regularizer as Keras writes it (the layer's config holds Keras's form already); one of the
    user's own is refused: Keras's file would name a class or function a Keras program does not have."""
    if value is None or isinstance(value, dict) and value.get("module") == "keras.regularizers" \
            and value.get("class_name") in ("L1", "L2", "L1L2", "OrthogonalRegularizer"):
        return value
    name = value.get("class_name") if isinstance(value, dict) else value
    if name == "function":
        name = value.get("config")
    raise _refuse(here, f"has a regularizer of your own ({name!r}) for {key}, which Keras's file cannot name; use "
                        "L1, L2, L1L2 or OrthogonalRegularizer, or save the model with model.save() in fnlearn's own "
                        "format.")


def _plain(value: Any) -> Any:
    """Arrays and tuples of a config as JSON's lists."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _layer_config(entry: dict[str, Any], dtype: str, layer: Any) -> dict[str, Any]:
    """fnlearn's ``{"class_name", "config"}`` of one layer as Keras's entry for it."""

    class_name, config = entry["class_name"], dict(entry["config"])
    trainable = bool(getattr(layer, "trainable", True))
    name = config.get("name")
    here = f"layer {name!r} ({class_name})"
    if class_name in ("Sequential", "FunctionalGraph", "Functional", "Model"):
        return _model_doc(layer, dtype)  # a model used as a layer: its whole entry, as Keras nests it
    takes = _SETTINGS.get(class_name)
    if takes is None:
        raise _refuse(here, f"is a layer export_keras does not write to Keras (it writes "
                            f"{', '.join(sorted(_SETTINGS))} and InputLayer); save the model with model.save() in "
                            "fnlearn's own format instead.")
    config.pop("input_shape", None)  # the Input before it carries the shape (and batch size)
    config.pop("batch_size", None)
    config.pop("has_input_vocabulary", None)  # fnlearn's note of whether the vocabulary was given or adapted
    for key, named in (("standardize", ("lower_and_strip_punctuation", "lower", "strip_punctuation")),
                       ("split", ("whitespace", "character"))):
        if key in config and config[key] is not None and config[key] not in named:
            raise _refuse(here, f"has a {key} function of your own ({config[key]!r}), which a Keras file cannot hold; "
                                f"use one of Keras's named ones ({', '.join(named)}), or save the model with "
                                "model.save() in fnlearn's own format.")
    # Keras's Pipeline takes its layers and a name only
    out: dict[str, Any] = {"name": name} if class_name == "Pipeline" else {"name": name, "dtype": _policy(dtype)}
    if class_name not in _UNTRAINABLE and class_name != "Pipeline":
        out["trainable"] = trainable
    for key, value in config.items():
        if key == "name":
            continue
        if key == "seed" and "seed" not in takes and hasattr(layer, "keras_module"):
            continue  # fnlearn's own stream of a layer Keras draws for from its global one: outputs never read it
        if key not in takes:
            raise _refuse(here, f"has the setting {key}={value!r}, which Keras's {class_name} does not take; "
                                "leave it at its default or save the model with model.save() in fnlearn's own "
                                "format.")
        if key == "layer" and class_name in _WRAPPERS:
            inner = layer.forward_layer if class_name == "Bidirectional" else layer.layer
            value = _layer_config(value, dtype, inner)
        elif key == "cell" and class_name == "RNN":  # RNN(cell): the cell's entry, as a layer's
            value = _layer_config(value, dtype, layer.cell)
        elif key == "layers" and class_name == "Pipeline":
            value = [_layer_config(entry, dtype, inner) for entry, inner in zip(value, layer.layers)]
        elif key == "cells":
            value = [_layer_config(entry, dtype, cell) for entry, cell in zip(value, layer.cells)]
        elif key.endswith("_initializer"):
            value = _initializer(here, key, value)
        elif key.endswith("_regularizer"):
            value = _regularizer(here, key, value)
        elif key.endswith("_constraint") and value is not None:
            raise _refuse(here, f"has the constraint {value!r} for {key}, which export_keras does not write; "
                                "drop it or save the model with model.save() in fnlearn's own format.")
        elif key == "seed" and isinstance(value, int) and not 0 <= value < 2**31:
            value = None  # a seed fnlearn drew itself; Keras's seeds are 32-bit and predictions do not depend on it
        elif key in ("activation", "recurrent_activation"):
            value = "linear" if value is None else value
            if value not in _ACTIVATIONS:
                raise _refuse(here, f"has the activation {value!r}, which Keras does not have by that name; use "
                                    "one of Keras's built-in activations.")
        out[key] = _plain(value)
    if class_name == "Normalization" and isinstance(out.get("axis"), int):
        out["axis"] = [out["axis"]]  # Keras keeps its axes as a list
    # a layer Keras keeps outside keras.layers (ConvNeXt's) is found by its module, as Keras writes it
    module = getattr(layer, "keras_module", None)
    if module is not None:
        return {"module": module, "class_name": class_name, "config": out, "registered_name": class_name}
    # a class Keras exports under another name than its Python class's (and fnlearn's) says so
    return {"module": "keras.layers", "class_name": getattr(layer, "keras_name", class_name), "config": out,
            "registered_name": None}


def _input_entry(name: str, shape: Any, batch_size: Any, dtype: str) -> dict[str, Any]:
    return {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
            "config": {"batch_shape": [batch_size, *_plain(list(shape))], "dtype": dtype, "sparse": False,
                       "ragged": False, "name": name, "optional": False}}


def _sequential(model: Any, config: dict[str, Any], dtype: str) -> dict[str, Any]:
    layers = list(config.get("layers") or [])
    if not layers:
        raise _refuse(f"model {model.name!r}", "has no layers; add some before exporting it.")
    first = layers[0]["config"]  # fnlearn's Sequential keeps its Input's shape on its first layer
    shape = first.get("input_shape", config.get("build_input_shape"))
    if shape is None:
        raise _refuse(f"model {model.name!r}", "is not built, so its input shape is unknown; start it with "
                                               "keras.Input(shape=...) or fit it before exporting.")
    text = getattr(model, "_text_input", False)  # a model of raw texts starts at an Input of strings
    entries = [_input_entry(f"{model.name}_input", shape, first.get("batch_size"), "string" if text else dtype)]
    entries += [_layer_config(entry, dtype, layer) for entry, layer in zip(layers, model.layers)]
    body = {"name": model.name, "trainable": bool(getattr(model, "trainable", True)), "dtype": _policy(dtype),
            "layers": entries, "build_input_shape": [None, *_plain(list(shape))]}
    return {"module": "keras", "class_name": "Sequential", "config": body, "registered_name": None,
            "build_config": {"input_shape": [None, *_plain(list(shape))]}}


def _tensor(history: list[Any]) -> dict[str, Any]:
    # Keras swaps this placeholder for the tensor the named call made, so its shape is only a valid one
    return {"class_name": "__keras_tensor__", "config": {"shape": [None], "dtype": "float32",
                                                         "keras_history": history}}


def _functional(model: Any, config: dict[str, Any], dtype: str) -> dict[str, Any]:
    layers, graph = config["layers"], config.get("graph")
    if graph is None:  # a chain of layers from one Input: each called on the one before it
        if not layers or layers[0]["class_name"] != "InputLayer":
            raise _refuse(f"model {model.name!r}", "is a functional model whose config names no Input; pass a "
                                                   "model built with keras.Input.")
        graph = {"inputs": [0], "calls": [[i, [i - 1], False] for i in range(1, len(layers))],
                 "outputs": [len(layers) - 1]}
    names = [entry["config"]["name"] for entry in layers]
    entries: list[dict[str, Any]] = []
    for entry, layer in zip(layers, model.layers):
        if entry["class_name"] == "InputLayer":
            settings = entry["config"]
            shape = settings.get("input_shape", settings.get("shape"))
            entries.append(_input_entry(settings["name"], shape, settings.get("batch_size"),
                                        settings.get("dtype") or dtype))
        else:
            entries.append(_layer_config(entry, dtype, layer))
        entries[-1]["name"] = entries[-1]["config"]["name"]
        entries[-1]["inbound_nodes"] = []
    nodes: list[tuple[str, int]] = [(names[i], 0) for i in graph["inputs"]]

    def history(source: Any) -> list[Any]:
        at, index = (source[0], source[1]) if isinstance(source, list) else (source, 0)
        return [*nodes[at], index]

    for call in graph["calls"]:
        index, parents, listed = call[0], call[1], call[2]
        more = call[3] if len(call) > 3 else {}
        tensors = [_tensor(history(p)) for p in parents]
        args: list[Any] = [tensors if listed else tensors[0]]
        args += [_tensor(history(p)) for p in more.get("args", [])]
        kwargs: dict[str, Any] = {}
        if "initial_state" in more:
            kwargs["initial_state"] = [_tensor(history(p)) for p in more["initial_state"]]
        for key, value in (more.get("kwargs") or {}).items():
            if "value" in value:
                kwargs[key] = _tensor(history(value["value"]))
            elif "values" in value:
                kwargs[key] = [_tensor(history(p)) for p in value["values"]]
            else:
                kwargs[key] = value.get("setting")
        node = entries[index]["inbound_nodes"]
        nodes.append((names[index], len(node)))
        node.append({"args": args, "kwargs": kwargs})
    inputs = [history(i) for i in range(len(graph["inputs"]))]
    outputs: Any = [history(source) for source in graph["outputs"]]
    keys = graph.get("output_keys")
    if keys:
        outputs = dict(zip(keys, outputs))
    body = {"name": model.name, "trainable": bool(getattr(model, "trainable", True)), "layers": entries,
            "input_layers": inputs[0] if len(inputs) == 1 else inputs,
            "output_layers": outputs[0] if isinstance(outputs, list) and len(outputs) == 1 else outputs}
    return {"module": "keras.src.models.functional", "class_name": "Functional", "config": body,
            "registered_name": "Functional", "build_config": {"input_shape": None}}


def _named(spec: Any) -> bool:
    """Whether a loss or metrics setting is made of names only (which Keras reads as they are)."""
    if spec is None or isinstance(spec, str):
        return True
    if isinstance(spec, (list, tuple)):
        return all(_named(item) for item in spec)
    if isinstance(spec, dict):
        return all(_named(item) for item in spec.values())
    return False


def _keras_loss(spec: Any) -> Any:
    """A compiled loss as Keras's compile settings hold it: a name stays a name, a list or a dict (per output) is
    converted item by item, and a loss object's config (``{"name", "reduction", …options}``) becomes the name where
    it has Keras's defaults, else Keras's serialized class (Keras would take fnlearn's config for a dict of losses
    per output and fail at its first step); None for a loss Keras has no class for."""
    from . import losses

    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, (list, tuple)):
        items = [_keras_loss(item) for item in spec]
        return None if any(item is None for item in items) else items
    if not isinstance(spec, dict):
        return None
    if "class_name" in spec:  # a loss class of one's own, which a Keras program does not have
        return None
    if not isinstance(spec.get("name"), str):  # one loss per output, by output name
        items = {key: _keras_loss(item) for key, item in spec.items()}
        return None if any(item is None for item in items.values()) else items
    options = {k: v for k, v in spec.items() if k not in ("name", "reduction")}
    reduction = reduction_for_keras(spec.get("reduction"))
    if not options and reduction == "sum_over_batch_size":
        return spec["name"]
    canonical = {_named_loss(cls): name for name in losses.__all__
                 if isinstance(cls := getattr(losses, name), type) and issubclass(cls, Loss) and cls is not Loss}
    class_name = canonical.get(spec["name"])
    if class_name is None:
        return None
    return {"module": "keras.losses", "class_name": class_name,
            "config": {"name": spec["name"], "reduction": reduction, **_plain(options)}, "registered_name": None}


def _named_loss(cls: type) -> str | None:
    """The loss name an instance of the Keras loss class ``cls`` made with its defaults records."""
    try:
        return cls().name
    except (TypeError, FnlearnError):  # a class that needs settings to be made
        return None


def _compile_config(model: Any) -> dict[str, Any] | None:
    """Keras's compile settings for ``model``'s, None where it is not compiled or Keras could not take them
    (then with a warning: the file still loads, uncompiled)."""
    if not getattr(model, "compiled", False) or not callable(getattr(model, "compile_config", None)):
        return None
    config = model.compile_config() or {}
    optimizer = getattr(model, "optimizer", None)
    class_name = type(optimizer).__name__
    settings = dict(config.get("optimizer") or {})
    known = (*_OPTIMIZER_COMMON, *_OPTIMIZER_SETTINGS.get(class_name, ()))
    odd = [k for k, v in settings.items() if k not in known and v is not None]
    problem = None
    if class_name not in _OPTIMIZER_SETTINGS:
        problem = f"the optimizer {class_name} is not one it writes ({', '.join(_OPTIMIZER_SETTINGS)})"
    elif odd:
        problem = f"the optimizer's setting {odd[0]} is not Keras's"
    elif not isinstance(settings.get("learning_rate"), (int, float)):
        problem = "the learning rate is a schedule or a function"
    elif _keras_loss(config.get("loss")) is None and config.get("loss") is not None:
        problem = "the loss is one Keras has no class for"
    elif not (_named(config.get("metrics")) and _named(config.get("weighted_metrics"))):
        problem = "a metric is an object rather than a name"
    if problem is not None:
        warnings.warn(f"export_keras leaves out the compile settings because {problem}; the file loads in Keras "
                      "uncompiled: compile it there.", stacklevel=3)
        return None
    return {"optimizer": {"module": "keras.optimizers", "class_name": class_name,
                          "config": {k: _plain(v) for k, v in settings.items()}, "registered_name": None},
            "loss": _keras_loss(config.get("loss")), "loss_weights": _plain(config.get("loss_weights")),
            "metrics": _plain(config.get("metrics")), "weighted_metrics": _plain(config.get("weighted_metrics")),
            "run_eagerly": False, "steps_per_execution": 1, "jit_compile": True}


def _weights(model: Any, h5: Any) -> None:
    """Each layer's weights where Keras's saving code puts them, named as ``keras_files._pairs`` reads them; a
    model used as a layer keeps its own layers' in its group."""
    from ..nn import Sequential
    from .graph import FunctionalGraph
    from .layers import InputLayer

    h5.create_group("vars").attrs["name"] = model.name
    used: dict[str, int] = {}
    for layer in model.layers:
        nested = isinstance(layer, (Sequential, FunctionalGraph))
        kind = "input_layer" if isinstance(layer, InputLayer) else \
            _snake(_MODEL_CLASSES[type(layer).__name__] if nested else type(layer).__name__)
        group = h5.create_group(f"layers/{_unique(kind, used)}")
        if nested:
            _weights(layer, group)
        elif isinstance(layer, InputLayer) or kind == "normalization" and not layer.get_weights():
            group.create_group("vars").attrs["name"] = layer.name
        elif kind == "normalization":
            # adapted statistics stay weights, as Keras writes them (its config then has no mean): mean, variance
            # and Keras's integer count, so that the file fits any Keras model of the same layers
            mean, variance, count = layer.get_weights()
            _arrays_into(group.create_group("vars"), layer.name, [mean, variance, np.asarray(count, dtype="int32")])
        elif kind in ("text_vectorization", "string_lookup", "integer_lookup"):
            # the vocabulary is in the config; Keras reads tf_idf's weights from the layer's variables by name (a
            # TextVectorization's, and its inner lookup layer's)
            idf = layer.get_config().get("idf_weights")
            for inner in ("vars", "_lookup_layer/vars") if kind == "text_vectorization" else ("vars",):
                own = group.create_group(inner)
                own.attrs["name"] = layer.name
                if idf is not None:
                    own.create_dataset("idf_weights", data=np.asarray(idf, dtype="float32"))
        elif kind == "bidirectional":  # Keras keeps each direction's layer in a group of its own
            group.create_group("vars").attrs["name"] = layer.name
            _layer_weights(layer.forward_layer, group.create_group("forward_layer"))
            _layer_weights(layer.backward_layer, group.create_group("backward_layer"))
        elif kind == "time_distributed":
            group.create_group("vars").attrs["name"] = layer.name
            _layer_weights(layer.layer, group.create_group("layer"))
        elif kind == "pipeline":  # each layer's weights in its own group, named as Keras names them
            group.create_group("vars").attrs["name"] = layer.name
            named: dict[str, int] = {}
            for inner in layer.layers:
                _layer_weights(inner, group.create_group(f"layers/{_unique(_snake(type(inner).__name__), named)}"))
        elif kind == "spectral_normalization":  # Keras keeps the kernel twice: the wrapper's, and its layer's
            _arrays_into(group.create_group("vars"), layer.name, [layer.kernel.data, layer.vector_u.data])
            _layer_weights(layer.layer, group.create_group("layer"))
        elif kind == "rnn":  # RNN(cell): the cell's weights in its group; stacked cells each in its own
            group.create_group("vars").attrs["name"] = layer.name
            cells = getattr(layer.cell, "cells", None)
            if cells is None:
                _arrays_into(group.create_group("cell/vars"), layer.cell.name, layer.cell.get_weights())
            else:
                group.create_group("cell/vars").attrs["name"] = layer.cell.name
                named: dict[str, int] = {}
                for cell in cells:
                    _arrays_into(group.create_group(f"cell/cells/{_unique(_snake(type(cell).__name__), named)}/vars"),
                                 cell.name, cell.get_weights())
        elif kind in ("multi_head_attention", "grouped_query_attention"):
            # Keras keeps each projection's kernel (and bias) in a sublayer of its own
            group.create_group("vars").attrs["name"] = layer.name
            for child in _CHILDREN[type(layer).__name__]:
                part = child.strip("_").split("_")[0]
                arrays = [getattr(layer, f"{part}_{kind}") for kind in ("kernel", "bias")]
                if arrays[0] is not None:
                    _arrays_into(group.create_group(f"{child}/vars"), child, [w.data for w in arrays if w is not None])
        else:
            _layer_weights(layer, group)


def _layer_weights(layer: Any, group: Any) -> None:
    """``layer``'s weights in ``group`` as Keras's saving code writes them: ``vars/<i>``, a recurrent layer's in its
    cell's ``cell/vars/<i>``."""
    own = group.create_group("vars")
    if type(layer).__name__ in _CELLS:
        own.attrs["name"] = layer.name
        own = group.create_group("cell/vars")
        _arrays_into(own, f"{layer.name}_cell", layer.get_weights())
        return
    _arrays_into(own, layer.name, layer.get_weights())


def _arrays_into(group: Any, name: str, arrays: list[Any]) -> None:
    """``arrays`` as the datasets ``0``, ``1``… of ``group`` (a ``vars`` group), named as Keras names it."""
    from ..backend import to_numpy

    group.attrs["name"] = name
    for i, array in enumerate(arrays):
        group.create_dataset(str(i), data=np.asarray(to_numpy(array)))


def _optimizer_state(model: Any, compile_config: dict[str, Any], h5: Any) -> None:
    """The optimizer's state in the order Keras 3 lists its optimizer's variables — the step count, the learning
    rate, ``use_ema``'s averages, then the rule's slots weight by weight (:func:`keras_files._slot_plan`, which the
    reader follows too) — so Keras's ``fit`` goes on where fnlearn's stopped; a slot not made yet (an untrained
    model) is written as the rule starts it. A rule whose state is not Keras's gets none: Keras warns and starts
    afresh."""
    from ..backend import to_numpy
    from .keras_files import _slot_plan, _state_tail

    optimizer = model.optimizer
    plan = _slot_plan(optimizer)
    if plan is None:
        return
    weights = [w for layer in model.layers if getattr(layer, "trainable", True)
               for w in getattr(layer, "trainable_weights", [])] if getattr(model, "trainable", True) else []
    states = {id(p): state for p, state in zip(optimizer.params or (), optimizer.state)}
    starts = optimizer._slots() or {}
    arrays = [np.asarray(optimizer.iterations, "int64"),
              np.asarray(compile_config["optimizer"]["config"]["learning_rate"], "float32")]
    for block in [("average",)] * bool(optimizer.use_ema) + plan:
        for weight in weights:
            state = states.get(id(weight), {})
            for slot in block:
                value = state.get(slot)
                if value is None and slot == "momentum" and type(optimizer).name == "schedulefreeadamw":
                    value = weight.data  # its z starts at the weights, as Keras's build makes it
                arrays.append(np.full(tuple(weight.shape), starts.get(slot, 0.0), "float32") if value is None
                              else np.asarray(to_numpy(value), "float32"))
    arrays += _state_tail(optimizer)
    group = h5.create_group("optimizer/vars")
    group.attrs["name"] = compile_config["optimizer"]["config"].get("name") or \
        compile_config["optimizer"]["class_name"].lower()
    for i, array in enumerate(arrays):
        group.create_dataset(str(i), data=array)


def _dtype(model: Any) -> str:
    from ..backend import to_numpy

    found = {np.asarray(to_numpy(w)).dtype.name for w in model.get_weights()}
    return found.pop() if len(found) == 1 else "float32"


def _model_doc(model: Any, dtype: str) -> dict[str, Any]:
    """Keras's serialized ``model`` (the whole file's, or a model nested in another as one of its layers)."""
    from .graph import FunctionalGraph

    config = model.get_config() if callable(getattr(model, "get_config", None)) else None
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ConfigError(f"export_keras writes Sequential and functional models, got a {type(model).__name__}; "
                          "save a subclassed model with model.save() in fnlearn's own format.")
    if isinstance(model, FunctionalGraph) or config.get("functional"):
        return _functional(model, config, dtype)
    return _sequential(model, config, dtype)


def export_keras(model: Any, path: str | os.PathLike) -> None:
    """Write ``model`` (an fnlearn Sequential or functional model) as a real Keras 3 ``.keras`` file, which
    ``keras.models.load_model(path)`` reads and predicts with as fnlearn does: its layers, its weights and, where
    Keras has them, its optimizer's settings and state, loss and metrics. A layer or
    setting Keras cannot take is refused before anything is written; the file appears whole or not at all.

    >>> import os, tempfile
    >>> from fnlearn import keras
    >>> model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.keras")
    >>> export_keras(model, path)
    >>> sorted(zipfile.ZipFile(path).namelist())
    ['config.json', 'metadata.json', 'model.weights.h5']
    """
    from .. import io

    doc = _model_doc(model, _dtype(model))
    compile_config = _compile_config(model)
    if compile_config is not None:
        doc["compile_config"] = compile_config
    try:
        import h5py
    except ImportError:
        raise ModelFileError("writing a Keras file needs the h5py package, which is not installed; run pip install "
                             "h5py.") from None
    weights = _io.BytesIO()
    with h5py.File(weights, "w") as h5:
        _weights(model, h5)
        if compile_config is not None:
            _optimizer_state(model, compile_config, h5)
    metadata = {"keras_version": _KERAS_VERSION,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    archive = _io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("metadata.json", json.dumps(metadata))
        zf.writestr("config.json", json.dumps(doc))
        zf.writestr("model.weights.h5", weights.getvalue())
    io.write_atomic(path, archive.getvalue())
