"""Load folders of image files, one subfolder per class, as an ImageDataset.

Two layouts are read:

- ``splits``: ``path/train/<class>/*.png``, ``path/dev/<class>/...`` (or ``val/``) and
  ``path/test/<class>/...``; a missing dev folder is carved out of train.
- ``classes``: ``path/<class>/*.png``; train, dev and test are carved out of each class.

Carving is stratified (each class split in the same proportions) and seeded.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFile

from auditkit.datasets.inputs import check_int, check_name, check_number, folder_problem
from auditkit.errors import DataError
from auditkit.types import SPLITS, ArraySplit, ImageDataset, SplitName

__all__ = ["IMAGE_EXTENSIONS", "image_folder"]

#: file name endings read as images (compared in lower case); other files are ignored
IMAGE_EXTENSIONS: Final[tuple[str, ...]] = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
#: folder names accepted for the dev split in the ``splits`` layout
_DEV_NAMES: Final[tuple[str, ...]] = ("dev", "val", "valid", "validation")
_MAX_SIDE: Final = 4096

Layout = Literal["splits", "classes"]


@dataclass(frozen=True, slots=True)
class _Files:
    """The image files of one split and their labels, in load order."""

    paths: tuple[Path, ...]
    labels: tuple[int, ...]


# long only for its numpydoc docstring, the reference of every option; the body is short
def image_folder(
    path: str | os.PathLike[str],
    *,
    size: int | tuple[int, int] = 32,
    grayscale: bool = False,
    dev: float = 0.15,
    test: float = 0.15,
    seed: int = 0,
    name: str | None = None,
) -> ImageDataset:
    """Load a folder of images, one subfolder per class, as an :class:`ImageDataset`.

    The layout is recognised from the folder's subfolders:

    - **splits**: ``path`` holds ``train/`` and ``test/`` (and optionally ``dev/``, or
      ``val/``, ``valid/`` or ``validation/``), each with one subfolder per class. When
      there is no dev folder, a stratified fraction ``dev`` of each training class is
      moved to dev; ``test`` is then unused.
    - **classes**: ``path`` holds one subfolder per class; each class's files are dealt
      at random into test (fraction ``test``), dev (fraction ``dev``) and train (the
      rest), so every split has the classes in the same proportions, up to rounding.

    Classes are the sorted names of the class subfolders (of ``train/`` in the splits
    layout) and a label is a class's index in that list. A class may be absent from dev
    or test, but dev and test may hold no class that train lacks. Image files are found
    recursively inside each class folder by their ending (:data:`IMAGE_EXTENSIONS`, any
    case); other files, and names starting with ``.``, are ignored. Each image is
    converted to RGB (an alpha channel is dropped; a GIF gives its first frame) or, with
    ``grayscale``, to luminance, resized bilinearly to ``size`` and scaled to [0, 1].
    Images are decoded one at a time into the split's array, so memory holds the
    decoded splits and one source image at a time.

    Parameters
    ----------
    path
        The folder.
    size
        Output size: one side for square images, or ``(height, width)``; each 1 to 4096.
    grayscale
        Load one luminance channel instead of three colour channels.
    dev, test
        Fractions of images carved out for dev and test, each in (0, 1) with
        ``dev + test < 1``. Each is a fraction of the images it is carved from (all the
        class's images in the classes layout, the train folder's in the splits layout).
    seed
        Non-negative seed of the carving.
    name
        Dataset name; defaults to ``"image_folder('<folder name>')"``.

    Returns
    -------
    ImageDataset
        Inputs of shape (n, C, H, W), float32 in [0, 1], with C = 3 (or 1 with
        ``grayscale``) and (H, W) from ``size``; labels of shape (n,); ids the files'
        paths relative to ``path``, with ``/`` separators. Rows are sorted by class, then
        by path. ``metadata`` holds ``source`` (the resolved folder), ``classes`` (the
        class names in label order), ``layout`` (``"splits"`` or ``"classes"``),
        ``carved`` (the splits carved out at random rather than read from a folder),
        ``files`` (images per split), ``options`` (every argument) and ``splits`` (per
        split: ``rows`` and ``label_counts``).

    Raises
    ------
    DataError
        When the folder does not exist or is a file; when it holds no class subfolders,
        mixes the two layouts, or has a split folder without train or test; when a
        class folder (or the whole folder) holds no images, or dev or test would be
        empty; when there is only one class or dev/test holds a class train lacks; when
        an image cannot be read; and for an invalid option.
    """
    # over 80 lines for its numpydoc docstring (60 lines); the code itself is 36 lines
    root, (height, width), dev, test, seed = _check_options(
        path, size, grayscale, dev, test, seed, name
    )
    rng = np.random.default_rng(seed)
    layout, classes, files, carved = _discover(root, dev, test, rng)
    splits = {split: _load(root, files[split], (height, width), grayscale) for split in SPLITS}
    options: dict[str, Any] = {
        "size": [height, width],
        "grayscale": grayscale,
        "dev": dev,
        "test": test,
        "seed": seed,
        "name": name,
    }
    metadata: dict[str, Any] = {
        "source": str(root.resolve()),
        "classes": list(classes),
        "layout": layout,
        "carved": list(carved),
        "files": {split: len(files[split].paths) for split in SPLITS},
        "options": options,
        "splits": {
            split: {
                "rows": len(splits[split]),
                "label_counts": np.bincount(splits[split].labels, minlength=len(classes)).tolist(),
            }
            for split in SPLITS
        },
    }
    return ImageDataset(
        name=name if name is not None else f"image_folder({root.resolve().name!r})",
        train=splits["train"],
        dev=splits["dev"],
        test=splits["test"],
        metadata=metadata,
    )


def _check_options(
    path: object,
    size: object,
    grayscale: object,
    dev: object,
    test: object,
    seed: object,
    name: object,
) -> tuple[Path, tuple[int, int], float, float, int]:
    """The folder, (height, width), dev, test and seed, once every option is checked."""
    if not isinstance(path, str | os.PathLike):
        raise _option_error(
            "path",
            path,
            "a folder is a path (str or pathlib.Path)",
            "image_folder('data/images')",
        )
    height, width = _check_size(size)
    if not isinstance(grayscale, bool):
        raise _option_error("grayscale", grayscale, "must be True or False", "grayscale=True")
    dev_f = _check_fraction("dev", dev, "dev=0.15")
    test_f = _check_fraction("test", test, "test=0.15")
    if dev_f + test_f >= 1.0:
        raise _option_error(
            "dev",
            dev_f,
            f"dev + test = {dev_f} + {test_f} = {dev_f + test_f:g} leaves no images for "
            "training; the two fractions must add up to less than 1",
            "dev=0.15, test=0.15",
        )
    checked_seed = check_int(_option_error, "seed", seed, 0, "seed=0")
    check_name(_option_error, name, "name='pets'")
    root = Path(path)
    what = folder_problem(root)
    if what is not None:
        raise DataError(
            f"{root}: the image folder {what} (resolved: {root.resolve()}). image_folder "
            "reads path/<class>/*.png, or path/train/<class>/*.png with path/test/ (and "
            "optionally path/dev/). Check the path.",
            slug="images-folder-missing",
        )
    return root, (height, width), dev_f, test_f, checked_seed


# --------------------------------------------------------------------------- discovery


def _visible_dirs(folder: Path) -> list[Path]:
    # hidden folders (.ipynb_checkpoints, .git) are tool litter, never classes
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def _images_in(folder: Path) -> list[Path]:
    """Image files anywhere under ``folder``, sorted by path, hidden names skipped."""
    found = [
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in IMAGE_EXTENSIONS
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    return sorted(found)


def _discover(
    root: Path, dev: float, test: float, rng: np.random.Generator
) -> tuple[Layout, tuple[str, ...], dict[SplitName, _Files], tuple[SplitName, ...]]:
    """Find the layout, the classes and every split's files (carving where needed)."""
    subfolders = _visible_dirs(root)
    if not subfolders:
        raise DataError(
            f"{root}: no class subfolders found. image_folder takes each subfolder's name as "
            "a class and its images as that class's examples, so images directly in the "
            "folder have no label. Put them in one subfolder per class: "
            f"{root}/<class>/*.png (or {root}/train/<class>/, {root}/test/<class>/).",
            slug="images-no-classes",
        )
    split_names = {"train", "test", *_DEV_NAMES}
    split_dirs = [p for p in subfolders if p.name in split_names]
    if not split_dirs:
        return _discover_classes(root, subfolders, dev, test, rng)
    others = [p.name for p in subfolders if p.name not in split_names]
    if others:
        raise DataError(
            f"{root}: holds split folders ({', '.join(p.name for p in split_dirs)}) and other "
            f"folders ({', '.join(others)}). With a train/ or test/ folder the classes must be "
            "inside the split folders, so the other folders would be ignored or read as "
            "classes, which is ambiguous. Move them into train/ (and test/), or rename a "
            "class called train, dev or test.",
            slug="images-layout",
        )
    return _discover_splits(root, {p.name for p in split_dirs}, dev, rng)


