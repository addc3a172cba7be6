"""Orchestration of one audit: experiment -> plan -> runs -> statistics -> verdicts -> report."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from auditkit.checks import AssessContext, checks
from auditkit.errors import ExitCode, UsageError
from auditkit.execute.local import ContextSource, Finished, RunContext
from auditkit.execute.select import make_executor
from auditkit.execute.store import RunStore, result_to_dict, run_key
from auditkit.exhibits import Exhibit
from auditkit.metrics import confusion_matrix
from auditkit.perturb import cv_fold_sizes, scored_labels
from auditkit.plan import Plan, build_plan
from auditkit.report.document import RuleRow, build_document, rule_params
from auditkit.report.outputs import write_atomic
from auditkit.rulepack import RulePack, load_rulepack, select_rules
from auditkit.stats.sequential import (
    DEFAULT_BATCH,
    SequentialDesign,
    parse_seed_range,
    sequential_decisions,
)
from auditkit.types import Claim, Finding, RunResult, RunSpec, Verdict
from auditkit.verdict import ClaimDecision, ClaimEvidence, Thresholds, decide_all, seed_rule_outcome

# torch, scikit-learn and the model-file machinery load in the functions that train: an
# audit of a script (which shares this module's options, outcome and document) never
# needs them, and importing them costs seconds.
if TYPE_CHECKING:
    import torch

    from auditkit.experiment import ExperimentSpec
    from auditkit.train.encode import EncodedData

#: folder, under the working directory, for the run store and the report folders
STATE_DIR = Path(".auditkit")


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditOptions:
    """What the user asked for on the command line."""

    model_file: str
    rules: str = "default"
    seeds: int | None = None
    #: ``--seeds auto`` or ``--seeds MIN..MAX``: (MIN, MAX) seeds per arm of the adaptive
    #: design; None for a fixed number of seeds
    adaptive: tuple[int, int] | None = None
    out: str | None = None
    device: str = "auto"
    experiment: str | None = None
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    cache: bool = True
    strict: bool = False
    #: ``--executor``: ``local`` or ``ray``
    executor: str = "local"
    #: ``--jobs``: worker processes; 0 runs in this process; None: one per core
    jobs: int | None = None
    #: ``--address`` of a Ray cluster
    address: str | None = None
    #: ``--seed-batch``: ``auto``, ``off`` or seeds per stacked group
    seed_batch: str = "auto"
    #: ``--run-timeout`` in seconds
    run_timeout: float | None = None
    #: ``--budget`` in seconds of wall time for the whole audit
    budget: float | None = None
    #: the command line, for provenance
    command: str = ""


@dataclass(frozen=True, slots=True)
class AuditOutcome:
    """The finished audit: its document, where it was written, and the exit code."""

    document: dict[str, Any]
    out_dir: Path
    exit_code: ExitCode


ProgressFn = Callable[[Finished, int, int], None]


def check_device(name: str) -> torch.device:
    """Validate ``--device`` and return the torch device.

    Raises
    ------
    UsageError
        Unknown device name, or CUDA asked for on a machine without it.
    """
    import torch

    from auditkit.train.loop import resolve_device

    valid = name in ("auto", "cpu", "cuda") or (name.startswith("cuda:") and name[5:].isdigit())
    if not valid:
        raise UsageError(
            f"--device {name!r} is not a device; use auto, cpu, cuda or cuda:N",
            slug="bad-device",
        )
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise UsageError(
                f"--device {name} asks for a GPU, but this torch ({torch.__version__}) sees no "
                "CUDA device; use --device cpu (or auto), or install a CUDA build of torch "
                "(see the README)",
                slug="no-cuda",
            )
        index = int(name[5:]) if ":" in name else 0
        if index >= torch.cuda.device_count():
            raise UsageError(
                f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s), "
                f"numbered from 0",
                slug="bad-device",
            )
    return resolve_device(name)


def _git_commit(path: Path) -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(path.parent), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None if out.returncode == 0 else None


def library_versions() -> dict[str, str]:
    """Versions of auditkit, Python and the libraries that shape results (provenance)."""
    out = {"auditkit": version("auditkit"), "python": platform.python_version()}
    for lib in ("torch", "numpy", "scipy", "statsmodels", "scikit-learn", "jinja2", "rich"):
        try:
            out[lib] = version(lib)
        except Exception:  # a missing optional library is not an error for provenance
            out[lib] = "not installed"
    return out


def parse_seeds(text: str | None) -> tuple[int | None, tuple[int, int] | None]:
    """``--seeds``: a fixed count, ``auto`` (3..20) or ``MIN..MAX``.

    Returns
    -------
    tuple of (fixed seeds or None, (MIN, MAX) of the adaptive design or None)

    Raises
    ------
    UsageError
        Neither a count nor a valid range.
    """
    if text is None:
        return None, None
    try:
        return int(text), None  # negative counts too: run_audit says why they are too few
    except ValueError:
        pass
    try:
        return None, parse_seed_range(text)
    except ValueError as exc:
        raise UsageError(
            f"--seeds {exc}; e.g. --seeds 5 (fixed), --seeds auto (3..20 seeds, stopping each "
            "claim once it is decided) or --seeds 4..30",
            slug="bad-seeds",
        ) from None


def _adaptive_design(
    options: AuditOptions, pack: RulePack, spec: ExperimentSpec
) -> SequentialDesign | None:
    """The group-sequential design of ``--seeds auto``/``MIN..MAX``, or None.

    Raises
    ------
    UsageError
        For a cross-validated experiment (its folds are not exchangeable seeds) or a
        range the design cannot use.
    """
    if options.adaptive is None:
        return None
    low, high = options.adaptive
    if spec.design is not None:
        raise UsageError(
            f"--seeds {low}..{high} adds seeds one look at a time, but experiment "
            f"{spec.name!r} is cross-validated ({spec.design.folds} folds): its seeds are "
            "folds that must be tested together. Give a fixed number, e.g. --seeds "
            f"{spec.design.folds * 2}",
            slug="bad-seeds",
        )
    try:
        return SequentialDesign(
            min_seeds=low,
            max_seeds=high,
            batch=DEFAULT_BATCH,
            alpha=pack.settings.alpha,
            confidence=pack.settings.confidence,
            rope=pack.settings.rope,
        )
    except ValueError as exc:
        raise UsageError(f"--seeds {low}..{high}: {exc}", slug="bad-seeds") from None


def design_to_dict(design: SequentialDesign | None) -> dict[str, Any] | None:
    """The adaptive design as audit.json records it."""
    if design is None:
        return None
    return {
        "design": design.describe(),
        "min_seeds": design.min_seeds,
        "max_seeds": design.max_seeds,
        "batch": design.batch,
        "looks": list(design.looks),
        "spending": design.spending.value,
        "futility": design.futility,
    }


def _nominal_of(run: RunSpec, wanted: Mapping[RunSpec, None]) -> bool:
    """Whether ``run`` is a wanted nominal run (build_plan merged its evaluations)."""
    if run.condition != "nominal" or run.transform or run.overrides:
        return False
    return any(dataclasses.replace(run, evaluations=w.evaluations) == w for w in wanted)


def pair_evidence(
    claims: Sequence[Claim],
    seeds: Sequence[int],
    results: Mapping[Any, RunResult],
    *,
    design: SequentialDesign | None = None,
    resampled: tuple[int, int] | None = None,
) -> list[ClaimEvidence]:
    """Pair the nominal runs of each claim by seed; drop pairs with a failed arm.

    Shared by model-file and script audits.

    Parameters
    ----------
    claims
        The claims, each naming its baseline, variant and metric.
    seeds
        The planned seeds, in order.
    results
        Run results by run spec (only nominal runs are read).
    design
        An adaptive design: a seed that a claim stopped before is not a failure, and the
        planned seeds are the design's maximum.
    resampled
        ``(train, test)`` sizes when the seeds are cross-validation folds.

    Returns
    -------
    list of ClaimEvidence
        One per claim, its paired scores of length ``len(seeds)`` at the most.
    """
    by_key = {(s.variant, s.condition, s.init_seed): r for s, r in results.items()}
    out = []
    for claim in claims:
        kept, base, var = [], [], []
        failed = undefined = 0
        for seed in seeds:
            found = [by_key.get((arm, "nominal", seed)) for arm in (claim.baseline, claim.variant)]
            pair = [r for r in found if r is not None]
            if design is not None and len(pair) < 2:
                continue  # an adaptive claim stopped before this seed: not a failure
            if len(pair) < 2 or not all(r.ok for r in pair):
                failed += sum(not r.ok for r in pair) + (2 - len(pair))
                continue
            values = [r.test_metrics.get(claim.metric) for r in pair]
            if values[0] is None or values[1] is None:
                undefined += sum(v is None for v in values)
                continue
            kept.append(seed)
            base.append(float(values[0]))
            var.append(float(values[1]))
        out.append(
            ClaimEvidence(
                claim=claim,
                seeds=tuple(kept),
                baseline=tuple(base),
                variant=tuple(var),
                seeds_planned=len(seeds) if design is None else design.max_seeds,
                failed_runs=failed,
                undefined_runs=undefined,
                resampled=resampled,
            )
        )
    return out


def _evidence(
    spec: ExperimentSpec,
    plan: Plan,
    results: Mapping[Any, RunResult],
    design: SequentialDesign | None = None,
) -> list[ClaimEvidence]:
    """The claims' paired evidence of a model-file audit (``pair_evidence``)."""
    resampled = None if spec.design is None else cv_fold_sizes(spec.data, spec.design)
    return pair_evidence(spec.claims, plan.seeds, results, design=design, resampled=resampled)


