"""`auditkit report` re-renders HTML, PDF and LaTeX from audit.json; `check --pdf` adds a PDF."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from auditkit.cli import main
from tests.conftest import TINY_MODEL
from tests.gold.fixtures import load_full, old_format

pytestmark = pytest.mark.slow


def test_report_renders_every_format_without_retraining(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = tmp_path / "audit.json"
    audit.write_text(json.dumps(load_full()), encoding="utf-8")
    out = tmp_path / "views"
    assert main(["report", str(audit), "--html", "--pdf", "--latex", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "1 supported, 1 fragile, 1 inconclusive, 1 refuted in 3m12s" in printed
    assert sorted(p.name for p in out.iterdir()) == ["report.html", "report.pdf", "report.tex"]
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert r"\begin{tabular}" in (out / "report.tex").read_text(encoding="utf-8")
    # no flag: the HTML only; --quiet: only the files written
    assert main(["report", str(audit), "-q"]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {tmp_path / 'report.html'}"


def test_report_reads_an_old_audit_json(tmp_path: Path) -> None:
    audit = tmp_path / "audit.json"
    audit.write_text(json.dumps(old_format(load_full())), encoding="utf-8")
    assert main(["report", str(audit), "--latex", "-q"]) == 0
    assert (tmp_path / "report.tex").exists() and not (tmp_path / "report.html").exists()


def test_report_refuses_another_format(tmp_path: Path) -> None:
    audit = tmp_path / "audit.json"
    audit.write_text(json.dumps({"format": 99}), encoding="utf-8")
    assert main(["report", str(audit)]) == 4


def test_check_writes_pdf_only_when_asked(write_model: Callable[[str], Path], in_tmp: Path) -> None:
    model = write_model(TINY_MODEL)
    args = ["check", str(model), "--rules", "quick", "--seeds", "2", "-q"]
    main([*args, "--out", "plain"])
    assert sorted(p.name for p in (in_tmp / "plain").iterdir()) == [
        "audit.json",
        "report.html",
        "report.tex",
    ]
    main([*args, "--out", "with-pdf", "--pdf"])
    assert (in_tmp / "with-pdf" / "report.pdf").read_bytes()[:5] == b"%PDF-"
