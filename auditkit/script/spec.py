"""What a script audit declares: command template, variants, data files, metrics, claims.

Two forms build the same ``ScriptSpec``:

- zero set-up, ``auditkit check -- python train.py --epochs 8``: one variant (the command
  as given), no claims, no declared data; a literal ``--seed N`` in the command becomes the
  run's seed;
- a declared audit, ``auditkit check audit.yaml`` (see docs/script-mode.md)::

      name: relational-vs-gru
      command: python train.py --arch {arch} --seed {seed} --data {data_dir}
      style: argparse            # or hydra: settings appended as name=value
      settings: {epochs: 8}      # appended as --epochs 8 unless the command has {epochs}
      variants:
        gru: {arch: gru}         # or a string of extra arguments: "--arch gru"
        relational: {arch: relational}
      baseline: gru              # default: the first variant
      data: {train: SPR_BENCH/train.csv, dev: SPR_BENCH/dev.csv, test: SPR_BENCH/test.csv}
      metrics: [test_acc]
      claims:
        - relational > gru on test_acc, reported +2.1 points
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from auditkit.errors import UsageError, did_you_mean, docs_dir
from auditkit.execute.select import parse_duration
from auditkit.experiment.contract import check_expect_data
from auditkit.script.template import BUILTIN_PLACEHOLDERS, CommandTemplate, Style
from auditkit.types import Claim, Direction

#: keys an audit file may hold
AUDIT_KEYS = (
    "name",
    "command",
    "style",
    "settings",
    "variants",
    "baseline",
    "data",
    "metrics",
    "metrics_file",
    "claims",
    "timeout",
    "reseed",
    "env",
    "project",
    "expect_data",
)

Setting = tuple[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptVariant:
    """One arm of a script audit: placeholder values and extra arguments."""

    name: str
    #: settings of this arm: fill placeholders of the same name, else appended
    values: tuple[Setting, ...] = ()
    #: arguments appended as they are (``variants: {gru: "--arch gru"}``)
    args: tuple[str, ...] = ()
    baseline: bool = False
    #: ``file:line`` where it is declared
    origin: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptSpec:
    """A script audit, complete and picklable (it travels to worker processes)."""

    name: str
    #: the audit file, or ``"the command"`` in the zero-set-up form
    origin: str
    #: absolute project root, mirrored into each run's folder
    project: str
    #: project-relative folder the command runs in ("" for the root)
    cwd: str
    template: CommandTemplate
    settings: tuple[Setting, ...] = ()
    variants: tuple[ScriptVariant, ...] = ()
    #: declared data files: role -> project-relative path
    data_files: tuple[tuple[str, str], ...] = ()
    metrics: tuple[str, ...] = ()
    #: a metrics file to read first (may hold placeholders), relative to the run's cwd
    metrics_file: str = ""
    claims: tuple[Claim, ...] = ()
    #: seconds one run may take; None: no limit
    timeout: float | None = None
    reseed: bool = False
    env: tuple[tuple[str, str], ...] = ()
    #: True for an audit file, False for zero set-up
    declared: bool = False
    #: the literal seed argument replaced by ``{seed}`` (zero set-up), for the report
    seed_argument: str = ""
    #: what the audit file declares about its data (``expect_data:``), checked by AK204
    expect_data: Mapping[str, Any] | None = None

    @property
    def baseline(self) -> str:
        """The baseline variant's name."""
        return next(v.name for v in self.variants if v.baseline)

    def variant(self, name: str) -> ScriptVariant:
        """The variant called ``name``."""
        return next(v for v in self.variants if v.name == name)

    @property
    def data_dir(self) -> str:
        """Project-relative folder holding the declared data files ("" when none)."""
        if not self.data_files:
            return ""
        parents = [Path(p).parent.as_posix() for _, p in self.data_files]
        common = Path(parents[0])
        for parent in parents[1:]:
            while not (parent == common.as_posix() or parent.startswith(f"{common}/")):
                common = common.parent
        return "" if common.as_posix() == "." else common.as_posix()

    def fingerprint(self) -> str:
        """SHA-256 of everything that changes what a run does (keys stored runs)."""
        facts = repr(
            (
                self.template.args,
                self.template.style.value,
                self.cwd,
                self.settings,
                # where a variant is declared (its origin) changes nothing a run does
                tuple((v.name, v.values, v.args, v.baseline) for v in self.variants),
                self.data_files,
                self.metrics,
                self.metrics_file,
                self.timeout,
                self.reseed,
                self.env,
            )
        )
        return hashlib.sha256(facts.encode()).hexdigest()


