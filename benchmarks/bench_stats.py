"""Wall times of the statistics layer: fast paths against the naive or library way.

Run: .venv/bin/python benchmarks/bench_stats.py
Each figure is the median of at least 5 runs (after one warm-up run).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from auditkit.stats import (
    aso,
    bootstrap_ci,
    mcnemar_test,
    paired_bootstrap_examples,
    sign_flip_test,
)

REPEATS = 7


def median_time(fn: Callable[[], object], repeats: int = REPEATS) -> float:
    fn()  # warm-up: imports, caches
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def naive_index_bootstrap(v: np.ndarray, b: np.ndarray, n_resamples: int) -> np.ndarray:
    """Resample example indices and recompute both accuracies (the textbook way)."""
    rng = np.random.default_rng(0)
    n = v.size
    out = np.empty(n_resamples)
    vf, bf = v.astype(np.float64), b.astype(np.float64)
    for i in range(n_resamples):
        idx = rng.integers(0, n, n)
        out[i] = vf[idx].mean() - bf[idx].mean()
    return out


def loop_aso(a: np.ndarray, b: np.ndarray, n_resamples: int, dt: float = 0.005) -> float:
    """ASO written the way deep-significance does it: np.vectorize quantiles, a Python loop."""
    rng = np.random.default_rng(0)

    def quantile_function(scores: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
        def q(p: float) -> float:
            s = np.sort(scores)
            return float(s[np.clip(int(np.ceil(len(s) * p)) - 1, 0, len(s) - 1)])

        return np.vectorize(q)

    def ratio(x: np.ndarray, y: np.ndarray) -> float:
        t = np.arange(dt, 1, dt)
        f, g = quantile_function(x)(t), quantile_function(y)(t)
        diff = g - f
        total = float(np.sum(diff**2 * dt))
        diff[f >= g] = 0
        return 0.5 if total == 0 else float(np.sum(diff**2 * dt)) / total

    eps = ratio(a, b)
    qa, qb = quantile_function(a), quantile_function(b)
    boot = [
        ratio(qa(rng.uniform(0, 1, a.size)), qb(rng.uniform(0, 1, b.size)))
        for _ in range(n_resamples)
    ]
    return eps + 1.645 * float(np.std(boot))


def fmt(seconds: float) -> str:
    return f"{seconds * 1e3:10.3f} ms"


def main() -> None:
    rng = np.random.default_rng(0)
    n_ex = 100_000
    v = rng.random(n_ex) < 0.85
    b = np.where(rng.random(n_ex) < 0.9, v, ~v)
    d16 = rng.normal(0.3, 1.0, 16)
    a10, b10 = rng.normal(0.5, 1.0, 10), rng.normal(0.0, 1.0, 10)

    rows: list[tuple[str, float, str, float | None]] = []

    naive_b = 200
    t_cells = median_time(lambda: paired_bootstrap_examples(v, b, n_resamples=10_000))
    t_naive = median_time(lambda: naive_index_bootstrap(v, b, naive_b), repeats=5)
    t_naive_scaled = t_naive * (10_000 / naive_b)
    rows.append(
        (
            "paired bootstrap, 100k examples x 10k resamples (2x2 cells)",
            t_cells,
            f"naive index resampling ({naive_b} run, scaled to 10k)",
            t_naive_scaled,
        )
    )
    t_mc = median_time(lambda: mcnemar_test(v, b))
    rows.append(("McNemar exact, 100k examples (incl. counting)", t_mc, "", None))
    t_sf = median_time(lambda: sign_flip_test(d16))
    t_sf_scipy = median_time(
        lambda: stats.permutation_test(
            (d16,),
            lambda x, axis: np.mean(x, axis=axis),
            permutation_type="samples",
            alternative="greater",
            n_resamples=2**16,
            vectorized=True,
        ),
        repeats=5,
    )
    rows.append(
        ("exact sign-flip, n=16 (all 65,536 patterns)", t_sf, "scipy permutation_test", t_sf_scipy)
    )
    t_aso = median_time(lambda: aso(a10, b10, n_resamples=1000))
    t_loop = median_time(lambda: loop_aso(a10, b10, 50), repeats=5) * (1000 / 50)
    rows.append(
        (
            "ASO 10 vs 10 scores, 1000 bootstrap (exact integral)",
            t_aso,
            "deep-significance-style loop (50 run, scaled)",
            t_loop,
        )
    )
    for n in (5, 10, 20):
        d = rng.normal(0.3, 1.0, n)
        t_ours = median_time(lambda d=d: bootstrap_ci(d, n_resamples=10_000))
        t_scipy = median_time(
            lambda d=d: stats.bootstrap(
                (d,), np.mean, method="BCa", n_resamples=10_000, rng=np.random.default_rng(0)
            )
        )
        rows.append(
            (f"BCa bootstrap, n={n} seeds, 10k resamples", t_ours, "scipy.stats.bootstrap", t_scipy)
        )

    width = max(len(r[0]) for r in rows)
    other_w = max(len(r[2]) for r in rows)
    print(
        f"{'operation':<{width}}  {'auditkit':>13}  "
        f"{'reference':<{other_w}}  {'ref time':>13}  ratio"
    )
    print("-" * (width + other_w + 42))
    for name, ours, other, theirs in rows:
        ref = fmt(theirs) if theirs is not None else " " * 13
        ratio = f"{theirs / ours:7.1f}x" if theirs is not None else ""
        print(f"{name:<{width}}  {fmt(ours)}  {other:<{other_w}}  {ref}  {ratio}")
    print(f"\nmedian of {REPEATS} runs (the scaled rows and scipy permutation_test: 5); "
          "ratio = reference time / auditkit time")  # fmt: skip


if __name__ == "__main__":
    main()
