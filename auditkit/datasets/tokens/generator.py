"""Seeded synthetic SPR-style data: rules are conjunctions of predicates over shape and colour.

A sequence is a list of tokens; each token is a shape glyph (``▲ ■ ● ◆``) with an optional
colour letter (``r g b y``), written ``▲r``. A :class:`~auditkit.datasets.tokens.rules.Rule`
labels a sequence 1 when every one of its predicates holds. Each predicate records which
token factors it reads (``"shape"``, ``"color"``) and whether it depends on token order, so
the audit knows the ground truth: a model that scores well on a shape-only rule while
reading colour uses a shortcut.

:func:`spr` checks its options, turns them into per-split plans
(:mod:`~auditkit.datasets.tokens.plans`), draws and balances every split
(:mod:`~auditkit.datasets.tokens.sampling`) and plants the pitfalls
(:mod:`~auditkit.datasets.tokens.planting`). Each planted pitfall writes its ground truth
into ``metadata["pitfalls"]``; with no pitfall options the dataset is exactly the clean one.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from auditkit.datasets.inputs import check_int, check_name
from auditkit.datasets.tokens.codes import MAX_LENGTH
from auditkit.datasets.tokens.pitfalls import FlipHighVariety, Leak, Shift, Shortcut
from auditkit.datasets.tokens.plans import (
    check_flip_high_variety,
    check_leak,
    check_option_type,
    resolve_label_noise,
    shift_plan,
    shortcut_plans,
)
from auditkit.datasets.tokens.planting import (
    FlipHighVarietyHook,
    LabelNoiseHook,
    plant_leak,
    shift_record,
    shortcut_record,
)
from auditkit.datasets.tokens.rules import RULES, Rule
from auditkit.datasets.tokens.sampling import (
    Rows,
    SplitHook,
    SplitPlan,
    generate,
    leak_stream,
    render,
)
from auditkit.datasets.tokens.summary import split_statistics
from auditkit.errors import DataError
from auditkit.types import SPLITS, SplitName, TokenDataset, TokenSplit

__all__ = ["spr"]

_DEFAULTS: Final[dict[str, Any]] = {
    "n_train": 2000,
    "n_dev": 500,
    "n_test": 1000,
    "length": [6, 12],
    "p_color": 1.0,
}


# long only for its numpydoc docstring, the reference of every option; the body is short
def spr(
    rule: str | Rule = "spr_like",
    *,
    n_train: int = 2000,
    n_dev: int = 500,
    n_test: int = 1000,
    length: int | tuple[int, int] = (6, 12),
    seed: int = 0,
    p_color: float = 1.0,
    name: str | None = None,
    shortcut: Shortcut | None = None,
    label_noise: Mapping[str, float] | None = None,
    flip_high_variety: FlipHighVariety | None = None,
    shift: Shift | None = None,
    leak: Leak | None = None,
) -> TokenDataset:
    """Generate a seeded synthetic SPR-style dataset with balanced labels.

    Candidate sequences are drawn uniformly (length uniform in ``length``, each token's
    shape uniform, its colour uniform with probability ``p_color``), labelled by ``rule``,
    and kept by rejection sampling until each split holds exactly ``n // 2`` rows of label 1
    and ``n - n // 2`` of label 0. No sequence appears twice, within or across splits. The
    same arguments always give the identical dataset; only ``numpy.random.default_rng(seed)``
    is used.

    The last five options plant the pitfalls audits look for; all are off by default, and
    then the dataset is exactly the clean one. Each planted pitfall appends its ground truth
    (its kind, its parameters and its measured effect) to ``metadata["pitfalls"]``, in the
    order shift, shortcut, flip_high_variety, label_noise, leak, which is also the order in
    which they are planted.

    Parameters
    ----------
    rule
        A name in :data:`RULES` (``"spr_like"``, ``"shape_count"``, ``"color_parity"``,
        ``"shape_order"``, ...) or a :class:`Rule`.
    n_train, n_dev, n_test
        Rows per split, each at least 1.
    length
        Tokens per sequence: an integer, or an inclusive ``(min, max)`` pair.
    seed
        Non-negative seed of the generator.
    p_color
        Probability that a token carries a colour letter; 0 gives shape-only tokens (as in
        SPR_BENCH's LYGES), so colour-reading rules can then not be balanced.
    name
        Dataset name; defaults to e.g. ``"spr(rule='spr_like', seed=0)"``.
    shortcut
        A :class:`Shortcut`: a token factor the rule never reads agrees with the label in
        some splits only. Recorded: per split the achieved ``agreement`` (fraction of rows
        whose cue is their label's symbol) and ``n_changed`` (rows whose token it changed).
    label_noise
        Fraction of labels to flip per split, e.g. ``{"train": 0.1, "test": 0.3}``, each
        from 0 to 0.5: exactly ``round(rate * n)`` rows, half from each class, chosen at
        random (and never a row another pitfall flipped). Recorded per split: ``n_flipped``,
        ``flipped_ids`` and the ``accuracy_ceiling`` of a model that predicts the rule's
        label exactly, ``1 - n_flipped / n``.
    flip_high_variety
        A :class:`FlipHighVariety`: invert the label of every row of one split whose variety
        reaches a threshold. Recorded: ``n_flipped``, ``flipped_ids``, ``accuracy_ceiling``.
        When a split also has label noise, the two sets of flipped rows are disjoint and the
        split's ceiling is ``1 - (sum of both n_flipped) / n``.
    shift
        A :class:`Shift`: one split draws only sequences whose length or variety lies in a
        range. Recorded per split: the fraction of rows ``in_range`` and the ``mean``.
    leak
        A :class:`Leak`: copy a fraction of the test rows over train rows of the same label;
        these rows (``pairs`` of train and test ids) are then the only sequences in both.

    Returns
    -------
    TokenDataset
        Splits of ``n_train``, ``n_dev`` and ``n_test`` rows with ids ``"spr_train_0"``, ...;
        ``metadata`` holds the generator, the rule's ground truth (description, factors
        read, order dependence, predicates), the options, the sampling effort, per-split
        statistics from :func:`split_statistics`, and the planted ``pitfalls``.

    Raises
    ------
    DataError
        For an invalid argument (including a pitfall that cannot be planted, such as a
        shortcut on a factor the rule reads), or when the rule is too rare (or too common)
        for the splits to be balanced within a bounded number of draws.
    """
    # over 80 lines for its numpydoc docstring (68 lines); the code itself is 21 lines
    settings = _settings(rule, (n_train, n_dev, n_test), length, seed, p_color, name)
    _check_pitfall_types(shortcut, flip_high_variety, shift, leak)
    noise = resolve_label_noise(label_noise)

    plans = _plans(settings, shortcut, flip_high_variety, shift, leak)
    # label flips are per-split hooks; high-variety flips go first so that label noise can
    # avoid re-flipping their rows
    hooks: list[SplitHook] = []
    if flip_high_variety is not None:
        hooks.append(FlipHighVarietyHook(flip_high_variety))
    if noise is not None:
        hooks.append(LabelNoiseHook(noise, repr(label_noise)))
    rows, sampling, effects = generate(settings.rule, plans, settings.seed, hooks=hooks)
    leak_record: dict[str, Any] | None = None
    if leak is not None:
        rows["train"], leak_record = plant_leak(leak, rows, leak_stream(settings.seed))

    # ground truth, measured on the rows as published (after every pitfall is planted)
    planted = _Planted(shift, shortcut, flip_high_variety, noise, leak_record)
    pitfalls = planted.records(rows, effects, settings.lengths)
    return _dataset(settings, rows, sampling, pitfalls)


# --------------------------------------------------------------------------- options


@dataclass(frozen=True, slots=True)
class _Settings:
    """:func:`spr`'s checked options of the clean generator (pitfalls apart)."""

    rule: Rule
    sizes: dict[SplitName, int]
    #: inclusive (min, max) tokens per sequence
    lengths: tuple[int, int]
    seed: int
    p_color: float
    name: str | None

    def options(self) -> dict[str, Any]:
        """The options as recorded in ``metadata["options"]``, JSON-ready."""
        return {
            "rule": self.rule.name,
            "n_train": self.sizes["train"],
            "n_dev": self.sizes["dev"],
            "n_test": self.sizes["test"],
            "length": list(self.lengths),
            "seed": self.seed,
            "p_color": self.p_color,
            "name": self.name,
        }


def _option_error(option: str, value: object, why: str, instead: str) -> DataError:
    return DataError(
        f"spr({option}={value!r}): {why}. Write instead, e.g., {instead}.", slug="spr-option"
    )


def _settings(
    rule: object,
    sizes: tuple[object, object, object],
    length: object,
    seed: object,
    p_color: object,
    name: object,
) -> _Settings:
    """Check the clean generator's options, in the order the signature lists them."""
    resolved = _resolve_rule(rule)
    checked: dict[SplitName, int] = {
        "train": check_int(_option_error, "n_train", sizes[0], 1, "n_train=2000"),
        "dev": check_int(_option_error, "n_dev", sizes[1], 1, "n_dev=500"),
        "test": check_int(_option_error, "n_test", sizes[2], 1, "n_test=1000"),
    }
    lengths = _resolve_length(length)
    checked_seed = check_int(_option_error, "seed", seed, 0, "seed=0")
    if (
        not isinstance(p_color, int | float | np.floating)
        or isinstance(p_color, bool)
        or not 0.0 <= p_color <= 1.0  # also rejects NaN
    ):
        # np.integer is refused here (unlike in check_number), as it always was
        raise _option_error(
            "p_color", p_color, "a probability must be a number from 0 to 1", "p_color=1.0"
        )
    check_name(_option_error, name, "name='my-spr'")
    return _Settings(
        resolved,
        checked,
        lengths,
        checked_seed,
        float(p_color),
        name if isinstance(name, str) else None,
    )


def _resolve_rule(rule: object) -> Rule:
    if isinstance(rule, Rule):
        return rule
    if isinstance(rule, str):
        if rule in RULES:
            return RULES[rule]
        close = difflib.get_close_matches(rule, list(RULES), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(
            f"spr(rule={rule!r}): unknown rule. Known rules: {', '.join(sorted(RULES))}.{hint} "
            "The rule decides every label, so it must be one of these presets or a Rule(...) "
            "built from the predicates in auditkit.datasets.spr.",
            slug="spr-unknown-rule",
        )
    raise _option_error(
        "rule",
        rule,
        "a rule is a preset name or a Rule object",
        "rule='spr_like' or rule=Rule('mine', (ShapeCount('▲', '>=', 2),))",
    )


def _resolve_length(length: object) -> tuple[int, int]:
    why = (
        f"a length is a number of tokens from 1 to {MAX_LENGTH}: one integer, or an "
        "inclusive (min, max) pair with min <= max"
    )
    if isinstance(length, int | np.integer) and not isinstance(length, bool):
        lo = hi = int(length)
    elif (
        isinstance(length, tuple | list)
        and len(length) == 2
        and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in length)
    ):
        lo, hi = int(length[0]), int(length[1])
    else:
        raise _option_error("length", length, why, "length=8 or length=(6, 12)")
    if not 1 <= lo <= hi <= MAX_LENGTH:
        raise _option_error("length", length, why, "length=8 or length=(6, 12)")
    return lo, hi


def _check_pitfall_types(
    shortcut: object, flip_high_variety: object, shift: object, leak: object
) -> None:
    """Refuse a pitfall option that is neither None nor its option class."""
    check_option_type(
        "shortcut", shortcut, Shortcut, "shortcut=Shortcut(factor='color', position=-1)"
    )
    check_option_type(
        "flip_high_variety",
        flip_high_variety,
        FlipHighVariety,
        "flip_high_variety=FlipHighVariety(split='test', factor='color', min_variety=3)",
    )
    check_option_type(
        "shift", shift, Shift, "shift=Shift(split='test', by='length', range=(13, 16))"
    )
    check_option_type("leak", leak, Leak, "leak=Leak(fraction=0.2)")


@dataclass(frozen=True, slots=True)
class _Planted:
    """The pitfalls :func:`spr` planted, in the order their records are written."""

    shift: Shift | None
    shortcut: Shortcut | None
    flip_high_variety: FlipHighVariety | None
    noise: dict[SplitName, float] | None
    leak_record: dict[str, Any] | None

    def records(
        self,
        rows: Mapping[SplitName, Rows],
        effects: list[dict[SplitName, dict[str, Any]]],
        lengths: tuple[int, int],
    ) -> list[dict[str, Any]]:
        """The ground truth of every planted pitfall; ``effects`` as the hooks reported."""
        pitfalls: list[dict[str, Any]] = []
        if self.shift is not None:
            pitfalls.append(shift_record(self.shift, rows, lengths))
        if self.shortcut is not None:
            pitfalls.append(shortcut_record(self.shortcut, rows))
        effect_of = iter(effects)
        flip = self.flip_high_variety
        if flip is not None:
            effect = next(effect_of)[flip.split]
            pitfalls.append({"kind": "flip_high_variety", **flip.as_dict(), **effect})
        if self.noise is not None:
            pitfalls.append(
                {"kind": "label_noise", "rates": dict(self.noise), "splits": next(effect_of)}
            )
        if self.leak_record is not None:
            pitfalls.append(self.leak_record)
        return pitfalls


def _plans(
    settings: _Settings,
    shortcut: Shortcut | None,
    flip_high_variety: FlipHighVariety | None,
    shift: Shift | None,
    leak: Leak | None,
) -> list[SplitPlan]:
    """Each split's plan, with the shift and shortcut planted; every pitfall checked."""
    plans = [
        SplitPlan(split, settings.sizes[split], settings.lengths, settings.p_color)
        for split in SPLITS
    ]
    if shift is not None:
        plans = [shift_plan(shift, p) if p.split == shift.split else p for p in plans]
    if shortcut is not None:
        plans = shortcut_plans(shortcut, settings.rule, plans)
    if flip_high_variety is not None:
        check_flip_high_variety(flip_high_variety, plans)
    if leak is not None:
        check_leak(leak, settings.sizes)
    return plans


# --------------------------------------------------------------------------- result


def _dataset(
    settings: _Settings,
    rows: Mapping[SplitName, Rows],
    sampling: dict[str, Any],
    pitfalls: list[dict[str, Any]],
) -> TokenDataset:
    """The published dataset: splits as strings, and the ground truth in the metadata."""
    splits = {
        split: TokenSplit(
            ids=tuple(f"spr_{split}_{i}" for i in range(len(rows[split].labels))),
            sequences=render(rows[split]),
            labels=tuple(rows[split].labels.tolist()),
        )
        for split in SPLITS
    }
    rule = settings.rule
    options = settings.options()
    metadata: dict[str, Any] = {
        "generator": "auditkit.datasets.spr",
        "rule": {
            "name": rule.name,
            "description": rule.describe(),
            "factors": sorted(rule.factors),
            "order_dependent": rule.order_dependent,
            "predicates": [p.describe() for p in rule.predicates],
        },
        # the clean generator's options; each pitfall's own options are in its record below,
        # so a clean dataset's metadata is exactly what it was before pitfalls existed
        "options": options,
        "sampling": sampling,
        # ground truth of planted pitfalls; empty means the splits are clean
        "pitfalls": pitfalls,
        "splits": {split: split_statistics(splits[split]) for split in SPLITS},
    }
    kinds = [record["kind"] for record in pitfalls]
    return TokenDataset(
        name=settings.name if settings.name is not None else _default_name(rule, options, kinds),
        train=splits["train"],
        dev=splits["dev"],
        test=splits["test"],
        metadata=metadata,
    )


def _default_name(rule: Rule, options: Mapping[str, Any], pitfalls: Sequence[str] = ()) -> str:
    # name the rule and seed always, and any other option only when it is not the default,
    # so two differently generated datasets rarely share a name; planted pitfalls are named
    # by kind (their parameters are in the metadata)
    extra = "".join(
        f", {key}={tuple(options[key]) if key == 'length' else options[key]!r}"
        for key, default in _DEFAULTS.items()
        if options[key] != default
    )
    if pitfalls:
        extra += f", pitfalls={'+'.join(pitfalls)}"
    return f"spr(rule={rule.name!r}, seed={options['seed']}{extra})"
