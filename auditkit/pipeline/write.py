"""The last stage, write: ``audit.json`` in the report folder, and the folder's bookkeeping.

Every kind of audit (``check`` of a model file or a script, ``compare``) ends here: the
stages before it gather the experiment's description, the rules' rows and the decisions;
``write_audit`` adds what every audit.json shares (versions, timestamps, wall time) and
writes the file atomically.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from auditkit.errors import ExitCode, UsageError
from auditkit.execute.store import result_to_dict
from auditkit.report.document import RuleRow, build_document
from auditkit.report.outputs import write_atomic
from auditkit.rulepack import RulePack
from auditkit.stats.sequential import SequentialDesign
from auditkit.types import RunResult
from auditkit.verdict import ClaimDecision

#: folder, under the working directory, for the run store and the report folders
STATE_DIR = Path(".auditkit")


@dataclass(frozen=True, slots=True)
class AuditOutcome:
    """The finished audit: its document, where it was written, and the exit code."""

    document: dict[str, Any]
    out_dir: Path
    exit_code: ExitCode


@dataclass(frozen=True, slots=True, kw_only=True)
class Started:
    """When an audit began (the times ``write_audit`` stamps and the budget counts from)."""

    #: ``time.perf_counter()`` at the start, for the wall time and ``--budget``
    clock: float
    #: the start in UTC, for ``created_at`` and the default folder name
    now: dt.datetime

    @classmethod
    def clock_in(cls) -> Started:
        """Start the clock."""
        return cls(clock=time.perf_counter(), now=dt.datetime.now(dt.UTC))


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRecord:
    """What the earlier stages hand to ``write_audit``: audit.json's parts (JSON-ready)."""

    started: Started
    #: the report folder (``prepare_out_dir``)
    out_dir: Path
    versions: Mapping[str, str]
    experiment: Mapping[str, Any]
    rule_pack: Mapping[str, Any]
    rules: Sequence[RuleRow]
    seeds: Sequence[int]
    decisions: Sequence[ClaimDecision]
    runs: Sequence[Mapping[str, Any]]
    run_counts: Mapping[str, int]
    #: provenance after the library versions (which ``write_audit`` puts first)
    provenance: Mapping[str, Any]
    exit_code: ExitCode
    confusion: Mapping[str, Mapping[str, Any]] | None = None
    adaptive: Mapping[str, Any] | None = None


def write_audit(record: AuditRecord) -> AuditOutcome:
    """Build ``audit.json`` from ``record``, write it atomically and point ``.auditkit/last``.

    Parameters
    ----------
    record
        The audit's parts.

    Returns
    -------
    AuditOutcome
        The document as written, its folder and the exit code.
    """
    document = build_document(
        auditkit_version=record.versions["auditkit"],
        created_at=record.started.now.isoformat(timespec="seconds"),
        experiment=record.experiment,
        rule_pack=record.rule_pack,
        rules=record.rules,
        seeds=record.seeds,
        decisions=record.decisions,
        runs=record.runs,
        run_counts=record.run_counts,
        wall_time_s=time.perf_counter() - record.started.clock,
        provenance={
            **{f"{k} version": v for k, v in record.versions.items()},
            **record.provenance,
        },
        exit_code=int(record.exit_code),
        confusion=record.confusion,
        adaptive=record.adaptive,
    )
    out_dir = record.out_dir
    write_atomic(out_dir / "audit.json", json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    point_last(out_dir)
    return AuditOutcome(document=document, out_dir=out_dir, exit_code=record.exit_code)


def pack_record(pack: RulePack, n_seeds: int) -> dict[str, Any]:
    """A rule pack as audit.json records it, with the seeds per arm the audit used."""
    return {
        "name": pack.name,
        "path": pack.path,
        "sha256": pack.sha256,
        "settings": {
            "seeds": n_seeds,
            "alpha": pack.settings.alpha,
            "rope": pack.settings.rope,
            "confidence": pack.settings.confidence,
        },
    }


def run_records(
    results: Iterable[RunResult], drop: Sequence[str] = ("test_predictions", "dev_predictions")
) -> list[dict[str, Any]]:
    """Each run as audit.json lists it: the store's form (``result_to_dict``) less ``drop``."""
    runs = []
    for result in results:
        raw = result_to_dict(result)
        for key in drop:
            del raw[key]
        runs.append(raw)
    return runs


def run_counts(results: Mapping[Any, RunResult], cached: int) -> dict[str, int]:
    """``{"total", "failed", "cached"}`` of audit.json."""
    return {
        "total": len(results),
        "failed": sum(not r.ok for r in results.values()),
        "cached": cached,
    }


def library_versions() -> dict[str, str]:
    """Versions of auditkit, Python and the libraries that shape results (provenance)."""
    out = {"auditkit": version("auditkit"), "python": platform.python_version()}
    for lib in ("torch", "numpy", "scipy", "statsmodels", "scikit-learn", "jinja2", "rich"):
        try:
            out[lib] = version(lib)
        except Exception:  # a missing optional library is not an error for provenance
            out[lib] = "not installed"
    return out


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


def is_report_dir(path: Path) -> bool:
    """Whether ``path`` is an auditkit report folder: it holds an audit.json auditkit wrote.

    Parameters
    ----------
    path
        A folder.

    Returns
    -------
    bool
        True when ``path/audit.json`` starts with the ``format`` and ``auditkit_version``
        that ``write_audit`` puts first.
    """
    try:
        with (path / "audit.json").open(encoding="utf-8") as handle:
            head = handle.read(200)
    except (OSError, UnicodeDecodeError):
        return False
    return '"format"' in head and '"auditkit_version"' in head


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
