"""``--seeds auto``: compare replays logged runs in seed order; check schedules undecided claims."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from auditkit.audit import AuditOptions, run_audit
from auditkit.cli import main
from tests.conftest import TINY_MODEL
from tests.integration.test_resume_kill import SLOW, _stored, kill_9_mid_audit


def _write(path: Path, rows: list[tuple[str, int, float]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["variant", "seed", "accuracy"])
        writer.writerows(rows)
    return path


def _rows(order: list[int], gain: Callable[[int], float]) -> list[tuple[str, int, float]]:
    rows = []
    for seed in order:
        base = 0.70 + 0.003 * (seed % 4)
        rows += [("gru", seed, base), ("rel", seed, base + gain(seed))]
    return rows


def test_compare_seeds_auto_reads_seeds_in_the_order_they_were_logged(in_tmp: Path) -> None:
    # seeds 17, 3 and 9 were logged first and show a clear gain; the rest show none, so a
    # sequential reader stops after them while the fixed analysis of all 20 does not support
    order = [17, 3, 9, *[s for s in range(20) if s not in (17, 3, 9)]]
    clear = {17: 0.051, 3: 0.049, 9: 0.050}
    runs = _write(in_tmp / "runs.csv", _rows(order, lambda s: clear.get(s, 0.0)))
    code = main(["compare", str(runs), "--baseline", "gru", "--seeds", "auto", "--out", "a", "-q"])
    (claim,) = json.loads((in_tmp / "a" / "audit.json").read_text())["claims"]
    assert code == 0
    assert claim["verdict"] == "supported"
    assert claim["seeds"] == [17, 3, 9]
    assert claim["sequential"]["stopped"] == "improvement"
    assert "decided at 3 seeds: improvement shown" in claim["reason"]
    doc = json.loads((in_tmp / "a" / "audit.json").read_text())
    assert doc["adaptive"]["max_seeds"] == 20
    html = (in_tmp / "a" / "report.html").read_text(encoding="utf-8")
    assert "adaptive seeds" in html and "against seeds used" in html
    assert "Seeds were added adaptively" in html

    main(["compare", str(runs), "--baseline", "gru", "--out", "f", "-q"])
    (fixed,) = json.loads((in_tmp / "f" / "audit.json").read_text())["claims"]
    assert fixed["seeds"] == list(range(20)) and fixed["sequential"] is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1..5", "MIN must be at least 2"),
        ("many", "is not a seed count, 'auto' or a range MIN..MAX"),
        ("9..4", "at most MAX"),
    ],
)
def test_bad_seed_ranges_exit_4_with_a_clear_message(
    write_model: Callable[[str], Path],
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    value: str,
    message: str,
) -> None:
    model = write_model(TINY_MODEL)
    assert main(["check", str(model), "--seeds", value, "--rules", "quick", "-q"]) == 4
    err = capsys.readouterr().err
    assert message in err and "--seeds auto" in err and "Traceback" not in err


def test_compare_refuses_a_fixed_seed_count(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = _write(in_tmp / "runs.csv", _rows(list(range(5)), lambda s: 0.01))
    assert main(["compare", str(runs), "--baseline", "gru", "--seeds", "5"]) == 4
    assert "takes auto or MIN..MAX" in capsys.readouterr().err


# Two claims over one baseline: the GRU (order-aware) against a bag of tokens, and a second
# bag that differs from the baseline only in its initial weights (no true gain; one draw
# shifts the seed's stream, else the two bags would be copies of one another).
TWO_CLAIMS = TINY_MODEL.replace(
    'exp.claim("gru", over="bag", metric="accuracy", reported=0.05)',
    "@exp.variant\ndef bag2(info):\n    torch.rand(1)\n    return Bag(info)\n\n\n"
    'exp.claim("gru", over="bag", metric="accuracy", reported=0.05)\n'
    'exp.claim("bag2", over="bag", metric="accuracy")',
)


@pytest.mark.slow
def test_check_seeds_auto_trains_only_what_undecided_claims_need(
    write_model: Callable[[str], Path], in_tmp: Path
) -> None:
    assert "bag2" in TWO_CLAIMS
    model = write_model(TWO_CLAIMS)
    doc = run_audit(
        AuditOptions(model_file=str(model), rules="quick", adaptive=(3, 5), jobs=0, out="o")
    ).document
    looks = doc["adaptive"]["looks"]
    assert looks == [3, 5]
    used = {}
    for claim in doc["claims"]:
        seq = claim["sequential"]
        assert seq["seeds_used"] in looks
        assert claim["seeds"] == list(range(seq["seeds_used"]))
        assert claim["seeds_planned"] == 5
        assert ("decided" if seq["decided"] else "stopped") in claim["reason"]
        used[claim["variant"]] = seq["seeds_used"]
    nominal: dict[str, set[int]] = {}
    for run in doc["runs"]:
        spec = run["spec"]
        if spec["condition"] == "nominal":
            nominal.setdefault(spec["variant"], set()).add(spec["init_seed"])
    # each variant has exactly the seeds its claim used; the baseline those of the longest
    for variant, n in used.items():
        assert nominal[variant] == set(range(n))
    assert nominal["bag"] == set(range(max(used.values())))
    assert doc["seeds"] == list(range(max(used.values())))
    assert "group-sequential paired t design, 3 to 5 seeds" in doc["provenance"]["design"]


@pytest.mark.slow
def test_kill_9_mid_adaptive_audit_then_resume_reaches_the_uninterrupted_decision(
    write_model: Callable[[str], Path], in_tmp: Path
) -> None:
    model = write_model(SLOW)
    store_path = in_tmp / ".auditkit" / "store.sqlite"
    args = ["--rules", "quick", "--seeds", "3..5", "--jobs", "2", "--seed-batch", "off", "-q"]
    kill_9_mid_audit([str(model), *args, "--out", "killed"], in_tmp, store_path)
    assert not (in_tmp / "killed" / "audit.json").exists()
    kept = _stored(store_path)
    assert kept >= 3

    # in this process (no worker start-up); jobs change where runs train, not their metrics
    resumed = run_audit(
        AuditOptions(
            model_file=str(model),
            rules="quick",
            adaptive=(3, 5),
            jobs=0,
            seed_batch="off",
            out="resumed",
        )
    ).document
    assert resumed["summary"]["runs"]["cached"] >= kept
    # the same experiment without the sleeps, nothing reused: the uninterrupted decision
    fresh = run_audit(
        AuditOptions(
            model_file=str(write_model(TINY_MODEL, "fast.py")),
            rules="quick",
            adaptive=(3, 5),
            jobs=0,
            seed_batch="off",
            out="fresh",
            cache=False,
        )
    ).document
    assert resumed["claims"] == fresh["claims"]
    assert resumed["seeds"] == fresh["seeds"]
    (claim,) = fresh["claims"]
    assert claim["sequential"]["seeds_used"] in (3, 5)
