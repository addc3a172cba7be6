"""The check registry: rule packs name checks by key; checks plan the runs a rule needs.

Built-in checks register the same way as third-party ones: a module listed under the
``auditkit.checks`` entry-point group is imported on first use, and registers its checks
with ``@register``. Nothing is loaded at import time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any, Protocol, TypeVar, cast

from auditkit.errors import AuditkitError
from auditkit.types import Claim, RunSpec

ENTRY_POINT_GROUP = "auditkit.checks"


class RegistryError(AuditkitError):
    """A check is registered twice, or a plugin fails to load."""


class Check(Protocol):
    """What a registered check implements."""

    def plan(self, claim: Claim, params: Any, seeds: Sequence[int]) -> list[RunSpec]:
        """The runs this check needs for ``claim``; shared runs are de-duplicated later."""
        ...


@dataclass(frozen=True, slots=True)
class RegisteredCheck:
    """A check in the registry."""

    name: str
    impl: Check
    #: dataclass built from the rule's ``params`` mapping; raises ValueError/TypeError if bad
    params: type
    #: data kinds the check applies to; others get ``skipped`` with the reason
    kinds: frozenset[str]
    #: module that registered it
    origin: str
    #: first line of the implementation's docstring
    summary: str


_CHECKS: dict[str, RegisteredCheck] = {}
_loaded = False

T = TypeVar("T")


def register(
    name: str, *, params: type, kinds: Iterable[str] = ("tokens",)
) -> Callable[[type[T]], type[T]]:
    """Class decorator that registers a check under ``name``.

    Parameters
    ----------
    name
        The key that rule packs use in ``check:``.
    params
        A dataclass; the rule's ``params`` mapping is passed to it as keyword arguments.
    kinds
        Data kinds the check supports.
    """

    def decorator(cls: type[T]) -> type[T]:
        if name in _CHECKS and _CHECKS[name].origin != cls.__module__:
            raise RegistryError(
                f"check {name!r} is registered twice: by {_CHECKS[name].origin} and by "
                f"{cls.__module__}; rename one of them",
                slug="duplicate-check",
            )
        summary = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        _CHECKS[name] = RegisteredCheck(
            name=name,
            impl=cast(Check, cls()),
            params=params,
            kinds=frozenset(kinds),
            origin=cls.__module__,
            summary=summary,
        )
        return cls

    return decorator


def checks() -> Mapping[str, RegisteredCheck]:
    """Every registered check, loading the built-ins and entry-point plugins on first use."""
    global _loaded
    if not _loaded:
        _loaded = True
        # Built-ins first and directly, so a source checkout without installed entry
        # points still works; then every plugin of the group (the built-in one again is
        # a no-op, since modules import once).
        importlib.import_module("auditkit.checks.builtin")
        for point in entry_points(group=ENTRY_POINT_GROUP):
            try:
                point.load()
            except Exception as exc:
                raise RegistryError(
                    f"the auditkit.checks plugin {point.name!r} ({point.value}) failed to "
                    f"load: {type(exc).__name__}: {exc}; reinstall or uninstall the package "
                    "that provides it",
                    slug="plugin-load-failed",
                ) from exc
    return _CHECKS
