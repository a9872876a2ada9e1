"""keras.applications: the ImageNet architectures have Keras's layers, names, order and weight shapes, give Keras's
outputs with Keras's weights, load Keras's weight files (the official ones through get_file, with Keras's URLs and
hashes), and preprocess and decode as Keras does.

Each real Keras model is built once (building is what costs) and serves every comparison of its architecture, at
the smallest size Keras allows: ResNet50, ResNet50V2, MobileNet and MobileNetV2 with their tops; VGG16,
DenseNet121, Xception and a second MobileNet and MobileNetV2 (other widths, a depth multiplier, odd and non-square
sizes) without. VGG16's top and VGG19 are compared with Keras's VGG16 grown by their layers (their dense layers are
what makes them slow to build), ResNet101 and ResNet152 block by block with ResNet50's blocks, ResNet101V2 and
ResNet152V2 with ResNet50V2's, DenseNet169 and DenseNet201 with DenseNet121's."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from real_keras import real_keras
from value_checks import assert_refused_before_download, record_get_file

from fnlearn import keras
from fnlearn.errors import ConfigError, ModelFileError, ShapeError
from fnlearn.keras import applications

RNG = np.random.default_rng(0)
SMALL = (32, 32, 3)

# each real Keras model the tests compare with: (constructor, its arguments)
KERAS_MODELS = {
    "vgg16": ("VGG16", {"input_shape": SMALL, "include_top": False, "pooling": "avg"}),
    "resnet50": ("ResNet50", {"input_shape": SMALL, "classifier_activation": None}),
    "resnet50v2": ("ResNet50V2", {"input_shape": SMALL, "classes": 10, "classifier_activation": None}),
    "mobilenet": ("MobileNet", {"input_shape": SMALL, "alpha": 0.25, "classifier_activation": None}),
    "mobilenet_wide": ("MobileNet", {"input_shape": (40, 48, 3), "alpha": 0.5, "depth_multiplier": 2,
                                     "include_top": False, "pooling": "max"}),
    "mobilenet_v2": ("MobileNetV2", {"input_shape": SMALL, "alpha": 0.35, "classifier_activation": None}),
    "mobilenet_v2_wide": ("MobileNetV2", {"input_shape": (33, 35, 3), "alpha": 1.3, "include_top": False,
                                          "pooling": "max"}),
    "densenet121": ("DenseNet121", {"input_shape": SMALL, "include_top": False, "pooling": "avg"}),
    "xception": ("Xception", {"input_shape": (71, 75, 3), "include_top": False, "pooling": "avg"}),
}
_built: dict[str, object] = {}
_outputs: dict[str, tuple[np.ndarray, np.ndarray]] = {}


@pytest.fixture(scope="module")
def real():
    return real_keras()


def theirs(real, key: str):
    """Real Keras's model ``key`` (built once), its batch normalizations given statistics of their own so that
    every layer counts in the outputs compared."""
    if key not in _built:
        constructor, kwargs = KERAS_MODELS[key]
        model = getattr(real.applications, constructor)(weights=None, **kwargs)
        rng = np.random.default_rng(len(_built))
        for layer in model.layers:
            if type(layer).__name__ == "BatchNormalization":
                n = layer.get_weights()[0].shape
                layer.set_weights([rng.uniform(0.5, 1.5, n), rng.normal(0, 0.1, n), rng.normal(0, 0.1, n),
                                   rng.uniform(0.5, 1.5, n)])
        _built[key] = model
    return _built[key]


def keras_outputs(real, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Images of the size of model ``key`` and real Keras's outputs for them (computed once)."""
    if key not in _outputs:
        x = RNG.uniform(-1, 1, (2, *KERAS_MODELS[key][1]["input_shape"])).astype(np.float32)
        _outputs[key] = x, np.asarray(theirs(real, key)(x))
    return _outputs[key]


def ours(key: str, **changes):
    constructor, kwargs = KERAS_MODELS[key]
    return getattr(applications, constructor)(weights=None, **{**kwargs, **changes})


