"""Pitfall: reads the test file, but the number it prints as test accuracy is scored on dev."""

import argparse

import numpy as np
from spr_common import features, predict, read_rows, train

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
np.random.seed(args.seed)

train_x, train_y = read_rows("data/train.csv")
dev_x, dev_y = read_rows("data/dev.csv")
test_x, test_y = read_rows("data/test.csv")
print(f"loaded {len(train_y)} train, {len(dev_y)} dev, {len(test_y)} test rows")
w = train(features(train_x), train_y)
print(f"test_acc: {np.mean(predict(w, features(dev_x)) == dev_y):.4f}")
