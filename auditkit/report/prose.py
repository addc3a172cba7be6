"""Prose: the plain-word findings of each claim and the methods paragraph of the audit.

The verdict layer has already decided; these sentences restate, in words, the numbers
behind each decision. Every number in them is formatted by :mod:`auditkit.report.fmt`,
in the claim's own unit (points for a metric on a 0-1 scale).
"""

from __future__ import annotations

from auditkit.conditions import Condition
from auditkit.report.auditdoc import AuditDocument, ClaimResult, ConditionGain, Scale
from auditkit.report.fmt import Unit, condition_words, duration, join_words, sentence

#: condition statuses, worst first, and how a sentence names each
STATUS_WORDS = {
    "reversed": "reverses",
    "vanished": "vanishes",
    "inconclusive": "cannot be told from zero",
    "holds": "holds",
}


def _where(condition: str) -> str:
    """'batch_size=512' -> 'at batch size 512'; 'shuffle_test' -> 'under shuffle test'."""
    return Condition.parse(condition).where


def _numbers(
    unit: Unit, confidence: str, mean: float | None, low: float | None, high: float | None
) -> str:
    """'+1.20 pts, 95% CI +0.30 to +2.10'."""
    return f"{unit.gain(mean)} {unit.name}, {confidence} CI {unit.gain(low)} to {unit.gain(high)}"


def findings(claim: ClaimResult, confidence: str, rope: float) -> tuple[str, ...]:
    """Plain-word sentences saying what was found, most telling first.

    The verdict layer has already decided; these sentences only restate, in words, the
    numbers behind the decision: what makes a refuted claim refuted, the conditions
    where the gain failed, the seeds a conclusive answer would need, where the tests
    disagree.
    """
    unit = Unit.of(claim)
    n, verdict = len(claim.seeds), claim.verdict.value
    needed = claim.seeds_needed
    # "10 seeds cannot detect it; about 3 are needed" contradicts itself: the sentence is
    # said only when the audit ran fewer seeds than the power computation asks for.
    more_needed = needed is not None and needed > n
    out = _gain_findings(claim, unit, confidence, rope)
    if more_needed and verdict == "inconclusive":
        size = unit.size(claim.reported) if claim.reported else "the observed gain"
        out.append(f"{n} seeds cannot detect {size}; about {needed} are needed.")
    out += _condition_findings(claim.conditions, unit, confidence, rope)
    if more_needed and verdict == "fragile":
        out.append(f"About {needed} seeds would be needed to detect the reported gain.")
    mde = claim.min_detectable_effect
    if mde is not None and verdict != "supported":
        out.append(
            f"With {n} seeds the smallest gain detectable at 80% power is "
            f"{unit.gain(mde, signed=False)} {unit.name}."
        )
    if claim.small_sample_note:
        out.append(sentence(claim.small_sample_note))
    out += [sentence(f"The evidence is not valid: {item}") for item in claim.invalid]
    if claim.overstated and claim.reported is not None:
        out.append(
            f"The reported {unit.gain(claim.reported)} {unit.name} lies above the {confidence} "
            "interval of the measured gain: the paper overstates it."
        )
    disagreement = _disagreement(claim)
    if disagreement and verdict != "supported":
        out.append(disagreement)
    return tuple(out)


def _gain_findings(claim: ClaimResult, unit: Unit, confidence: str, rope: float) -> list[str]:
    """A reported gain that is not reproduced; what makes a refuted claim refuted."""
    out: list[str] = []
    gain, reported, verdict = claim.gain, claim.reported, claim.verdict.value
    # A reported gain above the measured interval was not reproduced: say so plainly,
    # first, whatever the verdict (a supported claim says "overstated" further down).
    if reported is not None and verdict != "supported" and gain and reported > gain.high:
        out.append(
            f"The reported gain ({unit.gain(reported)} {unit.name}) is not reproduced: it "
            f"lies above the {confidence} interval of the measured gain "
            f"({unit.gain(gain.low)} to {unit.gain(gain.high)} {unit.name})."
        )
    if verdict == "refuted" and gain:
        eq = gain.equivalence_interval
        if gain.high < 0:
            numbers = _numbers(unit, confidence, gain.mean, gain.low, gain.high)
            out.append(f"The variant is worse than the baseline ({numbers}).")
        elif eq:
            out.append(
                f"The variant is no better than the baseline: the gain's equivalence interval "
                f"({unit.gain(eq[0])} to {unit.gain(eq[1])} {unit.name}) lies "
                f"within {unit.band(rope)} of zero, so the two are practically equivalent."
            )
    return out