# -- zero set-up ------------------------------------------------------------------------------


def script_name(argv: Sequence[str]) -> str:
    """A short name for a command: its first ``.py`` file's stem, else the program."""
    for arg in argv:
        if arg.endswith(".py"):
            return Path(arg).stem
    if len(argv) >= 3 and argv[1] == "-m":
        return argv[2].rsplit(".", 1)[-1]
    return Path(argv[0]).name


def from_command(
    argv: Sequence[str],
    *,
    project: Path,
    metrics_file: str = "",
    timeout: float | None = None,
    reseed: bool = False,
) -> ScriptSpec:
    """The zero-set-up audit of ``argv``, run from ``project``.

    Raises
    ------
    UsageError
        An empty command, a program that is not found, a script file that does not exist.
    """
    # a command typed in a shell may hold literal braces (JSON, Python): only auditkit's own
    # placeholders are placeholders here
    known = "|".join(BUILTIN_PLACEHOLDERS)
    escaped = [
        re.sub(rf"(\{{(?:{known})\}})|[{{}}]", lambda m: m.group(1) or m.group(0) * 2, arg)
        for arg in argv
    ]
    template = CommandTemplate.parse(escaped, origin="the command")
    template, replaced = template.with_seed_placeholder()
    name = script_name(argv)
    spec = ScriptSpec(
        name=name,
        origin="the command",
        project=str(project.resolve()),
        cwd="",
        template=template,
        variants=(ScriptVariant(name=name, baseline=True, origin="the command"),),
        metrics_file=metrics_file,
        timeout=timeout,
        reseed=reseed,
        declared=False,
        seed_argument=replaced,
    )
    preflight(spec)
    return spec


def is_python(program: str) -> bool:
    """True for ``python``, ``python3``, ``python3.11`` (run with auditkit's interpreter)."""
    return (
        re.fullmatch(r"python(?:3(?:\.\d+)?)?", Path(program).name) is not None
        and "/" not in program
    )


def resolve_program(program: str) -> str:
    """The executable a run starts: ``python`` is auditkit's own interpreter."""
    return sys.executable if is_python(program) else program


def preflight(spec: ScriptSpec) -> None:
    """Check, before any run, that the command can start: program and script exist.

    Raises
    ------
    UsageError
        The program is not on PATH, or the ``.py`` file the command runs does not exist.
    """
    args = spec.template.args
    where = Path(spec.project) / spec.cwd
    program = args[0]
    found = (where / program).exists() if "/" in program else shutil.which(resolve_program(program))
    if not found:
        raise UsageError(
            f"{spec.origin}: the program {program!r} is not found"
            + (f" in {where}" if "/" in program else " on PATH")
            + "; give the command exactly as you run it in a shell, e.g. "
            "`auditkit check -- python train.py`",
            slug="script-command-not-found",
        )
    if is_python(program) and len(args) > 1 and args[1].endswith(".py") and "{" not in args[1]:
        script = where / args[1]
        if not script.is_file():
            raise UsageError(
                f"{spec.origin}: the script {args[1]!r} does not exist in {where}; run auditkit "
                "from the folder you run the script from, or give its path",
                slug="script-not-found",
            )


# -- the audit file -----------------------------------------------------------------------------


def _lines(node: yaml.Node) -> dict[str, int]:
    """Top-level key -> 1-based line of a YAML mapping node."""
    out: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, _ in node.value:
            out[str(key.value)] = key.start_mark.line + 1
    return out


_CLAIM = re.compile(
    r"^\s*([\w.\-]+)\s*(>|<)\s*([\w.\-]+)\s+on\s+([\w./\-]+)"
    r"(?:\s*,\s*reported\s+([-+]?\d*\.?\d+)\s*(points|pts|%)?)?\s*$"
)


