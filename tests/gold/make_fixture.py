"""Build ``tests/gold/audit_full.json``: a real tiny audit with every optional section added.

Run from the repository root (a few seconds of CPU training):

    .venv/bin/python tests/gold/make_fixture.py

It audits ``TINY_MODEL`` of ``tests/conftest.py`` (bag-of-embeddings vs GRU, 3 seeds,
quick pack), then adds what newer audits carry and the tiny audit lacks: three more
claims (so that every verdict occurs), per-claim test agreement, perturbation
conditions, power figures, batch-size runs with their curves, confusion matrices,
factor reliance and rule evidence. The added numbers are made up but consistent (the
fragile claim's gain reverses at batch size 512; the refuted claim's gain lies within
the ROPE). Volatile fields (date, paths, wall time) are set to fixed values.

After regenerating, update the gold files (see tests/gold/README.md).
"""

from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent / "audit_full.json"


def run_tiny_audit() -> dict[str, Any]:
    """Run the tiny real audit in a temporary folder and return its document."""
    sys.path.insert(0, str(REPO))
    from auditkit.cli import main
    from tests.conftest import TINY_MODEL

    old = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            Path("model.py").write_text(textwrap.dedent(TINY_MODEL), encoding="utf-8")
            main(["check", "model.py", "--rules", "quick", "--seeds", "3", "--out", "out", "-q"])
            doc: dict[str, Any] = json.loads(Path("out/audit.json").read_text(encoding="utf-8"))
        finally:
            os.chdir(old)
    return doc


#: per agreement row: its kind, and the numbers it holds (format 2 stores numbers)
_KINDS = ("p", "p", "p", "interval", "share", "dominance", "equivalence")


def _agreement(
    improves: list[bool | None], numbers: list[dict[str, float]]
) -> list[dict[str, Any]]:
    tests = [
        ("paired t-test", "one-sided, variant better"),
        ("Wilcoxon signed-rank (exact)", "with 3 seeds the smallest possible p is 0.125"),
        ("sign-flip permutation (exact)", "all 8 sign patterns enumerated"),
        ("bootstrap BCa CI", "10,000 resamples of the per-seed gains"),
        ("probability of improvement", "share of seed pairs where the variant wins"),
        ("ASO ε_min", "ε < 0.5: the variant is almost stochastically better"),
        ("TOST equivalence", "equivalence within the ROPE"),
    ]
    return [
        {"test": t, "improvement": i, "kind": k, "note": n, **values}
        for (t, n), i, k, values in zip(tests, improves, _KINDS, numbers, strict=True)
    ]


def _numbers(
    p: tuple[float, float, float],
    boot: tuple[float, float],
    share: tuple[float, float, float],
    eps: float,
    tost: tuple[float, float],
) -> list[dict[str, float]]:
    """The numbers of the seven agreement rows: three p-values, a bootstrap interval, the
    probability of improvement with its interval, ASO's ε_min and TOST's 90% interval."""
    return [
        {"p": p[0], "statistic": 3.1, "df": 2},
        {"p": p[1]},
        {"p": p[2]},
        {"low": boot[0], "high": boot[1]},
        {"estimate": share[0], "low": share[1], "high": share[2]},
        {"estimate": eps},
        {"low": tost[0], "high": tost[1]},
    ]


def _condition(condition: str, rule: str, family: str, mean: float, half: float, status: str):
    return {
        "condition": condition,
        "rule": rule,
        "family": family,
        "n": 3,
        "mean": mean,
        "low": mean - half,
        "high": mean + half,
        "status": status,
    }


def _synthetic_claim(
    real: dict[str, Any], metric: str, base: list[float], var: list[float], verdict: str
) -> dict[str, Any]:
    claim = copy.deepcopy(real)
    gains = [v - b for b, v in zip(base, var, strict=True)]
    mean = sum(gains) / len(gains)
    claim.update(
        label=f"{real['variant']} > {real['baseline']} on {metric}",
        metric=metric,
        verdict=verdict,
        baseline_scores=base,
        variant_scores=var,
        gains=gains,
        baseline_mean=sum(base) / 3,
        variant_mean=sum(var) / 3,
        baseline_sd=0.005,
        variant_sd=0.006,
    )
    sd = real["gain"]["sd"]
    claim["gain"] = dict(
        real["gain"],
        mean=mean,
        low=mean - 0.009,
        high=mean + 0.009,
        statistic=round(mean / (sd / 3**0.5), 4),
        df=2,
    )
    return claim


