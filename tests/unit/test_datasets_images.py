"""Tests of the image-folder loader: both layouts, pixel values, carving, every error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from auditkit.datasets.images import image_folder
from auditkit.errors import DataError
from auditkit.types import SPLITS

RGB = tuple[int, int, int]


def write_image(
    path: Path, color: RGB = (255, 0, 128), size: tuple[int, int] = (6, 4), mode: str = "RGB"
) -> Path:
    """Write a solid image of ``size`` = (width, height); the format follows the suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.new("RGB", size, color)
    if mode != "RGB":
        image = image.convert(mode)
    image.save(path)
    return path


def write_classes(root: Path, counts: dict[str, int], color: RGB = (10, 20, 30)) -> Path:
    for cls, n in counts.items():
        for i in range(n):
            write_image(root / cls / f"{i:03d}.png", color)
    return root


def load_error(path: Path, **options: Any) -> str:
    with pytest.raises(DataError) as info:
        image_folder(path, **options)
    return str(info.value)


# --------------------------------------------------------------------------- classes layout


def test_classes_layout_stratified_split(tmp_path: Path) -> None:
    root = write_classes(tmp_path / "pets", {"dog": 20, "cat": 20, "eel": 10})
    data = image_folder(root, size=8)
    meta = data.metadata
    assert meta["layout"] == "classes"
    assert meta["classes"] == ["cat", "dog", "eel"]  # sorted; label = index
    assert meta["carved"] == ["train", "dev", "test"]
    assert meta["source"] == str(root.resolve())
    assert data.name == "image_folder('pets')"
    assert data.n_classes == 3
    # round(0.15 * 50) = 8 rows each for dev and test, shared in proportion to class size
    assert meta["files"] == {"train": 34, "dev": 8, "test": 8}
    for split in ("dev", "test"):
        counts = np.bincount(data.split(split).labels, minlength=3)
        assert np.all(np.abs(counts - 0.15 * np.asarray([20, 20, 10])) <= 1)
        assert meta["splits"][split]["label_counts"] == counts.tolist()
    ids = [i for split in SPLITS for i in data.split(split).ids]
    assert len(ids) == len(set(ids)) == 50
    assert all(i.split("/")[0] in {"cat", "dog", "eel"} for i in ids)
    for split in SPLITS:
        part = data.split(split)
        for row_id, label in zip(part.ids, part.labels.tolist(), strict=True):
            assert row_id.startswith(meta["classes"][label] + "/")
    json.dumps(meta)


def test_carving_is_seeded(tmp_path: Path) -> None:
    root = write_classes(tmp_path / "d", {"a": 12, "b": 12})
    first, again = image_folder(root, size=4), image_folder(root, size=4)
    other = image_folder(root, size=4, seed=1)
    assert first.test.ids == again.test.ids
    assert first.fingerprint() == again.fingerprint()
    assert first.test.ids != other.test.ids


def test_fractions_are_used(tmp_path: Path) -> None:
    root = write_classes(tmp_path / "d", {"a": 10, "b": 10})
    data = image_folder(root, size=4, dev=0.1, test=0.5)
    assert data.metadata["files"] == {"train": 8, "dev": 2, "test": 10}


def test_small_folder_still_gets_dev_and_test(tmp_path: Path) -> None:
    # 0.15 * 6 rounds to 1: each split gets one image and every class keeps training rows
    root = write_classes(tmp_path / "d", {"a": 3, "b": 3})
    data = image_folder(root, size=4)
    assert data.metadata["files"] == {"train": 4, "dev": 1, "test": 1}
    assert sorted(set(data.train.labels.tolist())) == [0, 1]


