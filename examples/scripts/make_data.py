"""Write the small SPR_BENCH-style CSV files the example scripts read (run once; committed).

python examples/scripts/make_data.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import auditkit as ak

HERE = Path(__file__).resolve().parent


def main() -> None:
    data = ak.datasets.spr("spr_like", n_train=400, n_dev=100, n_test=200, seed=0)
    folder = HERE / "data" / "SPR_BENCH"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("train", "dev", "test"):
        split = data.split(name)
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["id", "sequence", "label"])
            writer.writerows(zip(split.ids, split.sequences, split.labels, strict=True))


if __name__ == "__main__":
    main()
