"""Cache folders, verified downloads, safe archive extraction and the progress bar, shared by the data set
loaders and ``keras.utils.get_file``.

A download is written to a hidden temporary file next to its destination, hashed while
it streams in, and moved into place with ``os.replace`` only when its digest (SHA-256, or
MD5 for the few files whose publishers pin only an MD5 digest) is the expected one. A failed
or refused download therefore never leaves a file behind, and a file found in the cache is
always a complete, verified one. An archive is unpacked the same way: into a hidden folder
beside its destination, renamed into place once every member is out, after every member's
path was checked to stay inside it.

Example:
    >>> from fnlearn.datasets._download import cache_dir
    >>> cache_dir("mnist").name
    'mnist'
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import shutil
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from fnlearn import errors

CHUNK_BYTES = 1 << 16
TIMEOUT_S = 30.0
HASH_TITLES = {"sha256": "SHA-256", "md5": "MD5"}


class DownloadFailed(Exception):
    """Every URL for one file failed; ``reasons`` holds one short line per URL tried, ``causes`` the exceptions."""

    def __init__(self, name: str, reasons: list[str], causes: list[Exception] | None = None) -> None:
        super().__init__(f"{name}: " + "; ".join(reasons))
        self.name = name
        self.reasons = reasons
        self.causes = causes or []


class DigestMismatch(ValueError):
    """The bytes served are not the expected ones: ``got`` and ``expected`` are the two hex digests."""

    def __init__(self, algorithm: str, got: str, expected: str) -> None:
        super().__init__(f"{HASH_TITLES[algorithm]} mismatch, got {got[:12]}… instead of {expected[:12]}…, "
                         f"file refused")
        self.algorithm, self.got, self.expected = algorithm, got, expected


def cache_dir(kind: str) -> Path:
    """The per-user cache folder of one data set: ``$XDG_CACHE_HOME/fnlearn/<kind>``.

    ``$XDG_CACHE_HOME`` counts only when it is an absolute path (the XDG rule); otherwise
    the folder is ``~/.cache/fnlearn/<kind>``. The folder is not created here.
    """
    xdg = os.environ.get("XDG_CACHE_HOME", "")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"
    return base / "fnlearn" / kind


ENV_VAR = "FNLEARN_DATA"  # a folder of data files, searched before the cache


def keras_home() -> Path:
    """Keras's own folder, ``$KERAS_HOME`` (``~/.keras`` by default), read at each call so that a program may set it.

    >>> keras_home().name in {".keras", os.path.basename(os.environ.get("KERAS_HOME", ""))}
    True
    """
    return Path(os.environ.get("KERAS_HOME") or "~/.keras").expanduser()


def keras_cache() -> Path:
    """Keras's own cache of data sets, ``$KERAS_HOME/datasets`` (``~/.keras/datasets`` by default): where a
    computer that ran a Keras program already holds the files, under the same names."""
    return keras_home() / "datasets"


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


def _fetch_one(url: str, dest: Path, expected: str | None, size: int | None, progress: bool,
               opener: Callable[[str], BinaryIO], algorithm: str = "sha256") -> None:
    """Stream ``url`` into a temporary file beside ``dest``; move it into place only if verified (or if there is
    no digest to verify it against)."""
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
        if expected is not None and got != expected:
            raise DigestMismatch(algorithm, got, expected)
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; a cached data file is an ordinary file
        os.replace(tmp, dest)
    finally:
        # On success the temporary name is gone already; on any failure nothing is left behind.
        tmp.unlink(missing_ok=True)


def download(urls: Sequence[str], dest: Path, digest: str | None, *, size: int | None = None,
             progress: bool = True, opener: Callable[[str], BinaryIO] | None = None,
             algorithm: str = "sha256") -> Path:
    """Download one file to ``dest`` from the first of ``urls`` that serves the expected bytes.

    ``digest`` is the expected hex digest (SHA-256; ``algorithm="md5"`` checks an MD5 digest instead), or
    None to take the bytes unchecked. Each URL is tried in turn; a network error or a digest mismatch moves
    on to the next. Raises ``DownloadFailed`` (with one reason per URL) when none succeeds; ``dest`` is then
    untouched and no temporary file remains.
    """
    if algorithm not in HASH_TITLES:
        raise ValueError(f"algorithm {algorithm!r} is not supported; use one of {sorted(HASH_TITLES)}.")
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    opener = opener or open_url
    reasons, causes = [], []
    for url in urls:
        try:
            _fetch_one(url, dest, None if digest is None else digest.lower(), size, progress, opener, algorithm)
            return dest
        except (OSError, ValueError) as exc:  # URLError, HTTPError and timeouts are OSErrors
            reasons.append(f"{url}: {exc}")
            causes.append(exc)
    raise DownloadFailed(dest.name, reasons, causes)


def file_digest(path: str | os.PathLike, algorithm: str = "sha256") -> str:
    """The hex digest of a file's bytes, read a chunk at a time.

    >>> import tempfile
    >>> with tempfile.NamedTemporaryFile(delete=False) as f:
    ...     _ = f.write(b"abc")
    >>> file_digest(f.name)[:16]
    'ba7816bf8f01cfea'
    """
    digest = hashlib.new(algorithm)
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------- unpacking archives

ARCHIVE_FORMATS = ("tar", "zip")  # "tar" covers .tar, .tar.gz, .tgz, .tar.bz2 and .tar.xz


def archive_format_of(path: str | os.PathLike, formats: Iterable[str] = ARCHIVE_FORMATS) -> str | None:
    """The first of ``formats`` that ``path`` is written in, by its content (not its name), or None."""
    for kind in formats:
        if kind == "tar" and tarfile.is_tarfile(path) or kind == "zip" and zipfile.is_zipfile(path):
            return kind
    return None


def _inside(name: str) -> str | None:
    """``name`` as a clean relative path inside the target folder, or None when it would leave it."""
    if not name or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):  # absolute, or a drive
        return None
    clean = posixpath.normpath(name.replace("\\", "/"))
    if clean == ".." or clean.startswith("../"):
        return None
    return clean


def _through_link(path: str, links: set[str], whole: bool) -> str | None:
    """The first link among ``path``'s leading parts, each taken as written (``a/../b`` passes through ``a``), the
    whole path too when ``whole``; None when there is none."""
    parts = path.replace("\\", "/").split("/")
    for end in range(1, len(parts) + (1 if whole else 0)):
        prefix = posixpath.normpath("/".join(parts[:end]))
        if prefix in links:
            return prefix
    return None


def _unsafe_member(members: list[tuple[str, str | None, bool, bool]]) -> tuple[str, str] | None:
    """The first member that would write or point outside the folder, with why; None when all are safe.

    Each member is (name, link target or None, whether the target is relative to the archive's root as a tar
    hard link's is, whether it is a plain file, folder or link). Beyond the names, two rules keep the folder's
    physical layout equal to its written one: no member is written through a link, and no link points through
    another link (a link to "." and a second link to "thatlink/.." would otherwise reach the folder's parent).
    """
    links: set[str] = set()
    for name, target, rooted, ordinary in members:
        clean = _inside(name)
        if clean is None:
            return name, "its path leads outside the folder"
        if not ordinary:
            return name, "it is a device, a pipe or another special file"
        through = _through_link(name, links, whole=False)
        if through is not None:
            return name, f"it would be written through the link {through!r}"
        if target is not None:
            joined = target if rooted else posixpath.join(posixpath.dirname(name), target)
            if target.startswith(("/", "\\")) or _inside(joined) is None:
                return name, f"it links to {target!r}, outside the folder"
            if _through_link(joined, links, whole=True) is not None:
                return name, f"it links to {target!r} through another link"
            links.add(clean)
    return None


def _tar_members(archive: tarfile.TarFile) -> list[tuple[str, str | None, bool, bool]]:
    return [(m.name, m.linkname if (m.issym() or m.islnk()) else None, m.islnk(),
             m.isfile() or m.isdir() or m.issym() or m.islnk()) for m in archive.getmembers()]


def extract_archive(archive: str | os.PathLike, folder: str | os.PathLike,
                    formats: Iterable[str] = ARCHIVE_FORMATS) -> Path:
    """Unpack a tar or zip ``archive`` into ``folder`` (made, or replaced whole), and return ``folder``.

    Every member is checked before anything is written: one whose path is absolute or climbs out with
    ``..``, a link pointing outside, a member written through a link, or a device file refuses the whole
    archive (``DatasetError``). The members go into a hidden folder beside ``folder``, renamed into place
    when all are out, so an interrupted or refused extraction leaves nothing half-unpacked behind.

    >>> import io, tarfile, tempfile, pathlib
    >>> where = pathlib.Path(tempfile.mkdtemp())
    >>> with tarfile.open(where / "a.tar", "w") as tar:
    ...     info = tarfile.TarInfo("data/hello.txt"); info.size = 2
    ...     tar.addfile(info, io.BytesIO(b"hi"))
    >>> (extract_archive(where / "a.tar", where / "out") / "data" / "hello.txt").read_text()
    'hi'
    """
    archive, folder = Path(archive), Path(folder)
    kind = archive_format_of(archive, formats)
    if kind is None:
        raise errors.DatasetError(
            f"'{archive}' is not a {' or '.join(formats)} archive, so it cannot be extracted; check that the "
            f"address serves the archive itself, or pass extract=False to keep the file as it is.")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".part", dir=folder.parent))
    try:
        try:
            if kind == "tar":
                with tarfile.open(archive) as tar:
                    bad = _unsafe_member(_tar_members(tar))
                    if bad is None:
                        # Python's own "data" filter, where it has one, checks each member again as it is written
                        safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                        tar.extractall(staging, **safe)
            else:
                with zipfile.ZipFile(archive) as zipped:
                    bad = _unsafe_member([(info.filename, None, False, True) for info in zipped.infolist()])
                    if bad is None:
                        zipped.extractall(staging)
        except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError) as exc:
            raise errors.DatasetError(
                f"'{archive}' could not be extracted ({type(exc).__name__}: {exc}); it is damaged or unsafe, so "
                f"nothing was unpacked: delete it and download it again (force_download=True).") from exc
        if bad is not None:
            raise errors.DatasetError(
                f"'{archive}' holds the member {bad[0]!r}, which is refused because {bad[1]}; nothing was "
                f"unpacked: use an archive from a source you trust.")
        if folder.exists():
            # the old copy steps aside before the new one moves in, then goes: the folder is never half old
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".old", dir=folder.parent))
            os.replace(folder, old / folder.name)
            os.replace(staging, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, folder)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return folder
