"""Write the report files of one audit: report.html, report.tex and, on request, report.pdf."""

from __future__ import annotations

import os
from pathlib import Path

from auditkit.report.html import render_html
from auditkit.report.latex import render_latex
from auditkit.report.view import ReportView

#: file name of each format
FILES = {"html": "report.html", "latex": "report.tex", "pdf": "report.pdf"}


def _write_atomic(path: Path, content: str | bytes) -> None:
    """Write through a temporary file and a rename: a reader never sees half a report."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    data = content.encode("utf-8") if isinstance(content, str) else content
    with tmp.open("wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.replace(path)


def write_outputs(
    view: ReportView, out_dir: Path, *, html: bool = True, latex: bool = True, pdf: bool = False
) -> list[Path]:
    """Render the chosen formats of ``view`` into ``out_dir``.

    Parameters
    ----------
    view
        The formatted report.
    out_dir
        Folder to write into; it must exist.
    html, latex, pdf
        Which files to write. The PDF lays out the same HTML (it takes a second or
        two), so it is written only when asked for.

    Returns
    -------
    list of Path
        The files written, in the order html, latex, pdf.

    Raises
    ------
    auditkit.report.pdf.PdfError
        A PDF was asked for and WeasyPrint cannot be loaded.
    """
    written: list[Path] = []
    page = render_html(view) if html or pdf else ""
    if html:
        written.append(out_dir / FILES["html"])
        _write_atomic(written[-1], page)
    if latex:
        written.append(out_dir / FILES["latex"])
        _write_atomic(written[-1], render_latex(view))
    if pdf:
        from auditkit.report.pdf import render_pdf  # WeasyPrint loads slowly: only on demand

        written.append(out_dir / FILES["pdf"])
        _write_atomic(written[-1], render_pdf(page))
    return written
