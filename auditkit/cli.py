"""The command line: ``auditkit check``, ``auditkit rules``, ``auditkit report``."""

from __future__ import annotations

import json
import os
import shlex
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from auditkit.errors import AuditkitError, ExitCode, UsageError
from auditkit.execute.threads import quiet_idle_threads
from auditkit.report.terminal import make_console
from auditkit.sources import cli as sources_cli

# The commands import what they need when they run: ``auditkit --help`` loads no SciPy,
# and an audit of a script never loads torch or scikit-learn (their import alone takes
# seconds, paid once per audit and once per worker).
if TYPE_CHECKING:
    from auditkit.audit import AuditOutcome
    from auditkit.execute.local import Finished
    from auditkit.plan import Plan
    from auditkit.report.view import ReportView

INTERRUPTED_MESSAGE = (
    "Interrupted. Every finished run is in .auditkit/store.sqlite; run the same command "
    "again to resume where it stopped."
)


def _print_error(text: str) -> None:
    """Print ``text`` to stderr as is: no markup, highlighting, emoji codes or hard wrapping.

    A path broken across two lines cannot be copied, so long lines stay whole.
    """
    make_console(file=sys.stderr).print(
        text, markup=False, highlight=False, emoji=False, soft_wrap=True
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="auditkit")
def cli() -> None:
    """Audit claimed improvements in ML experiments."""


