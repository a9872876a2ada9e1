"""The lecture programs run with nothing changed but their imports.

(a) The iThome "likes" classifier, verbatim except `import tensorflow as tf` →
    `from fnlearn.compat import tensorflow as tf`, run as its own program.
(b) Tsai's MNIST network (784-100-100-10, loss='mse', SGD(lr=0.087), batch_size=100, epochs=20), with
    `tensorflow.keras` → `fnlearn.keras` imports, on a small generated MNIST-format data set that
    `mnist.load_data()` finds through $FNLEARN_DATA.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("pandas")
pytest.importorskip("sklearn")

# The program as published (iThome, "likes" example), with only its TensorFlow import line changed.
LIKES_PROGRAM = """\
import pandas as pd
import numpy as np
from fnlearn.compat import tensorflow as tf
from sklearn.model_selection import train_test_split
# 隨機生成模擬數據
np.random.seed(42)
data = {
'height': np.random.randint(150, 200, size=100), # 身高
'age': np.random.randint(18, 40, size=100), # 年齡
'income': np.random.randint(30000, 100000, size=100), # 收入
'considerate': np.random.randint(0, 2, size=100), # 體貼 (0: 不體貼, 1: 體貼)
'distance': np.random.randint(0, 2, size=100), # 居住地遠近 (0: 遠, 1: 近)
'liked': np.random.randint(0, 2, size=100) # 女神是否喜歡 (0: 不喜歡, 1: 喜歡)
}
# 創建 DataFrame
df = pd.DataFrame(data)
# 分割特徵和標籤
X = df[['height', 'age', 'income', 'considerate', 'distance']]
y = df['liked']
# 分割訓練集和測試集
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=42)
# 建立模型
model = tf.keras.Sequential([
tf.keras.layers.Dense(5, activation='relu', input_shape=(X_train.shape[1],)), # 隱藏層
tf.keras.layers.Dense(1, activation='sigmoid') # 輸出層
])
# 編譯模型
model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'])
# 訓練模型
model.fit(X_train, y_train, epochs=50, batch_size=10)
# 評估模型
loss, accuracy = model.evaluate(X_test, y_test)
print(f'Accuracy: {accuracy * 100:.2f}%')
# 預測新數據(例如:身高180,年齡25,收入50000,體貼1,距離1)
new_data = np.array([[180, 25, 50000, 1, 1]])
prediction = model.predict(new_data)
print(f'Predicted probability of being liked: {prediction[0][0]:.2f}')
"""


@pytest.mark.host_only
def test_ithome_likes_program_runs_with_only_the_import_changed(tmp_path):
    script = tmp_path / "likes.py"
    script.write_text(LIKES_PROGRAM, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path, encoding="utf-8")
    assert done.returncode == 0, done.stderr[-3000:]
    accuracy = re.search(r"^Accuracy: (\d+\.\d\d)%$", done.stdout, re.MULTILINE)
    probability = re.search(r"^Predicted probability of being liked: (\d+\.\d\d)$", done.stdout, re.MULTILINE)
    assert accuracy and probability, done.stdout[-2000:]
    assert 0.0 <= float(accuracy.group(1)) <= 100.0
    # 20 test rows: the accuracy is a whole number of twentieths
    assert float(accuracy.group(1)) / 5 == round(float(accuracy.group(1)) / 5)
    assert 0.0 <= float(probability.group(1)) <= 1.0
    assert "Traceback" not in done.stderr


# Tsai's program, with `tensorflow.keras` imports written as `fnlearn.keras`; the reshape takes the
# number of images from the data (the original writes 60000 and 10000 for the full MNIST set).
TSAI_PROGRAM = """\
import numpy as np
from fnlearn.keras.utils import to_categorical
from fnlearn.keras.models import Sequential
from fnlearn.keras.layers import Dense
from fnlearn.keras.optimizers import SGD
from fnlearn.keras.datasets import mnist

(x_train, y_train), (x_test, y_test) = mnist.load_data()
x_train = x_train.reshape(len(x_train), 784)/255
x_test = x_test.reshape(len(x_test), 784)/255
y_train = to_categorical(y_train, 10)
y_test = to_categorical(y_test, 10)

model = Sequential()
model.add(Dense(100, input_dim=784, activation='relu'))
model.add(Dense(100, activation='relu'))
model.add(Dense(10, activation='softmax'))
model.compile(loss='mse', optimizer=SGD(lr=0.087), metrics=['accuracy'])
model.summary()
history = model.fit(x_train, y_train, batch_size=100, epochs=20)
result = model.predict_classes(x_test)
score = model.evaluate(x_test, y_test)
"""


def write_idx(path, array: np.ndarray) -> None:
    array = np.asarray(array, dtype=np.uint8)
    path.write_bytes(bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
                     + array.tobytes())


def make_digits(folder, n_train: int = 600, n_test: int = 100, seed: int = 0) -> None:
    """Random 28×28 'digits' whose class is written into a 4×4 block, so they can be learned."""
    rng = np.random.default_rng(seed)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, label in enumerate(labels):
            row, col = divmod(int(label), 5)
            images[i, 4 + 8 * row: 8 + 8 * row, 2 + 5 * col: 6 + 5 * col] = 255
        write_idx(folder / f"{prefix}-images-idx3-ubyte", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels)


def test_tsai_mnist_program_runs_and_has_89610_parameters(tmp_path, monkeypatch, capsys):
    import fnlearn as fl

    make_digits(tmp_path)
    monkeypatch.setenv("FNLEARN_DATA", str(tmp_path))
    fl.set_seed(0)
    namespace: dict = {}
    exec(compile(TSAI_PROGRAM, "tsai_mnist.py", "exec"), namespace)  # noqa: S102  (our own program text)
    out = capsys.readouterr().out
    assert "Total params: 89,610" in out
    model, history = namespace["model"], namespace["history"]
    assert model.num_parameters() == 89610
    assert len(history.history["loss"]) == 20 and len(history.history["accuracy"]) == 20
    assert history.history["loss"][-1] < history.history["loss"][0]
    result = namespace["result"]
    assert result.shape == (100,) and set(np.unique(result)) <= set(range(10))
    loss, accuracy = namespace["score"]
    assert np.isfinite(loss) and 0.2 < accuracy <= 1.0  # chance is 0.1; the class blocks are learnable
