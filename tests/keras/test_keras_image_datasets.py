"""keras.utils.image_dataset_from_directory and the single-image tools, on small folders of PNG and JPEG files made
here: Keras's file order, shuffle and split (against Keras's own index and split code where Keras is installed,
and against the rules read in it, written out as expected file orders), labels, colour modes, Keras's pixels,
batches read lazily, and the image-classification tutorial's whole program."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from contextlib import redirect_stdout

import numpy as np
import pytest
from PIL import Image
from real_keras import real_keras

import fnlearn as fl
from fnlearn import backend
from fnlearn.datasets import images as image_module
from fnlearn.errors import ConfigError, DataError, DatasetError, MissingDependencyError, SaveError
from fnlearn.keras.utils import array_to_img, image_dataset_from_directory, img_to_array, load_img, save_img
from fnlearn.nn.image import resize

RNG = np.random.default_rng(2)


def solid(path, value, size=(6, 8), mode="RGB"):
    """A one-colour image whose value names the file (the class in the tens, the file in the ones)."""
    channels = {"RGB": 3, "RGBA": 4, "L": 1}[mode]
    pixels = np.full((*size, channels), value, dtype=np.uint8)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(pixels[..., 0] if mode == "L" else pixels, mode).save(path)


@pytest.fixture
def flowers(tmp_path):
    """Two classes in sorted folders, a nested folder, a hidden folder, a text file and an upper-case extension."""
    root = str(tmp_path / "flowers")
    solid(f"{root}/b_roses/2.png", 12)
    solid(f"{root}/b_roses/10.png", 11)
    solid(f"{root}/b_roses/X.PNG", 13, size=(9, 5))
    solid(f"{root}/b_roses/sub/1.png", 14)
    solid(f"{root}/a_daisy/z.png", 1, size=(7, 7))
    solid(f"{root}/a_daisy/y.png", 2)
    solid(f"{root}/.hidden/h.png", 99)
    solid(f"{root}/top.png", 98)
    open(f"{root}/b_roses/notes.txt", "w").close()
    return root


SORTED = ["a_daisy/y.png", "a_daisy/z.png", "b_roses/10.png", "b_roses/2.png", "b_roses/X.PNG", "b_roses/sub/1.png"]


def relative(paths, root):
    return [os.path.relpath(p, root) for p in paths]


def quiet(fn, *args, **kwargs):
    out = io.StringIO()
    with redirect_stdout(out):
        result = fn(*args, **kwargs)
    return result, out.getvalue()


def values(ds):
    """The value each image of a pass holds (its file's name tag) and its label, in the order they came."""
    tags, labels = [], []
    for batch_images, batch_labels in ds:
        tags += np.round(backend.to_numpy(batch_images)[:, 0, 0, 0]).astype(int).tolist()
        labels += np.asarray(batch_labels).tolist()
    return tags, labels


def test_files_labels_and_classes_in_keras_order(flowers):
    ds, printed = quiet(image_dataset_from_directory, flowers, shuffle=False, image_size=(4, 4), batch_size=4)
    assert printed == "Found 6 files belonging to 2 classes.\n"
    assert ds.class_names == ["a_daisy", "b_roses"] and len(ds) == 2
    # classes are the sorted visible subfolders; files sorted by name within a folder, its subfolders after it
    assert relative(ds.file_paths, flowers) == SORTED
    assert values(ds) == ([2, 1, 11, 12, 13, 14], [0, 0, 1, 1, 1, 1])
    images, labels = next(iter(ds))
    assert images.shape == (4, 4, 4, 3) and images.dtype == np.float32 and labels.dtype == np.int32
    # labels=None reads every image under the folder (the hidden folder too, as Keras's walk does)
    alone, printed = quiet(image_dataset_from_directory, flowers, labels=None, shuffle=False, image_size=(4, 4))
    assert printed == "Found 8 files.\n" and alone.class_names is None
    assert relative(alone.file_paths, flowers) == ["top.png", ".hidden/h.png", *SORTED]
    assert next(iter(alone)).shape == (8, 4, 4, 3)  # images only


def test_the_shuffle_is_keras_randomstate_permutation_of_the_sorted_files(flowers):
    ds, _ = quiet(image_dataset_from_directory, flowers, seed=7, image_size=(4, 4), batch_size=2)
    order = list(range(6))
    np.random.RandomState(7).shuffle(order)
    assert relative(ds.file_paths, flowers) == [SORTED[i] for i in order]
    tags, labels = values(ds)
    # every pass reads each file once, each image with its own label, in a new order drawn from a buffer
    assert sorted(tags) == [1, 2, 11, 12, 13, 14] and labels == [t // 10 for t in tags]
    assert values(ds) != values(ds)


def test_the_files_and_labels_equal_keras_index_and_split(flowers):
    real = real_keras()
    from keras.src.utils import dataset_utils

    for labels, seed in (("inferred", 3), (None, 4), ([0, 1, 1, 0, 1, 0, 1, 1], 5)):
        # a copy: Keras shuffles a list of labels in place
        paths, their_labels, names = dataset_utils.index_directory(
            flowers, list(labels) if isinstance(labels, list) else labels, formats=image_module.ALLOWED_FORMATS,
            shuffle=True, seed=seed, verbose=False)
        mine = image_module.index_directory(flowers, labels, shuffle=True, seed=seed)
        assert mine[0] == paths and mine[2] == names
        assert (mine[1] is None) == (their_labels is None)
        if their_labels is not None:
            assert list(mine[1]) == list(their_labels)
        for subset in ("training", "validation"):
            with redirect_stdout(io.StringIO()):
                expected = dataset_utils.get_training_or_validation_split(paths, their_labels, 0.34, subset)
                ds = image_dataset_from_directory(flowers, labels=labels, label_mode=None if labels is None else
                                                  "int", seed=seed, validation_split=0.34, subset=subset,
                                                  image_size=(4, 4))
            assert ds.file_paths == expected[0]
    assert real.__version__.startswith("3.")


def test_the_same_seed_splits_into_complementary_subsets(flowers):
    train, printed = quiet(image_dataset_from_directory, flowers, seed=11, validation_split=0.34, subset="training",
                           image_size=(4, 4))
    assert printed == "Found 6 files belonging to 2 classes.\nUsing 4 files for training.\n"
    val, printed = quiet(image_dataset_from_directory, flowers, seed=11, validation_split=0.34,
                         subset="validation", image_size=(4, 4))
    assert printed == "Found 6 files belonging to 2 classes.\nUsing 2 files for validation.\n"
    order = list(range(6))
    np.random.RandomState(11).shuffle(order)
    shuffled = [SORTED[i] for i in order]
    # Keras's rule: the validation files are the last int(0.34 * 6) = 2 of the shuffled order
    assert relative(train.file_paths, flowers) == shuffled[:4]
    assert relative(val.file_paths, flowers) == shuffled[4:]
    assert sorted(values(train)[0] + values(val)[0]) == [1, 2, 11, 12, 13, 14]
    both, printed = quiet(image_dataset_from_directory, flowers, seed=11, validation_split=0.34, subset="both",
                          image_size=(4, 4))
    assert printed.endswith("Using 4 files for training.\nUsing 2 files for validation.\n")
    assert [d.file_paths for d in both] == [train.file_paths, val.file_paths]
    tags = [int(t) for t in values(both[1])[0]]
    assert tags == values(both[1])[0]  # "both"'s validation part keeps its order, pass after pass
    _, printed = quiet(image_dataset_from_directory, flowers, seed=11, validation_split=0.34, subset="training",
                       image_size=(4, 4), verbose=False)
    assert printed == ""


def test_label_modes_explicit_labels_and_chosen_classes(flowers):
    opts = dict(shuffle=False, image_size=(3, 3), verbose=False)
    _, onehot = next(iter(image_dataset_from_directory(flowers, label_mode="categorical", **opts)))
    assert onehot.dtype == np.float32 and onehot.tolist()[:3] == [[1, 0], [1, 0], [0, 1]]
    _, binary = next(iter(image_dataset_from_directory(flowers, label_mode="binary", **opts)))
    assert binary.dtype == np.float32 and binary.shape == (6, 1) and binary.ravel().tolist() == [0, 0, 1, 1, 1, 1]
    explicit = image_dataset_from_directory(flowers, labels=[0, 2, 2, 0, 2, 0, 0, 2], label_mode="int", **opts)
    assert explicit.class_names == ["0", "2"]
    # labels=[...] go with every image under the folder, in Keras's walk order
    assert relative(explicit.file_paths, flowers) == ["top.png", ".hidden/h.png", *SORTED]
    assert values(explicit) == ([98, 99, 2, 1, 11, 12, 13, 14], [0, 2, 2, 0, 2, 0, 0, 2])
    chosen = image_dataset_from_directory(flowers, class_names=["b_roses", "a_daisy"], **opts)
    assert chosen.class_names == ["b_roses", "a_daisy"] and values(chosen)[1] == [0, 0, 0, 0, 1, 1]
    single = image_dataset_from_directory(flowers, batch_size=None, **opts)
    image, label = next(iter(single))
    assert image.shape == (3, 3, 3) and label.shape == () and len(single) == 6


def test_color_modes_and_pixels(tmp_path):
    root = str(tmp_path)
    os.makedirs(f"{root}/c")
    Image.fromarray(np.dstack([np.full((5, 5), v, np.uint8) for v in (10, 200, 30, 128)]), "RGBA").save(
        f"{root}/c/rgba.png")
    rgba = image_dataset_from_directory(root, color_mode="rgba", image_size=(2, 3), verbose=False, shuffle=False)
    images, _ = next(iter(rgba))
    assert images.shape == (1, 2, 3, 4)
    np.testing.assert_allclose(images[0, 0, 0], [10, 200, 30, 128], atol=1e-3)
    rgb = next(iter(image_dataset_from_directory(root, image_size=(2, 3), verbose=False)))[0]
    np.testing.assert_allclose(rgb[0, 1, 1], [10, 200, 30], atol=1e-3)
    gray = next(iter(image_dataset_from_directory(root, color_mode="grayscale", image_size=(2, 3), verbose=False)))[0]
    assert gray.shape == (1, 2, 3, 1)
    np.testing.assert_allclose(gray[0, 0, 0, 0], round(10 * 0.299 + 200 * 0.587 + 30 * 0.114), atol=1.0)


@pytest.mark.keras_backend("jax")  # Keras on JAX's results: its PyTorch backend's differ here
@pytest.mark.parametrize("ext", ["png", "jpg"])
@pytest.mark.parametrize("interpolation,crop,pad", [("bilinear", False, False), ("nearest", False, False),
                                                    ("bilinear", True, False), ("bicubic", False, True)],
                         ids=["bilinear", "nearest", "crop", "pad"])
def test_images_are_resized_as_keras_resizes_them(tmp_path, ext, interpolation, crop, pad):
    pixels = (RNG.random((9, 13, 3)) * 255).astype(np.uint8)
    os.makedirs(tmp_path / "c")
    path = str(tmp_path / "c" / f"photo.{ext}")
    Image.fromarray(pixels).save(path)
    ds = image_dataset_from_directory(str(tmp_path), image_size=(5, 7), interpolation=interpolation,
                                      crop_to_aspect_ratio=crop, pad_to_aspect_ratio=pad, verbose=False)
    ours = np.asarray(next(iter(ds))[0][0])
    decoded = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32)
    expected = backend.to_numpy(resize(decoded[None], (5, 7), interpolation, crop, pad).data)[0]
    np.testing.assert_allclose(ours, expected, rtol=1e-5, atol=1e-3)
    real = real_keras()
    from keras.src.utils import image_dataset_utils

    theirs = image_dataset_utils._load_image_grain(path, (5, 7), 3, interpolation, "channels_last", crop, pad)
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-5, atol=2e-3)
    assert real is not None


