"""``compare``'s options for sources and write-back, kept here so that cli.py stays small."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from auditkit.runfiles import At
from auditkit.sources import LoadedSource, SourceOptions, load_source

F = TypeVar("F", bound=Callable[..., Any])

_OPTIONS = (
    click.option(
        "--variant-key",
        default="variant",
        show_default=True,
        help="Parameter naming the variant: an MLflow param, Hydra override (or dotted config "
        "key), TensorBoard hparam, or column of an export.",
    ),
    click.option(
        "--seed-key", default="seed", show_default=True, help="Parameter holding the seed."
    ),
    click.option(
        "--condition-key",
        default="condition",
        show_default=True,
        help="Parameter naming a perturbed condition; runs without it are nominal.",
    ),
    click.option(
        "--at",
        type=click.Choice([a.value for a in At]),
        default=At.LAST.value,
        show_default=True,
        help="For metrics logged over steps: the last value, or the best (highest).",
    ),
    click.option(
        "--tracking-uri",
        default=None,
        help="MLflow store: a mlruns/ folder, sqlite:///mlflow.db, or http://host:5000 "
        "(default: MLFLOW_TRACKING_URI, else MLflow's default).",
    ),
    click.option(
        "--allow-failed",
        is_flag=True,
        help="Count failed runs as failed seeds of their variant instead of stopping.",
    ),
    click.option(
        "--log-to",
        type=click.Choice(["mlflow"]),
        default=None,
        help="Record the audit as an MLflow run (verdicts, audit.json, report.html and "
        "report.pdf), linked to the audited runs.",
    ),
    click.option(
        "--log-experiment",
        default=None,
        help="MLflow experiment for --log-to (default: the audited one, else 'auditkit').",
    ),
)


def source_options(command: F) -> F:
    """Add the source and write-back options to a click command.

    Parameters
    ----------
    command
        The command function (``compare``); it receives the options as keyword
        arguments, to pass on to ``load`` and ``log_after_write`` as ``given``.

    Returns
    -------
    callable
        The decorated command.
    """
    for option in reversed(_OPTIONS):
        command = option(command)
    return command


def _options(metrics: Sequence[str], given: Mapping[str, Any]) -> SourceOptions:
    return SourceOptions(
        variant_key=given["variant_key"],
        seed_key=given["seed_key"],
        condition_key=given["condition_key"],
        metrics=tuple(metrics),
        at=At(given["at"]),
        allow_failed=given["allow_failed"],
        tracking_uri=given["tracking_uri"],
    )


def load(source: str, metrics: Sequence[str], given: Mapping[str, Any]) -> LoadedSource:
    """Read ``source`` with the options the command line gave.

    Parameters
    ----------
    source
        The RUNS argument.
    metrics
        ``--metric`` values.
    given
        The keyword arguments click passed for ``source_options``.

    Returns
    -------
    LoadedSource
    """
    return load_source(source, _options(metrics, given))


def log_after_write(
    document: Mapping[str, Any], loaded: LoadedSource, given: Mapping[str, Any]
) -> Callable[[list[Path]], str] | None:
    """Prepare the ``--log-to`` step, to run once the report files exist.

    Parameters
    ----------
    document
        The audit (``audit.json``'s content).
    loaded
        The source the runs came from.
    given
        The keyword arguments click passed for ``source_options``.

    Returns
    -------
    callable or None
        Given the files written, records the audit and returns the line that says where.
    """
    if given["log_to"] != "mlflow":
        return None

    def log(files: list[Path]) -> str:
        from auditkit.sources.writeback import log_to_mlflow

        return log_to_mlflow(
            document,
            files,
            loaded,
            tracking_uri=given["tracking_uri"],
            experiment=given["log_experiment"],
        ).message()

    return log
