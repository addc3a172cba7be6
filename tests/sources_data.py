"""Runs shared by the tests of compare's sources, and the equivalent runs.csv to compare with."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from auditkit.cli import main

SEEDS = range(6)


def accuracy(variant: str, seed: int) -> float:
    """The final accuracy of a run: rel gains ~2 points on every seed; twin ties gru."""
    base = 0.70 + 0.004 * seed
    if variant == "rel":
        return base + 0.02 + 0.002 * (seed % 3)
    if variant == "twin":
        # within ±0.1 point of the baseline: equivalent inside the 0.5-point ROPE
        return base + 0.001 * (1 if seed % 2 else -1)
    return base


#: (variant, seed, accuracy, loss) of every run: supported, refuted
RUNS = [(v, s, accuracy(v, s), 1.0 - accuracy(v, s)) for v in ("gru", "rel", "twin") for s in SEEDS]
#: the verdict of each claim, by construction
VERDICTS = {"rel > gru on accuracy": "supported", "twin > gru on accuracy": "refuted"}


def write_runs_csv(path: Path, runs: list[tuple[str, int, float]]) -> Path:
    """Write compare's own runs.csv: variant, seed, accuracy."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["variant", "seed", "accuracy"])
        writer.writerows(runs)
    return path


def compare(source: str, out: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Run ``auditkit compare SOURCE --baseline gru`` in process; exit code and audit.json."""
    code = main(["compare", source, "--baseline", "gru", "--out", str(out), "-q", *args])
    return code, json.loads((out / "audit.json").read_text(encoding="utf-8"))


def assert_same_claims(a: dict[str, Any], b: dict[str, Any], *, exact: bool = True) -> None:
    """The claims of two audits agree: verdicts, reasons, seeds (and numbers when exact)."""
    assert [c["label"] for c in a["claims"]] == [c["label"] for c in b["claims"]]
    for x, y in zip(a["claims"], b["claims"], strict=True):
        for key in ("verdict", "reason", "seeds"):
            assert x[key] == y[key], key
        if exact:
            assert x["gains"] == y["gains"]
            assert x["gain"] == y["gain"]
        else:
            for g, h in zip(x["gains"], y["gains"], strict=True):
                assert abs(g - h) < 1e-6
    assert {c["label"]: c["verdict"] for c in a["claims"]}.items() <= VERDICTS.items()
