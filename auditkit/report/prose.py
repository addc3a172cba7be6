"""Prose: the plain-word findings of each claim and the methods paragraph of the audit.

The verdict layer has already decided; these sentences restate, in words, the numbers
behind each decision. Every number in them is formatted by :mod:`auditkit.report.fmt`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditkit.report.fmt import condition_words, duration, join_words, points, sentence

#: condition statuses, worst first, and how a sentence names each
STATUS_WORDS = {
    "reversed": "reverses",
    "vanished": "vanishes",
    "inconclusive": "cannot be told from zero",
    "holds": "holds",
}


def _where(condition: str) -> str:
    """'batch_size=512' -> 'at batch size 512'; 'shuffle_test' -> 'under shuffle test'."""
    return f"{'at' if '=' in condition else 'under'} {condition_words(condition)}"


def findings(raw: Mapping[str, Any], confidence: str, rope: float) -> tuple[str, ...]:
    """Plain-word sentences saying what was found, most telling first.

    The verdict layer has already decided; these sentences only restate, in words, the
    numbers behind the decision: what makes a refuted claim refuted, the conditions
    where the gain failed, the seeds a conclusive answer would need, where the tests
    disagree.
    """
    out: list[str] = []
    n, verdict, gain = len(raw["seeds"]), raw["verdict"], raw.get("gain")
    reported, needed = raw.get("reported"), raw.get("seeds_needed")
    conditions = raw.get("conditions") or []
    pts = f"±{points(rope)} pts"

    def numbers(c: Mapping[str, Any]) -> str:
        return (
            f"{points(c['mean'], signed=True)} pts, {confidence} CI "
            f"{points(c['low'], signed=True)} to {points(c['high'], signed=True)}"
        )

    # A reported gain above the measured interval was not reproduced: say so plainly,
    # first, whatever the verdict (a supported claim says "overstated" further down).
    if (
        reported is not None
        and verdict != "supported"
        and gain
        and gain.get("high") is not None
        and reported > gain["high"]
    ):
        out.append(
            f"The reported gain ({points(reported, signed=True)} pts) is not reproduced: it "
            f"lies above the {confidence} interval of the measured gain "
            f"({points(gain['low'], signed=True)} to {points(gain['high'], signed=True)} pts)."
        )
    if verdict == "refuted" and gain:
        eq = gain.get("equivalence_interval")
        if gain.get("high") is not None and gain["high"] < 0:
            out.append(f"The variant is worse than the baseline ({numbers(gain)}).")
        elif eq:
            out.append(
                f"The variant is no better than the baseline: the gain's equivalence interval "
                f"({points(eq[0], signed=True)} to {points(eq[1], signed=True)} pts) lies "
                f"within {pts} of zero, so the two are practically equivalent."
            )
    # "10 seeds cannot detect it; about 3 are needed" contradicts itself: the sentence is
    # said only when the audit ran fewer seeds than the power computation asks for.
    more_needed = needed is not None and needed > n
    if more_needed and verdict == "inconclusive":
        size = f"a {abs(100 * reported):.1f}-point gain" if reported else "the observed gain"
        out.append(f"{n} seeds cannot detect {size}; about {needed} are needed.")
    for status in ("reversed", "vanished"):
        for c in conditions:
            if c["status"] != status:
                continue
            if status == "vanished":
                out.append(
                    f"The gain vanishes {_where(c['condition'])} ({numbers(c)}, inside the "
                    f"{pts} region of practical equivalence)."
                )
            else:
                out.append(f"The gain reverses {_where(c['condition'])} ({numbers(c)}).")
    unclear = [c for c in conditions if c["status"] == "inconclusive"]
    if unclear:
        places = join_words([condition_words(c["condition"]) for c in unclear])
        out.append(
            f"Under {places} the gain cannot be told from zero "
            f"({'; '.join(numbers(c) for c in unclear)})."
        )
    if conditions and all(c["status"] == "holds" for c in conditions):
        out.append(f"The gain holds under all {len(conditions)} perturbations tested.")
    if more_needed and verdict == "fragile":
        out.append(f"About {needed} seeds would be needed to detect the reported gain.")
    mde = raw.get("min_detectable_effect")
    if mde is not None and verdict != "supported":
        out.append(
            f"With {n} seeds the smallest gain detectable at 80% power is {points(mde)} pts."
        )
    if raw.get("small_sample_note"):
        out.append(sentence(str(raw["small_sample_note"])))
    out += [sentence(f"The evidence is not valid: {item}") for item in raw.get("invalid") or []]
    if raw.get("overstated") and reported is not None:
        out.append(
            f"The reported {points(reported, signed=True)} pts lies above the {confidence} "
            "interval of the measured gain: the paper overstates it."
        )
    agreement = raw.get("agreement") or []
    yes = [a["test"] for a in agreement if a.get("improvement") is True]
    no = [a["test"] for a in agreement if a.get("improvement") is False]
    unsure = [a["test"] for a in agreement if a.get("improvement") is None]
    if yes and (no or unsure) and verdict != "supported":
        verb = "finds" if len(yes) == 1 else "find"
        text = f"The tests disagree: {join_words(yes)} {verb} an improvement"
        if no:
            text += f"; {join_words(no)} {'does' if len(no) == 1 else 'do'} not"
        if unsure:
            text += f"; {join_words(unsure)} cannot tell"
        out.append(text + ".")
    return tuple(out)


def methods(doc: Mapping[str, Any]) -> str:
    """The methods paragraph: what was trained, tested and checked, ready for a paper."""
    exp, pack, seeds = doc["experiment"], doc["rule_pack"], doc["seeds"]
    train = exp["train"]
    settings = pack["settings"]
    variants = ", ".join(v["name"] for v in exp["variants"])
    runs = doc["summary"]["runs"]
    conditions: dict[str, list[str]] = {}
    tests: list[str] = []
    for claim in doc["claims"]:
        for c in claim.get("conditions") or []:
            words = conditions.setdefault(c.get("family", "other"), [])
            if condition_words(c["condition"]) not in words:
                words.append(condition_words(c["condition"]))
        for a in claim.get("agreement") or []:
            if a["test"] not in tests:
                tests.append(a["test"])
    if exp.get("source") == "script":  # script mode: the user's own script, run per seed
        script = exp.get("script") or {}
        text = (
            f"We ran the user's script ({script.get('command', exp['model_file'])}) for the "
            f"variants {variants} (baseline {exp['baseline']}) on the same {len(seeds)} seeds "
            f"({', '.join(map(str, seeds))}), each run a separate process in its own copy of "
            "the project, with the seed passed on the command line where the script takes "
            "one, in the environment, and through a start-up shim seeding random, NumPy and "
            "torch; metrics were read back from what each run printed or wrote."
        )
    elif train is None:  # auditkit compare: runs the user logged, nothing retrained
        text = (
            f"We analysed runs logged in {exp['model_file']} for the variants {variants} "
            f"(baseline {exp['baseline']}), paired by seed over {len(seeds)} seeds "
            f"({', '.join(map(str, seeds))}); auditkit retrained nothing."
        )
    else:
        frameworks = exp.get("frameworks") or {}
        estimators = [v for v, f in frameworks.items() if f == "sklearn"]
        modules = [v for v in frameworks if v not in estimators]
        design = exp.get("design")
        adamw = (
            f"for {train['epochs']} epochs with AdamW (learning rate {train['lr']}, batch size "
            f"{train['batch_size']}), selecting the epoch by dev {train['select_metric']} and "
            "never by test"
        )
        if not estimators and not design:
            text = (
                f"We retrained every variant ({variants}; baseline {exp['baseline']}) on the "
                f"same {len(seeds)} seeds ({', '.join(map(str, seeds))}), each seed setting "
                f"both the initialisation and the data order, {adamw}, on "
                f"{exp['data']['name']}."
            )
        else:
            on = (
                f"each seed s testing on fold s mod {design['folds']} of a "
                f"{design['folds']}-fold cross-validation of the pooled rows of "
                f"{exp['data']['name']} (a {design['dev']:g} share of the other folds held "
                "out as dev)"
                if design
                else f"on {exp['data']['name']}"
            )
            text = (
                f"We retrained every variant ({variants}; baseline {exp['baseline']}) on the "
                f"same {len(seeds)} seeds ({', '.join(map(str, seeds))}), {on}."
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
    if conditions:
        families = "; ".join(f"{family}: {', '.join(w)}" for family, w in conditions.items())
        text += f" We repeated the comparison under these perturbations ({families})."
    corrected = any(
        (c.get("gain") or {}).get("test", "").startswith("Nadeau") for c in doc["claims"]
    )
    test_words = (
        "the one-sided Nadeau–Bengio corrected resampled t-test (the folds share training "
        "rows, so the variance of the mean is inflated by n_test/n_train)"
        if corrected
        else "a one-sided paired t-test"
    )
    adaptive = doc.get("adaptive")
    if adaptive:
        text += (
            f" Seeds were added adaptively: a {adaptive['design']} (Jennison & Turnbull "
            "2000); each claim took seeds only until it was decided, its p-value is the "
            "sequential p-value and its interval the repeated confidence interval at its "
            "last look, both valid under this optional stopping."
        )
    text += (
        f" For each claim we tested the per-seed paired differences on test with "
        f"{test_words}, adjusted across the {len(doc['claims'])} claim(s) of the audit with "
        f"Holm's method at α = {settings['alpha']}, and report the "
        f"{round(100 * settings['confidence'])}% {'corrected ' * corrected}t-interval of the "
        "mean difference."
    )
    others = [t for t in tests if not t.startswith(("paired t-test", "corrected resampled t-test"))]
    if others:
        text += f" We checked the t-test's answer against {join_words(others)}."
    text += (
        f" A claim with no significant gain is refuted when its "
        f"{round(100 * (1 - 2 * settings['alpha']))}% interval lies within "
        f"±{100 * settings['rope']:.2f} points (TOST equivalence) and inconclusive "
        f"otherwise; a supported claim whose gain reverses or vanishes under a perturbation "
        f"is fragile."
    )
    # Pasted into a paper this sentence must be true: a skipped rule did not run, and a
    # rule that raised ran without a result.
    rules = doc["rules"]
    ran = [r for r in rules if r["outcome"] not in ("skipped", "error")]
    if ran:
        listed = join_words([f"{r['id']} {r['name']}" for r in ran])
        text += f" Rule pack {pack['name']} ran {len(ran)} rule(s): {listed}."
    skipped = [r for r in rules if r["outcome"] == "skipped"]
    if skipped:
        why = "; ".join(f"{r['id']} {r['name']}: {r['reason'].rstrip('.')}" for r in skipped)
        text += f" It skipped {len(skipped)} rule(s), which did not apply ({why})."
    failed = [r for r in rules if r["outcome"] == "error"]
    if failed:
        listed = join_words([f"{r['id']} {r['name']}" for r in failed])
        text += f" {len(failed)} rule(s) could not be evaluated ({listed})."
    text += (
        f" The audit trained {runs['total']} run(s) ({runs['failed']} failed) in "
        f"{duration(doc['summary']['wall_time_s'])} with auditkit {doc['auditkit_version']}."
    )
    return text
