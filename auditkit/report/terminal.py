"""The terminal view: a rich verdict table, per-rule outcomes and a pytest-style summary."""

from __future__ import annotations

from typing import IO

from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.theme import Theme

from auditkit.report.view import ReportView

#: semantic styles, one colour table for every terminal view (rich's naming)
THEME = Theme(
    {
        "verdict.supported": "bold green",
        "verdict.fragile": "bold yellow",
        "verdict.inconclusive": "bold blue",
        "verdict.refuted": "bold red",
        "outcome.pass": "green",
        "outcome.warn": "yellow",
        "outcome.fail": "red",
        "outcome.error": "bold red",
        "outcome.skipped": "dim",
        "summary": "bold",
    }
)


def make_console(
    *,
    quiet: bool = False,
    file: IO[str] | None = None,
    width: int | None = None,
    soft_wrap: bool = False,
) -> Console:
    """A console with auditkit's theme.

    Parameters
    ----------
    quiet
        Print nothing.
    file
        Text stream to write to; None for stdout.
    width
        Fixed width in columns (tests); None to ask the terminal.
    soft_wrap
        Never break long lines (paths stay copyable).
    """
    return Console(theme=THEME, quiet=quiet, file=file, width=width, soft_wrap=soft_wrap)


def render_terminal(view: ReportView, console: Console) -> None:
    """Print the verdict table, the per-rule outcomes, the reasons and the summary line.

    Parameters
    ----------
    view
        The formatted report.
    console
        Where to print; use ``make_console`` for the theme.
    """
    table = Table(title=view.title, title_justify="left", expand=False)
    table.add_column("claim")
    table.add_column("metric")
    table.add_column("baseline", justify="right")
    table.add_column("variant", justify="right")
    table.add_column("Δ pts [CI]", justify="right")
    table.add_column("p (Holm)", justify="right")
    table.add_column("seeds", justify="right")
    table.add_column("verdict")
    for claim in view.claims:
        table.add_row(
            f"{claim.variant} vs {claim.baseline}",
            claim.metric,
            claim.baseline_score,
            claim.variant_score,
            f"{claim.gain} {claim.interval}",
            claim.p_holm,
            claim.n_seeds,
            Text(claim.verdict.upper(), style=f"verdict.{claim.verdict}"),
        )
    console.print(table)
    for rule in view.rules:
        line = Text("  ")
        line.append(f"{rule.id} {rule.name}", style="bold")
        line.append("  ")
        line.append(rule.outcome.upper(), style=f"outcome.{rule.outcome}")
        line.append(f"  {rule.reason}")
        console.print(line)
    for claim in view.claims:
        line = Text("  ")
        line.append(claim.verdict.upper(), style=f"verdict.{claim.verdict}")
        line.append(f" {claim.label}: {claim.reason}")
        console.print(line)
    console.print(Text(view.runs_line, style="dim"))
    console.rule(Text(view.summary_line, style="summary"))