def parse_claim(text: str, where: str) -> Claim:
    """Read ``"relational > gru on test_acc, reported +2.1 points"``.

    ``reported`` in points or ``%`` is divided by 100; a bare number is in metric units.

    Raises
    ------
    UsageError
        The text does not have that form.
    """
    match = _CLAIM.match(text)
    if match is None:
        raise UsageError(
            f"{where}: claim {text!r} is not of the form 'VARIANT > BASELINE on METRIC' "
            "(optionally ', reported +2.1 points'); use < for a metric where lower is better",
            slug="script-bad-claim",
        )
    variant, sign, baseline, metric, reported, unit = match.groups()
    value = None
    if reported is not None:
        value = float(reported) / (100 if unit else 1)
        value = abs(value)
    return Claim(
        variant=variant,
        baseline=baseline,
        metric=metric,
        reported=value,
        direction=Direction.INCREASE if sign == ">" else Direction.DECREASE,
    )


def _settings(value: Any, where: str, what: str) -> tuple[Setting, ...]:
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        raise UsageError(
            f"{where}: {what} must be a mapping of names to values, e.g. {{epochs: 8}}; got "
            f"{value!r}",
            slug="script-bad-audit",
        )
    out = []
    for key, item in value.items():
        if not isinstance(item, str | int | float | bool):
            raise UsageError(
                f"{where}: {what} {key!r} = {item!r} must be a string, number or true/false",
                slug="script-bad-audit",
            )
        out.append((str(key), item))
    return tuple(out)


def load_audit_file(path: str | Path, *, reseed: bool = False) -> ScriptSpec:
    """Load and validate a declared script audit (YAML).

    Parameters
    ----------
    path
        The audit file; its folder is the project root unless ``project:`` says otherwise.
    reseed
        ``--reseed`` (also settable in the file).

    Returns
    -------
    ScriptSpec

    Raises
    ------
    UsageError
        With ``file:line``: YAML errors, unknown keys, a missing command or variant, a claim
        naming an unknown variant, a placeholder the file does not define, a declared data
        file that does not exist, a program or script that is not found.
    """
    file = Path(path)
    raw, lines = _read_audit_file(file)

    def at(key: str) -> str:
        return f"{file}:{lines.get(key, 1)}"

    _check_keys(raw, file, at)
    project = (file.parent / str(raw.get("project", "."))).resolve()
    if not project.is_dir():
        raise UsageError(
            f"{at('project')}: project folder {str(project)!r} does not exist",
            slug="script-bad-audit",
        )
    style_text = str(raw.get("style", "argparse"))
    if style_text not in {s.value for s in Style}:
        raise UsageError(
            f"{at('style')}: style {style_text!r} is not argparse or hydra",
            slug="script-bad-audit",
        )
    template = CommandTemplate.parse(raw["command"], style=Style(style_text), origin=at("command"))
    settings = _settings(raw.get("settings"), at("settings"), "settings")
    baseline, variants = _variants(raw, file, at)
    _check_placeholders(template, settings, variants, at("command"))
    data_files = _data_files(raw.get("data"), at("data"), project)
    metrics = _metrics(raw.get("metrics", []), at("metrics"))
    raw_claims = raw.get("claims") or []
    if not isinstance(raw_claims, list):
        raise UsageError(f"{at('claims')}: claims must be a list", slug="script-bad-audit")
    names = [v.name for v in variants]
    claims = [_claim(item, at("claims"), baseline, names, metrics) for item in raw_claims]
    if claims and not metrics:
        metrics = list(dict.fromkeys(c.metric for c in claims))
    timeout = raw.get("timeout")
    env = raw.get("env") or {}
    if not isinstance(env, Mapping):
        raise UsageError(f"{at('env')}: env must be a mapping", slug="script-bad-audit")
    spec = ScriptSpec(
        name=str(raw.get("name", file.stem)),
        origin=str(file),
        project=str(project),
        cwd="",
        template=template,
        settings=settings,
        variants=tuple(variants),
        data_files=data_files,
        metrics=tuple(metrics),
        metrics_file=str(raw.get("metrics_file", "")),
        claims=tuple(claims),
        timeout=None if timeout is None else parse_duration(str(timeout), flag=at("timeout")),
        reseed=bool(raw.get("reseed", False)) or reseed,
        env=tuple((str(k), str(v)) for k, v in env.items()),
        declared=True,
        expect_data=_expect_data(raw.get("expect_data"), at("expect_data")),
    )
    preflight(spec)
    return spec


