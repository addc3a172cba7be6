"""Script data files: finding, describing, parsing byte-exactly and loading as a dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditkit.errors import DataError
from auditkit.script.datafiles import (
    DataOrigin,
    TableFormat,
    class_index,
    declare_files,
    discover,
    discover_files,
    from_facts,
    inspect_file,
    load_dataset,
    read_table,
    split_of,
)
from auditkit.types import FileAccess, ScriptFacts, ScriptTrace
from tests.conftest import SHARED_DATA

ROWS = {
    "train": [("t0", "▲r ■g ●b", 1), ("t1", "◆y ▲r", 0), ("t2", "■g ■g ●r", 1), ("t3", "▲b", 0)],
    "dev": [("d0", "●b ◆y", 0), ("d1", "▲r ▲g", 1)],
    "test": [("s0", "◆r ■b", 1), ("s1", "●y ▲g ■r", 0), ("s2", "▲b ◆g", 1)],
}


def write_spr(folder: Path, ending: str = "\n") -> Path:
    """An SPR_BENCH-style folder with train/dev/test CSV files."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, rows in ROWS.items():
        lines = ["id,sequence,label", *(f"{i},{s},{y}" for i, s, y in rows)]
        (folder / f"{split}.csv").write_text(ending.join(lines) + ending, encoding="utf-8")
    return folder


def test_read_table_keeps_every_byte_of_quoted_crlf_bom_files(tmp_path: Path) -> None:
    text = '\ufeffid,text,label\r\n1,"a, ""quoted""\r\nfield",0\r\n\r\n2,plain,1'
    path = tmp_path / "x.csv"
    path.write_bytes(text.encode("utf-8"))
    table = read_table(path)
    assert table.bom == "\ufeff" and table.columns == ("id", "text", "label")
    assert table.column("text") == ('a, "quoted"\r\nfield', "plain")
    assert table.column("label") == ("0", "1")
    assert [r.line for r in table.rows] == [2, 5]
    # the records and their endings rebuild the text exactly
    rebuilt = "".join(table.text[r.start : r.end] + r.ending for r in table.records)
    assert rebuilt == table.text == text.removeprefix("\ufeff")


def test_read_table_reads_tsv_and_json_lines(tmp_path: Path) -> None:
    tsv = tmp_path / "train.tsv"
    tsv.write_text("sequence\tlabel\n▲r ■g\t1\n", encoding="utf-8")
    assert read_table(tsv).column("sequence") == ("▲r ■g",)
    jsonl = tmp_path / "test.jsonl"
    jsonl.write_text('{"sequence": "▲r", "label": 1}\n\n{"sequence": "■g", "label": 0}\n')
    table = read_table(jsonl)
    assert table.format is TableFormat.JSONL and table.columns == ("sequence", "label")
    assert table.column("label") == ("1", "0") and table.column("sequence") == ("▲r", "■g")


@pytest.mark.parametrize(
    ("name", "body", "message"),
    [
        ("a.txt", "x", "not a table format"),
        ("a.csv", "", "empty"),
        ("a.csv", 'id,label\n1,"open\n', "a.csv:2: a quoted field is never closed"),
        ("a.jsonl", '{"label": 1}\n[1]\n', "a.jsonl:2: a JSON list, not an object"),
        ("a.jsonl", '{"label": 1}\n{oops\n', "a.jsonl:2: not valid JSON"),
    ],
)
def test_read_table_errors_name_file_and_line(
    tmp_path: Path, name: str, body: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    with pytest.raises(DataError, match=message.replace("[", r"\[")):
        read_table(path)


def test_read_table_rejects_non_utf8_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"id,label\n1,0\n\xff,1\n")
    with pytest.raises(DataError, match=r"a.csv:3: not valid UTF-8: byte 0xff"):
        read_table(path)


