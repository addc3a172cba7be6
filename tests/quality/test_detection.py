"""Issue 15: pitfalls a careful reviewer catches, each planted beside a clean twin.

Real audits of small model files (seeded training runs), through the same ``audit``
fixture as the split rules' quality tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import auditkit as ak
from tests.quality.test_splits import SPR_ARGS, Audit, audit, experiment, show, write_spr_bench

__all__ = ["audit"]  # the fixture, imported so that pytest finds it here

pytestmark = pytest.mark.slow

#: a model file that reads SPR_BENCH when the folder is there, and otherwise quietly builds
#: a toy set in memory under the benchmark's name (no generator recorded)
FALLBACK = (
    "ak.datasets.spr_csv(path) if Path(path).exists() else dataclasses.replace("
    'ak.datasets.spr(rule="shape_count", n_train=200, n_dev=100, n_test=100, length=(4, 8)), '
    'name="SPR_BENCH", metadata={})'
)
PRELUDE = 'import dataclasses\nfrom pathlib import Path\npath = "SPR_BENCH"\n'


def test_provenance_never_passes_undeclared_and_warns_on_a_nameplate_benchmark(
    audit: Audit, tmp_path: Path
) -> None:
    # Planted: nothing declared, the folder is missing, the toy set carries the name.
    doc = audit(experiment(FALLBACK), {"AK204": {}}, seeds=2, prelude=PRELUDE)
    row = show(doc, "AK204")
    assert row["outcome"] == "warn", row
    assert (
        "named 'SPR_BENCH', like a benchmark published as files, but no file was read"
        in (row["reason"])
    )
    assert "the model file names path(s) that do not exist: 'SPR_BENCH' (line" in row["reason"]
    assert "no file was read" in row["evidence"]["data read"]
    # Clean twin: the same file with its folder in place, still nothing declared: the data
    # is recorded as read from the files, and provenance is reported as not checked.
    write_spr_bench(tmp_path / "SPR_BENCH", ak.datasets.spr(**SPR_ARGS))
    clean = audit(experiment(FALLBACK), {"AK204": {}}, seeds=2, prelude=PRELUDE)
    row = show(clean, "AK204")
    assert row["outcome"] == "skipped", row
    assert "nothing was declared, so provenance is not checked" in row["reason"]
    assert row["evidence"]["data read"].startswith("read from 3 file(s)")
