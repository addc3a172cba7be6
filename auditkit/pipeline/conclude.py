"""The tail every ``check`` audit shares: decide the claims from the assessed runs, and write.

A model-file audit and a script audit plan, execute and assess in their own ways; from
the findings on they are the same audit. ``conclude`` runs their decide and write stages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.pipeline.decide import DecideInput, decide, thresholds_of
from auditkit.pipeline.execute import Executed
from auditkit.pipeline.write import (
    AuditOutcome,
    AuditRecord,
    Started,
    design_to_dict,
    pack_record,
    run_counts,
    run_records,
    write_audit,
)
from auditkit.plan import Plan
from auditkit.rulepack import RulePack
from auditkit.stats.sequential import SequentialDesign
from auditkit.types import Finding
from auditkit.verdict import ClaimEvidence


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckOptions:
    """The command-line choices every ``check`` audit shares, model file or script."""

    #: ``--rules``: a shipped pack's name or a pack file
    rules: str = "default"
    #: ``--seeds``: seeds per arm; None for the pack's
    seeds: int | None = None
    #: ``--seeds auto`` or ``--seeds MIN..MAX``: (MIN, MAX) seeds per arm of the adaptive
    #: design; None for a fixed number of seeds
    adaptive: tuple[int, int] | None = None
    #: ``--out``: the report folder; None for ``.auditkit/runs/<timestamp>/``
    out: str | None = None
    #: ``--only`` and ``--skip``: rule ids or names
    only: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()
    #: False for ``--no-cache``
    cache: bool = True
    #: ``--strict``: an inconclusive claim fails the audit too
    strict: bool = False
    #: ``--executor``: ``local`` or ``ray``
    executor: str = "local"
    #: ``--jobs``: worker processes; 0 runs in this process; None: the audit's default
    #: (one per core for a model file, one run after another for a script)
    jobs: int | None = None
    #: ``--address`` of a Ray cluster
    address: str | None = None
    #: ``--run-timeout``: seconds one run may take
    run_timeout: float | None = None
    #: ``--budget`` in seconds of wall time for the whole audit
    budget: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Planned:
    """What the plan stage of every ``check`` audit gives, whatever it audits."""

    started: Started
    pack: RulePack
    #: the first plan (a later look or round may plan more runs)
    plan: Plan
    #: the report folder
    out_dir: Path
    #: library versions, for provenance (``library_versions``)
    versions: Mapping[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessed:
    """A ``check`` audit after its assess stage: what ``conclude`` decides on."""

    planned: Planned
    #: the last plan executed
    plan: Plan
    executed: Executed
    #: rule id -> its finding (``assess_rules``)
    findings: Mapping[str, Finding | None]
    #: the claims' paired evidence (``pair_evidence``); empty when nothing ran
    evidence: Sequence[ClaimEvidence]
    #: ``--strict``: an inconclusive claim fails the audit too
    strict: bool
    design: SequentialDesign | None = None
    #: False when an empty rule selection should end in exit code 5
    rules_selected: bool = True
    #: variants none of whose nominal runs succeeded (exit code 3)
    failed_arms: Sequence[str] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Described:
    """How audit.json describes what was audited and how it ran (JSON-ready)."""

    experiment: Mapping[str, Any]
    #: provenance after the library versions
    provenance: Mapping[str, Any]
    confusion: Mapping[str, Mapping[str, Any]]
    #: run fields audit.json leaves out (``run_records``)
    drop: Sequence[str] = ("test_predictions", "dev_predictions")


def conclude(assessed: Assessed, described: Described) -> AuditOutcome:
    """Decide every claim, then write ``audit.json``: the decide and write stages of ``check``.

    Parameters
    ----------
    assessed
        The runs, findings and evidence.
    described
        The experiment's description and provenance.

    Returns
    -------
    AuditOutcome
    """
    planned, plan, results = assessed.planned, assessed.plan, assessed.executed.results
    decided = decide(
        DecideInput(
            evidence=assessed.evidence,
            thresholds=thresholds_of(planned.pack.settings),
            strict=assessed.strict,
            design=assessed.design,
            plan=plan,
            findings=assessed.findings,
            rules_selected=assessed.rules_selected,
            failed_arms=assessed.failed_arms,
        )
    )
    return write_audit(
        AuditRecord(
            started=planned.started,
            out_dir=planned.out_dir,
            versions=planned.versions,
            experiment=described.experiment,
            rule_pack=pack_record(planned.pack, len(plan.seeds)),
            rules=decided.rules,
            seeds=list(plan.seeds),
            decisions=decided.decisions,
            runs=run_records(results.values(), drop=described.drop),
            run_counts=run_counts(results, assessed.executed.cached),
            provenance=described.provenance,
            exit_code=decided.exit_code,
            confusion=described.confusion,
            adaptive=design_to_dict(assessed.design),
        )
    )
