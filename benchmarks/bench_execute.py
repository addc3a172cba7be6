"""Execution speed: auditkit's runs against plain loops, seed batching, cache, overhead.

Run: .venv/bin/python benchmarks/bench_execute.py [--quick]

Every figure is the median of REPEATS (>= 3) runs, measured side by side in this one
process, after a warm-up. Sections:

(a) the example's seed runs (examples/spr/model.py, quick pack, 3 seeds per variant) through
    ``run_audit`` (default --jobs and --seed-batch) against a plain sequential Python loop
    over the same seeds in one process with torch's default threads;
(b) seed batching: K = 1, 4, 8, 16 seeds of the example's GRU at batch size 32 (small
    batch), as one stacked model against K separate runs one after another, one process
    using all cores;
(c) a fully cached re-run of the example: ``auditkit check`` as a fresh process;
(d) auditkit's own overhead as a share of wall time (everything that is not training:
    loading, planning, the store, statistics, worker start-up).

There is no GPU on the machines this was written for; every figure is CPU-only.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditkit.audit import AuditOptions, run_audit
from auditkit.experiment import load_experiment
from auditkit.train.batched import SeedPair, train_seeds_batched
from auditkit.train.encode import encode
from auditkit.train.loop import train_and_evaluate

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "spr" / "model.py"
REPEATS = 3


def median_time(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def row(label: str, seconds: float, reference: float | None = None) -> None:
    ratio = f"   {reference / seconds:5.2f}x" if reference else ""
    print(f"  {label:<52} {seconds:8.2f} s{ratio}")


def audit(workdir: Path, **options: Any) -> dict[str, Any]:
    old = Path.cwd()
    os.chdir(workdir)
    try:
        out = run_audit(AuditOptions(model_file=str(EXAMPLE), rules="quick", seeds=3, **options))
    finally:
        os.chdir(old)
    return out.document


def section_a(workdir: Path) -> None:
    n_runs = 3 * len(load_experiment(EXAMPLE).variants)
    print(f"(a) the example's {n_runs} seed runs: auditkit against a plain sequential loop")

    def plain() -> None:
        spec = load_experiment(EXAMPLE)
        data = encode(spec.data)
        for variant in spec.variants.values():
            for seed in range(3):
                train_and_evaluate(
                    variant.builder,
                    data,
                    spec.train,
                    init_seed=seed,
                    order_seed=seed,
                    metrics=spec.metrics,
                    device=torch.device("cpu"),
                )

    plain()  # warm-up
    loop = median_time(plain)
    via = median_time(lambda: audit(workdir, cache=False, out="a"))
    doc = audit(workdir, cache=False, out="a")
    row("plain Python loop, one process", loop)
    row(f"auditkit ({doc['provenance']['executor']})", via, loop)
    print(f"      seed batching: {doc['provenance'].get('seed batching', 'none')}")


def section_b(quick: bool) -> None:
    print("(b) seed batching of the example's GRU at batch_size=32, all cores, one process")
    spec = load_experiment(EXAMPLE)
    data = encode(spec.data)
    config = dataclasses.replace(spec.train, batch_size=32, epochs=1 if quick else 2)
    builder = spec.variants["gru"].builder
    cpu = torch.device("cpu")

    def sequential(k: int) -> None:
        for seed in range(k):
            train_and_evaluate(
                builder,
                data,
                config,
                init_seed=seed,
                order_seed=seed,
                metrics=spec.metrics,
                device=cpu,
            )

    def stacked(k: int) -> None:
        train_seeds_batched(
            builder,
            data,
            config,
            seeds=[SeedPair(s, s) for s in range(k)],
            metrics=spec.metrics,
            device=cpu,
        )

    stacked(2)  # warm-up
    for k in (1, 4, 8) if quick else (1, 4, 8, 16):
        seq = median_time(lambda k=k: sequential(k))
        bat = median_time(lambda k=k: stacked(k))
        row(f"K={k:<2} sequential", seq)
        row(f"K={k:<2} stacked (torch.func vmap)", bat, seq)


def section_c(workdir: Path) -> None:
    print("(c) a fully cached re-run of the example, `auditkit check` as a fresh process")
    command = [
        sys.executable, "-m", "auditkit", "check", str(EXAMPLE),
        "--rules", "quick", "--seeds", "3", "-q", "--out", "c",
    ]  # fmt: skip
    subprocess.run(command, cwd=workdir, check=False, capture_output=True)  # fills the store
    cached = median_time(
        lambda: subprocess.run(command, cwd=workdir, check=False, capture_output=True)
    )
    bare = median_time(
        lambda: subprocess.run(
            [sys.executable, "-c", "import torch"], check=False, capture_output=True
        )
    )
    row("python -c 'import torch' (the floor)", bare)
    row("auditkit check, every run in the store", cached)


def section_d(workdir: Path) -> None:
    print("(d) auditkit's own overhead as a share of wall time")
    for label, options in (
        ("in this process (--jobs 0 --seed-batch off)", {"jobs": 0, "seed_batch": "off"}),
        ("default pool and seed batching", {}),
    ):
        shares, walls = [], []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            doc = audit(workdir, cache=False, out="d", **options)
            wall = time.perf_counter() - t0
            durations = [r["duration_s"] for r in doc["runs"]]
            workers = 1
            if "worker process" in doc["provenance"]["executor"]:
                workers = int(doc["provenance"]["executor"].split(", ")[1].split()[0])
            # Training time on the critical path: the runs' own time spread over the workers.
            training = sum(durations) / workers
            shares.append(max(0.0, wall - training) / wall)
            walls.append(wall)
        print(
            f"  {label:<52} {statistics.median(walls):8.2f} s wall, overhead "
            f"{100 * statistics.median(shares):5.1f} %"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer K and epochs in (b)")
    args = parser.parse_args()
    print(
        f"torch {torch.__version__}, {os.cpu_count()} CPU cores, CUDA: {torch.cuda.is_available()}"
    )
    print(f"median of {REPEATS} runs each; ratio = reference / this (higher is faster)\n")
    with tempfile.TemporaryDirectory(prefix="auditkit-bench-") as tmp:
        workdir = Path(tmp)
        section_a(workdir)
        section_b(args.quick)
        section_c(workdir)
        section_d(workdir)


if __name__ == "__main__":
    main()