def _discover_classes(
    root: Path, subfolders: Sequence[Path], dev: float, test: float, rng: np.random.Generator
) -> tuple[Layout, tuple[str, ...], dict[SplitName, _Files], tuple[SplitName, ...]]:
    classes = tuple(p.name for p in subfolders)
    _check_two_classes(root, classes)
    per_class = _class_files(root, root, classes)
    counts = np.asarray([len(files) for files in per_class], dtype=np.int64)
    n_test = _allocate(counts, test, counts - 1)
    # each class keeps at least one training image after both carvings
    n_dev = _allocate(counts, dev, counts - 1 - n_test)
    _check_carved(root, "test", test, n_test, counts)
    _check_carved(root, "dev", dev, n_dev, counts)
    parts: dict[SplitName, tuple[list[Path], list[int]]] = {s: ([], []) for s in SPLITS}
    for label, files in enumerate(per_class):
        order = rng.permutation(len(files))
        cut_test, cut_dev = int(n_test[label]), int(n_test[label] + n_dev[label])
        cuts: list[tuple[SplitName, NDArray[np.int64]]] = [
            ("test", order[:cut_test]),
            ("dev", order[cut_test:cut_dev]),
            ("train", order[cut_dev:]),
        ]
        for split, index in cuts:
            # sorted again so rows are ordered by path whatever the draw
            chosen = sorted(files[i] for i in index.tolist())
            parts[split][0].extend(chosen)
            parts[split][1].extend([label] * len(chosen))
    result = {s: _Files(tuple(parts[s][0]), tuple(parts[s][1])) for s in SPLITS}
    return "classes", classes, result, ("train", "dev", "test")


