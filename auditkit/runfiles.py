"""The metric files a training run writes into its folder, read one way for every caller.

Script mode (``auditkit check -- CMD``) reads them back from each run it starts; the Hydra
source of ``compare`` reads them from each job of a multirun; the TensorBoard source reads
event files. They all use this module, so that a file means the same everywhere.

The files, in the order they are looked for (the first found wins):

1. ``metrics.json`` at the top of the run folder;
2. Hugging Face Trainer's ``all_results.json``, then ``eval_results.json``;
3. TensorBoard event files (``events.out.tfevents.*``), all of a run's read together;
4. a Lightning ``metrics.csv`` (the newest, when several ``version_N`` folders hold one).

Naming rules, the same for every file: a JSON object's nested keys are joined with ``/``
(``{"test": {"acc": 0.7}}`` is ``test/acc``, as TensorBoard names the same tag); a CSV
column or a TensorBoard tag keeps its name as written. Callers may normalise further (script
mode matches names without regard to case or to ``/`` ``.`` ``_``).

Values: non-numbers and booleans are skipped; NaN and infinities are kept, so that each
caller decides (script mode records a NaN metric as a failed run; ``compare`` leaves it out).
A metric logged over steps (CSV, event files) is reduced to one value by ``At``: the value at
the highest step, or the best (highest) one.

TensorBoard files are read with a small protobuf reader of their own, so that no TensorBoard
install is needed.
"""

from __future__ import annotations

import csv
import json
import math
import struct
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from auditkit.errors import DataError

#: Hugging Face Trainer's result files, in the order they are looked for
HF_FILES = ("all_results.json", "eval_results.json")
#: JSON files of final metrics, in the order they are looked for
JSON_FILES = ("metrics.json", *HF_FILES)
#: how TensorBoard names its event files
EVENTS_GLOB = "events.out.tfevents.*"
#: columns of Lightning's CSVLogger that count steps, not metrics
LIGHTNING_INDEX = ("epoch", "step")

#: ``(step, value)`` pairs of one metric, in the order logged
Series = list[tuple[float, float]]


class At(StrEnum):
    """Which value of a metric logged at many steps stands for the run."""

    LAST = "last"  #: the value at the highest step (the run's final model)
    BEST = "best"  #: the highest value at any step (a selected checkpoint)


def pick(values: Sequence[tuple[float, float]], at: At) -> float:
    """Pick the value of a metric logged over steps.

    Parameters
    ----------
    values
        ``(step, value)`` pairs, in the order logged; sequence of length >= 1.
    at
        ``LAST``: the value at the highest step (the latest logged among equal steps);
        ``BEST``: the highest value, NaN left out (auditkit's claims are "higher is
        better"); NaN when every value is NaN.

    Returns
    -------
    float
    """
    if at is At.BEST:
        numbers = [v for _, v in values if not math.isnan(v)]
        return max(numbers) if numbers else math.nan
    last_step = max(s for s, _ in values)
    return [v for s, v in values if s == last_step][-1]


def reduce_series(series: Mapping[str, Sequence[tuple[float, float]]], at: At) -> dict[str, float]:
    """One value per metric logged over steps (``pick``); metrics never logged are left out.

    Parameters
    ----------
    series
        Metric name -> ``(step, value)`` pairs.
    at
        The last or the best value.

    Returns
    -------
    dict
        Metric name -> value.
    """
    return {name: pick(values, at) for name, values in series.items() if values}


# ------------------------------------------------------------------------------- JSON


def flatten_json(data: object, prefix: str = "") -> dict[str, float]:
    """The numbers of a JSON value, nested keys joined with ``/``.

    Parameters
    ----------
    data
        A decoded JSON value (usually an object).
    prefix
        The name of ``data`` itself ("" at the top).

    Returns
    -------
    dict
        ``{"test/acc": 0.7, "epochs": 3.0}`` for ``{"test": {"acc": 0.7}, "epochs": 3}``;
        booleans, strings, lists and nulls are left out.
    """
    out: dict[str, float] = {}
    if isinstance(data, Mapping):
        for key, value in data.items():
            out.update(flatten_json(value, f"{prefix}/{key}" if prefix else str(key)))
    elif isinstance(data, int | float) and not isinstance(data, bool) and prefix:
        out[prefix] = float(data)
    return out


