"""GPU mode of the bench: ``python -m bench.gpu``.

Seconds per epoch over 60,000 MNIST-shaped samples (SGD, cross-entropy) for the lecture's MLP
784-100-100-10 and a wide 784-1024-1024-10, at batch 100, 1000 and 10000, five ways side by side:

* ``fnlearn_captured``   fnlearn on CuPy, ``fit(capture=True)``: the whole step replayed as one CUDA graph
* ``fnlearn_unfused``    the same without fnlearn's fused kernels (``FNLEARN_FUSED_KERNELS=0``)
* ``fnlearn_eager``      fnlearn on CuPy, ``fit(capture=False)``: one launch per kernel
* ``torch_eager``        PyTorch, the usual loop
* ``torch_graph``        PyTorch with the whole step (forward, backward, ``optimizer.step``) captured
  once in a ``torch.cuda.CUDAGraph`` and replayed per batch

Runs are interleaved (every peer once per round, warm-up rounds not counted) and summarised as
median, min and max. Every run trains for two epochs and counts the second, so recording a graph
and first-call set-up stay out of the numbers; the device is synchronised before each clock read.
Results go to a JSON file and a markdown table, with the node count of each recorded step (fnlearn
with and without its fused kernels, PyTorch's graph) for the first batch size of each model; the graphs
themselves are written beside the JSON as DOT files. Without a GPU and CuPy it says so in one sentence and
exits 0.

    python -m bench.gpu                          # full run
    python -m bench.gpu --quick                  # 1 warm-up + 2 runs, for a smoke test
    python -m bench.gpu --batches 100 --models mlp
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import markdown_table, write_atomic
from bench.shapes import make_mnist_shaped
from bench.timing import Sample, ratio, run_interleaved, stderr_progress, summarize

N_SAMPLES = 60_000
MODELS = {"mlp": (100, 100), "wide": (1024, 1024)}
BATCHES = (100, 1000, 10000)
PEERS = ("fnlearn_captured", "fnlearn_unfused", "fnlearn_eager", "torch_eager", "torch_graph")
LEARNING_RATE = 0.01
RESULTS = Path(__file__).resolve().parent / "results"


def gpu_unavailable() -> str | None:
    """One sentence saying why the GPU mode cannot run here, or None when CuPy sees a GPU."""
    try:
        import cupy
    except ImportError:
        return "bench.gpu needs an NVIDIA GPU with CuPy installed (pip install 'fnlearn[gpu]'); CuPy is not " \
               "installed here, so there is nothing to measure."
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CuPy raises its own CUDA errors when no driver is present
        return f"bench.gpu needs an NVIDIA GPU, but CuPy found none ({type(exc).__name__}), so there is nothing " \
               "to measure."
    if count < 1:
        return "bench.gpu needs an NVIDIA GPU, but CuPy found none, so there is nothing to measure."
    return None


def device_line() -> str:
    """The GPU's name and driver from nvidia-smi (or CuPy when nvidia-smi is missing)."""
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=20, check=True).stdout.strip()
        if out:
            return out.splitlines()[0]
    except (OSError, subprocess.SubprocessError):
        pass
    import cupy

    props = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    return props["name"].decode() if isinstance(props["name"], bytes) else str(props["name"])


def versions() -> dict[str, str | None]:
    import cupy

    import fnlearn

    out: dict[str, str | None] = {"python": platform.python_version(), "numpy": np.__version__,
                                  "cupy": cupy.__version__, "fnlearn": fnlearn.__version__, "torch": None}
    try:
        import torch

        out["torch"] = torch.__version__
        out["torch_cuda"] = torch.version.cuda
    except ImportError:
        pass
    return out


# ---------------------------------------------------------------------------- fnlearn peers