def _condition_findings(
    conditions: tuple[ConditionGain, ...], unit: Unit, confidence: str, rope: float
) -> list[str]:
    """Where the gain reverses, vanishes or cannot be told from zero; or that it holds."""
    out: list[str] = []

    def numbers(c: ConditionGain) -> str:
        return _numbers(unit, confidence, c.mean, c.low, c.high)

    for status in ("reversed", "vanished"):
        for c in conditions:
            if c.status != status:
                continue
            if status == "vanished":
                out.append(
                    f"The gain vanishes {_where(c.condition)} ({numbers(c)}, inside the "
                    f"{unit.band(rope)} region of practical equivalence)."
                )
            else:
                out.append(f"The gain reverses {_where(c.condition)} ({numbers(c)}).")
    unclear = [c for c in conditions if c.status == "inconclusive"]
    if unclear:
        places = join_words([condition_words(c.condition) for c in unclear])
        out.append(
            f"Under {places} the gain cannot be told from zero "
            f"({'; '.join(numbers(c) for c in unclear)})."
        )
    if conditions and all(c.status == "holds" for c in conditions):
        out.append(f"The gain holds under all {len(conditions)} perturbations tested.")
    return out


def _disagreement(claim: ClaimResult) -> str:
    """'The tests disagree: A finds an improvement; B does not', or ''."""
    yes = [a.test for a in claim.agreement if a.improvement is True]
    no = [a.test for a in claim.agreement if a.improvement is False]
    unsure = [a.test for a in claim.agreement if a.improvement is None]
    if not (yes and (no or unsure)):
        return ""
    verb = "finds" if len(yes) == 1 else "find"
    text = f"The tests disagree: {join_words(yes)} {verb} an improvement"
    if no:
        text += f"; {join_words(no)} {'does' if len(no) == 1 else 'do'} not"
    if unsure:
        text += f"; {join_words(unsure)} cannot tell"
    return text + "."


def methods(doc: AuditDocument) -> str:
    """The methods paragraph: what was trained, tested and checked, ready for a paper."""
    text = _design(doc)
    conditions: dict[str, list[str]] = {}
    for claim in doc.claims:
        for c in claim.conditions:
            words = conditions.setdefault(c.family or "other", [])
            if condition_words(c.condition) not in words:
                words.append(condition_words(c.condition))
    if conditions:
        families = "; ".join(f"{family}: {', '.join(w)}" for family, w in conditions.items())
        text += f" We repeated the comparison under these perturbations ({families})."
    return text + _statistics(doc) + _rules_run(doc)


def _seed_list(doc: AuditDocument) -> str:
    return ", ".join(map(str, doc.seeds))


def _design(doc: AuditDocument) -> str:
    """What was run: the user's script, logged runs, or retrained models and estimators."""
    exp, seeds = doc.experiment, doc.seeds
    variants = ", ".join(v.name for v in exp.variants)
    if exp.source == "script":  # script mode: the user's own script, run per seed
        command = exp.script.command if exp.script else exp.model_file
        return (
            f"We ran the user's script ({command}) for the "
            f"variants {variants} (baseline {exp.baseline}) on the same {len(seeds)} seeds "
            f"({_seed_list(doc)}), each run a separate process in its own copy of "
            "the project, with the seed passed on the command line where the script takes "
            "one, in the environment, and through a start-up shim seeding random, NumPy and "
            "torch; metrics were read back from what each run printed or wrote."
        )
    train = exp.train
    if train is None:  # auditkit compare: runs the user logged, nothing retrained
        return (
            f"We analysed runs logged in {exp.model_file} for the variants {variants} "
            f"(baseline {exp.baseline}), paired by seed over {len(seeds)} seeds "
            f"({_seed_list(doc)}); auditkit retrained nothing."
        )
    estimators = [v for v, f in exp.frameworks.items() if f == "sklearn"]
    modules = [v for v in exp.frameworks if v not in estimators]
    design = exp.design
    adamw = (
        f"for {train.epochs} epochs with AdamW (learning rate {train.lr}, batch size "
        f"{train.batch_size}), selecting the epoch by dev {train.select_metric} and "
        "never by test"
    )
    if not estimators and not design:
        return (
            f"We retrained every variant ({variants}; baseline {exp.baseline}) on the "
            f"same {len(seeds)} seeds ({_seed_list(doc)}), each seed setting "
            f"both the initialisation and the data order, {adamw}, on {exp.data.name}."
        )
    on = (
        f"each seed s testing on fold s mod {design.folds} of a "
        f"{design.folds}-fold cross-validation of the pooled rows of "
        f"{exp.data.name} (a {design.dev:g} share of the other folds held out as dev)"
        if design
        else f"on {exp.data.name}"
    )
    text = (
        f"We retrained every variant ({variants}; baseline {exp.baseline}) on the "
        f"same {len(seeds)} seeds ({_seed_list(doc)}), {on}."
    )
    if modules:
        text += (
            f" The PyTorch models ({join_words(modules)}) trained with each seed setting "
            f"both the initialisation and the data order, {adamw}."
        )
    if estimators:
        text += (
            f" The scikit-learn estimators ({join_words(estimators)}) were fitted once per "
            "seed, with every random_state set from the seed and the training rows in "
            "an order drawn from it."
        )
    return text