def _baseline_size(spec: ExperimentSpec, data: EncodedData) -> int | None:
    """Parameters of the baseline model: small models share a GPU and get one torch thread.

    The builder runs once more, on the CPU; if it raises, the run that builds it will
    record the error, and the GPU gets one run at a time.
    """
    try:
        model = spec.variants[spec.baseline].builder(data.info)
        return int(sum(p.numel() for p in model.parameters()))
    except Exception:  # user code: its own runs report the failure
        return None


def _assess(
    spec: ExperimentSpec,
    plan: Plan,
    pack: RulePack,
    results: Mapping[RunSpec, RunResult],
    *,
    n_seeds: int,
    frameworks: Mapping[str, str | None],
) -> dict[str, Finding | None]:
    """Each rule's finding, by rule id; a check that raises becomes an ``error`` finding."""
    context = AssessContext(
        data=spec.data,
        claims=spec.claims,
        baseline=spec.baseline,
        variants=tuple(spec.variants),
        seeds=plan.seeds,
        metrics=spec.metrics,
        train=spec.train,
        alpha=pack.settings.alpha,
        rope=pack.settings.rope,
        confidence=pack.settings.confidence,
        results={
            (s.variant, s.condition, s.init_seed, s.order_seed): r for s, r in results.items()
        },
        expect_data=spec.expect_data,
        design=spec.design,
        frameworks=frameworks,
        model_file=spec.source,
    )
    return assess_rules(plan, context)


