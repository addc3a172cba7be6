"""``--log-to mlflow``: record an audit as an MLflow run, linked to the runs it audited."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.errors import DataError
from auditkit.sources.base import LoadedSource, require
from auditkit.sources.mlflow import AUDIT_TAG, display_uri, open_client

#: each verdict as a number, so that MLflow can chart and compare audits
VERDICT_CODE = {"refuted": -1.0, "inconclusive": 0.0, "fragile": 0.5, "supported": 1.0}
#: the experiment an audit of runs from elsewhere is logged to, unless named
DEFAULT_EXPERIMENT = "auditkit"
#: MLflow's longest tag value, less a margin
TAG_LIMIT = 5000


@dataclass(frozen=True, slots=True, kw_only=True)
class LoggedAudit:
    """Where an audit was recorded in MLflow."""

    run_id: str
    experiment_id: str
    experiment: str
    tracking_uri: str
    #: the run's page for a tracking server, else empty (a local store has no page
    #: until ``mlflow ui`` serves it)
    url: str

    def message(self) -> str:
        """Say where the audit run is and how to see it, in one line for the terminal."""
        where = (
            f"MLflow run {self.run_id} in experiment {self.experiment!r} (id "
            f"{self.experiment_id}) at {display_uri(self.tracking_uri)}"
        )
        if self.url:
            return f"Logged to {where}: {self.url}"
        return (
            f"Logged to {where}; to see it, run: mlflow ui --backend-store-uri {self.tracking_uri}"
        )


def claim_key(claim: Mapping[str, Any]) -> str:
    """Name a claim in MLflow tag and metric keys.

    Parameters
    ----------
    claim
        A claim of ``audit.json`` (``variant``, ``baseline``, ``metric``).

    Returns
    -------
    str
        ``rel_vs_gru.accuracy``; characters MLflow refuses in keys become ``_``.
    """
    raw = f"{claim['variant']}_vs_{claim['baseline']}.{claim['metric']}"
    return re.sub(r"[^A-Za-z0-9_\-./ ]", "_", raw)


def _note(document: Mapping[str, Any], source: LoadedSource, experiment_id: str) -> str:
    """The run's description (markdown, shown on its page in the MLflow UI)."""
    lines = [
        f"**auditkit audit** of {document['experiment']['name']}: "
        f"{document['provenance'].get('runs source', document['experiment']['model_file'])}",
        "",
        "| claim | verdict | reason |",
        "|---|---|---|",
    ]
    for claim in document["claims"]:
        reason = str(claim["reason"]).replace("|", "\\|")
        lines.append(f"| {claim['label']} | **{claim['verdict'].upper()}** | {reason} |")
    if source.kind == "mlflow" and source.run_ids:
        lines += ["", f"Audited runs ({len(source.run_ids)}):"]
        lines += [
            f"[{run_id}](#/experiments/{source.experiment_id}/runs/{run_id})"
            for run_id in source.run_ids
        ]
    return "\n".join(lines)


