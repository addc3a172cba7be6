"""From :func:`~auditkit.datasets.spr`'s pitfall options to checked per-split plans.

Each check runs before anything is drawn, so a pitfall that cannot be planted (a shortcut
on a factor the rule reads, a shift that shifts nothing, a leak of zero rows) fails at
once, with the option and the fix in the message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from auditkit.datasets.inputs import is_number
from auditkit.datasets.tokens.codes import FACTOR_NAMES, Factor, alphabet, index_of
from auditkit.datasets.tokens.pitfalls import (
    MAX_NOISE,
    FlipHighVariety,
    Leak,
    Shift,
    Shortcut,
    fail_option,
)
from auditkit.datasets.tokens.rules import Rule
from auditkit.datasets.tokens.sampling import ShortcutPlan, SplitPlan
from auditkit.errors import DataError
from auditkit.types import SPLITS, SplitName

__all__ = [
    "check_flip_high_variety",
    "check_leak",
    "check_option_type",
    "resolve_label_noise",
    "shift_plan",
    "shortcut_plans",
]


def _pitfall_error(option: str, value: object, why: str, instead: str) -> DataError:
    return fail_option("spr", option, value, why, instead)


def check_option_type(option: str, value: object, kind: type, instead: str) -> None:
    """Refuse a pitfall option that is neither None nor a ``kind``."""
    if value is not None and not isinstance(value, kind):
        raise _pitfall_error(
            option, value, f"the option is a {kind.__name__}(...) or None (no pitfall)", instead
        )


def resolve_label_noise(label_noise: object) -> dict[SplitName, float] | None:
    """The label-noise rate of each split it names, in split order; None for clean labels."""
    instead = "label_noise={'train': 0.1, 'test': 0.3}"
    if label_noise is None:
        return None
    if not isinstance(label_noise, Mapping) or not label_noise:
        raise _pitfall_error(
            "label_noise",
            label_noise,
            "label noise is a non-empty mapping from split name to the fraction of its labels "
            "to flip (None for clean labels)",
            instead,
        )
    unknown = [key for key in label_noise if key not in SPLITS]
    if unknown:
        raise _pitfall_error(
            "label_noise",
            label_noise,
            f"{', '.join(map(repr, unknown))} is not a split; the splits are "
            f"{', '.join(map(repr, SPLITS))}",
            instead,
        )
    rates: dict[SplitName, float] = {}
    for split in SPLITS:  # split order, whatever order the mapping has
        if split not in label_noise:
            continue
        rate = label_noise[split]
        if not is_number(rate) or not 0.0 <= rate <= MAX_NOISE:
            raise _pitfall_error(
                "label_noise",
                label_noise,
                f"the {split} rate {rate!r} is not a number from 0 to {MAX_NOISE}; above "
                f"{MAX_NOISE} most labels would be wrong and the task inverted",
                instead,
            )
        rates[split] = float(rate)
    return rates


def _achievable_variety(factor: Factor, plan: SplitPlan) -> tuple[int, int]:
    """Smallest and largest variety a sequence drawn under ``plan`` can have."""
    most = min(len(alphabet(factor)), plan.length[1])
    if factor == "shape":
        return 1, most
    if plan.p_color == 0.0:
        return 0, 0
    return (1 if plan.p_color == 1.0 else 0), most


def shift_plan(shift: Shift, plan: SplitPlan) -> SplitPlan:
    """The plan of the shifted split: another length, or a variety filter."""
    lo, hi = shift.range
    if shift.by == "length":
        if shift.range == plan.length:
            raise _pitfall_error(
                "shift",
                shift,
                f"the range equals length={plan.length!r}, so the {shift.split} split would be "
                "drawn like the others: that is no shift",
                f"Shift(split={shift.split!r}, by='length', range=({plan.length[1] + 1}, "
                f"{plan.length[1] + 4}))",
            )
        return replace(plan, length=shift.range)
    factor: Factor = "shape" if shift.by == "shape_variety" else "color"
    least, most = _achievable_variety(factor, plan)
    instead = f"Shift(split={shift.split!r}, by={shift.by!r}, range=({most}, {most}))"
    if hi < least or lo > most:
        raise _pitfall_error(
            "shift",
            shift,
            f"sequences of length {plan.length!r} with p_color={plan.p_color!r} have a "
            f"{shift.by} from {least} to {most}, so none lies in the range",
            instead,
        )
    if lo <= least and hi >= most:
        raise _pitfall_error(
            "shift",
            shift,
            f"every sequence of length {plan.length!r} with p_color={plan.p_color!r} has a "
            f"{shift.by} from {least} to {most}, inside the range, so the split would not be "
            "shifted",
            instead,
        )
    return replace(plan, variety=(factor, lo, hi))


def shortcut_plans(shortcut: Shortcut, rule: Rule, plans: Sequence[SplitPlan]) -> list[SplitPlan]:
    """Every split's plan with the shortcut it carries (linked to the label or not)."""
    if shortcut.factor in rule.factors:
        free = sorted(set(FACTOR_NAMES) - rule.factors)
        instead = (
            f"shortcut=Shortcut(factor={free[0]!r}, ...)"
            if free
            else "a rule that reads only shape, e.g. rule='shape_count', with "
            "shortcut=Shortcut(factor='color')"
        )
        raise _pitfall_error(
            "shortcut",
            shortcut,
            f"the rule {rule.name!r} reads {shortcut.factor} ({rule.describe()}), so setting a "
            f"token's {shortcut.factor} could change its label; a shortcut must sit on a "
            "factor the rule never reads",
            instead,
        )
    for plan in plans:
        shortest = plan.length[0]
        if not -shortest <= shortcut.position < shortest:
            raise _pitfall_error(
                "shortcut",
                shortcut,
                f"the {plan.split} split has sequences of only {shortest} tokens, which have "
                f"no position {shortcut.position}; the cue must exist in every row",
                "position=-1 (the last token) or position=0 (the first)",
            )
    codes = (
        index_of(shortcut.symbol_by_label[0], shortcut.factor),
        index_of(shortcut.symbol_by_label[1], shortcut.factor),
    )
    return [
        replace(
            plan,
            shortcut=ShortcutPlan(
                factor=shortcut.factor,
                position=shortcut.position,
                codes=codes,
                strength=shortcut.strength,
                linked=plan.split in shortcut.splits,
            ),
        )
        for plan in plans
    ]


