"""Read a CSV or Parquet export of runs (Weights & Biases, a spreadsheet) with a column map."""

from __future__ import annotations

import csv
import hashlib
import io
import math
from pathlib import Path
from typing import Any

from auditkit.errors import DataError
from auditkit.sources.base import (
    LoadedSource,
    RunStatus,
    SourceOptions,
    SourceRun,
    build_table,
    require,
)

#: Weights & Biases' run states and what they mean for an audit
STATES = {
    "finished": RunStatus.FINISHED,
    "failed": RunStatus.FAILED,
    "crashed": RunStatus.FAILED,
    "killed": RunStatus.FAILED,
    "running": RunStatus.UNFINISHED,
    "pending": RunStatus.UNFINISHED,
}
#: columns of a W&B export that describe the run, never metrics
BOOKKEEPING = {"Name", "ID", "State", "Notes", "User", "Tags", "Created", "Runtime", "Sweep"}


def _rows(file: Path) -> tuple[list[dict[str, Any]], list[int]]:
    """The rows of a CSV or Parquet file, and the line (or row number) of each."""
    if file.suffix.lower() == ".parquet":
        pq = require("pyarrow.parquet", extra="parquet", what="reading a Parquet file")
        try:
            rows: list[dict[str, Any]] = pq.read_table(file).to_pylist()
        except Exception as exc:  # pyarrow raises several types for a corrupt file
            raise DataError(f"{file}: not a readable Parquet file ({exc})", slug="table") from None
        return rows, list(range(1, len(rows) + 1))
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{file}: not UTF-8 text (byte {exc.start}); save the export as UTF-8", slug="table"
        ) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows, lines = [], []
    for row in reader:
        rows.append({(k or "").strip(): v for k, v in row.items()})
        lines.append(reader.line_num)
    return rows, lines


def _number(value: Any) -> float | None:
    """A finite number from a cell, or None (empty, text, NaN)."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def read_table(path: str | Path, options: SourceOptions) -> LoadedSource:
    """Read a CSV or Parquet export, one row per run, with a column mapping.

    Parameters
    ----------
    path
        A ``.csv`` or ``.parquet`` file.
    options
        Columns of the variant, seed and condition (``--variant-key`` ...) and the metric
        columns (``--metric``). A ``State`` column (W&B) marks unfinished and failed runs;
        a ``Name`` column names the runs in messages.

    Returns
    -------
    LoadedSource

    Raises
    ------
    DataError
        Exit 4: unreadable file, missing mapped columns, unknown metric column (listed
        nearest first), failed or running rows, duplicate variant and seed.
    """
    file = Path(path)
    if not file.is_file():
        raise DataError(f"{file}: no such runs file", slug="table")
    rows, lines = _rows(file)
    keys = {options.variant_key, options.seed_key, options.condition_key}
    runs = []
    for row, line in zip(rows, lines, strict=True):
        state_text = str(row.get("State") or row.get("state") or "finished").strip().lower()
        status = STATES.get(state_text, RunStatus.FAILED)
        metrics = {
            k: n
            for k, v in row.items()
            if k not in keys
            and k not in BOOKKEEPING
            and not k.startswith("_")
            and (n := _number(v)) is not None
        }
        name = f"{file}:{line}" + (f" ({row['Name']})" if row.get("Name") else "")
        runs.append(
            SourceRun(
                name=name,
                params={k: _text(v) for k, v in row.items() if v is not None and _text(v)},
                metrics=metrics,
                status=status,
                status_detail=f"state {state_text}",
                run_id=str(row.get("ID") or row.get("Name") or line),
            )
        )
    table = build_table(
        runs,
        options=options,
        label=str(file),
        name=file.stem,
        provenance={
            "runs file": f"{file} (sha256 {hashlib.sha256(file.read_bytes()).hexdigest()[:12]})"
        },
        what="column",
    )
    return LoadedSource(runs=table, kind="table", run_ids=tuple(r.run_id for r in runs))


def _text(value: Any) -> str:
    """A cell as text; whole floats (a seed read as 3.0) without their ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