def log_to_mlflow(
    document: Mapping[str, Any],
    files: Sequence[Path],
    source: LoadedSource,
    *,
    tracking_uri: str | None = None,
    experiment: str | None = None,
) -> LoggedAudit:
    """Record an audit as a finished MLflow run.

    The run holds the verdict of every claim as tags (``auditkit.verdict.<claim>``) and
    metrics (``<claim>.verdict``: 1 supported, 0.5 fragile, 0 inconclusive, -1 refuted;
    ``<claim>.gain``, ``.ci_low``, ``.ci_high``, ``.p_holm``), the thresholds as params,
    ``files`` as artifacts, and the audited runs' ids (``auditkit.audited_runs``); each
    audited MLflow run gets the tag ``auditkit.audit_run`` naming the audit's run.
    Audit runs carry ``auditkit.kind=audit``, so a later audit of the experiment skips
    them.

    Parameters
    ----------
    document
        The audit (``audit.json``'s content).
    files
        Files to attach: audit.json, report.html, report.pdf.
    source
        The runs audited; an MLflow source also gives the default store and experiment.
    tracking_uri
        The store to log to; the audited store for an MLflow source, else MLflow's default.
    experiment
        The experiment to log to (created if absent); the audited experiment for an
        MLflow source, else ``auditkit``.

    Returns
    -------
    LoggedAudit

    Raises
    ------
    DataError
        When MLflow cannot write to the store (exit 4).
    """
    mlflow = require("mlflow", extra="mlflow", what="--log-to mlflow")
    from mlflow.exceptions import MlflowException

    uri = tracking_uri or source.tracking_uri or str(mlflow.get_tracking_uri())
    try:
        with open_client(uri) as client:
            experiment_id = _experiment_id(client, source, experiment)
            exp_name = client.get_experiment(experiment_id).name
            run = _create_run(client, experiment_id, document, source)
            run_id = run.info.run_id
            _log_verdicts(client, run_id, document)
            for file in files:
                client.log_artifact(run_id, str(file))
            if source.kind == "mlflow":
                for audited in source.run_ids:
                    client.set_tag(audited, "auditkit.audit_run", run_id)
            client.set_terminated(run_id, "FINISHED")
    except MlflowException as exc:
        raise DataError(
            f"--log-to mlflow: MLflow could not record the audit at {display_uri(uri)}: "
            f"{exc.message}. The report is written; run the same command again to retry",
            slug="mlflow-log",
        ) from None
    url = ""
    if uri.startswith(("http://", "https://")):
        url = f"{display_uri(uri).rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"
    return LoggedAudit(
        run_id=run_id,
        experiment_id=str(experiment_id),
        experiment=exp_name,
        tracking_uri=uri,
        url=url,
    )


def _experiment_id(client: Any, source: LoadedSource, experiment: str | None) -> str:
    """The audited experiment (MLflow source, none named), or ``experiment`` (created)."""
    if experiment is None and source.experiment_id:
        return source.experiment_id
    name = experiment or DEFAULT_EXPERIMENT
    found = client.get_experiment_by_name(name)
    created: str = found.experiment_id if found is not None else client.create_experiment(name)
    return created


def _create_run(
    client: Any, experiment_id: str, document: Mapping[str, Any], source: LoadedSource
) -> Any:
    """A new run for the audit, tagged as one (so later audits skip it)."""
    return client.create_run(
        experiment_id,
        run_name=f"auditkit audit of {document['experiment']['name']}",
        tags={
            AUDIT_TAG: "audit",
            "auditkit.exit_code": str(document["exit_code"]),
            "auditkit.source": str(document["provenance"].get("runs source", "")),
            "auditkit.audited_runs": ", ".join(source.run_ids)[:TAG_LIMIT],
            "mlflow.note.content": _note(document, source, experiment_id),
            # the run page's "Source" field
            "mlflow.source.name": "auditkit compare",
        },
    )


def _log_verdicts(client: Any, run_id: str, document: Mapping[str, Any]) -> None:
    """The thresholds as params, each claim's verdict as a tag and a metric, its gain."""
    settings = document["rule_pack"]["settings"]
    for key in ("alpha", "rope", "confidence", "seeds"):
        client.log_param(run_id, key, settings[key])
    client.log_param(run_id, "baseline", document["experiment"]["baseline"])
    for claim in document["claims"]:
        key = claim_key(claim)
        client.set_tag(run_id, f"auditkit.verdict.{key}", claim["verdict"])
        client.log_metric(run_id, f"{key}.verdict", VERDICT_CODE[claim["verdict"]])
        gain = claim.get("gain") or {}
        for name, field in (
            ("gain", "mean"),
            ("ci_low", "low"),
            ("ci_high", "high"),
            ("p_holm", "p_holm"),
        ):
            if gain.get(field) is not None:
                client.log_metric(run_id, f"{key}.{name}", float(gain[field]))
