"""Seed checks: retrain baseline and variant on the same seeds, with all else fixed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from auditkit.checks import register
from auditkit.types import Claim, RunSpec


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedSweepParams:
    """Parameters of ``seed_sweep``."""

    #: which seed varies between runs: ``both`` sets init and data-order seed to the same value
    vary: Literal["both"] = "both"

    def __post_init__(self) -> None:
        if self.vary != "both":
            raise ValueError(f"vary={self.vary!r} must be 'both'")


@register("seed_sweep", params=SeedSweepParams)
class SeedSweep:
    """Retrain baseline and variant once per seed; the pairs share every seed."""

    def plan(self, claim: Claim, params: SeedSweepParams, seeds: Sequence[int]) -> list[RunSpec]:
        """Nominal runs of both arms of ``claim`` on every seed."""
        return [
            RunSpec(variant=arm, init_seed=seed, order_seed=seed)
            for arm in (claim.baseline, claim.variant)
            for seed in seeds
        ]
