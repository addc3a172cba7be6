"""Rule packs: YAML files that say which checks to run, why they matter and how to fix them."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from auditkit.checks import checks
from auditkit.errors import RulePackError, did_you_mean

SCHEMA = 1
RULE_ID = re.compile(r"^AK[1-5]\d\d$")
RULE_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
SEVERITIES = ("low", "medium", "high")
PACK_KEYS = {"pack", "schema", "description", "settings", "rules", "extends", "only", "params"}
RULE_KEYS = {"id", "name", "check", "severity", "params", "why", "fix", "references"}
REQUIRED_RULE_KEYS = ("id", "name", "check", "severity", "why", "fix")


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Statistical settings of a pack; ``--seeds`` overrides ``seeds``."""

    #: seeds per arm
    seeds: int = 5
    #: one-sided significance level, after Holm correction across claims
    alpha: float = 0.05
    #: region of practical equivalence, in metric units (0.005 = half a point)
    rope: float = 0.005
    #: confidence level of the reported intervals
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if not isinstance(self.seeds, int) or isinstance(self.seeds, bool) or self.seeds < 2:
            raise ValueError(f"seeds={self.seeds!r} must be an integer >= 2")
        for name in ("alpha", "confidence"):
            value = getattr(self, name)
            if not isinstance(value, float | int) or not 0 < value < 1:
                raise ValueError(f"{name}={value!r} must be a number strictly between 0 and 1")
        if not isinstance(self.rope, float | int) or self.rope < 0:
            raise ValueError(f"rope={self.rope!r} must be a number >= 0")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One rule of a pack."""

    id: str
    name: str
    check: str
    severity: str
    #: the check's params dataclass, built from the YAML mapping
    params: Any
    why: str
    fix: str
    references: tuple[str, ...] = ()
    #: "file:line" of the rule in its pack
    origin: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RulePack:
    """A validated rule pack."""

    name: str
    path: str
    description: str
    settings: Settings
    rules: tuple[Rule, ...]
    #: SHA-256 of the pack file's bytes (provenance)
    sha256: str = field(default="")

    def find(self, key: str) -> Rule | None:
        """The rule whose id or name is ``key``, or None."""
        for rule in self.rules:
            if key in (rule.id, rule.name):
                return rule
        return None


def builtin_packs_dir() -> Path:
    """Folder of the shipped packs: ``auditkit/rules`` in a wheel, ``rules/`` in a checkout."""
    packaged = Path(str(files("auditkit"))) / "rules"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "rules"


def builtin_packs() -> dict[str, Path]:
    """Shipped pack names mapped to their files."""
    return {p.stem: p for p in sorted(builtin_packs_dir().glob("*.yaml"))}


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def _fail(path: str, line: int, message: str, slug: str) -> RulePackError:
    return RulePackError(f"{path}:{line}: {message}", slug=slug)


def _unknown_key(
    path: str, key_node: yaml.Node, key: str, allowed: set[str], where: str
) -> RulePackError:
    mean = did_you_mean(key, sorted(allowed))
    return _fail(
        path,
        _line(key_node),
        f"unknown key {key!r} in {where}.{mean} Allowed keys: {', '.join(sorted(allowed))}.",
        "unknown-key",
    )


def _mapping_nodes(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {str(k.value): (k, v) for k, v in node.value}


def _build_params(path: str, line: int, rule_label: str, cls: type, raw: Any) -> Any:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise _fail(
            path, line, f"{rule_label}: params must be a mapping, got {raw!r}", "bad-params"
        )
    names = {f.name for f in dataclasses.fields(cls)}
    for key in raw:
        if key not in names:
            mean = did_you_mean(str(key), sorted(names))
            known = ", ".join(sorted(names)) or "none"
            raise _fail(
                path,
                line,
                f"{rule_label}: unknown param {key!r}.{mean} The check's params are: {known}.",
                "bad-params",
            )
    try:
        return cls(**raw)
    except (TypeError, ValueError) as exc:
        raise _fail(path, line, f"{rule_label}: bad params: {exc}", "bad-params") from None


def _inherited(
    shown: str,
    top: dict[str, tuple[yaml.Node, yaml.Node]],
    doc: dict[str, Any],
    registry: Mapping[str, Any],
    depth: int,
) -> list[Rule]:
    """The rules a pack takes from the pack it ``extends``: ``only`` some, ``params`` changed."""
    line = _line(top["extends"][1])
    if depth > 5:
        raise _fail(shown, line, "packs extend each other in a loop", "pack-extends")
    base = load_rulepack(str(doc["extends"]), _depth=depth + 1)
    rules = list(base.rules)
    only = doc.get("only")
    if only is not None:
        only_line = _line(top["only"][1])
        if not isinstance(only, list) or not all(isinstance(k, str) for k in only):
            raise _fail(shown, only_line, "only must be a list of rule ids or names", "pack-shape")
        for key in only:
            if base.find(key) is None:
                mean = did_you_mean(key, [r.id for r in rules] + [r.name for r in rules])
                raise _fail(
                    shown,
                    only_line,
                    f"only: {key!r} names no rule of pack {base.name!r}.{mean}",
                    "unknown-rule",
                )
        rules = [r for r in rules if r.id in only or r.name in only]
    overrides = doc.get("params") or {}
    if overrides:
        params_line = _line(top["params"][1])
        if not isinstance(overrides, dict):
            raise _fail(shown, params_line, "params must map rule ids to params", "pack-shape")
        for key, values in overrides.items():
            index = next((i for i, r in enumerate(rules) if key in (r.id, r.name)), None)
            if index is None:
                raise _fail(
                    shown,
                    params_line,
                    f"params: {key!r} names no rule of this pack",
                    "unknown-rule",
                )
            rule = rules[index]
            label = f"rule {rule.id} ({rule.name})"
            merged = {**dataclasses.asdict(rule.params), **(values or {})}
            params = _build_params(shown, params_line, label, registry[rule.check].params, merged)
            rules[index] = dataclasses.replace(rule, params=params)
    return rules


def load_rulepack(name_or_path: str | Path, *, _depth: int = 0) -> RulePack:
    """Load and validate a rule pack.

    A pack may ``extends:`` another (a shipped name or a path), keep ``only:`` some of its
    rules, override their ``params:`` by rule id, and add ``rules:`` of its own.

    Parameters
    ----------
    name_or_path
        A shipped pack's name (``quick``, ``default``) or the path of a YAML file.

    Returns
    -------
    RulePack

    Raises
    ------
    RulePackError
        With ``file:line``: YAML syntax errors, unknown keys, unknown checks (with a
        suggestion), bad params, missing ``why``/``fix``, malformed or duplicate ids.
    """
    path = _pack_path(name_or_path)
    shown = str(path)
    raw_bytes = path.read_bytes()
    root, doc = _parse_yaml(shown, raw_bytes)
    top = _top_level(shown, root, doc)
    settings = _settings(shown, top, doc)

    registry = checks()
    rules: list[Rule] = _inherited(shown, top, doc, registry, _depth) if "extends" in top else []
    seen: dict[str, int] = {key: 0 for r in rules for key in (r.id, r.name)}
    rules_node = (
        top["rules"][1] if "rules" in top else yaml.SequenceNode("tag:yaml.org,2002:seq", [])
    )
    if not isinstance(rules_node, yaml.SequenceNode):
        raise _fail(shown, _line(rules_node), "rules must be a list of rules", "pack-shape")
    for rule_node, raw in zip(rules_node.value, doc.get("rules") or [], strict=True):
        rules.append(_own_rule(shown, rule_node, raw, registry, seen))
    return RulePack(
        name=str(doc["pack"]),
        path=shown,
        description=str(doc.get("description") or ""),
        settings=settings,
        rules=tuple(rules),
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
    )


def _pack_path(name_or_path: str | Path) -> Path:
    """The file of a shipped pack's name, or the path given; an error when neither exists."""
    packs = builtin_packs()
    text_name = str(name_or_path)
    if text_name in packs:
        return packs[text_name]
    path = Path(name_or_path)
    if not path.is_file():
        mean = did_you_mean(text_name, list(packs))
        raise RulePackError(
            f"--rules {text_name!r} is neither a shipped pack nor a file.{mean} Shipped "
            f"packs: {', '.join(packs)}; or pass the path of your own YAML pack.",
            slug="unknown-pack",
        )
    return path


