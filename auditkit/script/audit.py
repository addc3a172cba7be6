"""Orchestration of a script audit: spec -> plan -> script runs -> statistics -> verdicts -> report.

The runs go through the same run store (resume after a kill), executors (process pool,
Ray), checks, statistics, verdicts and ``audit.json`` as a model file's; only the plan
(``script.plan``) and the run itself (``script.runner``) are the script's own. In the
zero-set-up form the data files the first run read become the audit's data, and the rules
that need data are planned in a second round.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import platform
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.checks import AssessContext
from auditkit.errors import UsageError
from auditkit.execute.core import RunContext
from auditkit.pipeline import (
    STATE_DIR,
    Assessed,
    AuditOutcome,
    CheckOptions,
    Described,
    Executed,
    ExecuteSettings,
    Planned,
    ProgressFn,
    Started,
    adaptive_design,
    assess_rules,
    conclude,
    execution_notes,
    library_versions,
    open_runs,
    pair_evidence,
    prepare_out_dir,
    take_looks,
)
from auditkit.plan import Plan
from auditkit.rulepack import RulePack, load_rulepack, select_rules
from auditkit.script.checks import nominal_script_runs, spreads
from auditkit.script.plan import empty_dataset, fold_evaluations, plan_script, train_config
from auditkit.script.record import (
    CODE_HASH_LIMIT,
    CODE_SUFFIXES,
    code_digest,
    confusion_of,
    facts_of,
    file_sha,
    files_summary,
    git_commit,
    seed_routes,
)
from auditkit.script.runner import SHIM_DIR, ScriptRunner
from auditkit.script.spec import ScriptSpec, from_command, load_audit_file
from auditkit.stats.sequential import SequentialDesign
from auditkit.types import Dataset, Finding, RunResult, RunSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptOptions(CheckOptions):
    """What the user asked for on the command line, for a script audit.

    ``run_timeout`` stops the script after that many seconds.
    """

    #: the command (zero set-up), or empty with ``audit_file``
    command: tuple[str, ...] = ()
    #: a declared audit (YAML)
    audit_file: str | None = None
    #: ``--metrics PATH``: a metrics file to read first
    metrics_file: str = ""
    #: ``--reseed``: offset the script's own constant seed calls by the run's seed
    reseed: bool = False
    #: the command line, for provenance
    command_line: str = ""


def load_spec(options: ScriptOptions) -> ScriptSpec:
    """The audit's spec: from the audit file, or from the command (zero set-up).

    Raises
    ------
    UsageError
        Bad audit file or command (exit 4).
    """
    if options.audit_file is not None:
        spec = load_audit_file(options.audit_file, reseed=options.reseed)
        changes: dict[str, Any] = {}
        if options.metrics_file:
            changes["metrics_file"] = options.metrics_file
        if options.run_timeout is not None:
            changes["timeout"] = options.run_timeout
        return dataclasses.replace(spec, **changes) if changes else spec
    return from_command(
        options.command,
        project=Path.cwd(),
        metrics_file=options.metrics_file,
        timeout=options.run_timeout,
        reseed=options.reseed,
    )


def load_data(spec: ScriptSpec) -> Dataset | None:
    """The audit's data files loaded as a dataset, when they can be parsed."""
    if not spec.data_files:
        return None
    from auditkit.script.datafiles import from_facts, load_dataset

    files = from_facts(facts_of(spec))
    return load_dataset(files) if files is not None else None


def discover_data(spec: ScriptSpec, results: Iterable[RunResult]) -> ScriptSpec:
    """Zero set-up: the data files the first successful run read become the audit's data."""
    if spec.data_files:
        return spec
    from auditkit.script.datafiles import discover

    for result in results:
        if result.ok and result.trace is not None:
            files = discover(result.trace, Path(spec.project))
            if files is None:
                return spec
            return dataclasses.replace(spec, data_files=tuple(files.roles().items()))
    return spec


# names that moved to script.record, importable from here as before
__all__ = [
    "CODE_HASH_LIMIT",
    "CODE_SUFFIXES",
    "PlannedScript",
    "ScriptFailedError",
    "ScriptOptions",
    "ScriptRuns",
    "code_digest",
    "confusion_of",
    "discover_data",
    "execute_script",
    "facts_of",
    "files_summary",
    "found_metrics",
    "git_commit",
    "load_data",
    "load_spec",
    "looks_like_metric",
    "plan_script_audit",
    "run_script_audit",
    "seed_routes",
]

