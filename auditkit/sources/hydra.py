"""Read a Hydra multirun folder: each job's overrides, and the metrics file the job wrote."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from auditkit.errors import DataError
from auditkit.runfiles import JSON_FILES, At, metric_files
from auditkit.sources.base import LoadedSource, RunStatus, SourceOptions, SourceRun, build_table


def job_dirs(root: Path) -> list[Path]:
    """Find the Hydra job folders under ``root`` (those with ``.hydra/overrides.yaml``).

    Parameters
    ----------
    root
        A multirun sweep folder, or any folder above job folders.

    Returns
    -------
    list of Path
        Sorted by path, numerically where the folders are numbered (``0``, ``1``, ...,
        ``10``).
    """
    jobs = [p.parent.parent for p in root.rglob(".hydra/overrides.yaml") if p.is_file()]
    return sorted(jobs, key=lambda p: [int(s) if s.isdigit() else -1 for s in p.parts] + [p])


def _load_yaml(file: Path) -> Any:
    try:
        return yaml.safe_load(file.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DataError(f"{file}: not readable YAML ({exc})", slug="hydra-yaml") from None


def _lookup(config: Any, dotted: str) -> str | None:
    """``config["a"]["b"]`` for ``"a.b"``; None where absent or an unresolved ``${...}``."""
    node = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    if isinstance(node, dict | list) or node is None:
        return None
    text = str(node)
    return None if "${" in text else text


def job_params(job: Path, keys: tuple[str, ...]) -> dict[str, str]:
    """A job's parameters: its command-line overrides, then ``keys`` from its config.

    Parameters
    ----------
    job
        The job folder (holding ``.hydra/``).
    keys
        Dotted config keys looked up in ``.hydra/config.yaml`` when no override sets
        them (a seed fixed in the config file, for instance).

    Returns
    -------
    dict
        Parameter name -> value as text.
    """
    overrides = _load_yaml(job / ".hydra" / "overrides.yaml") or []
    params: dict[str, str] = {}
    for item in overrides:
        key, sep, value = str(item).partition("=")
        if sep:
            key = key.lstrip("+~").split("@", 1)[0]
            params[key] = value.strip().strip("'\"")
    config_file = job / ".hydra" / "config.yaml"
    if config_file.is_file():
        config = _load_yaml(config_file)
        for key in keys:
            found = _lookup(config, key)
            if key not in params and found is not None:
                params[key] = found
    return params


def read_run_metrics(run_dir: str | Path, *, at: At = At.LAST) -> tuple[dict[str, float], str]:
    """Read the metrics one run wrote into its folder.

    The first of the run's metric files (``auditkit.runfiles.metric_files``: metrics.json,
    Hugging Face results, TensorBoard event files, a Lightning metrics.csv) is read, as
    script mode reads them; a metric whose value is NaN or infinite is left out (the run
    then counts as one without that metric).

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
        A metrics file that is not what its name says (a JSON file that is no object).
    """
    folder = Path(run_dir)
    for file in metric_files(folder):
        metrics = {k: v for k, v in file.read(at).items() if math.isfinite(v)}
        return metrics, file.where(folder)
    return {}, ""


def read_hydra(folder: str | Path, options: SourceOptions) -> LoadedSource:
    """Read a Hydra multirun (or a folder of several) into the runs table.

    Parameters
    ----------
    folder
        A multirun sweep folder (``multirun/2026-01-01/12-00-00``) or any folder above
        job folders; every folder holding ``.hydra/overrides.yaml`` is one run.
    options
        Variant, seed and condition are override keys (or dotted config keys, e.g.
        ``model.name``); metrics come from the file each job wrote
        (``read_run_metrics``).

    Returns
    -------
    LoadedSource

    Raises
    ------
    DataError
        Exit 4: no job folders; jobs that wrote no metrics file (failed, named);
        missing overrides; unknown metric (listed nearest first); duplicates.
    """
    root = Path(folder)
    jobs = job_dirs(root)
    if not jobs:
        raise DataError(
            f"{root}: holds no Hydra job folders (none has .hydra/overrides.yaml); pass the "
            "multirun folder, e.g. multirun/2026-01-01/12-00-00",
            slug="hydra-no-runs",
        )
    keys = (options.variant_key, options.seed_key, options.condition_key)
    runs, sources = [], set()
    for job in jobs:
        metrics, source = read_run_metrics(job, at=options.at)
        sources.add(source)
        runs.append(
            SourceRun(
                name=str(job),
                params=job_params(job, keys),
                metrics=metrics,
                status=RunStatus.FINISHED if metrics else RunStatus.FAILED,
                status_detail="" if metrics else "no metrics file",
                run_id=str(job.relative_to(root)),
            )
        )
    if not any(r.metrics for r in runs):
        raise DataError(
            f"{root}: none of its {len(runs)} jobs wrote metrics that auditkit reads: it "
            f"looks in each job folder for {', '.join(JSON_FILES)}, a Lightning metrics.csv "
            "or TensorBoard event files. Write the final metrics to metrics.json in the "
            "job's output folder (HydraConfig.get().runtime.output_dir)",
            slug="hydra-no-metrics",
        )
    provenance = {
        "runs source": f"Hydra multirun {root} ({len(runs)} jobs; metrics from "
        f"{', '.join(sorted(s for s in sources if s)) or 'no file'})",
    }
    table = build_table(
        runs,
        options=options,
        label=str(root),
        name=root.resolve().name,
        provenance=provenance,
        hint=" (the keys are Hydra overrides such as model=gru, or dotted keys of the job's "
        "config such as model.name)",
    )
    return LoadedSource(runs=table, kind="hydra", run_ids=tuple(r.run_id for r in runs))
