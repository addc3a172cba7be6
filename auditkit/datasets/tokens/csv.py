"""Load SPR_BENCH-format folders: train.csv, dev.csv, test.csv with columns id,sequence,label."""

from __future__ import annotations

import csv
import difflib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from auditkit.datasets.inputs import (
    check_name,
    data_rows,
    folder_problem,
    header_row,
    missing_splits,
    open_csv,
    split_files,
)
from auditkit.datasets.tokens.grammar import TokenFormatError, parse_token
from auditkit.datasets.tokens.summary import split_statistics
from auditkit.errors import DataError
from auditkit.types import SPLITS, SplitName, TokenDataset, TokenSplit

__all__ = ["COLUMNS", "spr_csv"]

#: the columns every split file must have, in SPR_BENCH's order
COLUMNS: Final[tuple[str, ...]] = ("id", "sequence", "label")
_INTEGER: Final = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True, slots=True)
class _LoadedFile:
    """One parsed split file and the facts recorded in the dataset metadata."""

    split: TokenSplit
    #: hex SHA-256 of the file's bytes, as read
    sha256: str


def spr_csv(folder: str | os.PathLike[str], *, name: str | None = None) -> TokenDataset:
    """Load an SPR_BENCH-format folder as a :class:`~auditkit.types.TokenDataset`.

    The folder must hold ``train.csv``, ``dev.csv`` and ``test.csv``, each UTF-8 with the
    header ``id,sequence,label`` (columns in any order; LF or CRLF line endings; a UTF-8
    byte-order mark is tolerated). Sequences are kept exactly as written, minus the line
    ending; every token must parse as a shape glyph plus an optional colour letter. Blank
    lines are skipped.

    Parameters
    ----------
    folder
        Path of the folder, e.g. ``"SPR_BENCH/"``.
    name
        Dataset name; defaults to ``"spr_csv('<folder name>')"``.

    Returns
    -------
    TokenDataset
        Splits with the file's ids, sequences and integer labels (each a tuple of length
        n_rows); ``metadata`` holds ``source`` (the resolved folder), ``files`` (per split:
        resolved ``path``, ``sha256`` of the bytes, ``rows``) and ``splits`` (per-split
        statistics from :func:`auditkit.datasets.spr.split_statistics`).

    Raises
    ------
    DataError
        When the folder or a split file is missing, or a file is not UTF-8, is empty, has a
        wrong header, a row with the wrong number of fields, a label that is not a
        non-negative integer, an empty sequence, an unknown token or a duplicate id, or when
        all rows share one label. Messages start with ``file:line`` where there is a line.
    """
    root, paths = _check_folder(folder, name)
    loaded = {split: _read_split(paths[split], split) for split in SPLITS}
    labels = sorted({label for item in loaded.values() for label in item.split.labels})
    if len(labels) < 2:
        raise DataError(
            f"{root}: every row of train.csv, dev.csv and test.csv has label {labels[0]}. "
            "An audit needs at least two classes: with one, every metric is trivial and no "
            "claim can be tested. Check the label column, and that this is the folder you "
            "meant.",
            slug="csv-one-class",
        )
    metadata: dict[str, Any] = {
        "source": str(root.resolve()),
        "files": {
            split: {
                "path": str(paths[split].resolve()),
                "sha256": loaded[split].sha256,
                "rows": len(loaded[split].split),
            }
            for split in SPLITS
        },
        "splits": {split: split_statistics(loaded[split].split) for split in SPLITS},
    }
    return TokenDataset(
        name=name if name is not None else f"spr_csv({root.resolve().name!r})",
        train=loaded["train"].split,
        dev=loaded["dev"].split,
        test=loaded["test"].split,
        metadata=metadata,
    )


def _option_error(option: str, value: object, why: str, instead: str) -> DataError:
    return DataError(
        f"spr_csv({option}={value!r}): {why}. Write e.g. {instead}.", slug="csv-option"
    )


