"""Reading a script run's metrics back: metrics files, tracker logs, or its printed lines.

Sources are tried in a fixed order and the first that holds the metrics wins; the run's
trace records which one it was, and how each value was read (a percentage is normalised
to a fraction, and the note says so):

1. an explicit path (``--metrics PATH`` or ``metrics:`` in the audit file);
2. ``{run_dir}/metrics.json``;
3. Hugging Face ``all_results.json`` / ``eval_results.json`` the run wrote;
4. TensorBoard event files the run wrote (last value of each scalar);
5. a Lightning ``metrics.csv`` the run wrote (last value of each column);
6. the last ``name: value`` lines printed on stdout (``Test Accuracy: 94.20%`` too).
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

#: HF Trainer's result files, in the order they are tried
HF_FILES = ("all_results.json", "eval_results.json")

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_PAIR = re.compile(
    rf"^\s*([A-Za-z][\w .@/()\-]*?)\s*(?::|=|\bis\b)\s*({_NUMBER}|nan|NaN)\s*(%?)\s*$"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadBack:
    """Metrics read back from one run, and where from."""

    #: metric name -> value (NaN kept, as a failure to report)
    values: Mapping[str, float]
    #: where they came from, e.g. ``"metrics.json"``, ``"stdout"``; "" when nowhere
    source: str
    #: metric -> how it was read, when noteworthy (a percentage)
    notes: Mapping[str, str] = field(default_factory=dict)
    #: every source tried, with what it held, for the "metrics not found" message
    tried: tuple[str, ...] = ()


def normalise_name(name: str) -> str:
    """``"Test Accuracy"`` -> ``"test_accuracy"``; ``"eval/acc"`` -> ``"eval/acc"``."""
    return re.sub(r"[\s\-]+", "_", name.strip()).lower()


def parse_printed(text: str) -> tuple[dict[str, float], dict[str, str]]:
    """``name: value`` pairs printed in ``text``; the last occurrence of a name wins.

    A line may hold several pairs separated by ``|``, ``,`` or ``;``. ``94.20%`` is read
    as 0.942 and noted.

    Returns
    -------
    tuple of dict and dict
        Values by normalised name, and notes by name.
    """
    values: dict[str, float] = {}
    notes: dict[str, str] = {}
    for line in text.splitlines():
        for part in re.split(r"[|,;\t]", line):
            match = _PAIR.match(part)
            if not match:
                continue
            name = normalise_name(match.group(1))
            raw = match.group(2)
            value = float(raw)
            if match.group(3) == "%":
                notes[name] = f"printed as {raw}%, read as {value / 100:g}"
                value /= 100
            else:
                notes.pop(name, None)
            values[name] = value
    return values, notes


def _flatten(data: object, prefix: str = "") -> dict[str, float]:
    """Numbers in nested mappings, keyed by their dotted path."""
    out: dict[str, float] = {}
    if isinstance(data, Mapping):
        for key, value in data.items():
            out.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(data, int | float) and not isinstance(data, bool) and prefix:
        out[prefix] = float(data)
    return out


def read_json_metrics(path: Path) -> dict[str, float]:
    """Numbers in a JSON object (nested keys joined with dots); {} when unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {normalise_name(k): v for k, v in _flatten(data).items()}


def read_lightning_csv(path: Path) -> dict[str, float]:
    """Last non-empty value of each numeric column of a Lightning ``metrics.csv``."""
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    except (OSError, ValueError, csv.Error):
        return {}
    out: dict[str, float] = {}
    for row in rows:
        for key, cell in row.items():
            if key in (None, "step", "epoch") or cell in (None, ""):
                continue
            try:
                out[normalise_name(str(key))] = float(cell)
            except ValueError:
                continue
    return out


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> Iterable[tuple[int, int, bytes | int]]:
    """(field number, wire type, value) of a protobuf message's fields."""
    pos = 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(buf, pos)
            yield number, wire, value
        elif wire == 1:
            yield number, wire, buf[pos : pos + 8]
            pos += 8
        elif wire == 2:
            size, pos = _varint(buf, pos)
            yield number, wire, buf[pos : pos + size]
            pos += size
        elif wire == 5:
            yield number, wire, buf[pos : pos + 4]
            pos += 4
        else:  # groups: not written by TensorBoard writers
            return


