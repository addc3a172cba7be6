"""What every source shares: the column mapping, a run as a source holds it, the runs table."""

from __future__ import annotations

import difflib
import hashlib
import importlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import ModuleType
from typing import TYPE_CHECKING

from auditkit.errors import DataError, UsageError, did_you_mean
from auditkit.runfiles import At

# compare loads the statistics (SciPy, seconds): only a command that reads runs needs it,
# not ``auditkit --help``, whose options these sources define
if TYPE_CHECKING:
    from auditkit.compare import LoggedRuns

#: how many run names a message lists before it says "and N more"
SHOWN = 8


class RunStatus(StrEnum):
    """Whether a run ran to its end, as its source records it."""

    FINISHED = "finished"  #: ran to its end; its metrics are final
    FAILED = "failed"  #: crashed, killed or wrote no metric
    UNFINISHED = "unfinished"  #: still running or scheduled: its metrics may still change


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceOptions:
    """How a source's runs map onto the runs table, from ``compare``'s options."""

    #: the parameter (MLflow param, Hydra override, hparam, column) naming the variant
    variant_key: str = "variant"
    #: the parameter holding the integer seed
    seed_key: str = "seed"
    #: the parameter naming a perturbed condition; runs without it are nominal
    condition_key: str = "condition"
    #: metrics to read; empty: the only one logged (several logged metrics must be chosen)
    metrics: tuple[str, ...] = ()
    #: the last or the best value of a metric logged over steps
    at: At = At.LAST
    #: count failed runs as failed seeds of their variant instead of stopping
    allow_failed: bool = False
    #: MLflow tracking URI; MLflow's own default (``MLFLOW_TRACKING_URI``) when None
    tracking_uri: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceRun:
    """One run as its source holds it, before it joins the runs table."""

    #: how messages name the run: an MLflow run id and name, a folder, a file:line
    name: str
    #: parameters as text: MLflow params, Hydra overrides, hparams, table cells
    params: Mapping[str, str]
    #: metric name -> value (already the last or best one)
    metrics: Mapping[str, float]
    status: RunStatus = RunStatus.FINISHED
    #: why the run counts as failed or unfinished, e.g. ``"status KILLED"``
    status_detail: str = ""
    #: the source's id of the run (MLflow run id), empty when it has none
    run_id: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadedSource:
    """The runs table read from one source, and what identifies the source."""

    runs: LoggedRuns
    #: ``csv``, ``table``, ``mlflow``, ``tensorboard`` or ``hydra``
    kind: str
    #: the runs that entered the table, in the order read (MLflow run ids, folders)
    run_ids: tuple[str, ...] = ()
    #: MLflow only: the tracking URI and experiment id read
    tracking_uri: str = ""
    experiment_id: str = ""


