"""Meta-tests over rules/*.yaml: every rule is documented, explained and quality-tested."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditkit.checks import checks
from auditkit.cli import main
from auditkit.errors import RulePackError
from auditkit.rulepack import builtin_packs, load_rulepack
from tests.conftest import REPO

PACKS = sorted(builtin_packs())
QUALITY = "\n".join(
    p.read_text(encoding="utf-8") for p in (REPO / "tests" / "quality").glob("test_*.py")
)


def test_the_three_packs_ship() -> None:
    assert {"quick", "default", "strict"} <= set(PACKS)


@pytest.mark.parametrize("pack", PACKS)
def test_every_rule_has_why_fix_references_and_a_quality_test(pack: str) -> None:
    loaded = load_rulepack(pack)
    assert loaded.rules, pack
    for rule in loaded.rules:
        assert len(rule.why) > 40 and len(rule.fix) > 30, rule.id
        assert rule.references, f"{rule.id} cites nothing"
        # each rule's quality test names it: "AK301" appears in tests/quality/
        assert f'"{rule.id}"' in QUALITY, f"{rule.id} ({rule.name}) has no quality test"
        assert rule.check in checks()


@pytest.mark.parametrize("pack", PACKS)
def test_rules_explain_works_for_every_rule(pack: str, capsys: pytest.CaptureFixture[str]) -> None:
    for rule in load_rulepack(pack).rules:
        for key in (rule.id, rule.name):
            assert main(["rules", "explain", key, "--pack", pack]) == 0
            out = capsys.readouterr().out
            assert rule.id in out and "Why it matters." in out and "How to fix." in out


def test_quick_is_a_subset_of_default_and_strict_is_stricter() -> None:
    quick, default, strict = (load_rulepack(p) for p in ("quick", "default", "strict"))
    assert {r.id for r in quick.rules} <= {r.id for r in default.rules}
    assert quick.settings.seeds < default.settings.seeds < strict.settings.seeds
    assert strict.settings.alpha < default.settings.alpha


def test_every_registered_check_is_used_by_the_default_pack() -> None:
    used = {r.check for r in load_rulepack("default").rules}
    assert set(checks()) <= used, set(checks()) - used


def test_ids_and_names_are_unique_across_packs() -> None:
    by_id: dict[str, str] = {}
    for pack in PACKS:
        for rule in load_rulepack(pack).rules:
            assert by_id.setdefault(rule.id, rule.name) == rule.name, rule.id


def test_pack_extending_another(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "pack: mine\nschema: 1\nextends: default\nonly: [AK301, seed-variance]\n"
        "params:\n  AK301: {min_drop: 0.05}\n",
        encoding="utf-8",
    )
    pack = load_rulepack(path)
    assert [r.id for r in pack.rules] == ["AK101", "AK301"]
    rule = pack.find("AK301")
    assert rule is not None and rule.params.min_drop == 0.05


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("only: [AK399]\n", "mine.yaml:4: only: 'AK399' names no rule of pack 'default'"),
        (
            "params:\n  AK301: {min_drop: -1}\n",
            "mine.yaml:5: rule AK301 (token-order-reliance): bad params: min_drop=-1",
        ),
        ("params:\n  AK301: {min_dorp: 1}\n", "unknown param 'min_dorp'. Did you mean 'min_drop'?"),
    ],
)
def test_bad_extension_errors(tmp_path: Path, body: str, expected: str) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("pack: mine\nschema: 1\nextends: default\n" + body, encoding="utf-8")
    with pytest.raises(RulePackError) as info:
        load_rulepack(path)
    assert expected in str(info.value)