def read_json_metrics(file: Path) -> dict[str, float]:
    """The numbers of a JSON metrics file (``metrics.json``, HF ``*_results.json``).

    Parameters
    ----------
    file
        The JSON file.

    Returns
    -------
    dict
        Metric name -> value (``flatten_json``).

    Raises
    ------
    DataError
        The file is unreadable, not JSON, or not a JSON object.
    """
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError too
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
    return flatten_json(data)


# ------------------------------------------------------------------------- Lightning


def read_lightning_series(file: Path) -> dict[str, Series]:
    """Every numeric column of a Lightning ``metrics.csv``, over its steps.

    Lightning's CSVLogger writes one row per logging call, with empty cells for the
    metrics not logged in it; rows without a ``step`` count by their position.

    Parameters
    ----------
    file
        The CSV file.

    Returns
    -------
    dict
        Column -> ``(step, value)`` pairs; ``epoch`` and ``step`` are not metrics.

    Raises
    ------
    DataError
        The file cannot be read as CSV.
    """
    series: dict[str, Series] = {}
    try:
        with file.open(newline="", encoding="utf-8") as fh:
            for index, row in enumerate(csv.DictReader(fh)):
                step_text = (row.get("step") or "").strip()
                try:
                    step = float(step_text) if step_text else float(index)
                except ValueError:
                    step = float(index)
                for column, cell in row.items():
                    if column is None or column in LIGHTNING_INDEX or not (cell or "").strip():
                        continue
                    try:
                        series.setdefault(column, []).append((step, float(cell)))
                    except ValueError:
                        continue
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(
            f"{file}: not readable as a Lightning metrics.csv ({exc})", slug="run-metrics-file"
        ) from None
    return series


# ------------------------------------------------------------------------ TensorBoard


@dataclass(frozen=True, slots=True, kw_only=True)
class EventLog:
    """What a run's TensorBoard event files hold."""

    #: tag -> ``(step, value)`` pairs in the order logged
    scalars: dict[str, Series]
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


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> Iterator[tuple[int, int, bytes | int]]:
    """``(field number, wire type, value)`` of a protobuf message's fields.

    Varints come as ``int``, everything else as the field's raw bytes.
    """
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield number, wire, value
            continue
        if wire == 2:
            size, pos = _varint(buf, pos)
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
        else:  # groups: never written by TensorBoard writers
            return
        if pos + size > len(buf):
            raise IndexError("truncated protobuf field")
        yield number, wire, buf[pos : pos + size]
        pos += size


def _messages(buf: bytes, number: int) -> Iterator[bytes]:
    """The length-delimited fields ``number`` of a message."""
    for fnum, wire, item in _fields(buf):
        if fnum == number and wire == 2 and isinstance(item, bytes):
            yield item


def _first(buf: bytes, number: int) -> bytes | int | None:
    return next((item for fnum, _, item in _fields(buf) if fnum == number), None)


def _tensor_number(tensor: bytes) -> float | None:
    """The value of a one-number float or double ``TensorProto``, else None."""
    dtype = _first(tensor, 1)
    numbers: list[float] = []
    for fnum, _, item in _fields(tensor):
        if not isinstance(item, bytes):
            continue
        if fnum == 4 and dtype == 1:  # tensor_content of a DT_FLOAT: raw little-endian
            numbers += struct.unpack(f"<{len(item) // 4}f", item)
        elif fnum == 4 and dtype == 2:  # ... of a DT_DOUBLE
            numbers += struct.unpack(f"<{len(item) // 8}d", item)
        elif fnum == 5:  # float_val, packed (wire 2) or not (wire 5)
            numbers += struct.unpack(f"<{len(item) // 4}f", item)
        elif fnum == 6:  # double_val
            numbers += struct.unpack(f"<{len(item) // 8}d", item)
    return float(numbers[0]) if len(numbers) == 1 else None