def require(module: str, *, extra: str, what: str) -> ModuleType:
    """Import an optional dependency, or say which extra installs it.

    Parameters
    ----------
    module
        The module to import, e.g. ``"mlflow"``.
    extra
        The auditkit extra that installs it, e.g. ``"mlflow"``.
    what
        What needs it, for the message, e.g. ``"reading an MLflow experiment"``.

    Raises
    ------
    UsageError
        When the module cannot be imported (exit 4), naming the pip command.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise UsageError(
            f"{what} needs the optional dependency {module.split('.')[0]!r}, which is not "
            f"installed ({exc}). Install it with: pip install 'auditkit[{extra}]'",
            slug="missing-extra",
        ) from None


def nearest_first(value: str, options: Iterable[str]) -> list[str]:
    """Sort ``options`` by similarity to ``value``, the closest first.

    Parameters
    ----------
    value
        What the user wrote (an experiment, metric or parameter name).
    options
        The names that exist; duplicates are dropped.

    Returns
    -------
    list of str
        ``options`` by decreasing ``difflib`` ratio to ``value``, ties by name.
    """
    return sorted(set(options), key=lambda o: (-difflib.SequenceMatcher(None, value, o).ratio(), o))


def named(names: Sequence[str]) -> str:
    """Join names for a message: ``"a, b, c"``, or the first few and ``"and N more"``.

    Parameters
    ----------
    names
        The names, in the order to show them.

    Returns
    -------
    str
        At most ``SHOWN`` names, then how many more there are.
    """
    head = ", ".join(names[:SHOWN])
    return head if len(names) <= SHOWN else f"{head} and {len(names) - SHOWN} more"


def _seed(run: SourceRun, text: str, key: str, label: str) -> int:
    try:
        number = float(text)
    except ValueError:
        number = math.nan
    if not number.is_integer():
        raise DataError(
            f"{label}: run {run.name} has {key}={text!r}, which is not an integer seed; "
            f"seeds pair baseline and variant runs. Choose the parameter that holds the "
            f"seed with --seed-key (its parameters: {named(sorted(run.params))})",
            slug="source-seed",
        )
    return int(number)


def build_table(
    runs: Sequence[SourceRun],
    *,
    options: SourceOptions,
    label: str,
    name: str,
    provenance: Mapping[str, str],
    what: str = "metric",
    hint: str = "",
) -> LoggedRuns:
    """Check the runs of a source and turn them into ``compare``'s runs table.

    Parameters
    ----------
    runs
        Every run the source holds (unfinished and failed ones included, so that they
        are counted and named).
    options
        The column mapping and the choice of metrics.
    label
        How messages name the source, e.g. ``"mlflow:my-exp"`` or a folder.
    name
        The report's experiment name.
    provenance
        What the report's provenance shows of the source.
    what
        The source's word for a metric (``"metric"``, ``"tag"``, ``"column"``).
    hint
        Where else the source finds the variant and seed, added to the message of runs
        that lack them.

    Returns
    -------
    LoggedRuns

    Raises
    ------
    DataError
        Exit 4: no runs; unfinished runs; failed runs (unless ``allow_failed``); runs
        without the variant or seed parameter; a non-integer seed; an unknown or
        unchosen metric; two runs with the same variant, seed and condition.
    """
    from auditkit.compare import LoggedRuns

    failed = _check_runs(runs, options, label, hint)
    metrics = _chosen_metrics(runs, options, label, what)
    scores, n_rows, digest = _scores(runs, options, label, metrics)
    variants = tuple(dict.fromkeys(v for v, _ in scores))
    shown = dict(provenance)
    if failed:
        shown["failed runs"] = f"{len(failed)}: {named([r.name for r in failed])}"
    return LoggedRuns(
        path=label,
        sha256=hashlib.sha256(json.dumps(digest, sort_keys=True).encode()).hexdigest(),
        metrics=metrics,
        variants=variants,
        conditions=tuple(dict.fromkeys(c for _, c in scores if c != "nominal")),
        n_rows=n_rows,
        scores=scores,
        name=name,
        provenance=shown,
    )


def _check_runs(
    runs: Sequence[SourceRun], options: SourceOptions, label: str, hint: str
) -> list[SourceRun]:
    """Errors for no, unfinished, failed (unless allowed) or unkeyed runs; the failed runs."""
    if not runs:
        raise DataError(f"{label}: holds no runs", slug="source-empty")
    unfinished = [r for r in runs if r.status is RunStatus.UNFINISHED]
    if unfinished:
        raise DataError(
            f"{label}: {len(unfinished)} of {len(runs)} runs have not finished: "
            f"{named([f'{r.name} ({r.status_detail})' for r in unfinished])}. Their metrics "
            "may still change; audit after they end, or delete them",
            slug="source-unfinished",
        )
    failed = [r for r in runs if r.status is RunStatus.FAILED]
    if failed and not options.allow_failed:
        raise DataError(
            f"{label}: {len(failed)} of {len(runs)} runs failed: "
            f"{named([f'{r.name} ({r.status_detail})' for r in failed])}. A failed seed is "
            "evidence too: pass --allow-failed to count them as failed seeds of their "
            "variant (the verdict then says how many seed pairs succeeded), or rerun them",
            slug="source-failed",
        )
    keys = (options.variant_key, options.seed_key)
    missing = [r for r in runs if any(k not in r.params for k in keys)]
    if missing:
        # what the runs that lack a key log instead: the likely misnamed parameter
        known = sorted({k for r in missing for k in r.params})
        lacks = [k for k in keys if any(k not in r.params for r in missing)]
        hints = "".join(did_you_mean(k, known) for k in lacks)
        nearest = named(nearest_first(lacks[0], known)) or "none"
        advice = "Name the parameters with --variant-key and --seed-key, or log them in every run"
        raise DataError(
            f"{label}: {len(missing)} of {len(runs)} runs have no parameter "
            f"{' or '.join(repr(k) for k in lacks)}: {named([r.name for r in missing])}.{hints} "
            f"Parameters they log, nearest first: {nearest}. {advice}{hint}",
            slug="source-missing-param",
        )
    return failed


def _chosen_metrics(
    runs: Sequence[SourceRun], options: SourceOptions, label: str, what: str
) -> tuple[str, ...]:
    """The metrics asked for (each must be logged), or the only one the finished runs log."""
    ok = [r for r in runs if r.status is RunStatus.FINISHED]
    logged = {m for r in ok for m in r.metrics}
    if options.metrics:
        for metric in options.metrics:
            if metric not in logged:
                raise DataError(
                    f"{label}: no run logs the {what} {metric!r}.{did_you_mean(metric, logged)} "
                    f"The {what}s logged, nearest first: "
                    f"{named(nearest_first(metric, logged)) or 'none'}",
                    slug="source-unknown-metric",
                )
        return tuple(options.metrics)
    if len(logged) == 1:
        return tuple(logged)
    raise DataError(
        f"{label}: the runs log {len(logged)} {what}s ({named(sorted(logged)) or 'none'}); "
        f"name the one(s) claimed on with --metric NAME (repeatable)",
        slug="source-choose-metric",
    )


def _scores(
    runs: Sequence[SourceRun], options: SourceOptions, label: str, metrics: tuple[str, ...]
) -> tuple[dict[tuple[str, str], dict[str, dict[int, float | None]]], int, list[object]]:
    """The runs' scores, how many runs there are, and what the table's hash is taken over.

    Scores map (variant, condition) -> metric -> seed -> score (None for a failed run);
    two runs of one variant, seed and condition are an error.
    """
    from auditkit.compare import NOMINAL

    scores: dict[tuple[str, str], dict[str, dict[int, float | None]]] = {}
    seen: dict[tuple[str, int, str], str] = {}
    digest: list[object] = []
    for run in runs:
        variant = run.params[options.variant_key].strip()
        seed = _seed(run, run.params[options.seed_key].strip(), options.seed_key, label)
        condition = run.params.get(options.condition_key, "").strip()
        condition = "nominal" if condition in NOMINAL else condition
        key = (variant, seed, condition)
        if key in seen:
            raise DataError(
                f"{label}: runs {seen[key]} and {run.name} both have "
                f"{options.variant_key}={variant!r}, {options.seed_key}={seed}"
                + (f", {options.condition_key}={condition!r}" if condition != "nominal" else "")
                + "; keep one run per variant and seed (delete or move the other), or map "
                "the parameter that tells them apart with --variant-key / --condition-key",
                slug="source-duplicate",
            )
        seen[key] = run.name
        per_metric = scores.setdefault((variant, condition), {m: {} for m in metrics})
        for metric in metrics:
            value = run.metrics.get(metric) if run.status is RunStatus.FINISHED else None
            per_metric[metric][seed] = value if value is not None and math.isfinite(value) else None
        digest.append([run.name, variant, seed, condition, [per_metric[m][seed] for m in metrics]])
    return scores, len(seen), digest
