"""keras.visualization: the galleries draw Keras's pixels and titles, the masks are painted as Keras paints them,
and bad arguments are refused in one sentence before anything is drawn or written."""

from __future__ import annotations

import numpy as np
import pytest
from real_keras import real_keras

from fnlearn.errors import ConfigError, DataError, ShapeError
from fnlearn.keras import visualization

pytestmark = pytest.mark.host_only  # NumPy arrays and matplotlib figures: no tensor op to run on a GPU

matplotlib = pytest.importorskip("matplotlib", reason="the galleries are drawn with matplotlib")
matplotlib.use("Agg")

RNG = np.random.default_rng(4)
IMAGES = RNG.uniform(0, 1, (4, 6, 5, 3)).astype(np.float32)
MASKS = RNG.integers(0, 4, (4, 6, 5, 1)).astype(np.int32)
LABELS = {0: "cat", 1: "dog"}


def _drawn(fig):
    """(each cell's pixels, its title) of a gallery figure."""
    return [(np.asarray(ax.get_images()[0].get_array()), ax.get_title()) for ax in fig.axes if ax.get_images()]


def _keras_figure(draw):
    import matplotlib.pyplot as plt

    plt.close("all")
    draw()
    fig = plt.gcf()  # show=False and no path: Keras leaves its figure open
    cells = _drawn(fig)
    plt.close("all")
    return cells


def _assert_same_cells(ours, theirs):
    assert len(ours) == len(theirs)
    for (mine, my_title), (its, its_title) in zip(ours, theirs):
        assert my_title == its_title
        np.testing.assert_array_equal(mine, its)


def test_the_image_gallery_draws_keras_pixels_and_titles():
    real = real_keras()
    args = dict(y_true=np.array([0, 1, 1, 5]), y_pred=[1, 1, 0, 0], label_map=LABELS, value_range=(0, 1), show=False)
    ours = visualization.plot_image_gallery(IMAGES, **args)
    _assert_same_cells(_drawn(ours), _keras_figure(lambda: real.visualization.plot_image_gallery(IMAGES, **args)))
    assert _drawn(ours)[3][1] == "Label: Unknown  Pred: cat"
    # Keras 3.15 turns channels-first images to channels-last twice (and fails): compared with its channels-last
    first = visualization.plot_image_gallery(IMAGES.transpose(0, 3, 1, 2), rows=1, cols=2, value_range=(0, 1),
                                             data_format="channels_first")
    _assert_same_cells(_drawn(first), _keras_figure(lambda: real.visualization.plot_image_gallery(
        IMAGES, rows=1, cols=2, value_range=(0, 1), show=False)))


def test_the_image_gallery_draws_every_image_grey_ones_too_and_writes_its_file(tmp_path):
    fig = visualization.plot_image_gallery(IMAGES[:, :, :, :1].repeat(2, 0)[:5] * 255)  # 5 grey images
    cells = _drawn(fig)
    assert len(fig.axes) == 6 and len(cells) == 5  # 3 × 2: every image, one cell left empty
    assert cells[0][0].shape == (6, 5) and cells[0][0].dtype == np.uint8
    path = tmp_path / "gallery" / "first.png"
    visualization.plot_image_gallery(IMAGES * 300, value_range=(0, 255), path=path)  # out of range: clipped
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and list(path.parent.iterdir()) == [path]


@pytest.mark.parametrize("kwargs, error, words", [
    ({"path": "g.png", "show": True}, ConfigError, "both a path and show=True"),
    ({"y_true": [0, 1, 0, 1]}, ConfigError, "labels (y_true or y_pred) but no label_map"),
    ({"rows": 0}, ConfigError, "rows=0; give a whole number ≥ 1"),
    ({"value_range": (1, 1)}, ConfigError, "plot_image_gallery value_range must be a pair (low, high) with low < high"),
    ({"path": "g.jpeg"}, ConfigError, "ends in '.jpeg'"),
    ({"data_format": "nhwc"}, ConfigError, "data_format='nhwc'; give 'channels_last'"),
])
def test_the_image_gallery_refuses_bad_arguments_before_drawing(kwargs, error, words, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        visualization.plot_image_gallery(IMAGES, **{"show": False, **kwargs})
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ShapeError, match=r"takes a batch of images \(batch, height, width, channels\), got shape "
                                         r"\(6, 5, 3\); give one image as images\[None\]"):
        visualization.plot_image_gallery(IMAGES[0])


# every class index below num_classes: Keras on PyTorch refuses the others (its one_hot), on JAX leaves them unpainted
@pytest.mark.parametrize("kwargs", [
    {"num_classes": 4},
    {"num_classes": 4, "alpha": 0.3},
    {"num_classes": 4, "blend": False},
    {"num_classes": 4, "ignore_index": 2, "alpha": 1.0},
    {"num_classes": 4, "color_mapping": {0: [255, 0, 0], 1: [0, 255, 0], 2: [0, 0, 255], 3: [9, 9, 9]}},
], ids=["defaults", "alpha", "no_blend", "ignored_class", "own_colours"])
def test_masks_are_painted_as_keras_paints_them(kwargs):
    real = real_keras()
    images = IMAGES * 255
    ours = visualization.draw_segmentation_masks(images, MASKS, **kwargs)
    theirs = np.asarray(real.visualization.draw_segmentation_masks(images, MASKS, **kwargs))
    assert ours.dtype == theirs.dtype
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(visualization.draw_segmentation_masks(images, MASKS[..., 0], **kwargs), ours)


def test_classes_from_num_classes_on_are_left_as_they_are():
    images = IMAGES * 255
    every = visualization.draw_segmentation_masks(images, MASKS, num_classes=4, alpha=0.5)
    for given in (None, 3):  # by default num_classes is the largest index, as in Keras: that class stays unpainted
        drawn = visualization.draw_segmentation_masks(images, MASKS, num_classes=given, alpha=0.5)
        top = MASKS[..., 0] == 3
        np.testing.assert_array_equal(drawn[top], images.astype(np.uint8)[top])
        np.testing.assert_array_equal(drawn[~top], every[~top])


def test_the_mask_gallery_draws_keras_rows_of_image_truth_and_prediction():
    real = real_keras()
    images, predicted = IMAGES[:2] * 255, (MASKS[:2] + 1) % 4
    ours = visualization.plot_segmentation_mask_gallery(images, 4, y_true=MASKS[:2], y_pred=predicted, alpha=0.6)
    assert len(ours.axes) == 6
    _assert_same_cells(_drawn(ours), _keras_figure(lambda: real.visualization.plot_segmentation_mask_gallery(
        images, 4, y_true=MASKS[:2], y_pred=predicted, alpha=0.6, show=False)))


def test_bad_masks_are_refused_in_one_sentence():
    with pytest.raises(DataError, match="whole-number class indices as segmentation_masks, got dtype float32; "
                                        "convert them with masks.astype"):
        visualization.draw_segmentation_masks(IMAGES, MASKS.astype(np.float32))
    with pytest.raises(ShapeError, match=r"masks of shape \(4, 5, 5, 1\) for images of shape \(4, 6, 5, 3\)"):
        visualization.draw_segmentation_masks(IMAGES, MASKS[:, :5])
    with pytest.raises(ConfigError, match=r"color_mapping without classes \[2\]; give a colour for every class"):
        visualization.draw_segmentation_masks(IMAGES, MASKS, num_classes=3, color_mapping={0: [0, 0, 0], 1: [1, 1, 1]})
    with pytest.raises(ConfigError, match="alpha=1.5; give the colours' opacity"):
        visualization.draw_segmentation_masks(IMAGES, MASKS, alpha=1.5)
