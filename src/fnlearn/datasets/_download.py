"""Cache folder, verified downloads and the progress bar used by the data set loaders.

A download is written to a hidden temporary file next to its destination, hashed while
it streams in, and moved into place with ``os.replace`` only when its digest (SHA-256, or
MD5 for the few files whose publishers pin only an MD5 digest) is the expected one. A failed
or refused download therefore never leaves a file behind, and a file found in the cache is
always a complete, verified one.

Example:
    >>> from fnlearn.datasets._download import cache_dir
    >>> cache_dir("mnist").name
    'mnist'
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import BinaryIO

CHUNK_BYTES = 1 << 16
TIMEOUT_S = 30.0
HASH_TITLES = {"sha256": "SHA-256", "md5": "MD5"}


class DownloadFailed(Exception):
    """Every URL for one file failed; ``reasons`` holds one short line per URL tried."""

    def __init__(self, name: str, reasons: list[str]) -> None:
        super().__init__(f"{name}: " + "; ".join(reasons))
        self.name = name
        self.reasons = reasons


def cache_dir(kind: str) -> Path:
    """The per-user cache folder of one data set: ``$XDG_CACHE_HOME/fnlearn/<kind>``.

    ``$XDG_CACHE_HOME`` counts only when it is an absolute path (the XDG rule); otherwise
    the folder is ``~/.cache/fnlearn/<kind>``. The folder is not created here.
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "fnlearn" / kind


ENV_VAR = "FNLEARN_DATA"  # a folder of data files, searched before the cache


def keras_cache() -> Path:
    """Keras's own cache of data sets, ``$KERAS_HOME/datasets`` (``~/.keras/datasets`` by default): where a
    computer that ran a Keras program already holds the files, under the same names."""
    return Path(os.environ.get("KERAS_HOME") or "~/.keras").expanduser() / "datasets"


_KERAS_FOLDERS = {"fashion_mnist": "fashion-mnist"}  # Keras keeps these files in a folder of their own


def local_folders(kind: str) -> list[Path]:
    """Where one data set's files are looked for when no path is given, in order: ``$FNLEARN_DATA/<kind>``,
    ``$FNLEARN_DATA`` itself (when the variable is set), the cache, then Keras's cache.

    >>> [p.name for p in local_folders("mnist")][-2:]
    ['mnist', 'datasets']
    """
    env = os.environ.get(ENV_VAR, "")
    root = [Path(env).expanduser()] if env else []
    keras = keras_cache() / _KERAS_FOLDERS[kind] if kind in _KERAS_FOLDERS else keras_cache()
    return [*(folder for r in root for folder in (r / kind, r)), cache_dir(kind), keras]


def open_url(url: str, timeout: float = TIMEOUT_S) -> BinaryIO:
    """Open ``url`` for reading; the single place that touches the network.

    Tests replace this function to serve bytes without a network.
    """
    import urllib.request  # slow to import; only needed when something is downloaded

    request = urllib.request.Request(url, headers={"User-Agent": "fnlearn"})
    return urllib.request.urlopen(request, timeout=timeout)


class _Progress:
    """A download progress bar: rich's when rich is installed, else a line per 10 % on stderr."""

    def __init__(self, label: str, total: int | None, enabled: bool) -> None:
        self.label, self.total, self.enabled = label, total, enabled
        self.done = 0
        self._next_tenth = 1
        self._rich = None
        if not enabled:
            return
        try:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )
        except ImportError:
            print(f"downloading {label}" + (f" ({total / 1e6:.1f} MB)" if total else ""), file=sys.stderr)
            return
        self._rich = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._rich.start()
        self._task = self._rich.add_task(f"downloading {label}", total=total)

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        if self._rich is not None:
            self._rich.update(self._task, advance=n)
        elif self.total:
            while self._next_tenth <= 10 and self.done * 10 >= self._next_tenth * self.total:
                print(f"  {self.label}: {self._next_tenth * 10} % "
                      f"({self.done / 1e6:.1f} of {self.total / 1e6:.1f} MB)", file=sys.stderr)
                self._next_tenth += 1

    def close(self) -> None:
        if self._rich is not None:
            self._rich.stop()
        elif self.enabled and not self.total:
            print(f"  {self.label}: {self.done / 1e6:.1f} MB", file=sys.stderr)


def _fetch_one(url: str, dest: Path, sha256: str, size: int | None, progress: bool,
               opener: Callable[[str], BinaryIO], algorithm: str = "sha256") -> None:
    """Stream ``url`` into a temporary file beside ``dest``; move it into place only if verified."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        digest = hashlib.new(algorithm)
        with os.fdopen(fd, "wb") as out, opener(url) as response:
            length = getattr(response, "headers", {}).get("Content-Length")
            bar = _Progress(dest.name, int(length) if length else size, progress)
            try:
                while chunk := response.read(CHUNK_BYTES):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
            finally:
                bar.close()
            out.flush()
            os.fsync(out.fileno())
        got = digest.hexdigest()
        if got != sha256:
            raise ValueError(f"{HASH_TITLES[algorithm]} mismatch, got {got[:12]}… instead of {sha256[:12]}…, "
                             f"file refused")
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a cached data file is an ordinary file
        os.replace(tmp, dest)
    finally:
        # On success the temporary name is gone already; on any failure nothing is left behind.
        tmp.unlink(missing_ok=True)


def download(urls: Sequence[str], dest: Path, sha256: str, *, size: int | None = None,
             progress: bool = True, opener: Callable[[str], BinaryIO] | None = None,
             algorithm: str = "sha256") -> Path:
    """Download one file to ``dest`` from the first of ``urls`` that serves the expected bytes.

    ``sha256`` is the expected hex digest; ``algorithm="md5"`` checks an MD5 digest instead.
    Each URL is tried in turn; a network error or a digest mismatch moves on to the next.
    Raises ``DownloadFailed`` (with one reason per URL) when none succeeds; ``dest`` is then
    untouched and no temporary file remains.
    """
    if algorithm not in HASH_TITLES:
        raise ValueError(f"algorithm {algorithm!r} is not supported; use one of {sorted(HASH_TITLES)}.")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    opener = opener or open_url
    reasons = []
    for url in urls:
        try:
            _fetch_one(url, dest, sha256.lower(), size, progress, opener, algorithm)
            return dest
        except (OSError, ValueError) as exc:  # URLError, HTTPError and timeouts are OSErrors
            reasons.append(f"{url}: {exc}")
    raise DownloadFailed(dest.name, reasons)

