"""``audit.json`` as a typed, versioned document: frozen dataclasses, a writer and a reader.

The document holds numbers, never formatted text: every test result keeps its statistic,
degrees of freedom, raw and Holm-adjusted p-values and interval bounds as numbers, and each
claim says the scale of its metric (:class:`Scale`) so that every view words it the same
way. Formatting happens only in the views (:mod:`auditkit.report.fmt`).

- :func:`document_to_json` writes a document as JSON data (``format`` :data:`FORMAT`);
- :func:`document_from_json` and :func:`load_document` read it back, and still open the
  format-1 files of earlier auditkit versions (their test-agreement cells were formatted
  strings; they are kept as :attr:`AgreementResult.text`);
- :func:`document_schema` is the JSON Schema of what the writer writes, published as
  ``docs/audit-schema.json``.

Reading then writing a document gives the same JSON (tests/unit/test_audit_document.py).
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, Literal

from auditkit.errors import AuditkitError
from auditkit.exhibits import Exhibit, exhibit_from_json, exhibit_to_json
from auditkit.report.codec import CodecError, Custom, from_json, json_schema, to_json
from auditkit.types import Direction, Verdict

#: the version of the layout this module writes
FORMAT: Final = 2
#: the versions :func:`document_from_json` reads
READABLE_FORMATS = (1, 2)

_EXHIBIT = Custom(
    write=exhibit_to_json,
    read=exhibit_from_json,
    schema={
        "type": "object",
        "description": "An exhibit (table, interval plot, curves) as auditkit.exhibits writes it",
        "properties": {"kind": {"enum": ["table", "interval_plot", "curves"]}},
        "required": ["kind"],
    },
)
_CUSTOM: Mapping[Any, Custom] = {Exhibit: _EXHIBIT}


class DocumentError(AuditkitError):
    """A file is not an ``audit.json`` this auditkit can read."""


class Scale(StrEnum):
    """How a metric's values are worded."""

    #: values in [0, 1] (accuracy-like): shown as points, 0.0213 -> 2.13 pts
    FRACTION = "fraction"
    #: any other scale (a loss, a perplexity, a BLEU on 0-100): shown as they are, in ``unit``
    OWN = "own"


class AgreementKind(StrEnum):
    """What kind of answer a test of the agreement matrix gives, i.e. which numbers it has."""

    P_VALUE = "p"  #: ``p`` (with ``statistic`` and ``df`` where the test has them)
    INTERVAL = "interval"  #: ``low``/``high`` of the gain, in metric units
    SHARE = "share"  #: ``estimate`` [``low``, ``high``] of a share in [0, 1]
    DOMINANCE = "dominance"  #: ``estimate`` is ASO's ε_min
    EQUIVALENCE = "equivalence"  #: equivalence shown (improvement False) or not (None)
    UNAVAILABLE = "unavailable"  #: the test cannot answer with this many seeds (see note)
    TEXT = "text"  #: a format-1 file: only the formatted ``text`` is known


@dataclass(frozen=True, slots=True, kw_only=True)
class DataInfo:
    """The data set an audit trained and tested on."""

    name: str
    kind: str
    fingerprint: str
    #: facts the data set declares about itself (labelling rule, split statistics, pitfalls)
    metadata: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainInfo:
    """The training settings every run shares."""

    epochs: int
    batch_size: int
    lr: float
    weight_decay: float
    select_metric: str


@dataclass(frozen=True, slots=True, kw_only=True)
class DesignInfo:
    """A cross-validated design: each seed tests on one fold."""

    kind: str
    folds: int
    dev: float


