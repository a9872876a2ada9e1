"""Peak resident memory, measured in a fresh process.

The parent runs ``python -m bench.probe …`` and reads the one JSON line this prints. (Import time
is measured with a bare ``python -c`` instead, so that nothing is imported before the timed import.)

    python -m bench.probe memory --peer torch --n 60000 --batch 100 --threads 2
    python -m bench.probe memory --peer none --n 60000   # the data alone: the baseline
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time


def peak_rss_mib() -> float:
    """This process's peak resident memory in MiB.

    On Linux it is read from VmHWM in /proc/self/status: ``ru_maxrss`` would do, except that
    Linux carries the parent's peak across ``exec``, so a child of a big benchmark process would
    report the parent's size.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is in KiB on Linux, in bytes on macOS
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def probe_memory(peer_name: str, n: int, batch: int, threads: int) -> dict:
    from bench.workloads import MLP_SIZES, make_mnist_shaped

    seconds = 0.0
    if peer_name == "none":
        make_mnist_shaped(n)
    else:
        from bench.cli import apply_threads
        from bench.peers import PEERS, ModelSpec

        peer = PEERS[peer_name]
        peer.setup(threads)
        apply_threads(threads)
        x, y = make_mnist_shaped(n)
        trainer = peer.build(ModelSpec(MLP_SIZES, "sparse_ce", "sgd", 0.1, batch), seed=0)
        start = time.perf_counter()
        trainer.train_epochs(x, y, 1)
        seconds = time.perf_counter() - start
    return {"peer": peer_name, "maxrss_mib": peak_rss_mib(), "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.probe")
    sub = parser.add_subparsers(dest="what", required=True)
    mem = sub.add_parser("memory")
    mem.add_argument("--peer", required=True)
    mem.add_argument("--n", type=int, default=60_000)
    mem.add_argument("--batch", type=int, default=100)
    mem.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    out = probe_memory(args.peer, args.n, args.batch, args.threads)
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