def _check_folder(folder: object, name: object) -> tuple[Path, dict[SplitName, Path]]:
    """The folder and its three split files, once the options and the files are checked."""
    if not isinstance(folder, str | os.PathLike):
        raise DataError(
            f"spr_csv(folder={folder!r}): a folder is a path (str or pathlib.Path). "
            "Write e.g. spr_csv('SPR_BENCH/').",
            slug="csv-folder-missing",
        )
    check_name(_option_error, name, "name='SPR_BENCH'")
    root = Path(folder)
    what = folder_problem(root)
    if what is not None:
        raise DataError(
            f"{root}: the SPR_BENCH folder {what} (resolved: {root.resolve()}). spr_csv reads "
            "train.csv, dev.csv and test.csv from one folder. Check the path, or generate "
            "data instead with auditkit.datasets.spr(...).",
            slug="csv-folder-missing",
        )
    paths = split_files(root)
    missing = missing_splits(root, paths)
    if missing is not None:
        raise DataError(
            missing + "An audit needs all three splits: it trains on train, selects epochs on "
            "dev and reports on test, so a missing split cannot be filled in silently. Add the "
            "missing files (header id,sequence,label), or point spr_csv at a complete "
            "SPR_BENCH folder.",
            slug="csv-split-missing",
        )
    return root, paths


def _read_split(path: Path, split: SplitName) -> _LoadedFile:
    """Parse one split file; every problem becomes a DataError starting with ``path:line``."""
    reader, sha256 = open_csv(
        path,
        "SPR_BENCH files are UTF-8, since the shape glyphs ▲ ■ ● ◆ are not ASCII, and "
        "guessing another encoding would corrupt them.",
    )
    try:
        return _parse_rows(path, split, reader, sha256)
    except csv.Error as exc:
        raise DataError(
            f"{path}:{reader.line_num}: malformed CSV ({exc}). Each line must be "
            "id,sequence,label; quote a field that contains a comma or a quote.",
            slug="csv-fields",
        ) from None


def _parse_rows(path: Path, split: SplitName, reader: Any, sha256: str) -> _LoadedFile:
    header = header_row(reader)
    if header is None:
        raise DataError(
            f"{path}: the file is empty, so the {split} split would have no rows. Write the "
            "header id,sequence,label followed by one row per sequence.",
            slug="csv-empty",
        )
    header_line = reader.line_num
    rows = _RowReader(path, split, header, _column_index(path, header_line, header))
    ids: list[str] = []
    sequences: list[str] = []
    labels: list[int] = []
    for line, row in data_rows(reader):
        row_id, sequence, label = rows.parse(line, row, n_before=len(ids))
        ids.append(row_id)
        sequences.append(sequence)
        labels.append(label)
    if not ids:
        raise DataError(
            f"{path}: the file has a header (line {header_line}) but no rows, so the {split} "
            "split would be empty. Add rows id,sequence,label, or copy the split from the "
            "source benchmark.",
            slug="csv-empty",
        )
    return _LoadedFile(
        split=TokenSplit(ids=tuple(ids), sequences=tuple(sequences), labels=tuple(labels)),
        sha256=sha256,
    )