AUTOMATIC = re.compile(r"^(input_layer|global_average_pooling2d|global_max_pooling2d|zero_padding2d|conv2d|"
                       r"batch_normalization|add|max_pooling2d)_\d+$")


def layout(model) -> list[tuple[str, str, list[tuple[int, ...]]]]:
    """Each layer's name, class and weight shapes, in order; the names Keras numbers by a session-wide counter
    (the Input, an unnamed pooling, padding, shortcut or addition, ResNetV2's shortcut pooling) without their
    number."""
    def name(layer) -> str:
        return AUTOMATIC.sub(r"\1", layer.name)

    return [(name(layer), type(layer).__name__, [tuple(w.shape) for w in layer.get_weights()])
            for layer in model.layers]


def assert_keras_outputs(real, key: str, model) -> None:
    x, expected = keras_outputs(real, key)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


# the GPU's code path runs the smaller models; the others' layers are checked on it by their own tests
ON_BOTH_PATHS = ("resnet50", "resnet50v2", "mobilenet", "mobilenet_v2", "vgg16")


@pytest.mark.parametrize("key", [key if key in ON_BOTH_PATHS else pytest.param(key, marks=pytest.mark.host_only)
                                 for key in KERAS_MODELS])
def test_each_model_is_keras_layer_for_layer_and_gives_its_outputs(real, key):
    real_model, model = theirs(real, key), ours(key)
    assert layout(model) == layout(real_model)
    assert model.name == real_model.name
    model.set_weights(real_model.get_weights())
    assert_keras_outputs(real, key, model)


@pytest.mark.host_only  # names and shapes: nothing runs
@pytest.mark.parametrize("key, top_layers, poolings", [("resnet50", 2, ["max"]), ("resnet50v2", 2, ["avg"]),
                                                       ("mobilenet", 5, ["avg"]),
                                                       ("mobilenet_v2", 2, [None, "avg", "max"])])
def test_without_the_top_it_is_the_model_up_to_its_top_then_the_pooling(real, key, top_layers, poolings):
    full = layout(theirs(real, key))
    for pooling in poolings:
        model = ours(key, include_top=False, pooling=pooling)
        assert layout(model)[: len(full) - top_layers] == full[:-top_layers]
        pool = {None: [], "avg": [("global_average_pooling2d", "GlobalAveragePooling2D", [])],
                "max": [("global_max_pooling2d", "GlobalMaxPooling2D", [])]}[pooling]
        if key.startswith("resnet"):  # named by Keras's ResNet
            pool = [(f"{pooling}_pool", kind, shapes) for _, kind, shapes in pool]
        assert layout(model)[len(full) - top_layers:] == pool


# VGG's classifier, from Keras's source: its dense layers are what makes VGG16 with its top costly to build
VGG_TOP = [("flatten", "Flatten", []), ("fc1", "Dense", [(512, 4096), (4096,)]),
           ("fc2", "Dense", [(4096, 4096), (4096,)]), ("predictions", "Dense", [(4096, 10), (10,)])]


@pytest.mark.host_only
def test_vgg16_with_its_top_and_vgg19_are_keras_vgg16_grown(real):
    """VGG16's top follows Keras's VGG16 without it; VGG19 is Keras's VGG16 with a fourth convolution in blocks 3
    to 5."""
    base = layout(theirs(real, "vgg16"))[:-1]
    assert layout(applications.VGG16(weights=None, input_shape=SMALL, classes=10)) == base + VGG_TOP
    grown = []
    for entry in base:
        grown.append(entry)
        block = re.match(r"block([345])_conv3", entry[0])
        if block:
            grown.append((f"block{block.group(1)}_conv4", "Conv2D", [(3, 3, entry[2][0][3], entry[2][0][3]),
                                                                      entry[2][1]]))
    vgg19 = applications.VGG19(weights=None, input_shape=SMALL, classes=10)
    assert layout(vgg19) == grown + VGG_TOP and vgg19.name == "vgg19"


