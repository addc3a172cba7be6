"""File-level perturbations: perturbed copies of a script's data files, written for one run.

A script reads its own files, so a perturbation is a rewrite of those files in the run's
working directory. Each :class:`FilePerturb` is named, seeded and deterministic, and
changes one field of the rows it touches and nothing else: the byte-order mark, line
endings, quoting, column order and untouched rows stay byte for byte. The token
transformations reuse :mod:`auditkit.perturb` (shuffle, mask), so a script sees exactly
what a model file's model sees under the same name.

Families:

- **labels** (the data-influence rule): ``permute_train_labels`` permutes the train
  labels over the rows, so nothing in the inputs predicts them; ``flip_test_labels``
  gives a known share of the test rows another label.
- **tokens** (SPR-style sequence columns): shuffle or reverse token order, draw colour or
  shape from the train file's distribution (``swap_*``), permute each row's colours
  (``color_shift_*``), or mask colour or shape (a separately named probe); each at test
  time only (``*_test``) or in train, dev and test (``*_train_test``). ``permute_*_test``
  permutes colour (shape) across the test rows, position by position, as the model-file
  probe of the same name: the in-distribution probe of reliance. Every test-time
  perturbation of a model file has a file form (:func:`parse_transform`), and so has its
  dev twin (``"permute_color@dev"``): the same perturbation of the dev file alone
  (``split="dev"``).
- **splits**: ``resplit`` pools the rows of train, dev and test and deals them out again
  at random with the same sizes; ``shifted_split`` puts the most varied rows (shape plus
  colour variety) in test.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from hashlib import sha256
from pathlib import Path
from typing import Any, Final

import numpy as np

from auditkit.datasets.tokens import color_variety, shape_variety
from auditkit.errors import DataError
from auditkit.perturb import (
    evaluation_split,
    mask_color,
    mask_shape,
    permute_color,
    permute_shape,
    reverse_tokens,
    shift_color,
    shuffle_tokens,
)
from auditkit.script.datafiles import DataFile, DataFiles, Record, Table, TableFormat, read_table
from auditkit.types import SPLITS, SplitName

__all__ = [
    "PREFIX",
    "FilePerturb",
    "FilePerturbation",
    "PerturbedFile",
    "PerturbedFiles",
    "draw_factor",
    "flip_count",
    "is_file_perturbation",
    "parse_transform",
    "write_perturbed",
]

#: every file perturbation's name starts with this, so a run spec's transform says it
PREFIX: Final = "file:"


class FilePerturbation(StrEnum):
    """The kinds of file-level perturbation."""

    PERMUTE_TRAIN_LABELS = "permute_train_labels"  #: train labels permuted over the rows
    FLIP_TEST_LABELS = "flip_test_labels"  #: a share of test rows given another label
    SHUFFLE_TEST = "shuffle_test"  #: token order shuffled in test
    SHUFFLE_TRAIN_TEST = "shuffle_train_test"  #: token order shuffled in every split
    REVERSE_TEST = "reverse_test"  #: token order reversed in test
    REVERSE_TRAIN_TEST = "reverse_train_test"  #: token order reversed in every split
    COLOR_SHIFT_TEST = "color_shift_test"  #: each test row's colours permuted without fixed point
    COLOR_SHIFT_TRAIN_TEST = "color_shift_train_test"  #: the same in every split
    SWAP_COLOR_TEST = "swap_color_test"  #: colours drawn from train's colours, in test
    SWAP_COLOR_TRAIN_TEST = "swap_color_train_test"  #: the same in every split
    SWAP_SHAPE_TEST = "swap_shape_test"  #: shapes drawn from train's shapes, in test
    SWAP_SHAPE_TRAIN_TEST = "swap_shape_train_test"  #: the same in every split
    MASK_COLOR_TEST = "mask_color_test"  #: colour letters removed, in test
    MASK_COLOR_TRAIN_TEST = "mask_color_train_test"  #: the same in every split
    MASK_SHAPE_TEST = "mask_shape_test"  #: every shape made the same, in test
    MASK_SHAPE_TRAIN_TEST = "mask_shape_train_test"  #: the same in every split
    PERMUTE_COLOR_TEST = "permute_color_test"  #: colours permuted across test rows, per position
    PERMUTE_SHAPE_TEST = "permute_shape_test"  #: shapes permuted across test rows, per position
    RESPLIT = "resplit"  #: rows of every split pooled and dealt out again at random
    SHIFTED_SPLIT = "shifted_split"  #: the most varied rows dealt to test


_DESCRIPTIONS: Final[Mapping[FilePerturbation, str]] = {
    FilePerturbation.PERMUTE_TRAIN_LABELS: "train labels permuted at random over the rows",
    FilePerturbation.FLIP_TEST_LABELS: "{share} of the test rows given another label",
    FilePerturbation.SHUFFLE_TEST: "token order shuffled in every test sequence",
    FilePerturbation.SHUFFLE_TRAIN_TEST: "token order shuffled in every sequence of every split",
    FilePerturbation.REVERSE_TEST: "token order reversed in every test sequence",
    FilePerturbation.REVERSE_TRAIN_TEST: "token order reversed in every sequence of every split",
    FilePerturbation.COLOR_SHIFT_TEST: "every test colour replaced by another, per sequence",
    FilePerturbation.COLOR_SHIFT_TRAIN_TEST: "every colour replaced by another, per sequence",
    FilePerturbation.SWAP_COLOR_TEST: "each test colour drawn at random from train's colours",
    FilePerturbation.SWAP_COLOR_TRAIN_TEST: "each colour drawn at random from train's colours",
    FilePerturbation.SWAP_SHAPE_TEST: "each test shape drawn at random from train's shapes",
    FilePerturbation.SWAP_SHAPE_TRAIN_TEST: "each shape drawn at random from train's shapes",
    FilePerturbation.MASK_COLOR_TEST: "colour removed from every test token",
    FilePerturbation.MASK_COLOR_TRAIN_TEST: "colour removed from every token",
    FilePerturbation.MASK_SHAPE_TEST: "every test token given the same shape",
    FilePerturbation.MASK_SHAPE_TRAIN_TEST: "every token given the same shape",
    FilePerturbation.PERMUTE_COLOR_TEST: (
        "each test token's colour swapped with the colour at its position in another row"
    ),
    FilePerturbation.PERMUTE_SHAPE_TEST: (
        "each test token's shape swapped with the shape at its position in another row"
    ),
    FilePerturbation.RESPLIT: "train, dev and test pooled and re-split at random",
    FilePerturbation.SHIFTED_SPLIT: "the most varied rows moved to test",
}


@dataclass(frozen=True, slots=True)
class FilePerturb:
    """One named, seeded file perturbation.

    Parameters
    ----------
    kind
        What is perturbed.
    seed
        Seed of every random choice (rows, permutations, draws).
    share
        ``flip_test_labels`` only: the share of test rows flipped, in (0, 1].
    split
        ``"dev"``: a test-time token perturbation (``*_test``) applied to the dev file
        instead of the test file (the file form of an ``"...@dev"`` evaluation).
    """

    kind: FilePerturbation
    seed: int = 0
    share: float | None = None
    split: SplitName = "test"

    def __post_init__(self) -> None:
        if not isinstance(self.seed, int) or isinstance(self.seed, bool) or self.seed < 0:
            raise ValueError(f"FilePerturb(seed={self.seed!r}): must be an integer >= 0")
        if self.kind is FilePerturbation.FLIP_TEST_LABELS:
            if self.share is None or not 0 < self.share <= 1:
                raise ValueError(
                    f"FilePerturb(flip_test_labels, share={self.share!r}): the share of test "
                    "rows to flip must be in (0, 1]"
                )
        elif self.share is not None:
            raise ValueError(f"FilePerturb({self.kind}): share applies to flip_test_labels only")
        if self.split not in ("test", "dev"):
            raise ValueError(f"FilePerturb(split={self.split!r}): must be 'test' or 'dev'")
        if self.split == "dev" and self.kind not in _TEST_TOKEN_KINDS:
            raise ValueError(
                f"FilePerturb({self.kind}, split='dev'): only test-time token perturbations "
                f"({', '.join(sorted(_TEST_TOKEN_KINDS))}) have a dev form"
            )

    @property
    def name(self) -> str:
        """The transform name of run specs, e.g. ``"file:flip_test_labels:share=0.5:seed=0"``."""
        share = f":share={self.share:g}" if self.share is not None else ""
        split = ":split=dev" if self.split == "dev" else ""
        return f"{PREFIX}{self.kind.value}{share}{split}:seed={self.seed}"

    @property
    def description(self) -> str:
        """One line for reports."""
        share = f"{100 * self.share:g}%" if self.share is not None else ""
        text = _DESCRIPTIONS[self.kind].format(share=share)
        return text.replace("test", "dev") if self.split == "dev" else text

    @property
    def splits(self) -> tuple[SplitName, ...]:
        """The splits whose files this perturbation rewrites."""
        if self.kind is FilePerturbation.PERMUTE_TRAIN_LABELS:
            return ("train",)
        if self.split == "dev":
            return ("dev",)
        if self.kind.value.endswith("_train_test") or self.kind in (
            FilePerturbation.RESPLIT,
            FilePerturbation.SHIFTED_SPLIT,
        ):
            return SPLITS
        return ("test",)

    @classmethod
    def parse(cls, name: str) -> FilePerturb:
        """The perturbation that :attr:`name` names.

        Raises
        ------
        ValueError
            When ``name`` is not a file perturbation's name.
        """
        if not name.startswith(PREFIX):
            raise ValueError(f"{name!r} is not a file perturbation (names start with {PREFIX!r})")
        kind, *options = name.removeprefix(PREFIX).split(":")
        try:
            settings = dict(option.split("=", 1) for option in options)
            return cls(
                kind=FilePerturbation(kind),
                seed=int(settings.pop("seed", "0")),
                share=float(settings.pop("share")) if "share" in settings else None,
                split=_split(settings.pop("split", "test")),
            )
        except ValueError as exc:
            raise ValueError(f"{name!r} is not a valid file perturbation: {exc}") from None


def _split(value: str) -> SplitName:
    if value not in ("test", "dev"):
        raise ValueError(f"split={value!r} must be test or dev")
    return "dev" if value == "dev" else "test"


def is_file_perturbation(name: str) -> bool:
    """True when ``name`` (a run spec's transform) names a file perturbation."""
    return name.startswith(PREFIX)


#: transforms of model-file rules (``auditkit.perturb.apply_transform`` names) as files
_TRANSFORMS: Final[Mapping[str, FilePerturbation]] = {
    "shuffle": FilePerturbation.SHUFFLE_TRAIN_TEST,
    "reverse": FilePerturbation.REVERSE_TRAIN_TEST,
    "color_shift": FilePerturbation.COLOR_SHIFT_TRAIN_TEST,
    "mask_color": FilePerturbation.MASK_COLOR_TRAIN_TEST,
    "mask_shape": FilePerturbation.MASK_SHAPE_TRAIN_TEST,
}
#: test-time evaluations of model-file rules as files (the script retrains, same seed)
_EVALUATIONS: Final[Mapping[str, FilePerturbation]] = {
    "shuffle": FilePerturbation.SHUFFLE_TEST,
    "reverse": FilePerturbation.REVERSE_TEST,
    "color_shift": FilePerturbation.COLOR_SHIFT_TEST,
    "mask_color": FilePerturbation.MASK_COLOR_TEST,
    "mask_shape": FilePerturbation.MASK_SHAPE_TEST,
    "permute_color": FilePerturbation.PERMUTE_COLOR_TEST,
    "permute_shape": FilePerturbation.PERMUTE_SHAPE_TEST,
}
#: the test-time token perturbations, which also have a dev form (``split="dev"``)
_TEST_TOKEN_KINDS: Final = frozenset(
    k
    for k in FilePerturbation
    if k.value.endswith("_test")
    and not k.value.endswith("_train_test")
    and k is not FilePerturbation.FLIP_TEST_LABELS
)


def parse_transform(name: str, *, test_only: bool = False) -> FilePerturb:
    """The file perturbation that a run spec's transform (or evaluation) names.

    Parameters
    ----------
    name
        A file perturbation's name (``"file:flip_test_labels:share=0.5:seed=0"``), or a
        model-file transform: ``"resplit:<seed>"``, or a token perturbation of
        :data:`auditkit.perturb.TEST_TIME` (``"shuffle"``, ``"reverse"``, ``"mask_color"``,
        ``"mask_shape"``, ``"color_shift"``), applied to train, dev and test.
    test_only
        Read ``name`` as a test-time evaluation (the same token names, and
        ``"permute_color"``, ``"permute_shape"``): a script cannot re-evaluate a trained
        model, so it is run again on the same seed with only its test file perturbed, or
        for an ``"...@dev"`` evaluation only its dev file.

    Returns
    -------
    FilePerturb

    Raises
    ------
    ValueError
        For a name with no file form (an image perturbation, a typo), saying which
        names exist.
    """
    if is_file_perturbation(name):
        return FilePerturb.parse(name)
    if name.startswith("resplit:") and not test_only:
        seed = name.split(":", 1)[1]
        if not seed.isdigit():
            raise ValueError(f"transform {name!r}: the re-split seed must be an integer >= 0")
        return FilePerturb(FilePerturbation.RESPLIT, seed=int(seed))
    table = _EVALUATIONS if test_only else _TRANSFORMS
    split: SplitName = "test"
    base = name
    if test_only:  # "permute_color@dev": the same perturbation, of the dev file
        base, split = evaluation_split(name)
    kind = table.get(base)
    if kind is None:
        known = [*table, *([] if test_only else ["resplit:<seed>"])]
        raise ValueError(
            f"{'evaluation' if test_only else 'transform'} {name!r} has no file form for "
            f"scripts; known: {', '.join(known)}, or a name starting with {PREFIX!r} "
            f"({', '.join(k.value for k in FilePerturbation)})"
            + ("; an evaluation ending in '@dev' perturbs the dev file" if test_only else "")
        )
    return FilePerturb(kind, split=split)


@dataclass(frozen=True, slots=True)
class PerturbedFile:
    """One file written for a perturbed run."""

    relpath: str
    #: hex SHA-256 of the bytes written
    sha256: str
    n_rows: int
    #: rows whose perturbed field (or, for re-splits, whose split) changed
    n_changed: int


@dataclass(frozen=True, slots=True)
class PerturbedFiles:
    """What :func:`write_perturbed` wrote."""

    perturb: FilePerturb
    files: tuple[PerturbedFile, ...]

    @property
    def description(self) -> str:
        """One line for reports, e.g. ``"50% of the test rows given another label"``."""
        return self.perturb.description

    def file(self, relpath: str) -> PerturbedFile | None:
        """The record of one written file, or None."""
        return next((f for f in self.files if f.relpath == relpath), None)


def flip_count(n_rows: int, share: float) -> int:
    """Rows that ``flip_test_labels`` flips in a test file of ``n_rows`` rows (at least 1)."""
    return max(1, min(n_rows, round(share * n_rows)))


def draw_factor(
    sequences: Sequence[str], position: int, marginal: Mapping[str, float], seed: int
) -> tuple[str, ...]:
    """Replace one factor of every token by a value drawn from ``marginal``.

    Parameters
    ----------
    sequences
        Token sequences, shape (n,).
    position
        0 for the shape (first character), 1 for the colour (second character).
    marginal
        Value -> probability (summing to 1); ``""`` stands for "no colour".
    seed
        Seed of the draws.

    Returns
    -------
    tuple of str
        Shape (n,); every token's factor drawn independently, the other factor kept.
    """
    values = sorted(marginal)
    p = np.asarray([marginal[v] for v in values], dtype=np.float64)
    rng = np.random.default_rng(seed)
    out = []
    for sequence in sequences:
        tokens = sequence.split(" ")
        draws = rng.choice(len(values), size=len(tokens), p=p / p.sum())
        if position == 0:
            out.append(" ".join(values[d] + t[1:] for t, d in zip(tokens, draws, strict=True)))
        else:
            out.append(" ".join(t[:1] + values[d] for t, d in zip(tokens, draws, strict=True)))
    return tuple(out)


def _marginal(sequences: Sequence[str], position: int) -> dict[str, float]:
    counts: dict[str, int] = {}
    for sequence in sequences:
        for token in sequence.split():
            value = token[position : position + 1]
            counts[value] = counts.get(value, 0) + 1
    total = sum(counts.values())
    return {v: c / total for v, c in counts.items()}


def _require(files: DataFiles, split: SplitName, perturb: FilePerturb) -> DataFile:
    found = files.split(split)
    if found is None:
        raise DataError(
            f"{perturb.name}: no {split} file among the data ({files.describe() or 'none'}). "
            f"This perturbation rewrites the {split} file; declare it, e.g. data: "
            f"{{{split}: data/{split}.csv}}.",
            slug="script-data-split",
        )
    return found


def _sequence_column(f: DataFile, perturb: FilePerturb) -> str:
    if f.sequence_column is None:
        raise DataError(
            f"{f.relpath}: {perturb.kind} needs a column of SPR-style token sequences "
            "(tokens like ▲r separated by spaces); this file has none.",
            slug="script-data-tokens",
        )
    return f.sequence_column


def write_perturbed(
    files: DataFiles, transform: str | FilePerturb, *, dest: Path
) -> PerturbedFiles:
    """Write every data file, perturbed where ``perturb`` says, under ``dest``.

    Parameters
    ----------
    files
        The audit's data files (declared or discovered).
    transform
        The perturbation, or its name (:func:`parse_transform`). Its own seed fixes every
        random choice, so all training seeds of one condition see the same files.
    dest
        The run's working directory; each file goes to ``dest / relpath``, folders made
        as needed. Files the perturbation does not touch are byte-identical copies.

    Returns
    -------
    PerturbedFiles
        One record per file, in ``files`` order.

    Raises
    ------
    ValueError
        When ``transform`` names no file perturbation.
    DataError
        When a file the perturbation needs is not among ``files`` or lacks the column it
        rewrites (e.g. token perturbations on a file without token sequences), or the
        split files of a re-split differ in format or columns.
    """
    perturb = transform if isinstance(transform, FilePerturb) else parse_transform(transform)
    tables = {f.relpath: read_table(f.path) for f in files.files}
    new_text: dict[str, tuple[str, int]] = {}
    kind = perturb.kind
    if kind in (FilePerturbation.RESPLIT, FilePerturbation.SHIFTED_SPLIT):
        new_text = _resplit(files, tables, perturb)
    elif kind is FilePerturbation.PERMUTE_TRAIN_LABELS:
        f = _require(files, "train", perturb)
        labels = tables[f.relpath].column(f.label_column)
        order = np.random.default_rng(perturb.seed).permutation(len(labels))
        new_text[f.relpath] = _rewrite(
            tables[f.relpath], f.label_column, [labels[i] for i in order]
        )
    elif kind is FilePerturbation.FLIP_TEST_LABELS:
        f = _require(files, "test", perturb)
        assert perturb.share is not None  # checked when the perturbation was made
        new_text[f.relpath] = _rewrite(
            tables[f.relpath],
            f.label_column,
            _flip(
                tables[f.relpath].column(f.label_column), files.classes, perturb.share, perturb.seed
            ),
        )
    else:
        train = _require(files, "train", perturb)
        train_sequences = tables[train.relpath].column(_sequence_column(train, perturb))
        if perturb.split == "dev":
            _require(files, "dev", perturb)
        for index, split in enumerate(SPLITS):
            target = files.split(split)
            if target is None or split not in perturb.splits:
                continue
            column = _sequence_column(target, perturb)
            old = tables[target.relpath].column(column)
            new = _token_op(kind, train_sequences)(old, perturb.seed + index)
            new_text[target.relpath] = _rewrite(tables[target.relpath], column, new)
    written = []
    for f in files.files:
        out = dest / f.relpath
        out.parent.mkdir(parents=True, exist_ok=True)
        if f.relpath in new_text:
            text, changed = new_text[f.relpath]
            data = (tables[f.relpath].bom + text).encode("utf-8")
            out.write_bytes(data)
            n_rows = len(read_table(out).rows)
        else:
            shutil.copyfile(f.path, out)
            data, changed, n_rows = f.path.read_bytes(), 0, f.n_rows
        written.append(PerturbedFile(f.relpath, sha256(data).hexdigest(), n_rows, changed))
    return PerturbedFiles(perturb=perturb, files=tuple(written))


def _token_op(
    kind: FilePerturbation, train: Sequence[str]
) -> Callable[[tuple[str, ...], int], tuple[str, ...]]:
    """The sequence transformation of a token perturbation, with train's marginals bound."""
    base = kind.value.removesuffix("_train_test").removesuffix("_test")
    if base == "shuffle":
        return shuffle_tokens
    if base == "reverse":
        return reverse_tokens
    if base == "color_shift":
        return shift_color
    if base == "mask_color":
        return mask_color
    if base == "mask_shape":
        return mask_shape
    if base == "permute_color":
        return permute_color
    if base == "permute_shape":
        return permute_shape
    position = 0 if base == "swap_shape" else 1
    marginal = _marginal(train, position)
    return lambda sequences, seed: draw_factor(sequences, position, marginal, seed)


def _flip(labels: Sequence[str], classes: Sequence[str], share: float, seed: int) -> list[str]:
    """``labels`` with ``flip_count`` rows, drawn at random, given another class at random."""
    if len(classes) < 2:
        raise DataError(
            f"flip_test_labels: the data has one class ({', '.join(classes)}), so no label "
            "can be flipped to another.",
            slug="script-data-label",
        )
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(labels), size=flip_count(len(labels), share), replace=False)
    out = list(labels)
    for row in np.sort(rows):
        others = [c for c in classes if c != out[row]]
        out[row] = others[int(rng.integers(len(others)))]
    return out


