"""The run store: finished runs in an SQLite file, committed one by one.

Each run is committed in its own transaction as soon as it finishes, in WAL mode, so a
crash or ``kill -9`` at any moment loses at most the run in flight, and a second
``auditkit check`` picks up every finished run by its key.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.conditions import Condition, Evaluation, Transform
from auditkit.types import (
    EpochRecord,
    FileAccess,
    RunResult,
    RunSpec,
    ScriptTrace,
    SeedCall,
)

#: bump when the stored JSON of a run changes shape; old rows are then ignored
STORE_FORMAT = 1


def run_key(spec: RunSpec, context: Mapping[str, Any]) -> str:
    """Content hash of everything that determines a run's result.

    Parameters
    ----------
    spec
        The run.
    context
        JSON-ready facts shared by the runs of one audit: model file digest, data
        fingerprint, training config, metrics, device, library versions.

    Returns
    -------
    str
        SHA-256 hex digest of the canonical JSON of ``spec`` and ``context``.
    """
    payload = {
        "format": STORE_FORMAT,
        "spec": spec_to_dict(spec),
        "context": dict(context),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def spec_to_dict(spec: RunSpec) -> dict[str, Any]:
    """A run spec as a JSON-ready dict."""
    return {
        "variant": spec.variant,
        "init_seed": spec.init_seed,
        "order_seed": spec.order_seed,
        "condition": str(spec.condition),
        "overrides": [list(pair) for pair in spec.overrides],
        "transform": str(spec.transform) if spec.transform is not None else "",
        "evaluations": [str(e) for e in spec.evaluations],
    }


def spec_from_dict(raw: Mapping[str, Any]) -> RunSpec:
    """Inverse of ``spec_to_dict``."""
    return RunSpec(
        variant=raw["variant"],
        init_seed=int(raw["init_seed"]),
        order_seed=int(raw["order_seed"]),
        condition=Condition.parse(raw["condition"]),
        overrides=tuple((str(k), v) for k, v in raw["overrides"]),
        transform=Transform.parse(str(raw["transform"])) if raw.get("transform") else None,
        evaluations=tuple(Evaluation.parse(e) for e in raw.get("evaluations", ())),
    )


def result_to_dict(result: RunResult) -> dict[str, Any]:
    """A run result as a JSON-ready dict (the store's and audit.json's form).

    A script run's ``trace`` is included; a model-file run has none and no ``trace`` key.
    """
    out = {
        "spec": spec_to_dict(result.spec),
        "run_id": result.spec.run_id,
        "test_metrics": dict(result.test_metrics),
        "dev_metrics": dict(result.dev_metrics),
        "curves": [
            {
                "epoch": c.epoch,
                "train_loss": c.train_loss,
                "dev_loss": c.dev_loss,
                "dev_metric": c.dev_metric,
            }
            for c in result.curves
        ],
        "best_epoch": result.best_epoch,
        "test_predictions": list(result.test_predictions),
        "duration_s": result.duration_s,
        "device": result.device,
        "error": result.error,
        "perturbed_metrics": {k: dict(v) for k, v in result.perturbed_metrics.items()},
        "perturbed_predictions": {k: list(v) for k, v in result.perturbed_predictions.items()},
        "dev_predictions": list(result.dev_predictions),
    }
    if result.trace is not None:
        out["trace"] = trace_to_dict(result.trace)
    return out


def trace_to_dict(trace: ScriptTrace) -> dict[str, Any]:
    """A script run's trace as a JSON-ready dict."""
    return {
        "argv": list(trace.argv),
        "env": dict(trace.env),
        "run_dir": trace.run_dir,
        "exit_code": trace.exit_code,
        "timed_out": trace.timed_out,
        "wall_s": trace.wall_s,
        "tail": trace.tail,
        "metric_source": trace.metric_source,
        "metric_notes": dict(trace.metric_notes),
        "seed_calls": [
            {"function": c.function, "value": c.value, "where": c.where, "applied": c.applied}
            for c in trace.seed_calls
        ],
        "files": [
            {
                "path": f.path,
                "mode": f.mode,
                "exists": f.exists,
                "size": f.size,
                "sha256": f.sha256,
                "count": f.count,
            }
            for f in trace.files
        ],
        "missing_probes": list(trace.missing_probes),
        "git_commit": trace.git_commit,
        "predictions": trace.predictions,
    }


def trace_from_dict(raw: Mapping[str, Any]) -> ScriptTrace:
    """Inverse of ``trace_to_dict``."""
    return ScriptTrace(
        argv=tuple(raw["argv"]),
        env=dict(raw["env"]),
        run_dir=str(raw["run_dir"]),
        exit_code=raw["exit_code"],
        timed_out=bool(raw["timed_out"]),
        wall_s=float(raw["wall_s"]),
        tail=str(raw["tail"]),
        metric_source=str(raw.get("metric_source", "")),
        metric_notes=dict(raw.get("metric_notes", {})),
        seed_calls=tuple(SeedCall(**c) for c in raw.get("seed_calls", ())),
        files=tuple(FileAccess(**f) for f in raw.get("files", ())),
        missing_probes=tuple(raw.get("missing_probes", ())),
        git_commit=str(raw.get("git_commit", "")),
        predictions=raw.get("predictions"),
    )


