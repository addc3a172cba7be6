"""Pure helpers and parameter validation of the 2xx split checks, on tiny hand-made inputs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import auditkit as ak
from auditkit.checks import AssessContext, checks
from auditkit.checks.splits import (
    DataProvenance,
    DataProvenanceParams,
    Duplicates,
    DuplicatesParams,
    NoiseCeiling,
    NoiseCeilingParams,
    ResplitParams,
    SplitShift,
    SplitShiftParams,
    chance_match_rate,
    compare_splits,
    find_duplicates,
    match_declaration,
    noise_from_metadata,
)
from auditkit.errors import ModelFileError
from auditkit.experiment import load_experiment
from auditkit.types import Claim, RunResult, RunSpec, TokenDataset, TokenSplit, TrainConfig


def split(*rows: tuple[str, int]) -> TokenSplit:
    return TokenSplit(
        ids=tuple(f"r{i}" for i in range(len(rows))),
        sequences=tuple(s for s, _ in rows),
        labels=tuple(y for _, y in rows),
    )


def dataset(
    train: TokenSplit,
    dev: TokenSplit,
    test: TokenSplit,
    metadata: Mapping[str, Any] | None = None,
    name: str = "toy",
) -> TokenDataset:
    return TokenDataset(name=name, train=train, dev=dev, test=test, metadata=metadata or {})


def context(
    data: TokenDataset,
    predictions: Mapping[str, Sequence[tuple[int, ...]]] | None = None,
    expect_data: Mapping[str, Any] | None = None,
    metrics: Mapping[str, Sequence[tuple[float, float]]] | None = None,
) -> AssessContext:
    """A context with nominal runs: per variant, test predictions (or dev/test metrics) per seed."""
    predictions = predictions or {}
    metrics = metrics or {}
    results = {}
    for variant in {*predictions, *metrics}:
        preds = predictions.get(variant, ())
        pairs = metrics.get(variant, ())
        for seed in range(max(len(preds), len(pairs))):
            dev, test = pairs[seed] if pairs else (None, None)
            results[(variant, "nominal", seed, seed)] = RunResult(
                spec=RunSpec(variant=variant, init_seed=seed, order_seed=seed),
                test_metrics={"accuracy": test} if test is not None else {},
                dev_metrics={"accuracy": dev} if dev is not None else {},
                curves=(),
                best_epoch=1,
                test_predictions=preds[seed] if preds else (),
                duration_s=0.0,
                device="cpu",
            )
    return AssessContext(
        data=data,
        claims=(Claim(variant="b", baseline="a", metric="accuracy"),),
        baseline="a",
        variants=("a", "b"),
        seeds=(0, 1, 2),
        metrics=("accuracy",),
        train=TrainConfig(),
        alpha=0.05,
        rope=0.005,
        confidence=0.95,
        results=results,
        expect_data=expect_data,
    )


BALANCED = split(("▲r ■g", 0), ("●b ◆y ▲r", 1), ("■ ■", 0), ("◆g ●", 1))


# --------------------------------------------------------------------------- registry


def test_every_split_check_is_registered_in_the_split_family() -> None:
    registry = checks()
    for name in ("split_shift", "resplit", "duplicates", "data_provenance", "noise_ceiling"):
        assert registry[name].family == "split"
        assert registry[name].origin.startswith("auditkit.checks.splits.")


@pytest.mark.parametrize(
    ("cls", "kwargs", "message"),
    [
        (SplitShiftParams, {"alpha": 0}, "alpha=0 must be a number between 0 and 1"),
        (SplitShiftParams, {"band": -1}, "band=-1 must be a positive number"),
        (SplitShiftParams, {"metric": ""}, "metric='' must be a metric name or null"),
        (ResplitParams, {"split_seed": -3}, "split_seed=-3 must be an integer >= 0"),
        (ResplitParams, {"split_seed": True}, "split_seed=True must be an integer"),
        (DuplicatesParams, {"max_hamming": 0}, "max_hamming=0 must be an integer from 1 to 3"),
        (DuplicatesParams, {"max_hamming": 4}, "max_hamming=4 must be an integer from 1 to 3"),
        (DuplicatesParams, {"max_fraction": 1.0}, "max_fraction=1.0 must be a number from 0"),
        (DataProvenanceParams, {"majority": "yes"}, "majority='yes' must be true or false"),
        (NoiseCeilingParams, {"noise": 0.7}, "noise=0.7 must be a label-noise rate from 0 to 0.5"),
        (NoiseCeilingParams, {"tolerance": -0.1}, "tolerance=-0.1 must be a number from 0"),
    ],
)
def test_params_reject_bad_values_with_the_value_in_the_message(
    cls: type, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        cls(**kwargs)


# --------------------------------------------------------------------------- compare_splits


def test_compare_splits_finds_nothing_between_a_split_and_itself() -> None:
    rows = compare_splits(BALANCED, BALANCED)
    assert [r.name for r in rows] == ["label rate", "length", "shape variety", "colour variety"]
    assert all(r.p_value == pytest.approx(1.0) for r in rows)
    assert rows[0].first == rows[0].second == 0.5
    assert rows[1].first == pytest.approx(2.25)  # (2 + 3 + 2 + 2) / 4 tokens


def test_compare_splits_detects_a_length_shift_and_a_label_shift() -> None:
    short = split(*[("▲r ■g", i % 2) for i in range(40)])
    long = split(*[("▲r ■g ●b ◆y ▲r ■g", 1) for _ in range(40)])
    label, length, shape, colour = compare_splits(short, long)
    assert label.test == "chi-square" and label.p_value < 1e-4
    assert (label.first, label.second) == (0.5, 1.0)
    assert length.p_value < 1e-10 and (length.first, length.second) == (2.0, 6.0)
    assert shape.p_value < 1e-10 and colour.p_value < 1e-10


def test_compare_splits_uses_fisher_for_small_counts_and_copes_with_no_colour() -> None:
    a = split(("▲ ■", 0), ("● ◆", 1), ("▲", 0))
    b = split(("▲ ■", 1), ("●", 1))
    label, _, _, colour = compare_splits(a, b)
    assert label.test == "Fisher exact"
    assert colour.first == colour.second == 0.0 and colour.p_value == 1.0


# --------------------------------------------------------------------------- duplicates


def test_find_duplicates_exact_near_and_conflicting_labels() -> None:
    train = split(("▲r ■g ●b", 0), ("◆y ◆y", 1), ("▲ ▲ ▲ ▲", 0))
    test = split(
        ("▲r ■g ●b", 1),  # exact copy of train 0, other label
        ("◆y ◆g", 1),  # one token from train 1
        ("▲ ■ ■ ▲", 0),  # two tokens from train 2
        ("▲r ■g", 0),  # a prefix of train 0, so never near it; two tokens from train 1
    )
    scan = find_duplicates(train, test)
    assert scan.exact == ((0, 0),)
    assert scan.conflicting == 1
    assert scan.near == ((1, 1, 1),)
    wider = find_duplicates(train, test, max_hamming=2)
    assert wider.near == ((1, 1, 1), (2, 2, 2), (3, 1, 2))
    with pytest.raises(ValueError, match="max_hamming=5"):
        find_duplicates(train, test, max_hamming=5)


def test_find_duplicates_scales_without_comparing_all_pairs() -> None:
    data = ak.datasets.spr(
        rule="shape_count", n_train=3000, n_dev=10, n_test=3000, length=(6, 10), seed=1
    )
    scan = find_duplicates(data.train, data.test, max_hamming=2)
    assert scan.exact == ()  # the generator never repeats a sequence
    assert all(1 <= d <= 2 for _, _, d in scan.near)


def test_chance_match_rate_matches_a_hand_computed_space() -> None:
    # two equally frequent tokens, length 2: 4 sequences; one reference row
    reference = split(("▲ ■", 0))
    query = split(("■ ▲", 0), ("■ ▲", 1))
    # q = 0.5; exact: 0.25 per pair; within 1: 0.25 + 2 * 0.5 * 0.5 = 0.75
    assert chance_match_rate(reference, query) == pytest.approx(0.25)
    assert chance_match_rate(reference, query, max_hamming=1) == pytest.approx(0.75)
    assert chance_match_rate(reference, split()) == 0.0


def test_duplicates_check_fails_and_invalidates_on_an_exact_copy() -> None:
    train = split(("▲r ■g ●b", 0), ("◆y ◆y", 1))
    test = split(("▲r ■g ●b", 0), ("●y ●y ●y", 1))
    finding = Duplicates().assess(context(dataset(train, BALANCED, test)), DuplicatesParams())
    assert finding.outcome == "fail"
    assert finding.reason.startswith("1 of 2 test rows (50.0%) also appear in train")
    # no stored predictions to recompute the gain on unseen rows: invalid by the count,
    # which the wording compares with the chance rate
    assert finding.invalid == {
        0: (
            "test leakage: 1 of 2 test rows (50.0%) also appear in train, against about 0.9% "
            "by chance",
        )
    }


# --------------------------------------------------------------------------- split shift


def test_split_shift_warns_on_a_gap_without_a_distribution_shift() -> None:
    # 400 rows per split: the split-sampling part of the band is about ±3.4 pts per sd
    rows = list(zip(BALANCED.sequences, BALANCED.labels, strict=True))
    big = split(*(rows * 100))
    data = dataset(big, big, big)
    runs = {v: [(0.99, 0.60), (0.98, 0.61), (0.99, 0.62)] for v in ("a", "b")}
    finding = SplitShift().assess(context(data, metrics=runs), SplitShiftParams())
    assert finding.outcome == "warn"
    assert finding.reason.startswith("a scores +37.67 pts accuracy on dev relative to test")
    gap = finding.evidence["a dev − test accuracy"]
    assert gap.startswith("+37.67 pts over 3 seeds; band ±")


# --------------------------------------------------------------------------- provenance


def test_match_declaration_names_every_mismatch() -> None:
    data = dataset(
        BALANCED,
        BALANCED,
        BALANCED,
        metadata={"source": "/data/SPR_BENCH", "files": {"train": {"sha256": "a" * 64}}},
        name="spr_csv('SPR_BENCH')",
    )
    assert match_declaration(data, {"source": "SPR_BENCH", "rows": {"train": 4}}) == ()
    assert match_declaration(data, {"sha256": data.fingerprint()}) == ()
    problems = match_declaration(
        data,
        {"source": "LYGES", "rows": {"dev": 500}, "sha256": {"train": "b" * 64}},
    )
    assert problems == (
        "the data comes from '/data/SPR_BENCH', not from the declared source 'LYGES'",
        "dev has 4 rows, not the 500 declared",
        "train.csv has SHA-256 aaaaaaaaaaaa…, not the declared bbbbbbbbbbbb…",
    )


def test_generated_data_is_fine_only_when_no_source_is_declared() -> None:
    toy = dataset(BALANCED, BALANCED, BALANCED, metadata={"generator": "auditkit.datasets.spr"})
    assert match_declaration(toy, {"rows": {"train": 4}}) == ()
    assert "fell back to synthetic data" in match_declaration(toy, {"generator_ok": False})[0]
    assert match_declaration(toy, {"source": "toy", "generator_ok": True}) == ()


def test_provenance_fails_when_every_variant_is_below_the_majority_class() -> None:
    skewed = split(("▲", 1), ("■", 1), ("●", 1), ("◆", 0))
    data = dataset(skewed, skewed, skewed)
    # always predicting 1 scores 75%; both variants score 25-50%
    predictions = {
        "a": [(0, 0, 0, 0), (0, 1, 0, 0), (0, 0, 0, 0)],
        "b": [(0, 0, 1, 0), (0, 0, 0, 0), (0, 0, 0, 0)],
    }
    finding = DataProvenance().assess(context(data, predictions), DataProvenanceParams())
    assert finding.outcome == "fail"
    assert "every variant scores below the 75.0% majority-class baseline" in finding.reason
    assert finding.invalid[0][0].startswith("the data used is not the data declared")
    off = DataProvenance().assess(context(data, predictions), DataProvenanceParams(majority=False))
    # nothing declared: provenance is not checked, so it is not a pass (issue 15)
    assert off.outcome == "skipped"
    assert "nothing was declared, so provenance is not checked" in off.reason


def test_provenance_fails_when_evaluation_scored_a_subsample() -> None:
    data = dataset(BALANCED, BALANCED, BALANCED)
    predictions: dict[str, list[tuple[int, ...]]] = {"a": [(0, 1, 0, 1)] * 3, "b": [(0, 1)] * 3}
    finding = DataProvenance().assess(context(data, predictions), DataProvenanceParams())
    assert finding.outcome == "fail"
    assert "evaluation scored a different number of test rows than the split's 4" in finding.reason


def test_provenance_reads_runs_without_predictions_as_unknown_not_short() -> None:
    # a script run that writes no predictions.csv reports its accuracy only
    data = dataset(BALANCED, BALANCED, BALANCED)
    metrics = {"a": [(0.9, 0.75)] * 3, "b": [(0.9, 0.75)] * 3}
    finding = DataProvenance().assess(context(data, metrics=metrics), DataProvenanceParams())
    # nothing was declared, so provenance is not checked (skipped), and no run is "short"
    assert finding.outcome == "skipped", finding.reason
    assert "different number of test rows" not in finding.reason
    # ... and the reported accuracy still meets the majority-class comparison
    skewed = split(("▲", 1), ("■", 1), ("●", 1), ("◆", 0))
    low = {"a": [(0.3, 0.25), (0.3, 0.26), (0.3, 0.25)], "b": [(0.3, 0.25)] * 3}
    found = DataProvenance().assess(
        context(dataset(skewed, skewed, skewed), metrics=low), DataProvenanceParams()
    )
    assert found.outcome == "fail" and "below the 75.0% majority-class baseline" in found.reason


# --------------------------------------------------------------------------- noise ceiling


def test_noise_from_metadata_reads_the_generators_ground_truth() -> None:
    data = ak.datasets.spr(
        rule="shape_count",
        n_train=40,
        n_dev=20,
        n_test=40,
        length=(4, 8),
        seed=0,
        label_noise={"train": 0.1, "test": 0.25},
    )
    found = noise_from_metadata(data)
    assert found is not None and found.rate == pytest.approx(0.25)
    assert found.origin == "the generator's ground truth (label_noise)"
    clean = ak.datasets.spr(rule="shape_count", n_train=40, n_dev=20, n_test=40, length=(4, 8))
    assert noise_from_metadata(clean) is None


def test_noise_from_metadata_reads_a_rate_in_the_source_path() -> None:
    data = dataset(BALANCED, BALANCED, BALANCED, metadata={"source": "/x/noise-30%/SPR_flip_all"})
    found = noise_from_metadata(data)
    assert found is not None and math.isclose(found.rate, 0.3)
    assert found.origin == "the data's path ('noise-30%')"


def test_noise_ceiling_is_skipped_without_a_noise_estimate() -> None:
    finding = NoiseCeiling().assess(
        context(dataset(BALANCED, BALANCED, BALANCED)), NoiseCeilingParams()
    )
    assert finding.outcome == "skipped"
    assert "set params.noise" in finding.reason


def test_noise_ceiling_warns_when_only_the_mean_is_above() -> None:
    data = dataset(BALANCED, BALANCED, BALANCED)
    # accuracies 100%, 100%, 50%: mean 83% above 0.5 + 0.02, interval reaching far below
    predictions = {"a": [(0, 1, 0, 1), (0, 1, 0, 1), (1, 1, 0, 0)]}
    finding = NoiseCeiling().assess(context(data, predictions), NoiseCeilingParams(noise=0.5))
    assert finding.outcome == "warn"
    assert finding.reason.startswith("mean test accuracy a 83.3% is above the 50.0% ceiling")


# --------------------------------------------------------------------------- expect_data


MODEL = """
import auditkit as ak
exp = ak.Experiment(
    "e",
    data=ak.datasets.spr(rule="shape_count", n_train=20, n_dev=10, n_test=10, length=(4, 6)),
    expect_data={expect},
)

