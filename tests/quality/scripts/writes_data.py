"""Pitfall: caches its features next to the data, inside the data folder."""

import argparse

import numpy as np
from spr_common import features, predict, read_rows, train

parser = argparse.ArgumentParser()
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()
np.random.seed(args.seed)

train_x, train_y = read_rows("data/train.csv")
test_x, test_y = read_rows("data/test.csv")
x = features(train_x)
np.save("data/train_features.npy", x)  # cache for next time
w = train(x, train_y)
print(f"test_acc: {np.mean(predict(w, features(test_x)) == test_y):.4f}")
