"""Prints its result as a percentage; with --bare it drops the % sign (the pitfall)."""

import argparse

import numpy as np
from spr_common import features, predict, read_rows, train

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--bare", action="store_true")
args = parser.parse_args()
np.random.seed(args.seed)

train_x, train_y = read_rows("data/train.csv")
test_x, test_y = read_rows("data/test.csv")
w = train(features(train_x), train_y)
accuracy = 100 * np.mean(predict(w, features(test_x)) == test_y)
if args.bare:
    print(f"test_acc: {accuracy:.2f}")
else:
    print(f"Test Accuracy: {accuracy:.2f}%")
