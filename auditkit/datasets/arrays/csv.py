"""Feature datasets from CSV: one file (split here) or a folder of split files (used as given).

Files are UTF-8 with a header row; every column other than the label (and id) column is a
numeric feature. Labels sort numerically when every label is a whole number, else as text.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from auditkit.datasets.arrays.splits import (
    DEFAULT_FRACTION,
    FLOAT32_MAX,
    Part,
    build_dataset,
    check_bool,
    check_fractions,
    check_seed,
    is_number_text,
    option_error,
    split_indices,
)
from auditkit.datasets.inputs import (
    check_name,
    data_rows,
    header_row,
    missing_splits,
    open_csv,
    split_files,
)
from auditkit.errors import DataError, did_you_mean
from auditkit.types import SPLITS, FeatureDataset, SplitName

__all__ = ["features_csv"]

_FUNC: Final = "features_csv"

_INTEGER: Final = re.compile(r"[+-]?[0-9]+")


# long only for its numpydoc docstring, the reference of every option; the body is short
def features_csv(
    path: str | os.PathLike[str],
    *,
    label: str = "label",
    dev: float | None = None,
    test: float | None = None,
    seed: int = 0,
    id_column: str | None = None,
    stratify: bool = True,
    name: str | None = None,
) -> FeatureDataset:
    """Load numeric features from one CSV file (split here) or a folder of split files.

    A file is split as :func:`features` splits arrays. A folder must hold ``train.csv``,
    ``dev.csv`` and ``test.csv`` with the same columns (in any order), which are used as
    given. Files are UTF-8 (a byte-order mark is tolerated) with a header row; blank lines
    are skipped. Every column other than the label and id columns is a feature and must
    hold a finite number in every row.

    Parameters
    ----------
    path
        A ``.csv`` file, or a folder holding ``train.csv``, ``dev.csv`` and ``test.csv``.
    label
        Name of the column holding the class labels (strings or numbers; sorted unique
        values become ``0 .. k - 1``, numerically when every label is a whole number).
    dev, test
        Fractions of a single file's rows for the dev and test splits (default 0.2 each);
        not allowed for a folder, whose split files are used as given.
    seed
        Seed of a single file's split; unused for a folder.
    id_column
        Name of a column of unique row identifiers (unique within each file); by default
        a row's id is ``"<file name>:<line>"``.
    stratify
        Stratify a single file's split by class, as in :func:`features`; unused for a
        folder.
    name
        Dataset name; defaults to ``"features_csv('<file or folder name>')"``.

    Returns
    -------
    FeatureDataset
        Inputs of shape (n_split, n_features), labels of shape (n_split,), and
        ``feature_names`` in the order of the (train) file's header. ``metadata`` holds
        ``source`` (the resolved path), ``files`` (per split: resolved ``path``,
        ``sha256`` of the file's bytes, ``rows`` of the split; for a single file every
        split names that file), ``options``, ``classes``, ``splits`` and ``pitfalls``
        (empty).

    Raises
    ------
    DataError
        When the path or a split file is missing, a file is not UTF-8, empty, has no label
        column, no feature column, repeated column names, a ragged row, an empty, non-numeric
        or non-finite feature value, an empty label or a repeated id; when the split files'
        columns differ; when there is one class only; or for an invalid option. Messages
        start with ``file:line`` (1-based, the header is line 1) where there is a line.
    """
    # over 80 lines for its numpydoc docstring (48 lines); the code itself is 48 lines
    root = _check_options(path, label, id_column, name)
    seed = check_seed(_FUNC, seed)
    stratify = check_bool(_FUNC, "stratify", stratify)
    if not root.exists():
        raise DataError(
            f"{root}: no such file or folder (resolved: {root.resolve()}). features_csv reads "
            "one CSV file, or a folder holding train.csv, dev.csv and test.csv. Check the path.",
            slug="csv-folder-missing",
        )
    tables, options = _read_tables(root, label, id_column, dev, test)
    if not root.is_dir():
        options.update(seed=seed, stratify=stratify)
    labels_by_table, classes = _encode_text_labels(tables)
    if len(classes) < 2:
        files = " of " + ", ".join(t.path.name for t in tables.values()) if root.is_dir() else ""
        raise DataError(
            f"{root}: every row{files} has label {classes[0]!r} in column {label!r}. An "
            "audit needs at least two classes: with one, every metric is trivial and no claim "
            "can be tested. Check that label names the class column, and that this is the "
            "data you meant.",
            slug="csv-one-class",
        )
    if root.is_dir():
        parts = {
            split: Part(tables[split].inputs, labels_by_table[split], tables[split].ids)
            for split in SPLITS
        }
        file_of = {split: tables[split] for split in SPLITS}
    else:
        parts = _split_file(root, tables["file"], labels_by_table["file"], classes, options)
        file_of = dict.fromkeys(SPLITS, tables["file"])
    files_meta: dict[str, dict[str, Any]] = {
        split: {
            "path": str(file_of[split].path.resolve()),
            "sha256": file_of[split].sha256,
            "rows": len(parts[split]),
        }
        for split in SPLITS
    }
    return build_dataset(
        name if name is not None else f"features_csv({root.resolve().name!r})",
        parts,
        file_of["train"].columns,
        source=str(root.resolve()),
        options=options,
        classes=classes,
        files=files_meta,
    )


def _check_options(path: object, label: object, id_column: object, name: object) -> Path:
    """The path, once it and the column and dataset names are checked."""
    if not isinstance(path, str | os.PathLike):
        raise option_error(
            _FUNC, "path", path, "a path is a str or pathlib.Path", "features_csv('data.csv')"
        )
    for option, value in (("label", label), ("id_column", id_column)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise option_error(
                _FUNC, option, value, "a column name must be a non-empty string", f"{option}='y'"
            )
    if id_column is not None and id_column == label:
        raise option_error(
            _FUNC,
            "id_column",
            id_column,
            f"the id column cannot also be the label column (label={label!r})",
            "id_column='id'",
        )
    check_name(partial(option_error, _FUNC), name, "name='x'")
    return Path(path)


def _read_tables(
    root: Path, label: str, id_column: str | None, dev: float | None, test: float | None
) -> tuple[dict[str, _Table], dict[str, Any]]:
    """The tables of a folder (by split) or of one file (as ``"file"``), and the options."""
    options: dict[str, Any] = {"label": label, "id_column": id_column}
    if root.is_dir():
        given = [f"{k}={v!r}" for k, v in (("dev", dev), ("test", test)) if v is not None]
        if given:
            raise DataError(
                f"features_csv({', '.join(given)}): {root} is a folder, whose train.csv, "
                "dev.csv and test.csv are used as given, so there is nothing to split. Drop "
                f"{' and '.join(g.split('=')[0] for g in given)}, or pass a single CSV file "
                "to split it.",
                slug="features-option",
            )
        options["layout"] = "folder"
        return _read_folder(root, label, id_column), options
    dev_f, test_f = check_fractions(
        _FUNC,
        DEFAULT_FRACTION if dev is None else dev,
        DEFAULT_FRACTION if test is None else test,
    )
    table = _read_table(root, label, id_column)
    options.update(layout="file", dev=dev_f, test=test_f)
    return {"file": table}, options


def _split_file(
    root: Path,
    table: _Table,
    codes: NDArray[np.int64],
    classes: list[Any],
    options: Mapping[str, Any],
) -> dict[SplitName, Part]:
    """The rows of a single file, split as :func:`~auditkit.datasets.features` splits."""
    index = split_indices(
        # the messages then name the file, e.g. "data.csv: features_csv(dev=0.01): ..."
        f"{root}: features_csv",
        codes,
        classes,
        dev=options["dev"],
        test=options["test"],
        seed=options["seed"],
        stratify=options["stratify"],
    )
    return {s: Part.take(table.inputs, codes, table.ids, index[s]) for s in SPLITS}


@dataclass(frozen=True, slots=True)
class _Table:
    """One parsed CSV file."""

    path: Path
    #: hex SHA-256 of the file's bytes, as read
    sha256: str
    #: feature column names, in header order; shape (n_features,)
    columns: tuple[str, ...]
    #: shape (n_rows, n_features)
    inputs: NDArray[np.float64]
    #: label text per row, stripped; shape (n_rows,)
    labels: tuple[str, ...]
    #: 1-based line of each row; shape (n_rows,)
    lines: tuple[int, ...]
    ids: tuple[str, ...]

    def reordered(self, columns: tuple[str, ...]) -> _Table:
        """The same table with its feature columns in the order of ``columns``."""
        order = [self.columns.index(c) for c in columns]
        return _Table(
            self.path,
            self.sha256,
            columns,
            self.inputs[:, order],
            self.labels,
            self.lines,
            self.ids,
        )


def _read_folder(root: Path, label: str, id_column: str | None) -> dict[str, _Table]:
    paths = split_files(root)
    missing = missing_splits(root, paths)
    if missing is not None:
        raise DataError(
            missing + "A folder must hold all three splits, since an audit trains on train, "
            "selects on dev and reports on test. Add the missing files, or pass a single CSV "
            "file to features_csv to split it.",
            slug="csv-split-missing",
        )
    tables: dict[str, _Table] = {
        split: _read_table(paths[split], label, id_column) for split in SPLITS
    }
    reference = tables["train"]
    for split in ("dev", "test"):
        table = tables[split]
        if set(table.columns) != set(reference.columns):
            lacks = [c for c in reference.columns if c not in table.columns]
            extra = [c for c in table.columns if c not in reference.columns]
            details = []
            if lacks:
                details.append(f"lacks {', '.join(map(repr, lacks))}")
            if extra:
                details.append(f"adds {', '.join(map(repr, extra))}")
            raise DataError(
                f"{table.path}:1: the columns differ from train.csv's: {split}.csv "
                f"{' and '.join(details)}. A model reads the same features in every split; "
                "make the headers name the same columns (their order may differ).",
                slug="csv-header",
            )
        tables[split] = table.reordered(reference.columns)
    return tables


def _read_table(path: Path, label: str, id_column: str | None) -> _Table:
    """Parse one CSV file; every problem becomes a DataError starting with ``path:line``."""
    if not path.is_file():
        raise DataError(
            f"{path}: not a file. features_csv reads one CSV file, or a folder holding "
            "train.csv, dev.csv and test.csv.",
            slug="csv-folder-missing",
        )
    reader, sha256 = open_csv(
        path, "Guessing another encoding could silently change labels and ids."
    )
    try:
        return _parse_table(path, reader, sha256, label, id_column)
    except csv.Error as exc:
        raise DataError(
            f"{path}:{reader.line_num}: malformed CSV ({exc}). Quote a field that contains a "
            "comma or a quote.",
            slug="csv-fields",
        ) from None


def _parse_table(path: Path, reader: Any, sha256: str, label: str, id_column: str | None) -> _Table:
    first = header_row(reader)
    if first is None:
        raise DataError(
            f"{path}: the file is empty. Write a header row naming the columns (including "
            f"{label!r}), then one row per example.",
            slug="csv-empty",
        )
    header = [name.strip() for name in first]
    header_line = reader.line_num
    _check_header(path, header_line, header, label, id_column)
    rows = _TableRows(path, header, header_line, label, id_column)
    for line, row in data_rows(reader):
        rows.add(line, row)
    if not rows.values:
        raise DataError(
            f"{path}: the file has a header (line {header_line}) but no rows. Add one row per "
            "example below the header.",
            slug="csv-empty",
        )
    return _Table(
        path=path,
        sha256=sha256,
        columns=rows.columns,
        inputs=np.asarray(rows.values, dtype=np.float64).reshape(
            len(rows.values), len(rows.columns)
        ),
        labels=tuple(rows.labels),
        lines=tuple(rows.lines),
        ids=tuple(rows.ids),
    )


@dataclass(slots=True)
class _TableRows:
    """The rows of one CSV file as they are checked, with the columns they are read from."""

    path: Path
    header: list[str]
    header_line: int
    label: str
    id_column: str | None
    values: list[list[float]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    #: line of each id's first row
    first_line: dict[str, int] = field(default_factory=dict)

    #: positions of the label and the id column, and of the feature columns
    label_at: int = field(init=False)
    id_at: int | None = field(init=False)
    feature_at: list[int] = field(init=False)
    #: names of the feature columns, in header order
    columns: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.label_at = self.header.index(self.label)
        self.id_at = self.header.index(self.id_column) if self.id_column is not None else None
        self.feature_at = [
            i for i in range(len(self.header)) if i not in (self.label_at, self.id_at)
        ]
        self.columns = tuple(self.header[i] for i in self.feature_at)

    def add(self, line: int, row: list[str]) -> None:
        """Check the row on ``line`` and keep its features, label, line and id."""
        path, header = self.path, self.header
        if len(row) != len(header):
            raise DataError(
                f"{path}:{line}: row has {len(row)} field{'s' * (len(row) != 1)}, but the "
                f"header (line {self.header_line}) names {len(header)} columns: {row!r}. "
                "Every row needs one value per column; quote a value that contains a comma, "
                "and remove stray commas.",
                slug="csv-fields",
            )
        label_text = row[self.label_at].strip()
        if not label_text:
            raise DataError(
                f"{path}:{line}: the label column {self.label!r} is empty. Every row needs a "
                "class label; fill it in or drop the row.",
                slug="csv-label",
            )
        row_id = self._row_id(line, row)
        self.values.append([_parse_number(path, line, header[i], row[i]) for i in self.feature_at])
        self.labels.append(label_text)
        self.lines.append(line)
        self.ids.append(row_id)

    def _row_id(self, line: int, row: list[str]) -> str:
        id_at = self.id_at
        if id_at is None:
            # where the row is, so that a report's row id leads back to the file
            return f"{self.path.name}:{line}"
        row_id = row[id_at].strip()
        if not row_id:
            raise DataError(
                f"{self.path}:{line}: the id column {self.id_column!r} is empty. Ids name rows "
                "in reports and duplicate scans; give the row an id.",
                slug="csv-duplicate-id",
            )
        if row_id in self.first_line:
            raise DataError(
                f"{self.path}:{line}: id {row_id!r} in column {self.id_column!r} was already "
                f"used on line {self.first_line[row_id]}. Ids must be unique within a file; "
                "rename one of the rows or remove the duplicate.",
                slug="csv-duplicate-id",
            )
        self.first_line[row_id] = line
        return row_id


def _check_header(
    path: Path, line: int, header: list[str], label: str, id_column: str | None
) -> None:
    for position, column in enumerate(header):
        if not column:
            raise DataError(
                f"{path}:{line}: column {position + 1} of the header has no name. Name every "
                "column, or remove the trailing comma.",
                slug="csv-header",
            )
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        raise DataError(
            f"{path}:{line}: the header names {', '.join(map(repr, repeated))} more than once. "
            "Columns are found by name, so each name must be unique; rename the copies.",
            slug="csv-header",
        )
    for option, wanted in (("label", label), ("id_column", id_column)):
        if wanted is None or wanted in header:
            continue
        looks_like_data = all(is_number_text(c) for c in header)
        hint = (
            " The first line looks like a data row: a header row naming the columns is required."
            if looks_like_data
            else ""
        )
        raise DataError(
            f"{path}:{line}: no column {wanted!r} ({option}={wanted!r}); the header has "
            f"{', '.join(map(repr, header))}.{did_you_mean(wanted, header)}{hint} Pass "
            f"{option}= the name of the column that holds the "
            f"{'class labels' if option == 'label' else 'row ids'}.",
            slug="csv-header",
        )
    if len(header) == 1 + (id_column is not None):
        raise DataError(
            f"{path}:{line}: the header has no feature columns, only "
            f"{', '.join(map(repr, header))}. Every column other than the label (and id) "
            "column is a numeric feature; add at least one.",
            slug="csv-header",
        )


def _parse_number(path: Path, line: int, column: str, text: str) -> float:
    stripped = text.strip()
    if not stripped:
        raise DataError(
            f"{path}:{line}: column {column!r} is empty. Every feature value must be a number; "
            "impute the missing value or drop the row.",
            slug="csv-number",
        )
    try:
        value = float(stripped)
    except ValueError:
        raise DataError(
            f"{path}:{line}: column {column!r} holds {text!r}, which is not a number; every "
            "column other than the label (and id) column is a numeric feature. Fix the value, "
            "encode a categorical column as numbers, or pass id_column= if it is an id.",
            slug="csv-number",
        ) from None
    if not math.isfinite(value) or abs(value) > FLOAT32_MAX:
        why = (
            "beyond the float32 range (about ±3.4e38) in which inputs are stored"
            if math.isfinite(value)
            else "not a finite number; models cannot train on it"
        )
        raise DataError(
            f"{path}:{line}: column {column!r} holds {text!r}, which is {why}. Impute, "
            "rescale or drop the value.",
            slug="csv-number",
        )
    return value


def _encode_text_labels(
    tables: Mapping[str, _Table],
) -> tuple[dict[str, NDArray[np.int64]], list[Any]]:
    """Labels 0 .. k - 1 per table and the sorted original values (length k).

    Labels sort numerically when every label of every table is a whole number (so ``"10"``
    comes after ``"9"``), else as text.
    """
    every = [(t, i) for t in tables.values() for i in range(len(t.labels))]
    numeric = all(is_number_text(t.labels[i]) for t, i in every)
    values: dict[str, list[Any]] = {}
    if numeric:
        for key, table in tables.items():
            converted: list[Any] = []
            for text, line in zip(table.labels, table.lines, strict=True):
                if _INTEGER.fullmatch(text):
                    converted.append(int(text))
                    continue
                number = float(text)
                if not math.isfinite(number) or number != round(number):
                    raise DataError(
                        f"{table.path}:{line}: label {text!r} is not a whole number. Numeric "
                        "class labels must be whole (0, 1 or 1.0): fractional labels look "
                        "like a regression target, and these datasets are for "
                        "classification. Bin the target into classes first.",
                        slug="csv-label",
                    )
                converted.append(int(number))
            values[key] = converted
    else:
        values = {key: list(table.labels) for key, table in tables.items()}
    classes = sorted({v for vs in values.values() for v in vs})
    code = {value: i for i, value in enumerate(classes)}
    return (
        {key: np.asarray([code[v] for v in vs], dtype=np.int64) for key, vs in values.items()},
        classes,
    )