def extend(doc: dict[str, Any]) -> dict[str, Any]:
    """Add every optional section to a real tiny audit's document."""
    doc = copy.deepcopy(doc)
    real = doc["claims"][0]
    real["agreement"] = _agreement(
        [True, None, None, None, True, True, False],
        _numbers((0.037, 0.125, 0.125), (-0.004, 0.091), (1.0, 0.44, 1.0), 0.08, (-0.01, 0.08)),
    )
    real["conditions"] = [
        _condition("batch_size=128", "AK401", "batch size", 0.031, 0.06, "inconclusive"),
        _condition("batch_size=512", "AK401", "batch size", 0.012, 0.07, "inconclusive"),
        _condition("shuffle_test", "AK301", "token order", 0.048, 0.05, "inconclusive"),
    ]
    real["seeds_needed"] = 4
    real["min_detectable_effect"] = 0.071
    real["small_sample_note"] = (
        "With 3 seeds the exact Wilcoxon and sign-flip tests cannot reach p < 0.05 (the "
        "smallest possible p is 0.125); their p-values are shown but cannot decide."
    )

    supported = _synthetic_claim(
        real, "swa", [0.800, 0.810, 0.805], [0.829, 0.838, 0.836], "supported"
    )
    supported.update(
        reason="gain +2.93 pts (95% CI +2.03 pts to +3.83 pts, 3 seeds); one-sided paired "
        "t-test p = 0.004 after Holm.",
        seeds_needed=3,
        min_detectable_effect=0.012,
        small_sample_note=None,
        reported=0.02,
    )
    supported["gain"].update(p_one_sided=0.002, p_holm=0.004)
    supported["agreement"] = _agreement(
        [True, None, None, True, True, True, False],
        _numbers((0.002, 0.125, 0.125), (0.021, 0.037), (1.0, 0.44, 1.0), 0.0, (0.022, 0.036)),
    )
    supported["conditions"] = [
        _condition("batch_size=128", "AK401", "batch size", 0.027, 0.008, "holds"),
        _condition("batch_size=512", "AK401", "batch size", 0.021, 0.009, "holds"),
        _condition("shuffle_test", "AK301", "token order", 0.025, 0.010, "holds"),
    ]

    fragile = _synthetic_claim(real, "cwa", [0.790, 0.800, 0.795], [0.806, 0.814, 0.810], "fragile")
    fragile.update(
        reason="gain +1.50 pts (95% CI +0.60 pts to +2.40 pts, 3 seeds) at the nominal "
        "setting, but it reverses at batch_size=512.",
        seeds_needed=6,
        min_detectable_effect=0.011,
        small_sample_note=None,
        reported=0.015,
    )
    fragile["gain"].update(p_one_sided=0.011, p_holm=0.022)
    fragile["agreement"] = _agreement(
        [True, None, None, True, True, False, False],
        _numbers((0.011, 0.125, 0.125), (0.007, 0.023), (1.0, 0.44, 1.0), 0.61, (0.008, 0.022)),
    )
    fragile["conditions"] = [
        _condition("batch_size=128", "AK401", "batch size", 0.009, 0.007, "holds"),
        _condition("batch_size=512", "AK401", "batch size", -0.012, 0.008, "reversed"),
        _condition("shuffle_test", "AK301", "token order", 0.001, 0.003, "vanished"),
    ]

    refuted = _synthetic_claim(real, "hwa", [0.810, 0.806, 0.812], [0.809, 0.806, 0.810], "refuted")
    refuted.update(
        reason="gain -0.10 pts (90% CI -0.30 pts to +0.20 pts) lies within the ±0.50 pts "
        "ROPE: equivalent (TOST p = 0.004).",
        seeds_needed=None,
        min_detectable_effect=0.006,
        small_sample_note=None,
        reported=0.01,
        overstated=False,
    )
    refuted["gain"].update(
        p_one_sided=0.78, p_holm=0.78, low=-0.004, high=0.002, equivalence_interval=[-0.003, 0.002]
    )
    refuted["agreement"] = _agreement(
        [False, False, False, False, False, False, False],
        _numbers((0.78, 0.875, 0.875), (-0.004, 0.002), (0.33, 0.06, 0.79), 0.83, (-0.003, 0.002)),
    )
    refuted["conditions"] = [
        _condition("batch_size=128", "AK401", "batch size", -0.001, 0.003, "vanished"),
        _condition("batch_size=512", "AK401", "batch size", -0.002, 0.003, "vanished"),
    ]
    doc["claims"] = [supported, fragile, real, refuted]
    doc["summary"]["verdicts"] = {
        v: sum(c["verdict"] == v for c in doc["claims"])
        for v in ("supported", "fragile", "inconclusive", "refuted")
    }
    doc["exit_code"] = 1

    # Batch-size runs: the nominal curves, bent the way large batches bend them.
    extra = []
    for run in doc["runs"]:
        for size, train_scale, dev_drift in ((128, 0.9, 0.04), (512, 0.75, 0.12)):
            new = copy.deepcopy(run)
            new["spec"]["condition"] = f"batch_size={size}"
            new["spec"]["overrides"] = [["batch_size", size]]
            new["run_id"] = run["run_id"].replace("nominal", f"batch_size={size}")
            for point in new["curves"]:
                point["train_loss"] *= train_scale
                point["dev_loss"] *= 1 + dev_drift * point["epoch"]
            extra.append(new)
    doc["runs"] += extra
    doc["summary"]["runs"]["total"] = len(doc["runs"])

    n_test = doc["experiment"]["data"]["metadata"]["splits"]["test"]["n"] * 3
    doc["confusion"] = {
        "bag": {"labels": [0, 1], "matrix": [[150, 30], [51, n_test - 231]], "runs": 3},
        "gru": {"labels": [0, 1], "matrix": [[161, 19], [26, n_test - 206]], "runs": 3},
    }
    doc["reliance"] = [
        {"variant": "bag", "factor": "shape", "drop_mean": 0.21, "low": 0.17, "high": 0.25},
        {"variant": "bag", "factor": "color", "drop_mean": 0.004, "low": -0.01, "high": 0.018},
        {"variant": "bag", "factor": "order", "drop_mean": 0.0, "low": 0.0, "high": 0.0},
        {"variant": "gru", "factor": "shape", "drop_mean": 0.25, "low": 0.2, "high": 0.3},
        {"variant": "gru", "factor": "color", "drop_mean": 0.06, "low": 0.03, "high": 0.09},
        {"variant": "gru", "factor": "order", "drop_mean": 0.02, "low": -0.01, "high": 0.05},
    ]
    seed_rule = doc["rules"][0]
    seed_rule.update(
        outcome="warn",
        reason="2 of 4 claims stand out from seed-to-seed noise.",
        evidence={
            "claims above seed noise": "2 of 4",
            "largest seed-to-seed spread": "4.20 pts (gru, accuracy)",
        },
    )
    doc["rules"] += [
        dict(
            seed_rule,
            id="AK301",
            name="token-order-reliance",
            check="token_order",
            outcome="warn",
            reason="bag scores the same with its tokens shuffled (drop +0.00 pts): it cannot "
            "use order, which the labelling rule does not need either.",
            evidence={"modes": "shuffle_test", "largest drop": "+4.80 pts (gru)"},
        ),
        dict(
            seed_rule,
            id="AK401",
            name="batch-size-sensitivity",
            check="batch_size_sweep",
            outcome="fail",
            reason="gru > bag on cwa reverses at batch size 512 (-1.20 pts, 95% CI -2.00 "
            "to -0.40).",
            evidence={"batch sizes": "32, 128, 512", "lr": "held at 0.01"},
        ),
        dict(
            seed_rule,
            id="AK205",
            name="train-test-duplicates",
            check="duplicate_scan",
            outcome="skipped",
            reason="not in the quick pack's selection (--skip AK205).",
            evidence={},
        ),
    ]
    doc = add_exhibits(doc)
    # Volatile fields, fixed so the fixture (and the gold files) do not change on every
    # regeneration; the gold test scrubs them anyway.
    doc["created_at"] = "2026-01-01T00:00:00+00:00"
    doc["summary"]["wall_time_s"] = 192.4
    doc["experiment"]["model_file"] = "model.py"
    for variant in doc["experiment"]["variants"]:
        variant["origin"] = "model.py:" + variant["origin"].rsplit(":", 1)[1]
    doc["rule_pack"]["path"] = "rules/quick.yaml"
    doc["provenance"]["command"] = "auditkit check model.py --rules quick --seeds 3"
    doc["provenance"]["git commit"] = "0123456789abcdef0123456789abcdef01234567"
    for run in doc["runs"]:
        run["duration_s"] = 1.0
    return doc


