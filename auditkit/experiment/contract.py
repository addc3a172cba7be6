"""The user-facing experiment contract: data, variants, training settings, metrics, claims."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from auditkit.errors import ModelFileError
from auditkit.metrics import METRICS
from auditkit.types import Claim, DataInfo, Direction, TokenDataset, TrainConfig

#: a variant builder: ``DataInfo -> torch.nn.Module`` whose ``forward(batch)`` returns logits
Builder = Callable[[DataInfo], Any]


@dataclass(frozen=True, slots=True)
class Variant:
    """One model variant of an experiment."""

    name: str
    builder: Builder
    baseline: bool
    #: "file:line" where the builder is defined, for messages
    origin: str


def did_you_mean(value: str, options: Sequence[str]) -> str:
    """Return ``" Did you mean 'x'?"`` for the closest option, or ``""`` when none is close."""
    close = difflib.get_close_matches(value, list(options), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def _origin(fn: Callable[..., Any]) -> str:
    code = getattr(fn, "__code__", None)
    if code is None:
        return repr(fn)
    return f"{code.co_filename}:{code.co_firstlineno}"


class Experiment:
    """An experiment to audit: data, model variants (one baseline), metrics and claims.

    Parameters
    ----------
    name
        A short name shown in reports, e.g. ``"relational-vs-gru"``.
    data
        The dataset, e.g. ``auditkit.datasets.spr(...)`` or ``auditkit.datasets.spr_csv(path)``.
    metrics
        Names of the metrics to compute on dev and test (see ``auditkit.metrics.METRICS``).
    train
        Settings of the built-in training loop.

    Examples
    --------
    >>> exp = Experiment("demo", data=..., metrics=["accuracy", "hwa"])  # doctest: +SKIP
    >>> @exp.variant(baseline=True)  # doctest: +SKIP
    ... def gru(info): ...
    >>> exp.claim("relational", over="gru", metric="hwa", reported=0.021)  # doctest: +SKIP
    """

    def __init__(
        self,
        name: str,
        *,
        data: TokenDataset,
        metrics: Sequence[str] = ("accuracy",),
        train: TrainConfig | None = None,
    ) -> None:
        self.name = name
        self.data = data
        self.metrics = tuple(metrics)
        self.train = train if train is not None else TrainConfig()
        self._variants: dict[str, Variant] = {}
        self._claims: list[tuple[Claim, str]] = []

    @overload
    def variant(self, fn: Builder, /) -> Builder: ...

    @overload
    def variant(
        self, *, baseline: bool = False, name: str | None = None
    ) -> Callable[[Builder], Builder]: ...

    def variant(  # type: ignore[misc]  # mypy misreads the positional-only overload
        self, fn: Builder | None = None, /, *, baseline: bool = False, name: str | None = None
    ) -> Builder | Callable[[Builder], Builder]:
        """Register a model variant; use as ``@exp.variant`` or ``@exp.variant(baseline=True)``.

        The decorated function takes a ``DataInfo`` and returns a ``torch.nn.Module``
        whose ``forward(batch)`` maps a dict of tensors (``tokens``, ``mask``, ``shape``,
        ``color``, each of shape (batch, length)) to logits of shape (batch, n_classes).
        """

        def register(builder: Builder) -> Builder:
            variant_name = name or getattr(builder, "__name__", None)
            if not variant_name:
                raise ModelFileError(
                    f"variant {builder!r} has no name; pass one with @exp.variant(name=...)",
                    slug="variant-name",
                )
            if variant_name in self._variants:
                raise ModelFileError(
                    f"variant {variant_name!r} is declared twice (first at "
                    f"{self._variants[variant_name].origin}); give each variant its own name "
                    "with @exp.variant(name=...)",
                    slug="duplicate-variant",
                )
            self._variants[variant_name] = Variant(
                variant_name, builder, baseline, _origin(builder)
            )
            return builder

        if fn is not None:
            return register(fn)
        return register

    def claim(
        self,
        variant: str,
        *,
        over: str | None = None,
        metric: str,
        reported: float | None = None,
        direction: str = "increase",
    ) -> None:
        """Declare a claimed improvement: ``variant`` beats ``over`` on ``metric``.

        Parameters
        ----------
        variant
            Name of the improved variant.
        over
            Name of the variant it improves on; the baseline when omitted.
        metric
            Metric of the claim, one of the experiment's metrics.
        reported
            The gain the paper reports, in metric units (0.021 for "+2.1 points").
        direction
            ``"increase"`` (higher is better) or ``"decrease"``.
        """
        # The caller's file:line, so a bad claim is reported where the user wrote it.
        caller = sys._getframe(1)
        where = f"{caller.f_code.co_filename}:{caller.f_lineno}"
        try:
            parsed = Direction(direction)
        except ValueError:
            raise ModelFileError(
                f"{where}: claim direction={direction!r} must be 'increase' or 'decrease'",
                slug="claim-direction",
            ) from None
        self._claims.append(
            (
                Claim(
                    variant=variant,
                    baseline=over or "",
                    metric=metric,
                    reported=reported,
                    direction=parsed,
                ),
                where,
            )
        )

    def freeze(self, source: str) -> ExperimentSpec:
        """Validate the declarations and return them as an immutable ``ExperimentSpec``.

        Parameters
        ----------
        source
            The model file's path, named in error messages.

        Raises
        ------
        ModelFileError
            No variants, no or several baselines, an unknown metric, a claim over an
            unknown variant or metric.
        """
        if not isinstance(self.data, TokenDataset):
            raise ModelFileError(
                f"{source}: Experiment({self.name!r}, data=...) got {type(self.data).__name__}; "
                "pass a dataset such as auditkit.datasets.spr(...) or "
                "auditkit.datasets.spr_csv('path/to/SPR_BENCH')",
                slug="bad-data",
            )
        for metric in self.metrics:
            if metric not in METRICS:
                raise ModelFileError(
                    f"{source}: Experiment({self.name!r}) lists unknown metric {metric!r}."
                    f"{did_you_mean(metric, list(METRICS))} Known metrics: "
                    f"{', '.join(METRICS)}.",
                    slug="unknown-metric",
                )
        if self.train.select_metric not in METRICS:
            raise ModelFileError(
                f"{source}: TrainConfig(select_metric={self.train.select_metric!r}) is not a "
                f"known metric.{did_you_mean(self.train.select_metric, list(METRICS))} "
                f"Known metrics: {', '.join(METRICS)}.",
                slug="unknown-metric",
            )
        if not self._variants:
            raise ModelFileError(
                f"{source}: experiment {self.name!r} declares no variants; decorate a model "
                "builder with @exp.variant(baseline=True) and another with @exp.variant",
                slug="no-variants",
            )
        baselines = [v for v in self._variants.values() if v.baseline]
        if not baselines:
            raise ModelFileError(
                f"{source}: experiment {self.name!r} has no baseline among its variants "
                f"({', '.join(self._variants)}); mark the one the claims improve on with "
                "@exp.variant(baseline=True)",
                slug="no-baseline",
            )
        if len(baselines) > 1:
            raise ModelFileError(
                f"{source}: experiment {self.name!r} marks {len(baselines)} variants as "
                f"baseline ({', '.join(v.name for v in baselines)}); keep baseline=True on "
                "exactly one and name the others in claim(..., over=...)",
                slug="several-baselines",
            )
        baseline = baselines[0].name
        claims: list[Claim] = []
        for claim, where in self._claims:
            for role, value in (("variant", claim.variant), ("over", claim.baseline or baseline)):
                if value not in self._variants:
                    raise ModelFileError(
                        f"{where}: claim {role}={value!r} names no variant of experiment "
                        f"{self.name!r}.{did_you_mean(value, list(self._variants))} Declared "
                        f"variants: {', '.join(self._variants)}.",
                        slug="claim-unknown-variant",
                    )
            if claim.metric not in self.metrics:
                hint = (
                    f" Add it to Experiment(metrics=[...]), which lists {', '.join(self.metrics)}."
                    if claim.metric in METRICS
                    else f"{did_you_mean(claim.metric, list(self.metrics))} The experiment's "
                    f"metrics are {', '.join(self.metrics)}."
                )
                raise ModelFileError(
                    f"{where}: claim metric={claim.metric!r} is not one of the experiment's "
                    f"metrics.{hint}",
                    slug="claim-unknown-metric",
                )
            if claim.variant == (claim.baseline or baseline):
                raise ModelFileError(
                    f"{where}: claim compares variant {claim.variant!r} with itself; name "
                    "another variant in over=...",
                    slug="claim-self",
                )
            claims.append(
                Claim(
                    variant=claim.variant,
                    baseline=claim.baseline or baseline,
                    metric=claim.metric,
                    reported=claim.reported,
                    direction=claim.direction,
                )
            )
        if not claims:
            raise ModelFileError(
                f"{source}: experiment {self.name!r} makes no claims, so there is nothing to "
                "audit; add one, e.g. exp.claim('my_variant', over='baseline', metric='accuracy')",
                slug="no-claims",
            )
        return ExperimentSpec(
            name=self.name,
            source=source,
            data=self.data,
            metrics=self.metrics,
            train=self.train,
            variants={v.name: v for v in self._variants.values()},
            baseline=baseline,
            claims=tuple(claims),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ExperimentSpec:
    """A validated experiment, as loaded from a model file; passed on to the planner."""

    name: str
    #: path of the model file
    source: str
    data: TokenDataset
    metrics: tuple[str, ...]
    train: TrainConfig
    variants: Mapping[str, Variant]
    baseline: str
    claims: tuple[Claim, ...]
