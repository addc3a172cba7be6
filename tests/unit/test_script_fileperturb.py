"""File perturbations: seeded, deterministic, and byte-exact outside the perturbed field."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from auditkit.datasets.tokens import color_variety, shape_variety
from auditkit.errors import DataError
from auditkit.script.datafiles import DataFiles, declare_files, read_table
from auditkit.script.fileperturb import (
    FilePerturb,
    FilePerturbation,
    draw_factor,
    flip_count,
    is_file_perturbation,
    parse_transform,
    write_perturbed,
)
from tests.conftest import SHARED_DATA

SHAPES, COLORS = "▲■●◆", "rgby"


def spr_rows(n: int, seed: int, prefix: str) -> list[tuple[str, str, int]]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        length = int(rng.integers(3, 9))
        tokens = [SHAPES[rng.integers(4)] + COLORS[rng.integers(4)] for _ in range(length)]
        rows.append((f"{prefix}{i}", " ".join(tokens), int(rng.integers(2))))
    return rows


def write_csv(path: Path, rows: list[tuple[str, str, int]], ending: str, quote: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["id,sequence,label"]
    for i, s, y in rows:
        lines.append(f'{i},"{s}",{y}' if quote else f"{i},{s},{y}")
    # no line ending after the last row: perturbed files must keep that too
    path.write_bytes(("\ufeff" + ending.join(lines)).encode("utf-8"))


@pytest.fixture
def files(tmp_path: Path) -> DataFiles:
    project = tmp_path / "project"
    write_csv(project / "data/train.csv", spr_rows(200, 1, "tr"), "\r\n", quote=False)
    write_csv(project / "data/dev.csv", spr_rows(50, 2, "dv"), "\n", quote=True)
    write_csv(project / "data/test.csv", spr_rows(100, 3, "te"), "\r\n", quote=True)
    return declare_files(
        project, {"train": "data/train.csv", "dev": "data/dev.csv", "test": "data/test.csv"}
    )


def fields_outside(path: Path, column: str) -> list[str]:
    """The file's text with ``column``'s fields cut out: what must stay byte-identical."""
    table = read_table(path)
    index = table.columns.index(column)
    pieces, position = [table.bom], 0
    for row in table.rows:
        field = row.fields[index]
        pieces.append(table.text[position : field.start])
        position = field.end
    pieces.append(table.text[position:])
    return pieces


def test_names_round_trip_and_bad_names_say_what_exists() -> None:
    flip = FilePerturb(FilePerturbation.FLIP_TEST_LABELS, seed=3, share=0.25)
    assert flip.name == "file:flip_test_labels:share=0.25:seed=3"
    assert FilePerturb.parse(flip.name) == flip and is_file_perturbation(flip.name)
    assert flip.description == "25% of the test rows given another label"
    assert parse_transform("resplit:1000") == FilePerturb(FilePerturbation.RESPLIT, seed=1000)
    assert parse_transform("mask_color").kind is FilePerturbation.MASK_COLOR_TRAIN_TEST
    assert parse_transform("shuffle", test_only=True).kind is FilePerturbation.SHUFFLE_TEST
    assert parse_transform("reverse", test_only=True).kind is FilePerturbation.REVERSE_TEST
    assert parse_transform("color_shift").kind is FilePerturbation.COLOR_SHIFT_TRAIN_TEST
    with pytest.raises(ValueError, match=r"'grayscale' has no file form.*known: shuffle"):
        parse_transform("grayscale", test_only=True)
    with pytest.raises(ValueError, match="not a valid file perturbation"):
        parse_transform("file:permute_everything:seed=0")
    with pytest.raises(ValueError, match=r"share of test rows to flip must be in \(0, 1\]"):
        FilePerturb(FilePerturbation.FLIP_TEST_LABELS, share=1.5)
    with pytest.raises(ValueError, match="share applies to flip_test_labels only"):
        FilePerturb(FilePerturbation.RESPLIT, share=0.5)


def test_untouched_files_are_byte_identical_copies(files: DataFiles, tmp_path: Path) -> None:
    out = write_perturbed(
        files, FilePerturb(FilePerturbation.PERMUTE_TRAIN_LABELS), dest=tmp_path / "run"
    )
    for relpath in ("data/dev.csv", "data/test.csv"):
        assert (tmp_path / "run" / relpath).read_bytes() == (files.root / relpath).read_bytes()
        record = out.file(relpath)
        assert record is not None and record.n_changed == 0


def test_permuting_train_labels_changes_only_the_label_field(
    files: DataFiles, tmp_path: Path
) -> None:
    perturb = FilePerturb(FilePerturbation.PERMUTE_TRAIN_LABELS, seed=7)
    out = write_perturbed(files, perturb.name, dest=tmp_path / "a")
    write_perturbed(files, perturb, dest=tmp_path / "b")
    new, old = tmp_path / "a/data/train.csv", files.root / "data/train.csv"
    assert new.read_bytes() == (tmp_path / "b/data/train.csv").read_bytes()  # deterministic
    assert new.read_bytes().startswith(b"\xef\xbb\xbf") and b"\r\n" in new.read_bytes()
    assert fields_outside(new, "label") == fields_outside(old, "label")
    before, after = read_table(old).column("label"), read_table(new).column("label")
    assert Counter(before) == Counter(after)  # a permutation: the class counts stay
    changed = sum(a != b for a, b in zip(before, after, strict=True))
    record = out.file("data/train.csv")
    assert record is not None and record.n_changed == changed and changed > 50
    assert read_table(new).column("sequence") == read_table(old).column("sequence")
    other = write_perturbed(
        files, FilePerturb(FilePerturbation.PERMUTE_TRAIN_LABELS, seed=8), dest=tmp_path / "c"
    )
    assert other.file("data/train.csv") != record  # another seed, another permutation


def test_flipping_test_labels_flips_exactly_the_share(files: DataFiles, tmp_path: Path) -> None:
    perturb = FilePerturb(FilePerturbation.FLIP_TEST_LABELS, share=0.3)
    out = write_perturbed(files, perturb, dest=tmp_path / "run")
    new, old = tmp_path / "run/data/test.csv", files.root / "data/test.csv"
    before, after = read_table(old).column("label"), read_table(new).column("label")
    assert sum(a != b for a, b in zip(before, after, strict=True)) == flip_count(100, 0.3) == 30
    assert set(after) <= {"0", "1"}
    assert fields_outside(new, "label") == fields_outside(old, "label")
    record = out.file("data/test.csv")
    assert record is not None and record.n_changed == 30 and record.n_rows == 100


def test_flipping_with_three_classes_gives_another_class(tmp_path: Path) -> None:
    rows = [(f"r{i}", "▲r ■g", i % 3) for i in range(60)]
    write_csv(tmp_path / "train.csv", rows, "\n", quote=False)
    write_csv(tmp_path / "test.csv", rows, "\n", quote=False)
    files = declare_files(tmp_path, {"train": "train.csv", "test": "test.csv"})
    write_perturbed(
        files, FilePerturb(FilePerturbation.FLIP_TEST_LABELS, share=1.0), dest=tmp_path / "run"
    )
    after = read_table(tmp_path / "run/test.csv").column("label")
    assert all(int(a) != y for a, (_, _, y) in zip(after, rows, strict=True))
    assert len(set(after)) == 3  # both other classes are drawn


@pytest.mark.parametrize(
    ("kind", "splits"),
    [
        (FilePerturbation.SHUFFLE_TEST, ("test",)),
        (FilePerturbation.SHUFFLE_TRAIN_TEST, ("train", "dev", "test")),
        (FilePerturbation.MASK_COLOR_TEST, ("test",)),
        (FilePerturbation.MASK_SHAPE_TRAIN_TEST, ("train", "dev", "test")),
        (FilePerturbation.SWAP_COLOR_TEST, ("test",)),
        (FilePerturbation.SWAP_SHAPE_TRAIN_TEST, ("train", "dev", "test")),
        (FilePerturbation.REVERSE_TEST, ("test",)),
        (FilePerturbation.COLOR_SHIFT_TRAIN_TEST, ("train", "dev", "test")),
    ],
)
def test_token_perturbations_rewrite_the_sequence_field_of_their_splits(
    files: DataFiles, tmp_path: Path, kind: FilePerturbation, splits: tuple[str, ...]
) -> None:
    write_perturbed(files, FilePerturb(kind, seed=1), dest=tmp_path / "run")
    for split in ("train", "dev", "test"):
        new, old = tmp_path / f"run/data/{split}.csv", files.root / f"data/{split}.csv"
        if split not in splits:
            assert new.read_bytes() == old.read_bytes()
            continue
        assert fields_outside(new, "sequence") == fields_outside(old, "sequence")
        before, after = read_table(old).column("sequence"), read_table(new).column("sequence")
        assert before != after
        for b, a in zip(before, after, strict=True):
            assert len(a.split()) == len(b.split())
            if kind.value.startswith("shuffle"):
                assert sorted(a.split()) == sorted(b.split())
            elif kind is FilePerturbation.REVERSE_TEST:
                assert a.split() == b.split()[::-1]
            elif kind is FilePerturbation.COLOR_SHIFT_TRAIN_TEST:
                assert [t[0] for t in a.split()] == [t[0] for t in b.split()]
                assert all(x[1] != y[1] for x, y in zip(a.split(), b.split(), strict=True))
            elif kind is FilePerturbation.MASK_COLOR_TEST:
                assert a == " ".join(t[0] for t in b.split())
            elif kind is FilePerturbation.MASK_SHAPE_TRAIN_TEST:
                assert {t[0] for t in a.split()} == {"■"} and [t[1:] for t in a.split()] == [
                    t[1:] for t in b.split()
                ]
            elif kind is FilePerturbation.SWAP_COLOR_TEST:
                assert [t[0] for t in a.split()] == [t[0] for t in b.split()]
            else:
                assert [t[1:] for t in a.split()] == [t[1:] for t in b.split()]


def test_factor_probes_of_model_files_map_to_file_probes_of_the_same_meaning(
    files: DataFiles, tmp_path: Path
) -> None:
    # AK302's in-distribution probes and their dev twins, and its retrained mode
    color = parse_transform("permute_color", test_only=True)
    assert color == FilePerturb(FilePerturbation.PERMUTE_COLOR_TEST)
    assert parse_transform("permute_shape", test_only=True).kind is (
        FilePerturbation.PERMUTE_SHAPE_TEST
    )
    dev = parse_transform("permute_color@dev", test_only=True)
    assert dev == FilePerturb(FilePerturbation.PERMUTE_COLOR_TEST, split="dev")
    assert dev.name == "file:permute_color_test:split=dev:seed=0"
    assert FilePerturb.parse(dev.name) == dev and dev.splits == ("dev",)
    assert dev.description.startswith("each dev token's colour")
    masked = parse_transform("mask_shape@dev", test_only=True)
    assert masked.kind is FilePerturbation.MASK_SHAPE_TEST and masked.split == "dev"
    assert parse_transform("mask_color").kind is FilePerturbation.MASK_COLOR_TRAIN_TEST
    with pytest.raises(ValueError, match="has no file form"):
        parse_transform("permute_color")  # not a retraining transform of model files
    with pytest.raises(ValueError, match="only test-time token perturbations"):
        FilePerturb(FilePerturbation.FLIP_TEST_LABELS, share=0.5, split="dev")
    with pytest.raises(ValueError, match="not a valid file perturbation"):
        FilePerturb.parse("file:shuffle_test:split=train:seed=0")

    # the file permutes each position's colours across the test rows, as the model-file
    # probe does: shapes stay, each position keeps its colours, rows change
    write_perturbed(files, color, dest=tmp_path / "test")
    before = read_table(files.root / "data/test.csv").column("sequence")
    after = read_table(tmp_path / "test/data/test.csv").column("sequence")
    assert after != before
    for b, a in zip(before, after, strict=True):
        assert [t[0] for t in a.split()] == [t[0] for t in b.split()]
    for i in range(8):
        assert Counter(s.split()[i][1:] for s in before if len(s.split()) > i) == Counter(
            s.split()[i][1:] for s in after if len(s.split()) > i
        )
    for split in ("train", "dev"):
        assert (tmp_path / f"test/data/{split}.csv").read_bytes() == (
            files.root / f"data/{split}.csv"
        ).read_bytes()
    # the dev twin rewrites the dev file alone
    write_perturbed(files, dev, dest=tmp_path / "dev")
    for split in ("train", "test"):
        assert (tmp_path / f"dev/data/{split}.csv").read_bytes() == (
            files.root / f"data/{split}.csv"
        ).read_bytes()
    assert read_table(tmp_path / "dev/data/dev.csv").column("sequence") != read_table(
        files.root / "data/dev.csv"
    ).column("sequence")
    without_dev = dataclasses.replace(
        files, files=tuple(f for f in files.files if f.split != "dev")
    )
    with pytest.raises(DataError, match="no dev file"):
        write_perturbed(without_dev, dev, dest=tmp_path / "none")


def test_draw_factor_follows_the_train_marginal() -> None:
    sequences = ["▲r ■g ●b ◆y"] * 2000
    drawn = draw_factor(sequences, 1, {"r": 0.7, "g": 0.3}, seed=0)
    colors = Counter(t[1] for s in drawn for t in s.split())
    assert set(colors) == {"r", "g"}
    assert 0.66 < colors["r"] / 8000 < 0.74
    assert draw_factor(sequences, 0, {"▲": 1.0}, seed=0)[0] == "▲r ▲g ▲b ▲y"


def test_resplit_deals_the_same_rows_out_again(files: DataFiles, tmp_path: Path) -> None:
    out = write_perturbed(files, "resplit:5", dest=tmp_path / "run")
    rows_before: list[str] = []
    rows_after: list[str] = []
    for split, n in (("train", 200), ("dev", 50), ("test", 100)):
        new, old = (
            read_table(tmp_path / f"run/data/{split}.csv"),
            read_table(files.root / f"data/{split}.csv"),
        )
        assert len(new.rows) == n
        assert new.text[: new.header.end] == old.text[: old.header.end]  # type: ignore[union-attr]
        # every row keeps its file's line ending; the last row still has none
        ending = "\r\n" if split != "dev" else "\n"
        assert new.text.count(ending) == n and not new.text.endswith(ending)
        rows_before += [old.text[r.start : r.end] for r in old.rows]
        rows_after += [new.text[r.start : r.end] for r in new.rows]
    assert Counter(rows_before) == Counter(rows_after)
    record = out.file("data/test.csv")
    assert record is not None and record.n_changed > 50  # most test rows came from elsewhere


def test_shifted_split_moves_the_most_varied_rows_to_test(files: DataFiles, tmp_path: Path) -> None:
    write_perturbed(files, FilePerturb(FilePerturbation.SHIFTED_SPLIT), dest=tmp_path / "run")

    def variety(split: str) -> float:
        sequences = read_table(tmp_path / f"run/data/{split}.csv").column("sequence")
        return float(np.mean([shape_variety(s) + color_variety(s) for s in sequences]))

    assert variety("test") > variety("train") + 1.0
    assert len(read_table(tmp_path / "run/data/test.csv").rows) == 100


def test_json_lines_keep_label_types_and_line_style(tmp_path: Path) -> None:
    rows = spr_rows(40, 4, "j")
    for name in ("train", "test"):
        (tmp_path / f"{name}.jsonl").write_text(
            "".join(
                json.dumps({"id": i, "seq": s, "label": y}, ensure_ascii=False) + "\n"
                for i, s, y in rows
            ),
            encoding="utf-8",
        )
    files = declare_files(tmp_path, {"train": "train.jsonl", "test": "test.jsonl"})
    write_perturbed(
        files, FilePerturb(FilePerturbation.FLIP_TEST_LABELS, share=0.5), dest=tmp_path / "run"
    )
    lines = (tmp_path / "run/test.jsonl").read_text(encoding="utf-8").splitlines()
    objects = [json.loads(line) for line in lines]
    assert all(isinstance(o["label"], int) for o in objects)
    assert sum(o["label"] != y for o, (_, _, y) in zip(objects, rows, strict=True)) == 20
    originals = (tmp_path / "test.jsonl").read_text(encoding="utf-8").splitlines()
    assert all(
        a == b
        or json.dumps({**json.loads(b), "label": json.loads(a)["label"]}, ensure_ascii=False) == a
        for a, b in zip(lines, originals, strict=True)
    )


def test_missing_inputs_are_clear_errors(tmp_path: Path) -> None:
    (tmp_path / "train.csv").write_text("x,label\n1,0\n2,1\n", encoding="utf-8")
    (tmp_path / "test.csv").write_text("x,label\n1,0\n", encoding="utf-8")
    files = declare_files(tmp_path, {"train": "train.csv", "test": "test.csv"})
    with pytest.raises(DataError, match="shuffle_test needs a column of SPR-style token"):
        write_perturbed(files, FilePerturb(FilePerturbation.SHUFFLE_TEST), dest=tmp_path / "r")
    with pytest.raises(ValueError, match="has no file form"):
        write_perturbed(files, "grayscale", dest=tmp_path / "r")


@pytest.mark.skipif(
    not (SHARED_DATA / "BenchmarkIssue").is_dir(),
    reason="the real SPR_BENCH files live outside the repository (../shared/data/spr_bench) "
    "and are absent here",
)
def test_real_spr_bench_test_file_keeps_its_crlf_bytes(tmp_path: Path) -> None:
    folder = "BenchmarkIssue/SPR_BENCH/LYGES"
    files = declare_files(SHARED_DATA, {s: f"{folder}/{s}.csv" for s in ("train", "dev", "test")})
    perturb = FilePerturb(FilePerturbation.FLIP_TEST_LABELS, share=0.5)
    write_perturbed(files, perturb, dest=tmp_path)
    new, old = tmp_path / folder / "test.csv", SHARED_DATA / folder / "test.csv"
    assert fields_outside(new, "label") == fields_outside(old, "label")
    before, after = read_table(old).column("label"), read_table(new).column("label")
    assert sum(a != b for a, b in zip(before, after, strict=True)) == 500