def _needs_quotes(value: str, delimiter: str) -> bool:
    return any(c in value for c in (delimiter, '"', "\r", "\n"))


def _csv_field(value: str, quoted: bool, delimiter: str) -> str:
    if quoted or _needs_quotes(value, delimiter):
        return '"' + value.replace('"', '""') + '"'
    return value


def _typed(old: Any, text: str) -> Any:
    """``text`` as a JSON value of ``old``'s type (labels stay integers, strings strings)."""
    if isinstance(old, bool):
        return text == "true"
    if isinstance(old, int):
        return int(text)
    if isinstance(old, float):
        return float(text)
    if isinstance(old, str):
        return text
    return json.loads(text)


def _json_line(record: Record, text: str, key: str, value: str) -> str:
    """The JSON line of ``record`` with ``key`` set to ``value``, in the line's own style."""
    assert record.obj is not None
    line = text[record.start : record.end]
    obj = dict(record.obj)
    obj[key] = _typed(obj[key], value)
    separators = (", ", ": ") if '": ' in line else (",", ":")
    return json.dumps(obj, ensure_ascii="\\u" in line, separators=separators)


def _rewrite(table: Table, column: str, values: Sequence[str]) -> tuple[str, int]:
    """``table``'s text with ``column`` set to ``values`` (one per row); rows changed.

    Only the fields that change are rewritten; every other byte is kept.
    """
    rows = table.rows
    if len(values) != len(rows):
        raise ValueError(f"{len(values)} values for {len(rows)} rows")
    pieces, position, changed = [], 0, 0
    index = table.columns.index(column) if table.format is TableFormat.CSV else -1
    for row, value in zip(rows, values, strict=True):
        if table.format is TableFormat.CSV:
            field = row.fields[index]
            if field.value == value:
                continue
            pieces += [
                table.text[position : field.start],
                _csv_field(value, field.quoted, table.delimiter),
            ]
            position = field.end
        else:
            assert row.obj is not None
            old = row.obj[column]
            if (old if isinstance(old, str) else json.dumps(old, separators=(",", ":"))) == value:
                continue
            pieces += [table.text[position : row.start], _json_line(row, table.text, column, value)]
            position = row.end
        changed += 1
    pieces.append(table.text[position:])
    return "".join(pieces), changed