def _parse_yaml(shown: str, raw_bytes: bytes) -> tuple[yaml.Node | None, Any]:
    """The pack's YAML as a node tree (for line numbers) and as plain values."""
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RulePackError(
            f"{shown}: not UTF-8 text (byte {exc.start}); save the pack as UTF-8",
            slug="pack-not-utf8",
        ) from None
    try:
        # compose keeps line numbers; SafeLoader builds plain values only (never objects).
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        doc = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else 1
        raise _fail(shown, line, f"YAML syntax error: {exc.problem}", "yaml-syntax") from None
    except yaml.YAMLError as exc:
        raise RulePackError(f"{shown}: YAML error: {exc}", slug="yaml-syntax") from None
    return root, doc


def _top_level(
    shown: str, root: yaml.Node | None, doc: Any
) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """The pack's top-level key nodes, once its keys and schema are checked."""
    if not isinstance(root, yaml.MappingNode):
        raise _fail(
            shown, 1, "a rule pack must be a mapping with keys pack, schema, rules", "pack-shape"
        )
    top = _mapping_nodes(root)
    for key, (key_node, _) in top.items():
        if key not in PACK_KEYS:
            raise _unknown_key(shown, key_node, key, PACK_KEYS, "the pack")
    for key in ("pack", "schema") if "extends" in top else ("pack", "schema", "rules"):
        if key not in top:
            raise _fail(shown, 1, f"missing top-level key {key!r}", "pack-shape")
    if doc["schema"] != SCHEMA:
        raise _fail(
            shown,
            _line(top["schema"][1]),
            f"schema {doc['schema']!r} is not supported; this auditkit reads schema {SCHEMA}",
            "pack-schema",
        )
    return top