@exp.variant(baseline=True)
def a(info):
    return None

@exp.variant
def b(info):
    return None

exp.claim("b", metric="accuracy")
"""


def test_expect_data_reaches_the_experiment_spec(tmp_path: Path) -> None:
    path = tmp_path / "model.py"
    path.write_text(
        MODEL.format(expect='{"source": "SPR_BENCH", "rows": {"train": 20}}'), encoding="utf-8"
    )
    spec = load_experiment(path)
    assert spec.expect_data == {"source": "SPR_BENCH", "rows": {"train": 20}}


@pytest.mark.parametrize(
    ("expect", "message"),
    [
        ('{"sorce": "x"}', "unknown key 'sorce'. Did you mean 'source'?"),
        ('{"rows": {"val": 3}}', "rows={'val': 3} must map split names"),
        ('{"sha256": "abc"}', "sha256='abc' must be the dataset fingerprint"),
        ('{"generator_ok": 1}', "generator_ok=1 must be True or False"),
        ('["SPR_BENCH"]', "must be a mapping, got list"),
    ],
)
def test_bad_expect_data_is_a_model_file_error(tmp_path: Path, expect: str, message: str) -> None:
    path = tmp_path / "model.py"
    path.write_text(MODEL.format(expect=expect), encoding="utf-8")
    with pytest.raises(ModelFileError) as info:
        load_experiment(path)
    assert message in str(info.value)
    assert "model.py:3" in str(info.value)


# --------------------------------------------------------------------------- array data


def test_array_duplicates_exact_near_and_conflicting() -> None:
    from auditkit.checks.splits import find_array_duplicates
    from auditkit.types import ArraySplit

    train = ArraySplit(inputs=[[0.1, 0.2], [0.5, 0.5], [0.9, 0.1]], labels=[0, 1, 0])
    test = ArraySplit(
        inputs=[[0.1, 0.2], [0.501, 0.499], [0.3, 0.3], [0.9, 0.1]], labels=[0, 1, 1, 1]
    )
    scan = find_array_duplicates(train, test)
    assert scan.exact == ((0, 0), (3, 2))
    assert scan.near == ((1, 1, 1),)  # equal to 2 decimal places
    assert scan.conflicting == 1  # test row 3 copies train row 2 with another label


def test_array_splits_compare_labels_and_input_statistics() -> None:
    from auditkit.checks.splits import compare_array_splits
    from auditkit.types import ArraySplit

    rng = np.random.default_rng(0)
    dark = ArraySplit(inputs=rng.random((80, 3, 4, 4)) * 0.5, labels=np.arange(80) % 2)
    bright = ArraySplit(inputs=0.5 + rng.random((80, 3, 4, 4)) * 0.5, labels=np.arange(80) % 2)
    rows = {c.name: c for c in compare_array_splits(dark, bright, "images")}
    assert set(rows) == {"label rate", "brightness", "saturation"}
    assert rows["brightness"].p_value < 1e-6 and rows["label rate"].p_value == 1.0
    same = {c.name: c for c in compare_array_splits(dark, dark, "images")}
    assert same["brightness"].p_value > 0.9
    wide = ArraySplit(inputs=rng.normal(size=(30, 25)), labels=np.arange(30) % 2)
    narrow = ArraySplit(inputs=rng.normal(size=(30, 3)), labels=np.arange(30) % 2)
    assert [c.name for c in compare_array_splits(wide, wide, "features")] == [
        "label rate",
        "feature mean",
        "feature sd",
    ]
    named = compare_array_splits(narrow, narrow, "features", names=("age", "bmi", "bp"))
    assert [c.name for c in named][1:] == ["feature age", "feature bmi", "feature bp"]


# --------------------------------------------------------------------------- AK103 on solved tasks


def test_seed_override_does_not_flag_a_model_that_solves_the_test_split() -> None:
    from auditkit.checks.seeds import SeedOverrideParams

    part = split(("▲r", 0), ("■g", 1), ("●b", 1))
    data = dataset(part, part, part)
    check = checks()["seed_override"].impl
    # every seed predicts every test row correctly: identical, and no evidence of re-seeding
    solved = check.assess(context(data, {"a": [(0, 1, 1)] * 3}), SeedOverrideParams())
    assert solved.outcome == "pass"
    assert "every seed predicts every test row correctly" in solved.evidence["a"]
    # identical but wrong predictions are the re-seeding symptom
    stuck = check.assess(context(data, {"a": [(0, 0, 1)] * 3}), SeedOverrideParams())
    assert stuck.outcome == "fail"
    assert stuck.reason.startswith("a: its 3 seeds give identical predictions")


def test_seed_override_names_only_each_claims_own_arms() -> None:
    # issue 15: a claim's reason repeated another variant's seed problem
    import dataclasses

    from auditkit.checks.seeds import SeedOverrideParams

    part = split(("▲r", 0), ("■g", 1), ("●b", 1))
    data = dataset(part, part, part)
    stuck = {v: [(0, 0, 1)] * 3 for v in ("b", "c")}
    varied = {"a": [(0, 1, 0), (1, 0, 1), (0, 0, 0)]}
    ctx = dataclasses.replace(
        context(data, {**stuck, **varied}),
        claims=(
            Claim(variant="b", baseline="a", metric="accuracy"),
            Claim(variant="c", baseline="a", metric="accuracy"),
        ),
        variants=("a", "b", "c"),
    )
    found = checks()["seed_override"].impl.assess(ctx, SeedOverrideParams())
    assert found.outcome == "fail"
    (first,), (second,) = found.invalid[0], found.invalid[1]
    assert first.startswith("b: its 3 seeds give identical predictions") and "c:" not in first
    assert second.startswith("c: its 3 seeds give identical predictions") and "b:" not in second


# --------------------------------------------------------------------------- AK201 association


def _flagged(data: Any, drop: float = 0.1) -> list[str]:
    from auditkit.checks.splits import association_shift

    found = association_shift(data)
    return [a.name for a in found if a.p_value < 0.05 / len(found) and abs(a.dev - a.test) >= drop]


def test_association_shift_finds_a_train_dev_only_token_cue_from_data_alone() -> None:
    import auditkit as ak

    options: dict[str, Any] = {"rule": "shape_count", "n_train": 400, "n_dev": 150}
    options.update(n_test=300, length=(4, 8), seed=2)
    for strength in (0.95, 1.0):
        cue = ak.datasets.Shortcut(factor="color", position=-1, strength=strength)
        planted = ak.datasets.spr(**options, shortcut=cue)
        assert "colour at position -1" in _flagged(planted), strength
    everywhere = ak.datasets.Shortcut(
        factor="color", position=-1, strength=0.95, splits=("train", "dev", "test")
    )
    assert _flagged(ak.datasets.spr(**options, shortcut=everywhere)) == []
    assert _flagged(ak.datasets.spr(**options)) == []


def test_association_shift_finds_a_train_dev_only_feature() -> None:
    from auditkit.types import ArraySplit, FeatureDataset

    rng = np.random.default_rng(0)

    def part(n: int, cue: bool) -> ArraySplit:
        y = rng.integers(0, 2, n)
        signal = y + rng.normal(0, 0.8, n)  # a real, weak feature in every split
        shortcut = np.where(rng.random(n) < 0.95, y, 1 - y) if cue else rng.integers(0, 2, n)
        x = np.column_stack([signal, shortcut, rng.normal(size=n)]).astype(np.float32)
        return ArraySplit(inputs=x, labels=y.astype(np.int64))

    names = ("signal", "leaky", "noise")
    planted = FeatureDataset(
        name="f", train=part(400, True), dev=part(200, True), test=part(300, False),
        feature_names=names,
    )  # fmt: skip
    assert _flagged(planted) == ["feature leaky"]
    clean = FeatureDataset(
        name="f", train=part(400, True), dev=part(200, True), test=part(300, True),
        feature_names=names,
    )  # fmt: skip
    assert _flagged(clean) == []
