"""The PDF report: WeasyPrint lays out the HTML for A4; pages, text and escaping are checked.

Text is read back with poppler's pdftotext and pdfinfo (installed by
``scripts/bootstrap.sh --test``). To look at the pages yourself:

    pdftoppm -r 60 -png report.pdf page    # page-1.png, page-2.png, ...
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
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


#: A4 width in PDF points, and the right margin of report.css's @page (15 mm)
_PAGE_WIDTH, _RIGHT_MARGIN = 595.28, 15 / 25.4 * 72


def test_pdf_of_a_rule_finding_longer_than_a_page_renders_and_keeps_in_the_margins(
    tmp_path: Path,
) -> None:
    """A finding of 160 evidence lines (three pages) renders, whole, within the margins.

    Under ``break-inside: avoid`` such a row made WeasyPrint search for minutes; the
    render runs in a child process with a time limit, so a hang fails instead of stalling
    the suite. Every line carries a 64-character hash, which must wrap, not be clipped.
    """
    doc = load_full()
    rule = next(r for r in doc["rules"] if r["outcome"] in ("warn", "fail"))
    digest = "a3f9" * 16
    rule["evidence"] = {
        f"variant{i} · factor{i % 3} · shuffle_train_test": f"+{i}.00 pts sha256 {digest}"
        for i in range(160)
    }
    source = tmp_path / "audit.json"
    source.write_text(json.dumps(doc), encoding="utf-8")
    path = tmp_path / "long.pdf"
    script = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from auditkit.report.html import render_html\n"
        "from auditkit.report.pdf import render_pdf\n"
        "from auditkit.report.view import build_view\n"
        "doc = json.loads(Path(sys.argv[1]).read_text(encoding='utf-8'))\n"
        "Path(sys.argv[2]).write_bytes(render_pdf(render_html(build_view(doc))))\n"
    )
    subprocess.run(
        [sys.executable, "-c", script, str(source), str(path)],
        check=True,
        timeout=120,  # about 3 s on 2 idle cores; the old print CSS ran past 100 s
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    text = subprocess.run(
        [_poppler("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flat = "".join(text.split())
    assert "variant159·factor0·shuffle_train_test:+159.00ptssha256" in flat  # nothing lost
    bbox = subprocess.run(
        [_poppler("pdftotext"), "-bbox", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    right = [float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox)]
    assert len(right) > 1000
    # every word ends inside the right margin (1 pt of slack for glyph overhang)
    assert max(right) <= _PAGE_WIDTH - _RIGHT_MARGIN + 1, max(right)


def test_the_cli_shows_a_status_while_it_renders_the_pdf(tmp_path: Path) -> None:
    from rich.console import Console

    from auditkit.cli import _write

    stream = io.StringIO()
    console = Console(file=stream, force_terminal=True, width=80)
    view = build_view(load_full())
    written = _write(view, tmp_path, console, html=False, latex=False, pdf=True)
    assert [p.name for p in written] == ["report.pdf"]
    assert "rendering PDF…" in stream.getvalue()


def test_pdf_leaves_out_what_the_page_already_shows(tmp_path: Path) -> None:
    # Issue 16 item 9: the printed report repeats nothing. The HTML keeps every part.
    doc = load_full()
    html = render_html(build_view(doc))
    _pages, text = _pdf(doc, tmp_path / "report.pdf")
    flat = " ".join(text.split())
    # the per-claim test tables repeat "Do the tests agree?": their notes are on screen only
    assert "all 8 sign patterns enumerated" in html
    assert "all 8 sign patterns enumerated" not in flat and "Do the tests agree?" in flat
    # a skipped rule is one name in one line; its why-and-fix is not printed
    assert "SKIPPED AK205 train-test-duplicates (did not apply; the Methods section says" in flat
    assert flat.count("Fix:") == sum(r["outcome"] in ("warn", "fail") for r in doc["rules"])
    # the per-seed gain strip's axes say what they hold
    assert "mean, CI" in flat and "gain of gru over bag in swa (points)" in flat
