"""Tests of the seeded SPR generator: rules, predicates, balance, determinism, errors."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import pytest

from auditkit.datasets import spr
from auditkit.datasets.tokens import (
    COLORS,
    RULES,
    SHAPES,
    Adjacent,
    ColorAt,
    ColorCount,
    Order,
    Parity,
    Predicate,
    Rule,
    ShapeAt,
    ShapeCount,
    Variety,
    parse_token,
    split_statistics,
)
from auditkit.datasets.tokens.sampling import Rows, SplitPlan, draw_candidates, render
from auditkit.errors import DataError
from auditkit.types import SPLITS, TokenDataset, TokenSplit

SMALL: dict[str, Any] = {"n_train": 200, "n_dev": 60, "n_test": 80}


def tokens(sequence: str) -> list[tuple[str, str | None]]:
    return [parse_token(tok) for tok in sequence.split()]


def all_sequences(data: TokenDataset) -> list[str]:
    return [s for split in SPLITS for s in data.split(split).sequences]


@pytest.fixture(scope="module")
def datasets() -> dict[str, TokenDataset]:
    """One small dataset per preset (generated once; the generator is deterministic)."""
    return {name: spr(name, **SMALL, seed=1) for name in RULES}


# --------------------------------------------------------------------------- predicates

HAND_CHECKED: list[tuple[Predicate, str, bool]] = [
    (ShapeCount("▲", ">=", 2), "▲r ■g ▲b", True),
    (ShapeCount("▲", ">=", 2), "▲r ■g ●b", False),
    (ShapeCount("▲", "==", 0), "■ ● ◆", True),
    (ShapeCount("■", "<=", 1), "■r ■g", False),
    (ShapeCount("■", "<=", 1), "■r ▲g", True),
    (ColorCount("r", "==", 1), "▲r ■g ●", True),
    (ColorCount("r", ">=", 1), "▲ ■ ●", False),  # tokens without colour never count
    (ColorCount("g", "<=", 1), "▲g ■g", False),
    (Parity("color", "r", "even"), "▲r ■r ●g", True),
    (Parity("color", "r", "even"), "■g", True),  # zero is even
    (Parity("color", "r", "odd"), "▲r ■g", True),
    (Parity("shape", "●", "odd"), "● ● ●", True),
    (Parity("shape", "●", "even"), "● ●r ●", False),
    (ShapeAt(0, "▲"), "▲r ■g", True),
    (ShapeAt(0, "▲"), "■g ▲r", False),
    (ShapeAt(-1, "▲"), "■g ▲r", True),
    (ShapeAt(5, "▲"), "▲ ▲ ▲", False),  # too short to have position 5
    (ShapeAt(-4, "▲"), "▲ ▲ ▲", False),
    (ColorAt(1, "g"), "▲r ■g", True),
    (ColorAt(1, "g"), "▲r ■", False),  # no colour at all
    (ColorAt(-1, "r"), "▲r ■g ●r", True),
    (Order("■", "●"), "▲ ■ ● ■", True),
    (Order("■", "●"), "● ■", False),
    (Order("■", "●"), "■ ▲", False),  # both must occur
    (Order("■", "●"), "● ■ ●", False),  # first ● precedes first ■
    (Order("r", "g", factor="color"), "▲r ■ ●g", True),
    (Adjacent("▲", "■"), "● ▲ ■", True),
    (Adjacent("▲", "■"), "■ ▲", False),
    (Adjacent("▲", "■"), "▲ ● ■", False),
    (Adjacent("▲", "▲"), "▲r ▲g", True),
    (Adjacent("b", "y", factor="color"), "▲b ■y", True),
    (Adjacent("b", "y", factor="color"), "▲b ■ ●y", False),
    (Variety("color", "<=", 2), "▲r ■r ●g", True),
    (Variety("color", "<=", 2), "▲ ■", True),
    (Variety("color", ">=", 3), "▲r ■g ●g", False),
    (Variety("shape", "==", 4), "▲ ■ ● ◆ ▲", True),
    (Variety("shape", "==", 4), "▲ ■ ● ●", False),
]


@pytest.mark.parametrize(("predicate", "sequence", "expected"), HAND_CHECKED)
def test_predicate_on_hand_checked_sequence(
    predicate: Predicate, sequence: str, expected: bool
) -> None:
    assert predicate.holds(tokens(sequence)) is expected


@pytest.mark.parametrize(("predicate", "sequence", "expected"), HAND_CHECKED)
def test_vectorised_predicate_matches_hand_checked_answer(
    predicate: Predicate, sequence: str, expected: bool
) -> None:
    parsed = tokens(sequence)
    width = len(parsed) + 2  # padding past the end must not change the answer
    shapes = np.full((1, width), -1, dtype=np.int8)
    colors = np.full((1, width), -1, dtype=np.int8)
    for i, (shape, color) in enumerate(parsed):
        shapes[0, i] = SHAPES.index(shape)
        colors[0, i] = -1 if color is None else COLORS.index(color)
    lengths = np.array([len(parsed)])
    assert predicate.holds_batch(shapes, colors, lengths).tolist() == [expected]


EVERY_KIND: list[Predicate] = [
    ShapeCount("◆", ">=", 2),
    ShapeCount("▲", "==", 1),
    ColorCount("y", "<=", 1),
    Parity("shape", "■", "odd"),
    Parity("color", "b", "even"),
    ShapeAt(0, "●"),
    ShapeAt(-1, "◆"),
    ShapeAt(3, "▲"),
    ColorAt(-2, "g"),
    ColorAt(2, "r"),
    Order("●", "▲"),
    Order("y", "b", factor="color"),
    Adjacent("◆", "●"),
    Adjacent("g", "g", factor="color"),
    Variety("shape", ">=", 3),
    Variety("color", "==", 2),
]


@pytest.mark.parametrize("predicate", EVERY_KIND, ids=lambda p: p.describe())
def test_vectorised_and_reference_predicates_agree_on_random_sequences(
    predicate: Predicate,
) -> None:
    # short lengths and missing colours exercise the edge cases (out-of-range positions)
    plan = SplitPlan("train", 1, (1, 8), 0.6)
    shapes, colors, lengths = draw_candidates(plan, 3000, np.random.default_rng(7))
    rows = Rows(shapes, colors, lengths, np.zeros(3000, dtype=np.int64))
    expected = [predicate.holds(tokens(s)) for s in render(rows)]
    got = predicate.holds_batch(shapes, colors, lengths).tolist()
    assert got == expected
    assert 0 < sum(got) < len(got)  # the comparison is not vacuous


@pytest.mark.parametrize(
    ("predicate", "factors", "order_dependent"),
    [
        (ShapeCount("▲", ">=", 1), {"shape"}, False),
        (ColorCount("r", ">=", 1), {"color"}, False),
        (Parity("color", "r", "even"), {"color"}, False),
        (Parity("shape", "▲", "even"), {"shape"}, False),
        (ShapeAt(0, "▲"), {"shape"}, True),
        (ColorAt(0, "r"), {"color"}, True),
        (Order("▲", "■"), {"shape"}, True),
        (Adjacent("r", "g", factor="color"), {"color"}, True),
        (Variety("shape", ">=", 2), {"shape"}, False),
        (Variety("color", ">=", 2), {"color"}, False),
    ],
)
def test_predicate_declares_factors_and_order_dependence(
    predicate: Predicate, factors: set[str], order_dependent: bool
) -> None:
    assert predicate.factors == frozenset(factors)
    assert predicate.order_dependent is order_dependent
    assert isinstance(predicate, Predicate)


def test_rule_is_conjunction_with_union_of_facts() -> None:
    rule = Rule("mine", (ShapeCount("▲", ">=", 1), ColorAt(0, "r")))
    assert rule.factors == frozenset({"shape", "color"})
    assert rule.order_dependent is True
    assert rule.describe() == "count(shape ▲) >= 1 and colour at position 0 is r"
    assert rule.label("▲r ■g") == 1
    assert rule.label("▲g ■r") == 0  # second predicate fails
    assert rule.label("■r") == 0  # first predicate fails
    assert Rule("l", [ShapeCount("▲", ">=", 1)]).predicates == (ShapeCount("▲", ">=", 1),)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda: ShapeCount("x", ">=", 1), ["ShapeCount(shape='x')", "▲ ■ ● ◆"]),
        (lambda: ShapeCount("▲", ">", 1), ["op='>'", "'>='", "'=='", "'<='"]),  # type: ignore[arg-type]
        (lambda: ShapeCount("▲", ">=", -1), ["k=-1", "integer >= 0"]),
        (lambda: ColorCount("▲", ">=", 1), ["ColorCount(color='▲')", "r g b y"]),
        (lambda: Parity("size", "▲", "even"), ["factor='size'", "'shape' or 'color'"]),  # type: ignore[arg-type]
        (lambda: Parity("shape", "r", "even"), ["value='r'", "shape glyph"]),
        (lambda: Parity("color", "r", "prime"), ["parity='prime'", "'even' or 'odd'"]),  # type: ignore[arg-type]
        (lambda: ShapeAt(1.5, "▲"), ["position=1.5", "integer"]),  # type: ignore[arg-type]
        (lambda: ColorAt(0, "q"), ["color='q'", "colour letter"]),
        (lambda: Order("▲", "▲"), ["second='▲'", "never hold", "Order('▲', '■')"]),
        (lambda: Adjacent("▲", "r"), ["second='r'"]),
        (lambda: Variety("shape", ">=", True), ["k=True"]),
        (lambda: Rule("", (ShapeCount("▲", ">=", 1),)), ["Rule(name=''", "non-empty name"]),
        (lambda: Rule("r", ()), ["non-empty tuple", "predicates=()"]),
        (lambda: Rule("r", ("count ▲",)), ["not predicates", "'count ▲'"]),  # type: ignore[arg-type]
    ],
)
def test_bad_predicate_or_rule_raises_data_error(build: Any, words: list[str]) -> None:
    with pytest.raises(DataError) as info:
        build()
    for word in words:
        assert word in info.value.message
    assert "e.g." in info.value.message  # says what to write instead


# --------------------------------------------------------------------------- presets


def test_presets_have_the_advertised_factors_and_order_dependence() -> None:
    assert {"spr_like", "shape_count", "color_parity", "shape_order"} <= set(RULES)
    assert RULES["spr_like"].factors == {"shape", "color"}
    assert RULES["spr_like"].order_dependent
    assert RULES["shape_count"].factors == {"shape"}
    assert not RULES["shape_count"].order_dependent
    assert RULES["color_parity"].factors == {"color"}
    assert not RULES["color_parity"].order_dependent
    assert RULES["shape_order"].factors == {"shape"}
    assert RULES["shape_order"].order_dependent
    for name, rule in RULES.items():
        assert rule.name == name


@pytest.mark.parametrize("name", sorted(RULES))
def test_preset_positive_rate_is_moderate(name: str) -> None:
    plan = SplitPlan("train", 1, (6, 12), 1.0)
    shapes, colors, lengths = draw_candidates(plan, 20_000, np.random.default_rng(0))
    rate = RULES[name].holds_batch(shapes, colors, lengths).mean()
    assert 0.1 < rate < 0.9


# --------------------------------------------------------------------------- generator


def test_same_arguments_give_identical_datasets() -> None:
    a = spr("spr_like", **SMALL, seed=5)
    b = spr("spr_like", **SMALL, seed=5)
    assert a == b
    assert a.fingerprint() == b.fingerprint()
    assert json.dumps(a.metadata, sort_keys=True) == json.dumps(b.metadata, sort_keys=True)


def test_different_seed_gives_different_dataset() -> None:
    a = spr("spr_like", **SMALL, seed=5)
    b = spr("spr_like", **SMALL, seed=6)
    assert a.fingerprint() != b.fingerprint()
    assert set(a.train.sequences) != set(b.train.sequences)


def test_generator_does_not_touch_global_rng() -> None:
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    spr("shape_count", **SMALL)
    assert np.random.random() == expected


@pytest.mark.parametrize("name", sorted(RULES))
def test_every_split_is_balanced(datasets: dict[str, TokenDataset], name: str) -> None:
    data = datasets[name]
    for split, n in zip(SPLITS, (200, 60, 80), strict=True):
        labels = data.split(split).labels
        assert len(labels) == n
        assert labels.count(1) == n // 2
        assert labels.count(0) == n - n // 2


def test_odd_split_size_gives_the_extra_row_to_class_0() -> None:
    data = spr("shape_order", n_train=101, n_dev=1, n_test=3)
    assert (data.train.labels.count(0), data.train.labels.count(1)) == (51, 50)
    assert data.dev.labels == (0,)
    assert sorted(data.test.labels) == [0, 0, 1]


@pytest.mark.parametrize("name", sorted(RULES))
def test_no_duplicate_sequences_within_or_across_splits(
    datasets: dict[str, TokenDataset], name: str
) -> None:
    sequences = all_sequences(datasets[name])
    assert len(sequences) == len(set(sequences))


@pytest.mark.parametrize("name", sorted(RULES))
def test_labels_are_the_rules_labels(datasets: dict[str, TokenDataset], name: str) -> None:
    data, rule = datasets[name], RULES[name]
    for split in SPLITS:
        part = data.split(split)
        assert list(part.labels) == [rule.label(s) for s in part.sequences]


def test_sequences_are_well_formed() -> None:
    data = spr("spr_like", **SMALL, length=(3, 5))
    for split in SPLITS:
        part = data.split(split)
        assert part.ids == tuple(f"spr_{split}_{i}" for i in range(len(part)))
        for sequence in part.sequences:
            assert sequence == sequence.strip()
            assert "  " not in sequence
            toks = sequence.split(" ")
            assert 3 <= len(toks) <= 5
            for tok in toks:
                _shape, color = parse_token(tok)
                assert color is not None  # p_color=1: every token has a colour


def test_fixed_length_and_shape_only_tokens() -> None:
    data = spr("shape_count", **SMALL, length=8, p_color=0.0)
    for sequence in all_sequences(data):
        toks = sequence.split(" ")
        assert len(toks) == 8
        assert all(parse_token(t)[1] is None for t in toks)
    assert data.metadata["splits"]["train"]["mean_color_variety"] == 0


def test_partial_colour_gives_a_mix_of_tokens() -> None:
    data = spr("shape_count", **SMALL, p_color=0.5)
    colours = [parse_token(t)[1] for s in data.train.sequences for t in s.split()]
    missing = sum(c is None for c in colours) / len(colours)
    assert 0.4 < missing < 0.6


def test_metadata_records_rule_options_and_split_statistics() -> None:
    data = spr("color_parity", **SMALL, seed=2)
    meta = data.metadata
    json.dumps(meta)  # plain JSON-ready values only
    assert meta["generator"] == "auditkit.datasets.spr"
    assert meta["rule"] == {
        "name": "color_parity",
        "description": RULES["color_parity"].describe(),
        "factors": ["color"],
        "order_dependent": False,
        "predicates": ["count(colour r) is even", "count(colour g) >= 2"],
    }
    assert meta["options"] == {
        "rule": "color_parity",
        "n_train": 200,
        "n_dev": 60,
        "n_test": 80,
        "length": [6, 12],
        "seed": 2,
        "p_color": 1.0,
        "name": None,
    }
    for split in SPLITS:
        stats = meta["splits"][split]
        assert stats == split_statistics(data.split(split))
        assert stats["label_rate"] == 0.5
        assert 6 <= stats["mean_length"] <= 12
        assert 1 <= stats["mean_shape_variety"] <= 4
        assert 0 < meta["sampling"][split]["candidate_label_rate"] < 1
    assert meta["pitfalls"] == []


def test_default_and_custom_names() -> None:
    assert spr(**SMALL).name.startswith("spr(rule='spr_like', seed=0")
    assert spr("shape_count", n_train=2000, n_dev=500, n_test=1000).name == (
        "spr(rule='shape_count', seed=0)"
    )
    assert spr(**SMALL, name="mine").name == "mine"
    assert "length=(4, 6)" in spr(**SMALL, length=(4, 6)).name


def test_custom_rule_object_is_accepted() -> None:
    rule = Rule("starts_with_triangle", (ShapeAt(0, "▲"),))
    data = spr(rule, **SMALL)
    assert data.metadata["rule"]["name"] == "starts_with_triangle"
    assert all(
        rule.label(s) == y for s, y in zip(data.test.sequences, data.test.labels, strict=True)
    )


# --------------------------------------------------------------------------- invariances


def test_colour_never_changes_the_label_of_a_shape_only_rule(
    datasets: dict[str, TokenDataset],
) -> None:
    rng = np.random.default_rng(0)
    shape_only = [name for name, rule in RULES.items() if rule.factors == {"shape"}]
    assert "shape_count" in shape_only
    for name in shape_only:
        rule = RULES[name]
        for sequence, label in zip(
            datasets[name].train.sequences, datasets[name].train.labels, strict=True
        ):
            recoloured = " ".join(
                tok[0] + str(rng.choice([c for c in COLORS if c != tok[1:]]))
                for tok in sequence.split()
            )
            uncoloured = " ".join(tok[0] for tok in sequence.split())
            assert rule.label(recoloured) == label
            assert rule.label(uncoloured) == label


def test_permuting_tokens_never_changes_the_label_of_an_order_free_rule(
    datasets: dict[str, TokenDataset],
) -> None:
    rng = np.random.default_rng(0)
    order_free = [name for name, rule in RULES.items() if not rule.order_dependent]
    assert "color_parity" in order_free
    for name in order_free:
        rule = RULES[name]
        for sequence, label in zip(
            datasets[name].train.sequences, datasets[name].train.labels, strict=True
        ):
            toks = sequence.split()
            for _ in range(3):
                assert rule.label(" ".join(rng.permutation(toks).tolist())) == label


@pytest.mark.parametrize("name", sorted(n for n, r in RULES.items() if r.order_dependent))
def test_some_permutation_changes_a_label_of_an_order_dependent_rule(
    datasets: dict[str, TokenDataset], name: str
) -> None:
    rng = np.random.default_rng(0)
    rule = RULES[name]
    changed = any(
        rule.label(" ".join(rng.permutation(s.split()).tolist())) != label
        for s, label in zip(
            datasets[name].train.sequences, datasets[name].train.labels, strict=True
        )
    )
    assert changed


# --------------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"rule": "spr_lik"}, ["rule='spr_lik'", "unknown rule", "Did you mean 'spr_like'?"]),
        ({"rule": "xyz"}, ["Known rules:", "color_parity", "shape_count", "spr_like"]),
        ({"rule": 3}, ["rule=3", "preset name or a Rule"]),
        ({"n_train": 0}, ["n_train=0", "integer >= 1", "n_train=2000"]),
        ({"n_dev": -5}, ["n_dev=-5", "integer >= 1"]),
        ({"n_test": 2.5}, ["n_test=2.5", "integer"]),
        ({"n_train": True}, ["n_train=True"]),
        ({"length": 0}, ["length=0", "length=(6, 12)"]),
        ({"length": (5, 3)}, ["length=(5, 3)", "min <= max"]),
        ({"length": (1, 2, 3)}, ["length=(1, 2, 3)"]),
        ({"length": "8"}, ["length='8'"]),
        ({"length": 5000}, ["length=5000", "1024"]),
        ({"seed": -1}, ["seed=-1", "integer >= 0"]),
        ({"seed": "0"}, ["seed='0'"]),
        ({"p_color": 1.5}, ["p_color=1.5", "from 0 to 1"]),
        ({"p_color": float("nan")}, ["p_color=nan"]),
        ({"p_color": "1"}, ["p_color='1'"]),
        ({"name": ""}, ["name=''", "non-empty string"]),
    ],
)
def test_bad_argument_raises_data_error(kwargs: dict[str, Any], words: list[str]) -> None:
    with pytest.raises(DataError) as info:
        spr(**{**SMALL, **kwargs})
    for word in words:
        assert word in info.value.message
    assert info.value.slug.startswith("spr-")


def test_colour_rule_without_colours_cannot_be_balanced() -> None:
    with pytest.raises(DataError) as info:
        spr("color_parity", n_train=20, n_dev=10, n_test=10, p_color=0.0)
    message = info.value.message
    assert info.value.slug == "spr-rule-too-rare"
    assert "rule='color_parity'" in message
    assert "train split" in message
    assert "0.00% of candidates 1" in message
    assert "p_color=0.0" in message


def test_too_few_distinct_sequences_is_reported() -> None:
    # length 1 with shape-only tokens: only 4 distinct sequences exist
    with pytest.raises(DataError) as info:
        spr("shape_count", n_train=20, n_dev=2, n_test=2, length=1, p_color=0.0)
    assert "repeated a sequence already used" in info.value.message
    assert "length=(1, 1)" in info.value.message


# --------------------------------------------------------------------------- statistics, speed


def test_split_statistics_by_hand() -> None:
    split = TokenSplit(ids=("a", "b"), sequences=("▲r ■r", "● ◆g ●b"), labels=(1, 0))
    assert split_statistics(split) == {
        "n": 2,
        "label_rate": 0.5,
        "mean_length": 2.5,
        "mean_shape_variety": 2.0,
        "mean_color_variety": 1.5,
    }
    empty = split_statistics(TokenSplit(ids=(), sequences=(), labels=()))
    assert empty["n"] == 0
    assert empty["mean_length"] is None


def test_generation_is_fast() -> None:
    spr(**SMALL)  # warm up imports
    start = time.perf_counter()
    data = spr(n_train=4000, n_dev=1000, n_test=1000)
    elapsed = time.perf_counter() - start
    assert len(data.train) == 4000
    assert elapsed < 1.0, f"spr(4000/1000/1000) took {elapsed:.2f} s"
