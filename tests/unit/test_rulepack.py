"""Rule packs: shipped packs load; every malformed pack names file:line and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditkit.errors import RulePackError
from auditkit.rulepack import builtin_packs, load_rulepack, select_rules

GOOD = """\
pack: mine
schema: 1
settings: {seeds: 4, alpha: 0.05}
rules:
  - id: AK101
    name: seed-variance
    check: seed_sweep
    severity: high
    why: Seeds move metrics.
    fix: Use more seeds.
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pack.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str) -> str:
    with pytest.raises(RulePackError) as info:
        load_rulepack(_write(tmp_path, text))
    return str(info.value)


def test_shipped_packs_load_and_hold_the_seed_rule() -> None:
    assert {"quick", "default"} <= set(builtin_packs())
    for name in ("quick", "default"):
        pack = load_rulepack(name)
        assert pack.find("AK101") is pack.find("seed-variance") is not None
    assert load_rulepack("quick").settings.seeds == 3
    assert load_rulepack("default").settings.seeds == 5


def test_every_shipped_rule_has_why_fix_and_a_valid_id() -> None:
    for path in builtin_packs().values():
        for rule in load_rulepack(path).rules:
            assert rule.why and rule.fix, rule.id
            assert rule.id.startswith("AK") and len(rule.id) == 5


def test_users_own_pack_by_path(tmp_path: Path) -> None:
    pack = load_rulepack(_write(tmp_path, GOOD))
    assert pack.name == "mine"
    assert pack.settings.seeds == 4
    assert len(pack.sha256) == 64


def test_unknown_check_suggests_the_closest(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("check: seed_sweep", "check: seed_swep"))
    assert "pack.yaml:7: rule AK101 (seed-variance): unknown check 'seed_swep'" in message
    assert "Did you mean 'seed_sweep'?" in message
    assert "(unknown-check)" in message


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("severity: high", "severity: [high"))
    assert "pack.yaml:" in message
    assert "YAML syntax error" in message


def test_duplicate_id(tmp_path: Path) -> None:
    text = GOOD + GOOD.split("rules:\n", 1)[1].replace("seed-variance", "seed-again")
    message = _error(tmp_path, text)
    assert "pack.yaml:11:" in message
    assert "'AK101' is already used by the rule at line 5" in message


def test_missing_why(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("    why: Seeds move metrics.\n", ""))
    assert "pack.yaml:5: rule AK101 (seed-variance): missing or empty 'why'" in message


def test_unknown_rule_key_suggests(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("severity: high", "severty: high"))
    assert "pack.yaml:8: unknown key 'severty' in a rule. Did you mean 'severity'?" in message


def test_bad_param_type_and_unknown_param(tmp_path: Path) -> None:
    message = _error(tmp_path, GOOD.replace("    why:", "    params: {vary: 3}\n    why:"))
    assert "pack.yaml:9: rule AK101 (seed-variance): bad params: vary=3" in message
    message = _error(tmp_path, GOOD.replace("    why:", "    params: {varry: both}\n    why:"))
    assert "unknown param 'varry'. Did you mean 'vary'?" in message


def test_bad_id_and_settings(tmp_path: Path) -> None:
    assert "must be AK + family digit" in _error(tmp_path, GOOD.replace("AK101", "AK1"))
    assert "seeds=1 must be an integer >= 2" in _error(
        tmp_path, GOOD.replace("seeds: 4", "seeds: 1")
    )
    assert "unknown setting 'sedes'" in _error(tmp_path, GOOD.replace("seeds: 4", "sedes: 4"))


def test_unknown_pack_name_suggests() -> None:
    with pytest.raises(RulePackError, match="Did you mean 'quick'"):
        load_rulepack("quik")


def test_yaml_is_loaded_safely(tmp_path: Path) -> None:
    text = GOOD.replace("why: Seeds move metrics.", "why: !!python/object/apply:os.system ['true']")
    assert "YAML" in _error(tmp_path, text)


def test_select_rules_by_id_or_name_and_unknown_key() -> None:
    pack = load_rulepack("default")
    assert len(select_rules(pack, ("seed-variance",), ()).rules) == 1
    assert "AK101" not in [r.id for r in select_rules(pack, (), ("AK101",)).rules]
    assert select_rules(pack, (), tuple(r.id for r in pack.rules)).rules == ()
    with pytest.raises(RulePackError, match="names no rule"):
        select_rules(pack, ("AK999",), ())