def test_batches_are_read_when_asked_and_cache_keeps_them(flowers, monkeypatch):
    reads = []
    decoded = image_module._decoded
    monkeypatch.setattr(image_module, "_decoded", lambda path, mode: reads.append(path) or decoded(path, mode))
    ds = image_dataset_from_directory(flowers, image_size=(3, 3), batch_size=2, seed=1, verbose=False)
    assert reads == []  # making the dataset reads no image
    next(iter(ds))
    assert len(reads) == 2  # the first batch only
    reads.clear()
    cached = ds.cache()
    first, second = values(cached), values(cached)
    assert len(reads) == 6 and first == second  # one full pass read every image once; the next one read none
    reads.clear()
    reshuffled = cached.shuffle(3, seed=0)
    assert sorted(values(reshuffled)[0]) == sorted(first[0]) and reads == []


def test_single_images_to_and_from_arrays_as_keras(tmp_path):
    real = real_keras()
    pixels = (RNG.random((10, 14, 3)) * 255).astype(np.uint8)
    path = str(tmp_path / "p.png")
    Image.fromarray(pixels).save(path)
    for kwargs in (dict(target_size=(4, 6)), dict(target_size=(6, 4), interpolation="bilinear",
                                                  keep_aspect_ratio=True), dict(color_mode="grayscale"),
                   dict(color_mode="rgba", target_size=(5, 5), interpolation="lanczos")):
        ours, theirs = load_img(path, **kwargs), real.utils.load_img(path, **kwargs)
        assert ours.mode == theirs.mode and ours.size == theirs.size
        np.testing.assert_array_equal(img_to_array(ours), real.utils.img_to_array(theirs))
    assert img_to_array(load_img(path), data_format="channels_first").shape == (3, 10, 14)
    x = RNG.normal(size=(4, 5, 3))
    np.testing.assert_array_equal(np.asarray(array_to_img(x)), np.asarray(real.utils.array_to_img(x)))
    np.testing.assert_array_equal(np.asarray(array_to_img(x[..., :1] * 300, scale=False)),
                                  np.asarray(real.utils.array_to_img(x[..., :1] * 300, scale=False)))


