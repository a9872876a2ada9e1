"""The lecture pages: their code runs, their figures exist and are small, their terms are there."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

LECTURE = Path(__file__).resolve().parents[2] / "docs" / "lecture"
PAGES = sorted(LECTURE.glob("[0-9][0-9]-*.md"))

TERMS = {  # the lecture's Chinese term beside the English one, page by page
    "01-function.md": ["函數", "function"],
    "02-activations.md": ["激活函數", "activation function"],
    "03-loss.md": ["損失", "loss"],
    "04-gradient-descent.md": ["梯度下降", "gradient descent", "超參數", "hyperparameter"],
    "05-batch-epoch.md": ["批次", "batch", "回合", "epoch"],
    "06-optimizers.md": ["超參數", "hyperparameter", "optimizer"],
    "07-overfitting.md": ["過擬合", "overfitting"],
    "08-mnist.md": ["MNIST"],
    "09-xor.md": ["XOR"],
}


def test_every_idea_has_its_page():
    assert [p.name for p in PAGES] == list(TERMS)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_terms_and_figures(page):
    text = page.read_text(encoding="utf-8")
    for term in TERMS[page.name]:
        assert term in text, term
    figures = re.findall(r"!\[[^\]]*\]\((figures/[^)]+)\)", text)
    assert figures, "every page shows at least one figure"
    for fig in figures:
        path = LECTURE / fig
        assert path.is_file(), fig
        assert path.stat().st_size < 120_000, f"{fig} is {path.stat().st_size} bytes; keep figures small"
    # tables filled by docs/make_figures.py are not left empty
    for name in re.findall(r"<!-- BEGIN (\w+) -->", text):
        block = re.search(rf"<!-- BEGIN {name} -->\n(.*?)<!-- END {name} -->", text, re.S).group(1)
        assert block.strip().startswith("|"), f"the {name} table is empty: run python docs/make_figures.py"


def test_every_committed_figure_is_used():
    used = set()
    for page in [*PAGES, LECTURE / "README.md"]:
        used |= set(re.findall(r"\((figures/[^)]+\.png)\)", page.read_text(encoding="utf-8")))
    on_disk = {f"figures/{p.name}" for p in (LECTURE / "figures").glob("*.png")}
    assert on_disk - used == set()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_code_runs(page, tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    monkeypatch.chdir(tmp_path)  # a page may write a run folder
    namespace: dict = {"__name__": f"lecture_{page.stem}"}
    for block in blocks:
        exec(compile(block, f"{page.name}", "exec"), namespace)  # the page's own code, nothing else


def _make_figures():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_figures", LECTURE.parent / "make_figures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines the jobs; draws nothing until main() runs
    return module


@pytest.mark.parametrize("page", sorted(LECTURE.glob("*.md")), ids=lambda p: p.name)
def test_every_link_on_a_page_points_at_an_existing_file(page):
    text = page.read_text(encoding="utf-8")
    links = re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", text)
    local = [link.split("#")[0] for link in links if "://" not in link and not link.startswith("#")]
    assert local or page.name == "README.md"
    for link in local:
        assert (page.parent / link).exists(), f"{page.name} links to {link}, which does not exist"
    for image in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text):
        path = page.parent / image
        assert path.suffix == ".png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", image
        assert path.stat().st_size < 150_000, f"{image} is {path.stat().st_size} bytes"


def test_every_figure_the_pages_show_is_one_make_figures_draws():
    from fnlearn.explain import figures as explain_figures

    make = _make_figures()
    drawn = {name for names in make.WRITES.values() for name in names}
    assert set(make.WRITES) == set(make.JOBS)
    # the glass-box job writes exactly the figure set of fnlearn.explain
    assert set(make.WRITES["glass_box"]) == set(explain_figures.FIGURES)
    shown = set()
    for page in LECTURE.glob("*.md"):
        shown |= {Path(p).stem for p in re.findall(r"!\[[^\]]*\]\(figures/([^)\s]+\.png)\)",
                                                    page.read_text(encoding="utf-8"))}
    assert shown <= drawn, f"pages show figures make_figures.py does not draw: {sorted(shown - drawn)}"
    assert drawn <= shown, f"make_figures.py draws figures no page shows: {sorted(drawn - shown)}"
    for name in drawn:
        assert (LECTURE / "figures" / f"{name}.png").is_file(), name


def test_the_likes_table_is_what_the_classifier_experiment_gives_now(tmp_path):
    import fnlearn as fl
    from fnlearn import experiments

    fl.set_backend("numpy")  # the page shows what the command prints on the CPU (float sums differ on a GPU)
    table = _make_figures().likes_table(experiments.run("classifier", out=tmp_path, quiet=True))
    page = (LECTURE / "07-overfitting.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- BEGIN likes -->\n(.*?)<!-- END likes -->", page, re.S).group(1)
    assert block.strip() == table.strip(), "rerun: python docs/make_figures.py --only classifier"


def test_experiment_figures_copied_to_the_pages_are_the_ones_the_experiments_write(tmp_path):
    # make_figures copies <experiment>_<figure> from each run folder: the names must still exist
    from fnlearn.experiments import xor

    res = xor.run(out=tmp_path, quiet=True, epochs=5)
    make = _make_figures()
    assert {f"xor_{Path(f).stem}" for f in json.loads((tmp_path / "results.json").read_text())["figures"]} \
        == set(make.WRITES["xor"])
    assert res["out_dir"] == str(tmp_path)
