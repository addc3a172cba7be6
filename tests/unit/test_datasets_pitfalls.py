"""Tests of the pitfalls the SPR generator can plant, and of the ground truth it records."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

from auditkit.datasets import RULES, FlipHighVariety, Leak, Shift, Shortcut, spr
from auditkit.datasets.tokens import color_variety, parse_token, shape_variety
from auditkit.errors import DataError
from auditkit.types import SPLITS, TokenDataset

SIZES: dict[str, Any] = {"n_train": 2000, "n_dev": 1000, "n_test": 1000}
SMALL: dict[str, Any] = {"n_train": 200, "n_dev": 60, "n_test": 80}


def pitfall(data: TokenDataset, kind: str) -> dict[str, Any]:
    records: list[dict[str, Any]] = [p for p in data.metadata["pitfalls"] if p["kind"] == kind]
    (record,) = records
    return record


def rule_labels(data: TokenDataset, split: str) -> list[int]:
    rule = RULES[data.metadata["rule"]["name"]]
    return [rule.label(s) for s in data.split(split).sequences]  # type: ignore[arg-type]


def wrong_ids(data: TokenDataset, split: str) -> set[str]:
    """Ids of the rows whose label is not the rule's label."""
    part = data.split(split)  # type: ignore[arg-type]
    truth = rule_labels(data, split)
    return {i for i, y, t in zip(part.ids, part.labels, truth, strict=True) if y != t}


def cue_agreement(data: TokenDataset, split: str, position: int, factor: str) -> float:
    symbols = Shortcut(factor=factor).symbol_by_label  # type: ignore[arg-type]
    part = data.split(split)  # type: ignore[arg-type]
    hits = 0
    for sequence, label in zip(part.sequences, part.labels, strict=True):
        shape, color = parse_token(sequence.split()[position])
        hits += (shape if factor == "shape" else color) == symbols[label]
    return hits / len(part)


def by_id(data: TokenDataset, split: str) -> dict[str, tuple[str, int]]:
    part = data.split(split)  # type: ignore[arg-type]
    return {i: (s, y) for i, s, y in zip(part.ids, part.sequences, part.labels, strict=True)}


