"""The check registry: rule packs name checks by key; a check plans runs and reads them back.

A check has two halves, one per layer of the flow:

- ``plan(claim, params, ctx)`` returns the training runs the rule needs for one claim
  (retraining under a perturbation); ``evaluations(params)`` names the test-time
  perturbations under which every nominal run is re-evaluated (no retraining); a name
  made by ``auditkit.perturb.on_dev`` (``"permute_color@dev"``) re-evaluates on dev.
- ``assess(ctx, params)`` reads the finished runs and returns a ``Finding``: the rule's
  outcome with its evidence and exhibits (tables, interval plots, curves from
  ``auditkit.exhibits``, which every report view renders by kind), plus what it hands on
  to the claims' verdicts (the gain under each perturbed condition, or why the evidence is
  invalid). The claims' verdicts are decided in ``auditkit.verdict`` alone.

Built-in checks register the same way as third-party ones: a module listed under the
``auditkit.checks`` entry-point group is imported on first use, and registers its checks
with ``@register``. Nothing is loaded at import time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Protocol, TypeVar, cast

import numpy as np

from auditkit.conditions import Condition, Transform
from auditkit.errors import AuditkitError
from auditkit.perturb import cv_fold_sizes, evaluation_split, scored_labels
from auditkit.stats import GainClass, classify_gain, paired_t_test
from auditkit.types import (
    Claim,
    ConditionEvidence,
    CrossValidation,
    Dataset,
    Direction,
    Finding,
    RunResult,
    RunSpec,
    ScriptFacts,
    SplitName,
    TrainConfig,
)

ENTRY_POINT_GROUP = "auditkit.checks"
#: modules of the built-in checks, imported by name like entry points: the script checks
#: live in the script package, which sits above this layer
BUILTIN_MODULES = ("auditkit.checks.builtin", "auditkit.script.checks")
#: the data kind of checks that read script runs (``auditkit check -- CMD``); no dataset
#: has it, so a model-file audit skips them with the reason
SCRIPT_KIND = "script"
#: what a variant builder can return: a torch module, or a scikit-learn estimator
FRAMEWORKS = ("torch", "sklearn")


class RegistryError(AuditkitError):
    """A check is registered twice, or a plugin fails to load."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlanContext:
    """What a check may read while planning."""

    data: Dataset
    baseline: str
    variants: tuple[str, ...]
    seeds: tuple[int, ...]
    train: TrainConfig
    metrics: tuple[str, ...]
    #: the experiment's cross-validated design, None for the splits as declared
    design: CrossValidation | None = None
    #: facts of a script audit (``auditkit check -- CMD``); None for a model file
    script: ScriptFacts | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AssessContext:
    """What a check may read when the runs are done.

    Runs are looked up by (variant, condition, init seed, order seed); the nominal runs
    of the seed rule have ``init = order = seed``.
    """

    data: Dataset
    claims: tuple[Claim, ...]
    baseline: str
    variants: tuple[str, ...]
    seeds: tuple[int, ...]
    metrics: tuple[str, ...]
    train: TrainConfig
    #: alpha, rope and confidence of the pack
    alpha: float
    rope: float
    confidence: float
    results: Mapping[tuple[str, str, int, int], RunResult] = field(default_factory=dict)
    #: what the experiment declares about its data (``Experiment(expect_data=...)``), if anything
    expect_data: Mapping[str, Any] | None = None
    #: the experiment's cross-validated design, None for the splits as declared
    design: CrossValidation | None = None
    #: variant -> ``"torch"`` or ``"sklearn"`` (None or absent: unknown)
    frameworks: Mapping[str, str | None] = field(default_factory=dict)
    #: path of the model file, for checks that read what it says (data paths), if known
    model_file: str | None = None
    #: facts of a script audit (``auditkit check -- CMD``); None for a model file. Each
    #: script run's ``RunResult.trace`` holds what that run did.
    script: ScriptFacts | None = None

    def run(
        self, variant: str, seed: int, condition: str = "nominal", order_seed: int | None = None
    ) -> RunResult | None:
        """The finished run, or None when it was not planned."""
        return self.results.get(
            (variant, condition, seed, seed if order_seed is None else order_seed)
        )

    def scores(
        self,
        variant: str,
        metric: str,
        condition: str = "nominal",
        evaluation: str | None = None,
        split: SplitName = "test",
    ) -> dict[int, float]:
        """Test ``metric`` per seed of successful runs (undefined values left out).

        Parameters
        ----------
        variant, metric, condition
            Which runs and which metric.
        evaluation
            A test-time perturbation: read the run's metrics under it instead.
        split
            ``"dev"``: the unperturbed metrics on dev (at the selected epoch) instead of
            test; ignored when ``evaluation`` is given (the evaluation names its split).
        """
        out: dict[int, float] = {}
        for seed in self.seeds:
            run = self.run(variant, seed, condition)
            if run is None or not run.ok:
                continue
            values = (
                run.perturbed_metrics.get(evaluation, {})
                if evaluation is not None
                else run.dev_metrics
                if split == "dev"
                else run.test_metrics
            )
            value = values.get(metric)
            if value is not None:
                out[seed] = float(value)
        return out

    def gains(
        self,
        claim: Claim,
        condition: str = "nominal",
        evaluation: str | None = None,
        metric: str | None = None,
    ) -> tuple[float, ...]:
        """Per-seed gains of ``claim`` (positive = better), over seeds where both arms ran."""
        name = metric or claim.metric
        base = self.scores(claim.baseline, name, condition, evaluation)
        var = self.scores(claim.variant, name, condition, evaluation)
        sign = 1.0 if claim.direction is Direction.INCREASE else -1.0
        return tuple(sign * (var[s] - base[s]) for s in self.seeds if s in base and s in var)

    def condition(
        self,
        claim: Claim,
        name: str,
        rule_id: str,
        family: str,
        *,
        condition: str = "nominal",
        evaluation: str | None = None,
    ) -> ConditionEvidence:
        """The claim's gains under one perturbed condition, ready for the verdict."""
        metric = claim.metric
        base = self.scores(claim.baseline, metric, condition, evaluation)
        var = self.scores(claim.variant, metric, condition, evaluation)
        return ConditionEvidence(
            condition=Condition.parse(name),
            rule_id=rule_id,
            family=family,
            gains=self.gains(claim, condition, evaluation),
            # the seeds let the verdict pair each gain with the same seed's nominal gain
            seeds=tuple(s for s in self.seeds if s in base and s in var),
        )

    @property
    def resampled(self) -> tuple[int, int] | None:
        """(n_train, n_test) of a fold in a cross-validated design, else None."""
        return None if self.design is None else cv_fold_sizes(self.data, self.design)

    def classify(self, gains: Sequence[float]) -> GainClass:
        """Where ``gains`` (shape (n,)) lie against 0 and the ROPE, at the pack's settings.

        In a cross-validated design the interval is Nadeau–Bengio corrected.
        """
        return classify_gain(
            gains,
            alpha=self.alpha,
            rope=self.rope,
            confidence=self.confidence,
            resampled=self.resampled,
        )

    def drop(self, variant: str, metric: str, evaluation: str) -> tuple[float, ...]:
        """Per-seed drop of ``metric`` when ``evaluation`` perturbs the test inputs.

        For a dev evaluation (``"...@dev"``) the drop is from the dev metric of the same
        selected model; seeds whose run lacks the evaluation are left out.
        """
        nominal = self.scores(variant, metric, split=evaluation_split(evaluation)[1])
        perturbed = self.scores(variant, metric, evaluation=evaluation)
        return tuple(
            nominal[s] - perturbed[s] for s in self.seeds if s in nominal and s in perturbed
        )

    def test_labels(self, seed: int, split: SplitName = "test") -> tuple[int, ...]:
        """Labels of the test rows that the nominal runs of ``seed`` were scored on.

        The declared test split, or in a cross-validated design the seed's test fold;
        ``split="dev"``: the dev rows the runs selected their model on.
        """
        return scored_labels(self.data, self.design, seed, split)

    def predictions(self, variant: str) -> dict[int, tuple[int, ...]]:
        """Test predictions per seed of the variant's successful nominal runs."""
        out = {}
        for seed in self.seeds:
            run = self.run(variant, seed)
            if run is not None and run.ok:
                out[seed] = run.test_predictions
        return out


