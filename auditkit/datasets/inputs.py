"""What every generator and loader shares: reading UTF-8 CSV files and checking options.

The loaders (:func:`~auditkit.datasets.spr_csv`, :func:`~auditkit.datasets.features_csv`,
:func:`~auditkit.datasets.image_folder`) and the generators
(:func:`~auditkit.datasets.spr`, :func:`~auditkit.datasets.shapes`,
:func:`~auditkit.datasets.features`, ...) check their arguments the same way. Each keeps
its own message factory (an :data:`OptionError`, which names the function and carries
the error's help anchor); the checks here take that factory, so every function's messages
stay its own while the checks are written once.
"""

from __future__ import annotations

import csv
import hashlib
import io
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final, TypeAlias, TypeGuard

import numpy as np

from auditkit.errors import DataError
from auditkit.types import SPLITS, SplitName

__all__ = [
    "OptionError",
    "check_int",
    "check_name",
    "check_number",
    "data_rows",
    "decode_utf8",
    "folder_problem",
    "header_row",
    "is_int",
    "is_number",
    "is_real",
    "missing_splits",
    "open_csv",
    "split_files",
]

#: builds the error for one bad option: ``fail(option, value, why, instead)``; each
#: function has its own, which names the function and the help anchor (slug)
OptionError = Callable[[str, object, str, str], DataError]
#: the phrase of every "name=" check
_NAME_WHY: Final = "a dataset name must be a non-empty string"


# --------------------------------------------------------------------------- values


#: what :func:`is_number` accepts
Number: TypeAlias = int | float | np.integer[Any] | np.floating[Any]


def is_int(value: object) -> TypeGuard[int | np.integer[Any]]:
    """Whether ``value`` is a Python or numpy integer (a bool is not)."""
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[Number]:
    """Whether ``value`` is a Python or numpy integer or float (a bool is not)."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def is_real(value: object) -> TypeGuard[Number]:
    """Whether ``value`` is a finite number (:func:`is_number`, not NaN or infinite)."""
    return is_number(value) and math.isfinite(value)


def check_int(
    fail: OptionError,
    option: str,
    value: object,
    minimum: int,
    instead: str,
    *,
    maximum: int | None = None,
    because: str = "",
) -> int:
    """``value`` as an ``int`` from ``minimum`` (to ``maximum``), or ``fail``'s error.

    ``because`` follows the bound in the message when there is no maximum, e.g.
    ``" (one training image per shape)"``.
    """
    bound = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}{because}"
    if not is_int(value) or value < minimum or (maximum is not None and value > maximum):
        raise fail(option, value, f"must be an integer {bound}", instead)
    return int(value)


def check_number(
    fail: OptionError,
    option: str,
    value: object,
    low: float,
    high: float,
    why: str,
    instead: str,
    *,
    include_low: bool = True,
    include_high: bool = True,
) -> float:
    """``value`` as a finite ``float`` between ``low`` and ``high``, or ``fail``'s error.

    Each bound is inclusive unless ``include_low`` / ``include_high`` is false; NaN and
    infinities are always refused.
    """
    if not is_number(value):
        raise fail(option, value, why, instead)
    number = float(value)
    # NaN fails every comparison, so it is refused here too
    above_low = low <= number if include_low else low < number
    below_high = number <= high if include_high else number < high
    if not (above_low and below_high and math.isfinite(number)):
        raise fail(option, value, why, instead)
    return number


def check_name(fail: OptionError, name: object, instead: str, *, optional: bool = True) -> None:
    """Refuse a dataset ``name`` that is not a non-empty string (None passes if optional)."""
    if optional and name is None:
        return
    if not isinstance(name, str) or not name.strip():
        raise fail("name", name, _NAME_WHY + (" (or None)" if optional else ""), instead)


# --------------------------------------------------------------------------- folders


def folder_problem(root: Path) -> str | None:
    """What is wrong with ``root`` as a folder (``"does not exist"``, ...), or None."""
    if root.is_dir():
        return None
    return "is a file, not a folder" if root.exists() else "does not exist"


def split_files(root: Path) -> dict[SplitName, Path]:
    """``train.csv``, ``dev.csv`` and ``test.csv`` in ``root``, by split."""
    return {split: root / f"{split}.csv" for split in SPLITS}


def missing_splits(root: Path, paths: dict[SplitName, Path]) -> str | None:
    """The start of the message for split files that are missing, or None when none is.

    It names the missing and the found files and any other CSV files in ``root``, and ends
    with ``". "``: the caller adds why all three splits are needed and what to do.
    """
    missing = [p.name for p in paths.values() if not p.is_file()]
    if not missing:
        return None
    found = [p.name for p in paths.values() if p.is_file()]
    expected = {p.name for p in paths.values()}
    others = sorted(p.name for p in root.glob("*.csv") if p.name not in expected)
    return (
        f"{root}: missing {', '.join(missing)}; found "
        f"{', '.join(found) if found else 'none of train.csv, dev.csv, test.csv'}"
        f"{' (other CSV files here: ' + ', '.join(others) + ')' if others else ''}. "
    )


# --------------------------------------------------------------------------- CSV files


def decode_utf8(path: Path, data: bytes, *, why: str, slug: str) -> str:
    """The text of a data file's bytes, which must be UTF-8.

    Parameters
    ----------
    path
        The file, named in the error.
    data
        Its bytes.
    why
        The sentence that tells the user why auditkit will not guess another encoding.
    slug
        The error's help anchor.

    Returns
    -------
    str
        The decoded text (a byte-order mark kept).

    Raises
    ------
    DataError
        ``path:line: not valid UTF-8 ...`` naming the byte and its offset.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise DataError(
            f"{path}:{line}: not valid UTF-8: byte 0x{data[exc.start]:02x} at byte offset "
            f"{exc.start} ({exc.reason}). {why} Re-save the file as UTF-8 (e.g. iconv "
            "-f latin1 -t utf-8).",
            slug=slug,
        ) from None


def open_csv(path: Path, why_utf8: str) -> tuple[Any, str]:
    """A ``csv.reader`` over a UTF-8 file, and the SHA-256 of its bytes.

    A byte-order mark is dropped and any line ending accepted. ``why_utf8`` is the
    sentence that tells the user, in a decoding error, why auditkit will not guess.

    Raises
    ------
    DataError
        ``path:line: not valid UTF-8 ...`` naming the byte and its offset.
    """
    data = path.read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    text = decode_utf8(path, data, why=why_utf8, slug="csv-encoding")
    # tools such as Excel write a byte-order mark; it is not part of the first column name
    text = text.removeprefix("\ufeff")
    # newline="" lets the csv module see CRLF and LF itself, so fields keep no "\r"
    return csv.reader(io.StringIO(text, newline=""), strict=True), sha256


def header_row(reader: Any) -> list[str] | None:
    """The first non-blank row of a ``csv.reader`` (its line is ``reader.line_num``)."""
    for row in reader:
        if row:  # the csv module yields [] for a blank line
            return list(row)
    return None


def data_rows(reader: Any) -> Iterator[tuple[int, list[str]]]:
    """``(line, row)`` for every further non-blank row of a ``csv.reader``, 1-based line."""
    for row in reader:
        if row:
            yield reader.line_num, row