def _blocks_of(entries, stack: int) -> dict[int, list]:
    """The layers of each block of ResNet stack ``stack`` ("conv4"), by block number."""
    found: dict[int, list] = {}
    for name, kind, shapes in entries:
        match = re.match(rf"conv{stack}_block(\d+)_", name)
        if match:
            found.setdefault(int(match.group(1)), []).append((name[len(match.group(0)):], kind, shapes))
    return found


@pytest.mark.host_only
@pytest.mark.parametrize("constructor, blocks, key, block_layers", [("ResNet101", (3, 4, 23, 3), "resnet50", 10),
                                                                     ("ResNet152", (3, 8, 36, 3), "resnet50", 10),
                                                                     ("ResNet101V2", (3, 4, 23, 3), "resnet50v2", 11),
                                                                     ("ResNet152V2", (3, 8, 36, 3), "resnet50v2", 11)])
def test_deeper_resnets_repeat_the_50_layer_models_blocks(real, constructor, blocks, key, block_layers):
    """ResNet101 and ResNet152 are ResNet50 with more blocks in a stack, ResNet101V2 and ResNet152V2 ResNet50V2:
    the stem, the top and each stack's first and last blocks are the 50-layer model's, each block between is its
    second block of that stack, numbered on."""
    reference = layout(theirs(real, key))
    _, kwargs = KERAS_MODELS[key]
    model = getattr(applications, constructor)(weights=None, **kwargs)
    mine = layout(model)
    assert model.name == constructor.lower()

    def stem_and_top(entries):
        names = [name for name, _, _ in entries]
        first = next(i for i, name in enumerate(names) if name.startswith("conv2_"))
        last = max(i for i, name in enumerate(names) if name.startswith("conv5_"))
        return entries[:first], entries[last + 1:]

    assert stem_and_top(mine) == stem_and_top(reference)
    for stack, count, reference_count in zip(range(2, 6), blocks, (3, 4, 6, 3)):
        keras_blocks, my_blocks = _blocks_of(reference, stack), _blocks_of(mine, stack)
        assert sorted(my_blocks) == list(range(1, count + 1))
        assert my_blocks[1] == keras_blocks[1] and my_blocks[count] == keras_blocks[reference_count]
        assert all(my_blocks[k] == keras_blocks[2] for k in range(2, count))
    places = [tuple(map(int, match.groups())) for name, _, _ in mine
              if (match := re.match(r"conv(\d)_block(\d+)_", name))]
    assert places == sorted(places)  # block after block, as Keras lists them
    assert len(mine) == len(reference) + block_layers * (sum(blocks) - 16)


def _grown_block(template, channels: int, now: int) -> list:
    """DenseNet's layer ``template`` (its name, class, shapes after the block's name) for an input of ``now``
    channels instead of ``channels``: its first normalization and convolution take them all."""
    return [(name, kind, [tuple(now if (name in ("0_bn", "1_conv") and d == channels) else d for d in shape)
                          for shape in shapes]) for name, kind, shapes in template]


@pytest.mark.host_only
@pytest.mark.parametrize("constructor, blocks, channels", [("DenseNet169", (6, 12, 32, 32), 1664),
                                                           ("DenseNet201", (6, 12, 48, 32), 1920)])