def _hparams(content: bytes) -> dict[str, str]:
    """The hparams of the hparams plugin's session-start record (``HParamsPluginData``)."""
    out: dict[str, str] = {}
    for start in _messages(content, 3):  # session_start_info
        for entry in _messages(start, 1):  # map<string, google.protobuf.Value> hparams
            key, value = _first(entry, 1), _first(entry, 2)
            if not isinstance(key, bytes) or not isinstance(value, bytes):
                continue
            for fnum, wire, item in _fields(value):
                if fnum == 2 and wire == 1 and isinstance(item, bytes):  # number_value
                    number = struct.unpack("<d", item)[0]
                    text = str(int(number)) if float(number).is_integer() else str(number)
                elif fnum == 3 and isinstance(item, bytes):  # string_value
                    text = item.decode("utf-8", "replace")
                elif fnum == 4 and isinstance(item, int):  # bool_value
                    text = str(bool(item))
                else:
                    continue
                out[key.decode("utf-8", "replace")] = text
    return out


def _records(data: bytes) -> Iterator[bytes]:
    """The payloads of a TFRecord file: length, its CRC, payload, its CRC (CRCs unchecked)."""
    pos = 0
    while pos + 12 <= len(data):
        (length,) = struct.unpack_from("<Q", data, pos)
        if pos + 12 + length > len(data):
            return  # a truncated last record (a killed writer): keep what was read
        yield data[pos + 12 : pos + 12 + length]
        pos += 12 + length + 4


def read_events(files: Iterable[Path]) -> EventLog:
    """Read the scalars and hparams of one run's TensorBoard event files.

    An ``Event`` holds a step and a ``Summary`` of ``Value``s; a scalar is a value with a
    ``simple_value`` (``torch.utils.tensorboard``, TF1) or a one-number tensor of the
    ``scalars`` plugin (TF2). Read with a small protobuf reader, so that no TensorBoard
    install is needed; a truncated last record (a killed writer) is left out.

    Parameters
    ----------
    files
        Event files of one run, read in the order given; a tag's steps from several
        files join one series.

    Returns
    -------
    EventLog

    Raises
    ------
    DataError
        A file that cannot be read.
    """
    scalars: dict[str, Series] = {}
    hparams: dict[str, str] = {}
    for file in files:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise DataError(f"{file}: cannot read it ({exc})", slug="run-metrics-file") from None
        scalar_tags: set[str] = set()  # TF2 writes the plugin name with a tag's first value
        try:
            for event in _records(data):
                step_field = _first(event, 2)
                step = float(step_field) if isinstance(step_field, int) else 0.0
                for summary in _messages(event, 5):
                    for value in _messages(summary, 1):
                        tag, number, plugin, content = "", None, "", b""
                        for fnum, wire, item in _fields(value):
                            if fnum == 1 and isinstance(item, bytes):
                                tag = item.decode("utf-8", "replace")
                            elif fnum == 2 and wire == 5 and isinstance(item, bytes):
                                number = float(struct.unpack("<f", item)[0])
                            elif fnum == 8 and isinstance(item, bytes):
                                number = _tensor_number(item)
                            elif fnum == 9 and isinstance(item, bytes):
                                for plugin_data in _messages(item, 1):
                                    name, body = _first(plugin_data, 1), _first(plugin_data, 2)
                                    plugin = name.decode() if isinstance(name, bytes) else ""
                                    content = body if isinstance(body, bytes) else b""
                        if plugin == "hparams":
                            hparams.update(_hparams(content))
                            continue
                        if plugin == "scalars":
                            scalar_tags.add(tag)
                        # a tensor counts only as the scalars plugin's (not text, not images)
                        simple = _first(value, 2) is not None
                        if tag and number is not None and (simple or tag in scalar_tags):
                            scalars.setdefault(tag, []).append((step, number))
        except (IndexError, struct.error, UnicodeDecodeError):
            pass  # a damaged record: keep what was read before it
    return EventLog(scalars=scalars, hparams=hparams)