def test_pixel_values(tmp_path: Path) -> None:
    root = tmp_path / "d"
    for i in range(4):
        write_image(root / "a" / f"{i}.png", (255, 0, 51), size=(10, 6))
        write_image(root / "b" / f"{i}.png", (0, 255, 0), size=(3, 9))
    data = image_folder(root, size=(5, 7))
    inputs = np.concatenate([data.split(s).inputs for s in SPLITS])
    labels = np.concatenate([data.split(s).labels for s in SPLITS])
    assert inputs.shape == (8, 3, 5, 7)
    assert inputs.dtype == np.float32
    np.testing.assert_allclose(inputs[labels == 0][:, :, 2, 3], [[1.0, 0.0, 0.2]] * 4, atol=1e-6)
    np.testing.assert_allclose(inputs[labels == 1][:, :, 2, 3], [[0.0, 1.0, 0.0]] * 4, atol=1e-6)
    assert data.metadata["options"] == {
        "size": [5, 7],
        "grayscale": False,
        "dev": 0.15,
        "test": 0.15,
        "seed": 0,
        "name": None,
    }


def test_grayscale_loads_luminance(tmp_path: Path) -> None:
    root = tmp_path / "d"
    for i in range(3):
        write_image(root / "a" / f"{i}.png", (200, 100, 50))
        write_image(root / "b" / f"{i}.png", (0, 0, 0))
    data = image_folder(root, size=4, grayscale=True, name="gray")
    assert data.name == "gray"
    assert data.input_shape == (1, 4, 4)
    # Pillow's L conversion: (299 R + 587 G + 114 B) / 1000, rounded to an integer
    expected = round((299 * 200 + 587 * 100 + 114 * 50) / 1000) / 255
    values = data.train.inputs[data.train.labels == 0]
    np.testing.assert_allclose(values, expected, atol=1e-6)


def test_formats_nesting_and_ignored_files(tmp_path: Path) -> None:
    root = tmp_path / "d"
    write_image(root / "a" / "one.jpg")
    write_image(root / "a" / "two.JPEG")
    write_image(root / "a" / "deep" / "three.bmp")
    write_image(root / "a" / "four.gif", mode="P")
    write_image(root / "b" / "rgba.png", mode="RGBA")
    write_image(root / "b" / "gray.PNG", mode="L")
    write_image(root / "b" / "pal.png", mode="P")
    write_image(root / "b" / ".hidden.png")  # hidden: ignored
    write_image(root / ".cache" / "x.png")  # hidden folder: no class
    (root / "a" / "notes.txt").write_text("not an image")
    (root / "README.md").write_text("stray file beside the classes")
    data = image_folder(root, size=4)
    ids = sorted(i for s in SPLITS for i in data.split(s).ids)
    assert ids == [
        "a/deep/three.bmp",
        "a/four.gif",
        "a/one.jpg",
        "a/two.JPEG",
        "b/gray.PNG",
        "b/pal.png",
        "b/rgba.png",
    ]
    assert data.metadata["classes"] == ["a", "b"]
    inputs = np.concatenate([data.split(s).inputs for s in SPLITS])
    assert inputs.shape == (7, 3, 4, 4)
    assert inputs.min() >= 0.0
    assert inputs.max() <= 1.0


# --------------------------------------------------------------------------- splits layout


def make_splits(root: Path, dev_name: str | None = "dev") -> Path:
    write_classes(root / "train", {"cat": 6, "dog": 6})
    write_classes(root / "test", {"cat": 2, "dog": 3})
    if dev_name is not None:
        write_classes(root / dev_name, {"dog": 2})  # a class may be absent from dev
    return root


def test_splits_layout_reads_each_folder(tmp_path: Path) -> None:
    root = make_splits(tmp_path / "bench")
    data = image_folder(root, size=4)
    meta = data.metadata
    assert meta["layout"] == "splits"
    assert meta["carved"] == []
    assert meta["classes"] == ["cat", "dog"]
    assert meta["files"] == {"train": 12, "dev": 2, "test": 5}
    assert data.train.ids[0] == "train/cat/000.png"
    assert data.train.ids[-1] == "train/dog/005.png"
    assert data.dev.ids == ("dev/dog/000.png", "dev/dog/001.png")
    assert data.dev.labels.tolist() == [1, 1]
    assert data.test.labels.tolist() == [0, 0, 1, 1, 1]
    assert meta["splits"]["dev"]["label_counts"] == [0, 2]


def test_splits_layout_accepts_val(tmp_path: Path) -> None:
    data = image_folder(make_splits(tmp_path / "b", dev_name="val"), size=4)
    assert data.dev.ids[0] == "val/dog/000.png"


