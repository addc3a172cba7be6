"""View model: ``audit.json`` turned into preformatted strings for every view.

Templates, the terminal renderer and the LaTeX writer only place these strings; every
number is formatted here, once, so that the views agree. The few floats kept here
(``*Plot`` dataclasses) are for drawing, never for display as text.

Fields that newer audits add (test agreement, perturbation conditions, power, confusion
matrices, factor reliance, rule evidence) are read with ``.get()`` and an empty default,
so an older ``audit.json`` still renders: its views simply omit those sections.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditkit.conditions import Condition

#: verdicts in the order the summary line lists them: "2 supported, 1 fragile,
#: 1 inconclusive in 3m12s" (the order of issue 5; pytest's line is coloured by its
#: worst outcome, and so is auditkit's, see terminal.summary_style)
VERDICT_ORDER = ("supported", "fragile", "inconclusive", "refuted")

#: condition statuses, worst first, and how a sentence names each
STATUS_WORDS = {
    "reversed": "reverses",
    "vanished": "vanishes",
    "inconclusive": "cannot be told from zero",
    "holds": "holds",
}

#: what an agreement cell says for ``improvement`` true / false / null
_AGREEMENT = {
    True: ("yes", "✓", "improvement"),
    # not significant is not "no improvement": the test did not show one, nothing more
    False: ("no", "✗", "not shown"),
    None: ("unknown", "?", "cannot tell"),
}

#: split-statistics columns: key in ``metadata.splits[...]`` -> (header, kind)
_SPLIT_COLUMNS = {
    "n": ("rows", "int"),
    "label_rate": ("positive labels", "pct"),
    "mean_length": ("mean length", "float"),
    "mean_shape_variety": ("mean shape variety", "float"),
    "mean_color_variety": ("mean colour variety", "float"),
}


def points(x: float | None, *, signed: bool = False) -> str:
    """Metric units as points: 0.0213 -> '2.13' (or '+2.13'); None -> 'n/a'."""
    if x is None:
        return "n/a"
    return f"{100 * x:+.2f}" if signed else f"{100 * x:.2f}"


def fraction(x: float | None) -> str:
    """A metric value in [0, 1] as a percentage string with two decimals."""
    return "n/a" if x is None else f"{100 * x:.2f}"


def p_value(p: float | None) -> str:
    """'<0.001', '0.042' or 'n/a'."""
    if p is None:
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def duration(seconds: float) -> str:
    """'0.4s', '12.3s', '3m12s', '1h02m05s' (pytest's shape)."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s"


def condition_words(condition: str) -> str:
    """A condition id in words: 'batch_size=512' -> 'batch size 512'."""
    return Condition.parse(condition).words


def _number(x: Any, kind: str) -> str:
    if x is None:
        return "n/a"
    if kind == "int":
        return f"{int(x):,}"
    if kind == "pct":
        return f"{100 * float(x):.1f}%"
    if isinstance(x, float):
        return f"{x:.2f}"
    return str(x)


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedRow:
    """One seed's scores in a claim's table."""

    seed: str
    baseline: str
    variant: str
    gain: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementRow:
    """One statistical test's answer to "is the variant better?"."""

    test: str  #: "Wilcoxon signed-rank (exact)"
    answer: str  #: "yes", "no" or "unknown": the CSS class and the style name
    symbol: str  #: "✓", "✗" or "?", printed beside the colour
    words: str  #: "improvement", "not shown", "cannot tell"
    value: str  #: "p = 0.012", already formatted by the producer
    note: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionRow:
    """The gain under one perturbation (or at the nominal setting)."""

    condition: str  #: "batch size 512"
    family: str  #: "batch size"; "" for the nominal row
    rule: str  #: "AK401"; "" for the nominal row
    n: str  #: "5"
    gain: str  #: "+1.20"
    interval: str  #: "[+0.30, +2.10]"
    status: str  #: holds / reversed / vanished / inconclusive / nominal


@dataclass(frozen=True, slots=True, kw_only=True)
class IntervalPoint:
    """One point estimate with its interval, in metric units, for drawing."""

    label: str
    mean: float
    low: float
    high: float
    status: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimPlot:
    """What the per-claim figures draw (metric units)."""

    baseline_name: str
    variant_name: str
    metric: str
    seeds: tuple[str, ...]
    baseline: tuple[float, ...]
    variant: tuple[float, ...]
    gains: tuple[float, ...]
    gain: IntervalPoint | None  #: the nominal mean gain and its interval
    reported: float | None
    rope: float
    conditions: tuple[IntervalPoint, ...]  #: nominal first, then each perturbation
    #: ``--seeds auto``: the estimate and repeated interval at each look (label = seeds)
    looks: tuple[IntervalPoint, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimView:
    """One claim, formatted."""

    key: str  #: "claim-1": anchor id in the HTML
    label: str
    variant: str
    baseline: str
    metric: str
    verdict: str
    reason: str
    baseline_score: str  #: "71.20 ± 1.30"
    variant_score: str
    baseline_mean: str  #: "71.20"
    variant_mean: str
    gain: str  #: "+2.13"
    interval: str  #: "[+0.80, +3.40]"
    confidence: str  #: "95%"
    p: str
    p_holm: str
    reported: str
    overstated: bool
    n_seeds: str  #: "5 of 5"
    seeds_short: str  #: "5/5"
    seeds: tuple[SeedRow, ...]
    #: plain-word findings, most important first
    findings: tuple[str, ...]
    #: the first finding of a claim that is not supported, for the summary; else ""
    headline: str
    agreement: tuple[AgreementRow, ...]
    conditions: tuple[ConditionRow, ...]  #: empty when the audit ran no perturbation
    power: tuple[tuple[str, str], ...]  #: ("seeds needed", "23"), ...
    plot: ClaimPlot
    #: ``--seeds auto``: "decided at 6 seeds: improvement shown"; "" for fixed seeds
    stopping: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleView:
    """One rule's outcome, formatted."""

    id: str
    name: str
    severity: str
    outcome: str
    reason: str
    why: str
    fix: str
    references: tuple[str, ...] = ()
    evidence: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class HeatCell:
    """One cell of the perturbation × claim heatmap."""

    text: str  #: "+1.20"; "—" when the claim was not tested under this condition
    status: str  #: holds / reversed / vanished / inconclusive / nominal / none
    word: str  #: the status as printed beside the colour; "" for nominal and none
    title: str  #: tooltip and screen-reader text: the interval and the status in words


@dataclass(frozen=True, slots=True, kw_only=True)
class HeatRow:
    """One condition across every claim."""

    condition: str
    family: str
    cells: tuple[HeatCell, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Heatmap:
    """Perturbations (rows) × claims (columns): the gain and its status."""

    claims: tuple[str, ...]  #: column headers
    rows: tuple[HeatRow, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementMatrix:
    """Tests (rows) × claims (columns)."""

    claims: tuple[str, ...]
    rows: tuple[tuple[str, tuple[AgreementRow | None, ...]], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CurveLine:
    """One run's training curve, for drawing."""

    batch_size: str  #: the legend entry: "64"
    epochs: tuple[int, ...]
    train_loss: tuple[float, ...]
    dev_loss: tuple[float, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class CurvesPlot:
    """Every nominal and batch-size run of every variant, for the training-curves figure."""

    variants: tuple[tuple[str, tuple[CurveLine, ...]], ...]
    batch_sizes: tuple[str, ...]  #: legend order, ascending


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfusionView:
    """One variant's confusion matrix, summed over its nominal test runs."""

    variant: str
    runs: str  #: "summed over 5 test runs"
    labels: tuple[str, ...]
    #: rows: true label, then per predicted label (count, row share, shade 0-4)
    rows: tuple[tuple[str, tuple[tuple[str, str, int], ...]], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class RelianceRow:
    """The metric drop when one factor is masked at test time (and on dev, if probed)."""

    variant: str
    factor: str
    drop: str  #: "+12.30"
    interval: str
    #: the drop on dev with its interval, "+40.10 [+35.00, +45.20]"; empty when dev was not probed
    dev_drop: str = ""
    #: dev − test drop paired by seed, with its interval; empty when dev was not probed
    dev_minus_test: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class SplitTable:
    """Per-split statistics of the data."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str, ...]], ...]
    facts: tuple[tuple[str, str], ...]  #: rule description, pitfalls, ...


@dataclass(frozen=True, slots=True, kw_only=True)
class VerdictCount:
    """One verdict's count, for the summary cards."""

    verdict: str
    count: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FailureView:
    """The first error of one variant whose runs failed."""

    variant: str
    #: "3 of 3 runs failed"
    count: str
    #: True when none of the variant's runs succeeded (the audit exits 6)
    all_failed: bool
    #: the run that failed first, e.g. ``"bad[nominal,init=0,order=0]"``
    run_id: str
    #: the error's summary: its first line, then where in the user's code (file:line)
    summary: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SpreadView:
    """One metric's spread over the seeds of one variant (script audits)."""

    variant: str
    metric: str
    mean: str
    sd: str
    range: str  #: "0.545 to 0.565"
    seeds: str


def _spread(doc: Mapping[str, Any]) -> tuple[SpreadView, ...]:
    script = doc["experiment"].get("script") or {}
    return tuple(
        SpreadView(
            variant=str(row["variant"]),
            metric=str(row["metric"]),
            mean=f"{row['mean']:.4g}",
            sd=f"{row['sd']:.3g}",
            range=f"{row['low']:.4g} to {row['high']:.4g}",
            seeds=str(row["n"]),
        )
        for row in script.get("seed spread") or ()
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportView:
    """Everything a view shows."""

    title: str
    model_file: str
    data: str
    rule_pack: str
    created: str
    claims: tuple[ClaimView, ...]
    rules: tuple[RuleView, ...]
    verdict_counts: tuple[VerdictCount, ...]
    summary_line: str
    runs_line: str
    methods: str
    provenance: tuple[tuple[str, str], ...]
    heatmap: Heatmap | None = None
    agreement: AgreementMatrix | None = None
    curves: CurvesPlot | None = None
    confusion: tuple[ConfusionView, ...] = ()
    reliance: tuple[RelianceRow, ...] = ()
    reliance_plot: tuple[IntervalPoint, ...] = ()  #: label "variant · factor"
    splits: SplitTable | None = None
    rope: str = ""  #: "±0.50 pts"
    confidence: str = "95%"  #: the rule pack's interval level
    #: what ``model_file`` is: "Model file", or "Runs file" for ``auditkit compare``
    source_label: str = "Model file"
    #: the first error of each variant that has failed runs, in variant order
    failures: tuple[FailureView, ...] = ()
    #: script audits: each metric's spread over seeds, per variant
    spread: tuple[SpreadView, ...] = ()


def _mean_sd(mean: float | None, sd: float | None) -> str:
    if mean is None or sd is None:
        return "n/a"
    return f"{fraction(mean)} ± {points(sd)}"


def _interval(low: float | None, high: float | None) -> str:
    return f"[{points(low, signed=True)}, {points(high, signed=True)}]"


def _condition_rows(raw: Mapping[str, Any]) -> tuple[ConditionRow, ...]:
    conditions = raw.get("conditions") or []
    gain = raw.get("gain")
    if not conditions:
        return ()
    rows = []
    if gain:
        rows.append(
            ConditionRow(
                condition="nominal",
                family="",
                rule="",
                n=str(len(raw["seeds"])),
                gain=points(gain["mean"], signed=True),
                interval=_interval(gain["low"], gain["high"]),
                status="nominal",
            )
        )
    rows += [
        ConditionRow(
            condition=condition_words(c["condition"]),
            family=c.get("family", ""),
            rule=c.get("rule", ""),
            n=str(c.get("n", "")),
            gain=points(c["mean"], signed=True),
            interval=_interval(c["low"], c["high"]),
            status=c["status"],
        )
        for c in conditions
    ]
    return tuple(rows)


def _agreement_row(a: Mapping[str, Any]) -> AgreementRow:
    answer, symbol, words = _AGREEMENT[a.get("improvement")]
    return AgreementRow(
        test=a["test"],
        answer=answer,
        symbol=symbol,
        words=words,
        value=a.get("value", ""),
        note=a.get("note", ""),
    )


def _sentence(text: str) -> str:
    """'with 3 seeds ...' -> 'With 3 seeds ....': a note from the verdict layer as a sentence."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _where(condition: str) -> str:
    """'batch_size=512' -> 'at batch size 512'; 'shuffle_test' -> 'under shuffle test'."""
    return Condition.parse(condition).where


def _findings(raw: Mapping[str, Any], confidence: str, rope: float) -> tuple[str, ...]:
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
        places = _join([condition_words(c["condition"]) for c in unclear])
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
        out.append(_sentence(str(raw["small_sample_note"])))
    out += [_sentence(f"The evidence is not valid: {item}") for item in raw.get("invalid") or []]
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
        text = f"The tests disagree: {_join(yes)} {verb} an improvement"
        if no:
            text += f"; {_join(no)} {'does' if len(no) == 1 else 'do'} not"
        if unsure:
            text += f"; {_join(unsure)} cannot tell"
        out.append(text + ".")
    return tuple(out)


def _claim_view(raw: Mapping[str, Any], index: int, rope: float) -> ClaimView:
    gain = raw["gain"]
    seeds = tuple(
        SeedRow(seed=str(s), baseline=fraction(b), variant=fraction(v), gain=points(g, signed=True))
        for s, b, v, g in zip(
            raw["seeds"], raw["baseline_scores"], raw["variant_scores"], raw["gains"], strict=True
        )
    )
    confidence = f"{round(100 * gain['confidence'])}%" if gain else "95%"
    nominal = (
        IntervalPoint(
            label="nominal",
            mean=gain["mean"],
            low=gain["low"],
            high=gain["high"],
            status="nominal",
        )
        if gain and None not in (gain.get("mean"), gain.get("low"), gain.get("high"))
        else None
    )
    conditions = tuple(
        IntervalPoint(
            label=condition_words(c["condition"]),
            mean=c["mean"],
            low=c["low"],
            high=c["high"],
            status=c["status"],
        )
        for c in raw.get("conditions") or []
        # a condition whose runs all failed has no estimate: its table row says n/a
        if None not in (c.get("mean"), c.get("low"), c.get("high"))
    )
    findings = _findings(raw, confidence, rope)
    sequential = raw.get("sequential")
    stopping = ""
    looks: tuple[IntervalPoint, ...] = ()
    if sequential:
        stopping = (
            f"{'decided' if sequential['decided'] else 'stopped'} at "
            f"{sequential['seeds_used']} seeds: {sequential['stopped_words']}"
        )
        looks = tuple(
            IntervalPoint(
                label=str(look["n"]),
                mean=look["mean"],
                low=look["low"],
                high=look["high"],
                status="nominal",
            )
            for look in sequential["looks"]
        )
    power: list[tuple[str, str]] = []
    if raw.get("seeds_needed") is not None:
        power.append(("seeds needed for 80% power", str(raw["seeds_needed"])))
    if raw.get("min_detectable_effect") is not None:
        power.append(
            (
                f"smallest detectable gain at {len(raw['seeds'])} seeds",
                f"{points(raw['min_detectable_effect'])} pts",
            )
        )
    return ClaimView(
        key=f"claim-{index}",
        label=raw["label"],
        variant=raw["variant"],
        baseline=raw["baseline"],
        metric=raw["metric"],
        verdict=raw["verdict"],
        reason=raw["reason"],
        baseline_score=_mean_sd(raw["baseline_mean"], raw["baseline_sd"]),
        variant_score=_mean_sd(raw["variant_mean"], raw["variant_sd"]),
        baseline_mean=fraction(raw["baseline_mean"]),
        variant_mean=fraction(raw["variant_mean"]),
        gain=points(gain["mean"], signed=True) if gain else "n/a",
        interval=_interval(gain["low"], gain["high"]) if gain else "n/a",
        confidence=confidence if gain else "",
        p=p_value(gain["p_one_sided"]) if gain else "n/a",
        p_holm=p_value(gain["p_holm"]) if gain else "n/a",
        reported=points(raw["reported"], signed=True) if raw["reported"] is not None else "—",
        overstated=bool(raw["overstated"]),
        n_seeds=f"{len(raw['seeds'])} of {raw['seeds_planned']}",
        seeds_short=f"{len(raw['seeds'])}/{raw['seeds_planned']}",
        seeds=seeds,
        findings=findings,
        # Every negative result says what was found, from the reason at least.
        headline=(findings or (raw["reason"],))[0] if raw["verdict"] != "supported" else "",
        agreement=tuple(_agreement_row(a) for a in raw.get("agreement") or []),
        conditions=_condition_rows(raw),
        power=tuple(power),
        plot=ClaimPlot(
            baseline_name=raw["baseline"],
            variant_name=raw["variant"],
            metric=raw["metric"],
            seeds=tuple(str(s) for s in raw["seeds"]),
            baseline=tuple(raw["baseline_scores"]),
            variant=tuple(raw["variant_scores"]),
            gains=tuple(raw["gains"]),
            gain=nominal,
            reported=raw["reported"],
            rope=rope,
            conditions=((nominal,) if nominal else ()) + conditions,
            looks=looks,
        ),
        stopping=stopping,
    )


def summary_line(verdicts: Mapping[str, int], wall_time_s: float) -> str:
    """pytest-shaped summary: '2 supported, 1 refuted in 3m12s'."""
    parts = [f"{verdicts[v]} {v}" for v in VERDICT_ORDER if verdicts.get(v)]
    return f"{', '.join(parts) or 'no claims'} in {duration(wall_time_s)}"


def _join(words: Sequence[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def _methods(doc: Mapping[str, Any]) -> str:
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
                    f" The PyTorch models ({_join(modules)}) trained with each seed setting "
                    f"both the initialisation and the data order, {adamw}."
                )
            if estimators:
                text += (
                    f" The scikit-learn estimators ({_join(estimators)}) were fitted once per "
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
        text += f" We checked the t-test's answer against {_join(others)}."
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
        listed = _join([f"{r['id']} {r['name']}" for r in ran])
        text += f" Rule pack {pack['name']} ran {len(ran)} rule(s): {listed}."
    skipped = [r for r in rules if r["outcome"] == "skipped"]
    if skipped:
        why = "; ".join(f"{r['id']} {r['name']}: {r['reason'].rstrip('.')}" for r in skipped)
        text += f" It skipped {len(skipped)} rule(s), which did not apply ({why})."
    failed = [r for r in rules if r["outcome"] == "error"]
    if failed:
        listed = _join([f"{r['id']} {r['name']}" for r in failed])
        text += f" {len(failed)} rule(s) could not be evaluated ({listed})."
    text += (
        f" The audit trained {runs['total']} run(s) ({runs['failed']} failed) in "
        f"{duration(doc['summary']['wall_time_s'])} with auditkit {doc['auditkit_version']}."
    )
    return text


def _heatmap(claims: Sequence[Mapping[str, Any]]) -> Heatmap | None:
    """Rows: the nominal setting, then every condition in the order first met."""
    if not any(c.get("conditions") for c in claims):
        return None
    order: list[tuple[str, str]] = []
    for claim in claims:
        for c in claim.get("conditions") or []:
            key = (c["condition"], c.get("family", ""))
            if key not in order:
                order.append(key)
    nominal = []
    for claim in claims:
        g = claim["gain"]
        nominal.append(
            HeatCell(
                text=points(g["mean"], signed=True),
                status="nominal",
                word="",
                title=f"{claim['label']}: nominal gain {_interval(g['low'], g['high'])} pts",
            )
            if g
            else HeatCell(
                text="n/a", status="none", word="", title=f"{claim['label']}: no estimate"
            )
        )
    rows = [HeatRow(condition="nominal", family="", cells=tuple(nominal))]
    for condition, family in order:
        cells = []
        for claim in claims:
            found = next(
                (c for c in claim.get("conditions") or [] if c["condition"] == condition), None
            )
            if found is None:
                cells.append(HeatCell(text="—", status="none", word="", title="not tested"))
                continue
            cells.append(
                HeatCell(
                    text=points(found["mean"], signed=True),
                    status=found["status"],
                    word=found["status"],
                    title=(
                        f"{claim['label']} at {condition_words(condition)}: "
                        f"{_interval(found['low'], found['high'])} pts, {found['status']}"
                    ),
                )
            )
        rows.append(
            HeatRow(condition=condition_words(condition), family=family, cells=tuple(cells))
        )
    return Heatmap(claims=tuple(c["label"] for c in claims), rows=tuple(rows))


def _agreement_matrix(claims: Sequence[Mapping[str, Any]]) -> AgreementMatrix | None:
    tests: list[str] = []
    for claim in claims:
        for a in claim.get("agreement") or []:
            if a["test"] not in tests:
                tests.append(a["test"])
    if not tests:
        return None
    rows = []
    for test in tests:
        cells: list[AgreementRow | None] = []
        for claim in claims:
            found = next((a for a in claim.get("agreement") or [] if a["test"] == test), None)
            cells.append(_agreement_row(found) if found else None)
        rows.append((test, tuple(cells)))
    return AgreementMatrix(claims=tuple(c["label"] for c in claims), rows=tuple(rows))


def _batch_size(run: Mapping[str, Any], default: int) -> int | None:
    """The run's batch size, or None when something else shapes the training.

    The batch-size sweep scales the learning rate with the batch size, so a run that
    overrides both still belongs to its batch size's curve.
    """
    overrides = dict(run["spec"].get("overrides") or [])
    if set(overrides) - {"batch_size", "lr"} or run["spec"].get("transform"):
        return None
    if "lr" in overrides and "batch_size" not in overrides:
        return None
    return int(overrides.get("batch_size", default))


def _curves(doc: Mapping[str, Any]) -> CurvesPlot | None:
    train = doc["experiment"].get("train")
    if train is None:  # auditkit compare: logged runs carry no curves
        return None
    default = train["batch_size"]
    by_variant: dict[str, list[CurveLine]] = {}
    sizes: set[int] = set()
    for run in doc["runs"]:
        curves = run.get("curves") or []
        size = _batch_size(run, default)
        if not curves or size is None or run.get("error"):
            continue
        sizes.add(size)
        by_variant.setdefault(run["spec"]["variant"], []).append(
            CurveLine(
                batch_size=str(size),
                epochs=tuple(int(p["epoch"]) for p in curves),
                train_loss=tuple(float(p["train_loss"]) for p in curves),
                dev_loss=tuple(float(p["dev_loss"]) for p in curves),
            )
        )
    if not by_variant:
        return None
    names = [v["name"] for v in doc["experiment"]["variants"]]
    ordered = sorted(by_variant.items(), key=lambda kv: names.index(kv[0]) if kv[0] in names else 0)
    return CurvesPlot(
        variants=tuple((name, tuple(lines)) for name, lines in ordered),
        batch_sizes=tuple(str(s) for s in sorted(sizes)),
    )


def _confusion(doc: Mapping[str, Any]) -> tuple[ConfusionView, ...]:
    out = []
    for variant, raw in (doc.get("confusion") or {}).items():
        labels = tuple(str(label) for label in raw["labels"])
        rows = []
        for label, counts in zip(labels, raw["matrix"], strict=True):
            total = sum(counts)
            cells = []
            for count in counts:
                share = count / total if total else 0.0
                # five shades are enough to see the diagonal; the number is printed too
                cells.append((f"{count:,}", f"{100 * share:.1f}%", min(4, int(share * 5))))
            rows.append((label, tuple(cells)))
        runs = raw.get("runs")
        out.append(
            ConfusionView(
                variant=variant,
                runs=f"summed over {runs} test runs" if runs else "",
                labels=labels,
                rows=tuple(rows),
            )
        )
    return tuple(out)


def _reliance(doc: Mapping[str, Any]) -> tuple[tuple[RelianceRow, ...], tuple[IntervalPoint, ...]]:
    raw = doc.get("reliance") or []
    rows = tuple(
        RelianceRow(
            variant=r["variant"],
            factor=r["factor"],
            drop=points(r["drop_mean"], signed=True),
            interval=_interval(r["low"], r["high"]),
            dev_drop=(
                f"{points(r['dev_drop_mean'], signed=True)} "
                f"{_interval(r.get('dev_low'), r.get('dev_high'))}"
                if r.get("dev_drop_mean") is not None
                else ""
            ),
            dev_minus_test=(
                f"{points(r['dev_minus_test'], signed=True)} "
                f"{_interval(r.get('dev_minus_test_low'), r.get('dev_minus_test_high'))}"
                if r.get("dev_minus_test") is not None
                else ""
            ),
        )
        for r in raw
    )
    plot = tuple(
        IntervalPoint(
            label=f"{r['variant']} · {r['factor']}",
            mean=r["drop_mean"],
            low=r["low"],
            high=r["high"],
            status=r["factor"],
        )
        for r in raw
        if None not in (r.get("drop_mean"), r.get("low"), r.get("high"))
    )
    return rows, plot


def _splits(doc: Mapping[str, Any]) -> SplitTable | None:
    meta = doc["experiment"]["data"].get("metadata") or {}
    splits = meta.get("splits") or {}
    if not splits:
        return None
    keys: list[str] = []
    for stats in splits.values():
        keys += [k for k in stats if k not in keys]
    columns = tuple(_SPLIT_COLUMNS.get(k, (k.replace("_", " "), "float"))[0] for k in keys)
    rows = tuple(
        (
            name,
            tuple(_number(stats.get(k), _SPLIT_COLUMNS.get(k, ("", "float"))[1]) for k in keys),
        )
        for name, stats in splits.items()
    )
    facts: list[tuple[str, str]] = [("data", doc["experiment"]["data"]["name"])]
    rule = meta.get("rule") or {}
    if rule.get("description"):
        facts.append(("labelling rule", str(rule["description"])))
    if rule.get("factors"):
        facts.append(("factors the rule reads", ", ".join(map(str, rule["factors"]))))
    pitfalls = meta.get("pitfalls")
    if pitfalls is not None:
        facts.append(("planted pitfalls", "; ".join(map(_pitfall, pitfalls)) or "none"))
    return SplitTable(columns=columns, rows=rows, facts=tuple(facts))


#: a pitfall field longer than this (row ids, per-row lists) is left out of the summary
_FACT_WIDTH = 80


def _fact(value: Any) -> str:
    """A metadata value in words: floats to 3 significant digits, lists and dicts inline."""
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, list | tuple):
        return ", ".join(_fact(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {_fact(v)}" for k, v in value.items())
    return str(value)


def _pitfall(record: Any) -> str:
    """One planted pitfall as 'kind (field value, ...)', without its bulky fields."""
    if not isinstance(record, Mapping):
        return str(record)
    parts = []
    for key, value in record.items():
        if key == "kind":
            continue
        text = _fact(value)
        if len(text) <= _FACT_WIDTH:
            parts.append(f"{key.replace('_', ' ')}: {text}")
    return (
        f"{record.get('kind', 'pitfall')} ({'; '.join(parts)})"
        if parts
        else str(record.get("kind"))
    )


def _failures(doc: Mapping[str, Any]) -> tuple[FailureView, ...]:
    """Each failing variant's first error, as its run recorded it.

    A run's error text starts with a summary paragraph (the error in one line, then the
    user-code frame, ``file:line``); the traceback after the first blank line stays in
    audit.json. Runs that ``--budget`` left undone are not failures of the code.
    """
    totals: dict[str, int] = {}
    failed: dict[str, list[Mapping[str, Any]]] = {}
    for run in doc.get("runs") or ():
        error = run.get("error")
        if error and str(error).startswith("NotRun:"):
            continue
        variant = str(run["spec"]["variant"])
        totals[variant] = totals.get(variant, 0) + 1
        if error:
            failed.setdefault(variant, []).append(run)
    out = []
    for variant, runs in failed.items():
        summary = str(runs[0]["error"]).strip().split("\n\n", 1)[0]
        lines = [line.strip() for line in summary.splitlines() if line.strip()]
        if len(lines) > 3:  # an old-format traceback: keep its last line, the error itself
            lines = lines[-1:]
        out.append(
            FailureView(
                variant=variant,
                count=f"{len(runs)} of {totals[variant]} runs failed",
                all_failed=len(runs) == totals[variant],
                run_id=str(runs[0]["run_id"]),
                summary=tuple(lines),
            )
        )
    return tuple(out)


def _provenance(doc: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    exp, summary, prov = doc["experiment"], doc["summary"], doc["provenance"]
    source = "runs file" if exp.get("source") == "compare" else "model file"
    out: list[tuple[str, str]] = [
        (source, exp["model_file"]),
        (f"{source} sha256", exp["model_sha256"]),
        ("data", exp["data"]["name"]),
        ("data fingerprint", exp["data"]["fingerprint"]),
        ("rule pack", f"{doc['rule_pack']['name']} ({doc['rule_pack'].get('path', '')})"),
        ("rule pack sha256", doc["rule_pack"]["sha256"]),
        ("seeds", ", ".join(map(str, doc["seeds"]))),
        ("created", doc["created_at"]),
        ("wall time", duration(summary["wall_time_s"])),
    ]
    return tuple(out + [(str(k), str(v)) for k, v in prov.items()])


def build_view(doc: Mapping[str, Any]) -> ReportView:
    """Format an ``audit.json`` document for display.

    Parameters
    ----------
    doc
        The parsed ``audit.json``.

    Returns
    -------
    ReportView
    """
    exp, summary = doc["experiment"], doc["summary"]
    runs = summary["runs"]
    runs_line = f"{runs['total']} runs: {runs['total'] - runs['failed']} succeeded"
    if runs["failed"]:
        runs_line += f", {runs['failed']} failed"
    if runs["cached"]:
        runs_line += f", {runs['cached']} reused from the run store"
    rope = float(doc["rule_pack"]["settings"].get("rope", 0.0))
    reliance, reliance_plot = _reliance(doc)
    verdicts = summary["verdicts"]
    return ReportView(
        title=f"auditkit report: {exp['name']}",
        model_file=exp["model_file"],
        data=exp["data"]["name"],
        rule_pack=doc["rule_pack"]["name"],
        created=doc["created_at"],
        claims=tuple(_claim_view(c, i, rope) for i, c in enumerate(doc["claims"], start=1)),
        rules=tuple(
            RuleView(
                id=r["id"],
                name=r["name"],
                severity=r["severity"],
                outcome=r["outcome"],
                reason=r["reason"],
                why=r["why"],
                fix=r["fix"],
                references=tuple(r.get("references") or ()),
                evidence=tuple((str(k), str(v)) for k, v in (r.get("evidence") or {}).items()),
            )
            for r in doc["rules"]
        ),
        verdict_counts=tuple(
            VerdictCount(verdict=v, count=str(verdicts.get(v, 0))) for v in VERDICT_ORDER
        ),
        summary_line=summary_line(verdicts, summary["wall_time_s"]),
        runs_line=runs_line,
        methods=_methods(doc),
        provenance=_provenance(doc),
        heatmap=_heatmap(doc["claims"]),
        agreement=_agreement_matrix(doc["claims"]),
        curves=_curves(doc),
        confusion=_confusion(doc),
        reliance=reliance,
        reliance_plot=reliance_plot,
        splits=_splits(doc),
        rope=f"±{points(rope)} pts",
        confidence=f"{round(100 * doc['rule_pack']['settings'].get('confidence', 0.95))}%",
        failures=_failures(doc),
        source_label="Runs file" if exp.get("source") == "compare" else "Model file",
        spread=_spread(doc),
    )


def verdict_counts(claims: Sequence[ClaimView]) -> dict[str, int]:
    """Number of claims per verdict."""
    return {v: sum(c.verdict == v for c in claims) for v in VERDICT_ORDER}
