"""Read the finished runs of an MLflow experiment (local mlruns/, SQLite store or server)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from auditkit.errors import DataError
from auditkit.runfiles import At, pick
from auditkit.sources.base import (
    LoadedSource,
    RunStatus,
    SourceOptions,
    SourceRun,
    build_table,
    named,
    nearest_first,
    require,
)

#: MLflow run statuses and what they mean for an audit
STATUS = {
    "FINISHED": RunStatus.FINISHED,
    "FAILED": RunStatus.FAILED,
    "KILLED": RunStatus.FAILED,
    "RUNNING": RunStatus.UNFINISHED,
    "SCHEDULED": RunStatus.UNFINISHED,
}
#: the tag that marks a run logged by ``--log-to mlflow``; such runs are never audited
AUDIT_TAG = "auditkit.kind"


def display_uri(uri: str) -> str:
    """Drop the user and password of a tracking URI, so that a report can show it.

    Parameters
    ----------
    uri
        A tracking URI, e.g. ``https://user:pw@host:5000`` or ``sqlite:///mlflow.db``.

    Returns
    -------
    str
        ``https://host:5000``; other URIs unchanged.
    """
    parts = urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    return urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]))


def _local_path(uri: str) -> Path | None:
    """The folder or database file a local URI names; None for a server."""
    parts = urlsplit(uri)
    if parts.scheme in ("", "file"):
        return Path(parts.path if parts.scheme else uri)
    if parts.scheme == "sqlite":
        # sqlite:///relative.db and sqlite:////absolute.db, as SQLAlchemy reads them
        return Path(uri.removeprefix("sqlite:///"))
    return None


@contextlib.contextmanager
def _store_allowed(uri: str) -> Iterator[None]:
    """Let MLflow open a local ``mlruns/`` folder, which MLflow 3 refuses by default.

    Reading an existing folder is what its owner needs; auditkit writes there only
    with ``--log-to mlflow``.
    """
    parts = urlsplit(uri)
    if parts.scheme not in ("", "file"):
        yield
        return
    before = os.environ.get("MLFLOW_ALLOW_FILE_STORE")
    os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MLFLOW_ALLOW_FILE_STORE", None)
        else:
            os.environ["MLFLOW_ALLOW_FILE_STORE"] = before


def tracking_uri(options: SourceOptions) -> str:
    """Choose the tracking URI to read: ``--tracking-uri``, else MLflow's own default.

    Parameters
    ----------
    options
        ``options.tracking_uri`` wins; MLflow's default honours ``MLFLOW_TRACKING_URI``.

    Returns
    -------
    str
        The URI.

    Raises
    ------
    DataError
        A local store (folder or SQLite file) that does not exist: MLflow would create an
        empty one, and the audit would find no experiment.
    """
    mlflow = require("mlflow", extra="mlflow", what="reading an MLflow experiment")
    uri = options.tracking_uri or str(mlflow.get_tracking_uri())
    local = _local_path(uri)
    if local is not None and not local.exists():
        raise DataError(
            f"tracking URI {uri!r}: {local} does not exist, so it holds no MLflow runs. Pass "
            "the store your runs were logged to with --tracking-uri (a mlruns/ folder, "
            "sqlite:///mlflow.db, or http://host:5000), or set MLFLOW_TRACKING_URI",
            slug="mlflow-no-store",
        )
    return uri


@contextlib.contextmanager
def open_client(uri: str) -> Iterator[Any]:
    """Open an ``mlflow.MlflowClient`` on ``uri``, a local ``mlruns/`` folder allowed.

    Parameters
    ----------
    uri
        The tracking URI.

    Yields
    ------
    mlflow.MlflowClient
        Use it inside the ``with`` block: MLflow opens a file store lazily.
    """
    mlflow = require("mlflow", extra="mlflow", what="reading an MLflow experiment")
    with _store_allowed(uri):
        yield mlflow.MlflowClient(tracking_uri=uri)


def _experiment(client: Any, key: str, uri: str) -> Any:
    """The experiment named ``key`` (or with id ``key``), or an error listing them all."""
    from mlflow.exceptions import MlflowException

    try:
        found = client.get_experiment_by_name(key)
        if found is None and key.isdigit():
            with contextlib.suppress(MlflowException):
                found = client.get_experiment(key)
        known = [] if found is not None else [e.name for e in client.search_experiments()]
    except MlflowException as exc:
        raise DataError(
            f"tracking URI {display_uri(uri)!r}: MLflow could not read it: {exc.message}. "
            "Check that the URI is right and, for a server, that it is running (MLflow "
            "retries a server for a while: MLFLOW_HTTP_REQUEST_MAX_RETRIES sets how often)",
            slug="mlflow-unreachable",
        ) from None
    if found is None or found.lifecycle_stage == "deleted":
        state = "is deleted" if found is not None else "does not exist"
        raise DataError(
            f"MLflow experiment {key!r} {state} at {display_uri(uri)}. Experiments there, "
            f"nearest first: {named(nearest_first(key, known)) or 'none'}. Pass one as "
            "mlflow:NAME (or its id), or the right store with --tracking-uri",
            slug="mlflow-unknown-experiment",
        )
    return found


def _runs(client: Any, experiment_id: str) -> list[Any]:
    """Every active run of the experiment, page by page."""
    from mlflow.entities import ViewType

    runs: list[Any] = []
    token = None
    while True:
        page = client.search_runs(
            [experiment_id],
            run_view_type=ViewType.ACTIVE_ONLY,
            max_results=1000,
            order_by=["attributes.start_time ASC"],
            page_token=token,
        )
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def read_mlflow(experiment: str, options: SourceOptions) -> LoadedSource:
    """Read the runs of an MLflow experiment into the runs table.

    Parameters
    ----------
    experiment
        The experiment's name, or its id.
    options
        The mapping: the variant and seed are run parameters (``--variant-key``,
        ``--seed-key``; a run's tags where it logged no such param), metrics the runs'
        logged metrics (the latest value, or with
        ``--at best`` the highest in the metric's history).

    Returns
    -------
    LoadedSource

    Raises
    ------
    DataError
        Exit 4: no such store or experiment (the experiments there listed nearest
        first), unfinished or failed runs (named), runs without the mapped parameters,
        duplicate variant and seed.
    """
    uri = tracking_uri(options)
    with open_client(uri) as client:
        exp = _experiment(client, experiment, uri)
        raw = _runs(client, exp.experiment_id)
        runs = _source_runs(client, raw, options)
    ids = [r.run_id for r in runs]
    skipped = sorted({r.info.run_id for r in raw} - set(ids))
    label = f"mlflow:{exp.name}"
    provenance = {
        "runs source": f"MLflow experiment {exp.name!r} (id {exp.experiment_id}) at "
        f"{display_uri(uri)}",
        "MLflow runs": f"{len(ids)}: {', '.join(ids)}",
    }
    if skipped:
        provenance["MLflow runs left out"] = (
            f"{len(skipped)} parent or audit runs: {', '.join(skipped)}"
        )
    table = build_table(runs, options=options, label=label, name=exp.name, provenance=provenance)
    return LoadedSource(
        runs=table,
        kind="mlflow",
        run_ids=tuple(ids),
        tracking_uri=uri,
        experiment_id=str(exp.experiment_id),
    )


def _source_runs(client: Any, raw: list[Any], options: SourceOptions) -> list[SourceRun]:
    """The runs to audit: parents of nested runs and earlier audits are left out."""
    parents = {r.data.tags.get("mlflow.parentRunId") for r in raw} - {None}
    runs = []
    for run in raw:
        if run.data.tags.get(AUDIT_TAG) == "audit" or run.info.run_id in parents:
            continue
        metrics = {k: float(v) for k, v in run.data.metrics.items() if not k.startswith("system/")}
        if options.at is At.BEST:
            for key in options.metrics or tuple(metrics):
                history = client.get_metric_history(run.info.run_id, key)
                if history:
                    metrics[key] = pick([(float(m.step), float(m.value)) for m in history], At.BEST)
        status = STATUS.get(run.info.status, RunStatus.UNFINISHED)
        runs.append(
            SourceRun(
                name=f"{run.info.run_name} ({run.info.run_id})",
                # a run's own tags stand in for params it did not log (mlflow.set_tag)
                params={
                    **{
                        k: v
                        for k, v in run.data.tags.items()
                        if not k.startswith(("mlflow.", "auditkit."))
                    },
                    **run.data.params,
                },
                metrics=metrics,
                status=status,
                status_detail=f"status {run.info.status}",
                run_id=run.info.run_id,
            )
        )
    return runs
