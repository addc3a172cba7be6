"""Clean twin: trains on train, reports dev, scores every row of test, honours --seed."""

# written as third-party research scripts are: os.path, open and zip
# ruff: noqa: PTH118, PTH123, B905

import argparse
import csv
import os

import numpy as np
from spr_common import features, predict, read_rows, train

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--data", default="data")
args = parser.parse_args()
np.random.seed(args.seed)

train_x, train_y = read_rows(os.path.join(args.data, "train.csv"))
dev_x, dev_y = read_rows(os.path.join(args.data, "dev.csv"))
test_x, test_y = read_rows(os.path.join(args.data, "test.csv"))
w = train(features(train_x), train_y)
print(f"dev_acc: {np.mean(predict(w, features(dev_x)) == dev_y):.4f}")
predictions = predict(w, features(test_x))
out = os.environ.get("AUDITKIT_RUN_DIR")
if out:  # the one line auditkit documents: per-example predictions for its statistics
    with open(os.path.join(out, "predictions.csv"), "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "label", "prediction"])
        writer.writerows((i, y, p) for i, (y, p) in enumerate(zip(test_y, predictions)))
print(f"test_acc: {np.mean(predictions == test_y):.4f}")