def assess_rules(plan: Plan, context: AssessContext) -> dict[str, Finding | None]:
    """Run each planned rule's check on the finished runs; a check that raises is an error.

    Returns
    -------
    dict
        Rule id -> its finding (None: the outcome follows from the claims' verdicts).
    """
    registry = checks()
    out: dict[str, Finding | None] = {}
    for rule_plan in plan.rules:
        if rule_plan.skipped:
            continue
        rule = rule_plan.rule
        try:
            out[rule.id] = registry[rule.check].impl.assess(context, rule.params)
        except Exception as exc:  # a broken check must not lose the audit's runs
            out[rule.id] = Finding(
                outcome="error",
                reason=f"the check {rule.check!r} failed: {type(exc).__name__}: {exc}",
                evidence={"traceback": traceback.format_exc(limit=5)},
            )
    return out


def with_findings(
    evidence: list[ClaimEvidence], plan: Plan, findings: Mapping[str, Finding | None]
) -> list[ClaimEvidence]:
    """Hand each rule's perturbed conditions and invalidity reasons on to the claims."""
    names = {rp.rule.id: rp.rule.name for rp in plan.rules}
    out = []
    for index, item in enumerate(evidence):
        conditions = list(item.conditions)
        invalid = list(item.invalid)
        for rule_id, finding in findings.items():
            if finding is None:
                continue
            conditions += [
                dataclasses.replace(c, rule_id=c.rule_id or rule_id)
                for c in finding.conditions.get(index, ())
            ]
            invalid += [
                f"{rule_id} {names[rule_id]}: {why}" for why in finding.invalid.get(index, ())
            ]
        out.append(dataclasses.replace(item, conditions=tuple(conditions), invalid=tuple(invalid)))
    return out


