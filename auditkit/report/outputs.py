"""Write the report files of one audit: report.html, report.tex and, on request, report.pdf."""

from __future__ import annotations

import os
from pathlib import Path

from auditkit.errors import AuditkitError, ExitCode
from auditkit.report.html import render_html
from auditkit.report.latex import render_latex
from auditkit.report.view import ReportView

#: file name of each format
FILES = {"html": "report.html", "latex": "report.tex", "pdf": "report.pdf"}


class WriteError(AuditkitError):
    """A result file could not be written (disk full, permissions); the runs are kept."""

    exit_code = ExitCode.INTERNAL_ERROR


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write ``content`` to ``path`` through a temporary file and a rename.

    A reader never sees a half-written file, and a failure leaves the old file (or
    none) in place, never a truncated one.

    Raises
    ------
    WriteError
        When the file cannot be written, e.g. the disk is full; the temporary file is
        removed.
    """
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise WriteError(
            f"{path}: could not be written: {exc.strerror or exc}. Every finished run is "
            "kept in .auditkit/store.sqlite: free some space (or choose another --out) and "
            "run the same command again; nothing is retrained",
            slug="write-failed",
        ) from None


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
        write_atomic(written[-1], page)
    if latex:
        written.append(out_dir / FILES["latex"])
        write_atomic(written[-1], render_latex(view))
    if pdf:
        from auditkit.report.pdf import render_pdf  # WeasyPrint loads slowly: only on demand

        written.append(out_dir / FILES["pdf"])
        write_atomic(written[-1], render_pdf(page))
    return written
