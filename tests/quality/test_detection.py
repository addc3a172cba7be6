"""Issue 15: pitfalls a careful reviewer catches, each planted beside a clean twin.

Real audits of small model files (seeded training runs), through the same ``audit``
fixture as the split rules' quality tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import auditkit as ak
from tests.conftest import reliance_rows
from tests.quality.conftest import rule_row
from tests.quality.test_order import ORDERED
from tests.quality.test_splits import SPR_ARGS, Audit, audit, experiment, show, write_spr_bench

__all__ = ["audit"]  # the fixture, imported so that pytest finds it here

pytestmark = pytest.mark.slow

#: a model file that reads SPR_BENCH when the folder is there, and otherwise quietly builds
#: a toy set in memory under the benchmark's name (no generator recorded)
FALLBACK = (
    "ak.datasets.spr_csv(path) if Path(path).exists() else dataclasses.replace("
    'ak.datasets.spr(rule="shape_count", n_train=200, n_dev=100, n_test=100, length=(4, 8)), '
    'name="SPR_BENCH", metadata={})'
)
PRELUDE = 'import dataclasses\nfrom pathlib import Path\npath = "SPR_BENCH"\n'


def test_provenance_never_passes_undeclared_and_warns_on_a_nameplate_benchmark(
    audit: Audit, tmp_path: Path
) -> None:
    # Planted: nothing declared, the folder is missing, the toy set carries the name.
    doc = audit(experiment(FALLBACK), {"AK204": {}}, seeds=2, prelude=PRELUDE)
    row = show(doc, "AK204")
    assert row["outcome"] == "warn", row
    assert (
        "named 'SPR_BENCH', like a benchmark published as files, but no file was read"
        in (row["reason"])
    )
    assert "the model file names path(s) that do not exist: 'SPR_BENCH' (line" in row["reason"]
    assert "no file was read" in row["evidence"]["data read"]
    # Clean twin: the same file with its folder in place, still nothing declared: the data
    # is recorded as read from the files, and provenance is reported as not checked.
    write_spr_bench(tmp_path / "SPR_BENCH", ak.datasets.spr(**SPR_ARGS))
    clean = audit(experiment(FALLBACK), {"AK204": {}}, seeds=2, prelude=PRELUDE)
    row = show(clean, "AK204")
    assert row["outcome"] == "skipped", row
    assert "nothing was declared, so provenance is not checked" in row["reason"]
    assert row["evidence"]["data read"].startswith("read from 3 file(s)")


# --------------------------------------------------------------------------- AK201

#: a colour cue at the last token: the shape-only baseline cannot see it, the token GRU can
SHORTCUT = """
exp = ak.Experiment(
    "q",
    data=ak.datasets.spr(
        rule="shape_count", n_train=400, n_dev=150, n_test=300, length=(4, 8), seed=2,
        shortcut=ak.datasets.Shortcut(factor="color", position=-1, strength=1.0, splits=SPLITS),
    ),
    metrics=["accuracy"],
    train=ak.TrainConfig(epochs=4, batch_size=32, lr=1e-2),
)

@exp.variant(baseline=True)
def shapes(info):
    return Bag(info, factors=("shape",))

@exp.variant
def tokens(info):
    return Gru(info, factors=("tokens",))

exp.claim("tokens", over="shapes", metric="accuracy")
"""


def test_train_dev_only_shortcut_is_caught_from_data_and_paired_gaps(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    # Planted: the last token's colour gives the label away in train and dev, and is
    # random in test. Before issue 15 AK201 passed: each gap sat inside its seed band.
    doc = run_rule(SHORTCUT.replace("SPLITS", '("train", "dev")'), "AK201")
    row = rule_row(doc, "AK201")
    assert row["outcome"] == "fail", row
    assert "colour at position -1 predicts the label" in row["reason"]
    assert "tokens vs shapes: the variant loses" in row["reason"]
    cue = row["evidence"]["factor-label association"]
    # the map learnt on train predicts dev perfectly and test at chance (margins: 0.9, 0.65)
    dev_pct, test_pct = (
        float(x)
        for x in re.findall(r"colour at position -1: ([\d.]+)% on dev vs ([\d.]+)%", cue)[0]
    )
    assert dev_pct > 90 and test_pct < 65
    # Clean twin: the same cue in every split is a real feature of this data, not a
    # train/dev-only shortcut; nothing differs between dev and test.
    clean = run_rule(SHORTCUT.replace("SPLITS", '("train", "dev", "test")'), "AK201")
    row = rule_row(clean, "AK201")
    assert row["outcome"] == "pass", row
    assert "none differs" in row["evidence"]["factor-label association"]


# --------------------------------------------------------------------------- AK203

#: labels are coin flips (50% label noise everywhere): nothing generalises, so a gain can
#: only come from memorising train rows; LEAK copies test rows, with their labels, into train
MEMORY = """
exp = ak.Experiment(
    "q",
    data=ak.datasets.spr(
        rule="shape_count", n_train=300, n_dev=100, n_test=200, length=(6, 8), seed=4,
        label_noise={"train": 0.5, "dev": 0.5, "test": 0.5}, LEAK
    ),
    metrics=["accuracy"],
    train=ak.TrainConfig(epochs=25, batch_size=32, lr=1e-2),
)

