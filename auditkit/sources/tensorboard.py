"""Read TensorBoard log folders: one run per sub-folder, the last or best scalar of each tag.

The event files are read by ``auditkit.runfiles.read_events`` (no TensorBoard install needed),
as script mode and the Hydra source read them.
"""

from __future__ import annotations

import re
from pathlib import Path

from auditkit.errors import DataError
from auditkit.runfiles import EVENTS_GLOB, event_files, read_events, reduce_series
from auditkit.sources.base import LoadedSource, RunStatus, SourceOptions, SourceRun, build_table


def _name_params(name: str, options: SourceOptions) -> dict[str, str]:
    """Variant and seed from a run folder's name.

    ``variant=gru,seed=3`` (``key=value`` pairs split on ``,``), else
    ``gru_seed3`` / ``gru-seed-3`` (the variant, then the seed key and the seed).
    """
    pairs = [p.split("=", 1) for p in name.split(",") if "=" in p]
    if pairs:
        return {k.strip(): v.strip() for k, v in pairs}
    match = re.fullmatch(rf"(?P<v>.+?)[_-]{re.escape(options.seed_key)}[_-]?(?P<s>\d+)", name)
    if match is None:
        return {}
    return {options.variant_key: match["v"], options.seed_key: match["s"]}


def read_tensorboard(logdir: str | Path, options: SourceOptions) -> LoadedSource:
    """Read a TensorBoard log folder into the runs table.

    Parameters
    ----------
    logdir
        A folder with one sub-folder per run; the event files anywhere below a
        sub-folder belong to its run.
    options
        Variant and seed come from the run's hparams when it logged them, else from the
        sub-folder's name (``gru_seed3`` or ``variant=gru,seed=3``); ``--at`` picks the
        last or best value of each scalar tag.

    Returns
    -------
    LoadedSource

    Raises
    ------
    DataError
        Exit 4: no run sub-folders with event files, a run whose variant or seed cannot
        be told, an unknown tag (tags listed nearest first), duplicate variant and seed.
    """
    root = Path(logdir)
    folders = sorted(p for p in root.iterdir() if p.is_dir() and event_files(p))
    if not folders:
        raise DataError(
            f"{root}: no sub-folder holds TensorBoard event files ({EVENTS_GLOB}); pass "
            "the log folder whose sub-folders are the runs (one per variant and seed)",
            slug="tensorboard-no-runs",
        )
    runs = []
    for folder in folders:
        log = read_events(event_files(folder))
        params = {**_name_params(folder.name, options), **log.hparams}
        metrics = reduce_series(log.scalars, options.at)
        runs.append(
            SourceRun(
                name=str(folder),
                params=params,
                metrics=metrics,
                status=RunStatus.FINISHED if metrics else RunStatus.FAILED,
                status_detail="" if metrics else "no scalar logged",
                run_id=folder.name,
            )
        )
    provenance = {
        "runs source": f"TensorBoard log folder {root} ({len(runs)} runs, {options.at} value "
        "of each tag)",
        "TensorBoard runs": ", ".join(f.name for f in folders),
    }
    table = build_table(
        runs,
        options=options,
        label=str(root),
        name=root.resolve().name,
        provenance=provenance,
        what="tag",
        hint=f", or name each run's folder like gru_{options.seed_key}3",
    )
    return LoadedSource(runs=table, kind="tensorboard", run_ids=tuple(f.name for f in folders))
