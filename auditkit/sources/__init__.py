"""Sources of logged runs for ``auditkit compare``: MLflow, TensorBoard, Hydra, CSV/Parquet.

Each reader turns the runs where users keep them into the same runs table
(``auditkit.compare.LoggedRuns``); ``load_source`` picks the reader from the argument.
"""

from __future__ import annotations

import csv
from pathlib import Path

from auditkit.errors import DataError
from auditkit.runfiles import At, event_files
from auditkit.sources.base import LoadedSource, RunStatus, SourceOptions, SourceRun
from auditkit.sources.hydra import read_run_metrics

__all__ = [
    "At",
    "LoadedSource",
    "RunStatus",
    "SourceOptions",
    "SourceRun",
    "load_source",
    "read_run_metrics",
    "source_kind",
]

#: the prefix that names an MLflow experiment on the command line
MLFLOW_PREFIX = "mlflow:"


def source_kind(source: str, options: SourceOptions) -> str:
    """Which reader reads ``source``: ``csv``, ``table``, ``mlflow``, ``tensorboard``, ``hydra``.

    ``mlflow:NAME`` is an MLflow experiment; a folder with ``.hydra/overrides.yaml``
    below it is a Hydra multirun; a folder whose sub-folders hold event files is a
    TensorBoard log folder; ``.parquet`` is a table; a ``.csv`` is compare's own runs
    CSV, or a table when a column mapping (or ``--allow-failed``) is given or its header
    has a W&B export's ``State`` or ``Name`` column.

    Raises
    ------
    DataError
        A path that does not exist, or a folder that is neither kind.
    """
    if source.startswith(MLFLOW_PREFIX):
        return "mlflow"
    path = Path(source)
    if not path.exists():
        raise DataError(
            f"{path}: no such file or folder. RUNS is runs.csv, an export (.csv, .parquet), "
            "a TensorBoard log folder, a Hydra multirun folder, or mlflow:EXPERIMENT for an "
            "MLflow experiment",
            slug="source-unknown",
        )
    if path.is_dir():
        if any(path.rglob(".hydra/overrides.yaml")):
            return "hydra"
        if event_files(path):
            return "tensorboard"
        raise DataError(
            f"{path}: a folder that is neither a Hydra multirun (no .hydra/overrides.yaml "
            "below it) nor a TensorBoard log folder (no events.out.tfevents.* files). Pass "
            "runs.csv, an export (.csv, .parquet), such a folder, or mlflow:EXPERIMENT",
            slug="source-unknown",
        )
    if path.suffix.lower() == ".parquet":
        return "table"
    defaults = SourceOptions()
    mapped = (options.variant_key, options.seed_key, options.condition_key) != (
        defaults.variant_key,
        defaults.seed_key,
        defaults.condition_key,
    )
    return "table" if mapped or options.allow_failed or _is_export(path) else "csv"


def _is_export(path: Path) -> bool:
    """Whether a CSV's header has the bookkeeping columns of a W&B export (State, Name)."""
    from auditkit.sources.table import BOOKKEEPING

    try:
        with path.open(encoding="utf-8-sig") as fh:
            header = {h.strip() for h in next(csv.reader([fh.readline()]), [])}
    except (OSError, UnicodeDecodeError):
        return False  # compare's own loader names the problem
    return bool(header & BOOKKEEPING)


def load_source(source: str, options: SourceOptions) -> LoadedSource:
    """Read the runs of ``source`` into ``compare``'s runs table.

    Parameters
    ----------
    source
        ``runs.csv``, an export (``.csv`` with a column mapping, ``.parquet``), a
        TensorBoard log folder, a Hydra multirun folder, or ``mlflow:EXPERIMENT`` (a name
        or id; the store from ``options.tracking_uri``).
    options
        The column mapping, metrics and ``--at``.

    Returns
    -------
    LoadedSource

    Raises
    ------
    auditkit.errors.AuditkitError
        Exit 4, with a message naming the source, for every bad input.
    """
    kind = source_kind(source, options)
    if kind == "mlflow":
        from auditkit.sources.mlflow import read_mlflow

        return read_mlflow(source.removeprefix(MLFLOW_PREFIX), options)
    if kind == "hydra":
        from auditkit.sources.hydra import read_hydra

        return read_hydra(source, options)
    if kind == "tensorboard":
        from auditkit.sources.tensorboard import read_tensorboard

        return read_tensorboard(source, options)
    if kind == "table":
        from auditkit.sources.table import read_table

        return read_table(source, options)
    # compare loads the statistics; a command that reads no runs.csv need not
    from auditkit.compare import load_runs_csv

    return LoadedSource(runs=load_runs_csv(source), kind="csv")