@dataclass(frozen=True, slots=True, kw_only=True)
class VariantInfo:
    """One arm of the comparison."""

    name: str
    baseline: bool
    origin: str
    #: script mode: the arguments the variant adds to the command
    arguments: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedSpread:
    """Script mode: one metric's spread over the seeds of one variant."""

    variant: str
    metric: str
    n: int
    mean: float
    sd: float
    low: float
    high: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptInfo:
    """Script mode: the user's command and how the seed reached it."""

    command: str
    style: str = ""
    project: str = ""
    seed_routes: tuple[str, ...] = field(default=(), metadata={"json": "seed routes"})
    reseed: bool = False
    declared: bool = False
    data_files: Mapping[str, str] = field(default_factory=dict, metadata={"json": "data files"})
    seed_spread: tuple[SeedSpread, ...] = field(default=(), metadata={"json": "seed spread"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Experiment:
    """What was audited: the model (or runs) file, the data, the arms, the training."""

    name: str
    #: "check" (a model file, retrained), "compare" (logged runs) or "script"
    source: Literal["check", "compare", "script"] = "check"
    model_file: str
    model_sha256: str
    data: DataInfo
    design: DesignInfo | None = None
    #: variant -> "torch" / "sklearn" / "unknown"
    frameworks: Mapping[str, str] = field(default_factory=dict)
    metrics: tuple[str, ...]
    #: None when nothing was trained by auditkit (compare, script)
    train: TrainInfo | None = None
    script: ScriptInfo | None = None
    variants: tuple[VariantInfo, ...]
    baseline: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PackSettings:
    """The rule pack's decision settings."""

    seeds: int
    alpha: float
    rope: float
    confidence: float


@dataclass(frozen=True, slots=True, kw_only=True)
class RulePackInfo:
    """The rule pack an audit ran: where it came from and the hash of its file."""

    name: str
    path: str
    sha256: str
    settings: PackSettings


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleRow:
    """A rule's outcome, as computed by the verdict layer, with the params it ran with."""

    id: str
    name: str
    check: str
    severity: str
    why: str
    fix: str
    references: tuple[str, ...]
    #: pass, warn, fail, skipped or error
    outcome: str
    reason: str
    #: short preformatted facts behind the outcome
    evidence: Mapping[str, str] = field(default_factory=dict)
    #: the check's params as the pack set them (what was swept, thresholds)
    params: Mapping[str, Any] = field(default_factory=dict)
    #: typed evidence the report renders (tables, interval plots, curves)
    exhibits: tuple[Exhibit, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Resampled:
    """The fold sizes of a cross-validated design (for the corrected t-test)."""

    n_train: int
    n_test: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GainTest:
    """The test the verdict rests on: the mean paired gain, its interval and p-values."""

    mean: float
    sd: float
    low: float
    high: float
    confidence: float
    p_one_sided: float
    p_holm: float | None
    test: str
    #: the interval is a repeated confidence interval and p a sequential p-value
    sequential: bool = False
    resampled: Resampled | None = None
    #: the two-sided (1 - 2 alpha) interval TOST judges equivalence by
    equivalence_interval: tuple[float, float] | None = None
    #: t statistic and its degrees of freedom (absent in format 1)
    statistic: float | None = None
    df: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementResult:
    """One test's answer to "is the variant better?", with its numbers."""

    test: str
    #: True: an improvement; False: not one (or equivalence shown); None: cannot tell
    improvement: bool | None
    kind: AgreementKind
    note: str = ""
    p: float | None = None
    statistic: float | None = None
    df: float | None = None
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    #: format 1 only: the result as it was formatted then
    text: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionGain:
    """The gain under one perturbed condition."""

    condition: str
    rule: str = ""
    family: str = ""
    n: int | None = None
    mean: float | None
    low: float | None
    high: float | None
    status: Literal["holds", "reversed", "vanished", "inconclusive"]
    #: gain under the condition minus the nominal gain
    change: float | None = None
    #: Holm-adjusted one-sided p that the condition lowers the gain
    p_interaction: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SequentialLook:
    """One look of ``--seeds auto``."""

    n: int
    mean: float | None
    sd: float | None
    low: float | None
    high: float | None
    eq_low: float | None
    eq_high: float | None
    p_one_sided: float | None
    p_sequential: float | None
    conditional_power: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class SequentialRecord:
    """A claim's looks and why it stopped under ``--seeds auto``."""

    seeds_used: int
    stopped: str
    stopped_words: str
    decided: bool
    looks: tuple[SequentialLook, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimResult:
    """One claim: its verdict and every number behind it."""

    label: str
    variant: str
    baseline: str
    metric: str
    direction: Direction
    reported: float | None
    verdict: Verdict
    reason: str
    overstated: bool
    seeds: tuple[int, ...]
    seeds_planned: int
    failed_runs: int = 0
    #: per seed, paired: entry i of each comes from seed ``seeds[i]``
    baseline_scores: tuple[float, ...]
    variant_scores: tuple[float, ...]
    gains: tuple[float, ...]
    baseline_mean: float | None
    baseline_sd: float | None
    variant_mean: float | None
    variant_sd: float | None
    gain: GainTest | None
    agreement: tuple[AgreementResult, ...] = ()
    conditions: tuple[ConditionGain, ...] = ()
    fragile_under: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()
    seeds_needed: int | None = None
    min_detectable_effect: float | None = None
    small_sample_note: str | None = None
    sequential: SequentialRecord | None = None
    #: how the metric is worded: points for a 0-1 metric, else its own unit
    scale: Scale
    #: "pts" for :attr:`Scale.FRACTION`, else the unit (the metric's name)
    unit: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AdaptiveDesign:
    """The group-sequential design of ``--seeds auto``."""

    design: str
    min_seeds: int
    max_seeds: int
    batch: int
    looks: tuple[int, ...]
    spending: str
    futility: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfusionRecord:
    """One variant's test confusion matrix, summed over its nominal runs."""

    labels: tuple[int | str, ...]
    #: shape (n_labels, n_labels): true label (row) by predicted label (column)
    matrix: tuple[tuple[int, ...], ...]
    runs: int | None = None
    #: shape (n_labels, n_labels): each count as a share of its row (its true label's
    #: rows); 0 for a label with no rows
    shares: tuple[tuple[float, ...], ...]


def row_shares(matrix: Sequence[Sequence[int]]) -> list[list[float]]:
    """Each count of a confusion matrix as a share of its row, for :class:`ConfusionRecord`."""
    return [[c / sum(row) if sum(row) else 0.0 for c in row] for row in matrix]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunSpecRecord:
    """What one run trained: the arm, its seeds, the condition and its overrides."""

    variant: str
    init_seed: int
    order_seed: int
    condition: str
    #: (key, value) training overrides
    overrides: tuple[tuple[str, Any], ...] = ()
    transform: str = ""
    evaluations: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class CurvePoint:
    """One epoch of a run's training curve."""

    epoch: int
    train_loss: float | None
    dev_loss: float | None
    dev_metric: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """One run with its metrics (predictions stay in the run store)."""

    spec: RunSpecRecord
    run_id: str
    test_metrics: Mapping[str, float | None]
    dev_metrics: Mapping[str, float | None]
    curves: tuple[CurvePoint, ...] = ()
    best_epoch: int | None = None
    duration_s: float
    device: str
    error: str | None = None
    perturbed_metrics: Mapping[str, Mapping[str, float | None]] = field(default_factory=dict)
    perturbed_predictions: Mapping[str, tuple[Any, ...]] = field(default_factory=dict)
    #: script mode keeps the dev predictions
    dev_predictions: tuple[Any, ...] | None = None
    #: script mode: how the run was started and what it did (argv, files, seed calls)
    trace: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RunCounts:
    """How many runs the audit had, failed and reused."""

    total: int
    failed: int
    cached: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """Verdict and run counts, wall time."""

    verdicts: Mapping[str, int]
    runs: RunCounts
    wall_time_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditDocument:
    """The whole ``audit.json``: the canonical result every view is rendered from."""

    format: Literal[2] = FORMAT
    auditkit_version: str
    created_at: str
    exit_code: int
    experiment: Experiment
    rule_pack: RulePackInfo
    rules: tuple[RuleRow, ...]
    seeds: tuple[int, ...]
    adaptive: AdaptiveDesign | None = None
    claims: tuple[ClaimResult, ...]
    runs: tuple[RunRecord, ...] = ()
    confusion: Mapping[str, ConfusionRecord] = field(default_factory=dict)
    summary: Summary
    #: versions, device, git commit, command line, executor
    provenance: Mapping[str, str]


def metric_scale(metric: str, values: tuple[float, ...]) -> tuple[Scale, str]:
    """The scale and unit of a claim's metric, from its scores.

    The rule of ``verdict.gain_formatter``: a metric whose every score lies in [0, 1] is
    worded in points; any other keeps its own scale and is named by the metric.
    """
    if all(math.isfinite(v) and 0.0 <= v <= 1.0 for v in values):
        return Scale.FRACTION, "pts"
    return Scale.OWN, metric


def document_to_json(doc: AuditDocument) -> dict[str, Any]:
    """The document as JSON data; ``json.dumps`` of it is ``audit.json``."""
    out: dict[str, Any] = to_json(doc, _CUSTOM)
    return out


def dumps_document(doc: AuditDocument) -> str:
    """The text of ``audit.json``: indented, UTF-8 kept as it is, a final newline."""
    return json.dumps(document_to_json(doc), indent=2, ensure_ascii=False) + "\n"


def document_from_json(raw: Mapping[str, Any], *, source: str = "audit.json") -> AuditDocument:
    """Read a parsed ``audit.json`` (format 1 or 2) as a typed document.

    Parameters
    ----------
    raw
        The parsed JSON object.
    source
        The file name, for error messages.

    Raises
    ------
    DocumentError
        The format is not one this auditkit reads, or a field is missing or malformed
        (the message names the field).
    """
    if not isinstance(raw, Mapping):
        raise DocumentError(
            f"{source}: not an audit.json file: expected a JSON object, got {type(raw).__name__}",
            slug="bad-audit-json",
        )
    version = raw.get("format")
    if version not in READABLE_FORMATS:
        raise DocumentError(
            f"{source}: format {version!r} is not supported by this auditkit (it reads "
            f"formats {', '.join(map(str, READABLE_FORMATS))}); a newer file needs a newer "
            "auditkit: pip install -U auditkit",
            slug="bad-audit-json",
        )
    data = _upgrade_format1(raw) if version == 1 else raw
    try:
        doc: AuditDocument = from_json(AuditDocument, data, _CUSTOM)
    except CodecError as exc:
        raise DocumentError(
            f"{source}: not a valid audit.json (format {version}): {exc}. Was it written by "
            "auditkit and left unedited? Re-run the audit to write it again",
            slug="bad-audit-json",
        ) from None
    return doc


def load_document(path: str | Path) -> AuditDocument:
    """Read an ``audit.json`` file (format 1 or 2).

    Raises
    ------
    DocumentError
        The file cannot be read, is not JSON, or is not an audit.json this auditkit reads.
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DocumentError(
            f"{path}: not an audit.json file: {exc}. Pass the audit.json an audit wrote "
            "(e.g. auditkit-out/latest/audit.json)",
            slug="bad-audit-json",
        ) from None
    return document_from_json(raw, source=str(path))


def document_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the ``audit.json`` the writer writes."""
    schema = json_schema(AuditDocument, _CUSTOM)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"auditkit audit.json, format {FORMAT}",
        **schema,
    }


def _upgrade_format1(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A format-1 document in the format-2 layout.

    Format 1 stored each agreement cell as formatted text (``"p = 0.015"``): the text is
    kept, marked :attr:`AgreementKind.TEXT`, since the numbers behind it are lost. The
    metric's scale is derived from the scores, and the confusion matrices' row shares from
    their counts, as the views of format 1 did. Format 1's top-level ``reliance`` rows are
    dropped (format 2 holds them as rule exhibits).
    """
    doc = copy.deepcopy(dict(raw))
    doc["format"] = FORMAT
    for claim in doc.get("claims") or ():
        for row in claim.get("agreement") or ():
            row["kind"] = AgreementKind.TEXT.value
            row["text"] = row.pop("value", "")
        scale, unit = metric_scale(
            str(claim.get("metric")),
            (*claim.get("baseline_scores", ()), *claim.get("variant_scores", ())),
        )
        claim.setdefault("scale", scale.value)
        claim.setdefault("unit", unit)
    for record in (doc.get("confusion") or {}).values():
        record.setdefault("shares", row_shares(record["matrix"]))
    # format 1 kept the reliance rows at the top level; format 2 holds them as the AK301 and
    # AK302 findings' exhibits, which only the checks build: an old file re-renders without
    # its reliance section rather than the report computing one
    doc.pop("reliance", None)
    return doc