def _settings(
    shown: str, top: dict[str, tuple[yaml.Node, yaml.Node]], doc: dict[str, Any]
) -> Settings:
    """The pack's ``settings:``, each key checked against :class:`Settings`."""
    settings_raw = doc.get("settings") or {}
    settings_line = _line(top["settings"][1]) if "settings" in top else 1
    if not isinstance(settings_raw, dict):
        raise _fail(shown, settings_line, "settings must be a mapping", "bad-settings")
    allowed = {f.name for f in dataclasses.fields(Settings)}
    for key in settings_raw:
        if key not in allowed:
            mean = did_you_mean(str(key), sorted(allowed))
            raise _fail(shown, settings_line, f"unknown setting {key!r}.{mean}", "bad-settings")
    try:
        return Settings(**settings_raw)
    except ValueError as exc:
        raise _fail(shown, settings_line, f"bad settings: {exc}", "bad-settings") from None


def _own_rule(
    shown: str,
    rule_node: yaml.Node,
    raw: Any,
    registry: Mapping[str, Any],
    seen: dict[str, int],
) -> Rule:
    """One rule of the pack's own ``rules:``, validated; ``seen`` gains its id and name."""
    line = _line(rule_node)
    if not isinstance(rule_node, yaml.MappingNode):
        raise _fail(shown, line, "each rule must be a mapping", "pack-shape")
    fields = _mapping_nodes(rule_node)
    for key, (key_node, _) in fields.items():
        if key not in RULE_KEYS:
            raise _unknown_key(shown, key_node, key, RULE_KEYS, "a rule")
    label = f"rule {raw.get('id', '?')} ({raw.get('name', '?')})"
    for key in REQUIRED_RULE_KEYS:
        if not raw.get(key) or not isinstance(raw[key], str):
            raise _fail(
                shown,
                line,
                f"{label}: missing or empty {key!r}; every rule states "
                f"{', '.join(REQUIRED_RULE_KEYS)}",
                "rule-missing-field",
            )
    rule_id, rule_name = raw["id"], raw["name"]
    _check_names(shown, fields, label, line, rule_id, rule_name, seen)
    if raw["severity"] not in SEVERITIES:
        raise _fail(
            shown,
            _line(fields["severity"][1]),
            f"{label}: severity {raw['severity']!r} must be one of {', '.join(SEVERITIES)}",
            "rule-severity",
        )
    check_name = raw["check"]
    if check_name not in registry:
        mean = did_you_mean(check_name, sorted(registry))
        raise _fail(
            shown,
            _line(fields["check"][1]),
            f"{label}: unknown check {check_name!r}. Known checks: "
            f"{', '.join(sorted(registry))}.{mean}",
            "unknown-check",
        )
    params_line = _line(fields["params"][1]) if "params" in fields else line
    params = _build_params(
        shown, params_line, label, registry[check_name].params, raw.get("params")
    )
    references = raw.get("references") or []
    if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
        raise _fail(shown, line, f"{label}: references must be a list of strings", "pack-shape")
    return Rule(
        id=rule_id,
        name=rule_name,
        check=check_name,
        severity=raw["severity"],
        params=params,
        why=" ".join(raw["why"].split()),
        fix=" ".join(raw["fix"].split()),
        references=tuple(references),
        origin=f"{shown}:{line}",
    )