def _expect_data(value: Any, where: str) -> dict[str, Any] | None:
    """The audit file's ``expect_data:``, validated as a model file's ``Experiment(...)``."""
    example = "expect_data: {source: SPR_BENCH, rows: {train: 20000}}"
    return check_expect_data(value, where, named="expect_data", example=example)


def _read_audit_file(file: Path) -> tuple[Mapping[str, Any], dict[str, int]]:
    """The audit file's YAML mapping and the line of each of its top-level keys."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"{file}: cannot read the audit file: {exc.strerror or exc}", slug="script-bad-audit"
        ) from None
    try:
        node = yaml.compose(text)
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise UsageError(
            f"{file}{line}: not valid YAML: {getattr(exc, 'problem', exc)}; fix the line above",
            slug="script-bad-audit",
        ) from None
    if not isinstance(raw, Mapping) or node is None:
        raise UsageError(
            f"{file}: an audit file is a YAML mapping with at least `command:` and `variants:`; "
            f"see {docs_dir() / 'script-mode.md'}",
            slug="script-bad-audit",
        )
    return raw, _lines(node)


def _check_keys(raw: Mapping[str, Any], file: Path, at: Callable[[str], str]) -> None:
    """Every top-level key is known, and ``command:`` is there."""
    for key in raw:
        if key not in AUDIT_KEYS:
            raise UsageError(
                f"{at(str(key))}: unknown key {key!r}.{did_you_mean(str(key), AUDIT_KEYS)} "
                f"An audit file may hold: {', '.join(AUDIT_KEYS)}",
                slug="script-bad-audit",
            )
    if "command" not in raw:
        raise UsageError(
            f"{file}: no `command:`; write the command you run with placeholders, e.g. "
            "command: python train.py --seed {seed}",
            slug="script-bad-audit",
        )


def _metrics(value: Any, where: str) -> list[str]:
    """``metrics:``: one name or a list of names."""
    metrics = [value] if isinstance(value, str) else value
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        raise UsageError(
            f"{where}: metrics must be a list of metric names, e.g. [test_acc]",
            slug="script-bad-audit",
        )
    return metrics


def _variants(
    raw: Mapping[str, Any], file: Path, at: Callable[[str], str]
) -> tuple[str, list[ScriptVariant]]:
    """The baseline's name and every declared variant, from ``variants:`` and ``baseline:``."""
    raw_variants = raw.get("variants")
    if not isinstance(raw_variants, Mapping) or not raw_variants:
        raise UsageError(
            f"{at('variants') if 'variants' in raw else file}: `variants:` must map each "
            'variant\'s name to its settings ({arch: gru}) or extra arguments ("--arch gru")',
            slug="script-bad-audit",
        )
    baseline = str(raw.get("baseline", next(iter(raw_variants))))
    if baseline not in raw_variants:
        raise UsageError(
            f"{at('baseline')}: baseline {baseline!r} is not a variant."
            f"{did_you_mean(baseline, [str(v) for v in raw_variants])} Variants: "
            f"{', '.join(map(str, raw_variants))}",
            slug="script-bad-audit",
        )
    variants = []
    for name, value in raw_variants.items():
        where = at("variants")
        if isinstance(value, str):
            variants.append(
                ScriptVariant(
                    name=str(name),
                    args=tuple(shlex.split(value)),
                    baseline=str(name) == baseline,
                    origin=where,
                )
            )
        else:
            variants.append(
                ScriptVariant(
                    name=str(name),
                    values=_settings(value, where, f"variant {name!r}"),
                    baseline=str(name) == baseline,
                    origin=where,
                )
            )
    return baseline, variants


