"""audit.json as a typed document: round trip, format 1, JSON Schema, numbers and units."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from scipy import stats

from auditkit.exhibits import Column, Curve, Curves, Table, ValueKind
from auditkit.report.auditdoc import (
    FORMAT,
    AgreementKind,
    AuditDocument,
    DocumentError,
    Scale,
    document_from_json,
    document_schema,
    document_to_json,
    dumps_document,
    load_document,
)
from auditkit.report.document import claim_to_dict, rule_params
from auditkit.report.html import render_html
from auditkit.report.latex import render_latex
from auditkit.report.terminal import make_console, render_terminal
from auditkit.report.view import build_view
from auditkit.rulepack import load_rulepack
from auditkit.types import Claim, Direction
from auditkit.verdict import ClaimEvidence, Thresholds, decide_all
from tests.gold.fixtures import FULL, GOLD, hostile, load_full, old_format

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "audit-schema.json"
FORMAT1 = GOLD / "audit_format1.json"
T = Thresholds(alpha=0.05, rope=0.005, confidence=0.95)


def _format1() -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(FORMAT1.read_text(encoding="utf-8"))
    return raw


#: every gold document: the fixture, its hostile and old-format twins, main's format-1 file
FIXTURES = {
    "full": load_full,
    "hostile": lambda: hostile(load_full()),
    "old_format": lambda: old_format(load_full()),
    "format1": _format1,
    "format1_old": lambda: old_format(_format1()),
}


@pytest.mark.parametrize("name", FIXTURES)
def test_write_read_write_gives_the_same_json(name: str) -> None:
    first = document_to_json(document_from_json(FIXTURES[name]()))
    again = document_to_json(document_from_json(first))
    assert json.dumps(again) == json.dumps(first)
    assert first["format"] == FORMAT == 2


def test_the_format_2_fixture_is_exactly_what_the_writer_writes() -> None:
    assert dumps_document(load_document(FULL)) == FULL.read_text(encoding="utf-8")


def test_the_committed_schema_is_the_one_the_types_give() -> None:
    committed = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert committed == document_schema(), "run: python scripts/gen_docs.py"


@pytest.mark.parametrize("name", FIXTURES)
def test_every_gold_document_validates_against_the_schema(name: str) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    written = document_to_json(document_from_json(FIXTURES[name]()))
    jsonschema.Draft202012Validator(schema).validate(written)


def test_the_schema_rejects_formatted_text_where_numbers_belong() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    doc = load_full()
    doc["claims"][0]["agreement"][0]["p"] = "p = 0.015"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)
    del doc["claims"][0]["agreement"][0]["p"]
    doc["claims"][0]["agreement"][0]["value"] = "p = 0.015"  # format 1's key is gone
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)


def test_a_format_1_file_opens_and_renders_its_agreement_text_as_written() -> None:
    doc = load_document(FORMAT1)
    cells = [a for c in doc.claims for a in c.agreement]
    assert cells and all(a.kind is AgreementKind.TEXT for a in cells)
    assert all(a.p is None for a in cells)  # the numbers were never written
    html = render_html(build_view(doc))
    assert "P = 1.00" in html and "ε = 0.08" in html
    assert [c.scale for c in doc.claims] == [Scale.FRACTION] * 4


def test_the_full_fixture_holds_numbers_not_formatted_text() -> None:
    doc = load_document(FULL)
    t_test = doc.claims[0].agreement[0]
    assert t_test.kind is AgreementKind.P_VALUE
    assert (t_test.p, t_test.statistic, t_test.df) == (0.002, 3.1, 2)
    raw = json.loads(FULL.read_text(encoding="utf-8"))
    rows = [a for c in raw["claims"] for a in c["agreement"]]
    assert all("value" not in a and a["text"] is None for a in rows)
    for claim in raw["claims"]:
        assert isinstance(claim["gain"]["statistic"], float) and claim["gain"]["df"] == 2


def _evidence(metric: str, base: list[float], var: list[float]) -> ClaimEvidence:
    claim = Claim(variant="v", baseline="b", metric=metric, direction=Direction.INCREASE)
    return ClaimEvidence(
        claim=claim,
        seeds=tuple(range(len(base))),
        baseline=tuple(base),
        variant=tuple(var),
        seeds_planned=len(base),
    )


def test_a_decision_is_written_with_its_statistic_df_and_every_test_as_numbers() -> None:
    base = [0.70, 0.72, 0.71, 0.69, 0.73]
    var = [0.74, 0.75, 0.75, 0.72, 0.76]
    (decision,) = decide_all([_evidence("accuracy", base, var)], T)
    raw = claim_to_dict(decision)
    gains = [v - b for b, v in zip(base, var, strict=True)]
    reference = stats.ttest_1samp(gains, 0.0, alternative="greater")
    assert raw["gain"]["statistic"] == pytest.approx(reference.statistic, rel=1e-9)
    assert raw["gain"]["df"] == 4
    assert raw["gain"]["p_one_sided"] == pytest.approx(reference.pvalue, rel=1e-9)
    assert (raw["scale"], raw["unit"]) == ("fraction", "pts")
    t_row, wilcoxon = raw["agreement"][:2]
    assert t_row["p"] == pytest.approx(raw["gain"]["p_holm"])
    assert t_row["statistic"] == pytest.approx(reference.statistic, rel=1e-9)
    exact = stats.wilcoxon(gains, alternative="greater", method="exact")
    assert wilcoxon["p"] == pytest.approx(exact.pvalue) and wilcoxon["statistic"] == exact.statistic
    by_kind = {a["kind"]: a for a in raw["agreement"]}
    assert by_kind["interval"]["low"] < by_kind["interval"]["high"]
    assert 0.0 <= by_kind["share"]["estimate"] <= 1.0
    for row in raw["agreement"]:
        assert all(not isinstance(row[k], str) for k in ("p", "low", "high", "estimate"))


def test_a_metric_off_the_0_1_scale_keeps_its_unit_in_every_view() -> None:
    # a perplexity of ~25 lowered by ~1.3: points (x100) would print "-130 pts"
    base = [25.1, 24.8, 25.4, 25.0, 24.9]
    var = [23.8, 23.5, 24.1, 23.7, 23.6]
    (decision,) = decide_all([_evidence("perplexity", base, var)], T)
    raw = claim_to_dict(decision)
    assert (raw["scale"], raw["unit"]) == ("own", "perplexity")
    doc = load_full()
    doc["claims"] = [raw]
    view = build_view(doc)
    claim = view.claims[0]
    assert claim.unit == "perplexity" and view.gain_unit == "perplexity"
    assert claim.gain == f"{raw['gain']['mean']:+.4g}"
    assert claim.variant_mean == f"{raw['variant_mean']:.4g}"
    assert "pts" not in claim.gain + claim.interval + "".join(claim.findings)
    assert claim.plot.factor == 1.0 and claim.plot.unit_words == "perplexity"
    assert "Δ perplexity" in render_html(view)
    assert r"$\Delta$ perplexity" in render_latex(view)
    buf = io.StringIO()
    render_terminal(view, make_console(file=buf, width=120))
    assert "Δ perplexity" in buf.getvalue() and "Δ pts" not in buf.getvalue()


def test_rules_keep_their_params_and_exhibits() -> None:
    pack = load_rulepack("quick")
    params = {r.id: rule_params(r.params) for r in pack.rules}
    assert params["AK301"]["modes"] == ["shuffle_test", "reverse_test"]
    table = Table(
        title="Split statistics",
        columns=(Column("split"), Column("rows", ValueKind.COUNT)),
        rows=(("train", 240), ("test", None)),
    )
    curves = Curves(
        title="loss",
        x_label="epoch",
        y_label="loss",
        curves=(Curve(label="64", x=(1.0, 2.0), y=(0.7, 0.5), panel="gru"),),
    )
    doc = document_from_json(load_full())
    rule = dataclasses.replace(doc.rules[0], params=params["AK301"], exhibits=(table, curves))
    doc = dataclasses.replace(doc, rules=(rule, *doc.rules[1:]))
    written = document_to_json(doc)
    assert written["rules"][0]["exhibits"][0]["kind"] == "table"
    back = document_from_json(json.loads(json.dumps(written)))
    assert back.rules[0].exhibits == (table, curves)
    assert back.rules[0].params == params["AK301"]
    jsonschema.validate(written, json.loads(SCHEMA.read_text(encoding="utf-8")))


@pytest.mark.parametrize(
    ("edit", "where"),
    [
        (lambda d: d.update(format=99), "format 99 is not supported"),
        (lambda d: d["claims"][1]["gain"].update(mean="+2.0"), "claims[1].gain.mean"),
        (lambda d: d["experiment"].update(colour="red"), "unknown key(s) ['colour']"),
        (lambda d: d["claims"][0].pop("verdict"), "missing key 'verdict'"),
    ],
)
def test_a_bad_file_is_a_usage_error_naming_the_field(
    edit: Any, where: str, tmp_path: Path
) -> None:
    doc = load_full()
    edit(doc)
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(DocumentError) as info:
        load_document(path)
    assert where in str(info.value) and str(path) in str(info.value)
    assert info.value.exit_code == 4


def test_a_typed_document_and_its_json_build_the_same_view() -> None:
    doc = load_full()
    assert build_view(doc) == build_view(document_from_json(doc))
    assert isinstance(document_from_json(doc), AuditDocument)


def test_the_tost_row_names_the_rope_in_the_metric_unit() -> None:
    (points,) = decide_all([_evidence("accuracy", [0.70, 0.72, 0.71], [0.74, 0.75, 0.75])], T)
    (own,) = decide_all([_evidence("bleu", [25.1, 24.8, 25.4], [25.8, 25.2, 26.3])], T)
    assert points.agreement[-1].test == "TOST equivalence (±0.50 pts)"
    assert own.agreement[-1].test == "TOST equivalence (±0.005 bleu)"