#: words that mark a printed name as a metric's, as a whole token of the name (split on
#: ``_``, ``/``, ``.``); a name without one is kept only when its value changes with the
#: seed (``epochs: 2`` is a setting, not a metric)
METRIC_WORDS = frozenset(
    (
        *("acc", "accuracy", "f1", "loss", "mcc", "auc", "auroc", "auprc", "roc", "score"),
        *("error", "err", "precision", "recall", "bleu", "rouge", "perplexity", "ppl", "mse"),
        *("mae", "rmse", "iou", "miou", "map", "dice", "kappa", "wer", "cer", "nll", "r2"),
        *("top", "swa", "cwa", "hwa"),
    )
)
#: the longer metric words, found as a part of a name too (``val_accuracy``, ``testloss``)
METRIC_STEMS = ("accura", "loss", "score", "error", "precision", "recall", "perplexity")


def looks_like_metric(name: str) -> bool:
    """Whether a name reads as a metric's (``test_acc``, ``eval/f1``) rather than a setting's.

    Parameters
    ----------
    name
        A metric name as read back (normalised: lower case, ``_`` for spaces).

    Returns
    -------
    bool
        True when a token of the name, without trailing digits (``acc1``, ``top5``), is in
        ``METRIC_WORDS`` or the name holds one of ``METRIC_STEMS``.
    """
    lower = name.lower()
    split = re.split(r"[^a-z0-9]+", lower)
    tokens = {*split, *(t.rstrip("0123456789") for t in split)}
    return bool(tokens & METRIC_WORDS) or any(stem in lower for stem in METRIC_STEMS)


def found_metrics(spec: ScriptSpec, results: Iterable[RunResult]) -> tuple[str, ...]:
    """The declared metrics, or the metrics every successful nominal run reported.

    In zero set-up every printed ``name: value`` is read back; of the names every run
    reported, those that look like metrics (``looks_like_metric``) or whose value differs
    between two seeds of a variant are kept, so that ``epochs: 2`` is not audited as a
    metric. When no name passes, all are kept (the audit has nothing else to look at).

    Parameters
    ----------
    spec
        The audit's spec; its declared metrics win.
    results
        The runs so far.

    Returns
    -------
    tuple of str
        Metric names, in the order the first run reported them.
    """
    if spec.metrics:
        return spec.metrics
    common: list[str] | None = None
    values: dict[tuple[str, str], set[float]] = {}  # (variant, metric) -> values seen
    for result in results:
        if result.ok and result.spec.condition.is_nominal:
            names = list(result.test_metrics)
            common = names if common is None else [n for n in common if n in names]
            for name, value in result.test_metrics.items():
                if value is not None:
                    values.setdefault((result.spec.variant, name), set()).add(value)
    varies = {name for (_, name), seen in values.items() if len(seen) > 1}
    kept = [n for n in common or () if looks_like_metric(n) or n in varies]
    return tuple(kept or common or ())


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedScript(Planned):
    """The plan stage's output for a script audit: the first round's runs, and their keys."""

    spec: ScriptSpec
    #: the declared data files loaded as a dataset, when they can be parsed
    data: Dataset | None
    #: the facts that key the script's runs in the store
    key_facts: Mapping[str, object]
    #: SHA-256 of ``key_facts``: names the runs' folders
    key: str
    #: the project's git commit ("" outside git)
    commit: str
    #: the adaptive design of ``--seeds auto``, or None for a fixed number of seeds
    design: SequentialDesign | None = None
    #: SHA-256 of the project's code (``code_digest``)
    code: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptRuns:
    """The execute stage's output for a script audit: the last round's plan and its runs."""

    #: the spec, with the data files the first runs read in zero set-up
    spec: ScriptSpec
    data: Dataset | None
    metrics: tuple[str, ...]
    plan: Plan
    executed: Executed