def test_save_img_writes_whole_files_or_nothing(tmp_path):
    path = tmp_path / "out.jpg"
    save_img(path, np.full((4, 4, 3), 200.0), scale=False)
    save_img(path, fl.tensor(np.full((4, 4, 3), 50.0)), scale=False, quality=95)  # replaces it
    assert os.listdir(tmp_path) == ["out.jpg"]  # no temporary file is left
    np.testing.assert_allclose(img_to_array(load_img(path)), 50.0, atol=2)
    with pytest.raises(SaveError, match="does not exist"):
        save_img(tmp_path / "missing" / "x.png", np.zeros((2, 2, 3)))
    with pytest.raises(ConfigError, match=r"cannot tell which image format .* \.png or \.jpg"):
        save_img(tmp_path / "noext", np.zeros((2, 2, 3)))
    with pytest.warns(UserWarning, match="does not support RGBA"):
        save_img(tmp_path / "a.jpg", np.zeros((2, 2, 4)))
    assert sorted(os.listdir(tmp_path)) == ["a.jpg", "out.jpg"]
    buffer = io.BytesIO()
    save_img(buffer, np.zeros((2, 2, 1)), file_format="png")
    assert load_img(io.BytesIO(buffer.getvalue()), color_mode="grayscale").size == (2, 2)