@cli.command()
@click.argument("target", nargs=-1, required=True)
@click.option(
    "--rules",
    "rules",
    default="default",
    show_default=True,
    help="Rule pack: a shipped pack's name (quick, default) or a YAML file.",
)
@click.option(
    "--seeds",
    type=str,
    default=None,
    help="Seeds per arm (default: the pack's setting, 5 for default); 'auto' or MIN..MAX "
    "(auto = 3..20) adds seeds to undecided claims only, with a group-sequential design.",
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
@click.option(
    "--jobs",
    "-j",
    type=int,
    default=None,
    help="Worker processes (default: one per core, several per GPU); 0 trains in this process.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "ray"]),
    default="local",
    show_default=True,
    help="Where runs train: local worker processes, or a Ray cluster (auditkit[ray] extra).",
)
@click.option("--address", default=None, help="Ray cluster address HOST:PORT (--executor ray).")
@click.option(
    "--seed-batch",
    default="auto",
    show_default=True,
    help="Train seeds of a variant as one stacked model: auto, off, or seeds per group.",
)
@click.option(
    "--run-timeout",
    default=None,
    help="Stop a run after this long and record it as failed (90, 90s, 10m).",
)
@click.option(
    "--budget",
    default=None,
    help="Wall-time limit of the whole audit (e.g. 30m); runs left undone are listed.",
)
@click.option(
    "--pdf",
    "pdf",
    is_flag=True,
    help="Also write report.pdf (takes a few seconds more); report.html and report.tex are "
    "always written.",
)
@click.option(
    "--metrics",
    "metrics_file",
    default="",
    help="Script mode: a metrics file the script writes (JSON or CSV), read before the others.",
)
@click.option(
    "--reseed",
    is_flag=True,
    help="Script mode: offset the script's own constant seed calls by each run's seed.",
)
def check(
    target: tuple[str, ...],
    rules: str,
    seeds: str | None,
    out: str | None,
    device: str,
    experiment: str | None,
    only: tuple[str, ...],
    skip: tuple[str, ...],
    no_cache: bool,
    strict: bool,
    quiet: bool,
    fmt: str,
    jobs: int | None,
    executor: str,
    address: str | None,
    seed_batch: str,
    run_timeout: str | None,
    budget: str | None,
    pdf: bool,
    metrics_file: str,
    reseed: bool,
) -> None:
    """Retrain the experiment in a model file, or audit a script, and give claims verdicts.

    TARGET is a model file (model.py), a script audit file (audit.yaml), or, after --,
    the command you run: auditkit check -- python train.py --epochs 8
    """
    # over 80 lines because click passes the target and 20 options as parameters (a 23-line
    # signature); the code itself is 76 lines: flag checks, the options, the audit's run
    from auditkit.audit import AuditOptions, parse_seeds, run_audit
    from auditkit.execute.select import parse_duration
    from auditkit.script.audit import ScriptOptions, run_script_audit

    script = _script_target(target)
    _check_target_flags(
        script is not None,
        metrics_file=metrics_file,
        reseed=reseed,
        device=device,
        experiment=experiment,
        seed_batch=seed_batch,
    )
    fixed_seeds, adaptive = parse_seeds(seeds)
    model_file = target[0]
    options = AuditOptions(
        model_file=model_file,
        rules=rules,
        seeds=fixed_seeds,
        adaptive=adaptive,
        out=out,
        device=device,
        experiment=experiment,
        only=only,
        skip=skip,
        cache=not no_cache,
        strict=strict,
        executor=executor,
        jobs=jobs,
        address=address,
        seed_batch=seed_batch,
        run_timeout=None
        if run_timeout is None
        else parse_duration(run_timeout, flag="--run-timeout"),
        budget=None if budget is None else parse_duration(budget, flag="--budget"),
        command=shlex.join(["auditkit", *sys.argv[1:]]),
    )
    console = make_console(quiet=quiet or fmt == "json")
    progress, on_plan, on_run = _training_progress(console, disable=quiet or fmt == "json")
    with progress:
        if script is None:
            outcome = run_audit(options, progress=on_run, on_plan=on_plan)
        else:
            outcome = run_script_audit(
                ScriptOptions(
                    command=script[0],
                    audit_file=script[1],
                    rules=rules,
                    seeds=fixed_seeds,
                    adaptive=adaptive,
                    out=out,
                    only=only,
                    skip=skip,
                    cache=not no_cache,
                    strict=strict,
                    executor=executor,
                    jobs=jobs,
                    address=address,
                    run_timeout=options.run_timeout,
                    budget=options.budget,
                    metrics_file=metrics_file,
                    reseed=reseed,
                    command_line=options.command,
                ),
                progress=on_run,
                on_plan=on_plan,
            )
    left = outcome.document["provenance"].get("budget", "")
    if "left undone" in left:
        _print_error(
            f"--budget ran out: {left.split('; ', 1)[1]}; they are marked NotRun in audit.json. "
            "Run the same command again to resume: finished runs are reused from the run store."
        )
    _finish(outcome, console, fmt=fmt, quiet=quiet, pdf=pdf)


def _check_target_flags(
    is_script: bool,
    *,
    metrics_file: str,
    reseed: bool,
    device: str,
    experiment: str | None,
    seed_batch: str,
) -> None:
    """Usage errors for script-mode flags on a model file and model-file flags on a script."""
    if not is_script and (metrics_file or reseed):
        raise click.UsageError(
            "--metrics and --reseed are for scripts: auditkit check -- python train.py ..."
        )
    model_only = {
        "--device": device != "auto",
        "--experiment": experiment is not None,
        "--seed-batch": seed_batch != "auto",
    }
    if is_script and any(model_only.values()):
        flags = ", ".join(k for k, given in model_only.items() if given)
        raise click.UsageError(
            f"{flags} apply to model files only; a script chooses its own device and trains "
            "its seeds one process each"
        )


def _training_progress(
    console: Console, *, disable: bool
) -> tuple[Progress, Callable[[Plan], None], Callable[[Finished, int, int], None]]:
    """A progress bar of the runs, and the callbacks that advance it (plan, finished run)."""
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[last]}", style="dim"),
        console=console,
        transient=True,
        disable=disable,
    )
    task = progress.add_task("training", total=None, last="")

    def on_plan(plan: Plan) -> None:
        progress.update(task, total=len(plan.runs))

    def on_run(finished: Finished, done: int, total: int) -> None:
        result = finished.result
        status = finished.status if finished.result.ok else finished.status.upper()
        # --seeds auto plans one look at a time: the total grows with each look
        progress.update(
            task, completed=done, total=max(total, done), last=f"{result.spec.run_id} {status}"
        )

    return progress, on_plan, on_run


def _script_target(target: tuple[str, ...]) -> tuple[tuple[str, ...], str | None] | None:
    """(command, audit file) when ``target`` is a script, None for a model file.

    One ``.yaml`` argument is a declared script audit; one ``.py`` file or existing path
    is a model file; anything else (``-- python train.py ...``) is a command.
    """
    if len(target) == 1 and target[0].endswith((".yaml", ".yml")):
        return (), target[0]
    path = Path(target[0])
    executable = path.is_file() and os.access(path, os.X_OK) and path.suffix != ".py"
    if len(target) == 1 and (target[0].endswith(".py") or path.exists()) and not executable:
        return None
    return target, None


def _write(
    view: ReportView, out_dir: Path, console: Console, *, html: bool, latex: bool, pdf: bool
) -> list[Path]:
    """Write the report files, with a "rendering PDF…" status while the PDF is laid out.

    Laying out the PDF takes seconds after the progress bar has finished; without a
    status the audit looks frozen.
    """
    from auditkit.report.outputs import write_outputs

    if not pdf:
        return write_outputs(view, out_dir, html=html, latex=latex, pdf=False)
    with console.status("rendering PDF…"):
        return write_outputs(view, out_dir, html=html, latex=latex, pdf=True)


