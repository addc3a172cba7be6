"""A Hydra script: settings from conf/config.yaml, overridden as name=value on the command line.

A logistic regression on bag-of-token counts, trained with NumPy by gradient descent;
`model.features` chooses unigram counts or unigrams plus adjacent pairs. It seeds
NumPy from `seed` and prints `test_acc: 0.xxxx`.

    python train_hydra.py seed=3 model.features=pairs
    auditkit check audit_hydra.yaml
"""

from __future__ import annotations

import csv
import itertools
from pathlib import Path

import hydra
import numpy as np
from omegaconf import DictConfig


def read(path: Path) -> list[tuple[list[str], int]]:
    with path.open(encoding="utf-8") as handle:
        return [(r["sequence"].split(), int(r["label"])) for r in csv.DictReader(handle)]


def features(tokens: list[str], kind: str) -> list[str]:
    out = list(tokens)
    if kind == "pairs":
        out += [f"{a}|{b}" for a, b in itertools.pairwise(tokens)]
    return out


@hydra.main(version_base="1.3", config_path="conf", config_name="config")
def main(cfg: DictConfig) -> None:
    rng = np.random.default_rng(cfg.seed)
    folder = Path(hydra.utils.to_absolute_path(cfg.data_dir))
    train, test = read(folder / "train.csv"), read(folder / "test.csv")
    keep = rng.permutation(len(train))[: int(cfg.train_share * len(train))]
    train = [train[i] for i in keep]
    names = {f for tokens, _ in train for f in features(tokens, cfg.model.features)}
    vocab = {f: i for i, f in enumerate(sorted(names))}

    def matrix(rows: list[tuple[list[str], int]]) -> tuple[np.ndarray, np.ndarray]:
        x = np.zeros((len(rows), len(vocab)))
        for i, (tokens, _) in enumerate(rows):
            for f in features(tokens, cfg.model.features):
                if f in vocab:
                    x[i, vocab[f]] += 1
        return x, np.array([label for _, label in rows], dtype=float)

    (xtr, ytr), (xte, yte) = matrix(train), matrix(test)
    w = rng.normal(0, 0.01, len(vocab))
    for _ in range(cfg.steps):
        p = 1 / (1 + np.exp(-(xtr @ w)))
        w -= cfg.lr * (xtr.T @ (p - ytr) / len(ytr) + 1e-3 * w)
    accuracy = float(((xte @ w > 0) == (yte > 0.5)).mean())
    print(f"test_acc: {accuracy:.4f}")


if __name__ == "__main__":
    main()
