"""Helpers shared by the planted scripts: read SPR-style CSV files, featurise, train, score.

Written the way a research script is: plain csv + numpy, a logistic regression trained by
mini-batch SGD whose initialisation and data order follow numpy's global random state.
"""

# written as third-party research scripts are: os.path, open and zip
# ruff: noqa: PTH123

import csv

import numpy as np

SHAPES = "▲■●◆"
COLORS = "rgby"


def read_rows(path):
    """(sequences, labels) of an id,sequence,label file."""
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [r["sequence"] for r in rows], np.asarray([int(r["label"]) for r in rows])


def features(sequences):
    """Counts of each shape and each colour per sequence, plus a bias column."""
    x = np.zeros((len(sequences), len(SHAPES) + len(COLORS) + 1))
    for i, sequence in enumerate(sequences):
        for token in sequence.split():
            x[i, SHAPES.index(token[0])] += 1
            if len(token) > 1:
                x[i, len(SHAPES) + COLORS.index(token[1])] += 1
    x[:, -1] = 1.0
    return x


def train(x, y, epochs=5, lr=0.05, batch=32):
    """Logistic regression by SGD; init and order from numpy's global random state."""
    w = np.random.normal(0, 0.1, x.shape[1])
    for _ in range(epochs):
        order = np.random.permutation(len(y))
        for start in range(0, len(y), batch):
            rows = order[start : start + batch]
            p = 1 / (1 + np.exp(-x[rows] @ w))
            w -= lr * x[rows].T @ (p - y[rows]) / len(rows)
    return w


def predict(w, x):
    return (x @ w > 0).astype(int)


def synthetic(n, rng=np.random):
    """SPR-like rows made up on the spot: what a script falls back to without its data."""
    sequences = []
    for _ in range(n):
        length = rng.randint(4, 9)
        sequences.append(
            " ".join(SHAPES[rng.randint(4)] + COLORS[rng.randint(4)] for _ in range(length))
        )
    labels = np.asarray([int(s.count("▲") > s.count("■")) for s in sequences])
    return sequences, labels
