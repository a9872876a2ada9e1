"""``python -m bench.pieces`` runs both variants on tiny sizes and reports a ratio per batch size."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from bench import pieces  # noqa: E402
from fnlearn import blas  # noqa: E402

pytestmark = pytest.mark.host_only  # the pieces are NumPy's BLAS threads: nothing of it runs on a GPU


def test_pieces_reports_both_variants(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(blas.Blas, "threads", lambda self: 2)  # whatever this machine has
    out = tmp_path / "pieces.json"
    assert pieces.main(["--batches", "32", "--samples", "512", "--rounds", "2", "--json", str(out)]) == 0
    found = json.loads(out.read_text())["batches"]["32"]
    lib = blas.get(np.float32)
    if lib is None or lib._gemm_batch is None:  # no NumPy OpenBLAS with gemm_batch: nothing to compare
        assert found["status"] == "no pieces here"
        return
    assert found["status"] == "ok" and found["threads"] == 2
    for variant in ("pieces", "whole"):
        assert len(found[variant]["runs"]) == 2 and found[variant]["median"] > 0
    assert len(found["ratios"]) == 2 and found["ratio_median"] > 0
    assert "pieces / whole" in capsys.readouterr().out
    assert (blas.Blas.split_product.__name__, blas.Blas.split_atb.__name__) == ("split_product", "split_atb")