def read_tensorboard(path: Path) -> dict[str, float]:
    """Last value of each scalar in a TensorBoard event file.

    The file is a sequence of records (length, CRC, ``Event`` protobuf, CRC); a scalar is
    a ``Summary.Value`` with a tag and a ``simple_value`` (or a one-number float tensor).
    Read with a small protobuf reader, so that no TensorBoard install is needed.
    """
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    out: dict[str, float] = {}
    pos = 0
    try:
        while pos + 12 <= len(data):
            (length,) = struct.unpack_from("<Q", data, pos)
            event = data[pos + 12 : pos + 12 + length]
            pos += 12 + length + 4
            for number, _, summary in _fields(event):
                if number != 5 or not isinstance(summary, bytes):
                    continue
                for vnum, _, value in _fields(summary):
                    if vnum != 1 or not isinstance(value, bytes):
                        continue
                    tag, number_read = "", None
                    for fnum, wire, item in _fields(value):
                        if fnum == 1 and isinstance(item, bytes):
                            tag = item.decode("utf-8", "replace")
                        elif fnum == 2 and wire == 5 and isinstance(item, bytes):
                            number_read = struct.unpack("<f", item)[0]
                        elif fnum == 8 and isinstance(item, bytes):
                            for tnum, twire, titem in _fields(item):
                                if tnum == 5 and twire == 2 and isinstance(titem, bytes):
                                    if len(titem) == 4:
                                        number_read = struct.unpack("<f", titem)[0]
                                elif tnum == 5 and twire == 5 and isinstance(titem, bytes):
                                    number_read = struct.unpack("<f", titem)[0]
                    if tag and number_read is not None:
                        out[normalise_name(tag)] = float(number_read)
    except (IndexError, struct.error):
        pass  # a truncated last record (a killed writer): keep what was read
    return out


def _canonical(name: str) -> str:
    return re.sub(r"[./\-\s]", "_", name)


def _pick(found: Mapping[str, float], wanted: Sequence[str]) -> dict[str, float] | None:
    """The wanted metrics from ``found`` (all of it when nothing is wanted), or None."""
    if not found:
        return None
    if not wanted:
        return dict(found)
    picked = {}
    for name in wanted:
        key = normalise_name(name)
        same = [k for k in found if _canonical(k) == _canonical(key)]
        if key in found:
            picked[name] = found[key]
        elif len(same) == 1:  # "test/acc" or "test.acc" for test_acc
            picked[name] = found[same[0]]
        else:
            # "acc" in the audit file may be "test/acc" or "eval_acc" in the file
            tails = [k for k in found if re.split(r"[/._]", k)[-1] == key or k.endswith(key)]
            if len(tails) != 1:
                return None
            picked[name] = found[tails[0]]
    return picked


def read_metrics(
    *,
    wanted: Sequence[str],
    stdout: str,
    out_dir: Path,
    explicit: Path | None = None,
    written: Sequence[Path] = (),
) -> ReadBack:
    """Find a run's metrics; the first source that holds them all wins.

    Parameters
    ----------
    wanted
        Declared metric names; empty: whatever the first source holds.
    stdout
        The run's standard output.
    out_dir
        The run's ``{run_dir}``.
    explicit
        A metrics file named by the user, if any (JSON, or CSV in Lightning's form).
    written
        Files the run wrote (from its trace), searched for tracker logs.

    Returns
    -------
    ReadBack
        ``source`` is "" when no source held the metrics; ``tried`` says what each held.
    """
    candidates: list[tuple[str, Path | None]] = []
    if explicit is not None:
        candidates.append((f"{explicit.name} (--metrics)", explicit))
    candidates.append(("metrics.json", out_dir / "metrics.json"))
    files = [*written, *(p for p in sorted(out_dir.rglob("*")) if p.is_file())]
    for name in HF_FILES:
        candidates += [(name, p) for p in files if p.name == name]
    candidates += [
        ("TensorBoard events", p) for p in files if p.name.startswith("events.out.tfevents")
    ]
    candidates += [("Lightning metrics.csv", p) for p in files if p.name == "metrics.csv"]
    tried: list[str] = []
    seen: set[Path] = set()
    for label, path in candidates:
        if path is None or path in seen:
            continue
        seen.add(path)
        if not path.is_file():
            tried.append(f"{label}: not written")
            continue
        if path.name.startswith("events.out.tfevents"):
            found = read_tensorboard(path)
        elif path.suffix == ".csv":
            found = read_lightning_csv(path)
        else:
            found = read_json_metrics(path)
        picked = _pick(found, wanted)
        if picked is not None:
            return ReadBack(values=picked, source=label, tried=tuple(tried))
        tried.append(f"{label}: holds {', '.join(sorted(found)) or 'no numbers'}")
    printed, notes = parse_printed(stdout)
    picked = _pick(printed, wanted)
    if picked is not None:
        return ReadBack(
            values=picked,
            source="stdout",
            notes={k: v for k, v in notes.items() if k in {normalise_name(p) for p in picked}}
            if not wanted
            else {w: notes[normalise_name(w)] for w in wanted if normalise_name(w) in notes},
            tried=tuple(tried),
        )
    tried.append(
        "stdout: "
        + (f"prints {', '.join(sorted(printed))}" if printed else "no `name: value` lines")
    )
    return ReadBack(values={}, source="", tried=tuple(tried))
