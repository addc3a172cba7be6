"""Gold files: the HTML, terminal and LaTeX views of the fixture audit, volatile fields scrubbed.

To accept a change in the views, regenerate the gold files and review their diff:

    AUDITKIT_UPDATE_GOLD=1 .venv/bin/python -m pytest tests/unit/test_report_gold.py

See tests/gold/README.md.
"""

from __future__ import annotations

import difflib
import io
import json
import os
from pathlib import Path

import pytest

from auditkit.report.html import render_html
from auditkit.report.latex import render_latex
from auditkit.report.terminal import make_console, render_terminal
from auditkit.report.view import build_view
from tests.gold.fixtures import GOLD, load_full, scrub

UPDATE = os.environ.get("AUDITKIT_UPDATE_GOLD") == "1"


def _terminal(view: object) -> str:
    buf = io.StringIO()
    # No colour, fixed width: the gold file is plain text (styles are tested elsewhere).
    console = make_console(file=buf, width=100)
    console.no_color = True
    render_terminal(view, console)  # type: ignore[arg-type]
    return buf.getvalue()


RENDERERS = {
    "report.html": render_html,
    "terminal.txt": _terminal,
    "report.tex": render_latex,
}


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_view_matches_its_gold_file(name: str, tmp_path: Path) -> None:
    _compare(name, name, load_full(), tmp_path)


@pytest.mark.parametrize("name", sorted(RENDERERS))
def test_adaptive_view_matches_its_gold_file(name: str, tmp_path: Path) -> None:
    # a real audit with --seeds 3..7 (make_adaptive_fixture.py): the stopping line and
    # the estimate-against-seeds figure in every view
    doc = json.loads((GOLD / "audit_adaptive.json").read_text(encoding="utf-8"))
    _compare(name, f"adaptive_{name}", doc, tmp_path)


def _compare(name: str, gold_name: str, doc: dict[str, object], tmp_path: Path) -> None:
    actual = scrub(RENDERERS[name](build_view(doc)))  # type: ignore[operator]
    name = gold_name
    gold = GOLD / name
    if UPDATE:
        gold.write_text(actual, encoding="utf-8")
        return
    expected = gold.read_text(encoding="utf-8")
    if actual != expected:
        (tmp_path / name).write_text(actual, encoding="utf-8")
        diff = "".join(
            list(
                difflib.unified_diff(
                    expected.splitlines(keepends=True),
                    actual.splitlines(keepends=True),
                    f"tests/gold/{name}",
                    "actual",
                )
            )[:80]
        )
        pytest.fail(
            f"{name} differs from its gold file (actual output in {tmp_path / name}); if the "
            f"change is intended, run AUDITKIT_UPDATE_GOLD=1 .venv/bin/python -m pytest "
            f"tests/unit/test_report_gold.py and review the diff:\n{diff}"
        )


def test_scrub_replaces_volatile_fields() -> None:
    text = (
        "<code>2026-12-01T15:54:58+00:00</code> in 3m12s and 8.0s, torch 2.13.0+cpu, "
        "<code>/work/main/examples/spr/model.py</code> Linux-6.18.44-fc-x86_64-with-glibc2.36"
    )
    assert scrub(text) == (
        "<code>DATE</code> in DURATION and DURATION, torch VERSION, <code>PATH</code> PLATFORM"
    )
    assert scrub("80.50 ± 0.50, p = 0.004, 3 seeds") == "80.50 ± 0.50, p = 0.004, 3 seeds"
