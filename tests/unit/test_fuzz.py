"""Property tests: loaders and parsers answer any input with a value or a clear error."""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditkit.datasets import spr_csv
from auditkit.datasets.tokens import COLORS, SHAPES, TokenFormatError, parse_token
from auditkit.errors import AuditkitError, DataError, RulePackError
from auditkit.metrics import METRICS, compute_metrics
from auditkit.rulepack import load_rulepack

FAST = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

TOKEN_CHARS = "".join(SHAPES) + "".join(COLORS) + "xyz▼ "


@FAST
@given(st.text(alphabet=TOKEN_CHARS, max_size=4))
def test_token_parser_returns_factors_or_a_format_error(token: str) -> None:
    try:
        shape, color = parse_token(token)
    except TokenFormatError as exc:
        assert repr(token) in str(exc)
        return
    assert shape in SHAPES
    assert color is None or color in COLORS
    assert shape + (color or "") == token


YAML_PIECES = st.sampled_from(
    [
        "pack: p\n",
        "schema: 1\n",
        "schema: 2\n",
        "rules:\n",
        "  - id: AK101\n",
        "    name: seed-variance\n",
        "    check: seed_sweep\n",
        "    check: seed_swep\n",
        "    severity: high\n",
        "    severity: huge\n",
        "    why: because seeds move metrics\n",
        "    fix: use more seeds\n",
        "    params: {vary: both}\n",
        "    params: {vary: 3}\n",
        "    params: [1, 2]\n",
        "settings: {seeds: 4}\n",
        "settings: {seeds: -1}\n",
        "extends: default\n",
        "only: [AK301]\n",
        "only: [AK999]\n",
        "  - 7\n",
        ": :\n",
        "[unclosed\n",
        "\t\n",
        "!!python/object/apply:os.system ['true']\n",
    ]
)


@FAST
@given(st.lists(YAML_PIECES, max_size=14))
def test_rule_pack_loader_never_raises_anything_but_its_error(
    tmp_path: Path, pieces: list[str]
) -> None:
    path = tmp_path / "pack.yaml"
    path.write_text("".join(pieces), encoding="utf-8")
    try:
        pack = load_rulepack(path)
    except RulePackError as exc:
        assert str(path) in str(exc)  # every message names the file
        return
    assert all(r.id.startswith("AK") for r in pack.rules)


@FAST
@given(st.binary(max_size=200))
def test_rule_pack_loader_survives_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "pack.yaml"
    path.write_bytes(data)
    with pytest.raises(RulePackError):
        load_rulepack(path)


ROW = st.tuples(
    st.text(alphabet=string.ascii_letters + string.digits + "_", max_size=6),
    st.lists(
        st.text(alphabet=TOKEN_CHARS.replace(" ", ""), min_size=1, max_size=3), max_size=5
    ).map(" ".join),
    st.sampled_from(["0", "1", "2", "x", "", "-1", "1.5"]),
)


@FAST
@given(
    st.lists(ROW, max_size=6),
    st.lists(ROW, max_size=6),
    st.lists(ROW, max_size=6),
    st.sampled_from(["\n", "\r\n"]),
)
def test_csv_loader_gives_a_dataset_or_a_data_error(
    tmp_path: Path,
    train: list[tuple[str, str, str]],
    dev: list[tuple[str, str, str]],
    test: list[tuple[str, str, str]],
    newline: str,
) -> None:
    folder = tmp_path / "SPR"
    folder.mkdir(exist_ok=True)
    for name, rows in (("train", train), ("dev", dev), ("test", test)):
        body = newline.join(["id,sequence,label", *(",".join(r) for r in rows)]) + newline
        (folder / f"{name}.csv").write_text(body, encoding="utf-8")
    try:
        data = spr_csv(folder)
    except DataError as exc:
        assert "SPR" in str(exc)  # the message names the folder or file
        return
    for name in ("train", "dev", "test"):
        split = data.split(name)
        assert len(split) > 0
        assert all(isinstance(y, int) and y >= 0 for y in split.labels)
        assert all(s for s in split.sequences)


@FAST
@given(st.binary(min_size=1, max_size=120))
def test_csv_loader_survives_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    folder = tmp_path / "SPR"
    folder.mkdir(exist_ok=True)
    for name in ("train", "dev", "test"):
        (folder / f"{name}.csv").write_bytes(data)
    with pytest.raises(AuditkitError):
        spr_csv(folder)


@FAST
@given(
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2)), min_size=1, max_size=30),
    st.lists(st.text(alphabet="▲■●◆rgby ", max_size=12), min_size=30, max_size=30),
)
def test_metrics_are_in_range_or_undefined(pairs: list[tuple[int, int]], seqs: list[str]) -> None:
    y_true = np.array([p[0] for p in pairs])
    y_pred = np.array([p[1] for p in pairs])
    out = compute_metrics(list(METRICS), y_true, y_pred, seqs[: len(pairs)])
    for name, value in out.items():
        if value is None:
            assert name in ("cwa", "swa", "hwa", "compwa", "compwa_sum")
            continue
        assert np.isfinite(value)
        low = -1.0 if name == "mcc" else 0.0
        assert low - 1e-12 <= value <= 1.0 + 1e-12, (name, value)
    # permuting the rows changes nothing
    order = np.random.default_rng(0).permutation(len(pairs))
    again = compute_metrics(list(METRICS), y_true[order], y_pred[order], [seqs[i] for i in order])
    for name in out:
        if out[name] is None:
            assert again[name] is None
        else:
            assert again[name] == pytest.approx(out[name])
