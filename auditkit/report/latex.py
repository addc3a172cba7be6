"""The LaTeX view: a claims-and-verdicts table and the methods paragraph, ready to paste."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from auditkit.report.templates import templates_dir
from auditkit.report.view import IntervalPoint, ReportView

#: characters LaTeX treats specially, and what prints each literally
_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
}

#: symbols auditkit writes, spelled so that pdfLaTeX (with amssymb) prints them too
_UNICODE = {
    "±": r"$\pm$",
    "–": "--",
    "—": "---",
    "−": "$-$",
    "×": r"$\times$",
    "·": r"$\cdot$",
    "α": r"$\alpha$",
    "ε": r"$\varepsilon$",
    "Δ": r"$\Delta$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "→": r"$\rightarrow$",
    "✓": r"$\checkmark$",
    "✗": r"$\times$",
    "▲": r"$\blacktriangle$",
    "■": r"$\blacksquare$",
    "●": r"$\bullet$",
    "◆": r"$\blacklozenge$",
}

_MINUS = re.compile(r"(?<![\w.\-])-(?=\d)")
_PATTERN = re.compile("|".join(re.escape(c) for c in [*_SPECIAL, *_UNICODE]))


def latex_escape(value: Any) -> str:
    r"""Text as LaTeX that prints it literally: '50% of a_b' -> '50\\% of a\\_b'.

    Parameters
    ----------
    value
        Any value; it is converted with ``str`` first.

    Returns
    -------
    str
    """
    text = _PATTERN.sub(lambda m: _SPECIAL.get(m.group(0)) or _UNICODE[m.group(0)], str(value))
    # A hyphen before a number is a minus sign: "-1.20" prints as "$-$1.20".
    return _MINUS.sub("$-$", text)


class LatexCode(str):
    """LaTeX source a template inserts as it is: built here from numbers, never from user text."""

    __slots__ = ()


def _finalize(value: Any) -> str:
    return value if isinstance(value, LatexCode) else latex_escape(value)


def pgf_coordinates(looks: Sequence[IntervalPoint]) -> LatexCode:
    """The looks of ``--seeds auto`` as pgfplots coordinates: mean gain (points), error bars.

    Parameters
    ----------
    looks
        One point per look, labelled by the seeds used, in metric units.

    Returns
    -------
    LatexCode
        ``(3,2.1000) += (0,0.5200) -= (0,0.6100) ...``, the same figure the HTML report draws.
    """
    return LatexCode(
        " ".join(
            f"({int(look.label)},{100 * look.mean:.4f}) += (0,{100 * (look.high - look.mean):.4f})"
            f" -= (0,{100 * (look.mean - look.low):.4f})"
            for look in looks
        )
    )


def latex_environment() -> Environment:
    """A Jinja2 environment for LaTeX: every ``<< value >>`` is LaTeX-escaped.

    The delimiters are ``<< >>``, ``<% %>`` and ``<# #>`` because Jinja's braces and
    ``{#`` collide with LaTeX; escaping happens in ``finalize``, so a template cannot
    forget it (the LaTeX counterpart of HTML autoescaping).
    """
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        block_start_string="<%",
        block_end_string="%>",
        variable_start_string="<<",
        variable_end_string=">>",
        comment_start_string="<#",
        comment_end_string="#>",
        autoescape=False,
        finalize=_finalize,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pgf_coordinates"] = pgf_coordinates
    return env


def render_latex(view: ReportView) -> str:
    """The report's table of claims and verdicts, methods and findings as LaTeX.

    Parameters
    ----------
    view
        The formatted report.

    Returns
    -------
    str
        A LaTeX fragment (needs ``booktabs`` and ``amssymb``), not a whole document.
    """
    return latex_environment().get_template("report.tex.j2").render(view=view)