def fnlearn_task(hidden: tuple[int, ...], batch: int, x: np.ndarray, y: np.ndarray, capture: bool,
                 fused: bool = True):
    """A task timing fnlearn's second epoch of a two-epoch fit on the GPU (data already on the device);
    ``fused=False`` turns fnlearn's fused kernels off for the task's runs."""
    import cupy

    import fnlearn as fl

    fl.set_backend("cupy")
    x_dev, y_dev = cupy.asarray(x), cupy.asarray(y)

    class EpochClock(fl.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            cupy.cuda.get_current_stream().synchronize()
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):  # the epoch's loss was read: the device is done
            cupy.cuda.get_current_stream().synchronize()
            self.seconds = time.perf_counter() - self.start

    def run(index: int) -> Sample:
        clock = EpochClock()
        with fused_kernels(fused):
            history = fnlearn_model(hidden, x.shape[1], index).fit(
                x_dev, y_dev, batch_size=batch, epochs=2, verbose=0, callbacks=[clock], capture=capture)
        return Sample(clock.seconds, history.history["loss"][-1])

    return run


def fnlearn_model(hidden: tuple[int, ...], n_in: int, seed: int) -> Any:
    """The benchmark's ReLU MLP with a softmax output, compiled for SGD and sparse cross-entropy."""
    import fnlearn as fl

    fl.set_seed(seed)
    layers = [fl.layers.Dense(hidden[0], activation="relu", input_dim=n_in)]
    layers += [fl.layers.Dense(h, activation="relu") for h in hidden[1:]]
    model = fl.Sequential([*layers, fl.layers.Dense(10, activation="softmax")])
    model.compile(fl.optim.SGD(learning_rate=LEARNING_RATE), "sparse_categorical_crossentropy")
    return model


class fused_kernels:  # noqa: N801  (used as a context manager)
    """``with fused_kernels(False):`` runs fnlearn without its fused CUDA kernels, then restores the setting."""

    def __init__(self, on: bool) -> None:
        self.on = on

    def __enter__(self) -> None:
        self.saved = os.environ.get("FNLEARN_FUSED_KERNELS")
        os.environ["FNLEARN_FUSED_KERNELS"] = "1" if self.on else "0"

    def __exit__(self, *exc: object) -> None:
        if self.saved is None:
            os.environ.pop("FNLEARN_FUSED_KERNELS", None)
        else:
            os.environ["FNLEARN_FUSED_KERNELS"] = self.saved


def fnlearn_graph_dot(hidden: tuple[int, ...], batch: int, x: np.ndarray, y: np.ndarray, fused: bool) -> str:
    """The CUDA graph fnlearn records for one training step, as DOT text (two batches of training)."""
    import cupy

    import fnlearn as fl
    from fnlearn import gpu

    fl.set_backend("cupy")
    graphs: list[Any] = []

    class Step(gpu.CapturedStep):
        def _record(self) -> Any:
            pred = super()._record()
            graphs.append(self.graph)
            return pred

    saved, gpu.CapturedStep = gpu.CapturedStep, Step
    try:
        with fused_kernels(fused):
            fnlearn_model(hidden, x.shape[1], 0).fit(cupy.asarray(x[:2 * batch]), cupy.asarray(y[:2 * batch]),
                                                     batch_size=batch, epochs=1, verbose=0, capture=True)
    finally:
        gpu.CapturedStep = saved
    return graphs[0].debug_dot_str()


# a node statement, its label possibly over several lines: "graph_3_node_0"[style="bold" ... label="..."];
_NODE = re.compile(r'^\s*"([^"]+)"\s*\[(.*?)\]\s*;', re.M | re.S)
_NODE_TYPES = ("KERNEL", "MEMCPY", "MEMSET", "HOST", "EMPTY", "EVENT_RECORD", "WAIT_EVENT", "MEM_ALLOC",
               "MEM_FREE", "CONDITIONAL", "GRAPH")
# the short form (CuPy's debug_dot_str) names no type: the node's shape tells it
_SHAPES = {"octagon": "kernel", "trapezium": "memcpy", "invtrapezium": "memset"}