def test_splits_layout_carves_dev_from_train(tmp_path: Path) -> None:
    root = make_splits(tmp_path / "b", dev_name=None)
    data = image_folder(root, size=4, dev=0.34)
    meta = data.metadata
    assert meta["carved"] == ["dev"]
    assert meta["files"] == {"train": 8, "dev": 4, "test": 5}
    assert np.bincount(data.dev.labels).tolist() == [2, 2]
    assert all(i.startswith("train/") for i in data.dev.ids)
    assert not set(data.dev.ids) & set(data.train.ids)
    assert image_folder(root, size=4, dev=0.34).dev.ids == data.dev.ids


# --------------------------------------------------------------------------- errors


def test_missing_folder(tmp_path: Path) -> None:
    message = load_error(tmp_path / "absent")
    assert f"{tmp_path / 'absent'}: the image folder does not exist" in message
    assert "(images-folder-missing)" in message
    write_image(tmp_path / "file.png")
    assert "is a file, not a folder" in load_error(tmp_path / "file.png")


def test_images_without_class_folders(tmp_path: Path) -> None:
    write_image(tmp_path / "flat" / "a.png")
    message = load_error(tmp_path / "flat")
    assert f"{tmp_path / 'flat'}: no class subfolders found" in message
    assert "one subfolder per class" in message
    assert "(images-no-classes)" in message


def test_no_images_anywhere(tmp_path: Path) -> None:
    (tmp_path / "d" / "a").mkdir(parents=True)
    (tmp_path / "d" / "b").mkdir()
    (tmp_path / "d" / "b" / "x.txt").write_text("text")
    message = load_error(tmp_path / "d")
    assert "no image files in any class folder (a, b)" in message
    assert ".png" in message
    assert "(images-empty)" in message


def test_one_empty_class_folder(tmp_path: Path) -> None:
    root = write_classes(tmp_path / "d", {"a": 3, "b": 3})
    (root / "c").mkdir()
    message = load_error(root)
    assert f"class folder {root / 'c'} holds no image files" in message
    assert "(images-empty)" in message


def test_single_class(tmp_path: Path) -> None:
    root = write_classes(tmp_path / "d", {"only": 5})
    message = load_error(root)
    assert f"{root}: only one class folder (only)" in message
    assert "(images-one-class)" in message
    split_root = tmp_path / "s"
    write_classes(split_root / "train", {"only": 3})
    write_classes(split_root / "test", {"only": 3})
    assert "only one class folder (only)" in load_error(split_root)


