"""write_all(): the lecture's figure set from small deterministic models."""

from __future__ import annotations

import numpy as np
import pytest
from explain_helpers import assert_png

from fnlearn.errors import ConfigError
from fnlearn.explain import figures, pieces


@pytest.fixture
def short_training(monkeypatch):
    """The figures' models train for a few full-batch steps instead of hundreds: the figures are still
    drawn from trained models, by the same code, and the cached models are not kept for other tests."""
    train = figures._train

    def few_steps(model, x, y, loss, steps, lr, validation=None):
        return train(model, x, y, loss, min(steps, 3), lr, validation)

    monkeypatch.setattr(figures, "_train", few_steps)
    figures._sigmoid_model.cache_clear()
    figures._deep_relu_model.cache_clear()
    yield
    figures._sigmoid_model.cache_clear()
    figures._deep_relu_model.cache_clear()


def test_write_all_writes_every_figure(tmp_path, short_training):
    paths = figures.write_all(tmp_path)
    assert set(paths) == set(figures.FIGURES)
    for path in paths.values():
        assert_png(path)


def test_a_subset_as_svg_and_bad_names(tmp_path):
    paths = figures.write_all(tmp_path, fmt="svg", names=["hard_sigmoid"])
    assert list(paths) == ["hard_sigmoid"] and paths["hard_sigmoid"].suffix == ".svg"
    with pytest.raises(ConfigError, match="did you mean 'boundary'"):
        figures.write_all(tmp_path, names=["bondary"])
    with pytest.raises(ConfigError, match="png"):
        figures.write_all(tmp_path, fmt="jpg")


def test_the_hand_built_relu_network_is_the_red_curve_and_has_three_pairs():
    model = figures.relu_model_of_red_curve()
    p = pieces(model, x_range=(0, 10), num=201)
    np.testing.assert_allclose(p.output, figures.red_curve(p.x), atol=1e-5)
    assert [pair.units for pair in p.pairs] == [(0, 1), (2, 3), (4, 5)]
    assert [pair.height for pair in p.pairs] == pytest.approx([2.0, -2.5, 1.5])
