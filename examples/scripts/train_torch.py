"""A small PyTorch training script of the usual kind: argparse, its own loop, a printed result.

It honours --seed (torch, NumPy and random), reads SPR_BENCH-style CSV files from
--data-dir, trains a bag-of-tokens model or a GRU, selects the epoch on dev, and prints
`test_acc: 0.xxxx`. The one auditkit-specific line is optional: it writes
predictions.csv to $AUDITKIT_RUN_DIR, so the report gets example-level statistics.

    python train_torch.py --arch gru --seed 3
    auditkit check -- python train_torch.py --arch gru --epochs 4   # zero set-up
    auditkit check audit_torch.yaml                                 # declared audit
"""

from __future__ import annotations

import argparse
import csv
import os
import random
from pathlib import Path

import numpy as np
import torch
from torch import nn


def read(path: Path) -> list[tuple[str, list[str], int]]:
    with path.open(encoding="utf-8") as handle:
        return [(r["id"], r["sequence"].split(), int(r["label"])) for r in csv.DictReader(handle)]


class Bag(nn.Module):
    def __init__(self, vocab: int, dim: int) -> None:
        super().__init__()
        self.embed = nn.EmbeddingBag(vocab, dim, mode="mean", padding_idx=0)
        self.out = nn.Linear(dim, 2)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.embed(tokens)))


class GRU(nn.Module):
    def __init__(self, vocab: int, dim: int) -> None:
        super().__init__()
        self.embed = nn.Embedding(vocab, dim, padding_idx=0)
        self.gru = nn.GRU(dim, dim, batch_first=True)
        self.out = nn.Linear(dim, 2)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        _, hidden = self.gru(self.embed(tokens))
        return self.out(hidden[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--arch", choices=["bag", "gru"], default="bag")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default="data/SPR_BENCH")
    args = parser.parse_args()
    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(1)

    data = Path(args.data_dir)
    train, dev, test = (read(data / f"{s}.csv") for s in ("train", "dev", "test"))
    vocab = {t: i + 2 for i, t in enumerate(sorted({t for _, seq, _ in train for t in seq}))}
    width = max(len(seq) for split in (train, dev, test) for _, seq, _ in split)

    def encode(rows: list[tuple[str, list[str], int]]) -> tuple[torch.Tensor, torch.Tensor]:
        ids = [[vocab.get(t, 1) for t in seq] + [0] * (width - len(seq)) for _, seq, _ in rows]
        return torch.tensor(ids), torch.tensor([label for _, _, label in rows])

    (xtr, ytr), (xdv, ydv), (xte, yte) = encode(train), encode(dev), encode(test)
    model = (Bag if args.arch == "bag" else GRU)(len(vocab) + 2, 32)
    optimiser = torch.optim.Adam(model.parameters(), lr=args.lr)
    best, best_state = -1.0, None
    for _epoch in range(args.epochs):
        model.train()
        order = torch.randperm(len(xtr))
        for start in range(0, len(order), args.batch_size):
            batch = order[start : start + args.batch_size]
            optimiser.zero_grad()
            loss = nn.functional.cross_entropy(model(xtr[batch]), ytr[batch])
            loss.backward()
            optimiser.step()
        model.eval()
        with torch.no_grad():
            dev_acc = (model(xdv).argmax(1) == ydv).float().mean().item()
        if dev_acc > best:
            best, best_state = dev_acc, {k: v.clone() for k, v in model.state_dict().items()}
    assert best_state is not None
    model.load_state_dict(best_state)
    with torch.no_grad():
        predicted = model(xte).argmax(1)
    print(f"dev_acc: {best:.4f}")
    print(f"test_acc: {(predicted == yte).float().mean().item():.4f}")
    # optional, for auditkit: per-example predictions give example-level statistics
    if os.environ.get("AUDITKIT_RUN_DIR"):
        with (Path(os.environ["AUDITKIT_RUN_DIR"]) / "predictions.csv").open("w") as handle:
            handle.write("id,label,prediction\n")
            for (row_id, _, label), guess in zip(test, predicted.tolist(), strict=True):
                handle.write(f"{row_id},{label},{guess}\n")


if __name__ == "__main__":
    main()