@pytest.mark.parametrize(
    "content",
    [b"this is not a png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, b""],
    ids=["text", "bad-header", "empty"],
)
def test_corrupt_image_names_the_file(tmp_path: Path, content: bytes) -> None:
    root = write_classes(tmp_path / "d", {"a": 3, "b": 3})
    bad = root / "b" / "broken.png"
    bad.write_bytes(content)
    message = load_error(root)
    assert f"{bad}: cannot read the image" in message
    assert "(images-unreadable)" in message


def test_truncated_image_names_the_file(tmp_path: Path) -> None:
    root = write_classes(tmp_path / "d", {"a": 3, "b": 3})
    good = write_image(root / "a" / "big.png", size=(64, 64))
    noisy = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noisy).save(good)
    data = good.read_bytes()
    good.write_bytes(data[: len(data) // 2])
    message = load_error(root)
    assert f"{good}: cannot read the image" in message


def test_class_in_test_not_in_train(tmp_path: Path) -> None:
    root = make_splits(tmp_path / "b")
    write_classes(root / "test", {"owl": 1})
    message = load_error(root)
    assert f"{root / 'test'}: class folder owl is not in {root / 'train'}" in message
    assert "(its classes: cat, dog)" in message
    assert "(images-unknown-class)" in message


def test_splits_layout_without_test_or_train(tmp_path: Path) -> None:
    root = tmp_path / "b"
    write_classes(root / "train", {"cat": 2, "dog": 2})
    message = load_error(root)
    assert f"{root}: has train/ but no test/ folder" in message
    assert "(images-split-missing)" in message
    other = tmp_path / "c"
    write_classes(other / "test", {"cat": 2, "dog": 2})
    assert "has test/ but no train/ folder" in load_error(other)


def test_splits_layout_with_two_dev_folders(tmp_path: Path) -> None:
    root = make_splits(tmp_path / "b")
    write_classes(root / "val", {"cat": 1})
    message = load_error(root)
    assert "holds dev/ and val/" in message
    assert "(images-layout)" in message


def test_mixed_layouts(tmp_path: Path) -> None:
    root = make_splits(tmp_path / "b")
    write_classes(root, {"owl": 2})
    message = load_error(root)
    assert "holds split folders (dev, test, train) and other folders (owl)" in message
    assert "(images-layout)" in message


def test_empty_test_folder(tmp_path: Path) -> None:
    root = tmp_path / "b"
    write_classes(root / "train", {"cat": 2, "dog": 2})
    (root / "test" / "cat").mkdir(parents=True)
    message = load_error(root)
    assert f"{root / 'test'}: no image files in any class folder" in message
    assert "the test split would be empty" in message


def test_train_without_class_folders(tmp_path: Path) -> None:
    root = tmp_path / "b"
    write_image(root / "train" / "x.png")
    write_classes(root / "test", {"cat": 1})
    assert f"{root / 'train'}: no class subfolders found" in load_error(root)


def test_too_few_images_to_carve(tmp_path: Path) -> None:
    root = write_classes(tmp_path / "d", {"a": 1, "b": 1})
    message = load_error(root)
    assert "2 images in 2 classes are too few to carve out a test split with test=0.15" in message
    assert "(images-empty)" in message


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"size": 0}, "image_folder(size=0): a size is a number of pixels from 1 to 4096"),
        ({"size": 5000}, "image_folder(size=5000)"),
        ({"size": (8,)}, "image_folder(size=(8,))"),
        ({"size": (8, 0)}, "image_folder(size=(8, 0))"),
        ({"size": 2.5}, "image_folder(size=2.5)"),
        ({"size": True}, "image_folder(size=True)"),
        ({"size": (8, "8")}, "image_folder(size=(8, '8'))"),
        ({"grayscale": "yes"}, "image_folder(grayscale='yes'): must be True or False"),
        ({"dev": 0}, "image_folder(dev=0): a fraction of the images, greater than 0"),
        ({"dev": 1.0}, "image_folder(dev=1.0)"),
        ({"test": -0.1}, "image_folder(test=-0.1)"),
        ({"test": float("nan")}, "image_folder(test=nan)"),
        ({"test": "0.2"}, "image_folder(test='0.2')"),
        ({"dev": 0.5, "test": 0.5}, "dev + test = 0.5 + 0.5 = 1 leaves no images"),
        ({"seed": -1}, "image_folder(seed=-1): must be an integer >= 0"),
        ({"seed": 1.5}, "image_folder(seed=1.5)"),
        ({"name": ""}, "image_folder(name=''): a dataset name must be a non-empty string"),
    ],
)
def test_option_errors(tmp_path: Path, options: dict[str, Any], expected: str) -> None:
    root = write_classes(tmp_path / "d", {"a": 3, "b": 3})
    message = load_error(root, **options)
    assert expected in message
    assert "Write instead, e.g.," in message
    assert "(images-option)" in message


def test_path_must_be_a_path() -> None:
    with pytest.raises(DataError, match=r"image_folder\(path=3\): a folder is a path"):
        image_folder(3)  # type: ignore[arg-type]


def test_truncated_image_fails_even_when_pillow_tolerates_truncation(tmp_path: Path) -> None:
    # WeasyPrint (the PDF report) sets Pillow's global LOAD_TRUNCATED_IMAGES on import
    from PIL import ImageFile

    root = write_classes(tmp_path / "d", {"a": 3, "b": 3})
    good = write_image(root / "a" / "big.png", size=(64, 64))
    noisy = np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noisy).save(good)
    good.write_bytes(good.read_bytes()[:2000])
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = True
    try:
        assert f"{good}: cannot read the image" in load_error(root)
        assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored for the other library
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
