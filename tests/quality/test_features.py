"""The seed, split, leakage and metric rules on plain feature arrays.

Each test plants one pitfall in scikit-learn's bundled breast-cancer features (or
builds the arrays by hand) and audits two scikit-learn variants with one rule; the
clean case beside it passes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.quality.conftest import rule_row

pytestmark = pytest.mark.slow

MODEL = """
import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

exp = ak.Experiment("features", data=DATA, metrics=["accuracy", "macro_f1"])

@exp.variant(baseline=True)
def sgd(info):
    return make_pipeline(StandardScaler(), SGDClassifier(max_iter=20, tol=None))

@exp.variant
def forest(info):
    return RandomForestClassifier(n_estimators=30)

exp.claim("forest", over="sgd", metric="accuracy")
"""


def model(data: str) -> str:
    return MODEL.replace("DATA", data)


def test_leaked_test_rows_in_feature_arrays_fail_and_invalidate_no_gain_they_do_not_make(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    doc = run_rule(model('ak.datasets.sklearn_dataset("breast_cancer", leak=0.2)'), "AK203")
    row = rule_row(doc, "AK203")
    assert row["outcome"] == "fail", row
    assert row["reason"].startswith(
        "23 of 114 test rows (20.2%) also appear in train, against about 0.0% by chance"
    )
    # decided from the effect (issue 15): the forest shows no gain on any rows, so the
    # copies make no conclusion and nothing is invalidated
    (claim,) = doc["claims"]
    assert claim["verdict"] == "inconclusive"
    assert "no claim's conclusion rests on them" in row["reason"]
    assert claim["invalid"] == []


def test_clean_feature_arrays_pass_the_leakage_scan(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    doc = run_rule(model('ak.datasets.sklearn_dataset("breast_cancer")'), "AK203")
    assert rule_row(doc, "AK203")["outcome"] == "pass"


SHIFTED = """(lambda clean: ak.FeatureDataset(
    name="shifted",
    train=clean.train,
    dev=clean.dev,
    # the test split was measured with another instrument: every feature 30% larger
    test=ak.ArraySplit(inputs=clean.test.inputs * 1.3, labels=clean.test.labels),
))(ak.datasets.sklearn_dataset("breast_cancer"))"""


def test_a_shifted_test_split_of_features_is_flagged(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    doc = run_rule(model(SHIFTED), "AK201")
    row = rule_row(doc, "AK201")
    assert row["outcome"] in ("warn", "fail"), row
    assert "on dev vs" in row["reason"] and "feature" in row["reason"]


def test_unshifted_feature_splits_pass_the_shift_check(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    doc = run_rule(model('ak.datasets.sklearn_dataset("breast_cancer")'), "AK201")
    row = rule_row(doc, "AK201")
    assert row["outcome"] == "pass", row
    # 30 columns are more than MAX_FEATURE_COLUMNS: labels, row means and row sds
    assert row["reason"].startswith("dev and test agree on 3 statistics")


def test_label_noise_ceiling_reads_planted_noise_in_features(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    # with 30% of the labels flipped in every split, no honest model exceeds ~70%
    doc = run_rule(model('ak.datasets.sklearn_dataset("breast_cancer", label_noise=0.3)'), "AK205")
    row = rule_row(doc, "AK205")
    assert row["outcome"] == "pass", row
    assert "label noise" in row["evidence"]


def test_random_resplit_retrains_estimators_on_feature_arrays(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    doc = run_rule(model('ak.datasets.sklearn_dataset("breast_cancer")'), "AK202")
    row = rule_row(doc, "AK202")
    assert row["outcome"] in ("pass", "warn"), row
    resplit = [r for r in doc["runs"] if r["spec"]["condition"] == "random re-split"]
    assert len(resplit) == 6 and all(not r["error"] for r in resplit)
