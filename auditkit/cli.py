"""The command line: ``auditkit check``, ``auditkit rules``, ``auditkit report``."""

from __future__ import annotations

import json
import shlex
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from auditkit.audit import AuditOptions, run_audit, write_atomic
from auditkit.errors import AuditkitError, ExitCode
from auditkit.execute.local import Finished
from auditkit.plan import Plan
from auditkit.report.html import render_html
from auditkit.report.terminal import make_console, render_terminal
from auditkit.report.view import build_view
from auditkit.rulepack import builtin_packs, load_rulepack


def _print_error(text: str) -> None:
    """Print ``text`` to stderr as is: no markup, highlighting or hard wrapping.

    A path broken across two lines cannot be copied, so long lines stay whole.
    """
    make_console(file=sys.stderr).print(text, markup=False, highlight=False, soft_wrap=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="auditkit")
def cli() -> None:
    """Audit claimed improvements in ML experiments."""


@cli.command()
@click.argument("model_file", type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--rules",
    "rules",
    default="default",
    show_default=True,
    help="Rule pack: a shipped pack's name (quick, default) or a YAML file.",
)
@click.option(
    "--seeds",
    type=int,
    default=None,
    help="Seeds per arm (default: the pack's setting, 5 for default).",
)
@click.option(
    "--out",
    type=str,
    default=None,
    help="Report folder (default .auditkit/runs/<timestamp>/, linked from .auditkit/last).",
)
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda or cuda:N.")
@click.option(
    "--experiment", default=None, help="Experiment to audit when the file declares several."
)
@click.option("--only", multiple=True, help="Run only this rule (id or name); repeatable.")
@click.option("--skip", multiple=True, help="Skip this rule (id or name); repeatable.")
@click.option(
    "--no-cache", is_flag=True, help="Retrain every run instead of reusing the run store."
)
@click.option("--strict", is_flag=True, help="Exit 1 on inconclusive claims too.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="table: rich terminal summary; json: audit.json on stdout.",
)
def check(
    model_file: str,
    rules: str,
    seeds: int | None,
    out: str | None,
    device: str,
    experiment: str | None,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    no_cache: bool,
    strict: bool,
    quiet: bool,
    fmt: str,
) -> None:
    """Retrain the experiment in MODEL_FILE and give every claim a verdict."""
    options = AuditOptions(
        model_file=model_file,
        rules=rules,
        seeds=seeds,
        out=out,
        device=device,
        experiment=experiment,
        only=only,
        skip=skip,
        cache=not no_cache,
        strict=strict,
        command=shlex.join(["auditkit", *sys.argv[1:]]),
    )
    console = make_console(quiet=quiet or fmt == "json")
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[last]}", style="dim"),
        console=console,
        transient=True,
        disable=quiet or fmt == "json",
    )
    task = progress.add_task("training", total=None, last="")

    def on_plan(plan: Plan) -> None:
        progress.update(task, total=len(plan.runs))

    def on_run(finished: Finished, done: int, total: int) -> None:
        result = finished.result
        status = "cached" if finished.cached else ("ok" if result.ok else "FAILED")
        progress.update(task, completed=done, last=f"{result.spec.run_id} {status}")

    with progress:
        outcome = run_audit(options, progress=on_run, on_plan=on_plan)
    view = build_view(outcome.document)
    write_atomic(outcome.out_dir / "report.html", render_html(view))
    if fmt == "json":
        click.echo(json.dumps(outcome.document, indent=2, ensure_ascii=False))
    elif quiet:
        click.echo(view.summary_line)
    else:
        render_terminal(view, console)
        console.print(
            f"Report: {outcome.out_dir / 'report.html'}  ·  {outcome.out_dir / 'audit.json'}"
        )
    raise SystemExit(int(outcome.exit_code))


@cli.group()
def rules() -> None:
    """List and explain rule packs and their rules."""


