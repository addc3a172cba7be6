"""The data files of a script audit: declared ones, or those a first run was seen to read.

A script reads its data itself, so auditkit cannot hand it a dataset. What it can do is
know the files: a declared audit names them (``train``, ``dev``, ``test``), and in the
zero-set-up form the tables a first run read (CSV or JSON lines with a recognisable label
column) become the data. This module finds and describes such files (:class:`DataFile`,
:class:`DataFiles`), parses them into raw records that keep every byte of the original
(:class:`Table`, so that :mod:`auditkit.script.fileperturb` can rewrite one field and
nothing else), and loads SPR_BENCH-style files as a
:class:`~auditkit.types.TokenDataset`, so that the data-level rules (shift, leakage,
label-noise ceiling, class imbalance) run on script data as they do on model files.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Any, Final

from auditkit.datasets.inputs import decode_utf8
from auditkit.datasets.tokens import TokenFormatError, parse_token, split_statistics
from auditkit.errors import DataError
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
_SUFFIXES: Final[Mapping[str, str]] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
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
_LINE: Final = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")


class TableFormat(StrEnum):
    """How a data file stores its rows."""

    CSV = "csv"  #: a header line, then one delimited row per line (``.csv`` comma, ``.tsv`` tab)
    JSONL = "jsonl"  #: one JSON object per line


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


@dataclass(frozen=True, slots=True)
class Field:
    """One field of one record: its span in the file's text and its decoded value."""

    #: offsets into :attr:`Table.text` of the field's raw text (quotes included)
    start: int
    end: int
    #: the decoded value (quotes removed, doubled quotes undone)
    value: str
    #: whether the raw text was quoted
    quoted: bool


@dataclass(frozen=True, slots=True)
class Record:
    """One line (or quoted multi-line record) of a table, with its exact raw extent."""

    #: offsets into :attr:`Table.text` of the record, line ending excluded
    start: int
    end: int
    #: the line ending that follows it: ``"\\r\\n"``, ``"\\n"``, ``"\\r"`` or ``""`` at the end
    ending: str
    #: CSV: one entry per field; JSON lines: empty
    fields: tuple[Field, ...]
    #: JSON lines: the parsed object; CSV: None
    obj: Mapping[str, Any] | None
    #: 1-based line number where the record starts
    line: int

    @property
    def blank(self) -> bool:
        """True for an empty line, which carries no row."""
        if self.obj is not None:
            return False
        return len(self.fields) == 1 and not self.fields[0].quoted and not self.fields[0].value


@dataclass(frozen=True, slots=True)
class Table:
    """A parsed data file that keeps every byte: text = prefix + records with their endings.

    ``header`` is the CSV header record (None for JSON lines); ``rows`` are the data
    records in file order (blank lines are kept in ``records`` but not in ``rows``).
    """

    path: Path
    format: TableFormat
    #: the decoded text, byte-order mark excluded
    text: str
    #: ``"\\ufeff"`` when the file starts with a byte-order mark, else ``""``
    bom: str
    #: the field delimiter (CSV only)
    delimiter: str
    records: tuple[Record, ...]
    header: Record | None
    #: column names: CSV header fields, or the keys of the first JSON object
    columns: tuple[str, ...]

    @property
    def rows(self) -> tuple[Record, ...]:
        """The data records, in file order."""
        return tuple(r for r in self.records if r is not self.header and not r.blank)

    def column(self, name: str) -> tuple[str, ...]:
        """Every row's value in column ``name``, as text.

        CSV fields are decoded; a JSON string is its text, any other JSON value its
        compact JSON (``1``, ``true``).

        Raises
        ------
        DataError
            When a row lacks the column.
        """
        out = []
        if self.format is TableFormat.CSV:
            index = self.columns.index(name)
            for row in self.rows:
                if index >= len(row.fields):
                    raise DataError(
                        f"{self.path}:{row.line}: row has {len(row.fields)} fields, expected "
                        f"{len(self.columns)} ({self.delimiter.join(self.columns)}). Every "
                        "row needs a value in every column; quote fields that hold the "
                        "delimiter.",
                        slug="script-data-fields",
                    )
                out.append(row.fields[index].value)
            return tuple(out)
        for row in self.rows:
            assert row.obj is not None  # JSON-lines rows always carry their object
            if name not in row.obj:
                raise DataError(
                    f"{self.path}:{row.line}: the object has no key {name!r} (keys: "
                    f"{', '.join(map(repr, row.obj))}). Every line needs the same keys as "
                    "the first.",
                    slug="script-data-fields",
                )
            out.append(_json_text(row.obj[name]))
        return tuple(out)


