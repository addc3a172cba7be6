"""The data files of a script audit: declared ones, or those a first run was seen to read.

A script reads its data itself, so auditkit cannot hand it a dataset. What it can do is
know the files: a declared audit names them (``train``, ``dev``, ``test``), and in the
zero-set-up form the tables a first run read (CSV or JSON lines with a recognisable label
column) become the data. This module finds and describes such files (:class:`DataFile`,
:class:`DataFiles`), parses them with :mod:`auditkit.script.tables` into raw records that
keep every byte of the original (:class:`Table`, re-exported here, so that
:mod:`auditkit.script.fileperturb` can rewrite one field and nothing else), and loads
SPR_BENCH-style files as a
:class:`~auditkit.types.TokenDataset`, so that the data-level rules (shift, leakage,
label-noise ceiling, class imbalance) run on script data as they do on model files.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any, Final

from auditkit.datasets.tokens import TokenFormatError, parse_token, split_statistics
from auditkit.errors import DataError
from auditkit.script.tables import TABLE_SUFFIXES, Field, Record, Table, TableFormat, read_table
from auditkit.types import SPLITS, ScriptFacts, ScriptTrace, SplitName, TokenDataset, TokenSplit

__all__ = [
    "LABEL_COLUMNS",
    "DataFile",
    "DataFiles",
    "DataOrigin",
    "Field",
    "Record",
    "Table",
    "TableFormat",
    "declare_files",
    "discover",
    "discover_files",
    "from_facts",
    "inspect_file",
    "load_dataset",
    "read_table",
    "split_of",
]

#: column names recognised as the label, in order of preference (compared case-insensitively)
LABEL_COLUMNS: Final[tuple[str, ...]] = (
    "label",
    "labels",
    "target",
    "class",
    "y",
    "gold_label",
    "category",
)
#: column names recognised as a row id (compared case-insensitively)
ID_COLUMNS: Final[tuple[str, ...]] = ("id", "idx", "uid", "example_id", "guid")
#: a label column with more distinct values than this is not a classification label
MAX_CLASSES: Final = 100
#: rows inspected to recognise a token-sequence column
_SNIFF_ROWS: Final = 200
#: file or folder name parts that name a split
_SPLIT_WORDS: Final[Mapping[str, SplitName]] = {
    "train": "train",
    "training": "train",
    "dev": "dev",
    "val": "dev",
    "valid": "dev",
    "validation": "dev",
    "test": "test",
    "testing": "test",
    "eval": "test",
}
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")


class DataOrigin(StrEnum):
    """Where the audit learnt which files are the data."""

    DECLARED = "declared"  #: named by the declared audit
    DISCOVERED = "discovered"  #: read by the first run, and parseable as a labelled table


@dataclass(frozen=True, slots=True, kw_only=True)
class DataFile:
    """One labelled table that a script reads."""

    #: absolute path of the file in the project
    path: Path
    #: POSIX path relative to the project root: where a run's directory holds its copy
    relpath: str
    #: the split the file holds, None when its name does not say
    split: SplitName | None
    format: TableFormat
    #: the label column (CSV header name or JSON key)
    label_column: str
    #: the column of SPR-style token sequences (``▲r ■g``), None when there is none
    sequence_column: str | None
    #: the row-id column, None when there is none
    id_column: str | None
    #: number of data rows (blank lines not counted)
    n_rows: int
    #: hex SHA-256 of the file's bytes
    sha256: str
    #: the distinct label values as text (:meth:`Table.column`), integers first, sorted
    classes: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class DataFiles:
    """The data of a script audit: its labelled tables and where they came from."""

    #: project root the relative paths start from
    root: Path
    files: tuple[DataFile, ...]
    origin: DataOrigin

    def split(self, name: SplitName) -> DataFile | None:
        """The file that holds split ``name``, or None."""
        return next((f for f in self.files if f.split == name), None)

    @property
    def relpaths(self) -> tuple[str, ...]:
        """Every file's path relative to the root, in declaration order."""
        return tuple(f.relpath for f in self.files)

    @property
    def data_dirs(self) -> tuple[str, ...]:
        """The folders (relative to the root, POSIX) that hold the files, sorted."""
        return tuple(sorted({str(PurePosixPath(f.relpath).parent) for f in self.files}))

    @property
    def classes(self) -> tuple[str, ...]:
        """Every label value of every file, sorted (see :meth:`DataFile.classes`)."""
        return tuple(sorted({c for f in self.files for c in f.classes}, key=_class_key))

    def roles(self) -> dict[str, str]:
        """Role -> project-relative path: the split, or the path itself for a file with none."""
        return {(f.split or f.relpath): f.relpath for f in self.files}

    def describe(self) -> str:
        """One line for reports: ``train data/train.csv (2000 rows), ...``."""
        return ", ".join(f"{f.split or 'data'} {f.relpath} ({f.n_rows} rows)" for f in self.files)


