"""The walk-through in docs/architecture.md works as written: its check, its rule, its table.

The Python and YAML blocks of "How to add a rule family" are run as they stand: the check
registers (in a copy of the registry, so no other test sees it), a pack extends the
default one with the rule, and a real audit of the tiny model assesses it.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

import auditkit.audit
import auditkit.checks as registry
from auditkit.audit import AuditOptions, run_audit
from auditkit.exhibits import Table
from auditkit.types import Finding
from tests.conftest import REPO, TINY_MODEL

pytestmark = pytest.mark.slow

DOC = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")


def _block(language: str) -> str:
    blocks = re.findall(rf"```{language}\n(.*?)```", DOC, flags=re.DOTALL)
    assert len(blocks) >= 1, f"docs/architecture.md has no {language} block"
    return str(blocks[0])


def test_the_documented_check_shows_its_table(
    tmp_path: Path,
    write_model: Callable[[str], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    registry.checks()  # the built-ins first, then the documented check in a copy
    monkeypatch.setattr(registry, "_CHECKS", dict(registry._CHECKS))
    module = types.ModuleType("documented_check")
    monkeypatch.setitem(sys.modules, module.__name__, module)  # its dataclass looks it up
    exec(compile(_block("python"), "docs/architecture.md", "exec"), module.__dict__)
    pack = tmp_path / "pack.yaml"
    pack.write_text(
        "pack: documented\nschema: 1\nextends: default\nrules:\n" + _block("yaml"),
        encoding="utf-8",
    )
    rule_id = re.search(r"id: (AK\d+)", _block("yaml"))
    assert rule_id is not None
    findings: dict[str, Finding | None] = {}

    def keep(plan: Any, context: Any) -> Mapping[str, Finding | None]:
        found = registry_assess(plan, context)
        findings.update(found)
        return found

    registry_assess = auditkit.audit.assess_rules
    monkeypatch.setattr(auditkit.audit, "assess_rules", keep)
    monkeypatch.chdir(tmp_path)
    outcome = run_audit(
        AuditOptions(
            model_file=str(write_model(TINY_MODEL)),
            rules=str(pack),
            only=(rule_id.group(1),),
            seeds=3,
            cache=False,
            jobs=0,
            out=str(tmp_path / "out"),
        )
    )
    (row,) = outcome.document["rules"]
    finding = findings[rule_id.group(1)]
    assert finding is not None and row["outcome"] == finding.outcome
    (table,) = finding.exhibits
    assert isinstance(table, Table)
    assert {r[0] for r in table.rows} == {"bag", "gru"}
    assert all(r[2] == 3 and r[4] >= 0 for r in table.rows)
    # the outcome follows from the table and the claim's gain, as the check says
    baseline_range = next(r[4] for r in table.rows if r[0] == "bag")
    (claim,) = outcome.document["claims"]
    within = abs(claim["gain"]["mean"]) < baseline_range
    assert row["outcome"] == ("warn" if within else "pass")
