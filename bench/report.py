"""Turn a benchmark result (the JSON dict) into tables: Markdown for the docs, rich for the terminal.

Example:
    >>> fmt(0.01391), fmt(1063.4), fmt(None)
    ('0.0139', '1063', '—')
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from bench.peers import FLOOR, PEERS, SUBJECT

DOCS_START = "<!-- bench:results:start -->"
DOCS_END = "<!-- bench:results:end -->"
LOAD_WARNING = 0.5  # a 1-minute load average above this before or after the run means a busy machine

# The rows of the main table: (label, workload, unit, which number of a peer's entry)
ROWS: list[tuple[str, str, str]] = [
    ("mlp32", "mlp32", "s/epoch"),
    ("mlp100", "mlp100", "s/epoch"),
    ("mlp1000", "mlp1000", "s/epoch"),
    ("wide128", "wide128", "s/epoch"),
    ("views", "views", "s/epoch"),
    ("cnn32", "cnn32", "s/epoch"),
    ("cnn128", "cnn128", "s/epoch"),
    ("lstm64", "lstm64", "s/epoch"),
    ("predict", "predict", "s/call"),
    ("mnist5k time", "mnist5k", "s"),
    ("mnist5k accuracy", "mnist5k", "accuracy"),
    ("memory peak", "memory", "MiB"),
    ("import", "import", "s"),
]


def fmt(value: float | None) -> str:
    """Three significant digits, whole numbers from 100 up, a dash for nothing."""
    if value is None:
        return "—"
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:.3g}"


def label(name: str) -> str:
    return PEERS[name].label if name in PEERS else name


def cell(entry: dict[str, Any] | None, stat: dict[str, Any] | None = None) -> str:
    """``median (min–max)`` for a measured peer, otherwise why it has no number."""
    if entry is None:
        return ""
    status = entry.get("status")
    if status != "ok":
        return {"not installed": "not installed", "unsupported": "n/a"}.get(status, status or "")
    stat = stat if stat is not None else entry
    if stat["min"] == stat["max"]:
        return fmt(stat["median"])
    return f"{fmt(stat['median'])} ({fmt(stat['min'])}–{fmt(stat['max'])})"


def peer_names(result: dict[str, Any]) -> list[str]:
    return list(result["settings"]["peers"])


def main_table(result: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    names = peer_names(result)
    headers = ["workload", "unit", *[label(n) for n in names]]
    rows = []
    for row_label, key, unit in ROWS:
        wl = result["workloads"].get(key)
        if wl is None:
            continue
        if wl.get("skipped"):
            rows.append([row_label, unit, *[f"skipped: {wl['skipped']}"] * len(names)])
            continue
        peers = wl["peers"]
        if unit == "accuracy":
            cells = [cell(peers.get(n), peers.get(n, {}).get("accuracy")) for n in names]
        else:
            cells = [cell(peers.get(n)) for n in names]
        rows.append([row_label, unit, *cells])
    return headers, rows


def ratio_table(result: dict[str, Any], key: str, columns: list[str]) -> tuple[list[str], list[list[str]]]:
    headers = ["workload", *[label(n) for n in columns]]
    rows = []
    for row_label, wl_key, unit in ROWS:
        wl = result["workloads"].get(wl_key)
        if wl is None or unit == "accuracy" or wl.get("skipped"):
            continue
        ratios = wl.get(key, {})
        rows.append([row_label, *[fmt(ratios.get(n)) for n in columns]])
    return headers, rows


def notes(result: dict[str, Any]) -> list[str]:
    out = []
    memory = result["workloads"].get("memory")
    if memory:
        line = f"memory: the data alone is {fmt(memory['data_mib'])} MiB"
        if memory.get("baseline_mib") is not None:
            line += (
                f"; a process that only makes it peaks at {fmt(memory['baseline_mib'])} MiB "
                "(Python + NumPy + data)"
            )
        over = {n: e["over_baseline"] for n, e in memory["peers"].items() if "over_baseline" in e}
        if over:
            line += "; training adds " + ", ".join(f"{label(n)} {fmt(v)}" for n, v in over.items()) + " MiB"
        out.append(line + ".")
    mnist = result["workloads"].get("mnist5k")
    if mnist and mnist.get("accuracy_vs_floor_points"):
        diffs = ", ".join(
            f"{label(n)} {v:+.2f}" for n, v in mnist["accuracy_vs_floor_points"].items()
        )
        out.append(f"mnist5k accuracy minus the NumPy loop's, in points (medians): {diffs}.")
    imports = result["workloads"].get("import")
    if imports:
        mods = ", ".join(f"{label(n)}: `import {m}`" for n, m in imports["modules"].items())
        out.append(f"import: {mods}.")
    for key, wl in result["workloads"].items():
        for name, entry in wl.get("peers", {}).items():
            if entry.get("status") in ("error", "unsupported"):
                out.append(f"{key}, {label(name)}: {entry['status']} — {entry.get('reason', '')}")
    return out


def header_lines(result: dict[str, Any]) -> list[str]:
    m = result["machine"]
    s = result["settings"]
    pools = ", ".join(
        f"{p.get('internal_api')} {p.get('version') or ''} {p.get('architecture') or ''}".strip()
        + f" × {p.get('num_threads')}"
        for p in m["thread_pools"]
    )
    versions = ", ".join(f"{label(k) if k in PEERS else k} {v}" for k, v in m["versions"].items())
    return [
        f"Command: `{result['command']}`",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['platform']}",
        f"Threads: {s['threads']} (BLAS/OpenMP pools: {pools or 'not reported'}; torch.set_num_threads; "
        "JAX uses XLA's own pool)",
        f"Versions: {versions}",
        f"Runs: interleaved across peers, {s['warmups']} warm-up + {s['repeats']} counted per peer "
        f"(predict {s['repeats'] * s['predict_rounds_factor']}, memory {s['memory_rounds']})"
        + (f", a {pause:g} s pause before each" if (pause := s.get("sizes", {}).get("pause_s", 0)) else "")
        + "; cells are median (min–max)",
        f"Date: {result['date']}" + (" — quick sizes, not a measurement" if s["quick"] else ""),
        f"Load average (1 min) before / after: {fmt(m.get('load_before'))} / {fmt(m.get('load_after'))}"
        + ("; other processes were busy, so absolute times are noisy (the ratios less so)"
           if max(m.get("load_before") or 0, m.get("load_after") or 0) > LOAD_WARNING else ""),
    ]


def markdown_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def tables(result: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's tables as (title, headers, rows); ratio tables only when they have numbers."""
    names = peer_names(result)
    out = [("Results", *main_table(result))]
    others = [n for n in names if n != SUBJECT]
    if SUBJECT in names and others:
        headers, rows = ratio_table(result, "ratios", others)
        if any(c != "—" for r in rows for c in r[1:]):
            out.append((f"Ratio {label(SUBJECT)} / peer (below 1: {label(SUBJECT)} is faster or smaller)",
                        headers, rows))
    non_floor = [n for n in names if n != FLOOR]
    if FLOOR in names and non_floor:
        headers, rows = ratio_table(result, "vs_floor", non_floor)
        if any(c != "—" for r in rows for c in r[1:]):
            out.append((f"Ratio peer / {label(FLOOR)} (the floor for NumPy code)", headers, rows))
    return out


