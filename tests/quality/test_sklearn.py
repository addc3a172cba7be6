"""scikit-learn claims on a bundled dataset get the verdict the statistics support.

The experiment cross-validates scikit-learn estimators on the breast-cancer features
(5 folds). The test recomputes each claim's Nadeau–Bengio corrected resampled t-test by
hand from the per-fold accuracies in ``audit.json`` (scipy's t distribution, Holm across
the two claims) and checks that auditkit's verdict is the one the numbers call for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import stats

import auditkit as ak
from auditkit.perturb import cv_fold

pytestmark = pytest.mark.slow

MODEL = """
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier
from sklearn.ensemble import RandomForestClassifier

exp = ak.Experiment(
    "cancer",
    data=ak.datasets.sklearn_dataset("breast_cancer", seed=0),
    metrics=["accuracy", "mcc"],
    design=ak.CrossValidation(folds=5),
)

@exp.variant(baseline=True)
def stump(info):
    return DecisionTreeClassifier(max_depth=1)

@exp.variant
def logreg(info):
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))

@exp.variant
def forest(info):
    return RandomForestClassifier(n_estimators=50)

exp.claim("logreg", over="stump", metric="accuracy")
exp.claim("forest", over="logreg", metric="accuracy", reported=0.02)
"""


def _expected(gains: np.ndarray, p_holm: float, n_train: int, n_test: int) -> str:
    """The verdict DESIGN.md's table gives, from the corrected interval, by hand."""
    j = len(gains)
    mean, sd = gains.mean(), gains.std(ddof=1)
    se = sd * np.sqrt(1 / j + n_test / n_train)
    half = stats.t.ppf(0.975, j - 1) * se
    if p_holm < 0.05 and mean - half > 0:
        return "supported"
    if mean + half < 0:
        return "refuted"
    half_eq = stats.t.ppf(0.95, j - 1) * se  # the 90% interval of TOST at alpha 0.05
    if mean - half_eq > -0.005 and mean + half_eq < 0.005:
        return "refuted"
    return "inconclusive"


def test_cross_validated_estimator_claims_get_the_corrected_verdict(
    run_rule: Callable[..., dict[str, Any]],
) -> None:
    doc = run_rule(MODEL, "AK101", seeds=5)
    fold = cv_fold(ak.datasets.sklearn_dataset("breast_cancer", seed=0), ak.CrossValidation(), 0)
    n_train, n_test = len(fold.train), len(fold.test)
    scores: dict[str, dict[int, float]] = {}
    for run in doc["runs"]:
        spec = run["spec"]
        scores.setdefault(spec["variant"], {})[spec["order_seed"]] = run["test_metrics"]["accuracy"]
    assert all(len(v) == 5 for v in scores.values())  # every fold, every variant
    assert doc["experiment"]["design"] == {"kind": "cross-validation", "folds": 5, "dev": 0.2}
    assert doc["experiment"]["frameworks"] == {
        "stump": "sklearn",
        "logreg": "sklearn",
        "forest": "sklearn",
    }
    claims = [("logreg", "stump"), ("forest", "logreg")]
    gains = [np.array([scores[v][s] - scores[b][s] for s in range(5)]) for v, b in claims]
    p_raw = []
    for g in gains:
        se = g.std(ddof=1) * np.sqrt(1 / 5 + n_test / n_train)
        p_raw.append(float(stats.t.sf(g.mean() / se, 4)))
    # Holm over two claims
    order = np.argsort(p_raw)
    p_holm = [0.0, 0.0]
    p_holm[order[0]] = min(1.0, 2 * p_raw[order[0]])
    p_holm[order[1]] = min(1.0, max(p_holm[order[0]], p_raw[order[1]]))
    for claim, g, p in zip(doc["claims"], gains, p_holm, strict=True):
        assert claim["gain"]["p_holm"] == pytest.approx(p, rel=1e-9)
        assert claim["gain"]["resampled"] == {"n_train": n_train, "n_test": n_test}
        assert claim["verdict"] == _expected(g, p, n_train, n_test), claim["reason"]
        assert "Nadeau–Bengio corrected for 5 overlapping folds" in claim["reason"]
        print(  # the figures quoted in the note (pytest -s shows them)
            f"{claim['label']}: gains {np.round(100 * g, 2).tolist()} pts, mean "
            f"{100 * g.mean():+.2f} pts, corrected p (Holm) {p:.4f} -> {claim['verdict']}"
        )
    # a linear model on standardised features beats a one-split tree: no doubt there
    assert doc["claims"][0]["verdict"] == "supported"
