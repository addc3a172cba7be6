"""Metrics on hand-computed rows (DESIGN.md §3 definitions)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.metrics import f1_score, matthews_corrcoef

from auditkit.metrics import METRICS, compute_metrics, confusion_matrix

# Four rows. Colour variety / shape variety per row:
#   "▲r ■g ▲r"   colours {r,g}=2  shapes {▲,■}=2
#   "●b"         colours {b}=1    shapes {●}=1
#   "◆y ◆y ◆r ■" colours {y,r}=2  shapes {◆,■}=2
#   "▲g ■b ●y ◆r" colours 4       shapes 4
SEQS = ("▲r ■g ▲r", "●b", "◆y ◆y ◆r ■", "▲g ■b ●y ◆r")
Y_TRUE = np.array([1, 0, 1, 0])
Y_PRED = np.array([1, 1, 1, 0])  # row 1 wrong


def test_accuracy() -> None:
    assert compute_metrics(["accuracy"], Y_TRUE, Y_PRED, SEQS)["accuracy"] == 0.75


def test_cwa_weights_are_colour_variety() -> None:
    # correct rows weigh 2 + 2 + 4 = 8 of 2 + 1 + 2 + 4 = 9
    assert compute_metrics(["cwa"], Y_TRUE, Y_PRED, SEQS)["cwa"] == pytest.approx(8 / 9)


def test_swa_weights_are_shape_variety() -> None:
    # shapes: 2, 1, 2, 4 -> same numbers as the colours here, so use another wrong row
    pred = np.array([0, 0, 1, 0])  # row 0 wrong (weight 2)
    out = compute_metrics(["swa", "cwa"], Y_TRUE, pred, SEQS)
    assert out["swa"] == pytest.approx(7 / 9)
    assert out["cwa"] == pytest.approx(7 / 9)


def test_swa_and_cwa_differ_when_varieties_differ() -> None:
    seqs = ("▲r ■r ●r", "▲r ▲g ▲b")  # shape variety 3, 1; colour variety 1, 3
    y_true, y_pred = np.array([1, 1]), np.array([1, 0])
    out = compute_metrics(["swa", "cwa", "hwa"], y_true, y_pred, seqs)
    assert out["swa"] == pytest.approx(3 / 4)
    assert out["cwa"] == pytest.approx(1 / 4)
    assert out["hwa"] == pytest.approx(2 * 0.75 * 0.25 / (0.75 + 0.25))


def test_compwa_product_and_sum_forms() -> None:
    seqs = ("▲r ■r ●r", "▲r ▲g ▲b")  # product weights 3, 3; sum weights 4, 4
    y_true, y_pred = np.array([1, 1]), np.array([1, 0])
    out = compute_metrics(["compwa", "compwa_sum"], y_true, y_pred, seqs)
    assert out["compwa"] == pytest.approx(0.5)
    assert out["compwa_sum"] == pytest.approx(0.5)
    seqs = ("▲r ■g", "▲r")  # product 4, 1; sum 4, 2
    out = compute_metrics(["compwa", "compwa_sum"], y_true, y_pred, seqs)
    assert out["compwa"] == pytest.approx(4 / 5)
    assert out["compwa_sum"] == pytest.approx(4 / 6)


def test_weighted_metric_with_zero_weights_is_undefined_not_zero() -> None:
    seqs = ("▲ ■ ●", "◆ ◆")  # no colours at all (like SPR_BENCH LYGES)
    y = np.array([0, 1])
    out = compute_metrics(["cwa", "hwa", "compwa", "swa", "compwa_sum"], y, y, seqs)
    assert out["cwa"] is None
    assert out["hwa"] is None
    assert out["compwa"] is None
    assert out["swa"] == 1.0
    assert out["compwa_sum"] == 1.0


def test_hwa_of_two_zeros_is_zero() -> None:
    y_true, y_pred = np.array([1]), np.array([0])
    assert compute_metrics(["hwa"], y_true, y_pred, ("▲r",))["hwa"] == 0.0


def test_macro_f1_hand_computed_and_matches_sklearn() -> None:
    # class 1: TP=2 FP=1 FN=0 -> F1 = 4/5; class 0: TP=1 FP=0 FN=1 -> F1 = 2/3
    out = compute_metrics(["macro_f1"], Y_TRUE, Y_PRED, SEQS)["macro_f1"]
    assert out == pytest.approx((4 / 5 + 2 / 3) / 2)
    assert out == pytest.approx(f1_score(Y_TRUE, Y_PRED, average="macro"))


def test_mcc_hand_computed_and_matches_sklearn() -> None:
    # TP=2 TN=1 FP=1 FN=0: (2*1 - 1*0) / sqrt(3*2*2*1)
    out = compute_metrics(["mcc"], Y_TRUE, Y_PRED, SEQS)["mcc"]
    assert out == pytest.approx(2 / math.sqrt(12))
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 3, 200), rng.integers(0, 3, 200)
    assert compute_metrics(["mcc"], t, p, ())["mcc"] == pytest.approx(matthews_corrcoef(t, p))


def test_mcc_of_constant_predictions_is_zero() -> None:
    assert compute_metrics(["mcc"], np.array([0, 1, 1]), np.array([1, 1, 1]), ())["mcc"] == 0.0


def test_confusion_matrix() -> None:
    cm = confusion_matrix(Y_TRUE, Y_PRED, 2)
    assert cm.tolist() == [[1, 1], [0, 2]]


def test_empty_split_is_undefined() -> None:
    empty = np.array([], dtype=np.int64)
    out = compute_metrics(list(METRICS), empty, empty, ())
    assert all(v is None for v in out.values())


def test_mismatched_shapes_raise() -> None:
    with pytest.raises(ValueError, match="same length"):
        compute_metrics(["accuracy"], np.array([1, 0]), np.array([1]), ())
