"""Tests of the SPR_BENCH-format CSV loader: round trips, every malformed case, real folders."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from auditkit.datasets import spr, spr_csv
from auditkit.datasets.tokens import split_statistics
from auditkit.errors import DataError
from auditkit.types import SPLITS, TokenDataset

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "spr_bench"
LYGES = SHARED_DATA / "BenchmarkIssue" / "SPR_BENCH" / "LYGES"
FLIP_ALL = SHARED_DATA / "DataLeakage" / "SPR_BENCH" / "noise-30%" / "SPR_flip_all"

GOOD = {
    "train": "id,sequence,label\nt0,▲r ■g,0\nt1,●b ◆y ▲r,1\nt2,◆ ■,1\n",
    "dev": "id,sequence,label\r\nd0,▲r ■g ●b,1\r\nd1,◆y,0\r\n",  # CRLF, as in LYGES
    "test": "id,sequence,label\ns0,■r ■r,0\ns1,●g ●,1\n",
}


def write_folder(root: Path, files: dict[str, str | bytes]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for split, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (root / f"{split}.csv").write_bytes(data)
    return root


def load_error(root: Path, **files: str | bytes) -> DataError:
    write_folder(root, {**GOOD, **files})
    with pytest.raises(DataError) as info:
        spr_csv(root)
    return info.value


# --------------------------------------------------------------------------- good folders


def test_good_folder_round_trips(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "SPR_BENCH", dict(GOOD))
    data = spr_csv(root)
    assert data.name == "spr_csv('SPR_BENCH')"
    assert data.train.ids == ("t0", "t1", "t2")
    assert data.train.sequences == ("▲r ■g", "●b ◆y ▲r", "◆ ■")
    assert data.train.labels == (0, 1, 1)
    assert data.dev.sequences == ("▲r ■g ●b", "◆y")  # no "\r" left from CRLF
    assert data.dev.labels == (1, 0)
    assert data.test.ids == ("s0", "s1")
    assert data.n_classes == 2
    meta = data.metadata
    assert meta["source"] == str(root.resolve())
    for split in SPLITS:
        path = root / f"{split}.csv"
        assert meta["files"][split] == {
            "path": str(path.resolve()),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "rows": len(data.split(split)),
        }
        assert meta["splits"][split] == split_statistics(data.split(split))
    assert meta["splits"]["train"]["mean_length"] == pytest.approx(7 / 3)


def test_custom_name(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "x", dict(GOOD))
    assert spr_csv(str(root), name="bench").name == "bench"


def test_generated_dataset_round_trips_through_csv(tmp_path: Path) -> None:
    generated = spr("spr_like", n_train=50, n_dev=20, n_test=20, p_color=0.7)
    files: dict[str, str | bytes] = {}
    for split in SPLITS:
        part = generated.split(split)
        rows = [
            f"{i},{s},{y}" for i, s, y in zip(part.ids, part.sequences, part.labels, strict=True)
        ]
        files[split] = "id,sequence,label\r\n" + "\r\n".join(rows) + "\r\n"
    loaded = spr_csv(write_folder(tmp_path / "gen", files))
    assert loaded.fingerprint() == generated.fingerprint()


def test_reordered_columns_bom_and_blank_lines_are_accepted(tmp_path: Path) -> None:
    train = "\ufefflabel,id,sequence\n1,t0,▲r\n\n0,t1,■g\n\n"
    data = spr_csv(write_folder(tmp_path / "ok", {**GOOD, "train": train}))
    assert data.train.ids == ("t0", "t1")
    assert data.train.labels == (1, 0)


def test_sequence_text_is_kept_as_is(tmp_path: Path) -> None:
    train = 'id,sequence,label\nt0," ▲r  ■g",0\nt1,●,1\n'
    data = spr_csv(write_folder(tmp_path / "raw", {**GOOD, "train": train}))
    assert data.train.sequences == (" ▲r  ■g", "●")


# --------------------------------------------------------------------------- folder errors


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        spr_csv(tmp_path / "nope")
    assert info.value.slug == "csv-folder-missing"
    assert str(tmp_path / "nope") in info.value.message
    assert "does not exist" in info.value.message


def test_file_instead_of_folder(tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    path.write_text(GOOD["train"], encoding="utf-8")
    with pytest.raises(DataError, match="is a file, not a folder"):
        spr_csv(path)


def test_bad_folder_and_name_types() -> None:
    with pytest.raises(DataError, match="folder=3"):
        spr_csv(3)  # type: ignore[arg-type]
    with pytest.raises(DataError, match="name=''"):
        spr_csv(".", name="")


def test_missing_split_lists_what_was_found(tmp_path: Path) -> None:
    root = write_folder(tmp_path / "part", {"train": GOOD["train"]})
    (root / "validation.csv").write_text(GOOD["dev"], encoding="utf-8")
    with pytest.raises(DataError) as info:
        spr_csv(root)
    message = info.value.message
    assert info.value.slug == "csv-split-missing"
    assert message.startswith(f"{root}: missing dev.csv, test.csv; found train.csv")
    assert "other CSV files here: validation.csv" in message
    assert "all three splits" in message


# --------------------------------------------------------------------------- file errors


@pytest.mark.parametrize(
    ("content", "where", "slug", "words"),
    [
        ("", "train.csv:", "csv-empty", ["file is empty", "train split"]),
        ("\n\n", "train.csv:", "csv-empty", ["file is empty"]),
        ("id,sequence,label\r\n", "train.csv:", "csv-empty", ["header (line 1) but no rows"]),
        (
            "id,seq,label\nt0,▲,0\n",
            "train.csv:1:",
            "csv-header",
            ["['id', 'seq', 'label']", "missing sequence", "'seq' (did you mean 'sequence'?)"],
        ),
        ("id,sequence\nt0,▲\n", "train.csv:1:", "csv-header", ["missing label"]),
        (
            "id,sequence,label,extra\nt0,▲,0,x\n",
            "train.csv:1:",
            "csv-header",
            ["unexpected 'extra'", "id,sequence,label"],
        ),
        ("t0,▲r ■g,0\nt1,●,1\n", "train.csv:1:", "csv-header", ["header line is probably missing"]),
        (
            "id,sequence,label\nt0,▲r,0\nt1,▲r,■g,1\n",
            "train.csv:3:",
            "csv-fields",
            ["row has 4 fields, expected 3", "Quote"],
        ),
        ("id,sequence,label\nt0,▲r\n", "train.csv:2:", "csv-fields", ["row has 2 fields"]),
        (
            'id,sequence,label\nt0,"▲r,0\n',
            "train.csv:",
            "csv-fields",
            ["malformed CSV"],
        ),
        (
            "id,sequence,label\nt0,▲r,0\nt1,■g,x\n",
            "train.csv:3:",
            "csv-label",
            ["label 'x' is not an integer", "0 or 1"],
        ),
        ("id,sequence,label\nt0,▲r,1.0\n", "train.csv:2:", "csv-label", ["'1.0'"]),
        (
            "id,sequence,label\nt0,▲r,-1\n",
            "train.csv:2:",
            "csv-label",
            ["label -1 is negative", "Renumber"],
        ),
        (
            "id,sequence,label\nt0,▲r ■x,0\n",
            "train.csv:2:",
            "csv-token",
            ["unknown token '■x'", "token 2 of id 't0'", "colour letter"],
        ),
        ("id,sequence,label\nt0,▲r Ar,0\n", "train.csv:2:", "csv-token", ["'Ar'"]),
        (
            "id,sequence,label\nt0,▲r,0\nt1,,1\n",
            "train.csv:3:",
            "csv-empty-sequence",
            ["empty sequence for id 't1'"],
        ),
        ("id,sequence,label\nt0,   ,1\n", "train.csv:2:", "csv-empty-sequence", ["empty"]),
        (
            "id,sequence,label\nt0,▲r,0\nt1,■g,1\nt0,●b,1\n",
            "train.csv:4:",
            "csv-duplicate-id",
            ["id 't0' already used on line 2", "unique"],
        ),
        ("id,sequence,label\n,▲r,0\n", "train.csv:2:", "csv-duplicate-id", ["empty id"]),
    ],
)
def test_malformed_train_file(
    tmp_path: Path, content: str, where: str, slug: str, words: list[str]
) -> None:
    root = tmp_path / "bad"
    error = load_error(root, train=content)
    assert error.message.startswith(str(root / where)), error.message
    assert error.slug == slug
    for word in words:
        assert word in error.message


def test_line_numbers_count_crlf_lines_and_blank_lines(tmp_path: Path) -> None:
    root = tmp_path / "crlf"
    error = load_error(root, dev="id,sequence,label\r\nd0,▲r,0\r\n\r\nd1,■g,zero\r\n")
    assert error.message.startswith(f"{root / 'dev.csv'}:4: label 'zero'")


def test_not_utf8_reports_line_and_byte_offset(tmp_path: Path) -> None:
    root = tmp_path / "latin"
    content = "id,sequence,label\nt0,▲r,0\nt1,".encode() + b"\xff" + b",1\n"
    error = load_error(root, test=content)
    offset = content.index(b"\xff")
    assert error.slug == "csv-encoding"
    assert error.message.startswith(f"{root / 'test.csv'}:3: not valid UTF-8")
    assert f"byte 0xff at byte offset {offset}" in error.message


def test_single_class_across_all_splits(tmp_path: Path) -> None:
    files: dict[str, str | bytes] = {
        split: f"id,sequence,label\n{split}0,▲r,1\n{split}1,■g,1\n" for split in SPLITS
    }
    root = write_folder(tmp_path / "one", files)
    with pytest.raises(DataError) as info:
        spr_csv(root)
    assert info.value.slug == "csv-one-class"
    assert info.value.message.startswith(f"{root}: every row")
    assert "label 1" in info.value.message
    assert "at least two classes" in info.value.message


def test_error_str_carries_slug_and_docs_link(tmp_path: Path) -> None:
    error = load_error(tmp_path / "s", train="id,sequence,label\nt0,▲r,x\n")
    assert "(csv-label); see " in str(error)


# --------------------------------------------------------------------------- real SPR_BENCH


def _real(folder: Path) -> Path:
    if not folder.exists():
        pytest.skip(f"real SPR_BENCH folder {folder} is absent (shared data not mounted)")
    return folder


def test_real_lyges_folder() -> None:
    data: TokenDataset = spr_csv(_real(LYGES))
    assert [len(data.split(s)) for s in SPLITS] == [2000, 500, 1000]
    for split in SPLITS:
        part = data.split(split)
        assert part.labels.count(0) == part.labels.count(1)
        assert all(len(tok) == 1 for s in part.sequences for tok in s.split())  # shape-only
        assert not any(s.endswith("\r") for s in part.sequences)
        assert data.metadata["splits"][split]["mean_color_variety"] == 0
        assert data.metadata["splits"][split]["mean_length"] == 8
    assert data.metadata["files"]["train"]["sha256"] == (
        "c26c255a7ea1d7e307a0f2f71a41bc8a602a88ed3b9c28f64d50e2541788b6da"
    )
    assert data.name == "spr_csv('LYGES')"


def test_real_flip_all_folder_has_only_dev() -> None:
    folder = _real(FLIP_ALL)
    with pytest.raises(DataError) as info:
        spr_csv(folder)
    assert info.value.slug == "csv-split-missing"
    assert info.value.message.startswith(f"{folder}: missing train.csv, test.csv; found dev.csv")