@rules.command("list")
@click.option("--pack", "pack_name", default=None, help="Only this pack (name or path).")
def rules_list(pack_name: str | None) -> None:
    """List the shipped rule packs and their rules."""
    console = make_console(soft_wrap=True)
    names: list[str] = [pack_name] if pack_name else list(builtin_packs())
    for name in names:
        pack = load_rulepack(name)
        s = pack.settings
        console.print(
            f"[bold]{pack.name}[/bold]  ({pack.path}; seeds={s.seeds}, alpha={s.alpha}, "
            f"rope={s.rope}, confidence={s.confidence})"
        )
        if pack.description:
            console.print(f"  [dim]{pack.description.strip()}[/dim]")
        for rule in pack.rules:
            console.print(f"  {rule.id}  {rule.name:<28} {rule.severity:<7} check={rule.check}")


@rules.command("explain")
@click.argument("key")
@click.option("--pack", "pack_name", default="default", show_default=True, help="Pack to look in.")
def rules_explain(key: str, pack_name: str) -> None:
    """Explain the rule KEY (an id such as AK101, or a name such as seed-variance)."""
    pack = load_rulepack(pack_name)
    rule = pack.find(key)
    if rule is None:
        known = ", ".join(f"{r.id} ({r.name})" for r in pack.rules)
        raise click.UsageError(f"no rule {key!r} in pack {pack.name!r}; its rules: {known}")
    console = make_console(soft_wrap=True)
    console.print(
        f"[bold]{rule.id} {rule.name}[/bold]  severity={rule.severity}  check={rule.check}"
    )
    console.print(f"[bold]Why it matters.[/bold] {rule.why}")
    console.print(f"[bold]How to fix.[/bold] {rule.fix}")
    for ref in rule.references:
        console.print(f"  - {ref}")
    console.print(f"[dim]Defined at {rule.origin}[/dim]")


@cli.command()
@click.argument("audit_json", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--html", "html", is_flag=True, help="Write report.html (the default when no format is given)."
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into (default: beside audit.json).",
)
def report(audit_json: Path, html: bool, out: Path | None) -> None:
    """Re-render the views of AUDIT_JSON without retraining anything."""
    try:
        doc: dict[str, Any] = json.loads(audit_json.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise click.UsageError(f"{audit_json} is not an audit.json file: {exc}") from None
    if doc.get("format") != 1:
        raise click.UsageError(
            f"{audit_json}: format {doc.get('format')!r} is not supported by this auditkit "
            "(it reads format 1)"
        )
    target = out or audit_json.parent
    target.mkdir(parents=True, exist_ok=True)
    view = build_view(doc)
    path = target / "report.html"
    write_atomic(path, render_html(view))
    click.echo(f"wrote {path}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``auditkit`` command; returns the exit code.

    Every error auditkit raises on purpose prints its message (never a traceback) and
    exits 4; an unexpected exception is a bug in auditkit and exits 3 with the
    traceback and a request to report it.
    """
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="auditkit",
            standalone_mode=False,
        )
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else 0
    except click.exceptions.Abort:
        _print_error("Interrupted.")
        return int(ExitCode.INTERRUPTED)
    except click.UsageError as exc:
        # click's own usage errors (unknown option, bad type) exit 4, as pytest's do.
        usage = f"\n{exc.ctx.get_usage()}" if exc.ctx is not None else ""
        _print_error(exc.format_message() + usage)
        return int(ExitCode.USAGE_ERROR)
    except click.ClickException as exc:
        _print_error(exc.format_message())
        return int(ExitCode.USAGE_ERROR)
    except AuditkitError as exc:
        _print_error(f"error: {exc}")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        _print_error(
            "Interrupted. Every finished run is in .auditkit/store.sqlite; run the same "
            "command again to resume where it stopped."
        )
        return int(ExitCode.INTERRUPTED)
    except Exception:
        _print_error(
            "auditkit hit an internal error (a bug in auditkit, not in your files); please "
            "report it with the traceback below.\n" + traceback.format_exc()
        )
        return int(ExitCode.INTERNAL_ERROR)
    return int(ExitCode.OK)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