def test_deeper_densenets_grow_densenet121s_layers(real, constructor, blocks, channels):
    """DenseNet169 and DenseNet201 are DenseNet121 with more layers in blocks 3 and 4: everything up to block 3
    is DenseNet121's, and each layer of a block is the block's first layer of DenseNet121 taking 32 more
    channels than the layer before it."""
    reference = layout(theirs(real, "densenet121"))
    model = getattr(applications, constructor)(weights=None, include_top=False, input_shape=SMALL, pooling="avg")
    mine = layout(model)
    start = next(i for i, (name, _, _) in enumerate(reference) if name.startswith("conv4_"))
    assert mine[:start] == reference[:start] and model.name == constructor.lower()
    for stack, count in zip((4, 5), blocks[2:]):
        keras_blocks, my_blocks = _blocks_of(reference, stack), _blocks_of(mine, stack)
        first = keras_blocks[1][0][2][0][0]  # the channels into the block's first layer
        assert sorted(my_blocks) == list(range(1, count + 1))
        offset = 0 if stack == 4 else my_blocks[1][0][2][0][0] - first
        assert all(my_blocks[k] == _grown_block(keras_blocks[1], first, first + offset + 32 * (k - 1))
                   for k in range(1, count + 1))
    assert mine[-3:] == [("bn", "BatchNormalization", [(channels,)] * 4), ("relu", "Activation", []),
                         ("avg_pool", "GlobalAveragePooling2D", [])]
    assert len(mine) == len(reference) + 7 * (sum(blocks) - 58)


# --------------------------------------------------------------------------- weight files


@pytest.fixture(scope="module")
def keras_files(real, tmp_path_factory):
    """Legacy .h5 weight files (the format of Keras's official ones) that real Keras writes for its models."""
    import h5py
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    folder = tmp_path_factory.mktemp("keras-weights")
    written: dict[str, str] = {}

    def write(key: str) -> str:
        if key not in written:
            path = folder / f"{key}.h5"
            with h5py.File(path, "w") as h5:
                save_weights_to_hdf5_group(h5, theirs(real, key))
            written[key] = str(path)
        return written[key]

    return write


def test_a_weights_path_loads_keras_file_by_layer_name(real, keras_files):
    path = keras_files("resnet50")
    model = applications.ResNet50(weights=path, input_shape=SMALL, classifier_activation=None)
    assert_keras_outputs(real, "resnet50", model)


def test_a_file_of_other_layer_names_loads_layer_after_layer_as_keras_reads_it(real, keras_files, tmp_path):
    """Some official files were written by older Keras versions under other names ("convolution2d_1"…); Keras
    reads them in order, and so does fnlearn where the names do not match."""
    import h5py

    renamed = tmp_path / "old_names.h5"
    with h5py.File(keras_files("mobilenet"), "r") as source, h5py.File(renamed, "w") as target:
        names = [name.decode() if isinstance(name, bytes) else name for name in source.attrs["layer_names"]]
        for k, name in enumerate(names):
            source.copy(source[name], target, name=f"layer_{k}")
        target.attrs["layer_names"] = [f"layer_{k}".encode() for k in range(len(names))]
    model = applications.MobileNet(weights=str(renamed), input_shape=SMALL, alpha=0.25, classifier_activation=None)
    assert_keras_outputs(real, "mobilenet", model)
    with pytest.raises(ModelFileError, match="holds the weights of 55 layers, but model 'mobilenet_0.25_32' has 54"):
        applications.MobileNet(weights=str(renamed), input_shape=SMALL, alpha=0.25, include_top=False)


def _keras_urls(real):
    """The official files' URLs and hashes as Keras's own modules hold them."""
    from keras.src.applications import densenet, mobilenet, mobilenet_v2, resnet, vgg16, xception

    return {"vgg16": (vgg16.WEIGHTS_PATH, vgg16.WEIGHTS_PATH_NO_TOP), "resnet": resnet.BASE_WEIGHTS_PATH,
            "resnet_hashes": resnet.WEIGHTS_HASHES, "mobilenet": mobilenet.BASE_WEIGHT_PATH,
            "mobilenet_v2": mobilenet_v2.BASE_WEIGHT_PATH, "densenet": densenet.BASE_WEIGHTS_PATH,
            "xception": xception.WEIGHTS_PATH}