def _rope_words(doc: AuditDocument, rope: float) -> str:
    """'±0.50 points' for 0-1 metrics; '±0.5 perplexity' (each claim's unit) otherwise."""
    units = {(c.scale, c.unit) for c in doc.claims}
    if len(units) == 1:
        scale, name = units.pop()
        if scale is Scale.OWN:
            return Unit(scale, name).band(rope)
    elif units:
        return f"±{rope:g} (in each claim's metric)"
    return f"±{100 * rope:.2f} points"


def _statistics(doc: AuditDocument) -> str:
    """The tests, the correction, the intervals and how a verdict follows from them."""
    settings = doc.rule_pack.settings
    tests: list[str] = []
    for claim in doc.claims:
        tests += [a.test for a in claim.agreement if a.test not in tests]
    corrected = any(c.gain is not None and c.gain.test.startswith("Nadeau") for c in doc.claims)
    test_words = (
        "the one-sided Nadeau–Bengio corrected resampled t-test (the folds share training "
        "rows, so the variance of the mean is inflated by n_test/n_train)"
        if corrected
        else "a one-sided paired t-test"
    )
    text = ""
    if doc.adaptive:
        text += (
            f" Seeds were added adaptively: a {doc.adaptive.design} (Jennison & Turnbull "
            "2000); each claim took seeds only until it was decided, its p-value is the "
            "sequential p-value and its interval the repeated confidence interval at its "
            "last look, both valid under this optional stopping."
        )
    text += (
        f" For each claim we tested the per-seed paired differences on test with "
        f"{test_words}, adjusted across the {len(doc.claims)} claim(s) of the audit with "
        f"Holm's method at α = {settings.alpha}, and report the "
        f"{round(100 * settings.confidence)}% {'corrected ' * corrected}t-interval of the "
        "mean difference."
    )
    others = [t for t in tests if not t.startswith(("paired t-test", "corrected resampled t-test"))]
    if others:
        text += f" We checked the t-test's answer against {join_words(others)}."
    return text + (
        f" A claim with no significant gain is refuted when its "
        f"{round(100 * (1 - 2 * settings.alpha))}% interval lies within "
        f"{_rope_words(doc, settings.rope)} (TOST equivalence) and inconclusive "
        f"otherwise; a supported claim whose gain reverses or vanishes under a perturbation "
        f"is fragile."
    )


def _rules_run(doc: AuditDocument) -> str:
    """Which rules ran, were skipped or failed; how many runs, how long, which auditkit."""
    # Pasted into a paper this sentence must be true: a skipped rule did not run, and a
    # rule that raised ran without a result.
    text = ""
    ran = [r for r in doc.rules if r.outcome not in ("skipped", "error")]
    if ran:
        listed = join_words([f"{r.id} {r.name}" for r in ran])
        text += f" Rule pack {doc.rule_pack.name} ran {len(ran)} rule(s): {listed}."
    skipped = [r for r in doc.rules if r.outcome == "skipped"]
    if skipped:
        why = "; ".join(f"{r.id} {r.name}: {r.reason.rstrip('.')}" for r in skipped)
        text += f" It skipped {len(skipped)} rule(s), which did not apply ({why})."
    failed = [r for r in doc.rules if r.outcome == "error"]
    if failed:
        listed = join_words([f"{r.id} {r.name}" for r in failed])
        text += f" {len(failed)} rule(s) could not be evaluated ({listed})."
    runs = doc.summary.runs
    return text + (
        f" The audit trained {runs.total} run(s) ({runs.failed} failed) in "
        f"{duration(doc.summary.wall_time_s)} with auditkit {doc.auditkit_version}."
    )