def metadata_digest(data: TokenDataset) -> str:
    text = json.dumps(data.metadata, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# --------------------------------------------------------------------------- off by default

#: computed with the generator as it was before pitfalls existed (commit edf2779):
#: (arguments, dataset fingerprint, sha256 of the sorted-key JSON metadata, name)
BEFORE_PITFALLS: list[tuple[dict[str, Any], str, str, str]] = [
    (
        {},
        "66f8c6f027e1d5a5ae46af248ec3ea96c7ba7c6b4b30ec6b461ba19ce7d8da2d",
        "456ffea154292c902848f6589ebb97174b04b87dd35f225ff22ea4de124eebb6",
        "spr(rule='spr_like', seed=0)",
    ),
    (
        {"rule": "shape_count", "n_train": 300, "n_dev": 100, "n_test": 120, "seed": 3},
        "f10ac428b58ec3b976006b12fe1bd53205845b6f1703a9dbe36fc54381a7e1f8",
        "67478f72f6694a20a04b0d24d01a22431dd50d44c0c9da5f43489bc3ce96851b",
        "spr(rule='shape_count', seed=3, n_train=300, n_dev=100, n_test=120)",
    ),
    (
        {"rule": "color_position", "n_train": 300, "n_dev": 100, "n_test": 120},
        "95d29975f823540026a0ca08a5bfa73fb5844a426d413b032160b6a2d170793a",
        "f0eaf40c35ecac14356180a92ce164ac7a0c2703fc55070054e0dcf0313735ad",
        "spr(rule='color_position', seed=0, n_train=300, n_dev=100, n_test=120)",
    ),
    (
        {
            "rule": "shape_count",
            "n_train": 200,
            "n_dev": 50,
            "n_test": 50,
            "length": 8,
            "p_color": 0.5,
        },
        "fca46b2fc202925e7a028f96f838f0dd231de176055d229fdde24bb93ee6d119",
        "9655a1b64d6c2b480ab2e3958fd68768cd03187ca1d3a335de717ec0a70a6583",
        "spr(rule='shape_count', seed=0, n_train=200, n_dev=50, n_test=50, length=(8, 8), "
        "p_color=0.5)",
    ),
    (
        {"n_train": 4000, "n_dev": 1000, "n_test": 1000, "seed": 7},
        "33625e122dd1bb3e7d12d670bcea28a618e97d8d5ae96e3e2806e825f5b3f943",
        "87c113b73fe0b2da4881e06e8451126990ccf34eb34982f2086fc2692367a255",
        "spr(rule='spr_like', seed=7, n_train=4000, n_dev=1000)",
    ),
]


@pytest.mark.parametrize(
    ("kwargs", "fingerprint", "meta", "name"), BEFORE_PITFALLS, ids=[c[3] for c in BEFORE_PITFALLS]
)
def test_defaults_give_the_dataset_of_the_clean_generator_byte_for_byte(
    kwargs: dict[str, Any], fingerprint: str, meta: str, name: str
) -> None:
    data = spr(**kwargs)
    assert data.fingerprint() == fingerprint
    assert metadata_digest(data) == meta
    assert data.name == name
    assert data.metadata["pitfalls"] == []


def test_explicit_none_options_are_the_defaults() -> None:
    off: dict[str, Any] = {
        "shortcut": None,
        "label_noise": None,
        "flip_high_variety": None,
        "shift": None,
    }
    assert spr(**SMALL, **off, leak=None) == spr(**SMALL)


# --------------------------------------------------------------------------- shortcut


@pytest.fixture(scope="module")
def shortcut_data() -> TokenDataset:
    return spr("shape_count", **SIZES, seed=1, shortcut=Shortcut())


def test_shortcut_agrees_with_the_label_in_listed_splits_only(
    shortcut_data: TokenDataset,
) -> None:
    record = pitfall(shortcut_data, "shortcut")
    assert record["symbol_by_label"] == ["g", "r"]  # colour r means label 1
    assert record["splits"] == ["train", "dev"]
    for split in SPLITS:
        measured = cue_agreement(shortcut_data, split, -1, "color")
        assert record["agreement"][split] == pytest.approx(measured)
    assert record["agreement"]["train"] == 1.0
    assert record["agreement"]["dev"] == 1.0
    assert abs(record["agreement"]["test"] - 0.5) < 0.06
    for split in SPLITS:
        assert 0 < record["n_changed"][split] <= len(shortcut_data.split(split))


def test_shortcut_token_has_the_same_marginal_in_every_split(shortcut_data: TokenDataset) -> None:
    # only the link to the label differs; the cue's symbols are the same everywhere
    for split in SPLITS:
        last = [s.split()[-1][1] for s in shortcut_data.split(split).sequences]
        assert set(last) == {"g", "r"}
        assert 0.4 < last.count("r") / len(last) < 0.6


def test_shortcut_keeps_rule_labels_balance_and_distinct_rows(
    shortcut_data: TokenDataset,
) -> None:
    for split in SPLITS:
        part = shortcut_data.split(split)
        assert list(part.labels) == rule_labels(shortcut_data, split)
        assert part.labels.count(1) == len(part) // 2
    sequences = [s for split in SPLITS for s in shortcut_data.split(split).sequences]
    assert len(sequences) == len(set(sequences))


def test_partial_shortcut_strength_is_achieved() -> None:
    data = spr("shape_order", **SIZES, shortcut=Shortcut(strength=0.75, splits=("train",)))
    record = pitfall(data, "shortcut")
    assert abs(record["agreement"]["train"] - 0.75) < 0.04
    for split in ("dev", "test"):
        assert abs(record["agreement"][split] - 0.5) < 0.06
    assert list(data.train.labels) == rule_labels(data, "train")


def test_shape_shortcut_on_a_colour_rule() -> None:
    data = spr("color_parity", **SIZES, shortcut=Shortcut(factor="shape", position=0))
    record = pitfall(data, "shortcut")
    assert record["symbol_by_label"] == ["■", "▲"]
    assert record["agreement"]["train"] == cue_agreement(data, "train", 0, "shape") == 1.0
    assert abs(cue_agreement(data, "test", 0, "shape") - 0.5) < 0.06
    for split in SPLITS:
        assert list(data.split(split).labels) == rule_labels(data, split)


def test_custom_shortcut_symbols_and_position() -> None:
    data = spr(
        "shape_count",
        **SMALL,
        shortcut=Shortcut(position=2, symbols=("b", "y"), splits=["dev"]),  # type: ignore[arg-type]
    )
    record = pitfall(data, "shortcut")
    assert record["splits"] == ["dev"]
    assert all(s.split()[2][1] in "by" for s in data.train.sequences)
    assert all(
        s.split()[2][1] == "by"[y] for s, y in zip(data.dev.sequences, data.dev.labels, strict=True)
    )


# --------------------------------------------------------------------------- label noise


@pytest.fixture(scope="module")
def noisy_data() -> TokenDataset:
    return spr("spr_like", **SIZES, label_noise={"test": 0.3, "train": 0.1, "dev": 0.0})


def test_label_noise_flips_the_exact_count_and_records_the_rows(noisy_data: TokenDataset) -> None:
    record = pitfall(noisy_data, "label_noise")
    assert record["rates"] == {"train": 0.1, "dev": 0.0, "test": 0.3}  # split order
    for split, rate in record["rates"].items():
        n = len(noisy_data.split(split))
        entry = record["splits"][split]
        assert entry["n_flipped"] == round(rate * n) == len(entry["flipped_ids"])
        assert set(entry["flipped_ids"]) == wrong_ids(noisy_data, split)
        assert entry["accuracy_ceiling"] == pytest.approx(1 - rate)
        # flips are drawn half from each class, so the split stays balanced
        assert noisy_data.split(split).labels.count(1) == n // 2


def test_label_noise_leaves_unlisted_splits_clean() -> None:
    data = spr("shape_count", **SMALL, label_noise={"dev": 0.25})
    assert list(pitfall(data, "label_noise")["splits"]) == ["dev"]
    assert len(wrong_ids(data, "dev")) == 15
    assert wrong_ids(data, "train") == wrong_ids(data, "test") == set()
    # the candidates are those of the clean dataset: noise only relabels
    assert data.dev.sequences == spr("shape_count", **SMALL).dev.sequences


# --------------------------------------------------------------------------- high-variety flips


@pytest.mark.parametrize(("factor", "k"), [("color", 3), ("shape", 4)])
def test_exactly_the_high_variety_rows_are_flipped(factor: str, k: int) -> None:
    option = FlipHighVariety(split="test", factor=factor, min_variety=k)  # type: ignore[arg-type]
    data = spr("shape_order", **SIZES, length=(3, 6), flip_high_variety=option)
    record = pitfall(data, "flip_high_variety")
    variety = color_variety if factor == "color" else shape_variety
    high = {i for i, s in zip(data.test.ids, data.test.sequences, strict=True) if variety(s) >= k}
    assert set(record["flipped_ids"]) == wrong_ids(data, "test") == high
    assert 0 < record["n_flipped"] == len(high) < len(data.test)
    assert record["accuracy_ceiling"] == 1 - len(high) / len(data.test)
    assert wrong_ids(data, "train") == wrong_ids(data, "dev") == set()


def test_label_noise_never_reflips_high_variety_rows() -> None:
    data = spr(
        "shape_order",
        **SIZES,
        length=(3, 6),
        flip_high_variety=FlipHighVariety(split="test", min_variety=3),
        label_noise={"test": 0.1},
    )
    high = set(pitfall(data, "flip_high_variety")["flipped_ids"])
    noisy = set(pitfall(data, "label_noise")["splits"]["test"]["flipped_ids"])
    assert len(noisy) == 100
    assert not high & noisy
    assert wrong_ids(data, "test") == high | noisy


# --------------------------------------------------------------------------- shift


def test_length_shift_changes_one_split_only() -> None:
    data = spr("spr_like", **SIZES, shift=Shift(split="test", by="length", range=(13, 16)))
    record = pitfall(data, "shift")
    assert all(13 <= len(s.split()) <= 16 for s in data.test.sequences)
    for split in ("train", "dev"):
        assert all(6 <= len(s.split()) <= 12 for s in data.split(split).sequences)
    assert record["in_range"] == {"train": 0.0, "dev": 0.0, "test": 1.0}
    assert record["mean"]["test"] == data.metadata["splits"]["test"]["mean_length"]
    for split in SPLITS:
        assert list(data.split(split).labels) == rule_labels(data, split)


@pytest.mark.parametrize(
    ("by", "span", "measure"),
    [("shape_variety", (4, 4), shape_variety), ("color_variety", (1, 2), color_variety)],
)
def test_variety_shift_keeps_only_sequences_in_range(
    by: str, span: tuple[int, int], measure: Callable[[str], int]
) -> None:
    data = spr("shape_count", **SIZES, shift=Shift(split="dev", by=by, range=span))  # type: ignore[arg-type]
    lo, hi = span
    assert all(lo <= measure(s) <= hi for s in data.dev.sequences)
    record = pitfall(data, "shift")
    assert record["in_range"]["dev"] == 1.0
    for split in ("train", "test"):
        inside = sum(lo <= measure(s) <= hi for s in data.split(split).sequences)
        assert inside / len(data.split(split)) == record["in_range"][split] < 0.9
    assert data.dev.labels.count(1) == 500
    assert list(data.dev.labels) == rule_labels(data, "dev")


# --------------------------------------------------------------------------- leak


@pytest.fixture(scope="module")
def leaky_data() -> TokenDataset:
    return spr("spr_like", **SIZES, leak=Leak(fraction=0.2))


def test_leaked_rows_are_exactly_the_rows_in_both_train_and_test(
    leaky_data: TokenDataset,
) -> None:
    record = pitfall(leaky_data, "leak")
    assert record["n_duplicates"] == 200 == len(record["pairs"])
    train, test = by_id(leaky_data, "train"), by_id(leaky_data, "test")
    for train_id, test_id in record["pairs"]:
        assert train[train_id] == test[test_id]  # same sequence and same label
    leaked = {test[test_id][0] for _, test_id in record["pairs"]}
    assert set(leaky_data.train.sequences) & set(leaky_data.test.sequences) == leaked
    # the no-duplicates guarantee still holds everywhere else
    assert len(set(leaky_data.train.sequences)) == len(leaky_data.train)
    assert not set(leaky_data.dev.sequences) & (
        set(leaky_data.train.sequences) | set(leaky_data.test.sequences)
    )


def test_leak_keeps_train_size_balance_and_test_untouched(leaky_data: TokenDataset) -> None:
    clean = spr("spr_like", **SIZES)
    assert len(leaky_data.train) == 2000
    assert leaky_data.train.labels.count(1) == 1000
    assert pitfall(leaky_data, "leak")["train_label_rate"] == 0.5
    assert leaky_data.test == clean.test
    assert leaky_data.dev == clean.dev
    assert (
        sum(a != b for a, b in zip(leaky_data.train.sequences, clean.train.sequences, strict=True))
        == 200
    )


def test_leak_copies_noisy_test_labels_and_counts_them() -> None:
    data = spr("shape_count", **SIZES, label_noise={"test": 0.3}, leak=Leak(fraction=0.5))
    record = pitfall(data, "leak")
    noisy = set(pitfall(data, "label_noise")["splits"]["test"]["flipped_ids"])
    assert record["n_flipped_labels"] == sum(t in noisy for _, t in record["pairs"]) > 0


def test_leak_from_a_longer_shifted_test_split() -> None:
    data = spr(
        "shape_count", **SMALL, shift=Shift(by="length", range=(14, 15)), leak=Leak(fraction=0.5)
    )
    assert sum(len(s.split()) >= 14 for s in data.train.sequences) == 40
    assert pitfall(data, "shift")["in_range"]["train"] == 40 / 200


# --------------------------------------------------------------------------- all together


EVERYTHING: dict[str, Any] = {
    "shortcut": Shortcut(),
    "label_noise": {"train": 0.1, "test": 0.05},
    "flip_high_variety": FlipHighVariety(split="dev", factor="shape", min_variety=4),
    "shift": Shift(split="test", by="length", range=(13, 16)),
    "leak": Leak(fraction=0.2),
}


def test_every_pitfall_at_once_is_deterministic_and_json_ready() -> None:
    a = spr("shape_count", **SIZES, seed=4, **EVERYTHING)
    b = spr("shape_count", **SIZES, seed=4, **EVERYTHING)
    assert a.fingerprint() == b.fingerprint()
    assert metadata_digest(a) == metadata_digest(b)
    assert [p["kind"] for p in a.metadata["pitfalls"]] == [
        "shift",
        "shortcut",
        "flip_high_variety",
        "label_noise",
        "leak",
    ]
    assert a.name == (
        "spr(rule='shape_count', seed=4, n_dev=1000, "
        "pitfalls=shift+shortcut+flip_high_variety+label_noise+leak)"
    )
    assert spr("shape_count", **SIZES, seed=5, **EVERYTHING).fingerprint() != a.fingerprint()
    # every label that is not the rule's is accounted for by a flip record
    noise = pitfall(a, "label_noise")["splits"]
    assert wrong_ids(a, "dev") == set(pitfall(a, "flip_high_variety")["flipped_ids"])
    wrong_test = wrong_ids(a, "test")
    assert wrong_test == set(noise["test"]["flipped_ids"])
    leaked_wrong = {tr for tr, te in pitfall(a, "leak")["pairs"] if te in wrong_test}
    assert wrong_ids(a, "train") == set(noise["train"]["flipped_ids"]) | leaked_wrong


@pytest.mark.parametrize("option", sorted(EVERYTHING))
def test_each_pitfall_is_fast(option: str) -> None:
    spr(**SMALL)  # warm up
    start = time.perf_counter()
    spr("shape_count", n_train=4000, n_dev=1000, n_test=1000, **{option: EVERYTHING[option]})
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0, f"spr(..., {option}=...) took {elapsed:.2f} s"


# --------------------------------------------------------------------------- bad options


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda: Shortcut(factor="size"), ["Shortcut(factor='size')", "'shape' or 'color'"]),  # type: ignore[arg-type]
        (lambda: Shortcut(position=1.0), ["Shortcut(position=1.0)", "integer"]),  # type: ignore[arg-type]
        (lambda: Shortcut(strength=1.5), ["Shortcut(strength=1.5)", "from 0 to 1"]),
        (lambda: Shortcut(strength=float("nan")), ["strength=nan"]),
        (lambda: Shortcut(splits=()), ["splits=()", "non-empty"]),
        (lambda: Shortcut(splits=("train", "val")), ["'val'", "split names"]),  # type: ignore[arg-type]
        (lambda: Shortcut(splits=("dev", "dev")), ["distinct"]),
        (lambda: Shortcut(symbols=("r", "r")), ["symbols=('r', 'r')", "two different"]),
        (lambda: Shortcut(factor="shape", symbols=("g", "r")), ["shape symbols", "▲"]),
        (lambda: FlipHighVariety(split="valid"), ["split='valid'", "'test'"]),  # type: ignore[arg-type]
        (lambda: FlipHighVariety(min_variety=0), ["min_variety=0", "from 1 to 4"]),
        (lambda: FlipHighVariety(min_variety=5), ["min_variety=5"]),
        (lambda: Shift(by="width", range=(1, 2)), ["Shift(by='width')", "'length'"]),  # type: ignore[arg-type]
        (lambda: Shift(by="length", range=(16, 12)), ["range=(16, 12)", "min <= max"]),
        (lambda: Shift(by="length", range=(0, 3)), ["range=(0, 3)", "1 <= min"]),
        (lambda: Shift(by="shape_variety", range=(2, 5)), ["range=(2, 5)", "<= 4"]),
        (lambda: Shift(by="length", range=12), ["range=12", "(min, max)"]),  # type: ignore[arg-type]
        (lambda: Leak(fraction=0), ["Leak(fraction=0)", "above 0"]),
        (lambda: Leak(fraction=1.5), ["fraction=1.5", "at most 1"]),
    ],
)
def test_bad_option_object_raises_data_error(build: Callable[[], object], words: list[str]) -> None:
    with pytest.raises(DataError) as info:
        build()
    for word in words:
        assert word in info.value.message
    assert "e.g." in info.value.message
    assert info.value.slug == "spr-pitfall"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (
            {"rule": "spr_like", "shortcut": Shortcut()},
            ["reads color", "could change its label", "rule='shape_count'"],
        ),
        (
            {"rule": "shape_count", "shortcut": Shortcut(factor="shape")},
            ["reads shape", "Shortcut(factor='color'"],
        ),
        ({"rule": "shape_count", "shortcut": Shortcut(position=6)}, ["no position 6"]),
        (
            {"rule": "shape_count", "shortcut": Shortcut(position=-5), "length": (4, 8)},
            ["only 4 tokens", "no position -5"],
        ),
        (
            {
                "rule": "shape_count",
                "shortcut": Shortcut(position=-7),
                "shift": Shift(by="length", range=(13, 16)),
            },
            ["train split", "only 6 tokens"],
        ),
        ({"shortcut": "color"}, ["shortcut='color'", "Shortcut(...)"]),
        ({"label_noise": 0.1}, ["label_noise=0.1", "mapping from split name"]),
        ({"label_noise": {}}, ["label_noise={}", "non-empty"]),
        ({"label_noise": {"val": 0.1}}, ["'val' is not a split"]),
        ({"label_noise": {"train": 0.6}}, ["0.6", "from 0 to 0.5", "inverted"]),
        ({"label_noise": {"train": "0.1"}}, ["'0.1'"]),
        (
            {
                "flip_high_variety": FlipHighVariety(min_variety=1),
                "label_noise": {"test": 0.1},
            },
            ["already flipped 80", "do not fit"],
        ),
        (
            {"rule": "shape_count", "flip_high_variety": FlipHighVariety(), "p_color": 0.0},
            ["above 0", "no label would be flipped"],
        ),
        (
            {"flip_high_variety": FlipHighVariety(factor="shape", min_variety=4), "length": 2},
            ["above 2", "min_variety=2"],
        ),
        ({"flip_high_variety": (3,)}, ["FlipHighVariety(...)"]),
        ({"shift": Shift(by="length", range=(6, 12))}, ["equals length=(6, 12)", "no shift"]),
        ({"shift": Shift(by="shape_variety", range=(1, 4))}, ["not be shifted"]),
        (
            {"rule": "shape_count", "shift": Shift(by="color_variety", range=(1, 2)), "p_color": 0},
            ["none lies in the range", "range=(0, 0)"],
        ),
        ({"shift": {"by": "length"}}, ["Shift(...)"]),
        ({"leak": Leak(fraction=0.001)}, ["= 0", "no test row"]),
        ({"leak": Leak(fraction=1.0), "n_train": 50}, ["80 test rows", "n_train=50"]),
        ({"leak": 0.2}, ["leak=0.2", "Leak(fraction=0.2)"]),
    ],
)
def test_bad_pitfall_option_raises_data_error(kwargs: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(DataError) as info:
        spr(**{**SMALL, **kwargs})
    for word in words:
        assert word in info.value.message
    assert info.value.slug == "spr-pitfall"
    assert "spr(" in info.value.message
