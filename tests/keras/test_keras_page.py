"""docs/keras.md: its program runs as printed, and every name its tables list exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fnlearn import keras

PAGE = Path(__file__).resolve().parents[2] / "docs" / "keras.md"


def test_the_page_code_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 4
    monkeypatch.chdir(tmp_path)  # the program saves a model file
    namespace: dict = {"__name__": "keras_page"}
    for block in blocks:
        exec(compile(block, PAGE.name, "exec"), namespace)  # the page's own code, nothing else
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("['accuracy', 'loss', 'val_accuracy', 'val_loss'] True")
    assert printed[1] == "True" and printed[2] == "True (3, 1)"
    assert "is a Keras name that fnlearn does not provide" in printed[3]
    assert printed[4] == "['loss', 'mae']"  # the train_step of one's own


@pytest.mark.parametrize("module, names", [
    ("layers", "Input Dense Dropout Flatten Activation Softmax ReLU LeakyReLU Normalization BatchNormalization "
               "Concatenate Add Subtract Multiply Average Maximum Minimum concatenate add subtract multiply average "
               "maximum minimum Conv2D MaxPooling2D AveragePooling2D GlobalAveragePooling2D GlobalMaxPooling2D "
               "Reshape Rescaling MaxPool2D AvgPool2D GlobalAvgPool2D GlobalMaxPool2D ZeroPadding2D Cropping2D "
               "UpSampling2D RandomFlip RandomRotation RandomZoom RandomTranslation RandomContrast SimpleRNN LSTM GRU "
               "Bidirectional Masking RNN SimpleRNNCell LSTMCell GRUCell StackedRNNCells Embedding TextVectorization "
               "DepthwiseConv2D SeparableConv2D SeparableConvolution2D"),
    ("activations", "relu sigmoid hard_sigmoid tanh softmax log_softmax softplus leaky_relu elu selu gelu silu swish "
                    "relu6 linear"),
    ("losses", "MeanSquaredError MeanAbsoluteError MeanAbsolutePercentageError MeanSquaredLogarithmicError Huber "
               "LogCosh BinaryCrossentropy CategoricalCrossentropy SparseCategoricalCrossentropy Hinge SquaredHinge "
               "mean_squared_error mean_absolute_error huber log_cosh binary_crossentropy categorical_crossentropy"),
    ("metrics", "BinaryAccuracy CategoricalAccuracy SparseCategoricalAccuracy MeanSquaredError MeanAbsoluteError "
                "BinaryCrossentropy CategoricalCrossentropy SparseCategoricalCrossentropy Precision Recall AUC "
                "TruePositives FalsePositives TrueNegatives FalseNegatives RootMeanSquaredError Mean Sum "
                "MeanMetricWrapper Metric"),
    ("optimizers", "SGD Adagrad RMSprop Adam AdamW Adamax Nadam"),
    ("optimizers.schedules", "ExponentialDecay InverseTimeDecay PiecewiseConstantDecay PolynomialDecay CosineDecay"),
    ("callbacks", "EarlyStopping ModelCheckpoint LearningRateScheduler ReduceLROnPlateau CSVLogger TerminateOnNaN "
                  "LambdaCallback History Callback"),
    ("initializers", "GlorotUniform GlorotNormal HeUniform HeNormal LecunUniform LecunNormal RandomNormal "
                     "RandomUniform TruncatedNormal Constant Zeros Ones"),
    ("regularizers", "L1 L2 L1L2"),
    ("utils", "to_categorical normalize set_random_seed pad_sequences get_file PyDataset Sequence"),
    ("preprocessing.sequence", "pad_sequences"),
    ("datasets", "mnist fashion_mnist boston_housing imdb reuters"),
    ("datasets.imdb", "load_data get_word_index"),
    ("datasets.reuters", "load_data get_word_index get_label_names"),
    ("datasets.boston_housing", "load_data"),
    ("backend", "clear_session floatx set_floatx epsilon get_value set_value"),
    ("saving", "load_model save_model register_keras_serializable get_registered_object get_custom_objects"),
    ("ops", "mean sum var std square sqrt abs exp log log1p clip maximum where matmul reshape argmax cast one_hot "
            "round floor sign isnan logical_and binary_crossentropy categorical_crossentropy convert_to_numpy"),
])
def test_every_name_the_page_lists_is_there(module, names):
    target = keras
    for part in module.split("."):
        target = getattr(target, part)
    for name in names.split():
        assert hasattr(target, name), f"keras.{module}.{name}"
