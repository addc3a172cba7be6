"""The exception hierarchy and exit codes; messages say what happened, why, and what to do."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from enum import IntEnum
from importlib.resources import files
from pathlib import Path


def docs_dir() -> Path:
    """The folder of auditkit's documentation pages on this machine.

    auditkit's docs are not hosted anywhere, so messages link to the pages a user has on
    disk: ``auditkit/docs`` in a wheel, ``docs/`` in a checkout (the README's install,
    editable). Any editor or pager opens them, a terminal often makes the path clickable,
    and GitHub and the site ``mkdocs build`` makes of docs/ give the same anchors.
    """
    packaged = Path(str(files("auditkit"))) / "docs"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "docs"


def errors_page() -> Path:
    """The page that explains every error, each under a heading named by its slug."""
    return docs_dir() / "errors.md"


def did_you_mean(value: str, options: Iterable[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest option, or ``""`` when none is close.

    An abbreviation of exactly one option wins (``acc`` for ``accuracy``, which a
    spelling match would take for ``mcc``); else the closest spelling; else a part of
    exactly one option's name (``f1`` for ``macro_f1``).
    """
    choices = sorted(options)
    text = str(value).lower()
    prefix = [o for o in choices if o.lower().startswith(text)] if len(text) >= 2 else []
    close = prefix if len(prefix) == 1 else []
    close = close or difflib.get_close_matches(str(value), choices, n=1, cutoff=0.6)
    if not close and len(text) >= 2:
        part = [o for o in choices if text in o.lower()]
        close = part if len(part) == 1 else []
    return f" Did you mean {close[0]!r}?" if close else ""


class ExitCode(IntEnum):
    """Process exit codes, with pytest's numbers (DESIGN.md §7)."""

    OK = 0  #: every claim supported
    CLAIMS_FAILED = 1  #: a claim not supported (inconclusive counts only with --strict)
    INTERRUPTED = 2  #: Ctrl-C
    INTERNAL_ERROR = 3  #: a bug in auditkit
    USAGE_ERROR = 4  #: bad command line, rule pack, data or model file
    NO_RULES_SELECTED = 5  #: --only/--skip left nothing to run
    #: a variant (an arm) has no successful run: its code fails, so no claim on it can be
    #: judged; pytest stops at 5, so auditkit's own code comes next
    RUNS_FAILED = 6


class AuditkitError(Exception):
    """Base class of every error auditkit raises on purpose.

    Parameters
    ----------
    message
        The full message: what happened (with the offending value), why it matters,
        what to do.
    slug
        Short stable identifier of the message, linked from the docs.
    """

    exit_code: ExitCode = ExitCode.USAGE_ERROR

    def __init__(self, message: str, *, slug: str) -> None:
        super().__init__(message)
        self.message = message
        self.slug = slug

    def __str__(self) -> str:
        return f"{self.message}\n({self.slug}); see {errors_page()}#{self.slug}"


class ModelFileError(AuditkitError):
    """The user's model file cannot be loaded or declares an invalid experiment."""


class DataError(AuditkitError):
    """A dataset (CSV folder, generator options) is malformed."""


class RulePackError(AuditkitError):
    """A rule pack is missing or invalid; the message starts with ``file:line``."""


class UsageError(AuditkitError):
    """A bad command-line value."""
