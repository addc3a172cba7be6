"""The HTML view: one self-contained file rendered from Jinja2 templates."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)

from auditkit.report.view import ReportView


def templates_dir() -> Path:
    """Folder of the shipped templates: ``auditkit/templates`` in a wheel, else ``templates/``."""
    packaged = Path(str(files("auditkit"))) / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def environment(user_dir: str | Path | None = None) -> Environment:
    """The Jinja2 environment: autoescaped, and undefined variables are errors.

    Parameters
    ----------
    user_dir
        A folder whose templates override the shipped ones of the same name.
    """
    loaders = [FileSystemLoader(str(user_dir))] if user_dir else []
    loaders.append(FileSystemLoader(str(templates_dir())))
    return Environment(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(["html", "j2", "xml"], default=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_html(view: ReportView) -> str:
    """Render the report as one HTML document with its CSS inlined.

    Parameters
    ----------
    view
        The formatted report.

    Returns
    -------
    str
        The HTML text; it makes no network requests.
    """
    env = environment()
    css = (templates_dir() / "report.css").read_text(encoding="utf-8")
    return env.get_template("report.html.j2").render(view=view, css=css)
