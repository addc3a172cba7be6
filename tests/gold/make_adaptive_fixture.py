"""Build ``tests/gold/audit_adaptive.json``: a real tiny audit with adaptive seeds.

Run from the repository root (some seconds of CPU training):

    .venv/bin/python tests/gold/make_adaptive_fixture.py

It audits ``TINY_MODEL`` of ``tests/conftest.py`` with ``--seeds 3..7`` (the quick pack
without its perturbation rules), so that the claim is decided by the group-sequential
design and its document carries the looks, the stopping reason and the design. Volatile
fields (date, paths, wall time) are set to fixed values. After regenerating, update the
gold files (see tests/gold/README.md).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "audit_adaptive.json"
COMMAND = ["check", "model.py", "--rules", "quick", "--only", "AK101", "--seeds", "3..7"]


def run_adaptive_audit() -> dict[str, Any]:
    """Run the tiny real audit with adaptive seeds in a temporary folder; its document."""
    sys.path.insert(0, str(REPO))
    from auditkit.cli import main
    from tests.conftest import TINY_MODEL

    old = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            Path("model.py").write_text(textwrap.dedent(TINY_MODEL), encoding="utf-8")
            main([*COMMAND, "--out", "out", "-q"])
            doc: dict[str, Any] = json.loads(Path("out/audit.json").read_text(encoding="utf-8"))
        finally:
            os.chdir(old)
    return doc


def fix_volatile(doc: dict[str, Any]) -> dict[str, Any]:
    """Set the fields that change on every run to fixed values."""
    doc["created_at"] = "2026-01-01T00:00:00+00:00"
    doc["summary"]["wall_time_s"] = 42.0
    doc["experiment"]["model_file"] = "model.py"
    for variant in doc["experiment"]["variants"]:
        variant["origin"] = "model.py:" + variant["origin"].rsplit(":", 1)[1]
    doc["rule_pack"]["path"] = "rules/quick.yaml"
    doc["provenance"]["command"] = "auditkit " + " ".join(COMMAND)
    doc["provenance"]["git commit"] = "0123456789abcdef0123456789abcdef01234567"
    for run in doc["runs"]:
        run["duration_s"] = 1.0
    return doc


if __name__ == "__main__":
    document = fix_volatile(run_adaptive_audit())
    OUT.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}")
