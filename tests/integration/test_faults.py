"""Faults: out of memory and a full disk become a recorded failure or a clean exit."""

from __future__ import annotations

import errno
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from auditkit.cli import main
from tests.conftest import TINY_MODEL

pytestmark = pytest.mark.slow


def test_out_of_memory_is_a_recorded_failure(
    write_model: Callable[[str], Path], in_tmp: Path
) -> None:
    # the error torch raises when an allocation fails, raised by the model itself
    source = TINY_MODEL.replace(
        '        states, _ = self.gru(self.embed(batch["tokens"]))',
        "        raise torch.OutOfMemoryError('CUDA out of memory. Tried to allocate 2.00 GiB')",
    )
    assert "OutOfMemoryError" in source and hasattr(torch, "OutOfMemoryError")
    model = write_model(source)
    # every run of the variant failed: the audit exits 6 (an arm without a successful run)
    assert main(["check", str(model), "--rules", "quick", "--seeds", "2", "--out", "o", "-q"]) == 6
    doc = json.loads((in_tmp / "o" / "audit.json").read_text())
    errors = [r["error"] for r in doc["runs"] if r["error"]]
    assert len(errors) == 2
    assert all("OutOfMemoryError: CUDA out of memory" in e for e in errors)
    assert doc["claims"][0]["verdict"] == "inconclusive"
    assert "2 runs failed" in doc["claims"][0]["reason"]


def test_disk_full_while_writing_the_report_exits_cleanly_and_loses_nothing(
    write_model: Callable[[str], Path],
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import auditkit.report.outputs as outputs

    real_fsync = os.fsync

    def full(fd: int) -> None:
        # the disk fills up as report.html is written (after audit.json)
        if str(Path(f"/proc/self/fd/{fd}").readlink()).endswith(f".report.html.tmp-{os.getpid()}"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(outputs.os, "fsync", full)
    model = write_model(TINY_MODEL)
    code = main(["check", str(model), "--rules", "quick", "--seeds", "2", "--out", "o", "-q"])
    err = capsys.readouterr().err
    assert code == 3
    assert "report.html: could not be written: No space left on device" in err
    assert "Every finished run is kept in .auditkit/store.sqlite" in err
    assert "Traceback" not in err
    # no half-written file is left behind, and audit.json is whole
    assert sorted(p.name for p in (in_tmp / "o").iterdir()) == ["audit.json"]
    json.loads((in_tmp / "o" / "audit.json").read_text())
    monkeypatch.setattr(outputs.os, "fsync", real_fsync)
    assert main(["check", str(model), "--rules", "quick", "--seeds", "2", "--out", "p", "-q"]) in (
        0,
        1,
    )
    again = json.loads((in_tmp / "p" / "audit.json").read_text())
    assert again["summary"]["runs"]["cached"] == again["summary"]["runs"]["total"]