class Check(Protocol):
    """What a registered check implements."""

    def plan(self, claim: Claim, params: Any, ctx: PlanContext) -> list[RunSpec]:
        """The training runs this check needs for ``claim``; shared runs are de-duplicated."""
        ...

    def evaluations(self, params: Any) -> tuple[str, ...]:
        """Test-time perturbations under which every nominal run is re-evaluated."""
        ...

    def assess(self, ctx: AssessContext, params: Any) -> Finding | None:
        """The rule's finding; None when the outcome follows from the claims' verdicts."""
        ...


class CheckBase:
    """Defaults for checks: no runs of their own, no test-time evaluations."""

    def plan(self, claim: Claim, params: Any, ctx: PlanContext) -> list[RunSpec]:
        """Nominal runs of both arms on every seed (what inspecting checks read)."""
        return nominal_runs(claim, ctx.seeds)

    def evaluations(self, params: Any) -> tuple[str, ...]:
        """No test-time perturbations."""
        return ()


def nominal_runs(claim: Claim, seeds: Sequence[int]) -> list[RunSpec]:
    """Runs of both arms of ``claim`` at the nominal setting, one per seed."""
    return [
        RunSpec(variant=arm, init_seed=seed, order_seed=seed)
        for arm in (claim.baseline, claim.variant)
        for seed in seeds
    ]


