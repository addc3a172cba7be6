"""Read TensorBoard log folders: one run per sub-folder, the last or best scalar of each tag."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.errors import DataError
from auditkit.sources.base import (
    LoadedSource,
    RunStatus,
    SourceOptions,
    SourceRun,
    build_table,
    pick,
    require,
)

#: how TensorBoard names its event files
EVENTS_GLOB = "events.out.tfevents.*"


@dataclass(frozen=True, slots=True, kw_only=True)
class EventLog:
    """What the event files under one folder hold."""

    #: tag -> ``(step, value)`` pairs in the order logged
    scalars: dict[str, list[tuple[float, float]]]
    #: hyperparameters from ``add_hparams`` / the hparams plugin, as text
    hparams: dict[str, str]


def event_files(folder: Path) -> list[Path]:
    """Find the event files under ``folder``.

    Parameters
    ----------
    folder
        A run folder or a log folder.

    Returns
    -------
    list of Path
        Every ``events.out.tfevents.*`` file at any depth, sorted by path.
    """
    return sorted(p for p in folder.rglob(EVENTS_GLOB) if p.is_file())


def _hparams(content: bytes) -> dict[str, str]:
    """The hparams of a session-start record of the hparams plugin."""
    from tensorboard.plugins.hparams import plugin_data_pb2

    data = plugin_data_pb2.HParamsPluginData.FromString(content)
    if not data.HasField("session_start_info"):
        return {}
    out = {}
    for key, value in data.session_start_info.hparams.items():
        kind = value.WhichOneof("kind")
        if kind == "number_value":
            number = value.number_value
            out[key] = str(int(number)) if float(number).is_integer() else str(number)
        elif kind in ("string_value", "bool_value"):
            out[key] = str(getattr(value, kind))
    return out


def read_events(files: list[Path]) -> EventLog:
    """Read scalars and hparams from event files with TensorBoard's own event reader.

    Parameters
    ----------
    files
        Event files (``events.out.tfevents.*``) of one run.

    Returns
    -------
    EventLog
        Scalars written as ``simple_value`` (``torch.utils.tensorboard``, TF1) or as
        scalar tensors of the ``scalars`` plugin (TF2), and the run's hparams.
    """
    require("tensorboard", extra="tensorboard", what="reading TensorBoard event files")
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    from tensorboard.util import tensor_util

    scalars: dict[str, list[tuple[float, float]]] = {}
    hparams: dict[str, str] = {}
    for file in files:
        scalar_tags: set[str] = set()
        event: Any
        for event in EventFileLoader(str(file)).Load():
            if not event.HasField("summary"):
                continue
            for value in event.summary.value:
                plugin = value.metadata.plugin_data.plugin_name
                if plugin == "hparams":
                    hparams.update(_hparams(value.metadata.plugin_data.content))
                    continue
                if plugin == "scalars":
                    # TF2 writes the plugin's metadata with a tag's first value only
                    scalar_tags.add(value.tag)
                if value.HasField("simple_value"):
                    number = float(value.simple_value)
                elif value.HasField("tensor") and value.tag in scalar_tags:
                    number = float(tensor_util.make_ndarray(value.tensor).item())
                else:
                    continue
                scalars.setdefault(value.tag, []).append((float(event.step), number))
    return EventLog(scalars=scalars, hparams=hparams)


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
        metrics = {tag: pick(values, options.at) for tag, values in log.scalars.items() if values}
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
