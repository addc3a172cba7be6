"""Command templates: a script's command line with ``{placeholders}`` filled per run.

A template is a list of arguments, e.g. ``python train.py --arch {arch} --seed {seed}``.
Placeholders are filled from the run's values: ``seed``, ``run_dir``, ``data_dir``,
``batch_size`` and any declared setting. Settings that are not placeholders of the
template are appended in the script's style: ``--name value`` (argparse) or
``name=value`` (Hydra).
"""

from __future__ import annotations

import re
import shlex
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from auditkit.errors import UsageError, did_you_mean

#: placeholders auditkit fills itself for every run
BUILTIN_PLACEHOLDERS = ("seed", "run_dir", "data_dir")


class Style(StrEnum):
    """How settings are passed on the command line."""

    ARGPARSE = "argparse"  #: ``--name value``
    HYDRA = "hydra"  #: ``name=value``


#: seed arguments a command may already carry; their value becomes the run's seed
_SEED_FLAG = re.compile(r"^--?(?:random[_-]?)?seed$")
_SEED_FLAG_EQ = re.compile(r"^(--?(?:random[_-]?)?seed=)(.*)$")
_SEED_HYDRA = re.compile(r"^(\+{0,2}(?:[\w.]+\.)?seed=)(.*)$")


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandTemplate:
    """A command with placeholders, and the style in which settings are appended."""

    #: the arguments, each possibly holding ``{name}`` placeholders
    args: tuple[str, ...]
    style: Style = Style.ARGPARSE
    #: where the template was declared, for messages (``audit.yaml:3``)
    origin: str = "the command"

    @classmethod
    def parse(
        cls, command: str | Sequence[str], *, style: Style = Style.ARGPARSE, origin: str = ""
    ) -> CommandTemplate:
        """Read a command given as one string (shell quoting) or as a list of arguments.

        Raises
        ------
        UsageError
            Empty command, unbalanced quotes or braces.
        """
        where = origin or "the command"
        if isinstance(command, str):
            try:
                args = tuple(shlex.split(command))
            except ValueError as exc:
                raise UsageError(
                    f"{where}: cannot split {command!r} into arguments: {exc}; check its quotes",
                    slug="script-bad-command",
                ) from None
        else:
            args = tuple(str(a) for a in command)
        if not args:
            raise UsageError(
                f"{where}: the command is empty; give the command you run, e.g. "
                "`auditkit check -- python train.py`",
                slug="script-bad-command",
            )
        template = cls(args=args, style=style, origin=where)
        template.placeholders()  # validates the braces
        return template

    def placeholders(self) -> tuple[str, ...]:
        """Names of the template's placeholders, in order of first use.

        Raises
        ------
        UsageError
            A malformed placeholder (an unmatched brace, ``{}`` or ``{0}``).
        """
        names: dict[str, None] = {}
        for arg in self.args:
            try:
                fields = list(string.Formatter().parse(arg))
            except ValueError as exc:
                raise UsageError(
                    f"{self.origin}: argument {arg!r} has a malformed placeholder ({exc}); "
                    "write placeholders as {name}, and a literal brace as {{ or }}",
                    slug="script-bad-placeholder",
                ) from None
            for _, name, _, _ in fields:
                if name is None:
                    continue
                if not name.isidentifier():
                    raise UsageError(
                        f"{self.origin}: argument {arg!r} has the placeholder {{{name}}}, which "
                        "is not a name; write e.g. {seed} or {batch_size}",
                        slug="script-bad-placeholder",
                    )
                names[name] = None
        return tuple(names)

    def check_defined(self, known: Sequence[str]) -> None:
        """Raise when a placeholder is neither built in nor a declared setting.

        Raises
        ------
        UsageError
            Names the placeholder, what is defined, and a "did you mean".
        """
        defined = [*BUILTIN_PLACEHOLDERS, *known]
        for name in self.placeholders():
            if name not in defined:
                raise UsageError(
                    f"{self.origin}: the placeholder {{{name}}} is not defined."
                    f"{did_you_mean(name, defined)} auditkit fills "
                    f"{', '.join('{' + n + '}' for n in BUILTIN_PLACEHOLDERS)}; declare "
                    f"{name} under settings (or in every variant) to use it",
                    slug="script-unknown-placeholder",
                )

    def seed_argument(self) -> int | None:
        """Index of an argument that passes a literal seed (``--seed 3``, ``seed=3``), if any.

        The index is of the value: ``--seed 3`` gives the index of ``3``.
        """
        for i, arg in enumerate(self.args):
            if "{" in arg:
                continue
            if _SEED_FLAG.match(arg) and i + 1 < len(self.args):
                return i + 1
            if _SEED_FLAG_EQ.match(arg) or _SEED_HYDRA.match(arg):
                return i
        return None

    def with_seed_placeholder(self) -> tuple[CommandTemplate, str]:
        """The template with a literal seed argument replaced by ``{seed}``.

        Returns
        -------
        tuple of CommandTemplate and str
            The new template, and the argument replaced (``""`` when none was found or
            the template already has ``{seed}``).
        """
        if "seed" in self.placeholders():
            return self, ""
        index = self.seed_argument()
        if index is None:
            return self, ""
        arg = self.args[index]
        match = _SEED_FLAG_EQ.match(arg) or _SEED_HYDRA.match(arg)
        new = f"{match.group(1)}{{seed}}" if match else "{seed}"
        shown = arg if match else f"{self.args[index - 1]} {arg}"
        args = (*self.args[:index], new, *self.args[index + 1 :])
        return CommandTemplate(args=args, style=self.style, origin=self.origin), shown

    def render(
        self, values: Mapping[str, object], extra: Sequence[tuple[str, object]] = ()
    ) -> list[str]:
        """The command of one run: placeholders filled, ``extra`` settings appended.

        Parameters
        ----------
        values
            Placeholder name -> value.
        extra
            Settings to append that the template has no placeholder for, as
            (name, value); a value of ``True`` appends a bare flag in argparse style.

        Returns
        -------
        list of str
        """
        args = [arg.format_map(_Values(values, self.origin)) for arg in self.args]
        for name, value in extra:
            args.extend(format_setting(name, value, self.style))
        return args

    def text(self) -> str:
        """The template as one shell-quoted line."""
        return shlex.join(self.args)


def format_setting(name: str, value: object, style: Style) -> list[str]:
    """A setting as command-line arguments: ``["--lr", "0.1"]`` or ``["lr=0.1"]``."""
    shown = _show(value)
    if style is Style.HYDRA:
        return [f"{name}={shown}"]
    flag = name if name.startswith("-") else f"--{name}"
    if value is True:
        return [flag]
    return [flag, shown]


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class _Values(dict[str, object]):
    """Placeholder values for ``str.format_map``; a missing one is a clear error."""

    def __init__(self, values: Mapping[str, object], origin: str) -> None:
        super().__init__({k: _show(v) for k, v in values.items()})
        self.origin = origin

    def __missing__(self, key: str) -> object:
        raise UsageError(
            f"{self.origin}: the placeholder {{{key}}} has no value for this run; declare "
            f"{key} under settings or in every variant",
            slug="script-unknown-placeholder",
        )
