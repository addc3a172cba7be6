"""JSON for frozen dataclasses: write, read back with type checks, and describe as JSON Schema.

One generic walk over the type hints of a dataclass does all three, so that the writer, the
reader and the published schema of ``audit.json`` cannot drift apart. The types it knows
are the ones the document uses: ``str``, ``int``, ``float``, ``bool``, ``None``, ``Any``,
``Literal``, ``Enum``, unions, ``tuple[X, ...]``, fixed ``tuple[X, Y]``, ``Mapping[str, X]``
and nested frozen dataclasses. A type with its own JSON form (the report's exhibits)
registers a :class:`Custom` codec.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Point:
...     x: float
...     label: str | None = None
>>> to_json(Point(1.5))
{'x': 1.5, 'label': None}
>>> from_json(Point, {"x": 2})
Point(x=2, label=None)
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

#: JSON Schema of any JSON value
ANY_SCHEMA: dict[str, Any] = {}


class CodecError(ValueError):
    """A JSON value does not match the type it is read as; ``path`` says where."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path or '(top)'}: {message}")
        self.path = path


@dataclass(frozen=True, slots=True)
class Custom:
    """A type with its own JSON form: how to write it, read it and describe it."""

    write: Callable[[Any], Any]
    read: Callable[[Any], Any]
    schema: Mapping[str, Any]


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _key(f: dataclasses.Field[Any]) -> str:
    """A field's JSON key: its name, or ``field(metadata={"json": "seed routes"})``."""
    return str(f.metadata.get("json", f.name))


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def to_json(value: Any, custom: Mapping[Any, Custom] | None = None) -> Any:
    """A dataclass value (or any value inside one) as plain JSON data.

    Dataclasses become objects with their fields in declaration order, tuples lists,
    enums their values; ``custom`` maps a class to its own writer.
    """
    custom = custom or {}
    for cls, codec in custom.items():
        if isinstance(value, cls):
            return codec.write(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {_key(f): to_json(getattr(value, f.name), custom) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [to_json(v, custom) for v in value]
    if isinstance(value, Mapping):
        return {str(k): to_json(v, custom) for k, v in value.items()}
    return value


def from_json(tp: Any, raw: Any, custom: Mapping[Any, Custom] | None = None, path: str = "") -> Any:
    """Read ``raw`` (parsed JSON) as a value of type ``tp``.

    Raises
    ------
    CodecError
        When ``raw`` does not fit ``tp``: a missing or unknown key, a wrong type, a value
        outside a ``Literal`` or an enum; the message names the path (``claims[2].gain``).
    """
    custom = custom or {}
    if tp in custom:
        try:
            return custom[tp].read(raw)
        except (KeyError, TypeError, ValueError) as exc:
            raise CodecError(path, f"not a valid {getattr(tp, '__name__', tp)}: {exc}") from None
    if tp is Any:
        return raw
    if _is_union(tp):
        return _union(tp, raw, custom, path)
    origin = get_origin(tp)
    if origin is Literal:
        if raw not in get_args(tp):
            raise CodecError(path, f"{raw!r} is not one of {list(get_args(tp))}")
        return raw
    if origin is tuple:
        return _tuple(tp, raw, custom, path)
    if origin in (Mapping, dict, typing.Mapping):
        if not isinstance(raw, dict):
            raise CodecError(path, f"expected an object, got {type(raw).__name__}")
        value_type = get_args(tp)[1]
        return {k: from_json(value_type, v, custom, f"{path}.{k}") for k, v in raw.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass(tp, raw, custom, path)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(raw)
        except ValueError:
            allowed = [m.value for m in tp]
            raise CodecError(path, f"{raw!r} is not one of {allowed}") from None
    return _scalar(tp, raw, path)


def _union(tp: Any, raw: Any, custom: Mapping[Any, Custom], path: str) -> Any:
    options = get_args(tp)
    if raw is None and type(None) in options:
        return None
    errors = []
    for option in options:
        if option is type(None):
            continue
        try:
            return from_json(option, raw, custom, path)
        except CodecError as exc:
            errors.append(str(exc))
    raise CodecError(path, f"{raw!r} fits none of the allowed types ({'; '.join(errors)})")


def _tuple(tp: Any, raw: Any, custom: Mapping[Any, Custom], path: str) -> tuple[Any, ...]:
    if not isinstance(raw, list):
        raise CodecError(path, f"expected a list, got {type(raw).__name__}")
    args = get_args(tp)
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(from_json(args[0], v, custom, f"{path}[{i}]") for i, v in enumerate(raw))
    if len(raw) != len(args):
        raise CodecError(path, f"expected {len(args)} items, got {len(raw)}")
    return tuple(
        from_json(t, v, custom, f"{path}[{i}]")
        for i, (t, v) in enumerate(zip(args, raw, strict=True))
    )


def _dataclass(cls: type, raw: Any, custom: Mapping[Any, Custom], path: str) -> Any:
    if not isinstance(raw, dict):
        raise CodecError(path, f"expected an object, got {type(raw).__name__}")
    fields = {_key(f): f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise CodecError(path, f"unknown key(s) {unknown}; {cls.__name__} has {list(fields)}")
    hints = _hints(cls)
    values = {}
    for key, f in fields.items():
        if key in raw:
            where = f"{path}.{key}".lstrip(".")
            values[f.name] = from_json(hints[f.name], raw[key], custom, where)
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise CodecError(path, f"missing key {key!r} of {cls.__name__}")
    return cls(**values)


def _scalar(tp: Any, raw: Any, path: str) -> Any:
    if tp is type(None):
        if raw is not None:
            raise CodecError(path, f"expected null, got {raw!r}")
        return None
    if tp is bool:
        ok = isinstance(raw, bool)
    elif tp is int:
        ok = isinstance(raw, int) and not isinstance(raw, bool)
    elif tp is float:
        # an int is a float to JSON; it is kept as written so that the file round-trips
        ok = isinstance(raw, int | float) and not isinstance(raw, bool)
    elif tp is str:
        ok = isinstance(raw, str)
    else:
        raise CodecError(path, f"cannot read type {tp!r}")
    if not ok:
        raise CodecError(path, f"expected {tp.__name__}, got {type(raw).__name__} {raw!r}")
    return raw


def json_schema(
    tp: Any, custom: Mapping[Any, Custom] | None = None, defs: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of values of ``tp`` as :func:`to_json` writes them.

    Dataclasses become ``$defs`` entries, referenced by name; their docstring's first line
    is the description. Pass ``defs`` to collect the definitions (the top-level call puts
    them under ``$defs``).
    """
    top = defs is None
    defs = {} if defs is None else defs
    schema = _schema(tp, custom or {}, defs)
    if top and defs:
        schema = {**schema, "$defs": dict(sorted(defs.items()))}
    return schema


def _schema(tp: Any, custom: Mapping[Any, Custom], defs: dict[str, Any]) -> dict[str, Any]:
    if tp in custom:
        return dict(custom[tp].schema)
    if tp is Any:
        return dict(ANY_SCHEMA)
    if _is_union(tp):
        return {"anyOf": [_schema(t, custom, defs) for t in get_args(tp)]}
    origin = get_origin(tp)
    if origin is Literal:
        return {"enum": list(get_args(tp))}
    if origin is tuple:
        args = get_args(tp)
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": _schema(args[0], custom, defs)}
        return {
            "type": "array",
            "prefixItems": [_schema(t, custom, defs) for t in args],
            "minItems": len(args),
            "maxItems": len(args),
        }
    if origin in (Mapping, dict, typing.Mapping):
        return {"type": "object", "additionalProperties": _schema(get_args(tp)[1], custom, defs)}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder: a recursive reference finds it
            defs[name] = _dataclass_schema(tp, custom, defs)
        return {"$ref": f"#/$defs/{name}"}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [m.value for m in tp]}
    simple = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string"}
    if tp in simple:
        return {"type": simple[tp]}
    raise TypeError(f"no JSON Schema for {tp!r}")


def _dataclass_schema(
    cls: type, custom: Mapping[Any, Custom], defs: dict[str, Any]
) -> dict[str, Any]:
    hints = _hints(cls)
    fields = dataclasses.fields(cls)
    out: dict[str, Any] = {"type": "object"}
    doc = (cls.__doc__ or "").strip().splitlines()
    if doc:
        out["description"] = doc[0]
    out["properties"] = {_key(f): _schema(hints[f.name], custom, defs) for f in fields}
    # the writer writes every field, so every field is required in what it writes (the
    # reader's defaults are for older formats)
    out["required"] = [_key(f) for f in fields]
    out["additionalProperties"] = False
    return out
