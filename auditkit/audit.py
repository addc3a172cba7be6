"""Orchestration of one audit of a model file, in stages: plan, execute, assess, decide, write.

``run_audit`` chains the stages; the execute, assess, decide and write stages live in
``auditkit.pipeline`` and are shared with script audits and ``compare`` (see
docs/architecture.md). The plan stage (``plan_audit``) and the adaptive looks of
``--seeds auto`` (``execute_audit``) are a model file's own.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from auditkit.checks import AssessContext
from auditkit.errors import UsageError
from auditkit.execute.local import ContextSource, RunContext
from auditkit.metrics import confusion_matrix
from auditkit.perturb import cv_fold_sizes, scored_labels
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
    design_to_dict,
    execution_notes,
    exit_code_for,
    failed_arms,
    library_versions,
    open_runs,
    pair_evidence,
    point_last,
    prepare_out_dir,
    rule_rows,
    take_looks,
    with_findings,
)
from auditkit.plan import Plan, build_plan
from auditkit.rulepack import RulePack, load_rulepack, select_rules
from auditkit.stats.sequential import SequentialDesign, parse_seed_range
from auditkit.types import Finding, RunResult, RunSpec
from auditkit.verdict import ClaimEvidence

# torch, scikit-learn and the model-file machinery load in the functions that train: an
# audit of a script (which shares this module's options, outcome and document) never
# needs them, and importing them costs seconds.
if TYPE_CHECKING:
    import torch

    from auditkit.experiment import ExperimentSpec
    from auditkit.train.encode import EncodedData

# names of the shared stages that callers import from here, as before the pipeline
__all__ = [
    "STATE_DIR",
    "AuditOptions",
    "AuditOutcome",
    "PlannedAudit",
    "ProgressFn",
    "assess_rules",
    "check_device",
    "design_to_dict",
    "execute_audit",
    "exit_code_for",
    "failed_arms",
    "library_versions",
    "pair_evidence",
    "parse_seeds",
    "plan_audit",
    "point_last",
    "prepare_out_dir",
    "rule_rows",
    "run_audit",
    "with_findings",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditOptions(CheckOptions):
    """What the user asked for on the command line, for a model file."""

    model_file: str
    #: ``--device``: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``
    device: str = "auto"
    #: ``--experiment``: which experiment of a model file that declares several
    experiment: str | None = None
    #: ``--seed-batch``: ``auto``, ``off`` or seeds per stacked group
    seed_batch: str = "auto"
    #: the command line, for provenance
    command: str = ""


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
    return adaptive_design(options.adaptive, pack.settings)


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


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedAudit(Planned):
    """The plan stage's output for a model file: what to run, and how to key and run it."""

    spec: ExperimentSpec
    #: the adaptive design of ``--seeds auto``, or None for a fixed number of seeds
    design: SequentialDesign | None
    #: how cross-validation shaped the seeds, for provenance ("" without it)
    design_note: str
    #: the framework of each variant (``torch``, ``sklearn``; None when unknown)
    frameworks: Mapping[str, str | None]
    #: what every run needs (experiment, encoded data, device) and the facts that key it
    context: RunContext
    model_sha: str
    device: torch.device
    #: parameters of the baseline model, or None when its builder fails
    n_params: int | None


def _seed_count(
    options: AuditOptions, pack: RulePack, spec: ExperimentSpec, design: SequentialDesign | None
) -> tuple[int, str]:
    """Seeds per arm of the first look, and how cross-validation shaped them ("" if not)."""
    n_seeds = options.seeds if options.seeds is not None else pack.settings.seeds
    if design is not None:
        n_seeds = design.min_seeds
    if spec.design is None:
        return n_seeds, ""
    folds = spec.design.folds
    if n_seeds % folds:
        # a cross-validation tests every fold: round the seeds up to whole repetitions
        rounded = folds * -(-n_seeds // folds)
        return rounded, (
            f"{folds}-fold cross-validation: {rounded} seeds, {n_seeds} rounded up to whole "
            "repetitions so that every fold is tested"
        )
    return n_seeds, (
        f"{folds}-fold cross-validation, {n_seeds // folds} repetition(s): {n_seeds} seeds"
    )


def _run_context(
    options: AuditOptions,
    spec: ExperimentSpec,
    data: EncodedData,
    device: torch.device,
    frameworks: Mapping[str, str | None],
    versions: Mapping[str, str],
) -> tuple[RunContext, str]:
    """What every run of the audit needs, with the facts that key it in the run store.

    Returns
    -------
    tuple of (RunContext, SHA-256 of the model file)
    """
    from auditkit.experiment import file_digest

    model_sha = file_digest(options.model_file)
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
    return context, model_sha


def plan_audit(options: AuditOptions, started: Started) -> PlannedAudit:
    """The plan stage: validate the options, load the experiment and plan its runs.

    Parameters
    ----------
    options
        The command line's choices.
    started
        When the audit began (names the default report folder).

    Returns
    -------
    PlannedAudit

    Raises
    ------
    AuditkitError
        Bad model file, rule pack, data or flag (exit code 4).
    """
    if options.seeds is not None and options.seeds < 2:
        raise UsageError(
            f"--seeds {options.seeds} is too few: a paired comparison needs at least 2 seeds "
            "per arm, and 5 or more to detect small gains",
            slug="bad-seeds",
        )
    from auditkit.experiment import load_experiment
    from auditkit.train.encode import encode
    from auditkit.train.sklearn import framework_of

    device = check_device(options.device)
    pack: RulePack = select_rules(load_rulepack(options.rules), options.only, options.skip)
    spec = load_experiment(options.model_file, name=options.experiment)
    design = _adaptive_design(options, pack, spec)
    out_dir = prepare_out_dir(options.out, started.now)
    n_seeds, design_note = _seed_count(options, pack, spec, design)
    data = encode(spec.data)
    frameworks = {name: framework_of(v.builder, data.info) for name, v in spec.variants.items()}
    plan = build_plan(spec, pack, list(range(n_seeds)), frameworks)
    versions = library_versions()
    context, model_sha = _run_context(options, spec, data, device, frameworks, versions)
    return PlannedAudit(
        started=started,
        spec=spec,
        pack=pack,
        plan=plan,
        design=design,
        design_note=design_note,
        frameworks=frameworks,
        context=context,
        model_sha=model_sha,
        versions=versions,
        device=device,
        out_dir=out_dir,
        n_params=_baseline_size(spec, data),
    )


def execute_audit(
    planned: PlannedAudit, options: AuditOptions, progress: ProgressFn | None = None
) -> tuple[Plan, Executed]:
    """The execute stage of a model file: the planned runs, then the adaptive looks.

    Returns
    -------
    tuple of (Plan, Executed)
        The last look's plan (the first plan without ``--seeds auto``) and its runs'
        results, in plan order.
    """
    settings = ExecuteSettings(
        executor=options.executor,
        cache=options.cache,
        device=planned.device,
        jobs=options.jobs,
        address=options.address,
        seed_batch=options.seed_batch,
        run_timeout=options.run_timeout,
        budget=options.budget,
        started=planned.started.clock,
        n_params=planned.n_params,
    )
    plan = planned.plan
    with open_runs(
        settings, planned=plan.runs, key_facts=planned.context.key_facts, progress=progress
    ) as session:
        session.run(plan.runs, planned.context, total=len(plan.runs))
        if planned.design is not None:
            plan = take_looks(
                plan,
                session,
                planned.design,
                replan=lambda n: build_plan(
                    planned.spec, planned.pack, list(range(n)), planned.frameworks
                ),
                context=planned.context,
            )
        return plan, session.executed(plan.runs)


def _assess(
    planned: PlannedAudit, plan: Plan, results: Mapping[RunSpec, RunResult]
) -> dict[str, Finding | None]:
    """The assess stage of a model file: each rule's finding, by rule id."""
    spec, pack = planned.spec, planned.pack
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
        # the checks look runs up by the condition's text form
        results={
            (s.variant, str(s.condition), s.init_seed, s.order_seed): r for s, r in results.items()
        },
        expect_data=spec.expect_data,
        design=spec.design,
        frameworks=planned.frameworks,
        model_file=spec.source,
    )
    return assess_rules(plan, context)