def retrain_runs(
    claim: Claim, seeds: Sequence[int], condition: str, transform: str
) -> list[RunSpec]:
    """Runs of both arms of ``claim`` retrained on data changed by ``transform``, one per seed."""
    return [
        RunSpec(
            variant=arm,
            init_seed=s,
            order_seed=s,
            condition=Condition.parse(condition),
            transform=Transform.parse(transform),
        )
        for arm in (claim.baseline, claim.variant)
        for s in seeds
    ]


def interval(values: Sequence[float], confidence: float) -> tuple[float, float, float] | None:
    """Mean and two-sided t-interval of ``values`` (shape (n,)), None with < 2 values."""
    if len(values) < 2:
        return None
    test = paired_t_test(np.asarray(values, dtype=np.float64), confidence=confidence)
    return test.mean, test.low, test.high


def pts(x: float) -> str:
    """Metric units as signed points with a unit: 0.0213 -> '+2.13 pts'."""
    return f"{100 * x:+.2f} pts"


@dataclass(frozen=True, slots=True)
class RegisteredCheck:
    """A check in the registry."""

    name: str
    impl: Check
    #: dataclass built from the rule's ``params`` mapping; raises ValueError/TypeError if bad
    params: type
    #: data kinds the check applies to; others get ``skipped`` with the reason
    kinds: frozenset[str]
    #: module that registered it
    origin: str
    #: first line of the implementation's docstring
    summary: str
    #: the perturbation family, e.g. "token order"
    family: str = ""
    #: model frameworks the check applies to (``torch``, ``sklearn``); a claim with an
    #: arm of another framework makes the rule ``skipped``, with the reason
    frameworks: frozenset[str] = frozenset(FRAMEWORKS)


_CHECKS: dict[str, RegisteredCheck] = {}
_loaded = False

T = TypeVar("T")


def register(
    name: str,
    *,
    params: type,
    kinds: Iterable[str] = ("tokens",),
    family: str = "",
    frameworks: Iterable[str] = FRAMEWORKS,
) -> Callable[[type[T]], type[T]]:
    """Class decorator that registers a check under ``name``.

    Parameters
    ----------
    name
        The key that rule packs use in ``check:``.
    params
        A dataclass; the rule's ``params`` mapping is passed to it as keyword arguments.
    kinds
        Data kinds the check supports.
    family
        The perturbation family shown in reports, e.g. ``"batch size"``.
    frameworks
        Model frameworks the check applies to; ``("torch",)`` for checks that need a
        batch size or training curves.
    """

    def decorator(cls: type[T]) -> type[T]:
        if name in _CHECKS and _CHECKS[name].origin != cls.__module__:
            raise RegistryError(
                f"check {name!r} is registered twice: by {_CHECKS[name].origin} and by "
                f"{cls.__module__}; rename one of them",
                slug="duplicate-check",
            )
        summary = (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""
        _CHECKS[name] = RegisteredCheck(
            name=name,
            impl=cast(Check, cls()),
            params=params,
            kinds=frozenset(kinds),
            origin=cls.__module__,
            summary=summary,
            family=family,
            frameworks=frozenset(frameworks),
        )
        return cls

    return decorator


def checks() -> Mapping[str, RegisteredCheck]:
    """Every registered check, loading the built-ins and entry-point plugins on first use."""
    global _loaded
    if not _loaded:
        _loaded = True
        # Built-ins first and directly, so a source checkout without installed entry
        # points still works; then every plugin of the group (the built-in one again is
        # a no-op, since modules import once).
        for module in BUILTIN_MODULES:
            importlib.import_module(module)
        for point in entry_points(group=ENTRY_POINT_GROUP):
            try:
                point.load()
            except Exception as exc:
                raise RegistryError(
                    f"the auditkit.checks plugin {point.name!r} ({point.value}) failed to "
                    f"load: {type(exc).__name__}: {exc}; reinstall or uninstall the package "
                    "that provides it",
                    slug="plugin-load-failed",
                ) from exc
    return _CHECKS
