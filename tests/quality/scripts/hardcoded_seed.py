"""Pitfall: takes --seed but re-seeds itself with a constant, so every run is the same run."""

import argparse

import numpy as np
from spr_common import features, predict, read_rows, train

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
np.random.seed(42)  # "for reproducibility"

train_x, train_y = read_rows("data/train.csv")
test_x, test_y = read_rows("data/test.csv")
w = train(features(train_x), train_y)
print(f"test_acc: {np.mean(predict(w, features(test_x)) == test_y):.4f}")
