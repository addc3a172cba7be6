"""A check from another package: registered by entry point, its table in every report view.

The plugin is a real installed distribution: a package and its ``.dist-info`` (with an
``entry_points.txt`` naming the ``auditkit.checks`` group) on ``sys.path`` of a fresh
``auditkit check`` process. Its check returns a :class:`auditkit.exhibits.Table`; the
report shows it in the HTML, the PDF and the LaTeX with no change to ``auditkit.report``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

PLUGIN = '''
"""A third-party auditkit check: the rows of each split, as a table."""

from dataclasses import dataclass

from auditkit.checks import CheckBase, register
from auditkit.exhibits import Column, Table, ValueKind
from auditkit.types import Finding


@dataclass(frozen=True)
class RowCountParams:
    """No parameters."""


@register("row_count_table", params=RowCountParams, family="plugin")
class RowCount(CheckBase):
    """Show how many rows each split holds."""

    def assess(self, ctx, params):
        sizes = {name: len(ctx.data.split(name)) for name in ("train", "dev", "test")}
        total = sum(sizes.values())
        table = Table(
            title="Rows per split, counted by a plugin",
            columns=(
                Column("plugin split"),
                Column("plugin rows", ValueKind.COUNT),
                Column("plugin share", ValueKind.FRACTION),
            ),
            rows=tuple((f"zz-{name}", n, n / total) for name, n in sizes.items()),
            caption="Counted by the ak-rowcount plugin.",
        )
        return Finding(outcome="pass", reason=f"{total} rows in all.", exhibits=(table,))
'''

MODEL = """
from sklearn.linear_model import SGDClassifier

import auditkit as ak

exp = ak.Experiment(
    "plugin",
    data=ak.datasets.spr(rule="shape_count", n_train=200, n_dev=60, n_test=100, seed=0),
    metrics=["accuracy"],
)


@exp.variant(baseline=True)
def bag(info):
    return SGDClassifier(loss="log_loss", max_iter=20, tol=None)


@exp.variant
def wide(info):
    return SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=20, tol=None)


exp.claim("wide", over="bag", metric="accuracy")
"""

PACK = """\
pack: plugin
schema: 1
settings: {seeds: 2, alpha: 0.05}
rules:
  - id: AK591
    name: rows-per-split
    check: row_count_table
    severity: low
    why: Readers want to know the split sizes.
    fix: Nothing to fix.
"""


def _install_plugin(site: Path) -> None:
    """A real installed distribution: the package and its dist-info with entry points."""
    package = site / "ak_rowcount"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(textwrap.dedent(PLUGIN), encoding="utf-8")
    info = site / "ak_rowcount-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: ak-rowcount\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[auditkit.checks]\nrow_count_table = ak_rowcount\n", encoding="utf-8"
    )


def _pdftotext(path: Path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        if os.environ.get("CI"):
            pytest.fail("pdftotext is missing: scripts/bootstrap.sh --test installs poppler-utils")
        pytest.skip("pdftotext is not installed (poppler-utils)")
    result = subprocess.run([tool, str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(result.stdout.split())


@pytest.mark.slow
def test_a_plugin_checks_table_reaches_html_pdf_and_latex(tmp_path: Path) -> None:
    site = tmp_path / "site"
    _install_plugin(site)
    (tmp_path / "model.py").write_text(MODEL, encoding="utf-8")
    (tmp_path / "pack.yaml").write_text(PACK, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)])}
    # a fresh process: entry points are read once per process, on first use
    done = subprocess.run(
        [sys.executable, "-m", "auditkit.cli", "check", "model.py", "--rules", "pack.yaml",
         "--out", "out", "--jobs", "0", "--pdf", "-q"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stdout + done.stderr
    out = tmp_path / "out"
    html = (out / "report.html").read_text(encoding="utf-8")
    latex = (out / "report.tex").read_text(encoding="utf-8")
    pdf = _pdftotext(out / "report.pdf")
    # 200 / 360 of the rows are train: 55.6%; the plugin's words and numbers, formatted once
    for text in (html, pdf):
        assert "Rows per split, counted by a plugin" in text
        assert "AK591" in text and "plugin rows" in text
        assert "zz-train" in text and "55.6%" in text and "zz-test" in text
    assert '<th scope="row">zz-train</th><td class="num">200</td>' in html
    assert "zz-train & 200 & 55.6\\% \\\\" in latex
    assert "Rows per split, counted by a plugin (AK591 rows-per-split)" in latex
