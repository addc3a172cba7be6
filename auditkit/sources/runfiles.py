"""The metrics a run wrote into its folder: metrics.json, HF results, Lightning CSV, TensorBoard.

One entry point, ``read_run_metrics``, shared by the Hydra source and meant for script
mode, which reads the same files.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

from auditkit.errors import DataError
from auditkit.sources.base import At, pick
from auditkit.sources.tensorboard import event_files, read_events

#: JSON files of final metrics, in the order they are looked for: a plain metrics file,
#: then Hugging Face Trainer's ``all_results.json`` and ``eval_results.json``
JSON_FILES = ("metrics.json", "all_results.json", "eval_results.json")
#: columns of Lightning's CSVLogger that count steps, not metrics
LIGHTNING_INDEX = ("epoch", "step")


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Numbers of a JSON object; nested objects become ``outer/inner`` names."""
    out: dict[str, float] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}/"))
        elif (
            isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        ):
            out[name] = float(value)
    return out


def _read_json(file: Path) -> dict[str, float]:
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(
            f'{file}: not a JSON object of metrics ({exc}); write it as {{"accuracy": 0.73, ...}}',
            slug="run-metrics-file",
        ) from None
    if not isinstance(data, dict):
        raise DataError(
            f"{file}: holds a JSON {type(data).__name__}, not an object of metrics; write it "
            'as {"accuracy": 0.73, ...}',
            slug="run-metrics-file",
        )
    return _flatten(data)


def _read_lightning(file: Path, at: At) -> dict[str, float]:
    """Last or best non-empty value of each column of a Lightning ``metrics.csv``."""
    series: dict[str, list[tuple[float, float]]] = {}
    with file.open(newline="", encoding="utf-8") as fh:
        for index, row in enumerate(csv.DictReader(fh)):
            step_text = (row.get("step") or "").strip()
            step = float(step_text) if step_text else float(index)
            for column, cell in row.items():
                if column is None or column in LIGHTNING_INDEX or not (cell or "").strip():
                    continue
                try:
                    value = float(cell)
                except ValueError:
                    continue
                if math.isfinite(value):
                    series.setdefault(column, []).append((step, value))
    return {column: pick(values, at) for column, values in series.items()}


def read_run_metrics(run_dir: str | Path, *, at: At = At.LAST) -> tuple[dict[str, float], str]:
    """Read the metrics one run wrote into its folder.

    Looks, in this order, for ``metrics.json``, ``all_results.json``,
    ``eval_results.json`` (Hugging Face Trainer) in the folder, then a Lightning
    ``metrics.csv`` anywhere below it (the newest ``version_N``), then TensorBoard event
    files anywhere below it; the first found is read.

    Parameters
    ----------
    run_dir
        The run's folder.
    at
        For files that log a metric over steps (``metrics.csv``, event files): the last
        value or the best (highest) one.

    Returns
    -------
    tuple of (dict, str)
        Metric name -> value, and the file read (relative to ``run_dir``; a folder of
        event files for TensorBoard). ``({}, "")`` when the run wrote none of them.

    Raises
    ------
    DataError
        A metrics JSON file that is not a JSON object.
    """
    folder = Path(run_dir)
    for name in JSON_FILES:
        file = folder / name
        if file.is_file():
            return _read_json(file), name
    lightning = sorted(
        folder.rglob("metrics.csv"), key=lambda p: (p.stat().st_mtime, str(p)), reverse=True
    )
    if lightning:
        return _read_lightning(lightning[0], at), str(lightning[0].relative_to(folder))
    events = event_files(folder)
    if events:
        scalars = read_events(events).scalars
        where = events[0].parent.relative_to(folder)
        return {tag: pick(v, at) for tag, v in scalars.items() if v}, str(where)
    return {}, ""