def add_exhibits(doc: dict[str, Any]) -> dict[str, Any]:
    """Turn the made-up reliance rows, the split statistics and the curves into exhibits.

    The checks' own builders make them, as in a real audit: the split table of AK201 (from
    the data's metadata), the reliance plot and table of AK301 (order) and AK302 (shape and
    colour), and the training curves of AK401 (from the nominal and batch-size runs).
    """
    from auditkit.checks.batch import curves_exhibit
    from auditkit.checks.reliance import reliance_exhibits
    from auditkit.checks.splits import split_table
    from auditkit.execute.store import result_from_dict
    from auditkit.exhibits import exhibit_to_json
    from auditkit.types import DataMetadata

    doc = copy.deepcopy(doc)
    reliance = doc.pop("reliance", [])
    data = doc["experiment"]["data"]
    table = split_table(data["name"], DataMetadata.parse(data["metadata"]))
    nominal = doc["experiment"]["train"]["batch_size"]
    runs: dict[tuple[str, int], list[Any]] = {}
    for raw in doc["runs"]:
        # audit.json leaves predictions out (they stay in the run store)
        run = result_from_dict(
            {**raw, "test_predictions": [], "dev_predictions": [], "trace": raw.get("trace")}
        )
        size = dict(run.spec.overrides).get("batch_size", nominal)
        runs.setdefault((run.spec.variant, int(size)), []).append(run.curves)
    curves = curves_exhibit(dict(sorted(runs.items(), key=lambda kv: kv[0][1])))
    by_rule = {r["id"]: r for r in doc["rules"]}
    template = by_rule["AK101"]
    if "AK201" not in by_rule and table is not None:
        doc["rules"].insert(
            1,
            dict(
                template,
                id="AK201",
                name="dev-test-shift",
                check="split_shift",
                outcome="pass",
                reason="dev and test agree on 4 statistics (Bonferroni α = 0.05).",
                evidence={},
                params={},
            ),
        )
    if "AK302" not in by_rule:
        at = next(i for i, r in enumerate(doc["rules"]) if r["id"] == "AK301") + 1
        doc["rules"].insert(
            at,
            dict(
                template,
                id="AK302",
                name="factor-isolation",
                check="factor_isolation",
                outcome="pass",
                reason="no variant relies on a factor the labelling rule ignores (the rule "
                "reads shape).",
                evidence={},
                params={},
            ),
        )
    exhibits = {
        "AK201": (table,) if table is not None else (),
        "AK301": reliance_exhibits(
            [r for r in reliance if r["factor"] == "order"], "accuracy", "Token order reliance"
        ),
        "AK302": reliance_exhibits(
            [r for r in reliance if r["factor"] != "order"], "accuracy", "Shape and colour reliance"
        ),
        "AK401": (curves,) if curves is not None else (),
    }
    for rule in doc["rules"]:
        rule["exhibits"] = [exhibit_to_json(e) for e in exhibits.get(rule["id"], ())]
    return doc


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    from auditkit.report.auditdoc import document_from_json, dumps_document

    # through the reader and the writer: every field of the format, in its order
    document = document_from_json(extend(run_tiny_audit()))
    OUT.write_text(dumps_document(document), encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}")