def _class_key(value: str) -> tuple[int, float, str]:
    """Sort integers numerically before any other label text."""
    if _INTEGER.fullmatch(value):
        return (0, float(int(value)), value)
    return (1, 0.0, value)


def _pick(columns: Sequence[str], names: Sequence[str]) -> str | None:
    lowered = {c.lower(): c for c in reversed(columns)}
    return next((lowered[n] for n in names if n in lowered), None)


def _is_token_column(values: Sequence[str]) -> bool:
    """True when every sampled value is a space-separated SPR token sequence."""
    sample = [v for v in values[:_SNIFF_ROWS] if v.strip()]
    if not sample:
        return False
    try:
        for value in sample:
            for token in value.split():
                parse_token(token)
    except TokenFormatError:
        return False
    return True


def split_of(path: str | Path) -> SplitName | None:
    """The split a file's name says it holds: ``spr_train.csv`` -> ``"train"``, or None.

    The file's stem is read first, then its folder's name (``data/val/part.csv``).
    """
    candidate = Path(path)
    for name in (candidate.stem, candidate.parent.name):
        words = [w for w in re.split(r"[^a-z]+", name.lower()) if w]
        found = {_SPLIT_WORDS[w] for w in words if w in _SPLIT_WORDS}
        if len(found) == 1:
            return found.pop()
    return None


def _plain(path: Path) -> Path:
    """``path`` made absolute without following links.

    A data folder linked into the project (``SPR_BENCH -> /data/...``) is still inside it,
    and each run gets its own copy of the files in it.
    """
    return Path(os.path.normpath(path.absolute()))


def _relpath(root: Path, path: Path) -> str:
    try:
        return _plain(path).relative_to(_plain(root)).as_posix()
    except ValueError:
        raise DataError(
            f"{path}: the data file lies outside the project folder {root}. Each run's "
            "working directory mirrors the project, so auditkit can only give a run its own "
            "copy of files inside it. Move the data into the project (or a link to it), or "
            "run auditkit from a folder that contains both.",
            slug="script-data-outside",
        ) from None


def inspect_file(
    root: Path, path: Path, split: SplitName | None = None, *, guess: bool = True
) -> DataFile:
    """Describe one data file: its format, label, sequence and id columns, rows and classes.

    Parameters
    ----------
    root
        The project root; ``path`` must lie inside it.
    path
        The file (absolute, or relative to ``root``).
    split
        The split it holds; None reads it from the name (:func:`split_of`) when ``guess``.
    guess
        False: a ``split`` of None means the file holds no split.

    Returns
    -------
    DataFile

    Raises
    ------
    DataError
        When the file is missing or unreadable (:func:`read_table`), has no recognisable
        label column, no rows, or a label column with more than ``MAX_CLASSES`` values.
    """
    full = path if path.is_absolute() else root / path
    if not full.is_file():
        raise DataError(
            f"{full}: the data file does not exist{' (it is a folder)' if full.is_dir() else ''}. "
            "Each declared file must exist before the audit starts, so every run can be "
            "given its own copy. Fix the path in the audit file (paths are relative to "
            f"{root}).",
            slug="script-data-missing",
        )
    table = read_table(full)
    label = _pick(table.columns, LABEL_COLUMNS)
    if label is None:
        raise DataError(
            f"{full}:1: no label column among {', '.join(map(repr, table.columns))}. auditkit "
            f"looks for one named {', '.join(LABEL_COLUMNS)} (any case) to permute and flip "
            "labels. Rename the column, or declare the file's label column.",
            slug="script-data-label",
        )
    labels = table.column(label)
    if not labels:
        raise DataError(
            f"{full}: the file has a header but no rows. Add rows, or point the audit at "
            "the file with the data.",
            slug="script-data-empty",
        )
    classes = tuple(sorted(set(labels), key=_class_key))
    if len(classes) > MAX_CLASSES:
        raise DataError(
            f"{full}: column {label!r} holds {len(classes)} distinct values, e.g. "
            f"{', '.join(classes[:3])}; a classification label has at most {MAX_CLASSES}. "
            "Script data checks apply to classification data.",
            slug="script-data-label",
        )
    sequence = next(
        (
            c
            for c in table.columns
            if c not in (label,) and _is_token_column(table.column(c)[:_SNIFF_ROWS])
        ),
        None,
    )
    return DataFile(
        path=full.resolve(),
        relpath=_relpath(root, full),
        split=split if split is not None or not guess else split_of(full),
        format=table.format,
        label_column=label,
        sequence_column=sequence,
        id_column=_pick(table.columns, ID_COLUMNS),
        n_rows=len(labels),
        sha256=hashlib.sha256(full.read_bytes()).hexdigest(),
        classes=classes,
    )


