"""Cost of AK302's dev probes: one nominal run evaluated with and without the dev twins.

Run: .venv/bin/python benchmarks/bench_dev_probes.py [--repeats 5]

AK302 re-evaluates every nominal model under its test-time probes and, since issue 15,
under the same probes on dev (``"permute_color@dev"``, ...); nothing is retrained. This
trains the baseline of ``examples/spr/model.py`` (seed 0, one CPU thread) with the default
pack's test-time probes alone, then with the four AK302 dev twins added, alternating, and
prints the median wall time of each and their ratio. The perturbed splits are encoded once
per process (an audit's first run pays it); a warm-up run fills that cache first.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import torch

from auditkit.experiment import load_experiment
from auditkit.perturb import on_dev
from auditkit.train.encode import encode
from auditkit.train.loop import train_and_evaluate

#: the default pack's test-time probes (AK301 and AK302)
TESTS = ("mask_color", "mask_shape", "permute_color", "permute_shape", "reverse", "shuffle")
#: AK302's dev twins of its probes
DEV = tuple(on_dev(e) for e in TESTS[:4])


def main(argv: Sequence[str] | None = None) -> None:
    """Print the median time of a run with test probes only and with the dev twins."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    spec = load_experiment(Path(__file__).parent.parent / "examples" / "spr" / "model.py")
    data = encode(spec.data)
    builder = spec.variants[spec.baseline].builder

    def once(evaluations: tuple[str, ...]) -> float:
        start = time.perf_counter()
        train_and_evaluate(
            builder,
            data,
            spec.train,
            init_seed=0,
            order_seed=0,
            metrics=spec.metrics,
            device=torch.device("cpu"),
            evaluations=evaluations,
        )
        return time.perf_counter() - start

    once((*TESTS, *DEV))
    alone, twins = [], []
    for _ in range(args.repeats):
        alone.append(once(TESTS))
        twins.append(once((*TESTS, *DEV)))
    a, b = statistics.median(alone), statistics.median(twins)
    print(
        f"{len(data.splits['train'])} train, {len(data.splits['dev'])} dev, "
        f"{len(data.splits['test'])} test rows; {args.repeats} runs each"
    )
    print(f"test probes only ({len(TESTS)}):        median {a:.3f} s")
    print(f"with AK302's dev twins (+{len(DEV)}):  median {b:.3f} s")
    print(f"ratio: {b / a:.3f}")


if __name__ == "__main__":
    main()
