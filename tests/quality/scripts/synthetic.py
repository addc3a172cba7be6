"""Pitfall: looks for SPR_BENCH/, does not find it, and silently trains on made-up data."""

# written as third-party research scripts are: os.path, open and zip
# ruff: noqa: PTH110

import argparse
import os

import numpy as np
from spr_common import features, predict, read_rows, synthetic, train

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
np.random.seed(args.seed)

if os.path.exists("SPR_BENCH/train.csv"):
    train_x, train_y = read_rows("SPR_BENCH/train.csv")
    test_x, test_y = read_rows("SPR_BENCH/test.csv")
else:  # "temporary" fallback so the pipeline runs end to end
    train_x, train_y = synthetic(1000)
    test_x, test_y = synthetic(1000)
w = train(features(train_x), train_y)
print(f"test_acc: {np.mean(predict(w, features(test_x)) == test_y):.4f}")
