"""Orchestration of a script audit: spec -> plan -> script runs -> statistics -> verdicts -> report.

The runs go through the same run store (resume after a kill), executors (process pool,
Ray), checks, statistics, verdicts and ``audit.json`` as a model file's; only the plan
(``script.plan``) and the run itself (``script.runner``) are the script's own. In the
zero-set-up form the data files the first run read become the audit's data, and the rules
that need data are planned in a second round.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import re
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.audit import (
    STATE_DIR,
    AuditOutcome,
    ProgressFn,
    assess_rules,
    exit_code_for,
    library_versions,
    pair_evidence,
    point_last,
    prepare_out_dir,
    rule_rows,
    with_findings,
)
from auditkit.checks import AssessContext
from auditkit.errors import UsageError
from auditkit.execute.base import BaseExecutor
from auditkit.execute.core import RunContext
from auditkit.execute.select import make_executor
from auditkit.execute.store import RunStore, result_to_dict
from auditkit.plan import Plan
from auditkit.report.document import build_document
from auditkit.report.outputs import write_atomic
from auditkit.rulepack import RulePack, load_rulepack, select_rules
from auditkit.script.checks import nominal_script_runs, spreads
from auditkit.script.plan import empty_dataset, fold_evaluations, plan_script, train_config
from auditkit.script.runner import SHIM_DIR, ScriptRunner
from auditkit.script.spec import ScriptSpec, from_command, load_audit_file
from auditkit.script.workdir import LINK_WHOLE, SKIP
from auditkit.types import Dataset, RunResult, RunSpec, ScriptFacts
from auditkit.verdict import Thresholds, decide_all

#: suffixes of the project files whose contents key stored script runs (the code)
CODE_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".toml", ".cfg", ".ini", ".sh")
#: code files larger than this are keyed by size and time, not contents
CODE_HASH_LIMIT = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptOptions:
    """What the user asked for on the command line, for a script audit."""

    #: the command (zero set-up), or empty with ``audit_file``
    command: tuple[str, ...] = ()
    #: a declared audit (YAML)
    audit_file: str | None = None
    rules: str = "default"
    seeds: int | None = None
    out: str | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    cache: bool = True
    strict: bool = False
    executor: str = "local"
    #: worker processes; None or 0: one run after another in this process
    jobs: int | None = None
    address: str | None = None
    #: seconds one run may take (the script is stopped after it)
    run_timeout: float | None = None
    budget: float | None = None
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


def code_digest(project: Path) -> str:
    """SHA-256 over the project's code and configuration files (paths and contents).

    Changing the script invalidates its stored runs; data files and outputs do not count.
    """
    digest = hashlib.sha256()
    for root, dirs, files in os.walk(project):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIP
            and d not in LINK_WHOLE
            and not (Path(root) / d / "pyvenv.cfg").exists()
        )
        for name in sorted(files):
            if not name.endswith(CODE_SUFFIXES):
                continue
            path = Path(root) / name
            rel = path.relative_to(project).as_posix()
            try:
                stat = path.stat()
                digest.update(rel.encode())
                if stat.st_size > CODE_HASH_LIMIT:
                    digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
                else:
                    digest.update(path.read_bytes())
            except OSError:
                continue
    return digest.hexdigest()


def git_commit(project: Path) -> str:
    """The project's git commit, with ``+dirty`` for uncommitted changes; "" outside git."""
    try:
        head = subprocess.run(
            ["git", "-C", str(project), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        if head.returncode != 0:
            return ""
        dirty = subprocess.run(
            ["git", "-C", str(project), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def seed_routes(spec: ScriptSpec) -> tuple[str, ...]:
    """How the run's seed reaches the script, in words."""
    routes = []
    if "seed" in spec.template.placeholders():
        routes.append(
            f"the command's {spec.seed_argument} (replaced by each run's seed)"
            if spec.seed_argument
            else "the {seed} placeholder of the command"
        )
    routes.append("the environment (AUDITKIT_SEED, PYTHONHASHSEED, PL_GLOBAL_SEED)")
    routes.append("the start-up shim (random, NumPy and torch seeded before the script runs)")
    if spec.reseed:
        routes.append("--reseed (the script's own constant seed calls offset by the run's seed)")
    return tuple(routes)


def facts_of(spec: ScriptSpec) -> ScriptFacts:
    """What checks may know of the audit."""
    return ScriptFacts(
        command=spec.template.text(),
        project=spec.project,
        data_files=dict(spec.data_files),
        data_declared=spec.declared and bool(spec.data_files),
        data_dir=spec.data_dir,
        reseed=spec.reseed,
        seed_routes=seed_routes(spec),
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
        if result.ok and result.spec.condition == "nominal":
            names = list(result.test_metrics)
            common = names if common is None else [n for n in common if n in names]
            for name, value in result.test_metrics.items():
                if value is not None:
                    values.setdefault((result.spec.variant, name), set()).add(value)
    varies = {name for (_, name), seen in values.items() if len(seen) > 1}
    kept = [n for n in common or () if looks_like_metric(n) or n in varies]
    return tuple(kept or common or ())


def _execute(
    executor: BaseExecutor,
    runs: Sequence[RunSpec],
    context: RunContext,
    results: dict[RunSpec, RunResult],
    counts: dict[str, int],
    progress: ProgressFn | None,
    total: int,
) -> None:
    todo = [r for r in runs if r not in results]
    for finished in executor.map(todo, context):
        results[finished.result.spec] = finished.result
        counts["cached"] += finished.cached
        counts["undone"] += finished.undone
        if progress is not None:
            progress(finished, len(results), total)


def confusion_of(results: Iterable[RunResult]) -> dict[str, dict[str, Any]]:
    """Per variant, the confusion matrix summed over the nominal runs that wrote predictions.

    Read from each run's ``out/predictions.csv`` (columns id, label, prediction); labels
    are numbered in sorted order of every label and prediction seen, as in the runs.
    """
    rows: dict[str, list[list[tuple[str, str]]]] = {}
    for result in results:
        if not result.ok or result.trace is None or result.spec.condition != "nominal":
            continue
        path = Path(result.trace.run_dir) / "out" / "predictions.csv"
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                pairs = [
                    (str(r.get("label", "")).strip(), str(r.get("prediction", "")).strip())
                    for r in csv.DictReader(handle)
                ]
        except (OSError, ValueError, csv.Error):
            continue
        rows.setdefault(result.spec.variant, []).append(pairs)
    out: dict[str, dict[str, Any]] = {}
    for variant, runs in rows.items():
        values = sorted({v for pairs in runs for pair in pairs for v in pair})
        index = {v: i for i, v in enumerate(values)}
        matrix = [[0] * len(values) for _ in values]
        for pairs in runs:
            for label, prediction in pairs:
                matrix[index[label]][index[prediction]] += 1
        out[variant] = {"labels": values, "matrix": matrix, "runs": len(runs)}
    return out


def files_summary(results: Iterable[RunResult]) -> dict[str, list[str]]:
    """Files the nominal runs read and wrote, and missing paths they looked for."""
    read: dict[str, str] = {}
    written: dict[str, str] = {}
    missing: dict[str, None] = {}
    for result in results:
        if result.trace is None or result.spec.condition != "nominal":
            continue
        for f in result.trace.files:
            size = f"{f.size:,} bytes" if f.size is not None else "gone after the run"
            if f.mode == "read" and f.exists:
                read.setdefault(f.path, size)
            elif f.mode == "read":
                missing[f.path] = None
            else:
                written.setdefault(f.path, size)
        missing.update(dict.fromkeys(result.trace.missing_probes))
    return {
        "files read": [f"{p} ({s})" for p, s in read.items()],
        "files written": [f"{p} ({s})" for p, s in written.items()],
        "missing paths looked for": [p for p in missing if p not in read],
    }


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
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    if options.seeds is not None and options.seeds < 2:
        raise UsageError(
            f"--seeds {options.seeds} is too few: seed-to-seed spread needs at least 2 seeds, "
            "and 5 or more to detect small gains",
            slug="bad-seeds",
        )
    pack: RulePack = select_rules(load_rulepack(options.rules), options.only, options.skip)
    spec = load_spec(options)
    out_dir = prepare_out_dir(options.out, now)
    n_seeds = options.seeds if options.seeds is not None else pack.settings.seeds
    seeds = list(range(n_seeds))
    project = Path(spec.project)
    versions = library_versions()
    code = code_digest(project)
    key_facts: dict[str, object] = {
        "kind": "script",
        "script": spec.fingerprint(),
        "code_sha256": code,
        "data": {rel: _file_sha(project / rel) for _, rel in spec.data_files},
        "versions": {"auditkit": versions["auditkit"]},
        # the start-up shim shapes what a run records (and, with --reseed, its seeds)
        "shim": _file_sha(SHIM_DIR / "sitecustomize.py"),
    }
    key = hashlib.sha256(json.dumps(key_facts, sort_keys=True).encode()).hexdigest()
    state = STATE_DIR.resolve()
    commit = git_commit(project)

    declared_files = spec.data_files

    def context_for(current: ScriptSpec) -> RunContext:
        runner = ScriptRunner(spec=current, state_dir=str(state), key=key, git_commit=commit)
        facts = dict(key_facts)
        if current.data_files and not declared_files:
            # zero set-up: the runs after discovery also depend on the data found
            facts["discovered data"] = {
                rel: _file_sha(project / rel) for _, rel in current.data_files
            }
        return RunContext(
            spec=None,
            data=None,
            device=None,  # the script chooses its own
            key_facts=facts,
            source=runner,
            runner=runner,
        )

    data = load_data(spec)
    metrics = list(spec.metrics)
    plan = plan_script(spec, pack, seeds, facts=facts_of(spec), data=data, metrics=metrics)
    if on_plan is not None:
        on_plan(plan)
    store = RunStore(STATE_DIR / "store.sqlite") if options.cache else None
    results: dict[RunSpec, RunResult] = {}
    counts = {"cached": 0, "undone": 0}
    executor: BaseExecutor | None = None
    try:
        executor = make_executor(
            options.executor,
            store=store,
            device=None,
            # scripts use the cores themselves: one run at a time unless --jobs says more
            jobs=options.jobs if options.jobs is not None else 0,
            address=options.address,
            seed_batch="off",
            deadline=None if options.budget is None else started + options.budget,
            budget_s=options.budget,
        )
        nominal = [r for r in plan.runs if r.condition == "nominal"]
        _execute(executor, nominal, context_for(spec), results, counts, progress, len(plan.runs))
        _stop_if_all_failed(spec, results, counts)
        if not spec.data_files:
            found = discover_data(spec, results.values())
            if found.data_files:
                spec = found
                data = load_data(spec)
        metrics = list(found_metrics(spec, results.values()))
        plan = plan_script(spec, pack, seeds, facts=facts_of(spec), data=data, metrics=metrics)
        if on_plan is not None:
            on_plan(plan)
        _execute(executor, plan.runs, context_for(spec), results, counts, progress, len(plan.runs))
    finally:
        if store is not None:
            store.close()
    results = {run: results[run] for run in plan.runs if run in results}
    # the checks read test-time runs as evaluations of the nominal runs
    assessed = fold_evaluations(results)
    facts = facts_of(spec)
    thresholds = Thresholds(
        alpha=pack.settings.alpha, rope=pack.settings.rope, confidence=pack.settings.confidence
    )
    context = AssessContext(
        data=data if data is not None else empty_dataset(),
        claims=spec.claims,
        baseline=spec.baseline,
        variants=tuple(v.name for v in spec.variants),
        seeds=plan.seeds,
        metrics=tuple(metrics),
        train=train_config(spec),
        alpha=pack.settings.alpha,
        rope=pack.settings.rope,
        confidence=pack.settings.confidence,
        results={
            (s.variant, s.condition, s.init_seed, s.order_seed): r for s, r in assessed.items()
        },
        script=facts,
    )
    findings = assess_rules(plan, context)
    # numbers for the views: the metrics' spread over seeds (the terminal shows it in place
    # of the claims table when none is declared, as in zero set-up)
    seed_spread = [
        {"variant": variant, "metric": name, **dataclasses.asdict(found)}
        for variant in context.variants
        for name, found in spreads(nominal_script_runs(context, variant)).items()
        if name in metrics
    ]
    evidence = with_findings(pair_evidence(spec.claims, plan.seeds, results), plan, findings)
    decisions = decide_all(evidence, thresholds) if spec.claims else []
    rows = rule_rows(plan, findings, decisions)
    exit_code = exit_code_for(decisions, options.strict)
    runs = []
    for result in results.values():
        raw = result_to_dict(result)
        del raw["test_predictions"]
        runs.append(raw)
    files = files_summary(results.values())
    sources = sorted(
        {r.trace.metric_source for r in results.values() if r.trace and r.trace.metric_source}
    )
    first_notes: dict[str, str] = {}
    for result in results.values():
        if result.trace is not None:
            for k, v in result.trace.metric_notes.items():
                first_notes.setdefault(k, v)
    notes = [f"{k}: {v} (first run; every run read alike)" for k, v in first_notes.items()]
    data_name = (
        f"{'declared' if spec.declared and facts.data_files else 'read by the script'}: "
        + ", ".join(
            rel if role == Path(rel).name else f"{role} {rel}" for role, rel in spec.data_files
        )
        if spec.data_files
        else "none declared; the script's own data loading (see files read)"
    )
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
    execution: dict[str, str] = {"executor": executor.describe() if executor else "none"}
    if spec.timeout is not None:
        execution["run timeout"] = f"{spec.timeout:g}s"
    if options.budget is not None:
        undone = counts["undone"]
        execution["budget"] = (
            f"{options.budget:g}s; {undone} of {len(plan.runs)} runs left undone"
            if undone
            else f"{options.budget:g}s; every run finished"
        )
    document = build_document(
        auditkit_version=versions["auditkit"],
        created_at=now.isoformat(timespec="seconds"),
        experiment={
            "name": spec.name,
            "source": "script",
            "model_file": spec.origin if spec.declared else f"the command: {spec.template.text()}",
            "model_sha256": code,
            "data": {
                "name": data_name,
                "kind": data.kind if data is not None else "script",
                "fingerprint": data.fingerprint() if data is not None else "",
                "metadata": metadata,
            },
            "design": None,
            "frameworks": {},
            "metrics": list(metrics),
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
        },
        rule_pack={
            "name": pack.name,
            "path": pack.path,
            "sha256": pack.sha256,
            "settings": {
                "seeds": n_seeds,
                "alpha": pack.settings.alpha,
                "rope": pack.settings.rope,
                "confidence": pack.settings.confidence,
            },
        },
        rules=rows,
        seeds=seeds,
        decisions=decisions,
        runs=runs,
        run_counts={
            "total": len(results),
            "failed": sum(not r.ok for r in results.values()),
            "cached": counts["cached"],
        },
        wall_time_s=time.perf_counter() - started,
        provenance={
            **{f"{k} version": v for k, v in versions.items()},
            "platform": platform.platform(),
            "device": "chosen by the script",
            "git commit": commit or "none (not a git repository)",
            "script command": spec.template.text(),
            "seed routes": "; ".join(facts.seed_routes),
            **{k: "; ".join(map(str, v)) for k, v in metadata.items() if k != "source"},
            "command": options.command_line,
            **execution,
        },
        exit_code=int(exit_code),
        confusion=confusion_of(results.values()),
    )
    write_atomic(out_dir / "audit.json", json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    point_last(out_dir)
    return AuditOutcome(document=document, out_dir=out_dir, exit_code=exit_code)


#: output that says the script tried to reach the network
NETWORK = re.compile(
    r"Temporary failure in name resolution|Name or service not known|Network is unreachable|"
    r"HTTPSConnectionPool|ConnectionError|urlopen error|Could not resolve host|"
    r"We couldn't connect to|offline mode"
)


class ScriptFailedError(UsageError):
    """Every nominal run of the script failed: there is nothing to audit (exit 4)."""


def _stop_if_all_failed(
    spec: ScriptSpec, results: Mapping[RunSpec, RunResult], counts: Mapping[str, int]
) -> None:
    """Raise when every run so far failed; the failed runs stay in the store and on disk."""
    if not results or counts["undone"] or any(r.ok for r in results.values()):
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


def _file_sha(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()