def _finish(
    outcome: AuditOutcome,
    console: Console,
    *,
    fmt: str,
    quiet: bool,
    pdf: bool = False,
    after_write: Callable[[list[Path]], str] | None = None,
) -> NoReturn:
    """Write the report files beside audit.json, print the chosen view, exit with its code.

    report.html and report.tex always; report.pdf only with ``pdf`` (it costs seconds).
    ``after_write`` gets the files written (``--log-to``) and returns a line to print last.
    """
    from auditkit.report.terminal import render_terminal
    from auditkit.report.view import build_view

    view = build_view(outcome.document)
    written = _write(view, outcome.out_dir, console, html=True, latex=True, pdf=pdf)
    last = after_write([*written, outcome.out_dir / "audit.json"]) if after_write else ""
    if fmt == "json":
        click.echo(json.dumps(outcome.document, indent=2, ensure_ascii=False))
    elif quiet:
        click.echo(view.summary_line)
    else:
        render_terminal(view, console)
        console.print(
            "Report: " + "  ·  ".join(str(p) for p in [*written, outcome.out_dir / "audit.json"])
        )
    if last:
        console.print(last, markup=False, highlight=False, emoji=False, soft_wrap=True)
    raise SystemExit(int(outcome.exit_code))


@cli.command()
@click.argument("runs_csv", metavar="RUNS", type=str)
@click.option("--baseline", required=True, help="The variant every claim improves on.")
@click.option(
    "--metric",
    "metrics",
    multiple=True,
    help="Metric (column, MLflow metric, TensorBoard tag) to claim on; repeatable. "
    "runs.csv: all columns by default; other sources: required when runs log several.",
)
@click.option(
    "--claim",
    "claims",
    multiple=True,
    help="Variant claimed to beat the baseline (repeatable; all others by default).",
)
@click.option(
    "--out", type=str, default=None, help="Report folder (default .auditkit/runs/<timestamp>/)."
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=0.05,
    show_default=True,
)
@click.option(
    "--rope",
    type=click.FloatRange(min=0),
    default=0.005,
    show_default=True,
    help="Region of practical equivalence, in metric units.",
)
@click.option(
    "--reported",
    "reported",
    multiple=True,
    help="The gain the paper reports, in metric units (0.02 = 2 points): one value for every "
    "claim, or VARIANT:METRIC=VALUE for one claim (repeatable).",
)
@click.option("--strict", is_flag=True, help="Exit 1 on inconclusive claims too.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line.")
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@click.option(
    "--seeds",
    "seeds",
    default=None,
    help="auto or MIN..MAX: replay the adaptive design on the seeds in logged order.",
)
@click.option(
    "--pdf",
    "pdf",
    is_flag=True,
    help="Also write report.pdf (takes a few seconds more); report.html and report.tex are "
    "always written.",
)
@sources_cli.source_options
def compare(
    runs_csv: str,
    baseline: str,
    metrics: tuple[str, ...],
    claims: tuple[str, ...],
    out: str | None,
    alpha: float,
    rope: float,
    reported: tuple[str, ...],
    strict: bool,
    quiet: bool,
    fmt: str,
    seeds: str | None,
    pdf: bool,
    **source: Any,
) -> None:
    """Statistics, verdicts and reports for runs already done, logged in RUNS.

    RUNS is runs.csv (one row per run: columns variant, seed, an optional condition, and
    one column per metric), a CSV or Parquet export, a TensorBoard log folder, a Hydra
    multirun folder, or mlflow:EXPERIMENT. Baseline and variants must share their seeds.
    """
    from auditkit.audit import parse_seeds
    from auditkit.compare import parse_reported, run_compare
    from auditkit.verdict import Thresholds

    fixed_seeds, adaptive = parse_seeds(seeds)
    if fixed_seeds is not None:
        raise UsageError(
            f"--seeds {fixed_seeds}: compare analyses every logged seed; --seeds takes auto "
            "or MIN..MAX, to see what the adaptive design would have concluded",
            slug="bad-seeds",
        )
    loaded = sources_cli.load(runs_csv, metrics, source)
    outcome = run_compare(
        loaded.runs,
        adaptive=adaptive,
        baseline=baseline,
        metrics=metrics,
        claims=claims,
        reported=parse_reported(reported),
        out=out,
        strict=strict,
        thresholds=Thresholds(alpha=alpha, rope=rope),
        command=shlex.join(["auditkit", *sys.argv[1:]]),
    )
    console = make_console(quiet=quiet or fmt == "json")
    log = sources_cli.log_after_write(outcome.document, loaded, source)
    _finish(outcome, console, fmt=fmt, quiet=quiet, pdf=pdf or log is not None, after_write=log)