@dataclass(slots=True)
class _RowReader:
    """Checks the rows of one split file, remembering the ids and tokens seen so far."""

    path: Path
    split: SplitName
    header: list[str]
    #: position of each of :data:`COLUMNS` in the header
    column: dict[str, int]
    #: line of each id's first row
    first_line: dict[str, int] = field(default_factory=dict)
    #: every token string already parsed once
    valid_tokens: set[str] = field(default_factory=set)

    def parse(self, line: int, row: list[str], *, n_before: int) -> tuple[str, str, int]:
        """``(id, sequence, label)`` of the row on ``line``; ``n_before`` rows came first."""
        path = self.path
        if len(row) != len(COLUMNS):
            raise DataError(
                f"{path}:{line}: row has {len(row)} field{'s' if len(row) != 1 else ''}, "
                f"expected {len(COLUMNS)} ({','.join(self.header)}): {row!r}. Every row needs "
                "an id, a sequence and a label. Quote a sequence that contains a comma, and "
                "remove stray commas.",
                slug="csv-fields",
            )
        row_id = row[self.column["id"]]
        sequence = row[self.column["sequence"]]
        label_text = row[self.column["label"]].strip()
        self._check_id(line, row_id, n_before)
        label = self._label(line, label_text)
        self._check_tokens(line, row_id, sequence)
        return row_id, sequence, label

    def _check_id(self, line: int, row_id: str, n_before: int) -> None:
        if not row_id.strip():
            raise DataError(
                f"{self.path}:{line}: empty id. Ids name rows in reports and duplicate scans. "
                f"Give the row an id such as {self.split}_{n_before}.",
                slug="csv-duplicate-id",
            )
        if row_id in self.first_line:
            raise DataError(
                f"{self.path}:{line}: id {row_id!r} already used on line "
                f"{self.first_line[row_id]}. Ids name rows in reports and duplicate scans, so "
                "each must be unique within a file. Rename one of the rows, or remove the "
                "duplicate.",
                slug="csv-duplicate-id",
            )
        self.first_line[row_id] = line

    def _label(self, line: int, label_text: str) -> int:
        if not _INTEGER.fullmatch(label_text):
            raise DataError(
                f"{self.path}:{line}: label {label_text!r} is not an integer. Labels are class "
                "indices 0, 1, ...; write e.g. 0 or 1 (not 1.0, True or a class name).",
                slug="csv-label",
            )
        label = int(label_text)
        if label < 0:
            raise DataError(
                f"{self.path}:{line}: label {label} is negative. Labels are class indices "
                "0 .. n_classes - 1, which models use to index their outputs. Renumber the "
                "classes from 0.",
                slug="csv-label",
            )
        return label

    def _check_tokens(self, line: int, row_id: str, sequence: str) -> None:
        tokens = sequence.split()
        if not tokens:
            raise DataError(
                f"{self.path}:{line}: empty sequence for id {row_id!r}. A model cannot read an "
                "empty sequence and its variety weights would be 0. Remove the row or fill "
                "in its tokens, separated by single spaces (e.g. ▲r ■g).",
                slug="csv-empty-sequence",
            )
        for position, token in enumerate(tokens):
            if token in self.valid_tokens:
                continue
            try:
                parse_token(token)
            except TokenFormatError as exc:
                raise DataError(
                    f"{self.path}:{line}: unknown token {token!r} (token {position + 1} of id "
                    f"{row_id!r}): {exc}. Every token must be a shape with an optional colour, "
                    "or shape and colour factors cannot be read. Fix the token, or check that "
                    "tokens are separated by single spaces.",
                    slug="csv-token",
                ) from None
            self.valid_tokens.add(token)


def _column_index(path: Path, line: int, header: list[str]) -> dict[str, int]:
    """Map each expected column to its position in ``header``, or raise a DataError."""
    found = [name.strip() for name in header]
    if sorted(found) == sorted(COLUMNS):
        return {name: found.index(name) for name in COLUMNS}
    missing = [c for c in COLUMNS if c not in found]
    unexpected = [c for c in found if c not in COLUMNS]
    details = []
    if missing:
        details.append(f"missing {', '.join(missing)}")
    if unexpected:
        hints = []
        for name in unexpected:
            close = difflib.get_close_matches(name.lower(), missing, n=1, cutoff=0.5)
            hints.append(f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name))
        details.append(f"unexpected {', '.join(hints)}")
    duplicated = sorted({c for c in found if found.count(c) > 1})
    if duplicated:
        details.append(f"repeated {', '.join(duplicated)}")
    looks_like_data = len(found) == len(COLUMNS) and _INTEGER.fullmatch(found[-1]) is not None
    hint = (
        " The first line looks like a data row: the header line is probably missing."
        if looks_like_data
        else ""
    )
    raise DataError(
        f"{path}:{line}: header has columns {found!r}; expected {','.join(COLUMNS)} "
        f"({'; '.join(details)}).{hint} The loader finds ids, sequences and labels by column "
        f"name. Make the first line exactly {','.join(COLUMNS)}.",
        slug="csv-header",
    )