def test_inspect_file_finds_label_sequence_and_id_columns(tmp_path: Path) -> None:
    write_spr(tmp_path / "SPR_BENCH")
    found = inspect_file(tmp_path, Path("SPR_BENCH/train.csv"))
    assert found.relpath == "SPR_BENCH/train.csv" and found.split == "train"
    assert (found.label_column, found.sequence_column, found.id_column) == (
        "label",
        "sequence",
        "id",
    )
    assert found.n_rows == 4 and found.classes == ("0", "1") and len(found.sha256) == 64


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("id,sequence\n1,▲r\n", "no label column among 'id', 'sequence'"),
        ("id,label\n", "has a header but no rows"),
        ("label\n" + "".join(f"{i}\n" for i in range(150)), "holds 150 distinct values"),
    ],
)
def test_inspect_file_rejects_tables_without_usable_labels(
    tmp_path: Path, body: str, message: str
) -> None:
    (tmp_path / "train.csv").write_text(body, encoding="utf-8")
    with pytest.raises(DataError, match=message):
        inspect_file(tmp_path, Path("train.csv"))


def test_declare_files_checks_splits_and_paths(tmp_path: Path) -> None:
    write_spr(tmp_path / "data")
    files = declare_files(tmp_path, {"test": "data/test.csv", "train": "data/train.csv"})
    assert files.origin is DataOrigin.DECLARED
    assert files.relpaths == ("data/train.csv", "data/test.csv")  # train, dev, test order
    assert files.data_dirs == ("data",) and files.split("dev") is None
    assert files.roles() == {"train": "data/train.csv", "test": "data/test.csv"}
    with pytest.raises(DataError, match="unknown split 'validation'"):
        declare_files(tmp_path, {"validation": "data/dev.csv"})
    with pytest.raises(DataError, match="no test file declared"):
        declare_files(tmp_path, {"train": "data/train.csv"})
    with pytest.raises(DataError, match=r"data/nope\.csv: the data file does not exist"):
        declare_files(tmp_path, {"train": "data/train.csv", "test": "data/nope.csv"})
    outside = tmp_path.parent / f"{tmp_path.name}-outside.csv"
    outside.write_text("label\n1\n0\n", encoding="utf-8")
    try:
        with pytest.raises(DataError, match="lies outside the project folder"):
            declare_files(tmp_path, {"train": "data/train.csv", "test": outside})
    finally:
        outside.unlink()


@pytest.mark.parametrize(
    ("path", "split"),
    [
        ("SPR_BENCH/train.csv", "train"),
        ("data/spr_dev.csv", "dev"),
        ("val.jsonl", "dev"),
        ("data/validation/part-0.csv", "dev"),
        ("x/test_set.csv", "test"),
        ("train_test.csv", None),
        ("data.csv", None),
    ],
)
def test_split_of_reads_the_name(path: str, split: str | None) -> None:
    assert split_of(path) == split


def test_discover_keeps_labelled_tables_inside_the_project(tmp_path: Path) -> None:
    write_spr(tmp_path / "SPR_BENCH")
    (tmp_path / "config.json").write_text("{}", encoding="utf-8")
    (tmp_path / "notes.csv").write_text("a,b\n1,2\n", encoding="utf-8")  # no label column
    reads = [
        "SPR_BENCH/test.csv",
        str(tmp_path / "SPR_BENCH" / "train.csv"),
        "config.json",
        "notes.csv",
        "SPR_BENCH/missing.csv",
        "/usr/lib/python3/dist.csv",
    ]
    found = discover_files(tmp_path, reads)
    assert found is not None and found.origin is DataOrigin.DISCOVERED
    assert found.relpaths == ("SPR_BENCH/train.csv", "SPR_BENCH/test.csv")
    assert discover_files(tmp_path, ["config.json"]) is None
    trace = ScriptTrace(
        argv=("python", "train.py"),
        env={},
        run_dir=str(tmp_path),
        exit_code=0,
        timed_out=False,
        wall_s=1.0,
        tail="",
        files=(
            FileAccess(path="SPR_BENCH/dev.csv", mode="read", exists=True),
            FileAccess(path="SPR_BENCH/test.csv", mode="write", exists=True),
            FileAccess(path="SPR_BENCH/other.csv", mode="read", exists=False),
        ),
    )
    from_trace = discover(trace, tmp_path)
    assert from_trace is not None and from_trace.relpaths == ("SPR_BENCH/dev.csv",)


