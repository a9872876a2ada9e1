"""fnlearn.compat.tensorflow: `tf.keras.…` for programs whose only change is the TensorFlow import."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fnlearn as fl
from fnlearn import keras


def test_tf_keras_is_fnlearn_keras():
    from fnlearn.compat import tensorflow as tf

    assert tf.keras is keras
    assert tf.keras.Sequential is keras.Sequential
    assert tf.keras.layers.Dense is fl.layers.Dense
    assert tf.keras.optimizers.Adam is keras.optimizers.Adam
    assert tf.keras.utils.to_categorical is fl.data.to_categorical
    assert callable(tf.keras.datasets.mnist.load_data)
    assert tf.__version__ == fl.__version__


def test_the_likes_model_builds_as_written():
    from fnlearn.compat import tensorflow as tf

    model = tf.keras.Sequential([
        tf.keras.layers.Dense(5, activation="relu", input_shape=(5,)),
        tf.keras.layers.Dense(1, activation="sigmoid"),
    ])
    assert model.num_parameters() == 36
    out = model(np.ones((2, 5))).numpy()
    assert out.shape == (2, 1) and np.all((out > 0) & (out < 1))


def test_tf_random_set_seed_seeds_fnlearn():
    from fnlearn.compat import tensorflow as tf

    tf.random.set_seed(7)
    a = tf.keras.layers.Dense(3, input_dim=2).kernel.numpy()
    fl.set_seed(7)
    assert np.array_equal(a, fl.layers.Dense(3, input_dim=2).kernel.numpy())


def test_dotted_imports_work_in_a_fresh_interpreter():
    """`from tensorflow.keras.models import Sequential` becomes an import under fnlearn.compat.tensorflow."""
    program = textwrap.dedent("""
        from fnlearn.compat.tensorflow.keras.models import Sequential
        from fnlearn.compat.tensorflow.keras.layers import Dense
        from fnlearn.compat.tensorflow.keras.optimizers import SGD
        from fnlearn.compat.tensorflow.keras.datasets import mnist
        import fnlearn.compat.tensorflow.keras.utils as utils
        import fnlearn.compat
        model = Sequential([Dense(100, activation="relu", input_dim=784), Dense(10, activation="softmax")])
        assert callable(mnist.load_data) and callable(utils.to_categorical) and SGD(lr=0.1).learning_rate == 0.1
        assert fnlearn.compat.tensorflow.keras.Sequential is Sequential
        print(model.num_parameters())
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(784 * 100 + 100 + 100 * 10 + 10)


def test_unknown_compat_module_is_an_attribute_error():
    import fnlearn.compat

    try:
        fnlearn.compat.pytorch  # noqa: B018
    except AttributeError as exc:
        assert "pytorch" in str(exc)
    else:
        raise AssertionError("fnlearn.compat.pytorch should not exist")


def test_tf_nn_holds_fnlearns_activations_and_other_names_say_what_there_is(tmp_path):
    from fnlearn.compat import tensorflow as tf

    assert tf.nn.relu is fl.functional.relu and tf.nn.softmax is fl.functional.softmax
    model = tf.keras.Sequential([tf.keras.layers.Dense(4, activation=tf.nn.relu, input_shape=(3,)),
                                 tf.keras.layers.Dense(2)])
    predictions = model(np.zeros((1, 3))).numpy()
    probabilities = tf.nn.softmax(predictions).numpy()  # the quickstart's two lines
    np.testing.assert_allclose(probabilities.sum(), 1.0, rtol=1e-6)
    model.save(tmp_path / "m.keras")
    assert tf.keras.models.load_model(tmp_path / "m.keras").layers[0].activation is fl.functional.relu
    with pytest.raises(AttributeError, match=r"tf.linspace is not part of .*use NumPy"):
        getattr(tf, "linspace")  # noqa: B009  (the attribute access is the point)