def _discover_splits(
    root: Path, present: set[str], dev: float, rng: np.random.Generator
) -> tuple[Layout, tuple[str, ...], dict[SplitName, _Files], tuple[SplitName, ...]]:
    dev_dirs = [d for d in _DEV_NAMES if d in present]
    if len(dev_dirs) > 1:
        raise DataError(
            f"{root}: holds {' and '.join(d + '/' for d in dev_dirs)}; both would be the dev "
            "split. Keep one of them (merge or remove the other).",
            slug="images-layout",
        )
    missing = [s for s in ("train", "test") if s not in present]
    if missing:
        raise DataError(
            f"{root}: has {', '.join(sorted(p + '/' for p in present))} but no "
            f"{' or '.join(m + '/' for m in missing)} folder. In the splits layout the "
            "model trains on train/ and is reported on test/, so neither can be filled in "
            "silently. Add the missing folder, or put one folder per class directly in "
            f"{root} to have train, dev and test carved out at random.",
            slug="images-split-missing",
        )
    train_root = root / "train"
    classes = tuple(p.name for p in _visible_dirs(train_root))
    if not classes:
        raise DataError(
            f"{train_root}: no class subfolders found. Put the training images in one "
            f"subfolder per class: {train_root}/<class>/*.png.",
            slug="images-no-classes",
        )
    _check_two_classes(train_root, classes)
    train_files = _class_files(root, train_root, classes)
    result: dict[SplitName, _Files] = {}
    carved: tuple[SplitName, ...] = ()
    folders: dict[SplitName, Path] = {"test": root / "test"}
    if dev_dirs:
        folders["dev"] = root / dev_dirs[0]
    for split, folder in folders.items():
        result[split] = _split_folder(root, folder, classes)
    if dev_dirs:
        result["train"] = _flatten(train_files)
    else:
        counts = np.asarray([len(files) for files in train_files], dtype=np.int64)
        n_dev = _allocate(counts, dev, counts - 1)
        _check_carved(train_root, "dev", dev, n_dev, counts)
        train_parts: tuple[list[Path], list[int]] = ([], [])
        dev_parts: tuple[list[Path], list[int]] = ([], [])
        for label, files in enumerate(train_files):
            order = rng.permutation(len(files))
            cut = int(n_dev[label])
            for parts, index in ((dev_parts, order[:cut]), (train_parts, order[cut:])):
                chosen = sorted(files[i] for i in index.tolist())
                parts[0].extend(chosen)
                parts[1].extend([label] * len(chosen))
        result["train"] = _Files(tuple(train_parts[0]), tuple(train_parts[1]))
        result["dev"] = _Files(tuple(dev_parts[0]), tuple(dev_parts[1]))
        carved = ("dev",)
    return "splits", classes, {s: result[s] for s in SPLITS}, carved


