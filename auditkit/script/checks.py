"""Checks that read script runs; registered with the built-in checks (see ``checks()``).

``script_seeds`` (rule AK104 script-seeds) reads the seed calls the start-up shim
recorded in every nominal run and the metrics' spread over seeds: a seed call whose
argument is the same constant whatever the run's seed is a hard-coded seed, named by its
``file:line``. The data-side checks live in ``datachecks``, imported here so that both
register together.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from auditkit.checks import SCRIPT_KIND, AssessContext, CheckBase, register
from auditkit.script import datachecks  # noqa: F401  (registers the data-side checks)
from auditkit.types import Finding, RunResult


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptSeedsParams:
    """Parameters of ``script_seeds``."""

    #: seeds that must have run to tell a constant seed call from one that follows the seed
    min_runs: int = 2

    def __post_init__(self) -> None:
        if not isinstance(self.min_runs, int) or isinstance(self.min_runs, bool):
            raise ValueError(f"min_runs={self.min_runs!r} must be an integer >= 2")
        if self.min_runs < 2:
            raise ValueError(f"min_runs={self.min_runs!r} must be an integer >= 2")


def nominal_script_runs(ctx: AssessContext, variant: str) -> dict[int, RunResult]:
    """Successful nominal runs of ``variant`` that carry a trace, by seed."""
    out = {}
    for seed in ctx.seeds:
        run = ctx.run(variant, seed)
        if run is not None and run.ok and run.trace is not None:
            out[seed] = run
    return out


def hard_coded_calls(runs: dict[int, RunResult]) -> list[tuple[str, str, str, bool]]:
    """Seed calls whose argument is the same in every run although the runs' seeds differ.

    Returns
    -------
    list of tuple
        (function, where, value, reseeded) per call site, in order of first appearance;
        ``reseeded`` is True when ``--reseed`` offset the argument.
    """
    sites: dict[tuple[str, str], dict[int, tuple[str, str]]] = {}
    for seed, run in runs.items():
        assert run.trace is not None
        for call in run.trace.seed_calls:
            sites.setdefault((call.function, call.where), {}).setdefault(
                seed, (call.value, call.applied)
            )
    out = []
    for (function, where), by_seed in sites.items():
        values = {v for v, _ in by_seed.values()}
        if len(by_seed) >= 2 and len(values) == 1:
            value = next(iter(values))
            if value == "None":
                continue  # seed(None) draws fresh entropy: not a fixed seed
            reseeded = len({a for _, a in by_seed.values()}) > 1
            out.append((function, where, value, reseeded))
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Spread:
    """One metric's spread over the seeds of one variant."""

    n: int  #: seeds with a value
    mean: float
    sd: float  #: sample standard deviation (ddof 1)
    low: float
    high: float

    def text(self) -> str:
        """``"mean 0.5567, sd 0.0104, range 0.545 to 0.565 over 3 seeds"``."""
        return (
            f"mean {self.mean:.4g}, sd {self.sd:.3g}, "
            f"range {self.low:.4g} to {self.high:.4g} over {self.n} seeds"
        )


def spreads(runs: dict[int, RunResult]) -> dict[str, Spread]:
    """Per metric: mean, sd and range over the runs' seeds (metrics with 2 or more values).

    Parameters
    ----------
    runs
        Successful runs of one variant, by seed.

    Returns
    -------
    dict
        Metric name -> its spread, in the order the runs report the metrics.
    """
    metrics: dict[str, list[float]] = {}
    for run in runs.values():
        for name, value in run.test_metrics.items():
            if value is not None:
                metrics.setdefault(name, []).append(float(value))
    return {
        name: Spread(
            n=len(values),
            mean=statistics.fmean(values),
            sd=statistics.stdev(values),
            low=min(values),
            high=max(values),
        )
        for name, values in metrics.items()
        if len(values) >= 2
    }


def spread(runs: dict[int, RunResult]) -> dict[str, str]:
    """Per metric: mean, sd and range over the runs' seeds, as display strings."""
    return {name: found.text() for name, found in spreads(runs).items()}


@register("script_seeds", params=ScriptSeedsParams, kinds=(SCRIPT_KIND,), family="seed")
class ScriptSeeds(CheckBase):
    """Find seed calls a script hard-codes, and show the metrics' spread over seeds."""

    def assess(self, ctx: AssessContext, params: ScriptSeedsParams) -> Finding:
        """Hard-coded seed calls (file:line) across the nominal runs of every variant."""
        evidence: dict[str, str] = {}
        found: dict[str, tuple[str, str, str, bool]] = {}
        reseed = ctx.script is not None and ctx.script.reseed
        enough = False
        for variant in ctx.variants:
            runs = nominal_script_runs(ctx, variant)
            enough = enough or len(runs) >= params.min_runs
            for name, text in spread(runs).items():
                evidence[f"{variant} {name}"] = text
            for function, where, value, reseeded in hard_coded_calls(runs):
                found.setdefault(
                    f"{function}({value}) at {where}", (function, where, value, reseeded)
                )
        if ctx.script is not None and ctx.script.seed_routes:
            evidence["seed reached the script through"] = ", ".join(ctx.script.seed_routes)
        if not enough:
            return Finding(
                outcome="skipped",
                reason=f"fewer than {params.min_runs} successful runs of any variant: a "
                "hard-coded seed shows only across runs with different seeds.",
                evidence=evidence,
            )
        if not found:
            shown = next(
                (f"; {k}: {v}" for m in ctx.metrics for k, v in evidence.items() if k.endswith(m)),
                "",
            )
            return Finding(
                outcome="pass",
                reason="no seed call of the script uses the same constant whatever the run's "
                f"seed: the audit's seeds reach it{shown}.",
                evidence=evidence,
            )
        calls = "; ".join(found)
        evidence["hard-coded seed calls"] = calls
        if reseed:
            return Finding(
                outcome="warn",
                reason=f"the script hard-codes its seed ({calls}); --reseed offset each call by "
                "the run's seed, so the runs differ, but without --reseed every run would "
                "start from the same seed. Make the script take its seed (e.g. --seed {seed}).",
                evidence=evidence,
            )
        return Finding(
            outcome="fail",
            reason=f"the script hard-codes its seed ({calls}): every run re-seeds itself "
            "with the same constant whatever seed the audit gives it. Pass the seed in "
            "(`--seed {seed}` in the command), or rerun with --reseed to offset such calls by "
            "the run's seed.",
            evidence=evidence,
        )
