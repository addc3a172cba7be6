"""The user-facing experiment contract: data, variants, training settings, metrics, claims."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from auditkit.errors import ModelFileError, did_you_mean
from auditkit.metrics import METRICS
from auditkit.types import (
    Claim,
    CrossValidation,
    DataInfo,
    Dataset,
    Direction,
    FeatureDataset,
    ImageDataset,
    TokenDataset,
    TrainConfig,
)

#: a variant builder: ``DataInfo -> torch.nn.Module`` whose ``forward(batch)`` returns
#: logits, or ``DataInfo -> estimator`` (a scikit-learn classifier or pipeline)
Builder = Callable[[DataInfo], Any]


@dataclass(frozen=True, slots=True)
class Variant:
    """One model variant of an experiment."""

    name: str
    builder: Builder
    baseline: bool
    #: "file:line" where the builder is defined, for messages
    origin: str


def _origin(fn: Callable[..., Any]) -> str:
    code = getattr(fn, "__code__", None)
    if code is None:
        return repr(fn)
    return f"{code.co_filename}:{code.co_firstlineno}"


#: the keys ``Experiment(expect_data=...)`` accepts
EXPECT_DATA_KEYS = ("source", "rows", "sha256", "generator_ok")
_SPLIT_NAMES = ("train", "dev", "test")


def check_expect_data(
    value: Mapping[str, Any] | None,
    where: str,
    *,
    named: str = "Experiment(expect_data=...)",
    example: str = "expect_data={'source': 'SPR_BENCH', 'rows': {'train': 20000}}",
) -> dict[str, Any] | None:
    """Validate a declaration of the data (``expect_data``) and return it as a plain dict.

    Parameters
    ----------
    value
        The declaration: ``source``, ``rows``, ``sha256``, ``generator_ok``; None when
        nothing is declared.
    where
        ``file:line`` of the declaration, for the message.
    named, example
        How the message names the declaration and an example of a good one: a model
        file's ``Experiment(expect_data=...)``, or an audit file's ``expect_data:`` key.

    Raises
    ------
    ModelFileError
        Not a mapping, an unknown key (with a "did you mean"), or a value of the wrong
        type: ``source`` a non-empty string, ``rows`` split -> count >= 0, ``sha256`` 64 hex
        digits (or split -> 64 hex digits), ``generator_ok`` a bool.
    """
    # over 80 lines because of its numpydoc docstring (26 lines); the code is one check per
    # key, each with its own message
    if value is None:
        return None

    def bad(what: str) -> ModelFileError:
        return ModelFileError(
            f"{where}: {named} {what}; write e.g. {example}", slug="bad-expect-data"
        )

    if not isinstance(value, Mapping):
        raise bad(f"must be a mapping, got {type(value).__name__}")
    for key in value:
        if key not in EXPECT_DATA_KEYS:
            raise bad(
                f"has unknown key {key!r}.{did_you_mean(str(key), EXPECT_DATA_KEYS)} Known "
                f"keys: {', '.join(EXPECT_DATA_KEYS)}"
            )
    out: dict[str, Any] = {}
    if "source" in value:
        source = value["source"]
        if isinstance(source, os.PathLike):
            source = os.fspath(source)
        if not isinstance(source, str) or not source.strip():
            raise bad(f"source={source!r} must be a non-empty path or name")
        out["source"] = source

    def is_hex(x: object) -> bool:
        return isinstance(x, str) and len(x) == 64 and all(c in "0123456789abcdefABCDEF" for c in x)

    if "rows" in value:
        rows = value["rows"]
        if (
            not isinstance(rows, Mapping)
            or not all(k in _SPLIT_NAMES for k in rows)
            or not all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in rows.values()
            )
        ):
            raise bad(f"rows={rows!r} must map split names (train, dev, test) to row counts >= 0")
        out["rows"] = dict(rows)
    if "sha256" in value:
        sha = value["sha256"]
        if isinstance(sha, Mapping):
            if not all(k in _SPLIT_NAMES and is_hex(v) for k, v in sha.items()):
                raise bad(f"sha256={sha!r} must map split names to 64-digit hex digests")
            out["sha256"] = {k: str(v).lower() for k, v in sha.items()}
        elif is_hex(sha):
            out["sha256"] = str(sha).lower()
        else:
            raise bad(
                f"sha256={sha!r} must be the dataset fingerprint (64 hex digits, "
                "data.fingerprint()) or a mapping from split to the CSV file's digest"
            )
    if "generator_ok" in value:
        if not isinstance(value["generator_ok"], bool):
            raise bad(f"generator_ok={value['generator_ok']!r} must be True or False")
        out["generator_ok"] = value["generator_ok"]
    return out


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
    expect_data
        What the data is meant to be, checked by rule AK204 (data-provenance) against what
        training and evaluation actually consumed: ``source`` (a path or name that must
        appear in the data's ``metadata["source"]`` or name), ``rows`` (per split, e.g.
        ``{"train": 20000}``), ``sha256`` (the dataset fingerprint, or per split the CSV
        file's hash) and ``generator_ok`` (whether generated data is acceptable; by default
        only when no ``source`` is declared).
    design
        ``None`` (the default): every seed trains on the splits as declared.
        ``CrossValidation(folds=k)``: the three splits are pooled and each run's data
        seed picks one fold of a (repeated) k-fold cross-validation, so seed ``s`` tests
        on fold ``s mod k`` of repetition ``s // k``. Folds share training rows, so the
        verdicts use the Nadeau–Bengio corrected resampled t-test.

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
        data: Dataset,
        metrics: Sequence[str] = ("accuracy",),
        train: TrainConfig | None = None,
        expect_data: Mapping[str, Any] | None = None,
        design: CrossValidation | None = None,
    ) -> None:
        self.name = name
        caller = sys._getframe(1)
        self.expect_data = check_expect_data(
            expect_data, f"{caller.f_code.co_filename}:{caller.f_lineno}"
        )
        self.data = data
        self.design = design
        self.metrics = tuple(metrics)
        self.train = train if train is not None else TrainConfig()
        self._variants: dict[str, Variant] = {}
        self._claims: list[tuple[Claim, str]] = []
        #: ablated variant -> what it removes
        self.ablation_notes: dict[str, str] = {}

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

        The decorated function takes a ``DataInfo`` and returns either

        - a ``torch.nn.Module`` whose ``forward(batch)`` maps a dict of tensors to logits
          of shape (batch, n_classes). For token data the dict holds ``tokens``,
          ``mask``, ``shape`` and ``color``, each of shape (batch, length); for images
          ``images`` of shape (batch, C, H, W); for feature arrays ``features`` of
          shape (batch, n_features);
        - or a scikit-learn classifier or pipeline (anything with ``fit`` and
          ``predict``). auditkit fits it on the training split and sets every
          ``random_state`` it holds from the run's seed. It receives the token
          sequences as strings (a bare classifier is given a bag-of-tokens featuriser
          first, see ``auditkit.BagOfTokens``), images flattened to (n, C·H·W), and
          feature arrays as they are.
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

    def ablation(self, ablated: str, *, of: str, metric: str, removes: str = "") -> None:
        """Declare an ablation: variant ``ablated`` removes a component of variant ``of``.

        The ablation is audited like a claim that ``of`` beats ``ablated`` on ``metric``:
        if removing the component costs nothing, the component is not shown to help.

        Parameters
        ----------
        ablated
            The variant without the component, e.g. ``"relational_frozen"``.
        of
            The full model.
        metric
            Metric on which the component should help.
        removes
            What the ablation removes, for the report (e.g. ``"trainable embeddings"``).
        """
        caller = sys._getframe(1)
        where = f"{caller.f_code.co_filename}:{caller.f_lineno}"
        self._claims.append(
            (Claim(variant=of, baseline=ablated, metric=metric, kind="ablation"), where)
        )
        if removes:
            self.ablation_notes[ablated] = removes

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
        self._check_data(source)
        self._check_metrics(source)
        baseline = self._baseline(source)
        claims = [self._resolved(claim, where, baseline) for claim, where in self._claims]
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
            expect_data=self.expect_data,
            design=self.design,
        )

    def _check_data(self, source: str) -> None:
        """The data is a dataset with well-typed metadata; the design is None or k-fold."""
        if not isinstance(self.data, TokenDataset | ImageDataset | FeatureDataset):
            raise ModelFileError(
                f"{source}: Experiment({self.name!r}, data=...) got {type(self.data).__name__}; "
                "pass a dataset such as auditkit.datasets.spr(...), "
                "auditkit.datasets.spr_csv('path/to/SPR_BENCH'), auditkit.datasets.shapes(...), "
                "auditkit.datasets.image_folder('path') or auditkit.datasets.features(X, y)",
                slug="bad-data",
            )
        try:
            self.data.meta  # noqa: B018 - parses the metadata keys that checks rely on
        except ValueError as exc:
            raise ModelFileError(
                f"{source}: the data {self.data.name!r} has bad metadata: {exc}; fix the "
                "dataset's metadata= mapping or leave the key out",
                slug="bad-data",
            ) from exc
        if self.design is not None and not isinstance(self.design, CrossValidation):
            raise ModelFileError(
                f"{source}: Experiment({self.name!r}, design={self.design!r}) must be None or "
                "auditkit.CrossValidation(folds=5)",
                slug="bad-design",
            )

    def _check_metrics(self, source: str) -> None:
        """Every listed metric and the selection metric is known and fits the data."""
        for metric in self.metrics:
            if metric not in METRICS:
                raise ModelFileError(
                    f"{source}: Experiment({self.name!r}) lists unknown metric {metric!r}."
                    f"{did_you_mean(metric, list(METRICS))} Known metrics: "
                    f"{', '.join(METRICS)}.",
                    slug="unknown-metric",
                )
            if METRICS[metric].needs_sequences and self.data.kind != "tokens":
                plain = [m for m in METRICS if not METRICS[m].needs_sequences]
                raise ModelFileError(
                    f"{source}: Experiment({self.name!r}) lists metric {metric!r}, which weights "
                    f"rows by the shapes and colours of their tokens, but the data is "
                    f"{self.data.kind}; use one of {', '.join(plain)}.",
                    slug="metric-needs-tokens",
                )
        if self.train.select_metric not in METRICS:
            raise ModelFileError(
                f"{source}: TrainConfig(select_metric={self.train.select_metric!r}) is not a "
                f"known metric.{did_you_mean(self.train.select_metric, list(METRICS))} "
                f"Known metrics: {', '.join(METRICS)}.",
                slug="unknown-metric",
            )
        if METRICS[self.train.select_metric].needs_sequences and self.data.kind != "tokens":
            raise ModelFileError(
                f"{source}: TrainConfig(select_metric={self.train.select_metric!r}) weights rows "
                f"by the shapes and colours of their tokens, but the data is "
                f"{self.data.kind}; select on accuracy, macro_f1 or mcc.",
                slug="metric-needs-tokens",
            )

    def _baseline(self, source: str) -> str:
        """The one variant marked as baseline; an error for none or several variants."""
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
        return baselines[0].name

    def _resolved(self, claim: Claim, where: str, baseline: str) -> Claim:
        """A declared claim checked, with its baseline filled in (``over=`` or the baseline)."""
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
        reported = claim.reported
        problem = (
            None
            if reported is None
            else "it must be a number, the gain in metric units (0.021 for '+2.1 points')"
            if isinstance(reported, bool) or not isinstance(reported, int | float)
            else METRICS[claim.metric].gain_problem(float(reported))
        )
        if problem is not None:
            raise ModelFileError(
                f"{where}: claim reported={claim.reported!r}: {problem}.",
                slug="claim-reported-range",
            )
        if claim.variant == (claim.baseline or baseline):
            raise ModelFileError(
                f"{where}: claim compares variant {claim.variant!r} with itself; name "
                "another variant in over=...",
                slug="claim-self",
            )
        return Claim(
            variant=claim.variant,
            baseline=claim.baseline or baseline,
            metric=claim.metric,
            reported=claim.reported,
            direction=claim.direction,
            kind=claim.kind,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ExperimentSpec:
    """A validated experiment, as loaded from a model file; passed on to the planner."""

    name: str
    #: path of the model file
    source: str
    data: Dataset
    metrics: tuple[str, ...]
    train: TrainConfig
    variants: Mapping[str, Variant]
    baseline: str
    claims: tuple[Claim, ...]
    #: the validated ``Experiment(expect_data=...)``, or None when nothing is declared
    expect_data: Mapping[str, Any] | None = None
    #: cross-validation, or None for the splits as declared
    design: CrossValidation | None = None