def test_discover_leaves_a_split_claimed_twice_unset(tmp_path: Path) -> None:
    write_spr(tmp_path / "a")
    write_spr(tmp_path / "b")
    found = discover_files(tmp_path, ["a/test.csv", "b/test.csv", "a/train.csv"])
    assert found is not None
    assert [(f.relpath, f.split) for f in found.files] == [
        ("a/train.csv", "train"),
        ("a/test.csv", None),
        ("b/test.csv", None),
    ]


def test_load_dataset_gives_a_token_dataset_with_the_files_rows(tmp_path: Path) -> None:
    write_spr(tmp_path / "noise-30%", ending="\r\n")
    files = declare_files(
        tmp_path,
        {"train": "noise-30%/train.csv", "dev": "noise-30%/dev.csv", "test": "noise-30%/test.csv"},
    )
    data = load_dataset(files)
    assert data is not None and data.kind == "tokens"
    assert data.test.ids == ("s0", "s1", "s2") and data.test.labels == (1, 0, 1)
    assert data.train.sequences[0] == "▲r ■g ●b"
    assert "noise-30%" in data.metadata["source"]
    assert data.metadata["files"]["test"]["rows"] == 3


def test_load_dataset_maps_text_labels_and_skips_non_token_data(tmp_path: Path) -> None:
    (tmp_path / "train.jsonl").write_text(
        "".join(json.dumps({"seq": s, "label": y}) + "\n" for s, y in [("▲r", "no"), ("■", "yes")]),
        encoding="utf-8",
    )
    (tmp_path / "test.jsonl").write_text(
        json.dumps({"seq": "●b ▲", "label": "yes"}) + "\n", encoding="utf-8"
    )
    files = declare_files(tmp_path, {"train": "train.jsonl", "test": "test.jsonl"})
    data = load_dataset(files)
    assert data is not None and data.train.labels == (0, 1) and data.test.labels == (1,)
    assert len(data.dev) == 0
    (tmp_path / "f_train.csv").write_text("x,label\n0.5,1\n0.1,0\n", encoding="utf-8")
    (tmp_path / "f_test.csv").write_text("x,label\n0.4,1\n", encoding="utf-8")
    plain = declare_files(tmp_path, {"train": "f_train.csv", "test": "f_test.csv"})
    assert plain.files[0].sequence_column is None and load_dataset(plain) is None


def test_class_index_keeps_integer_labels() -> None:
    assert class_index(("0", "2", "10")) == {"0": 0, "2": 2, "10": 10}
    assert class_index(("neg", "pos")) == {"neg": 0, "pos": 1}


def test_from_facts_rebuilds_the_declared_files(tmp_path: Path) -> None:
    write_spr(tmp_path / "data")
    facts = ScriptFacts(
        command="python train.py",
        project=str(tmp_path),
        data_files={"train": "data/train.csv", "test": "data/test.csv", "extra": "data/dev.csv"},
        data_declared=True,
    )
    files = from_facts(facts)
    assert files is not None and files.origin is DataOrigin.DECLARED
    assert [(f.relpath, f.split) for f in files.files] == [
        ("data/train.csv", "train"),
        ("data/test.csv", "test"),
        ("data/dev.csv", None),
    ]
    assert from_facts(ScriptFacts(command="python x.py", project=str(tmp_path))) is None


@pytest.mark.skipif(
    not (SHARED_DATA / "BenchmarkIssue").is_dir(),
    reason="the real SPR_BENCH files live outside the repository (../shared/data/spr_bench) "
    "and are absent here",
)
def test_real_spr_bench_files_load_with_their_crlf_endings() -> None:
    folder = "BenchmarkIssue/SPR_BENCH/LYGES"
    files = declare_files(SHARED_DATA, {s: f"{folder}/{s}.csv" for s in ("train", "dev", "test")})
    assert [f.n_rows for f in files.files] == [2000, 500, 1000]
    assert files.files[0].sha256.startswith("c26c255a")
    data = load_dataset(files)
    assert data is not None and sum(data.test.labels) == 500
