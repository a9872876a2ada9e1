"""Shared fixtures for the data set tests: no network, no real cache (tiny IDX files: idx_files.py)."""

from __future__ import annotations

import urllib.request

import pytest

from fnlearn.datasets import _download


class Opener:
    """Stands in for the network: file:// URLs are served, http(s) fails like a machine offline."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, url: str, timeout: float = 30.0):
        self.calls.append(url)
        if url.startswith("file:"):
            return urllib.request.urlopen(url, timeout=timeout)
        raise OSError(f"no network in tests (refused {url})")


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Every test gets its own cache, no $FNLEARN_DATA, and no network."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv("FNLEARN_DATA", raising=False)
    opener = Opener()
    monkeypatch.setattr(_download, "open_url", opener)
    return opener