@exp.variant(baseline=True)
def shapes(info):
    return Bag(info, factors=("shape",))

@exp.variant
def memory(info):
    return Gru(info, factors=("tokens",), dim=48)

exp.claim("memory", over="shapes", metric="accuracy")
"""


def _memory_model(data: str) -> str:
    """sklearn variants on tokens: a 1-nearest-neighbour memoriser over a coin-flip baseline."""
    return f"""
from sklearn.dummy import DummyClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier

exp = ak.Experiment("q", data={data}, metrics=["accuracy"])

@exp.variant(baseline=True)
def coin(info):
    return DummyClassifier(strategy="stratified")

@exp.variant
def model(info):
    return VARIANT

exp.claim("model", over="coin", metric="accuracy")
"""


def test_copies_invalidate_a_gain_only_when_it_does_not_hold_on_unseen_rows(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    # Planted: coin-flip labels (50% noise), 40% of test rows copied into train; a
    # 1-nearest-neighbour "model" recalls the copies and guesses the rest, so its gain over
    # a coin is made of memory alone.
    noise = '{"train": 0.5, "dev": 0.5, "test": 0.5}'
    data = (
        f'ak.datasets.spr(rule="shape_count", n_train=400, n_dev=100, n_test=300, seed=4, '
        f"label_noise={noise}, leak=ak.datasets.Leak(fraction=0.4))"
    )
    source = _memory_model(data).replace("VARIANT", "KNeighborsClassifier(n_neighbors=1)")
    doc = run_rule(source, "AK203", seeds=4)
    row = rule_row(doc, "AK203")
    assert row["outcome"] == "fail", row
    assert (
        "120 of 300 test rows (40.0%) also appear in train, against about 0.0% by chance"
        in (row["reason"])
    )
    assert (
        "does not hold on the 180 rows that are neither copies nor near copies" in (row["reason"])
    )
    (claim,) = doc["claims"]
    assert claim["verdict"] == "inconclusive"
    assert claim["gain"]["low"] > 0.1  # +20 points on all rows: the copies make it
    # Clean twin: a rule a bag-of-tokens logistic regression learns, with the same copies:
    # the split still leaks (the rule says so), but the gain holds on the unseen rows, so
    # the claim stands. Before issue 15 every claim was invalidated by the count alone.
    learnt = data.replace(f", label_noise={noise}", "")
    source = _memory_model(learnt).replace("VARIANT", "LogisticRegression(max_iter=2000)")
    doc = run_rule(source, "AK203", seeds=4)
    row = rule_row(doc, "AK203")
    assert row["outcome"] == "fail", row
    assert "no claim's conclusion rests on them" in row["reason"]
    (claim,) = doc["claims"]
    assert claim["verdict"] == "supported", claim["reason"]
    assert claim["invalid"] == []


# --------------------------------------------------------------------------- AK302

#: a shape-only rule and no shortcut: a bag of whole tokens reads colour only as part of
#: each token's identity, and does not need it
NO_SHORTCUT = """
exp = ak.Experiment(
    "q",
    data=ak.datasets.spr(rule="shape_count", n_train=400, n_dev=100, n_test=200, length=(4, 8), seed=2),
    metrics=["accuracy"],
    train=ak.TrainConfig(epochs=4, batch_size=32, lr=1e-2),
)

@exp.variant(baseline=True)
def shapes(info):
    return Bag(info, factors=("shape",))

@exp.variant
def tokens(info):
    return Bag(info, factors=("tokens",))