def to_markdown(result: dict[str, Any]) -> str:
    parts = ["\n".join(f"- {line}" for line in header_lines(result))]
    for title, headers, rows in tables(result):
        parts.append(f"**{title}**\n\n{markdown_table(headers, rows)}")
    extra = notes(result)
    if extra:
        parts.append("Notes:\n\n" + "\n".join(f"- {line}" for line in extra))
    return "\n\n".join(parts) + "\n"


def print_report(result: dict[str, Any]) -> None:
    """Print with rich when it is installed, as Markdown otherwise."""
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(to_markdown(result))
        return
    console = Console()
    if not console.is_terminal:  # piped to a file: don't squeeze the table into 80 columns
        console = Console(width=200)
    for line in header_lines(result):
        console.print(line, markup=False, highlight=False)
    for title, headers, rows in tables(result):
        table = Table(title=title, title_justify="left")
        for i, h in enumerate(headers):
            table.add_column(h, justify="left" if i < 2 else "right")
        for r in rows:
            table.add_row(*r)
        console.print(table)
    for line in notes(result):
        console.print(f"- {line}", markup=False, highlight=False)


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and ``os.replace``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # mkstemp makes the file private; give it the mode the file had, or the usual one
        if path.exists():
            mode = path.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def update_docs(path: Path, markdown: str) -> None:
    """Replace the text between the results markers of ``path`` (append a section if it has none)."""
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    block = f"{DOCS_START}\n{markdown.rstrip()}\n{DOCS_END}"
    if DOCS_START in text and DOCS_END in text:
        before, rest = text.split(DOCS_START, 1)
        after = rest.split(DOCS_END, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n## Latest results\n\n" + block + "\n"
    write_atomic(path, text)