def declare_files(root: Path, mapping: Mapping[str, str | Path]) -> DataFiles:
    """The declared data of a script audit: split name -> path relative to ``root``.

    Parameters
    ----------
    root
        The project root.
    mapping
        Keys ``train``, ``dev`` (optional) and ``test``; values are paths.

    Returns
    -------
    DataFiles
        In the order train, dev, test.

    Raises
    ------
    DataError
        For an unknown split name, a missing train or test entry, or a file that
        :func:`inspect_file` rejects.
    """
    unknown = [k for k in mapping if k not in SPLITS]
    if unknown:
        raise DataError(
            f"data: unknown split {unknown[0]!r}; the data of a script audit is named by "
            "split: train, dev (optional) and test, e.g. data: {train: SPR_BENCH/train.csv, "
            "test: SPR_BENCH/test.csv}.",
            slug="script-data-split",
        )
    missing = [s for s in ("train", "test") if s not in mapping]
    if missing:
        raise DataError(
            f"data: no {' and no '.join(missing)} file declared. Data-influence checks "
            "permute the training labels and flip test labels, so both files are needed; "
            "add e.g. test: SPR_BENCH/test.csv.",
            slug="script-data-split",
        )
    files = tuple(inspect_file(root, Path(mapping[s]), split=s) for s in SPLITS if s in mapping)
    return DataFiles(root=root.resolve(), files=files, origin=DataOrigin.DECLARED)


def discover_files(root: Path, read: Iterable[str | Path]) -> DataFiles | None:
    """The data of a zero-set-up audit: the labelled tables among the files a run read.

    Parameters
    ----------
    root
        The project root; files outside it (the Python library, site-packages) are ignored.
    read
        Paths the run opened for reading (from the start-up shim's trace).

    Returns
    -------
    DataFiles or None
        Files that parse as a table with a label column, ordered train, dev, test, then
        the rest by path; None when there is none. When two files claim one split, the
        split is left unset on both (the report lists them all).
    """
    found: list[DataFile] = []
    seen: set[Path] = set()
    base = _plain(root)
    for item in read:
        path = Path(item)
        full = _plain(path if path.is_absolute() else base / path)
        if full in seen or full.suffix.lower() not in TABLE_SUFFIXES or not full.is_file():
            continue
        seen.add(full)
        if not full.is_relative_to(base) or "site-packages" in full.parts:
            continue
        try:
            found.append(inspect_file(base, full))
        except DataError:
            continue  # a table auditkit cannot use is not data for these checks
    if not found:
        return None
    counts: dict[SplitName | None, int] = {}
    for f in found:
        counts[f.split] = counts.get(f.split, 0) + 1
    unique = [f if f.split is None or counts[f.split] == 1 else _with_split(f, None) for f in found]
    order = {name: i for i, name in enumerate(SPLITS)}
    unique.sort(key=lambda f: (order.get(f.split, 3) if f.split else 3, f.relpath))
    return DataFiles(root=base, files=tuple(unique), origin=DataOrigin.DISCOVERED)


