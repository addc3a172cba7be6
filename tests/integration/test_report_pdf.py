"""The PDF report: WeasyPrint lays out the HTML for A4; pages, text and escaping are checked.

Text is read back with poppler's pdftotext and pdfinfo (installed by
``scripts/bootstrap.sh --test``). To look at the pages yourself:

    pdftoppm -r 60 -png report.pdf page    # page-1.png, page-2.png, ...
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from auditkit.report.html import render_html
from auditkit.report.pdf import render_pdf
from auditkit.report.view import build_view
from tests.gold.fixtures import HOSTILE_VARIANT, hostile, load_full, old_format

pytestmark = pytest.mark.slow


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing: scripts/bootstrap.sh --test installs poppler-utils")
        pytest.skip(f"{tool} is not installed (poppler-utils)")
    return path


def _pdf(doc: dict, path: Path) -> tuple[int, str]:
    path.write_bytes(render_pdf(render_html(build_view(doc))))
    info = subprocess.run(
        [_poppler("pdfinfo"), str(path)], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))  # type: ignore[union-attr]
    text = subprocess.run(
        [_poppler("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return pages, text


def test_pdf_has_every_claim_and_verdict_and_page_numbers(tmp_path: Path) -> None:
    doc = load_full()
    pages, text = _pdf(doc, tmp_path / "report.pdf")
    assert 6 <= pages <= 20, pages
    assert text.count("\f") == pages - 1 or text.count("\f") == pages  # one form feed a page
    for claim in doc["claims"]:
        assert claim["label"] in text
    flat = " ".join(text.split())
    for verdict in ("SUPPORTED", "FRAGILE", "INCONCLUSIVE", "REFUTED"):
        assert verdict in flat
    assert "1 supported, 1 fragile, 1 inconclusive, 1 refuted in 3m12s" in flat
    assert f"page 1 of {pages}" in flat and f"page {pages} of {pages}" in flat
    assert "The gain reverses at batch size 512" in flat
    assert "Methods" in flat and "Provenance" in flat
    # text inside the SVG figures is real text too
    assert "per-seed gains" in flat


def test_pdf_of_an_old_audit_json(tmp_path: Path) -> None:
    pages, text = _pdf(old_format(load_full()), tmp_path / "old.pdf")
    assert pages >= 3
    assert "Perturbations" not in text and "Confusion matrices" not in text


def test_pdf_shows_hostile_user_text_as_text(tmp_path: Path) -> None:
    _, text = _pdf(hostile(load_full()), tmp_path / "hostile.pdf")
    flat = " ".join(text.split())
    assert HOSTILE_VARIANT in flat
    assert "<img src=x onerror=alert(1)>" in flat
    assert "<b>bold</b>" in flat
