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

Sources 2 to 5 are read by ``auditkit.runfiles``, as ``compare`` reads a Hydra job's
files; script mode then lower-cases every name and turns spaces and dashes into ``_``
(``normalise_name``), and matches declared names regardless of ``/``, ``.`` and ``_``.
A file that is not what its name says (broken JSON) is noted in ``tried`` and skipped: it
is the run's failure, not the audit's.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from auditkit.errors import DataError
from auditkit.runfiles import FileKind, metric_file, metric_files

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
    tried: list[str] = []
    files = metric_files(out_dir, written=written)
    if not any(f.kind is FileKind.METRICS_JSON for f in files):
        tried.append("metrics.json: not written")
    if explicit is not None:
        files = [f for f in files if f.paths != (explicit,)]
        if explicit.is_file():
            files.insert(0, metric_file(explicit))
        else:
            tried.insert(0, f"{explicit.name} (--metrics): not written")
    for file in files:
        named = explicit is not None and file.paths == (explicit,)
        label = f"{file.paths[0].name} (--metrics)" if named else str(file.kind)
        try:
            found = {normalise_name(k): v for k, v in file.read().items()}
        except DataError as exc:
            # a run's own broken file is the run's failure, not the audit's: say so, go on
            tried.append(f"{label}: {exc}")
            continue
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