def rule_rows(
    plan: Plan, findings: Mapping[str, Finding | None], decisions: Sequence[ClaimDecision]
) -> list[RuleRow]:
    """Each rule's row for the report, with its finding's evidence and exhibits.

    A skipped rule keeps its reason; a rule without a finding of its own (the seed
    sweep) takes its outcome from the claims' verdicts.
    """
    rows = []
    for rule_plan in plan.rules:
        rule = rule_plan.rule
        finding = findings.get(rule.id)
        evidence_strings: dict[str, str] = {}
        exhibits: tuple[Exhibit, ...] = ()
        if rule_plan.skipped:
            outcome, reason = "skipped", rule_plan.skipped
        elif finding is None:
            outcome, reason = seed_rule_outcome(decisions)
        else:
            outcome, reason = finding.outcome, finding.reason
            evidence_strings = dict(finding.evidence)
            exhibits = finding.exhibits
        rows.append(
            RuleRow(
                id=rule.id,
                name=rule.name,
                check=rule.check,
                severity=rule.severity,
                why=rule.why,
                fix=rule.fix,
                references=rule.references,
                outcome=outcome,
                reason=reason,
                evidence=evidence_strings,
                params=rule_params(rule.params),
                exhibits=exhibits,
            )
        )
    return rows


def exit_code_for(decisions: Sequence[ClaimDecision], strict: bool) -> ExitCode:
    """1 when a claim is refuted or fragile (or inconclusive, with ``strict``), else 0."""
    bad = {Verdict.REFUTED, Verdict.FRAGILE} | ({Verdict.INCONCLUSIVE} if strict else set())
    return ExitCode.CLAIMS_FAILED if any(d.verdict in bad for d in decisions) else ExitCode.OK


def failed_arms(results: Iterable[RunResult]) -> list[str]:
    """The variants none of whose nominal runs succeeded, because their code failed.

    Runs that ``--budget`` left undone do not count as failed: the code never ran.
    """
    tried: dict[str, bool] = {}
    for result in results:
        spec = result.spec
        if spec.condition != "nominal" or (result.error or "").startswith("NotRun:"):
            continue
        tried[spec.variant] = tried.get(spec.variant, False) or result.ok
    return [variant for variant, any_ok in tried.items() if not any_ok]


def prepare_out_dir(out: str | None, now: dt.datetime) -> Path:
    """Create the report folder; by default ``.auditkit/runs/<timestamp>/``.

    Raises
    ------
    UsageError
        When the folder cannot be created or written.
    """
    path = Path(out) if out else STATE_DIR / "runs" / now.strftime("%Y%m%d-%H%M%S-%f")
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".auditkit-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UsageError(
            f"--out {str(path)!r} cannot be written: {exc.strerror or exc}; choose a folder "
            "you can write to",
            slug="out-unwritable",
        ) from None
    return path


def point_last(out_dir: Path) -> None:
    """Make ``.auditkit/last`` a symlink to the newest report folder (best effort)."""
    link = STATE_DIR / "last"
    try:
        STATE_DIR.mkdir(exist_ok=True)
        target = os.path.relpath(out_dir.resolve(), STATE_DIR.resolve())
        tmp = STATE_DIR / f".last.tmp-{os.getpid()}"
        if tmp.is_symlink():
            tmp.unlink()
        tmp.symlink_to(target, target_is_directory=True)
        tmp.replace(link)
    except OSError:
        pass  # a filesystem without symlinks still gets its report


