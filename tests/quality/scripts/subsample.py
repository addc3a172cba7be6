"""Pitfall: a debugging subsample left in: trains and scores on 200 rows of each file."""

# written as third-party research scripts are: os.path, open and zip
# ruff: noqa: PTH118, PTH123, B905

import argparse
import csv
import os

import numpy as np
from spr_common import features, predict, read_rows, train

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
np.random.seed(args.seed)

train_x, train_y = read_rows("data/train.csv")
test_x, test_y = read_rows("data/test.csv")
train_x, train_y = train_x[:200], train_y[:200]  # quick debug run
test_x, test_y = test_x[:200], test_y[:200]
w = train(features(train_x), train_y)
predictions = predict(w, features(test_x))
with open(os.path.join(os.environ["AUDITKIT_RUN_DIR"], "predictions.csv"), "w", newline="") as f:
    writer = csv.writer(f)
    writer.writerow(["id", "label", "prediction"])
    writer.writerows((i, y, p) for i, (y, p) in enumerate(zip(test_y, predictions)))
print(f"test_acc: {np.mean(predictions == test_y):.4f}")