def _confusion(
    spec: ExperimentSpec, results: Mapping[RunSpec, RunResult]
) -> dict[str, dict[str, Any]]:
    """Per variant, the test confusion matrix summed over its successful nominal runs."""
    n_classes = max(spec.data.n_classes, 2)
    confusion: dict[str, dict[str, Any]] = {}
    for variant in spec.variants:
        nominal = [
            r
            for s, r in results.items()
            if s.variant == variant and s.condition.is_nominal and r.ok
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
    return confusion


def _experiment_record(planned: PlannedAudit, options: AuditOptions) -> dict[str, Any]:
    """The experiment as audit.json describes it."""
    spec = planned.spec
    return {
        "name": spec.name,
        "model_file": str(Path(options.model_file)),
        "model_sha256": planned.model_sha,
        "data": {
            "name": spec.data.name,
            "kind": spec.data.kind,
            "fingerprint": spec.data.fingerprint(),
            # per-row ground truth (an image's shape and colour ids) stays out: the
            # report shows facts about the data, not the data
            "metadata": {k: v for k, v in spec.data.metadata.items() if k != "factors"},
        },
        "design": spec.design.as_dict() if spec.design is not None else None,
        "frameworks": {k: v or "unknown" for k, v in planned.frameworks.items()},
        "metrics": list(spec.metrics),
        "train": spec.train.as_dict(),
        "variants": [
            {"name": v.name, "baseline": v.baseline, "origin": v.origin}
            for v in spec.variants.values()
        ],
        "baseline": spec.baseline,
    }


def _provenance(
    planned: PlannedAudit, options: AuditOptions, plan: Plan, executed: Executed
) -> dict[str, str]:
    """How the audit ran (after the library versions): platform, device, git, execution."""
    execution = {"executor": executed.executor}
    if planned.design is not None:
        execution["design"] = planned.design.describe()
    if planned.design_note:
        execution["design"] = planned.design_note
    if executed.trained:
        execution["seed batching"] = "; ".join(
            f"{n} run(s): {how}" for how, n in executed.trained.items()
        )
    execution |= execution_notes(
        executed, n_planned=len(plan.runs), run_timeout=options.run_timeout, budget=options.budget
    )
    model_path = Path(options.model_file).resolve()
    return {
        "platform": platform.platform(),
        "device": str(planned.device),
        "git commit": _git_commit(model_path) or "none (not a git repository)",
        "command": options.command or " ".join(sys.argv),
        **execution,
    }


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
    started = Started.clock_in()
    planned = plan_audit(options, started)
    if on_plan is not None:
        on_plan(planned.plan)
    plan, executed = execute_audit(planned, options, progress)
    results = executed.results
    assessed = Assessed(
        planned=planned,
        plan=plan,
        executed=executed,
        findings=_assess(planned, plan, results),
        evidence=_evidence(planned.spec, plan, results, planned.design) if plan.runs else (),
        strict=options.strict,
        design=planned.design,
        rules_selected=bool(planned.pack.rules),
        failed_arms=failed_arms(results.values()),
    )
    described = Described(
        experiment=_experiment_record(planned, options),
        provenance=_provenance(planned, options, plan, executed),
        confusion=_confusion(planned.spec, results),
    )
    return conclude(assessed, described)