def _json_text(value: Any) -> str:
    """A JSON value as text: a string as itself, anything else as compact JSON (``1``)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _class_key(value: str) -> tuple[int, float, str]:
    """Sort integers numerically before any other label text."""
    if _INTEGER.fullmatch(value):
        return (0, float(int(value)), value)
    return (1, 0.0, value)


def read_table(path: Path) -> Table:
    """Parse a CSV/TSV or JSON-lines file into records that keep every byte.

    Parameters
    ----------
    path
        The file; its suffix picks the format (``.csv``, ``.tsv``, ``.jsonl``, ``.ndjson``).

    Returns
    -------
    Table

    Raises
    ------
    DataError
        When the suffix is not a table's, the file is not UTF-8, is empty, has an
        unclosed quote, or a JSON line is not an object; messages start with
        ``path:line``.
    """
    kind = _SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"{path}: {path.suffix or 'no suffix'} is not a table format auditkit reads. "
            "Script data files are CSV (.csv), TSV (.tsv) or JSON lines (.jsonl, .ndjson).",
            slug="script-data-format",
        )
    text = decode_utf8(
        path,
        path.read_bytes(),
        why="auditkit rewrites these files for perturbed runs and will not guess an encoding "
        "that could corrupt them.",
        slug="script-data-encoding",
    )
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text.removeprefix(bom)
    if kind == "jsonl":
        records = _jsonl_records(path, text)
        header = None
        first = next((r for r in records if not r.blank), None)
        columns = tuple(first.obj) if first is not None and first.obj is not None else ()
        delimiter = ""
    else:
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
        records = _csv_records(path, text, delimiter)
        header = next((r for r in records if not r.blank), None)
        columns = tuple(f.value.strip() for f in header.fields) if header is not None else ()
    if not columns:
        raise DataError(
            f"{path}: the file is empty or holds no header. A data file needs a header "
            "line (CSV) or JSON objects with named keys (JSON lines).",
            slug="script-data-empty",
        )
    return Table(
        path=path,
        format=TableFormat(kind),
        text=text,
        bom=bom,
        delimiter=delimiter,
        records=tuple(records),
        header=header,
        columns=columns,
    )


def _lines(text: str) -> Iterable[tuple[int, int, str]]:
    """(start, end, ending) of every line of ``text``; the last may have no ending."""
    position = 0
    while position < len(text):
        match = _LINE.match(text, position)
        assert match is not None  # the pattern matches the empty string
        raw = match.group(0)
        body = raw.rstrip("\r\n")
        yield position, position + len(body), raw[len(body) :]
        position = match.end()


def _jsonl_records(path: Path, text: str) -> list[Record]:
    records = []
    for number, (start, end, ending) in enumerate(_lines(text), start=1):
        body = text[start:end]
        if not body.strip():
            records.append(
                Record(start, end, ending, (Field(start, end, "", False),), None, number)
            )
            continue
        try:
            obj = json.loads(body)
        except json.JSONDecodeError as exc:
            raise DataError(
                f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno}). A JSON-lines "
                "file holds one JSON object per line.",
                slug="script-data-json",
            ) from None
        if not isinstance(obj, dict):
            raise DataError(
                f"{path}:{number}: a JSON {type(obj).__name__}, not an object. A JSON-lines "
                'data file holds one object per line, e.g. {"sequence": "▲r ■g", "label": 1}.',
                slug="script-data-json",
            )
        records.append(Record(start, end, ending, (), obj, number))
    return records


def _csv_records(path: Path, text: str, delimiter: str) -> list[Record]:
    """Split CSV text into records with field spans (RFC 4180 quoting, any line ending)."""
    if '"' not in text:
        # the common case: no quoting, so a record is a line and a field a split of it
        records = []
        for number, (start, end, ending) in enumerate(_lines(text), start=1):
            fields, position = [], start
            for value in text[start:end].split(delimiter):
                fields.append(Field(position, position + len(value), value, False))
                position += len(value) + 1
            records.append(Record(start, end, ending, tuple(fields), None, number))
        return records
    return _csv_records_quoted(path, text, delimiter)


def _csv_records_quoted(path: Path, text: str, delimiter: str) -> list[Record]:
    records: list[Record] = []
    n, i, line = len(text), 0, 1
    while i < n:
        start, start_line, fields = i, line, []
        while True:
            field_start = i
            if i < n and text[i] == '"':
                j, parts = i + 1, []
                while True:
                    close = text.find('"', j)
                    if close < 0:
                        raise DataError(
                            f"{path}:{line}: a quoted field is never closed. Close the quote, "
                            'or double a quote inside a field ("").',
                            slug="script-data-fields",
                        )
                    parts.append(text[j:close])
                    if text.startswith('""', close):
                        parts.append('"')
                        j = close + 2
                        continue
                    j = close + 1
                    break
                value = "".join(parts)
                line += value.count("\n") + value.count("\r") - value.count("\r\n")
                i, quoted = j, True
                if i < n and text[i] not in (delimiter, "\r", "\n"):
                    raise DataError(
                        f"{path}:{line}: text after a closing quote ({text[i : i + 10]!r}). "
                        'Quote the whole field, and double quotes inside it ("").',
                        slug="script-data-fields",
                    )
            else:
                j = i
                while j < n and text[j] not in (delimiter, "\r", "\n"):
                    j += 1
                value, i, quoted = text[i:j], j, False
            fields.append(Field(field_start, i, value, quoted))
            if i < n and text[i] == delimiter:
                i += 1
                continue
            break
        end = i
        ending = "\r\n" if text.startswith("\r\n", i) else (text[i] if i < n else "")
        i += len(ending)
        records.append(Record(start, end, ending, tuple(fields), None, start_line))
        line += 1
    return records


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
        if full in seen or full.suffix.lower() not in _SUFFIXES or not full.is_file():
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