exp.claim("tokens", over="shapes", metric="accuracy")
"""


def _drop(evidence: dict[str, str], key: str) -> float:
    """The mean drop in points from an evidence line such as '+12.50 pts [...]'."""
    return float(evidence[key].split(" pts")[0])


def test_masking_artefact_is_not_taken_for_colour_reliance(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    # Clean twin of tests/quality/test_order.py's colour shortcut: masking colour maps
    # every token to an id the bag never saw in training, so its score collapses; that
    # is out-of-vocabulary fragility, not reliance. Permuting colours across rows keeps
    # every token in the vocabulary and shows no reliance. Before issue 15 the mask alone
    # judged, and AK302 called this a shortcut.
    doc = run_rule(NO_SHORTCUT, "AK302")
    row = rule_row(doc, "AK302")
    evidence = row["evidence"]
    masked = _drop(evidence, "tokens: accuracy drop, mask_color")
    permuted = _drop(evidence, "tokens: accuracy drop, permute_color")
    assert masked > 10.0, evidence  # the artefact is there, and reported
    assert permuted < masked - 8.0, evidence
    assert row["outcome"] == "pass", row
    (claim,) = doc["claims"]
    assert claim["verdict"] != "fragile", claim["reason"]


# --------------------------------------------------------------------------- AK301


def test_an_order_blind_claimed_variant_fails_on_an_order_dependent_rule(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    # Planted twin of test_order.py's first test (where only the baseline is order-blind,
    # and the rule informs): here the *claimed* variant is the order-blind bag.
    # a mean of embeddings is exactly order-invariant, trained or not: tiny data suffices
    small = ORDERED.replace("n_train=800", "n_train=200").replace("epochs=6", "epochs=1")
    source = (
        small
        + """
@exp.variant(baseline=True)
def gru(info):
    return Gru(info)

@exp.variant
def bag(info):
    return Bag(info)

exp.claim("bag", over="gru", metric="accuracy")
"""
    )
    row = rule_row(run_rule(source, "AK301"), "AK301")
    assert row["outcome"] == "fail", row
    assert row["reason"].startswith("bag score the same with shuffled tokens")


# --------------------------------------------------------------------------- AK302 on dev


def _dev_and_test_drops(doc: dict[str, Any], variant: str) -> tuple[float, float, float]:
    """(dev drop, test drop, dev − test) in points for ``variant``'s permuted colour."""
    (found,) = [
        r
        for r in reliance_rows(doc, "AK302")
        if r["variant"] == variant and r["factor"] == "color (permuted)"
    ]
    return (
        100 * found["dev_drop_mean"],
        100 * found["drop_mean"],
        100 * found["dev_minus_test"],
    )


def test_train_dev_only_shortcut_shows_as_reliance_on_dev(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    # Planted: the last token's colour gives the label away in train and dev and is
    # random in test. Probing test alone, the colour-reading GRU loses little when its
    # colours are permuted (the cue is already broken there), and AK302 passed; on dev,
    # drawn like train, permuting colour takes the cue away.
    doc = run_rule(SHORTCUT.replace("SPLITS", '("train", "dev")'), "AK302")
    row = rule_row(doc, "AK302")
    assert row["outcome"] == "fail", row
    assert row["reason"].startswith("shortcut: tokens loses"), row["reason"]
    assert "on dev (interval" in row["reason"] and "dev − test" in row["reason"]
    assert "On dev, drawn like train, the cue holds" in row["reason"]
    dev, test, gap = _dev_and_test_drops(doc, "tokens")
    assert dev > 20 and test < 10 and gap > 15, (dev, test, gap)
    assert "tokens: accuracy drop, permute_color on dev" in row["evidence"]
    assert "tokens: accuracy drop, permute_color, dev − test" in row["evidence"]
    # the shape-only baseline cannot see colour: no drop on either split
    base_dev, base_test, _ = _dev_and_test_drops(doc, "shapes")
    assert abs(base_dev) < 2 and abs(base_test) < 2
    # Clean twin: no shortcut planted; nothing relies on colour, on dev or on test.
    clean = SHORTCUT.replace(
        'shortcut=ak.datasets.Shortcut(factor="color", position=-1, strength=1.0, splits=SPLITS),',
        "",
    )
    assert "Shortcut" not in clean
    doc = run_rule(clean, "AK302")
    row = rule_row(doc, "AK302")
    assert row["outcome"] == "pass", row
    assert "on dev or on test" in row["reason"]
    dev, test, _ = _dev_and_test_drops(doc, "tokens")
    assert dev < 5 and test < 5, (dev, test)