def result_from_dict(raw: Mapping[str, Any]) -> RunResult:
    """Inverse of ``result_to_dict``."""
    return RunResult(
        spec=spec_from_dict(raw["spec"]),
        test_metrics=dict(raw["test_metrics"]),
        dev_metrics=dict(raw["dev_metrics"]),
        curves=tuple(EpochRecord(**c) for c in raw["curves"]),
        best_epoch=raw["best_epoch"],
        test_predictions=tuple(raw["test_predictions"]),
        duration_s=float(raw["duration_s"]),
        device=raw["device"],
        error=raw["error"],
        perturbed_metrics={k: dict(v) for k, v in raw.get("perturbed_metrics", {}).items()},
        perturbed_predictions={
            k: tuple(v) for k, v in raw.get("perturbed_predictions", {}).items()
        },
        trace=None if raw.get("trace") is None else trace_from_dict(raw["trace"]),
        # runs stored before dev probes existed have none: no dev reliance is read from them
        dev_predictions=tuple(raw.get("dev_predictions", ())),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreInfo:
    """A summary of a run store's contents."""

    path: str
    #: bytes on disk, write-ahead log included
    size_bytes: int
    #: successful runs, reused by later audits
    ok: int
    #: failed runs, kept for the record and retried by later audits
    failed: int
    #: rows written by another store format, never read
    stale: int
    #: successful runs per experiment name
    per_experiment: Mapping[str, int]


class RunStore:
    """Finished runs keyed by ``run_key``, in an SQLite database file.

    Only successful runs are reused; a failed run is recorded for the report but is
    retried on the next audit, since the failure may have been transient.

    Parameters
    ----------
    path
        The database file, e.g. ``.auditkit/runs.sqlite``; its folder is created.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # autocommit mode: every statement is its own transaction unless we open one.
        self._db = sqlite3.connect(self.path, isolation_level=None)
        # Two audits in one folder may share the store; wait for the other's commit
        # instead of failing with "database is locked".
        self._db.execute("PRAGMA busy_timeout=30000")
        # WAL keeps readers and a writer apart, and with synchronous=FULL a committed run
        # survives a power cut as well as a kill; a crash mid-write leaves the database
        # at the last commit.
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS runs ("
            " key TEXT PRIMARY KEY, format INTEGER NOT NULL, ok INTEGER NOT NULL,"
            " result TEXT NOT NULL, created REAL NOT NULL DEFAULT (julianday('now')))"
        )
        # Columns added after the first release; a store written by it gains them here.
        have = {row[1] for row in self._db.execute("PRAGMA table_info(runs)")}
        for column in ("run_id", "experiment", "info"):
            if column not in have:
                self._db.execute(f"ALTER TABLE runs ADD COLUMN {column} TEXT")

    def get(self, key: str) -> RunResult | None:
        """The stored successful run under ``key``, or None."""
        row = self._db.execute(
            "SELECT result FROM runs WHERE key = ? AND format = ? AND ok = 1",
            (key, STORE_FORMAT),
        ).fetchone()
        return None if row is None else result_from_dict(json.loads(row[0]))

    def put(
        self,
        key: str,
        result: RunResult,
        *,
        experiment: str | None = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        """Commit ``result`` under ``key`` (replacing an earlier failure).

        Parameters
        ----------
        key
            The run's ``run_key``.
        result
            What the run produced.
        experiment
            The experiment's name, for ``auditkit cache info``.
        info
            JSON-ready facts of how the run was executed (executor, worker, seed batch),
            kept beside the result for provenance; they never change the key.
        """
        blob = json.dumps(result_to_dict(result), allow_nan=True)
        self._db.execute(
            "INSERT OR REPLACE INTO runs (key, format, ok, result, run_id, experiment, info)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                key,
                STORE_FORMAT,
                int(result.ok),
                blob,
                result.spec.run_id,
                experiment,
                json.dumps(dict(info or {}), default=str),
            ),
        )

    def keys(self) -> dict[str, float]:
        """Every stored successful run's key, with the time it was committed (julian day)."""
        rows = self._db.execute(
            "SELECT key, created FROM runs WHERE format = ? AND ok = 1", (STORE_FORMAT,)
        )
        return {str(k): float(c) for k, c in rows}

    def info(self) -> StoreInfo:
        """What the store holds, for ``auditkit cache info``."""
        ok, failed = (
            int(v or 0)
            for v in self._db.execute(
                "SELECT SUM(ok = 1), SUM(ok = 0) FROM runs WHERE format = ?", (STORE_FORMAT,)
            ).fetchone()
        )
        stale = int(
            self._db.execute(
                "SELECT COUNT(*) FROM runs WHERE format != ?", (STORE_FORMAT,)
            ).fetchone()[0]
        )
        per_experiment = {
            str(name or "(unknown)"): int(n)
            for name, n in self._db.execute(
                "SELECT experiment, COUNT(*) FROM runs WHERE ok = 1 AND format = ?"
                " GROUP BY experiment ORDER BY experiment",
                (STORE_FORMAT,),
            )
        }
        size = sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            if p.exists()
        )
        return StoreInfo(
            path=str(self.path),
            size_bytes=size,
            ok=ok,
            failed=failed,
            stale=stale,
            per_experiment=per_experiment,
        )

    def clear(self, *, failed_only: bool = False) -> int:
        """Delete stored runs (only the failed ones with ``failed_only``); return how many."""
        where = " WHERE ok = 0" if failed_only else ""
        deleted = self._db.execute(f"DELETE FROM runs{where}").rowcount
        self._db.execute("VACUUM")
        return int(deleted)

    def count(self) -> int:
        """Number of stored runs, failed ones included."""
        return int(self._db.execute("SELECT COUNT(*) FROM runs").fetchone()[0])

    def close(self) -> None:
        """Close the database."""
        self._db.close()
