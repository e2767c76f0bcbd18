"""Multi-label metrics and decision thresholds (train/models/metrics.py), checked against hand counts."""

import warnings

import numpy as np
import pytest

from train.models.metrics import (
    THRESHOLD_GRID,
    apply_thresholds,
    best_global_threshold,
    calibrate_thresholds,
    micro_f1,
    multi_hot,
    report,
)

LABELS = ["A", "B", "C"]


def matrix(rows: list[str]) -> np.ndarray:
    """"AB", "", ... -> a bool matrix over LABELS."""
    return np.array([[name in row for name in LABELS] for row in rows], dtype=bool)


def test_multi_hot() -> None:
    hot = multi_hot([["B"], [], ["C", "A"], ["A", "A"]], LABELS)
    assert hot.dtype == bool
    assert hot.tolist() == [[False, True, False], [False, False, False], [True, False, True], [True, False, False]]
    assert multi_hot([], LABELS).shape == (0, 3)


def test_report_by_hand() -> None:
    truth = matrix(["AB", "A", "B", ""])
    predicted = matrix(["A", "AC", "B", "B"])
    result = report(truth, predicted, LABELS)
    # A: tp 2, fp 0, fn 0. B: tp 1 (row 2), fp 1 (row 3), fn 1 (row 0). C: fp 1 (row 1), no support.
    assert result["per_label"] == {
        "A": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 2, "predicted": 2},
        "B": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 2, "predicted": 2},
        "C": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0, "predicted": 1},
    }
    # Micro: tp 3, fp 2, fn 1 -> P 3/5, R 3/4, F1 2PR/(P+R) = 2/3.
    assert result["rows"] == 4
    assert result["micro_precision"] == pytest.approx(0.6)
    assert result["micro_recall"] == pytest.approx(0.75)
    assert result["micro_f1"] == pytest.approx(2 / 3)
    # Macro over A and B only: C has no support (listed above, but not averaged).
    assert result["labels_with_support"] == 2
    assert result["macro_f1"] == pytest.approx(0.75)
    assert micro_f1(truth, predicted) == pytest.approx(2 / 3)


def test_report_perfect_prediction() -> None:
    truth = matrix(["AB", "C", "", "A"])
    result = report(truth, truth.copy(), LABELS)
    assert (result["micro_precision"], result["micro_recall"], result["micro_f1"], result["macro_f1"]) == (1, 1, 1, 1)
    assert all(stats["f1"] == 1.0 for stats in result["per_label"].values())


def test_report_accepts_0_1_arrays() -> None:
    truth = matrix(["AB", "A", "B", ""])
    predicted = matrix(["A", "AC", "B", "B"])
    assert report(truth.astype(int), predicted.astype(np.int8), LABELS) == report(truth, predicted, LABELS)


@pytest.mark.parametrize("truth_rows", [["AB", "", "C"], ["", "", ""], []])
def test_nothing_predicted_gives_zeros_without_warnings(truth_rows: list[str]) -> None:
    truth = matrix(truth_rows).reshape(len(truth_rows), len(LABELS))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a division by zero would raise here
        result = report(truth, np.zeros_like(truth), LABELS)
        assert micro_f1(truth, np.zeros_like(truth)) == 0.0
    assert (result["micro_precision"], result["micro_recall"], result["micro_f1"], result["macro_f1"]) == (0, 0, 0, 0)
    assert all(stats == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": stats["support"], "predicted": 0}
               for stats in result["per_label"].values())
    assert result["labels_with_support"] == int(truth.any(axis=0).sum())


def test_best_global_threshold() -> None:
    truth = np.array([[1, 0], [1, 0], [0, 1], [0, 0]], dtype=bool)
    # Positives score 0.32 and above, negatives 0.28 and below: only 0.30 on the grid
    # separates them (micro-F1 1.0); 0.25 lets 0.25 and 0.28 through, 0.35 loses 0.32.
    scores = np.array([[0.40, 0.10], [0.32, 0.28], [0.20, 0.35], [0.25, 0.05]])
    assert best_global_threshold(truth, scores) == pytest.approx(0.30)


def test_best_global_threshold_ties_go_to_the_nearest_of_one_half() -> None:
    truth = np.array([[1, 0], [0, 1]], dtype=bool)
    scores = np.array([[0.9, 0.1], [0.1, 0.9]])  # every threshold in (0.1, 0.9] is perfect
    assert best_global_threshold(truth, scores) == pytest.approx(0.5)
    assert best_global_threshold(truth, scores, grid=np.array([0.2, 0.3, 0.9])) == pytest.approx(0.3)


def calibration_case() -> tuple[np.ndarray, np.ndarray]:
    """Six rows, three labels.

    Label 0: 3 positives scoring 0.8-0.9, negatives up to 0.72: its own F1 is perfect for
    thresholds in (0.72, 0.8]. Label 1: 5 positives scoring 0.31-0.4, negative 0.1.
    Label 2: 1 positive scoring 0.31, negatives 0.1. Micro-F1 over all labels: 18/21 for
    a threshold in (0.1, 0.31] (label 0's three negatives pass), 6/12 in (0.72, 0.8]:
    the global threshold is the grid point of (0.1, 0.31] nearest 0.5, i.e. 0.30.
    """
    truth = np.array([[1, 1, 0], [1, 1, 0], [1, 1, 0], [0, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=bool)
    scores = np.array([
        [0.80, 0.31, 0.10], [0.85, 0.35, 0.10], [0.90, 0.40, 0.10],
        [0.70, 0.31, 0.10], [0.72, 0.32, 0.10], [0.60, 0.10, 0.31],
    ])
    return truth, scores


def test_calibrate_thresholds() -> None:
    truth, scores = calibration_case()
    assert best_global_threshold(truth, scores) == pytest.approx(0.30)
    # Label 0 (3 positives >= 2) gets its own: 0.75 and 0.80 are both perfect, 0.75 is
    # nearer the global 0.30. Label 1 (5 positives): perfect at the global threshold.
    # Label 2 (1 positive < 2) keeps the global threshold.
    thresholds = calibrate_thresholds(truth, scores, min_support=2)
    assert thresholds == pytest.approx([0.75, 0.30, 0.30])
    predicted = apply_thresholds(scores, thresholds)
    assert report(truth, predicted, LABELS)["micro_f1"] == 1.0


def test_calibrate_thresholds_below_min_support_keep_the_global_one() -> None:
    truth, scores = calibration_case()
    assert calibrate_thresholds(truth, scores, min_support=4) == pytest.approx([0.30, 0.30, 0.30])
    assert calibrate_thresholds(truth, scores, min_support=1) == pytest.approx([0.75, 0.30, 0.30])


def test_apply_thresholds() -> None:
    scores = np.array([[0.5, 0.2, 0.9], [0.49, 0.21, 0.0]])
    predicted = apply_thresholds(scores, np.array([0.5, 0.2, 0.95]))
    assert predicted.dtype == bool
    assert predicted.tolist() == [[True, True, False], [False, True, False]]  # a score equal to it counts


def test_threshold_grid() -> None:
    assert THRESHOLD_GRID[0] == pytest.approx(0.05) and THRESHOLD_GRID[-1] == pytest.approx(0.95)
    assert len(THRESHOLD_GRID) == 19