def graph_nodes(dot: str) -> dict[str, int]:
    """Count a CUDA graph's nodes by type from its DOT text (``cudaGraphDebugDotPrint``): ``nodes`` in all,
    then one count per type (``kernel``, ``memset``…; ``other`` when neither the label's verbose form nor the
    node's shape tells it).

    >>> graph_nodes('digraph d {\n"g_node_0"[shape="record" label="{KERNEL\n| {ID | 0 | sgemm}}"];\n'
    ...             '"g_node_1"[shape="octagon" label="1\nfnlearn_bias_relu\n"];\n'
    ...             '"g_node_2"[shape="record" label="{MEMSET\n| {0}}"];\n"g_node_0" -> "g_node_1";\n}')
    {'nodes': 3, 'kernel': 2, 'memset': 1}
    """
    counts: dict[str, int] = {"nodes": 0}
    for _, attrs in _NODE.findall(dot):
        found = re.search(r'label="\{(' + "|".join(_NODE_TYPES) + r")\b", attrs)
        shape = re.search(r'shape="(\w+)"', attrs)
        kind = found.group(1).lower() if found else _SHAPES.get(shape.group(1) if shape else "", "other")
        counts["nodes"] += 1
        counts[kind] = counts.get(kind, 0) + 1
    return counts


# ---------------------------------------------------------------------------- PyTorch peers

def torch_task(hidden: tuple[int, ...], batch: int, x: np.ndarray, y: np.ndarray, graph: bool,
               dot_path: Path | None = None):
    """A task timing PyTorch's second epoch of two, eager or with the whole step as one CUDA graph (written to
    ``dot_path`` as DOT text when given)."""
    import torch

    dev = torch.device("cuda")
    x_dev = torch.from_numpy(x).to(dev)
    y_dev = torch.from_numpy(y).to(dev)
    n = x.shape[0]

    def make(index: int):
        torch.manual_seed(index)
        sizes = [x.shape[1], *hidden]
        mods: list[Any] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            mods += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        model = torch.nn.Sequential(*mods, torch.nn.Linear(sizes[-1], 10)).to(dev)
        return model, torch.optim.SGD(model.parameters(), lr=LEARNING_RATE), torch.nn.CrossEntropyLoss()

    def eager_epoch(model, opt, loss_fn) -> float:
        order = torch.randperm(n, device=dev)
        total = torch.zeros((), device=dev)
        for lo in range(0, n, batch):
            idx = order[lo:lo + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x_dev[idx]), y_dev[idx])
            loss.backward()
            opt.step()
            total += loss.detach() * idx.shape[0]
        return float(total) / n  # one read per epoch, as fnlearn's captured fit does

    def graphed(model, opt, loss_fn):
        static_x = torch.zeros((batch, x.shape[1]), device=dev)
        static_y = torch.zeros((batch,), dtype=torch.int64, device=dev)
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # warm-up on a side stream, as capture requires
            for _ in range(3):
                opt.zero_grad(set_to_none=True)
                loss_fn(model(static_x), static_y).backward()
                opt.step()
        torch.cuda.current_stream().wait_stream(side)
        g = torch.cuda.CUDAGraph()
        if dot_path is not None:
            # PyTorch drops the captured graph once it is instantiated unless asked to keep it (keep_graph, 2.6
            # on); the DOT file is written from that graph
            with contextlib.suppress(TypeError):
                g = torch.cuda.CUDAGraph(keep_graph=True)
            g.enable_debug_mode()
        opt.zero_grad(set_to_none=True)
        with torch.cuda.graph(g):
            static_loss = loss_fn(model(static_x), static_y)
            static_loss.backward()
            opt.step()
        if dot_path is not None:
            g.debug_dump(str(dot_path))
        total = torch.zeros((), device=dev)

        def epoch() -> float:
            total.zero_()
            order = torch.randperm(n, device=dev)
            for lo in range(0, n - n % batch, batch):
                idx = order[lo:lo + batch]
                static_x.copy_(x_dev[idx])
                static_y.copy_(y_dev[idx])
                g.replay()
                total.add_(static_loss.detach(), alpha=batch)
            return float(total) / n
        return epoch

    def run(index: int) -> Sample:
        model, opt, loss_fn = make(index)
        epoch = graphed(model, opt, loss_fn) if graph else (lambda: eager_epoch(model, opt, loss_fn))
        epoch()
        torch.cuda.synchronize()
        start = time.perf_counter()
        loss = epoch()
        torch.cuda.synchronize()
        return Sample(time.perf_counter() - start, loss)

    return run