def test_pillow_is_imported_only_when_an_image_is_read_and_its_absence_is_one_sentence(monkeypatch, tmp_path):
    code = "import sys, fnlearn, fnlearn.keras, fnlearn.compat.tensorflow; print('PIL' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", out.stderr
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(MissingDependencyError, match=r"needs Pillow, which is not installed; install it with: pip "
                                                     r"install pillow\.$"):
        load_img(tmp_path / "x.png")


@pytest.mark.parametrize("kwargs,error,words", [
    (dict(directory="missing"), DatasetError, ["missing' does not exist"]),
    (dict(subset="training"), ConfigError, ["subset='training' needs a validation_split"]),
    (dict(validation_split=0.2), ConfigError, ["needs subset="]),
    (dict(validation_split=0.2, subset="training"), ConfigError, ["needs a seed"]),
    (dict(validation_split=0.2, subset="train", seed=1), ConfigError, ["'training', 'validation' or 'both'"]),
    (dict(validation_split=1.5, subset="training", seed=1), ConfigError, ["between 0 and 1"]),
    (dict(validation_split=0.1, subset="training", seed=1), ConfigError, ["holds out int(0.1 × 6) = 0 files"]),
    (dict(labels=[0, 1]), DataError, ["labels has 2 entries", "8 image files"]),
    (dict(labels="folders"), ConfigError, ["labels must be 'inferred'"]),
    (dict(labels=[0, 1, 1, 0, 1, 0], class_names=["a"]), ConfigError, ["class_names can only be given"]),
    (dict(class_names=["tulips"]), ConfigError, ["'tulips'", "not a subfolder", "['a_daisy', 'b_roses']"]),
    (dict(class_names=["a_daisy"], label_mode=None), ConfigError, ["class_names cannot be given without labels"]),
    (dict(label_mode="sparse"), ConfigError, ["label_mode", "'sparse'"]),
    (dict(labels=[0, 1, 2, 0, 1, 2, 0, 1], label_mode="binary"), ConfigError, ["exactly 2 classes", "3"]),
    (dict(labels=[0, 1, 2, 0, 1, 2, 0, 5], label_mode="categorical"), DataError, ["4 classes", "a label is 5"]),
    (dict(color_mode="hsv"), ConfigError, ["color_mode", "'hsv'"]),
    (dict(image_size=(0, 4)), ConfigError, ["image_size", "(0, 4)"]),
    (dict(interpolation="gaussian"), ConfigError, ["'gaussian'", "fnlearn does not have"]),
    (dict(crop_to_aspect_ratio=True, pad_to_aspect_ratio=True), ConfigError, ["cannot both be True"]),
    (dict(batch_size=0), ConfigError, ["batch_size", "≥ 1 or None"]),
    (dict(data_format="channels_first"), ConfigError, ["channels_last"]),
])
def test_bad_arguments_are_refused_in_one_sentence_before_printing(flowers, kwargs, error, words):
    kwargs = {"directory": flowers, **kwargs}
    if kwargs["directory"] == "missing":
        kwargs["directory"] = os.path.join(flowers, "missing")
    out = io.StringIO()
    with redirect_stdout(out), pytest.raises(error) as info:
        image_dataset_from_directory(**kwargs)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, message
    assert out.getvalue() in ("", "Found 6 files belonging to 2 classes.\n", "Found 8 files belonging to 3 classes.\n",
                              "Found 8 files belonging to 4 classes.\n")


