"""``python -m bench``: run the workloads side by side for every installed peer and report.

Example:
    python -m bench                       # everything, full sizes, table on stdout
    python -m bench --only mlp32,mlp100 --repeats 7 --threads 1
    python -m bench --quick --peers numpy,fnlearn --json /tmp/quick.json
    python -m bench --write-docs          # also refresh the table in docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from bench.peers import PEERS, apply_threads
from bench.report import print_report, to_markdown, update_docs, write_atomic
from bench.timing import stderr_progress
from bench.workloads import FULL, QUICK, REPO_ROOT, WORKLOADS, Context

RESULTS_DIR = REPO_ROOT / "bench" / "results"
DOCS_PAGE = REPO_ROOT / "docs" / "benchmarks.md"


def parse_names(text: str | None, valid: list[str], what: str) -> list[str]:
    """Split ``a,b`` and check each name (``None`` means all); the result is in the order of ``valid``,
    so that tables always have the same rows and columns."""
    if text is None:
        return list(valid)
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = [n for n in names if n not in valid]
    if unknown or not names:
        raise SystemExit(f"--{what}: unknown {what} {unknown or text!r}; choose from {', '.join(valid)}.")
    return [n for n in valid if n in names]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark fnlearn against a hand-written NumPy loop, PyTorch, scikit-learn and "
        "Keras 3 on JAX, on identical workloads, runs interleaved across peers.",
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes and 2 repeats: checks that it runs")
    parser.add_argument("--only", help=f"workloads to run, comma-separated ({','.join(WORKLOADS)})")
    parser.add_argument("--peers", help=f"peers to include, comma-separated ({','.join(PEERS)})")
    parser.add_argument("--repeats", type=int, help="counted runs per peer (default 5; 2 with --quick)")
    parser.add_argument("--warmups", type=int, default=1, help="uncounted runs first (default 1)")
    parser.add_argument("--pause", type=float,
                        help=f"seconds to wait, off the clock, before each timed run so the last run's thread "
                             f"pools stop spinning (default {FULL.pause_s:g}; {QUICK.pause_s:g} with --quick)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="BLAS and torch threads (default: the number of cores)")
    parser.add_argument("--json", type=Path,
                        help="where to write the JSON (default bench/results/latest.json)")
    parser.add_argument("--markdown", type=Path, help="also write the Markdown report to this file")
    parser.add_argument("--write-docs", action="store_true", help="refresh the table in docs/benchmarks.md")
    parser.add_argument("--list", action="store_true", help="list workloads and peers, then stop")
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    return parser


def setup_peers(names: list[str], threads: int) -> dict[str, dict[str, Any]]:
    """Import every peer once (setting its threads); say which could not be."""
    status: dict[str, dict[str, Any]] = {}
    for name in names:
        peer = PEERS[name]
        if not peer.available():
            status[name] = {"status": "not installed", "reason": f"needs {', '.join(peer.modules)}"}
            continue
        try:
            peer.setup(threads)
            status[name] = {"status": "ok"}
        except Exception as exc:
            status[name] = {"status": "error", "reason": f"{type(exc).__name__}: {exc}"}
    return status


def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark as the command line says; return the result dict (also written as JSON)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser().parse_args(argv)
    workloads = parse_names(args.only, list(WORKLOADS), "only")
    peers = parse_names(args.peers, list(PEERS), "peers")
    if args.list:
        for name, fn in WORKLOADS.items():
            print(f"workload {name:9s} {(fn.__doc__ or '').strip().splitlines()[0]}")
        for name, peer in PEERS.items():
            print(f"peer     {name:9s} {peer.label}: {'installed' if peer.available() else 'not installed'}")
        return {}
    repeats = args.repeats if args.repeats is not None else (2 if args.quick else 5)
    if repeats < 1 or args.warmups < 0 or args.threads < 1 or (args.pause is not None and not args.pause >= 0):
        raise SystemExit("--repeats and --threads must be at least 1, --warmups and --pause at least 0.")
    sizes = QUICK if args.quick else FULL
    if args.pause is not None:
        sizes = dataclasses.replace(sizes, pause_s=args.pause)
    progress = None if args.quiet else stderr_progress

    status = setup_peers(peers, args.threads)
    limits = apply_threads(args.threads)  # noqa: F841 — keeps the limits for the whole run
    from bench.machine import describe

    ctx = Context(peers=peers, status=status, sizes=sizes, warmups=args.warmups, repeats=repeats,
                  threads=args.threads, progress=progress)
    result: dict[str, Any] = {
        "schema": 1,
        "command": " ".join(["python -m bench", shlex.join(argv)]).strip(),
        "date": _dt.datetime.now().isoformat(timespec="seconds"),
        "machine": describe(peers, status, args.threads),
        "settings": {
            "quick": args.quick,
            "peers": peers,
            "workloads": workloads,
            "repeats": repeats,
            "warmups": args.warmups,
            "threads": args.threads,
            "predict_rounds_factor": sizes.predict_rounds_factor,
            "memory_rounds": sizes.memory_rounds,
            "sizes": {k: v for k, v in vars(sizes).items()},
        },
        "peer_status": status,
        "workloads": {},
    }
    for name in workloads:
        ctx.say(f"[{name}]")
        start = time.perf_counter()
        result["workloads"][name] = WORKLOADS[name](ctx)
        result["workloads"][name]["wall_s"] = time.perf_counter() - start

    from bench.machine import load_average

    result["machine"]["load_after"] = load_average()
    default_json = RESULTS_DIR / ("quick.json" if args.quick else "latest.json")
    json_path = args.json or default_json
    write_atomic(json_path, json.dumps(result, indent=2) + "\n")
    print_report(result)
    markdown = to_markdown(result)
    if args.markdown:
        write_atomic(args.markdown, markdown)
    if args.write_docs:
        update_docs(DOCS_PAGE, markdown)
    ctx.say(f"JSON written to {json_path}")
    return result


def main(argv: list[str] | None = None) -> int:
    run(argv)
    return 0
