"""Data tables that keep every byte: CSV/TSV and JSON-lines files parsed into raw records.

:func:`read_table` parses a script's data file into a :class:`Table` whose records carry
their exact extent in the file's text, so that :mod:`auditkit.script.fileperturb` can
rewrite one field and nothing else. :mod:`auditkit.script.datafiles` re-exports these names.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from auditkit.datasets.inputs import decode_utf8
from auditkit.errors import DataError

__all__ = ["TABLE_SUFFIXES", "Field", "Record", "Table", "TableFormat", "read_table"]

#: file suffix -> the table format it holds
TABLE_SUFFIXES: Final[Mapping[str, str]] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_LINE: Final = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


class TableFormat(StrEnum):
    """How a data file stores its rows."""

    CSV = "csv"  #: a header line, then one delimited row per line (``.csv`` comma, ``.tsv`` tab)
    JSONL = "jsonl"  #: one JSON object per line


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
    kind = TABLE_SUFFIXES.get(path.suffix.lower())
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