# (model, arguments, Keras model whose file stands in (None: the call to get_file is checked, not the loading, which
# the others check), file name, where in Keras's URLs, hash)
IMAGENET = [
    ("VGG16", {"include_top": False, "input_shape": SMALL, "pooling": "max"}, "vgg16",
     "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "vgg16", "6d6bbae143d832006294945121d1f1fc"),
    ("ResNet50", {}, "resnet50", "resnet50_weights_tf_dim_ordering_tf_kernels.h5", "resnet", "resnet50/0"),
    ("ResNet50", {"include_top": False, "input_shape": SMALL, "pooling": "avg"}, None,
     "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "resnet", "resnet50/1"),
    ("ResNet50V2", {"include_top": False, "input_shape": SMALL, "pooling": "max"}, "resnet50v2",
     "resnet50v2_weights_tf_dim_ordering_tf_kernels_notop.h5", "resnet", "resnet50v2/1"),
    ("MobileNet", {"alpha": 0.25, "input_shape": (128, 128, 3)}, "mobilenet", "mobilenet_2_5_128_tf.h5",
     "mobilenet", None),
    ("MobileNet", {"alpha": 0.5, "include_top": False, "input_shape": (40, 48, 3), "depth_multiplier": 1},
     None, "mobilenet_5_0_224_tf_no_top.h5", "mobilenet", None),
    ("MobileNetV2", {"alpha": 0.35, "input_shape": (96, 96, 3)}, "mobilenet_v2",
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96.h5", "mobilenet_v2", None),
    ("MobileNetV2", {"alpha": 1.3, "include_top": False, "input_shape": (160, 160, 3)}, "mobilenet_v2_wide",
     "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.3_160_no_top.h5", "mobilenet_v2", None),
    ("DenseNet121", {"include_top": False, "input_shape": SMALL}, None,
     "densenet121_weights_tf_dim_ordering_tf_kernels_notop.h5", "densenet", "30ee3e1110167f948a6b9946edeeb738"),
    ("Xception", {}, None, "xception_weights_tf_dim_ordering_tf_kernels.h5", "xception",
     "0a58e3b7378bc2990ea3b43d5981f1f6"),
]


@pytest.mark.host_only  # the file's name, address and hash; a file read onto the device is checked above
@pytest.mark.parametrize("constructor, kwargs, key, fname, where, file_hash", IMAGENET,
                         ids=[f"{c}-{f}" for c, _, _, f, _, _ in IMAGENET])
def test_imagenet_weights_come_from_keras_url_through_get_file(real, keras_files, monkeypatch, recwarn,
                                                               constructor, kwargs, key, fname, where, file_hash):
    urls = _keras_urls(real)
    asked = record_get_file(monkeypatch, None if key is None else keras_files(key))
    if key is None:
        with pytest.raises(LookupError):
            getattr(applications, constructor)(weights="imagenet", **kwargs)
        if constructor == "MobileNet":  # a size with no weights: 224's
            assert "224x224 are loaded" in str(recwarn.pop(UserWarning).message)
    else:
        model = getattr(applications, constructor)(weights="imagenet", **kwargs)
        real_model = theirs(real, key)
        for layer in model.layers:
            if layer.get_weights():
                for mine, expected in zip(layer.get_weights(), real_model.get_layer(layer.name).get_weights()):
                    np.testing.assert_array_equal(mine, expected)
    if where == "vgg16":
        origin = urls["vgg16"][0 if kwargs.get("include_top", True) else 1]
    elif where == "resnet":
        origin = urls["resnet"] + fname
        model_name, top = file_hash.split("/")
        file_hash = urls["resnet_hashes"][model_name][int(top)]
    elif where == "xception":
        origin = urls["xception"]
    else:
        origin = urls[where] + fname
    assert asked == [(fname, origin, "models", file_hash)]


# --------------------------------------------------------------------------- preprocess_input, decode_predictions


@pytest.mark.host_only  # NumPy arrays in, NumPy arrays out
def test_preprocess_input_is_keras_for_each_mode_and_layout(real):
    from keras.src.applications import imagenet_utils

    batches = [RNG.integers(0, 256, (2, 4, 5, 3)).astype(np.uint8), RNG.uniform(0, 255, (4, 5, 3)).astype(np.float32),
               RNG.uniform(0, 255, (2, 3, 4, 5))]
    for mode in ("caffe", "tf", "torch"):
        for data_format in (None, "channels_last", "channels_first"):
            for batch in batches:
                if data_format == "channels_first" and mode != "tf" and batch.shape[-3 if batch.ndim == 3 else 1] != 3:
                    continue
                if data_format != "channels_first" and batch.shape[-1] != 3:
                    continue
                given = batch.copy()
                mine = applications.imagenet_utils.preprocess_input(given, data_format=data_format, mode=mode)
                expected = imagenet_utils.preprocess_input(batch.copy(), data_format=data_format, mode=mode)
                assert mine.dtype == expected.dtype, (mode, data_format, batch.dtype)
                np.testing.assert_array_equal(mine, expected)
                np.testing.assert_array_equal(given, batch)  # the array given stays as it was, unlike Keras's
    x = RNG.uniform(0, 255, (2, 4, 4, 3)).astype(np.float32)
    for module in ("vgg16", "vgg19", "resnet50", "resnet", "resnet_v2", "mobilenet", "mobilenet_v2", "densenet",
                   "xception"):
        np.testing.assert_array_equal(getattr(applications, module).preprocess_input(x),
                                      getattr(real.applications, module).preprocess_input(x.copy()))


@pytest.mark.host_only
def test_decode_predictions_is_keras_with_the_same_class_index(real, tmp_path, monkeypatch):
    from keras.src.applications import imagenet_utils

    index = {str(i): [f"n{i:08d}", f"class {i}"] for i in range(1000)}
    path = tmp_path / "imagenet_class_index.json"
    path.write_text(json.dumps(index))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", index)
    asked = record_get_file(monkeypatch, path)
    preds = RNG.random((3, 1000)).astype(np.float32)
    preds[1, [5, 7]] = 2.0  # a tie
    for top in (5, 1, 12):
        mine = applications.resnet50.decode_predictions(preds, top=top)
        expected = real.applications.resnet50.decode_predictions(preds, top=top)
        assert mine == expected
    assert asked[0] == ("imagenet_class_index.json", imagenet_utils.CLASS_INDEX_PATH, "models",
                        "c2c37ea517e94d9795004a39431a14cb")


# --------------------------------------------------------------------------- transfer learning


def test_a_frozen_base_with_a_new_head_trains_the_head_only(keras_files):
    # pretrained-like weights (Keras's file; fresh ones make features too small for the head to learn from), the
    # file's classifier left out by name
    base = applications.MobileNetV2(input_shape=SMALL, alpha=0.35, include_top=False,
                                    weights=keras_files("mobilenet_v2"), pooling="avg")
    base.trainable = False
    inputs = keras.Input(shape=SMALL)
    x = base(applications.mobilenet_v2.preprocess_input(inputs), training=False)
    outputs = keras.layers.Dense(2, activation="softmax", name="head")(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy")
    before = [w.copy() for w in base.get_weights()]
    head = [w.copy() for w in model.get_layer("head").get_weights()]
    x_train = RNG.integers(0, 256, (8, *SMALL)).astype(np.float32)
    history = model.fit(x_train, np.arange(8) % 2, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    for a, b in zip(base.get_weights(), before):  # the moving statistics too: a frozen base runs in inference
        np.testing.assert_array_equal(a, b)
    assert all(not np.array_equal(a, b) for a, b in zip(model.get_layer("head").get_weights(), head))
    assert model.count_params() - sum(w.size for w in base.get_weights()) == 1280 * 2 + 2


@pytest.mark.host_only  # placeholders only
def test_an_input_tensor_starts_the_model_with_what_comes_before_it():
    inputs = keras.Input(shape=(36, 36, 3), name="pixels")
    scaled = keras.layers.Rescaling(1 / 127.5, -1, name="scale")(inputs)
    model = applications.MobileNet(input_tensor=scaled, alpha=0.25, include_top=False, weights=None)
    assert model.inputs[0] is inputs and [layer.name for layer in model.layers[:3]] == ["pixels", "scale", "conv1"]
    assert model.name == "mobilenet_0.25_None"  # the size is the tensor's, Keras names it so


# --------------------------------------------------------------------------- the modules and bad arguments


@pytest.mark.host_only
def test_the_modules_are_keras_modules():
    pairs = {"VGG16": "vgg16", "VGG19": "vgg19", "ResNet50": "resnet50", "ResNet101": "resnet", "ResNet152": "resnet",
             "ResNet50V2": "resnet_v2", "ResNet101V2": "resnet_v2", "ResNet152V2": "resnet_v2",
             "MobileNet": "mobilenet", "MobileNetV2": "mobilenet_v2", "DenseNet121": "densenet",
             "DenseNet169": "densenet", "DenseNet201": "densenet", "Xception": "xception"}
    for name, module in pairs.items():
        assert getattr(keras.applications, name) is getattr(getattr(keras.applications, module), name)
        assert getattr(keras.applications, module).decode_predictions is \
            applications.imagenet_utils.decode_predictions
    assert applications.resnet.ResNet50 is applications.resnet50.ResNet50
    with pytest.raises(AttributeError, match="fnlearn does not provide"):
        keras.applications.resnet.ResNet18  # noqa: B018  (a name Keras's module lacks too)


@pytest.mark.host_only  # refused before anything is built
@pytest.mark.parametrize("call, error, words", [
    (lambda: applications.VGG16(weights="imagenett"), ConfigError, ("weights='imagenett'", "'imagenet'")),
    (lambda: applications.ResNet50(weights="imagenet", classes=10), ConfigError, ("classes=10", "include_top=False")),
    (lambda: applications.VGG19(include_top=False, weights=None, input_shape=(16, 16, 3)), ShapeError,
     ("(16, 16, 3)", "32x32")),
    (lambda: applications.ResNet101(include_top=False, input_shape=(64, 64, 1)), ShapeError,
     ("3 channels", "weights=None")),
    (lambda: applications.VGG16(include_top=False, input_shape=(64, 64)), ShapeError, ("(64, 64)", "(height, width")),
    (lambda: applications.ResNet152(input_shape=(160, 160, 3)), ShapeError, ("(224, 224, 3)", "include_top=False")),
    (lambda: applications.MobileNetV2(include_top=False, pooling="mean"), ConfigError, ("pooling='mean'", "'avg'")),
    (lambda: applications.MobileNet(alpha=0.6), ConfigError, ("alpha=0.6", "0.25")),
    (lambda: applications.MobileNet(depth_multiplier=2), ConfigError, ("depth_multiplier=2",)),
    (lambda: applications.MobileNetV2(classifier_activation="relu"), ConfigError,
     ("classifier_activation='relu'", "'softmax'")),
    (lambda: applications.VGG16(weights=None, input_shape=(None, None, 3)), ShapeError, ("unknown",)),
    (lambda: applications.DenseNet121(include_top=False), ShapeError, ("no image size", "input_shape=(height")),
    (lambda: applications.Xception(include_top=False, input_shape=(64, 64, 3)), ShapeError, ("(64, 64, 3)", "71x71")),
    (lambda: applications.MobileNet(weights=None, input_tensor=np.zeros((1, 32, 32, 3))), ConfigError,
     ("input_tensor", "ndarray")),
    (lambda: applications.imagenet_utils.preprocess_input(np.zeros((2, 4)), mode="caffe"), ShapeError, ("(2, 4)",)),
    (lambda: applications.resnet50.preprocess_input(keras.Input(shape=(8, 8, 3))), ConfigError,
     ("mode='caffe'", "before fit or predict")),
    (lambda: applications.imagenet_utils.preprocess_input(np.zeros((2, 3)), mode="inception"), ConfigError,
     ("mode='inception'",)),
    (lambda: applications.vgg16.decode_predictions(np.zeros((2, 10))), ShapeError, ("(2, 10)", "1000")),
])
def test_bad_arguments_are_refused_in_one_sentence_before_any_download(monkeypatch, call, error, words):
    assert_refused_before_download(monkeypatch, call, error, words)
