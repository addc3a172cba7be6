"""AK205 ``noise_ceiling``: test accuracy against the ceiling the label noise allows."""

from __future__ import annotations

import re
from dataclasses import dataclass

from auditkit.checks import AssessContext, CheckBase, interval, register
from auditkit.checks.splits._common import (
    FAMILY,
    _is_number,
    _pct,
    _test_accuracies,
)
from auditkit.types import (
    DATA_KINDS,
    Dataset,
    Finding,
)

#: a path such as ``SPR_BENCH/noise-30%/...`` names its label-noise rate
_NOISE_IN_PATH = re.compile(r"noise[-_ ]?(\d+(?:\.\d+)?)\s*%", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class NoiseEstimate:
    """The test split's label-noise rate and where the number comes from."""

    rate: float
    #: e.g. ``"the generator's ground truth (label_noise)"``
    origin: str


def noise_from_metadata(data: Dataset) -> NoiseEstimate | None:
    """The test split's label-noise rate as the data records it, or None.

    Reads the generator's planted ``label_noise`` and ``flip_high_variety`` records for
    the test split (their flipped rows are disjoint, so their counts add up), else a
    rate written in the data's source path, e.g. ``noise-30%``.

    Parameters
    ----------
    data
        Any dataset.

    Returns
    -------
    NoiseEstimate or None
        None when the data says nothing about its label noise.
    """
    meta = data.meta
    pitfalls = meta.pitfalls or ()
    n_test = len(data.test)
    kinds = [p for p in pitfalls if p.get("kind") in ("label_noise", "flip_high_variety")]
    if kinds and n_test:
        flipped = 0
        for record in kinds:
            if record["kind"] == "label_noise":
                flipped += int(((record.get("splits") or {}).get("test") or {}).get("n_flipped", 0))
            elif record.get("split") == "test":
                flipped += int(record.get("n_flipped", 0))
        names = "+".join(str(p["kind"]) for p in kinds)
        return NoiseEstimate(
            rate=flipped / n_test, origin=f"the generator's ground truth ({names})"
        )
    for text in (meta.source or "", data.name):
        match = _NOISE_IN_PATH.search(text)
        if match:
            return NoiseEstimate(
                rate=float(match.group(1)) / 100, origin=f"the data's path ({match.group(0)!r})"
            )
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class NoiseCeilingParams:
    """Parameters of ``noise_ceiling``."""

    #: known share of wrong test labels; None reads it from the data's metadata
    noise: float | None = None
    #: how far above 1 - noise the accuracy interval may reach before it counts
    tolerance: float = 0.02

    def __post_init__(self) -> None:
        if self.noise is not None and (not _is_number(self.noise) or not 0 <= self.noise <= 0.5):
            raise ValueError(
                f"noise={self.noise!r} must be a label-noise rate from 0 to 0.5 (or null to "
                "read it from the data)"
            )
        if not _is_number(self.tolerance) or not 0 <= self.tolerance < 0.5:
            raise ValueError(f"tolerance={self.tolerance!r} must be a number from 0 to below 0.5")


@register("noise_ceiling", params=NoiseCeilingParams, kinds=DATA_KINDS, family=FAMILY)
class NoiseCeiling(CheckBase):
    """Flag test accuracy above the ceiling that the label noise allows."""

    def assess(self, ctx: AssessContext, params: NoiseCeilingParams) -> Finding:
        """Fail, invalidating every claim, when an interval lies above 1 - noise + tolerance.

        With a share ``noise`` of test labels flipped at random, a model that learnt the
        true rule is wrong on every flipped row; scoring above ``1 - noise`` requires
        knowing the flipped labels, i.e. leakage or a bug.
        """
        if params.noise is not None:
            estimate = NoiseEstimate(rate=float(params.noise), origin="the rule's params.noise")
        else:
            found = noise_from_metadata(ctx.data)
            if found is None:
                return Finding(
                    outcome="skipped",
                    reason="the label noise of the test split is unknown: set params.noise "
                    "for this rule (e.g. noise: 0.3), or use data whose metadata records it.",
                )
            estimate = found
        ceiling = 1 - estimate.rate
        limit = ceiling + params.tolerance
        evidence = {
            "label noise": f"{_pct(estimate.rate)} of test labels, from {estimate.origin}",
            "ceiling": f"{_pct(ceiling)} accuracy (+{100 * params.tolerance:.1f} pts tolerance)",
        }
        above, near = [], []
        for variant in ctx.variants:
            accuracies = list(_test_accuracies(ctx, variant).values())
            est = interval(accuracies, ctx.confidence)
            if est is None:
                continue
            mean, low, high = est
            evidence[f"{variant} test accuracy"] = (
                f"{_pct(mean)} ({round(100 * ctx.confidence)}% CI {_pct(low)} to {_pct(high)}, "
                f"{len(accuracies)} seeds)"
            )
            if low > limit:
                above.append(f"{variant} {_pct(mean)} (CI from {_pct(low)})")
            elif mean > limit:
                near.append(f"{variant} {_pct(mean)}")
        if above:
            text = ", ".join(above)
            return Finding(
                outcome="fail",
                reason=f"test accuracy {text} lies above the {_pct(ceiling)} ceiling that "
                f"{_pct(estimate.rate)} label noise allows, which points to leakage or a bug.",
                evidence=evidence,
                invalid={
                    i: (
                        f"test accuracy above the label-noise ceiling ({text} > "
                        f"{_pct(limit)}): leakage or a bug",
                    )
                    for i in range(len(ctx.claims))
                },
            )
        if near:
            return Finding(
                outcome="warn",
                reason=f"mean test accuracy {', '.join(near)} is above the {_pct(ceiling)} "
                f"ceiling of {_pct(estimate.rate)} label noise, though the interval reaches "
                "below it.",
                evidence=evidence,
            )
        return Finding(
            outcome="pass",
            reason=f"every variant's test accuracy stays within the {_pct(ceiling)} ceiling of "
            f"{_pct(estimate.rate)} label noise (+{100 * params.tolerance:.1f} pts tolerance).",
            evidence=evidence,
        )