@cli.group()
def cache() -> None:
    """Inspect or clear the run store (.auditkit/store.sqlite)."""


_STORE_OPTION = click.option(
    "--store",
    "store_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path(".auditkit") / "store.sqlite",
    show_default=True,
    help="The run store file.",
)


@cache.command("info")
@_STORE_OPTION
def cache_info(store_path: Path) -> None:
    """Show what the run store holds."""
    from auditkit.execute.store import RunStore

    if not store_path.exists():
        click.echo(f"{store_path}: no run store yet (auditkit check creates it)")
        return
    store = RunStore(store_path)
    try:
        info = store.info()
    finally:
        store.close()
    click.echo(f"{info.path}: {info.size_bytes / 1e6:.2f} MB")
    click.echo(
        f"  {info.ok} finished runs (reused by later audits), {info.failed} failed runs "
        "(kept for the record, retried)"
        + (f", {info.stale} from an older store format (ignored)" if info.stale else "")
    )
    for name, n in info.per_experiment.items():
        click.echo(f"  {name}: {n} runs")


@cache.command("clear")
@_STORE_OPTION
@click.option("--failed", is_flag=True, help="Remove only the failed runs.")
def cache_clear(store_path: Path, failed: bool) -> None:
    """Delete stored runs, so the next audit retrains them."""
    from auditkit.execute.store import RunStore

    if not store_path.exists():
        click.echo(f"{store_path}: no run store; nothing to clear")
        return
    store = RunStore(store_path)
    try:
        removed = store.clear(failed_only=failed)
    finally:
        store.close()
    click.echo(f"removed {removed} {'failed ' if failed else ''}runs from {store_path}")


@cli.group()
def rules() -> None:
    """List and explain rule packs and their rules."""


@rules.command("list")
@click.option("--pack", "pack_name", default=None, help="Only this pack (name or path).")
def rules_list(pack_name: str | None) -> None:
    """List the shipped rule packs and their rules."""
    from auditkit.rulepack import builtin_packs, load_rulepack

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
    from auditkit.rulepack import load_rulepack

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
@click.option("--pdf", "pdf", is_flag=True, help="Write report.pdf (the HTML laid out for print).")
@click.option("--latex", "latex", is_flag=True, help="Write report.tex: claims table and methods.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write into (default: beside audit.json).",
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the files written.")
def report(
    audit_json: Path, html: bool, pdf: bool, latex: bool, out: Path | None, quiet: bool
) -> None:
    """Re-render the views of AUDIT_JSON without retraining anything."""
    from auditkit.report.auditdoc import load_document
    from auditkit.report.terminal import render_terminal
    from auditkit.report.view import build_view

    # format 1 and 2; a bad file is a DocumentError (exit 4) naming the file and field
    doc = load_document(audit_json)
    target = out or audit_json.parent
    target.mkdir(parents=True, exist_ok=True)
    view = build_view(doc)
    if not (html or pdf or latex):
        html = True
    if not quiet:
        render_terminal(view, make_console())
    for path in _write(view, target, make_console(quiet=quiet), html=html, latex=latex, pdf=pdf):
        click.echo(f"wrote {path}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``auditkit`` command; returns the exit code.

    Every error auditkit raises on purpose prints its message (never a traceback) and
    exits 4; an unexpected exception is a bug in auditkit and exits 3 with the
    traceback and a request to report it.
    """
    # Before torch loads (in this process and in the workers it starts): idle OpenMP
    # threads sleep instead of spinning on cores other processes need.
    quiet_idle_threads(os.environ)
    try:
        cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="auditkit",
            standalone_mode=False,
        )
    except SystemExit as exc:
        return int(exc.code or 0) if isinstance(exc.code, int) else 0
    except (click.exceptions.Abort, KeyboardInterrupt):
        # click turns Ctrl-C into Abort; either way every finished run is in the store
        _print_error(INTERRUPTED_MESSAGE)
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
    except Exception:
        _print_error(
            "auditkit hit an internal error (a bug in auditkit, not in your files); please "
            "report it with the traceback below.\n" + traceback.format_exc()
        )
        return int(ExitCode.INTERNAL_ERROR)
    return int(ExitCode.OK)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
