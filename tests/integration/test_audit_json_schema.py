"""Real audits write audit.json that the schema accepts and the reader round-trips.

The unit tests check the gold documents; these check what ``check`` and ``compare`` write
today, so that a producer adding a field the document types do not have fails here.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema

from auditkit.cli import main
from auditkit.report.auditdoc import document_to_json, load_document
from tests.conftest import TINY_MODEL

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "audit-schema.json"


def _valid_and_round_trips(path: Path) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.validate(raw, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert document_to_json(load_document(path)) == raw
    return raw


def test_check_writes_a_valid_format_2_document_with_numbers_and_params(
    write_model: Callable[[str], Path], in_tmp: Path
) -> None:
    model = write_model(TINY_MODEL)
    main(["check", str(model), "--rules", "quick", "--seeds", "3", "--out", "o", "-q"])
    raw = _valid_and_round_trips(in_tmp / "o" / "audit.json")
    assert raw["format"] == 2
    ran = [r for r in raw["rules"] if r["outcome"] != "skipped"]
    assert any(r["params"] for r in ran)  # what the pack set reaches the file
    for claim in raw["claims"]:
        assert claim["scale"] == "fraction" and claim["unit"] == "pts"
        if claim["gain"] is not None:
            assert isinstance(claim["gain"]["statistic"], float)
        for row in claim["agreement"]:
            assert row["text"] is None and row["kind"] != "text"


def test_compare_writes_a_valid_document_in_the_metric_own_unit(in_tmp: Path) -> None:
    # a BLEU on 0-100: points (x100) would print a 1.5 BLEU gain as "+150 pts"
    rows = [("base", s, 27.0 + 0.4 * s) for s in range(5)]
    rows += [("new", s, 28.5 + 0.4 * s + 0.1 * (s % 2)) for s in range(5)]
    path = in_tmp / "runs.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["variant", "seed", "bleu"])
        writer.writerows(rows)
    main(["compare", str(path), "--baseline", "base", "--out", "o", "-q"])
    raw = _valid_and_round_trips(in_tmp / "o" / "audit.json")
    (claim,) = raw["claims"]
    assert (claim["scale"], claim["unit"]) == ("own", "bleu")
    html = (in_tmp / "o" / "report.html").read_text(encoding="utf-8")
    assert "Δ bleu" in html and "Δ pts" not in html
    assert f"{claim['gain']['mean']:+.4g} bleu" in html  # the gain as it is, not x100
