"""``python -m bench.pieces``: do fnlearn's products in pieces (fnlearn/blas.py) pay on this machine?

fnlearn cuts a batch's big products into one piece per BLAS thread. That was measured on 2 cores; this
runs the same model twice in one process, epochs interleaved, once with the pieces and once with every
product whole (NumPy's ``@`` and one GEMM call), and prints the ratio per batch size — the check to run on
a machine with more cores before trusting the cut there.

Example:
    python -m bench.pieces                       # batch 32, 100, 1000; 60,000 samples; 7 rounds
    python -m bench.pieces --batches 100 --rounds 15 --json /tmp/pieces.json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np

from bench.peers import PEERS, ModelSpec
from bench.shapes import MLP_SIZES, make_mnist_shaped
from bench.timing import run_interleaved, summarize


def compare(batch_size: int, x: np.ndarray, y: np.ndarray, rounds: int) -> dict[str, Any]:
    """Seconds per epoch with the products in pieces and whole, interleaved; ratio pieces / whole per round."""
    from fnlearn import blas

    lib = blas.get(np.float32)
    if lib is None or lib.pieces(MLP_SIZES[0], MLP_SIZES[1] * batch_size) == 1:  # the first layer's weight gradient
        return {"status": "no pieces here", "threads": lib.threads() if lib else None}
    spec = ModelSpec(MLP_SIZES, "sparse_ce", "sgd", 0.1, batch_size)
    trainers = {name: PEERS["fnlearn"].build(spec, seed=0) for name in ("pieces", "whole")}
    split_product, split_atb = blas.Blas.split_product, blas.Blas.split_atb

    def epoch(name: str) -> None:
        # fit prepares its step anew, so swapping the two factories between fits is enough
        blas.Blas.split_product = split_product if name == "pieces" else (lambda self, w, rows: None)
        blas.Blas.split_atb = split_atb if name == "pieces" else (lambda self, c, rows, alpha=1.0, beta=0.0: None)
        try:
            trainers[name].train_epochs(x, y, 1)
        finally:
            blas.Blas.split_product, blas.Blas.split_atb = split_product, split_atb

    run = run_interleaved({name: lambda i, name=name: epoch(name) for name in trainers}, warmups=1, repeats=rounds)
    if run.errors:
        return {"status": "failed: " + "; ".join(f"{k}: {v}" for k, v in run.errors.items()), "threads": lib.threads()}
    seconds = {name: [s.seconds for s in samples] for name, samples in run.samples.items()}
    ratios = [a / b for a, b in zip(seconds["pieces"], seconds["whole"])]
    return {"status": "ok", "threads": lib.threads(), **{name: summarize(v) for name, v in seconds.items()},
            "ratio_median": statistics.median(ratios), "ratios": ratios}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pieces", description=__doc__.splitlines()[0])
    parser.add_argument("--batches", default="32,100,1000", help="batch sizes, comma-separated")
    parser.add_argument("--samples", type=int, default=60_000, help="MNIST-shaped training rows")
    parser.add_argument("--rounds", type=int, default=7, help="counted epochs per variant")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    x, y = make_mnist_shaped(args.samples)
    result: dict[str, Any] = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
                              "batches": {}}
    for batch_size in (int(b) for b in args.batches.split(",")):
        found = result["batches"][batch_size] = compare(batch_size, x, y, args.rounds)
        if found["status"] != "ok":
            print(f"batch {batch_size}: {found['status']} (BLAS threads: {found['threads']})")
            continue
        print(f"batch {batch_size}: pieces {found['pieces']['median']:.4f} s/epoch, whole "
              f"{found['whole']['median']:.4f}, pieces / whole {found['ratio_median']:.3f} "
              f"({found['threads']} BLAS threads)")
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