def _check_placeholders(
    template: CommandTemplate,
    settings: tuple[Setting, ...],
    variants: Sequence[ScriptVariant],
    where: str,
) -> None:
    """Every placeholder of the command is filled for every variant (a setting or each's)."""
    known = [k for k, _ in settings]
    per_variant = [{k for k, _ in v.values} for v in variants]
    known += sorted(set.intersection(*per_variant)) if per_variant else []
    if "batch_size" not in known and "batch_size" in template.placeholders():
        raise UsageError(
            f"{where}: the placeholder {{batch_size}} needs a value: declare "
            "batch_size under settings (the batch-size rule varies it)",
            slug="script-unknown-placeholder",
        )
    template.check_defined(known)


def _claim(item: Any, where: str, baseline: str, names: list[str], metrics: list[str]) -> Claim:
    """One entry of ``claims:`` (text or mapping), checked against the variants and metrics."""
    if isinstance(item, str):
        claim = parse_claim(item, where)
    elif isinstance(item, Mapping) and {"variant", "metric"} <= set(item):
        reported = item.get("reported")
        claim = Claim(
            variant=str(item["variant"]),
            baseline=str(item.get("over", baseline)),
            metric=str(item["metric"]),
            reported=None if reported is None else float(reported),
            direction=Direction(str(item.get("direction", "increase"))),
        )
    else:
        raise UsageError(
            f"{where}: claim {item!r} must be 'VARIANT > BASELINE on METRIC' or a mapping "
            "with variant, over, metric and optionally reported",
            slug="script-bad-claim",
        )
    for arm in (claim.variant, claim.baseline):
        if arm not in names:
            raise UsageError(
                f"{where}: claim {claim.label!r} names the variant {arm!r}, which is not "
                f"declared.{did_you_mean(arm, names)} Variants: {', '.join(names)}",
                slug="script-bad-claim",
            )
    if claim.variant == claim.baseline:
        raise UsageError(
            f"{where}: claim {claim.label!r} compares a variant with itself",
            slug="script-bad-claim",
        )
    if metrics and claim.metric not in metrics:
        raise UsageError(
            f"{where}: claim {claim.label!r} is on the metric {claim.metric!r}, which is "
            f"not among metrics: {', '.join(metrics)}; add it there",
            slug="script-bad-claim",
        )
    return claim


def _data_files(value: Any, where: str, project: Path) -> tuple[tuple[str, str], ...]:
    """Declared data files as (role, project-relative path); each must exist."""
    if value is None:
        return ()
    if isinstance(value, str):
        folder = project / value
        if not folder.is_dir():
            raise UsageError(
                f"{where}: data folder {value!r} does not exist in {project}",
                slug="script-missing-data",
            )
        found = sorted(
            p for p in folder.iterdir() if p.suffix in (".csv", ".jsonl", ".tsv", ".json")
        )
        pairs = [(p.stem, p.relative_to(project).as_posix()) for p in found]
    elif isinstance(value, Mapping):
        pairs = [(str(k), str(v)) for k, v in value.items()]
    elif isinstance(value, list):
        pairs = [(Path(str(v)).stem, str(v)) for v in value]
    else:
        raise UsageError(
            f"{where}: data must map roles to files ({{train: data/train.csv}}), list files, "
            "or name a folder",
            slug="script-bad-audit",
        )
    out = []
    for role, rel in pairs:
        # not resolved: a data folder linked from elsewhere is still the project's
        target = Path(os.path.normpath(project / rel))
        if not target.is_file():
            raise UsageError(
                f"{where}: declared data file {rel!r} ({role}) does not exist in {project}; fix "
                "the path (relative to the audit file's folder) or remove it",
                slug="script-missing-data",
            )
        try:
            relpath = target.relative_to(project).as_posix()
        except ValueError:
            raise UsageError(
                f"{where}: declared data file {rel!r} lies outside the project folder "
                f"{project}; each run gets its own copy inside its mirror of the project, so "
                "the data must be inside it",
                slug="script-bad-audit",
            ) from None
        out.append((role, relpath))
    return tuple(out)