def _check_names(
    shown: str,
    fields: dict[str, tuple[yaml.Node, yaml.Node]],
    label: str,
    line: int,
    rule_id: str,
    rule_name: str,
    seen: dict[str, int],
) -> None:
    """A rule's id and name: well formed and unused so far; both are added to ``seen``."""
    if not RULE_ID.match(rule_id):
        raise _fail(
            shown,
            _line(fields["id"][1]),
            f"rule id {rule_id!r} must be AK + family digit 1-5 + two digits, e.g. AK101",
            "rule-id",
        )
    if not RULE_NAME.match(rule_name):
        raise _fail(
            shown,
            _line(fields["name"][1]),
            f"rule name {rule_name!r} must be kebab-case, e.g. seed-variance",
            "rule-name",
        )
    for key in (rule_id, rule_name):
        if key in seen:
            where = f"the rule at line {seen[key]}" if seen[key] else "an inherited rule"
            raise _fail(
                shown,
                line,
                f"{label}: {key!r} is already used by {where}; ids and names must be unique",
                "duplicate-rule",
            )
        seen[key] = line


def select_rules(pack: RulePack, only: tuple[str, ...], skip: tuple[str, ...]) -> RulePack:
    """Keep the rules named (by id or name) in ``only`` and drop those in ``skip``.

    Raises
    ------
    RulePackError
        When a key names no rule of the pack.
    """
    known = [r.id for r in pack.rules] + [r.name for r in pack.rules]
    for key in (*only, *skip):
        if pack.find(key) is None:
            mean = did_you_mean(key, known)
            raise RulePackError(
                f"--only/--skip {key!r} names no rule of pack {pack.name!r}.{mean} Its rules: "
                f"{', '.join(f'{r.id} ({r.name})' for r in pack.rules)}.",
                slug="unknown-rule",
            )
    kept = tuple(
        r
        for r in pack.rules
        if (not only or r.id in only or r.name in only) and r.id not in skip and r.name not in skip
    )
    return dataclasses.replace(pack, rules=kept)