def plan_script_audit(options: ScriptOptions, started: Started) -> PlannedScript:
    """The plan stage of a script audit: load the spec and plan the first round of runs.

    Raises
    ------
    UsageError
        A bad command, audit file, rule pack or flag (exit code 4).
    """
    if options.seeds is not None and options.seeds < 2:
        raise UsageError(
            f"--seeds {options.seeds} is too few: seed-to-seed spread needs at least 2 seeds, "
            "and 5 or more to detect small gains",
            slug="bad-seeds",
        )
    pack: RulePack = select_rules(load_rulepack(options.rules), options.only, options.skip)
    design = None if options.adaptive is None else adaptive_design(options.adaptive, pack.settings)
    spec = load_spec(options)
    out_dir = prepare_out_dir(options.out, started.now)
    n_seeds = options.seeds if options.seeds is not None else pack.settings.seeds
    if design is not None:
        n_seeds = design.min_seeds
    project = Path(spec.project)
    versions = library_versions()
    code = code_digest(project, ignore=[Path(options.audit_file)] if options.audit_file else [])
    key_facts: dict[str, object] = {
        "kind": "script",
        "script": spec.fingerprint(),
        "code_sha256": code,
        "data": {rel: file_sha(project / rel) for _, rel in spec.data_files},
        "versions": {"auditkit": versions["auditkit"]},
        # the start-up shim shapes what a run records (and, with --reseed, its seeds)
        "shim": file_sha(SHIM_DIR / "sitecustomize.py"),
    }
    data = load_data(spec)
    seeds = list(range(n_seeds))
    return PlannedScript(
        started=started,
        spec=spec,
        pack=pack,
        plan=plan_script(spec, pack, seeds, facts=facts_of(spec), data=data, metrics=spec.metrics),
        data=data,
        key_facts=key_facts,
        key=hashlib.sha256(json.dumps(key_facts, sort_keys=True).encode()).hexdigest(),
        commit=git_commit(project),
        code=code,
        versions=versions,
        out_dir=out_dir,
        design=design,
    )


def _context_for(planned: PlannedScript, current: ScriptSpec) -> RunContext:
    """What the runs of ``current`` need: its runner, and the facts that key its runs."""
    runner = ScriptRunner(
        spec=current, state_dir=str(STATE_DIR.resolve()), key=planned.key, git_commit=planned.commit
    )
    facts = dict(planned.key_facts)
    if current.data_files and not planned.spec.data_files:
        # zero set-up: the runs after discovery also depend on the data found
        project = Path(current.project)
        facts["discovered data"] = {rel: file_sha(project / rel) for _, rel in current.data_files}
    return RunContext(
        spec=None,
        data=None,
        device=None,  # the script chooses its own
        key_facts=facts,
        source=runner,
        runner=runner,
    )


def execute_script(
    planned: PlannedScript,
    options: ScriptOptions,
    progress: ProgressFn | None = None,
    on_plan: Callable[[Plan], None] | None = None,
) -> ScriptRuns:
    """The execute stage of a script audit: the nominal runs first, then the whole plan.

    The first round finds the metrics (and, in zero set-up, the data files) that plan the
    second; ``on_plan`` is called with the second round's plan.

    Raises
    ------
    ScriptFailedError
        Every nominal run failed (exit code 4).
    """
    settings = ExecuteSettings(
        executor=options.executor,
        cache=options.cache,
        # scripts use the cores themselves: one run at a time unless --jobs says more
        jobs=options.jobs if options.jobs is not None else 0,
        address=options.address,
        seed_batch="off",
        budget=options.budget,
        started=planned.started.clock,
    )
    spec, data, plan = planned.spec, planned.data, planned.plan
    with open_runs(settings, progress=progress) as session:
        nominal = [r for r in plan.runs if r.condition.is_nominal]
        session.run(nominal, _context_for(planned, spec), total=len(plan.runs))
        _stop_if_all_failed(spec, session.results, session.undone)
        if not spec.data_files:
            found = discover_data(spec, session.results.values())
            if found.data_files:
                spec = found
                data = load_data(spec)
        metrics = found_metrics(spec, session.results.values())
        seeds = list(planned.plan.seeds)
        plan = plan_script(
            spec, planned.pack, seeds, facts=facts_of(spec), data=data, metrics=metrics
        )
        if on_plan is not None:
            on_plan(plan)
        context = _context_for(planned, spec)
        session.run(plan.runs, context, total=len(plan.runs))
        if planned.design is not None:
            plan = take_looks(
                plan,
                session,
                planned.design,
                replan=lambda n: plan_script(
                    spec,
                    planned.pack,
                    list(range(n)),
                    facts=facts_of(spec),
                    data=data,
                    metrics=metrics,
                ),
                context=context,
            )
        executed = session.executed(plan.runs)
    return ScriptRuns(spec=spec, data=data, metrics=metrics, plan=plan, executed=executed)