# ---------------------------------------------------------------------------- run and report

def run(models: list[str], batches: list[int], warmups: int, repeats: int,
        dot_folder: Path | None = None, on_config: Any = None) -> dict[str, Any]:
    """Every (model, batch) configuration, each peer timed side by side; ``on_config(result)`` after each
    configuration, with the result so far (so a run stopped part-way still leaves what it measured)."""
    x, y = make_mnist_shaped(N_SAMPLES)
    have_torch = True
    try:
        import torch

        have_torch = torch.cuda.is_available()
    except ImportError:
        have_torch = False
    result: dict[str, Any] = {"device": device_line(), "versions": versions(), "samples": N_SAMPLES,
                              "warmups": warmups, "repeats": repeats, "configs": [], "notes": []}
    if not have_torch:
        result["notes"].append("PyTorch with CUDA is not available here: only fnlearn was measured.")
    for model_name in models:
        hidden = MODELS[model_name]
        for batch in batches:
            stderr_progress(f"{model_name} batch {batch}")
            tasks = {"fnlearn_captured": fnlearn_task(hidden, batch, x, y, True),
                     "fnlearn_eager": fnlearn_task(hidden, batch, x, y, False)}
            if have_torch:
                tasks["torch_eager"] = torch_task(hidden, batch, x, y, False)
                tasks["torch_graph"] = torch_task(hidden, batch, x, y, True)
            tasks["fnlearn_unfused"] = fnlearn_task(hidden, batch, x, y, True, fused=False)
            timed = run_interleaved(tasks, warmups=warmups, repeats=repeats, progress=stderr_progress)
            peers = {name: {**summarize([s.seconds for s in samples]),
                            "final_loss": samples[-1].value}
                     for name, samples in timed.samples.items() if samples}
            result["configs"].append({"model": model_name, "layers": [784, *hidden, 10], "batch": batch,
                                      "peers": peers, "errors": timed.errors, "ratios": ratios(peers)})
            if batch == batches[0] and dot_folder is not None:
                result["configs"][-1]["graph_nodes"] = step_graphs(hidden, batch, x, y, have_torch,
                                                                   dot_folder / f"graph-{model_name}-{batch}")
            if on_config is not None:
                on_config(result)
    return result


def step_graphs(hidden: tuple[int, ...], batch: int, x: np.ndarray, y: np.ndarray, have_torch: bool,
                stem: Path) -> dict[str, Any]:
    """Node counts of one recorded training step: fnlearn with and without its fused kernels, and PyTorch's
    graph; each graph is also written as ``{stem}-{name}.dot``. A graph that cannot be had gives its error."""
    makers = {"fnlearn_captured": lambda path: fnlearn_graph_dot(hidden, batch, x, y, fused=True),
              "fnlearn_unfused": lambda path: fnlearn_graph_dot(hidden, batch, x, y, fused=False)}
    if have_torch:
        def torch_dot(path: Path) -> str:
            torch_task(hidden, batch, x[:4 * batch], y[:4 * batch], True, dot_path=path)(0)
            return path.read_text()
        makers["torch_graph"] = torch_dot
    counts: dict[str, Any] = {}
    for name, make in makers.items():
        path = Path(f"{stem}-{name}.dot")
        try:
            dot = make(path)
            write_atomic(path, dot)
            counts[name] = graph_nodes(dot)
        except Exception as exc:  # a profile must not cost the timings
            counts[name] = {"error": f"{type(exc).__name__}: {exc}"}
    return counts