def discover(trace: ScriptTrace, project: Path) -> DataFiles | None:
    """The data a finished run read: :func:`discover_files` over its traced reads.

    Parameters
    ----------
    trace
        The run's trace; files opened for reading that existed count.
    project
        The project root (trace paths are relative to it, or absolute).
    """
    return discover_files(project, [a.path for a in trace.files if a.mode == "read" and a.exists])


def from_facts(facts: ScriptFacts) -> DataFiles | None:
    """The audit's data files as :class:`DataFiles`, from ``ScriptFacts.data_files``.

    Roles ``train``, ``dev`` and ``test`` become splits; other roles have none.

    Returns
    -------
    DataFiles or None
        None when no data file is known.

    Raises
    ------
    DataError
        When a file is no longer readable (see :func:`inspect_file`).
    """
    if not facts.data_files:
        return None
    root = Path(facts.project)
    files = tuple(
        inspect_file(root, Path(path), split=role if role in SPLITS else None, guess=False)
        for role, path in facts.data_files.items()
    )
    origin = DataOrigin.DECLARED if facts.data_declared else DataOrigin.DISCOVERED
    return DataFiles(root=root.resolve(), files=files, origin=origin)


def _with_split(f: DataFile, split: SplitName | None) -> DataFile:
    return DataFile(
        path=f.path,
        relpath=f.relpath,
        split=split,
        format=f.format,
        label_column=f.label_column,
        sequence_column=f.sequence_column,
        id_column=f.id_column,
        n_rows=f.n_rows,
        sha256=f.sha256,
        classes=f.classes,
    )


def class_index(classes: Sequence[str]) -> dict[str, int]:
    """Integer label per class value.

    The value itself when every class is an integer >= 0, else its position in
    ``classes`` (sorted).
    """
    if all(_INTEGER.fullmatch(c) and int(c) >= 0 for c in classes):
        return {c: int(c) for c in classes}
    return {c: i for i, c in enumerate(classes)}


def load_dataset(files: DataFiles) -> TokenDataset | None:
    """The files as a :class:`TokenDataset`, when they hold SPR-style token sequences.

    Parameters
    ----------
    files
        Declared or discovered files; train and test must be among them, each with a
        sequence column. A missing dev split is empty.

    Returns
    -------
    TokenDataset or None
        None when the files are not token-sequence data (the data-level rules then say
        they are skipped, and why). Labels are integers by :func:`class_index` over every
        file's classes; ids are the id column's, else ``<split>_<row>``. ``metadata``
        holds ``source`` (the folder of the test file, so a ``noise-30%`` in the path
        reaches the label-noise rule), ``files`` (per split: path, sha256, rows),
        ``splits`` (statistics) and ``origin`` (declared or discovered).
    """
    train, test = files.split("train"), files.split("test")
    if train is None or test is None:
        return None
    if any(f.sequence_column is None for f in (train, test)):
        return None
    index = class_index(files.classes)
    splits: dict[SplitName, TokenSplit] = {}
    for name in SPLITS:
        f = files.split(name)
        if f is None or f.sequence_column is None:
            splits[name] = TokenSplit(ids=(), sequences=(), labels=())
            continue
        table = read_table(f.path)
        sequences = table.column(f.sequence_column)
        labels = tuple(index[v] for v in table.column(f.label_column))
        ids = (
            table.column(f.id_column)
            if f.id_column is not None
            else tuple(f"{name}_{i}" for i in range(len(labels)))
        )
        splits[name] = TokenSplit(ids=ids, sequences=sequences, labels=labels)
    metadata: dict[str, Any] = {
        "source": str(test.path.parent),
        "origin": str(files.origin),
        "files": {
            f.split: {"path": f.relpath, "sha256": f.sha256, "rows": f.n_rows}
            for f in files.files
            if f.split is not None
        },
        "splits": {name: split_statistics(splits[name]) for name in SPLITS},
    }
    return TokenDataset(
        name=f"script data ({test.path.parent.name or files.root.name})",
        train=splits["train"],
        dev=splits["dev"],
        test=splits["test"],
        metadata=metadata,
    )
