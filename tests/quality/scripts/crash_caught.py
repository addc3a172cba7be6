"""Pitfall: a bug raises, the script catches it, prints a message and exits 0 with no metric."""

import argparse
import sys

import numpy as np
from spr_common import features, predict, read_rows, train

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
np.random.seed(args.seed)

try:
    train_x, train_y = read_rows("data/train.csv")
    test_x, test_y = read_rows("data/test.csv")
    w = train(features(train_x), train_y)
    labels = test_y[:, 0]  # bug: the labels are one-dimensional
    print(f"test_acc: {np.mean(predict(w, features(test_x)) == labels):.4f}")
except Exception as exc:  # keep the sweep going
    print(f"run failed: {exc}", file=sys.stderr)