def ratios(peers: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    """fnlearn captured over each other peer (medians): below 1 means fnlearn is faster.

    >>> ratios({"fnlearn_captured": {"median": 1.0}, "torch_graph": {"median": 2.0}})["fnlearn_captured/torch_graph"]
    0.5
    """
    ours = peers.get("fnlearn_captured", {}).get("median")
    return {f"fnlearn_captured/{name}": ratio(ours, peers.get(name, {}).get("median"))
            for name in PEERS[1:]}


def to_markdown(result: dict[str, Any]) -> str:
    """The results table (s/epoch, median and min–max) and the ratio table, with the device line."""
    lines = [f"GPU: {result['device']}", "",
             "Versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items() if v), "",
             f"Seconds per epoch over {result['samples']:,} samples, SGD, cross-entropy; median of "
             f"{result['repeats']} interleaved runs (min–max).", ""]

    def cell(stat: dict[str, Any] | None) -> str:
        if not stat:
            return "–"
        return f"{stat['median']:.4g} ({stat['min']:.4g}–{stat['max']:.4g})"

    rows = [[f"{c['model']} {'-'.join(map(str, c['layers']))}", str(c["batch"]),
             *(cell(c["peers"].get(p)) for p in PEERS)] for c in result["configs"]]
    lines.append(markdown_table(["model", "batch", *PEERS], rows))
    lines.append("")
    ratio_rows = [[c["model"], str(c["batch"]),
                   *(("–" if c["ratios"].get(f"fnlearn_captured/{p}") is None
                      else f"{c['ratios'][f'fnlearn_captured/{p}']:.2f}") for p in PEERS[1:])]
                  for c in result["configs"]]
    lines.append(markdown_table(["model", "batch", *(f"captured / {p}" for p in PEERS[1:])], ratio_rows))
    node_rows = [[c["model"], str(c["batch"]), *(nodes_cell(c["graph_nodes"].get(p)) for p in GRAPH_PEERS)]
                 for c in result["configs"] if c.get("graph_nodes")]
    if node_rows:
        lines += ["", "Nodes of one recorded training step (kernels of them; DOT files beside the JSON):", "",
                  markdown_table(["model", "batch", *GRAPH_PEERS], node_rows)]
    for note in result.get("notes", []):
        lines += ["", f"- {note}"]
    errors = [f"{c['model']} batch {c['batch']} {name}: {msg}" for c in result["configs"]
              for name, msg in c.get("errors", {}).items()]
    lines += [f"- failed: {e}" for e in errors]
    return "\n".join(lines) + "\n"


GRAPH_PEERS = ("fnlearn_captured", "fnlearn_unfused", "torch_graph")


def nodes_cell(counts: dict[str, Any] | None) -> str:
    """``"52 (48 kernels)"`` from :func:`graph_nodes`'s counts; the error where there was one.

    >>> nodes_cell({"nodes": 52, "kernel": 48, "memset": 4}), nodes_cell(None)
    ('52 (48 kernels)', '–')
    """
    if not counts:
        return "–"
    if "error" in counts:
        return f"failed: {counts['error']}"
    return f"{counts['nodes']} ({counts.get('kernel', 0)} kernels)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.gpu", description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="mlp,wide", help="comma-separated: mlp, wide")
    parser.add_argument("--batches", default=",".join(map(str, BATCHES)), help="comma-separated batch sizes")
    parser.add_argument("--warmups", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="1 warm-up and 2 counted runs")
    parser.add_argument("--json", type=Path, default=RESULTS / "gpu.json")
    parser.add_argument("--markdown", type=Path, default=RESULTS / "gpu.md")
    args = parser.parse_args(argv)
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        parser.error(f"unknown model {unknown[0]!r}; choose from {', '.join(MODELS)}.")
    try:
        batches = [int(b) for b in args.batches.split(",") if b.strip()]
    except ValueError:
        parser.error(f"--batches must be comma-separated integers, got {args.batches!r}.")
    reason = gpu_unavailable()
    if reason is not None:
        print(reason)
        return 0
    warmups, repeats = (1, 2) if args.quick else (args.warmups, args.repeats)

    def write(result: dict[str, Any]) -> str:
        write_atomic(args.json, json.dumps(result, indent=2) + "\n")
        markdown = to_markdown(result)
        write_atomic(args.markdown, markdown)
        return markdown

    # written after every configuration: a run stopped at a time limit keeps the configurations it finished
    result = run(models, batches, warmups, repeats, dot_folder=args.json.parent, on_config=write)
    print(write(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