def test_a_folder_without_images_and_an_unreadable_image(tmp_path):
    os.makedirs(tmp_path / "empty_class")
    with redirect_stdout(io.StringIO()), pytest.raises(DatasetError, match="no images found in .*one subfolder of "
                                                                            "images per class"):
        image_dataset_from_directory(str(tmp_path))
    (tmp_path / "empty_class" / "broken.jpg").write_bytes(b"not a jpeg")
    ds = image_dataset_from_directory(str(tmp_path), verbose=False)
    with pytest.raises(DatasetError, match=r"cannot read .*broken\.jpg' as an image"):
        next(iter(ds))


def test_the_image_classification_tutorial_runs_unchanged(tmp_path):
    """TensorFlow's "Image classification" tutorial (flowers), as written, on a small local folder."""
    import pathlib

    for c, name in enumerate(["daisy", "roses", "tulips"]):
        for i in range(5):
            pixels = (RNG.random((14 + i, 18, 3)) * 70 + 80 * c).astype(np.uint8)
            os.makedirs(tmp_path / name, exist_ok=True)
            Image.fromarray(pixels).save(tmp_path / name / f"{i}.{'jpg' if i % 2 else 'png'}")
    from fnlearn.compat.tensorflow.keras import layers
    from fnlearn.compat.tensorflow.keras.models import Sequential

    from fnlearn.compat import tensorflow as tf
    from fnlearn.compat.tensorflow import keras

    tf.random.set_seed(0)
    data_dir = pathlib.Path(tmp_path)
    batch_size, img_height, img_width = 4, 12, 12
    with redirect_stdout(io.StringIO()) as printed:
        train_ds = tf.keras.utils.image_dataset_from_directory(
            data_dir, validation_split=0.2, subset="training", seed=123,
            image_size=(img_height, img_width), batch_size=batch_size)
        val_ds = tf.keras.utils.image_dataset_from_directory(
            data_dir, validation_split=0.2, subset="validation", seed=123,
            image_size=(img_height, img_width), batch_size=batch_size)
    assert printed.getvalue().splitlines() == ["Found 15 files belonging to 3 classes.",
                                               "Using 12 files for training.",
                                               "Found 15 files belonging to 3 classes.",
                                               "Using 3 files for validation."]
    class_names = train_ds.class_names
    assert class_names == ["daisy", "roses", "tulips"]
    for images, labels in train_ds.take(1):
        for i in range(3):
            assert images[i].numpy().astype("uint8").shape == (12, 12, 3) and class_names[labels[i]] in class_names
    for image_batch, labels_batch in train_ds:
        assert image_batch.shape == (4, 12, 12, 3) and labels_batch.shape == (4,)
        break
    AUTOTUNE = tf.data.AUTOTUNE  # noqa: N806  (the tutorial's name)
    train_ds = train_ds.cache().shuffle(1000).prefetch(buffer_size=AUTOTUNE)
    val_ds = val_ds.cache().prefetch(buffer_size=AUTOTUNE)
    normalization_layer = layers.Rescaling(1. / 255)
    normalized_ds = train_ds.map(lambda x, y: (normalization_layer(x), y))
    image_batch, labels_batch = next(iter(normalized_ds))
    first_image = image_batch[0]
    assert 0.0 <= np.min(first_image) < np.max(first_image) <= 1.0
    num_classes = len(class_names)
    data_augmentation = keras.Sequential([
        layers.RandomFlip("horizontal", input_shape=(img_height, img_width, 3)),
        layers.RandomRotation(0.1),
        layers.RandomZoom(0.1),
    ])
    model = Sequential([
        data_augmentation,
        layers.Rescaling(1. / 255),
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(8, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Dropout(0.2),
        layers.Flatten(),
        layers.Dense(16, activation="relu"),
        layers.Dense(num_classes, name="outputs"),
    ])
    model.compile(optimizer="adam", loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    epochs = 2
    history = model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=0)
    assert sorted(history.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]
    assert all(len(v) == epochs and np.isfinite(v).all() for v in history.history.values())
    img = tf.keras.utils.load_img(data_dir / "roses" / "1.jpg", target_size=(img_height, img_width))
    img_array = tf.keras.utils.img_to_array(img)
    img_array = tf.expand_dims(img_array, 0)  # Create a batch
    predictions = model.predict(img_array)
    score = tf.nn.softmax(predictions[0])
    assert predictions.shape == (1, 3) and class_names[np.argmax(score)] in class_names
    line = ("This image most likely belongs to {} with a {:.2f} percent confidence."  # noqa: UP032  (the tutorial's)
            .format(class_names[np.argmax(score)], 100 * np.max(score)))
    assert line.endswith(f"with a {100 * float(score.numpy().max()):.2f} percent confidence.")
    assert float(score.numpy().sum()) == pytest.approx(1.0, rel=1e-5)
    loss, accuracy = model.evaluate(val_ds)
    assert loss == pytest.approx(history.history["val_loss"][-1], rel=1e-5)