def check_flip_high_variety(option: FlipHighVariety, plans: Sequence[SplitPlan]) -> None:
    """Refuse a high-variety flip that no row of its split could reach."""
    plan = next(p for p in plans if p.split == option.split)
    _least, most = _achievable_variety(option.factor, plan)
    if option.min_variety > most:
        raise _pitfall_error(
            "flip_high_variety",
            option,
            f"no sequence of the {option.split} split (length {plan.length!r}, "
            f"p_color={plan.p_color!r}) has a {option.factor} variety above {most}, so no label "
            "would be flipped",
            f"FlipHighVariety(split={option.split!r}, factor={option.factor!r}, "
            f"min_variety={max(most, 1)})",
        )


def check_leak(leak: Leak, sizes: Mapping[SplitName, int]) -> None:
    """Refuse a leak that copies no row, or more rows than train holds."""
    k = round(leak.fraction * sizes["test"])
    if k < 1:
        raise _pitfall_error(
            "leak",
            leak,
            f"round({leak.fraction} * n_test={sizes['test']}) = 0, so no test row would be "
            "copied into train",
            f"Leak(fraction={1 / sizes['test']:.3g}) or more",
        )
    if k > sizes["train"]:
        raise _pitfall_error(
            "leak",
            leak,
            f"{k} test rows would be copied into a train split of only n_train="
            f"{sizes['train']} rows; each copy replaces a train row",
            f"Leak(fraction={sizes['train'] / sizes['test']:.3g}) or a larger n_train",
        )
