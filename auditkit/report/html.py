"""The HTML view: one self-contained file rendered from Jinja2 templates."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    select_autoescape,
)
from markupsafe import Markup

from auditkit.report import plots
from auditkit.report.exhibit_view import FigureView
from auditkit.report.latex import render_latex
from auditkit.report.templates import templates_dir
from auditkit.report.view import ClaimView, ReportView


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
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimSection:
    """A claim with its figures."""

    claim: ClaimView
    scores_svg: Markup
    forest_svg: Markup | None
    #: ``--seeds auto``: estimate and interval against seeds used
    sequential_svg: Markup | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HtmlPage:
    """What ``report.html.j2`` receives: the view, its figures, the CSS and the LaTeX."""

    view: ReportView
    claims: tuple[ClaimSection, ...]
    #: the drawn figure of each exhibit, by its key (``FigureView.key``)
    figures: Mapping[str, Markup]
    css: Markup  #: the shipped stylesheet: trusted, inlined as it is
    latex: str


def build_page(view: ReportView) -> HtmlPage:
    """Draw the figures of ``view`` and gather what the template places.

    Parameters
    ----------
    view
        The formatted report.

    Returns
    -------
    HtmlPage
    """
    claims = tuple(
        ClaimSection(
            claim=c,
            scores_svg=plots.draw_claim(c.plot, prefix=f"{c.key}-scores"),
            forest_svg=(
                plots.draw_forest(c.plot, prefix=f"{c.key}-forest")
                if len(c.plot.conditions) > 1
                else None
            ),
            sequential_svg=(
                plots.draw_sequential(c.plot, prefix=f"{c.key}-sequential")
                if c.plot.looks
                else None
            ),
        )
        for c in view.claims
    )
    return HtmlPage(
        view=view,
        claims=claims,
        figures={
            item.key: plots.draw_exhibit(
                item.exhibit, prefix=item.key, scale=item.value_scale, unit=item.value_unit
            )
            for section in view.exhibits
            for item in section.items
            if isinstance(item, FigureView)
        },
        # Escaping would turn the stylesheet's quotes into entities and break it.
        css=Markup((templates_dir() / "report.css").read_text(encoding="utf-8")),
        latex=render_latex(view),
    )


def render_html(view: ReportView) -> str:
    """Render the report as one HTML document with its CSS and figures inlined.

    Parameters
    ----------
    view
        The formatted report.

    Returns
    -------
    str
        The HTML text; it loads nothing from anywhere (its Content-Security-Policy
        forbids it), so it reads the same offline, attached to a paper, in ten years.
    """
    page = build_page(view)
    return environment().get_template("report.html.j2").render(page=page, view=view)