def _class_files(root: Path, folder: Path, classes: Sequence[str]) -> list[list[Path]]:
    """Every class's image files under ``folder``; each class must have at least one."""
    per_class = [_images_in(folder / c) for c in classes]
    empty = [c for c, files in zip(classes, per_class, strict=True) if not files]
    if len(empty) == len(classes):
        raise DataError(
            f"{folder}: no image files in any class folder ({', '.join(classes)}). "
            f"image_folder reads files ending in {', '.join(IMAGE_EXTENSIONS)} (any case). "
            "Check the path, or convert the images to one of these formats.",
            slug="images-empty",
        )
    if empty:
        raise DataError(
            f"{folder}: class folder{'s' if len(empty) > 1 else ''} "
            f"{', '.join(str(folder / c) for c in empty)} hold{'' if len(empty) > 1 else 's'} "
            f"no image files (ending in {', '.join(IMAGE_EXTENSIONS)}). A class without "
            "training images cannot be learned, and its label would never be predicted. "
            "Add images, or remove the empty folder.",
            slug="images-empty",
        )
    return per_class


def _split_folder(root: Path, folder: Path, classes: Sequence[str]) -> _Files:
    """The files of a dev or test folder, whose classes must all be training classes."""
    names = [p.name for p in _visible_dirs(folder)]
    unknown = [c for c in names if c not in classes]
    if unknown:
        raise DataError(
            f"{folder}: class folder{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
            f"{'are' if len(unknown) > 1 else 'is'} not in {root / 'train'} (its classes: "
            f"{', '.join(classes)}). Labels are indices into the training classes, so a "
            "class with no training images has no label a model could predict. Add it to "
            "train/, or fix the folder name.",
            slug="images-unknown-class",
        )
    paths: list[Path] = []
    labels: list[int] = []
    for label, cls in enumerate(classes):
        if cls in names:
            files = _images_in(folder / cls)
            paths.extend(files)
            labels.extend([label] * len(files))
    if not paths:
        raise DataError(
            f"{folder}: no image files in any class folder, so the {folder.name} split would "
            f"be empty. Add images (ending in {', '.join(IMAGE_EXTENSIONS)}) in "
            f"{folder}/<class>/, or remove the folder"
            + (" to have dev carved out of train." if folder.name != "test" else "."),
            slug="images-empty",
        )
    return _Files(tuple(paths), tuple(labels))


def _flatten(per_class: Sequence[Sequence[Path]]) -> _Files:
    paths = [p for files in per_class for p in files]
    labels = [label for label, files in enumerate(per_class) for _ in files]
    return _Files(tuple(paths), tuple(labels))


def _check_two_classes(folder: Path, classes: Sequence[str]) -> None:
    if len(classes) < 2:
        raise DataError(
            f"{folder}: only one class folder ({classes[0]}). An audit needs at least two "
            "classes: with one, every metric is trivial and no claim can be tested. Add a "
            "folder per class, or point image_folder at the folder that holds the class "
            "folders.",
            slug="images-one-class",
        )


