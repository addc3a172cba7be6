"""A script that only prints its result, the way many experiment scripts end.

No framework: it counts which tokens go with which label in data/SPR_BENCH/train.csv
(a hard-coded relative path), on a random 80% of the rows, and prints its test accuracy
as a percentage. auditkit seeds `random` through its start-up shim, so the subsample
differs from seed to seed.

    python print_only.py
    auditkit check -- python print_only.py
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from pathlib import Path


def read(name: str) -> list[tuple[list[str], str]]:
    with Path(f"data/SPR_BENCH/{name}.csv").open(encoding="utf-8") as handle:
        return [(row["sequence"].split(), row["label"]) for row in csv.DictReader(handle)]


train, test = read("train"), read("test")
train = random.sample(train, int(0.8 * len(train)))
counts: dict[str, Counter[str]] = {}
for tokens, label in train:
    for token in tokens:
        counts.setdefault(token, Counter())[label] += 1
labels = sorted({label for _, label in train})


def predict(tokens: list[str]) -> str:
    score = Counter[str]()
    for token in tokens:
        total = sum(counts.get(token, Counter()).values()) or 1
        for label in labels:
            score[label] += counts.get(token, Counter())[label] / total
    return max(labels, key=lambda label: (score[label], random.random()))


correct = sum(predict(tokens) == label for tokens, label in test)
print(f"Test Accuracy: {100 * correct / len(test):.2f}%")