def assess_script(
    planned: PlannedScript, ran: ScriptRuns
) -> tuple[dict[str, Finding | None], list[dict[str, Any]]]:
    """The assess stage of a script audit: each rule's finding, and the metrics' spread.

    Returns
    -------
    tuple of (dict, list of dict)
        Rule id -> finding; per variant and metric, the spread over seeds (the terminal
        shows it in place of the claims table when no claim is declared, as in zero
        set-up).
    """
    spec, pack = ran.spec, planned.pack
    # the checks read test-time runs as evaluations of the nominal runs
    assessed = fold_evaluations(ran.executed.results)
    context = AssessContext(
        data=ran.data if ran.data is not None else empty_dataset(),
        claims=spec.claims,
        baseline=spec.baseline,
        variants=tuple(v.name for v in spec.variants),
        seeds=ran.plan.seeds,
        metrics=ran.metrics,
        train=train_config(spec),
        alpha=pack.settings.alpha,
        rope=pack.settings.rope,
        confidence=pack.settings.confidence,
        # the checks look runs up by the condition's text form
        results={
            (s.variant, str(s.condition), s.init_seed, s.order_seed): r for s, r in assessed.items()
        },
        script=facts_of(spec),
        expect_data=spec.expect_data,
    )
    findings = assess_rules(ran.plan, context)
    seed_spread = [
        {"variant": variant, "metric": name, **dataclasses.asdict(found)}
        for variant in context.variants
        for name, found in spreads(nominal_script_runs(context, variant)).items()
        if name in ran.metrics
    ]
    return findings, seed_spread


def run_script_audit(
    options: ScriptOptions,
    *,
    progress: ProgressFn | None = None,
    on_plan: Callable[[Plan], None] | None = None,
) -> AuditOutcome:
    """Run a whole script audit and write ``audit.json`` to the report folder.

    Parameters
    ----------
    options
        The command line's choices.
    progress
        Called after each run as ``progress(finished, done, total)``.
    on_plan
        Called with the plan before its runs start (twice in zero set-up, when the data
        found by the first runs adds rules).

    Returns
    -------
    AuditOutcome

    Raises
    ------
    AuditkitError
        A bad command, audit file, rule pack or flag (exit code 4).
    """
    started = Started.clock_in()
    planned = plan_script_audit(options, started)
    if on_plan is not None:
        on_plan(planned.plan)
    ran = execute_script(planned, options, progress, on_plan)
    findings, seed_spread = assess_script(planned, ran)
    results = ran.executed.results
    metadata = _data_metadata(ran.spec, results.values())
    assessed = Assessed(
        planned=planned,
        plan=ran.plan,
        executed=ran.executed,
        findings=findings,
        evidence=pair_evidence(ran.spec.claims, ran.plan.seeds, results, design=planned.design),
        strict=options.strict,
        design=planned.design,
    )
    described = Described(
        experiment=_experiment_record(planned, ran, metadata, seed_spread),
        provenance=_provenance(planned, ran, options, metadata),
        confusion=confusion_of(results.values()),
        # a script audit lists its runs with their (empty) dev predictions, as it always has
        drop=("test_predictions",),
    )
    return conclude(assessed, described)


def _data_metadata(spec: ScriptSpec, results: Iterable[RunResult]) -> dict[str, Any]:
    """Facts about the script's data for the report: files read and written, metric sources."""
    results = list(results)
    files = files_summary(results)
    sources = sorted({r.trace.metric_source for r in results if r.trace and r.trace.metric_source})
    first_notes: dict[str, str] = {}
    for result in results:
        if result.trace is not None:
            for k, v in result.trace.metric_notes.items():
                first_notes.setdefault(k, v)
    notes = [f"{k}: {v} (first run; every run read alike)" for k, v in first_notes.items()]
    metadata: dict[str, Any] = {
        "source": spec.data_dir or spec.project,
        **{k: v for k, v in files.items() if v},
    }
    if spec.data_files and not spec.declared:
        metadata["discovered"] = (
            "no data was declared: the data files the first run read became the audit's data"
        )
    if sources:
        metadata["metrics read from"] = sources
    if notes:
        metadata["metric notes"] = notes
    return metadata