def _allocate(
    counts: NDArray[np.int64], fraction: float, cap: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Split ``round(fraction * counts.sum())`` rows (at least 1) across classes, stratified.

    ``counts`` and ``cap`` have shape (n_classes,), as has the result. Largest-remainder
    rounding of ``fraction * counts`` (ties to the lower class index): each class's share
    is within one row of its exact share, and never above its ``cap``. The total is the
    rounded total, raised to 1 so a small folder still gets a non-empty split, and
    lowered where the caps leave fewer rows.
    """
    cap = np.maximum(cap, 0)
    exact = fraction * counts.astype(np.float64)
    share = np.minimum(np.floor(exact).astype(np.int64), cap)
    target = min(max(1, round(fraction * int(counts.sum()))), int(cap.sum()))
    # hand out the remaining rows by largest remainder, skipping classes at their cap
    for k in np.argsort(-(exact - share), kind="stable").tolist():
        if share.sum() >= target:
            break
        if share[k] < cap[k]:
            share[k] += 1
    return share


def _check_carved(
    folder: Path,
    split: str,
    fraction: float,
    carved: NDArray[np.int64],
    counts: NDArray[np.int64],
) -> None:
    if int(np.sum(carved)) == 0:
        total = int(np.sum(counts))
        raise DataError(
            f"{folder}: {total} image{'s' if total != 1 else ''} in {len(counts)} classes "
            f"are too few to carve out a {split} split with {split}={fraction}: every class "
            "keeps at least one training image, and nothing is left for "
            f"{split}. Add images (at least two per class), or provide a {split}/ folder.",
            slug="images-empty",
        )


# --------------------------------------------------------------------------- loading


def _load(root: Path, files: _Files, size: tuple[int, int], grayscale: bool) -> ArraySplit:
    """Decode, resize and scale every file of one split into an (n, C, H, W) split."""
    height, width = size
    channels = 1 if grayscale else 3
    # preallocated and filled one image at a time: only one decoded source image is ever
    # held beside the output
    inputs = np.empty((len(files.paths), channels, height, width), dtype=np.float32)
    # Pillow's global switch: WeasyPrint turns it on when imported (auditkit's PDF report),
    # which would fill a truncated file with grey instead of failing; a dataset must not
    # silently change, so it is off while the folder loads
    tolerant = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        for row, file in enumerate(files.paths):
            inputs[row] = _read_image(file, size, grayscale)
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = tolerant
    return ArraySplit(
        inputs=inputs,
        labels=np.asarray(files.labels, dtype=np.int64),
        ids=tuple(p.relative_to(root).as_posix() for p in files.paths),
    )


def _read_image(file: Path, size: tuple[int, int], grayscale: bool) -> NDArray[np.float32]:
    """One image as a (C, H, W) float32 array in [0, 1]."""
    height, width = size
    try:
        with warnings.catch_warnings():
            # Pillow warns that palette images with transparency should go through RGBA;
            # converting straight to RGB (dropping the alpha) is what is documented here
            warnings.simplefilter("ignore", UserWarning)
            with Image.open(file) as image:
                converted = image.convert("L" if grayscale else "RGB")
                resized = converted.resize((width, height), Image.Resampling.BILINEAR)
                pixels = np.asarray(resized, dtype=np.float32)
    except (
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
    ) as exc:
        # Pillow raises OSError (UnidentifiedImageError) for unknown or truncated files,
        # SyntaxError or ValueError for some malformed headers, and DecompressionBombError
        # for images of over ~179 million pixels
        raise DataError(
            f"{file}: cannot read the image ({type(exc).__name__}: {exc}). The file may be "
            "corrupt, truncated, or not an image despite its name. Re-export it, or delete "
            "it from the folder.",
            slug="images-unreadable",
        ) from None
    pixels /= np.float32(255.0)
    return pixels[None] if grayscale else pixels.transpose(2, 0, 1)


# --------------------------------------------------------------------------- options


def _option_error(option: str, value: object, why: str, instead: str) -> DataError:
    return DataError(
        f"image_folder({option}={value!r}): {why}. Write instead, e.g., {instead}.",
        slug="images-option",
    )


def _check_size(size: object) -> tuple[int, int]:
    why = (
        f"a size is a number of pixels from 1 to {_MAX_SIDE}: one integer for square images "
        "or a (height, width) pair"
    )
    sides: list[int] = []
    if isinstance(size, int | np.integer) and not isinstance(size, bool):
        sides = [int(size), int(size)]
    elif isinstance(size, tuple | list) and len(size) == 2:
        sides = [
            int(v) for v in size if isinstance(v, int | np.integer) and not isinstance(v, bool)
        ]
    if len(sides) != 2 or not all(1 <= v <= _MAX_SIDE for v in sides):
        raise _option_error("size", size, why, "size=32 or size=(32, 48)")
    return sides[0], sides[1]


def _check_fraction(option: str, value: object, instead: str) -> float:
    why = (
        "a fraction of the images, greater than 0 and less than 1 (an empty dev or test "
        "split could select no epoch or report nothing)"
    )
    return check_number(
        _option_error, option, value, 0.0, 1.0, why, instead, include_low=False, include_high=False
    )
