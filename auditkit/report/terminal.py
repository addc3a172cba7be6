"""The terminal view: a rich verdict table, per-rule outcomes and a pytest-style summary."""

from __future__ import annotations

from typing import IO

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.theme import Theme

from auditkit.report.view import ReportView

#: semantic styles, one colour table for every terminal view (rich's naming); the
#: colours follow the HTML report's, and the verdict's word is always printed too
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
        "rule.id": "bold",
        "evidence": "dim",
        "finding": "default",
        "runs": "dim",
        "summary": "bold",
        "summary.supported": "bold green",
        "summary.fragile": "bold yellow",
        "summary.inconclusive": "bold blue",
        "summary.refuted": "bold red",
    }
)

#: the summary line takes the colour of the worst verdict, as pytest's takes red
_WORST_FIRST = ("refuted", "fragile", "inconclusive", "supported")


def _in_units(view: ReportView) -> str:
    """'in points' when every claim's metric is on a 0-1 scale, else the metrics' units."""
    return "in points" if view.gain_unit == "pts" else view.units_note


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


def _titled(view: ReportView, caption: str) -> Table:
    """The report's title over a table with a dim caption under it."""
    return Table(
        title=view.title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        caption=caption,
        caption_justify="left",
        caption_style="dim",
    )


def verdict_table(view: ReportView) -> Table:
    """The claims and their verdicts as a rich table.

    Scores are means only (the HTML report has their spreads), so that the table fits
    80 columns with the numbers whole; the claim column folds instead.

    Parameters
    ----------
    view
        The formatted report.
    """
    table = _titled(view, f"scores: mean test metric of baseline → variant, {_in_units(view)}")
    table.add_column("claim", overflow="fold", ratio=1)
    # Numbers never wrap: a broken "+2.40 [+0.75," is worse than a narrow claim column.
    table.add_column("scores", justify="right", no_wrap=True)
    table.add_column(f"Δ {view.gain_unit} [{view.confidence} CI]", justify="right", no_wrap=True)
    table.add_column("p (Holm)", justify="right", no_wrap=True)
    table.add_column("seeds", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for claim in view.claims:
        table.add_row(
            claim.label,
            f"{claim.baseline_mean} → {claim.variant_mean}",
            f"{claim.gain} {claim.interval}",
            claim.p_holm,
            claim.seeds_short,
            Text(claim.verdict.upper(), style=f"verdict.{claim.verdict}"),
        )
    return table


#: evidence lines shown under a rule that warns or fails
EVIDENCE_LINES = 4


def _rules(view: ReportView) -> Table:
    grid = Table.grid(padding=(0, 1), pad_edge=True)
    grid.add_column(no_wrap=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for rule in view.rules:
        grid.add_row(
            Text(f" {rule.id} {rule.name}", style="rule.id"),
            Text(rule.outcome.upper(), style=f"outcome.{rule.outcome}"),
            rule.reason,
        )
        # The terminal is for triage: evidence only where a rule found something, and
        # only its first lines; the HTML report has all of it.
        if rule.outcome in ("pass", "skipped"):
            continue
        for key, value in rule.evidence[:EVIDENCE_LINES]:
            grid.add_row("", "", Text(f"{key}: {value}", style="evidence"))
        if len(rule.evidence) > EVIDENCE_LINES:
            more = len(rule.evidence) - EVIDENCE_LINES
            grid.add_row("", "", Text(f"(+{more} more in report.html)", style="evidence"))
    return grid


def _claims(view: ReportView) -> Table:
    grid = Table.grid(padding=(0, 1), pad_edge=True)
    grid.add_column(no_wrap=True, justify="right")
    grid.add_column(overflow="fold")
    for claim in view.claims:
        grid.add_row(
            Text(f" {claim.verdict.upper()}", style=f"verdict.{claim.verdict}"),
            Text(f"{claim.label}: {claim.reason}"),
        )
        if claim.verdict != "supported":
            # Negative results say what was found, in words, not only a verdict.
            for finding in claim.findings:
                grid.add_row("·", Text(finding, style="finding"))
    return grid


def _failures(view: ReportView) -> Table:
    """Each failing variant's first error, where in the user's code, and what follows."""
    grid = Table.grid(padding=(0, 1), pad_edge=True)
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for failure in view.failures:
        grid.add_row(
            Text(" FAILED", style="outcome.error"),
            Text(f"{failure.variant}: {failure.count}; the first ({failure.run_id}):"),
        )
        for line in failure.summary:
            grid.add_row("", Text(line, style="finding"))
    if any(f.all_failed for f in view.failures):
        grid.add_row(
            "",
            Text(
                "No claim on a variant without a successful run can be judged: fix the error "
                "above and run the same command again (exit code 6). Every traceback is in "
                "audit.json (runs[].error).",
                style="evidence",
            ),
        )
    return grid


#: below this width the claims table would fold each claim's label into fragments; the
#: claims are printed as two-line blocks instead (CI logs and `| tee` are 80 columns)
TABLE_MIN_WIDTH = 100


def verdict_blocks(view: ReportView) -> Table:
    """The claims as blocks for narrow terminals, each part kept whole.

    The verdict and the claim on one line, its numbers on the next.

    Parameters
    ----------
    view
        The formatted report.
    """
    grid = Table.grid(padding=(0, 1), pad_edge=True)
    grid.add_column(no_wrap=True, justify="right")
    grid.add_column(overflow="fold")
    for claim in view.claims:
        grid.add_row(
            Text(f" {claim.verdict.upper()}", style=f"verdict.{claim.verdict}"),
            Text(claim.label, style="bold"),
        )
        numbers = (
            f"{claim.baseline_mean} → {claim.variant_mean}  Δ {claim.gain} {claim.interval}  "
            f"p(Holm) {claim.p_holm}  {claim.seeds_short} seeds"
        )
        grid.add_row("", Text(numbers))
    return grid


def no_claims(view: ReportView) -> Table:
    """In place of the verdict table when no claim is declared: the metrics' seed spread.

    Parameters
    ----------
    view
        The formatted report.
    """
    table = _titled(
        view,
        "No claim was declared, so no verdict"
        + (
            ": the metrics' spread over seeds. Declare variants and claims "
            "(auditkit check audit.yaml) to test a gain."
            if view.spread
            else "."
        ),
    )
    table.show_header = bool(view.spread)
    table.min_width = 72  # room for the caption to read as a sentence
    table.add_column("variant", overflow="fold")
    table.add_column("metric", overflow="fold", ratio=1)
    for name in ("mean", "sd", "range", "seeds"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in view.spread:
        table.add_row(row.variant, row.metric, row.mean, row.sd, row.range, row.seeds)
    return table


def render_terminal(view: ReportView, console: Console) -> None:
    """Print the verdict table, the per-rule outcomes, the findings and the summary line.

    Parameters
    ----------
    view
        The formatted report.
    console
        Where to print; use ``make_console`` for the theme.
    """
    if not view.claims:
        console.print(no_claims(view))
    elif console.width < TABLE_MIN_WIDTH:
        console.print(Text(view.title, style="bold"))
        console.print(verdict_blocks(view))
        console.print(
            Text(
                f"scores: mean of baseline → variant; Δ: gain, {view.confidence} CI; "
                f"{_in_units(view)}",
                style="dim",
            )
        )
    else:
        console.print(verdict_table(view))
    if view.rules:
        console.print(_rules(view))
    if view.claims:
        console.print(_claims(view))
    if view.failures:
        console.print(_failures(view))
    console.print(Text(view.runs_line, style="runs"))
    console.rule(Text(view.summary_line, style=summary_style(view)))


def summary_style(view: ReportView) -> str:
    """The summary line's style: the colour of the worst verdict in the audit."""
    present = {c.verdict for c in view.claims}
    worst = next((v for v in _WORST_FIRST if v in present), None)
    return f"summary.{worst}" if worst else "summary"