def _experiment_record(
    planned: PlannedScript,
    ran: ScriptRuns,
    metadata: Mapping[str, Any],
    seed_spread: list[dict[str, Any]],
) -> dict[str, Any]:
    """The script audit as audit.json describes an experiment."""
    spec, data, facts = ran.spec, ran.data, facts_of(ran.spec)
    data_name = (
        f"{'declared' if spec.declared and facts.data_files else 'read by the script'}: "
        + ", ".join(
            rel if role == Path(rel).name else f"{role} {rel}" for role, rel in spec.data_files
        )
        if spec.data_files
        else "none declared; the script's own data loading (see files read)"
    )
    return {
        "name": spec.name,
        "source": "script",
        "model_file": spec.origin if spec.declared else f"the command: {spec.template.text()}",
        "model_sha256": planned.code,
        "data": {
            "name": data_name,
            "kind": data.kind if data is not None else "script",
            "fingerprint": data.fingerprint() if data is not None else "",
            "metadata": metadata,
        },
        "design": None,
        "frameworks": {},
        "metrics": list(ran.metrics),
        "train": None,
        "script": {
            "command": spec.template.text(),
            "style": spec.template.style.value,
            "project": spec.project,
            "seed routes": list(facts.seed_routes),
            "reseed": spec.reseed,
            "declared": spec.declared,
            "data files": dict(spec.data_files),
            "seed spread": seed_spread,
        },
        "variants": [
            {
                "name": v.name,
                "baseline": v.baseline,
                "origin": v.origin,
                "arguments": " ".join([*(f"{k}={val}" for k, val in v.values), *v.args]),
            }
            for v in spec.variants
        ],
        "baseline": spec.baseline,
    }


def _provenance(
    planned: PlannedScript, ran: ScriptRuns, options: ScriptOptions, metadata: Mapping[str, Any]
) -> dict[str, str]:
    """How the script audit ran (after the library versions)."""
    spec = ran.spec
    return {
        "platform": platform.platform(),
        "device": "chosen by the script",
        "git commit": planned.commit or "none (not a git repository)",
        "script command": spec.template.text(),
        "seed routes": "; ".join(facts_of(spec).seed_routes),
        **{k: "; ".join(map(str, v)) for k, v in metadata.items() if k != "source"},
        "command": options.command_line,
        "executor": ran.executed.executor,
        **({"design": planned.design.describe()} if planned.design is not None else {}),
        **execution_notes(
            ran.executed,
            n_planned=len(ran.plan.runs),
            run_timeout=spec.timeout,
            budget=options.budget,
        ),
    }


#: output that says the script tried to reach the network
NETWORK = re.compile(
    r"Temporary failure in name resolution|Name or service not known|Network is unreachable|"
    r"HTTPSConnectionPool|ConnectionError|urlopen error|Could not resolve host|"
    r"We couldn't connect to|offline mode"
)


class ScriptFailedError(UsageError):
    """Every nominal run of the script failed: there is nothing to audit (exit 4)."""


def _stop_if_all_failed(
    spec: ScriptSpec, results: Mapping[RunSpec, RunResult], undone: int
) -> None:
    """Raise when every run so far failed; the failed runs stay in the store and on disk."""
    if not results or undone or any(r.ok for r in results.values()):
        return
    first = next(iter(results.values()))
    error = first.error or ""
    folder = first.trace.run_dir if first.trace is not None else ".auditkit/script-runs/"
    kept = (
        f"The {len(results)} failed run(s) are recorded in .auditkit/store.sqlite; the first "
        f"run's output is in {folder}."
    )
    if NETWORK.search(error):
        raise ScriptFailedError(
            f"{spec.origin}: the script needs the network, and its runs could not reach it:\n"
            f"{error}\nDownload what it fetches (models, datasets) beforehand and point the "
            f"script at the local copy (e.g. HF_HUB_OFFLINE=1 under env:). {kept}",
            slug="script-needs-network",
        )
    if error.startswith("MetricsNotFound"):
        raise ScriptFailedError(
            f"{spec.origin}: no run reported the metrics. {error}\n{kept}",
            slug="script-metrics-not-found",
        )
    raise ScriptFailedError(
        f"{spec.origin}: every run of the script failed, so there is nothing to audit. The "
        f"first run: {error}\n{kept}",
        slug="script-all-failed",
    )