# ------------------------------------------------------------------ a run's metric files


class FileKind(StrEnum):
    """The kinds of metric file a run may write, in the order they are looked for."""

    METRICS_JSON = "metrics.json"
    HF_ALL = "all_results.json"
    HF_EVAL = "eval_results.json"
    TENSORBOARD = "TensorBoard events"
    LIGHTNING = "Lightning metrics.csv"


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricFile:
    """One metric file of a run (for TensorBoard: all of the run's event files)."""

    kind: FileKind
    #: the files read, sorted; one but for TensorBoard
    paths: tuple[Path, ...]

    def read(self, at: At = At.LAST) -> dict[str, float]:
        """Read the file's metrics.

        Parameters
        ----------
        at
            For metrics logged over steps: the last or the best value.

        Returns
        -------
        dict
            Metric name -> value, named as the module's docstring says.

        Raises
        ------
        DataError
            A file that is not what its name says (malformed JSON, ...).
        """
        if self.kind is FileKind.TENSORBOARD:
            return reduce_series(read_events(self.paths).scalars, at)
        if self.kind is FileKind.LIGHTNING:
            return reduce_series(read_lightning_series(self.paths[0]), at)
        return read_json_metrics(self.paths[0])

    def where(self, folder: Path) -> str:
        """Where the file lies, relative to ``folder`` where it is below it.

        For TensorBoard, the folder of the first event file.
        """
        path = self.paths[0].parent if self.kind is FileKind.TENSORBOARD else self.paths[0]
        try:
            return str(path.relative_to(folder))
        except ValueError:
            return str(path)


def metric_file(path: Path) -> MetricFile:
    """A metric file named by the user, its kind told by its name.

    Parameters
    ----------
    path
        ``events.out.tfevents.*`` is TensorBoard, ``*.csv`` Lightning's CSV, anything else
        a JSON object of metrics.

    Returns
    -------
    MetricFile
    """
    if path.match(EVENTS_GLOB):
        kind = FileKind.TENSORBOARD
    elif path.suffix.lower() == ".csv":
        kind = FileKind.LIGHTNING
    else:
        kind = FileKind.METRICS_JSON
    return MetricFile(kind=kind, paths=(path,))


def metric_files(folder: Path, *, written: Sequence[Path] = ()) -> list[MetricFile]:
    """The metric files of one run, in the order they are looked for.

    Parameters
    ----------
    folder
        The run's folder: ``metrics.json`` counts only at its top; the other files at
        any depth below it.
    written
        Further files the run wrote elsewhere (script mode traces them), searched like the
        files below ``folder``.

    Returns
    -------
    list of MetricFile
        ``metrics.json``; each ``all_results.json``, then each ``eval_results.json`` (the
        written ones first, then by path); all event files as one; the newest
        ``metrics.csv``. Empty when the run wrote none of them.
    """
    below = sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
    files = list(dict.fromkeys(p for p in (*written, *below) if p.is_file()))
    found: list[MetricFile] = []
    if (folder / "metrics.json").is_file():
        found.append(MetricFile(kind=FileKind.METRICS_JSON, paths=(folder / "metrics.json",)))
    for kind in (FileKind.HF_ALL, FileKind.HF_EVAL):
        found += [MetricFile(kind=kind, paths=(p,)) for p in files if p.name == kind.value]
    events = sorted(p for p in files if p.match(EVENTS_GLOB))
    if events:
        found.append(MetricFile(kind=FileKind.TENSORBOARD, paths=tuple(events)))
    lightning = [p for p in files if p.name == "metrics.csv"]
    if lightning:
        newest = max(lightning, key=lambda p: (p.stat().st_mtime, str(p)))
        found.append(MetricFile(kind=FileKind.LIGHTNING, paths=(newest,)))
    return found
