"""The bench's GPU mode: what it says without a GPU, how it reports, and its fnlearn peers on the CuPy path."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench import gpu as bench_gpu

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(bench_gpu.gpu_unavailable() is None, reason="this machine has a GPU: the real run applies")
def test_without_a_gpu_it_says_so_in_one_sentence_and_exits_0(tmp_path):
    out_json = tmp_path / "gpu.json"
    done = subprocess.run([sys.executable, "-m", "bench.gpu", "--json", str(out_json)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 1 and "GPU" in lines[0] and lines[0].endswith(".")
    assert not out_json.exists()  # nothing measured, nothing written


# the two forms a recorded step's DOT text came in on an H200 (CUDA 13): CuPy's short one, where a kernel is an
# octagon labelled with its name, and PyTorch's verbose one, where each label starts with the node's type
SHORT_DOT = """digraph dot {
subgraph cluster_55 {
label="graph_55" graph[style="dashed"];
"graph_55_node_0"[style="bold" shape="octagon" label="0
_ZN7cutlass7Kernel2I42cutlass_80_simt_sgemm_128x32_8x5_nn_align1EEvNT_6ParamsE
"];

"graph_55_node_1"[style="bold" shape="octagon" label="1
fnlearn_bias_relu
"];

"graph_55_node_0" -> "graph_55_node_1";
}
}
"""
VERBOSE_DOT = """digraph dot {
subgraph cluster_61 {
label="graph_61" graph[style="dashed"];
"graph_61_node_0"[style="bold" shape="record" label="{KERNEL
| {ID | 0 (topoId: 31) | _ZN7cutlass7Kernel2I41cutlass_80_simt_sgemm_64x64_8x5_tnEE\\<\\<\\<4\\>\\>\\>}
"];

"graph_61_node_3"[style="solid" style="solid" shape="record" label="{MEMSET
| {{ID | node handle | dptr | value | width} | {3 (topoId: 28) | 0x1 | 0x2 | 0 | 128}}}"];

"graph_61_node_0" -> "graph_61_node_3";
}
}
"""


@pytest.mark.host_only
def test_graph_nodes_are_counted_in_both_forms_of_the_dot_text():
    assert bench_gpu.graph_nodes(SHORT_DOT) == {"nodes": 2, "kernel": 2}
    assert bench_gpu.graph_nodes(VERBOSE_DOT) == {"nodes": 2, "kernel": 1, "memset": 1}
    assert bench_gpu.graph_nodes("digraph d {\n}") == {"nodes": 0}


def test_unknown_model_is_refused():
    with pytest.raises(SystemExit) as info:
        bench_gpu.main(["--models", "huge"])
    assert info.value.code == 2


def _result():
    def stat(m):
        return {"median": m, "min": m * 0.9, "max": m * 1.1, "runs": [m], "final_loss": 2.0}
    peers = {"fnlearn_captured": stat(0.1), "fnlearn_unfused": stat(0.2), "fnlearn_eager": stat(0.7),
             "torch_eager": stat(0.6), "torch_graph": stat(0.125)}
    nodes = {"fnlearn_captured": {"nodes": 40, "kernel": 38, "memset": 2},
             "fnlearn_unfused": {"nodes": 57, "kernel": 55, "memset": 2}, "torch_graph": {"error": "OSError: y"}}
    return {"device": "Some GPU, 555.1, 80 GiB", "versions": {"cupy": "13.0", "torch": None}, "samples": 60000,
            "warmups": 1, "repeats": 5, "notes": ["a note"],
            "configs": [{"model": "mlp", "layers": [784, 100, 100, 10], "batch": 100, "peers": peers,
                         "errors": {}, "ratios": bench_gpu.ratios(peers), "graph_nodes": nodes},
                        {"model": "wide", "layers": [784, 1024, 1024, 10], "batch": 1000,
                         "peers": {"fnlearn_captured": stat(0.2)}, "errors": {"torch_graph": "RuntimeError: x"},
                         "ratios": bench_gpu.ratios({"fnlearn_captured": stat(0.2)})}]}


def test_ratios_are_captured_over_each_peer():
    r = _result()["configs"][0]["ratios"]
    assert r["fnlearn_captured/torch_graph"] == pytest.approx(0.8)
    assert r["fnlearn_captured/torch_eager"] == pytest.approx(0.1 / 0.6)
    assert _result()["configs"][1]["ratios"]["fnlearn_captured/torch_graph"] is None


def test_markdown_has_the_device_line_the_cells_and_the_failures():
    md = bench_gpu.to_markdown(_result())
    assert md.startswith("GPU: Some GPU, 555.1, 80 GiB")
    assert ("| mlp 784-100-100-10 | 100 | 0.1 (0.09–0.11) | 0.2 (0.18–0.22) | 0.7 (0.63–0.77) | 0.6 (0.54–0.66) | "
            "0.125 (0.1125–0.1375) |") in md
    assert "| mlp | 100 | 0.50 | 0.14 | 0.17 | 0.80 |" in md
    assert "| wide | 1000 | – | – | – | – |" in md
    assert "| mlp | 100 | 40 (38 kernels) | 57 (55 kernels) | failed: OSError: y |" in md
    assert "failed: wide batch 1000 torch_graph: RuntimeError: x" in md
    assert "torch None" not in md  # missing versions are left out


def test_the_fnlearn_peers_run_on_the_cupy_path(cupy_backend, monkeypatch, tmp_path):
    """The fnlearn peers train on device arrays (a small data set, one counted run): captured, captured without
    the fused kernels and eager start from the same seed and end at the same loss; the recorded steps are
    counted and written as DOT files."""
    monkeypatch.setattr(bench_gpu, "N_SAMPLES", 600)
    result = bench_gpu.run(["mlp"], [100], warmups=0, repeats=1, dot_folder=tmp_path)
    (config,) = result["configs"]
    assert not config["errors"]
    peers = config["peers"]
    captured, unfused, eager = peers["fnlearn_captured"], peers["fnlearn_unfused"], peers["fnlearn_eager"]
    assert captured["median"] > 0 and eager["median"] > 0 and unfused["median"] > 0
    assert np.isfinite(captured["final_loss"])
    assert captured["final_loss"] == pytest.approx(eager["final_loss"], rel=1e-4)
    assert captured["final_loss"] == pytest.approx(unfused["final_loss"], rel=1e-4)
    assert result["device"] and result["versions"]["cupy"]
    nodes = config["graph_nodes"]
    assert nodes["fnlearn_unfused"]["nodes"] > 0 and nodes["fnlearn_captured"]["nodes"] > 0
    assert (tmp_path / "graph-mlp-100-fnlearn_captured.dot").read_text().startswith("digraph")


def test_results_are_handed_on_after_every_configuration(cupy_backend, monkeypatch, tmp_path):
    """main writes the JSON and the table from ``on_config``: a run stopped at a time limit keeps every
    configuration it finished."""
    monkeypatch.setattr(bench_gpu, "N_SAMPLES", 400)
    seen = []
    result = bench_gpu.run(["mlp"], [100, 200], warmups=0, repeats=1,
                           on_config=lambda r: seen.append([c["batch"] for c in r["configs"]]))
    assert seen == [[100], [100, 200]]
    assert [c["batch"] for c in result["configs"]] == [100, 200]