def _resplit(
    files: DataFiles, tables: Mapping[str, Table], perturb: FilePerturb
) -> dict[str, tuple[str, int]]:
    """New text for train, dev and test: their rows pooled and dealt out again."""
    parts = [f for f in (files.split(s) for s in SPLITS) if f is not None]
    first = parts[0]
    for f in parts[1:]:
        if tables[f.relpath].columns != tables[first.relpath].columns or f.format != first.format:
            raise DataError(
                f"{perturb.kind}: {f.relpath} has columns {list(tables[f.relpath].columns)}, "
                f"{first.relpath} has {list(tables[first.relpath].columns)}; rows can only be "
                "pooled and re-split between files of one format with the same columns.",
                slug="script-data-resplit",
            )
    pool: list[tuple[str, str]] = []  # (raw row text, relpath it came from)
    for f in parts:
        table = tables[f.relpath]
        pool += [(table.text[r.start : r.end], f.relpath) for r in table.rows]
    rng = np.random.default_rng(perturb.seed)
    order = rng.permutation(len(pool))
    dealt: dict[str, list[int]] = {}
    if perturb.kind is FilePerturbation.SHIFTED_SPLIT:
        column = _sequence_column(first, perturb)
        sequences = [s for f in parts for s in tables[f.relpath].column(column)]
        variety = np.asarray([shape_variety(s) + color_variety(s) for s in sequences])
        # most varied first, ties in random order: test takes the head, the others the
        # rest in random order
        ranked = order[np.argsort(-variety[order], kind="stable")]
        test = _require(files, "test", perturb)
        dealt[test.relpath] = [int(i) for i in ranked[: test.n_rows]]
        order = rng.permutation(ranked[test.n_rows :])
        parts = [f for f in parts if f is not test]
    start = 0
    for f in parts:
        dealt[f.relpath] = [int(i) for i in order[start : start + f.n_rows]]
        start += f.n_rows
    out = {}
    for relpath, rows in dealt.items():
        text, _ = _with_rows(tables[relpath], [pool[i][0] for i in rows])
        out[relpath] = (text, sum(1 for i in rows if pool[i][1] != relpath))
    return out


def _with_rows(table: Table, rows: Sequence[str]) -> tuple[str, int]:
    """``table``'s header (and anything before its first row) followed by ``rows``.

    Rows take the file's own line ending; the file ends with one only if it did before.
    """
    header_end = table.header.end + len(table.header.ending) if table.header is not None else 0
    ending = next((r.ending for r in table.records if r.ending), "\n")
    trailing = table.text.endswith(("\n", "\r"))
    body = ending.join(rows) + (ending if trailing and rows else "")
    return table.text[:header_end] + body, len(rows)
