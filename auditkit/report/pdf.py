"""The PDF view: the HTML report laid out for print by WeasyPrint."""

from __future__ import annotations

from typing import Any

from auditkit.errors import AuditkitError


class PdfError(AuditkitError):
    """WeasyPrint or the system libraries it needs (Pango) cannot be loaded."""


def _data_only_fetcher() -> Any:
    """A WeasyPrint URL fetcher that loads inline ``data:`` URLs and refuses the rest.

    The report is self-contained; any other URL in it can only come from user text,
    and rendering must never reach the network or the file system because of it.
    """
    from weasyprint import urls

    if hasattr(urls, "URLFetcher"):  # WeasyPrint >= 66
        return urls.URLFetcher(allowed_protocols=("data",))

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # older WeasyPrint
        if not url.startswith("data:"):
            raise ValueError(f"auditkit reports load nothing from outside: refused {url[:80]!r}")
        return urls.default_url_fetcher(url, *args, **kwargs)

    return fetch


def render_pdf(html: str) -> bytes:
    """Lay out the HTML report as a PDF, with the print rules of ``report.css``.

    Parameters
    ----------
    html
        The output of ``render_html``.

    Returns
    -------
    bytes
        The PDF file.

    Raises
    ------
    PdfError
        WeasyPrint is not installed, or its system libraries are missing.
    """
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: Pango or its friends are missing
        raise PdfError(
            f"PDF output needs WeasyPrint and the Pango library, which could not be loaded "
            f"({exc}). Install them with: pip install weasyprint, and on Debian or Ubuntu "
            "apt-get install libpango-1.0-0 libpangoft2-1.0-0; the HTML report needs neither",
            slug="pdf-unavailable",
        ) from None
    document = weasyprint.HTML(string=html, url_fetcher=_data_only_fetcher())
    pdf: bytes = document.write_pdf()
    return pdf
