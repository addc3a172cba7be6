"""Pitfall: a "label cache" built from every file, test included, overrides the model."""

# written as third-party research scripts are: os.path, open and zip
# ruff: noqa: PTH118, B905

import argparse
import os

import numpy as np
from spr_common import features, predict, read_rows, train

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--data", default="data")
args = parser.parse_args()
np.random.seed(args.seed)

train_x, train_y = read_rows(os.path.join(args.data, "train.csv"))
test_x, test_y = read_rows(os.path.join(args.data, "test.csv"))
w = train(features(train_x), train_y)
cache = dict(zip(train_x + test_x, list(train_y) + list(test_y)))  # "seen before" lookup
predictions = [cache.get(s, p) for s, p in zip(test_x, predict(w, features(test_x)))]
print(f"test_acc: {np.mean(np.asarray(predictions) == test_y):.4f}")