def run_audit(
    options: AuditOptions,
    *,
    progress: ProgressFn | None = None,
    on_plan: Callable[[Plan], None] | None = None,
) -> AuditOutcome:
    """Run a whole audit and write ``audit.json`` to the report folder.

    Parameters
    ----------
    options
        The command line's choices.
    progress
        Called after each run as ``progress(finished, done, total)``.
    on_plan
        Called once with the plan before training starts.

    Returns
    -------
    AuditOutcome

    Raises
    ------
    AuditkitError
        Bad model file, rule pack, data or flag (exit code 4); no rules selected is
        reported through the exit code 5 instead.
    """
    started = time.perf_counter()
    now = dt.datetime.now(dt.UTC)
    if options.seeds is not None and options.seeds < 2:
        raise UsageError(
            f"--seeds {options.seeds} is too few: a paired comparison needs at least 2 seeds "
            "per arm, and 5 or more to detect small gains",
            slug="bad-seeds",
        )
    from auditkit.experiment import file_digest, load_experiment
    from auditkit.train.encode import encode
    from auditkit.train.sklearn import framework_of

    device = check_device(options.device)
    pack: RulePack = select_rules(load_rulepack(options.rules), options.only, options.skip)
    spec = load_experiment(options.model_file, name=options.experiment)
    design = _adaptive_design(options, pack, spec)
    out_dir = prepare_out_dir(options.out, now)
    n_seeds = options.seeds if options.seeds is not None else pack.settings.seeds
    if design is not None:
        n_seeds = design.min_seeds
    design_note = ""
    if spec.design is not None and n_seeds % spec.design.folds:
        # a cross-validation tests every fold: round the seeds up to whole repetitions
        folds = spec.design.folds
        rounded = folds * -(-n_seeds // folds)
        design_note = (
            f"{folds}-fold cross-validation: {rounded} seeds, {n_seeds} rounded up to whole "
            "repetitions so that every fold is tested"
        )
        n_seeds = rounded
    elif spec.design is not None:
        design_note = (
            f"{spec.design.folds}-fold cross-validation, {n_seeds // spec.design.folds} "
            f"repetition(s): {n_seeds} seeds"
        )
    seeds = list(range(n_seeds))
    data = encode(spec.data)
    frameworks = {name: framework_of(v.builder, data.info) for name, v in spec.variants.items()}
    plan = build_plan(spec, pack, seeds, frameworks)
    if on_plan is not None:
        on_plan(plan)

    model_sha = file_digest(options.model_file)
    versions = library_versions()
    key_facts: dict[str, object] = {
        "model_sha256": model_sha,
        "experiment": spec.name,
        "data": spec.data.fingerprint(),
        "train": spec.train.as_dict(),
        "metrics": list(spec.metrics),
        "design": spec.design.as_dict() if spec.design is not None else None,
        "device": device.type,
        "versions": {k: versions[k] for k in ("auditkit", "torch", "numpy")},
    }
    source = ContextSource(
        model_file=str(Path(options.model_file).resolve()),
        experiment=options.experiment,
        device=str(device),
        model_sha256=model_sha,
        model_text=Path(options.model_file).read_text(encoding="utf-8"),
        key_facts=key_facts,
    )
    context = RunContext(
        spec=spec,
        data=data,
        device=device,
        key_facts=key_facts,
        source=source,
        frameworks=frameworks,
    )
    store = RunStore(STATE_DIR / "store.sqlite") if options.cache else None
    results: dict[Any, RunResult] = {}
    cached = undone = 0
    batched: dict[str, int] = {}
    execution: dict[str, str] = {}
    try:
        executor = make_executor(
            options.executor,
            store=store,
            device=device,
            jobs=options.jobs,
            address=options.address,
            seed_batch=options.seed_batch,
            run_timeout=options.run_timeout,
            deadline=None if options.budget is None else started + options.budget,
            budget_s=options.budget,
            n_params=_baseline_size(spec, data),
            n_runs=sum(store.get(run_key(r, key_facts)) is None for r in plan.runs)
            if store is not None
            else len(plan.runs),
        )
        total = len(plan.runs)

        def execute(runs: Sequence[RunSpec]) -> None:
            nonlocal cached, undone
            for finished in executor.map(runs, context):
                results[finished.result.spec] = finished.result
                cached += finished.cached
                undone += finished.undone
                if not finished.cached and not finished.undone:
                    how = finished.note or "trained alone"
                    batched[how] = batched.get(how, 0) + 1
                if progress is not None:
                    progress(finished, len(results), total)

        execute(plan.runs)
        while design is not None:
            # The statistics layer decides which claims still need seeds; only their arms
            # and the perturbed runs their rules read are scheduled for the next look.
            stops = sequential_decisions(
                [e.gains for e in _evidence(spec, plan, results, design)], design
            )
            undecided = [i for i, stop in enumerate(stops) if stop.reason is None]
            following = design.next_look(len(plan.seeds))
            if not undecided or following is None or undone:
                break  # every claim decided, the last look taken, or --budget spent
            plan = build_plan(spec, pack, list(range(following)), frameworks)
            wanted = {
                run: None for rp in plan.rules for i in undecided for run in rp.runs.get(i, ())
            }
            # a run's nominal twin carries the evaluations of every rule (see build_plan)
            batch = [r for r in plan.runs if r in wanted or _nominal_of(r, wanted)]
            batch = [r for r in batch if r not in results]
            total = len(results) + len(batch)
            execute(batch)
            if batch and not any(results[r].ok for r in batch if r in results):
                break  # every run of the look failed: more seeds would fail the same way
    finally:
        if store is not None:
            store.close()
    if design is not None:
        seeds = list(plan.seeds)
        execution["design"] = design.describe()
    # Runs finish in any order with several workers; the report lists them in plan order.
    results = {run: results[run] for run in plan.runs if run in results}
    execution = {"executor": executor.describe(), **execution}
    if design_note:
        execution["design"] = design_note
    if batched:
        execution["seed batching"] = "; ".join(f"{n} run(s): {how}" for how, n in batched.items())
    if options.run_timeout is not None:
        execution["run timeout"] = f"{options.run_timeout:g}s"
    if options.budget is not None:
        execution["budget"] = (
            f"{options.budget:g}s; {undone} of {len(plan.runs)} runs left undone"
            if undone
            else f"{options.budget:g}s; every run finished"
        )

    thresholds = Thresholds(
        alpha=pack.settings.alpha, rope=pack.settings.rope, confidence=pack.settings.confidence
    )
    findings = _assess(spec, plan, pack, results, n_seeds=len(seeds), frameworks=frameworks)
    evidence = with_findings(_evidence(spec, plan, results, design), plan, findings)
    decisions = decide_all(evidence, thresholds, design=design) if plan.runs else []
    rows = rule_rows(plan, findings, decisions)
    exit_code = (
        ExitCode.NO_RULES_SELECTED
        if not pack.rules
        else ExitCode.RUNS_FAILED
        if failed_arms(results.values())
        else exit_code_for(decisions, options.strict)
    )
    runs = []
    for result in results.values():
        raw = result_to_dict(result)
        del raw["test_predictions"]
        del raw["dev_predictions"]
        runs.append(raw)
    model_path = Path(options.model_file)
    n_classes = max(spec.data.n_classes, 2)
    confusion: dict[str, dict[str, Any]] = {}
    for variant in spec.variants:
        nominal = [
            r
            for s, r in results.items()
            if s.variant == variant and s.condition == "nominal" and r.ok
        ]
        if nominal:
            matrix = sum(
                (
                    confusion_matrix(
                        scored_labels(spec.data, spec.design, r.spec.order_seed),
                        r.test_predictions,
                        n_classes,
                    )
                    for r in nominal
                ),
                start=np.zeros((n_classes, n_classes), dtype=np.int64),
            )
            confusion[variant] = {
                "labels": list(range(n_classes)),
                "matrix": matrix.tolist(),
                "runs": len(nominal),
            }
    document = build_document(
        auditkit_version=versions["auditkit"],
        created_at=now.isoformat(timespec="seconds"),
        experiment={
            "name": spec.name,
            "model_file": str(model_path),
            "model_sha256": model_sha,
            "data": {
                "name": spec.data.name,
                "kind": spec.data.kind,
                "fingerprint": spec.data.fingerprint(),
                # per-row ground truth (an image's shape and colour ids) stays out: the
                # report shows facts about the data, not the data
                "metadata": {k: v for k, v in spec.data.metadata.items() if k != "factors"},
            },
            "design": spec.design.as_dict() if spec.design is not None else None,
            "frameworks": {k: v or "unknown" for k, v in frameworks.items()},
            "metrics": list(spec.metrics),
            "train": spec.train.as_dict(),
            "variants": [
                {"name": v.name, "baseline": v.baseline, "origin": v.origin}
                for v in spec.variants.values()
            ],
            "baseline": spec.baseline,
        },
        rule_pack={
            "name": pack.name,
            "path": pack.path,
            "sha256": pack.sha256,
            "settings": {
                "seeds": len(seeds),
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
            "cached": cached,
        },
        wall_time_s=time.perf_counter() - started,
        provenance={
            **{f"{k} version": v for k, v in versions.items()},
            "platform": platform.platform(),
            "device": str(device),
            "git commit": _git_commit(model_path.resolve()) or "none (not a git repository)",
            "command": options.command or " ".join(sys.argv),
            **execution,
        },
        exit_code=int(exit_code),
        confusion=confusion,
        adaptive=design_to_dict(design),
    )
    write_atomic(out_dir / "audit.json", json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    point_last(out_dir)
    return AuditOutcome(document=document, out_dir=out_dir, exit_code=exit_code)
