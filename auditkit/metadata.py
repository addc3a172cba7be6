"""Typed dataset metadata: the keys of ``metadata`` that checks and reports rely on.

Re-exported by :mod:`auditkit.types`; this module imports nothing else from auditkit.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelRule:
    """The labelling rule a generator used, as its ``metadata["rule"]`` records it."""

    #: e.g. ``"shape_count"``
    name: str | None = None
    #: the rule in words, e.g. ``"count(shape ▲) >= 3"``
    description: str | None = None
    #: the factors the rule reads (``("shape",)``); None when the data does not say
    factors: tuple[str, ...] | None = None
    #: whether the label depends on token order; None when the data does not say
    order_dependent: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DataFile:
    """One split's file as a loader recorded it in ``metadata["files"]``."""

    path: str | None = None
    sha256: str | None = None
    rows: int | None = None
    #: for a folder of files (images): how many files the split holds
    n_files: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DataMetadata:
    """The keys of a dataset's ``metadata`` that checks and reports rely on, typed.

    Users and loaders still pass ``metadata`` as a plain mapping; :meth:`parse` reads it,
    in this one place, and names the key whose value has the wrong type. Keys not listed
    here (``options``, ``sampling``, ``classes``, ...) stay in the mapping, unread by checks.
    """

    #: the generator that made the data, e.g. ``"auditkit.datasets.spr"``; None for loaded data
    generator: str | None = None
    #: where the data was read from (a folder, a file), or a name; None when unknown
    source: str | None = None
    #: the labelling rule (generated data); None when the data does not say
    rule: LabelRule | None = None
    #: split -> the file it was read from
    files: Mapping[str, DataFile] = field(default_factory=dict)
    #: ground truth of planted pitfalls, each with a ``kind``; None when the data says nothing
    #: (an empty tuple: the generator planted none)
    pitfalls: tuple[Mapping[str, Any], ...] | None = None
    #: split -> statistics of that split (rows, label rate, ...), JSON values
    splits: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @classmethod
    def parse(cls, metadata: Mapping[str, Any]) -> DataMetadata:
        """Read the typed keys of a dataset's ``metadata`` mapping.

        Parameters
        ----------
        metadata
            The mapping a loader or a model file passed as ``metadata=``.

        Returns
        -------
        DataMetadata

        Raises
        ------
        ValueError
            A key holds a value of the wrong type; the message names the key, the value and
            the type it must have.
        """
        rule = metadata.get("rule")
        pitfalls = metadata.get("pitfalls")
        return cls(
            generator=_optional_str(metadata, "generator"),
            source=_optional_str(metadata, "source"),
            rule=None if rule is None else _label_rule(rule),
            files={
                str(split): _data_file(split, record)
                for split, record in _mapping(metadata, "files").items()
            },
            pitfalls=None if pitfalls is None else _pitfalls(pitfalls),
            splits={
                str(split): _mapping({"splits": stats}, "splits", f"metadata['splits'][{split!r}]")
                for split, stats in _mapping(metadata, "splits").items()
            },
        )


def _bad(key: str, value: Any, want: str) -> ValueError:
    return ValueError(f"{key} = {value!r} ({type(value).__name__}) must be {want}")


def _optional_str(metadata: Mapping[str, Any], key: str) -> str | None:
    value = metadata.get(key)
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)  # type: ignore[no-any-return]
    raise _bad(f"metadata[{key!r}]", value, "a string")


def _mapping(metadata: Mapping[str, Any], key: str, name: str = "") -> Mapping[str, Any]:
    value = metadata.get(key)
    if value is None:
        return {}
    if isinstance(value, Mapping):
        return value
    raise _bad(name or f"metadata[{key!r}]", value, "a mapping")


def _label_rule(raw: Any) -> LabelRule:
    if not isinstance(raw, Mapping):
        raise _bad("metadata['rule']", raw, "a mapping with description, factors, ...")
    factors, order = raw.get("factors"), raw.get("order_dependent")
    for key in ("name", "description"):
        if raw.get(key) is not None and not isinstance(raw[key], str):
            raise _bad(f"metadata['rule'][{key!r}]", raw[key], "a string")
    if factors is not None and (
        isinstance(factors, str)
        or not isinstance(factors, list | tuple)
        or not all(isinstance(f, str) for f in factors)
    ):
        raise _bad("metadata['rule']['factors']", factors, "a list of factor names")
    if order is not None and not isinstance(order, bool):
        raise _bad("metadata['rule']['order_dependent']", order, "true or false")
    return LabelRule(
        name=raw.get("name"),
        description=raw.get("description"),
        factors=None if factors is None else tuple(factors),
        order_dependent=order,
    )


def _data_file(split: Any, raw: Any) -> DataFile:
    key = f"metadata['files'][{split!r}]"
    if isinstance(raw, int) and not isinstance(raw, bool):
        return DataFile(n_files=raw)
    if not isinstance(raw, Mapping):
        raise _bad(key, raw, "a mapping with path, sha256, rows (or a count of files)")
    for name in ("path", "sha256"):
        if raw.get(name) is not None and not isinstance(raw[name], str):
            raise _bad(f"{key}[{name!r}]", raw[name], "a string")
    rows = raw.get("rows")
    if rows is not None and (isinstance(rows, bool) or not isinstance(rows, int)):
        raise _bad(f"{key}['rows']", rows, "a whole number")
    return DataFile(path=raw.get("path"), sha256=raw.get("sha256"), rows=rows)


def _pitfalls(raw: Any) -> tuple[Mapping[str, Any], ...]:
    if isinstance(raw, str) or not isinstance(raw, list | tuple):
        raise _bad("metadata['pitfalls']", raw, "a list of records, each with a 'kind'")
    for i, record in enumerate(raw):
        if not isinstance(record, Mapping) or not isinstance(record.get("kind"), str):
            raise _bad(f"metadata['pitfalls'][{i}]", record, "a mapping with a 'kind' string")
    return tuple(raw)
