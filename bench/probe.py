"""Peak resident memory, measured in a fresh process.

The parent runs ``python -m bench.probe …`` and reads the one JSON line this prints. (Import time
is measured with a bare ``python -c`` instead, so that nothing is imported before the timed import.)

    python -m bench.probe memory --peer torch --n 60000 --batch 100 --threads 2
    python -m bench.probe memory --peer none --n 60000   # the data alone: the baseline
"""

from __future__ import annotations

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
    # only the data, the peer and NumPy: the harness's own modules would add MiB to every peer's peak
    from bench.shapes import MLP_SIZES, make_mnist_shaped

    seconds = 0.0
    if peer_name == "none":
        make_mnist_shaped(n)
    else:
        from bench.peers import PEERS, ModelSpec, apply_threads

        peer = PEERS[peer_name]
        peer.setup(threads)
        apply_threads(threads)
        x, y = make_mnist_shaped(n)
        trainer = peer.build(ModelSpec(MLP_SIZES, "sparse_ce", "sgd", 0.1, batch), seed=0)
        start = time.perf_counter()
        trainer.train_epochs(x, y, 1)
        seconds = time.perf_counter() - start
    return {"peer": peer_name, "maxrss_mib": peak_rss_mib(), "seconds": seconds}


_USAGE = "usage: python -m bench.probe memory --peer NAME [--n N] [--batch B] [--threads T]"


def parse_args(argv: list[str]) -> dict:
    """``memory --peer NAME [--n N] [--batch B] [--threads T]`` as a dict.

    Parsed by hand: argparse and the gettext and locale modules it loads would be some 0.4 MiB of the
    peak this process measures.
    """
    if argv[:1] != ["memory"] or len(argv) % 2 == 0:
        raise SystemExit(f"got {argv}; {_USAGE}")
    given = dict(zip(argv[1::2], argv[2::2], strict=True))
    defaults = {"--peer": None, "--n": "60000", "--batch": "100", "--threads": "1"}
    unknown = sorted(set(given) - set(defaults))
    if unknown or "--peer" not in given:
        raise SystemExit(f"unknown {unknown} or no --peer in {argv}; {_USAGE}")
    args = {**defaults, **given}
    try:
        return {"peer_name": args["--peer"], "n": int(args["--n"]), "batch": int(args["--batch"]),
                "threads": int(args["--threads"])}
    except ValueError:
        raise SystemExit(f"--n, --batch and --threads take whole numbers, got {argv}; {_USAGE}") from None


def main(argv: list[str] | None = None) -> int:
    out = probe_memory(**parse_args(sys.argv[1:] if argv is None else argv))
    print(json.dumps(out), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
