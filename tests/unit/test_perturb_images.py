"""Tests of the image perturbations: formulas, invariants, determinism, shapes and errors."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

from auditkit.perturb.images import (
    IMAGE_PERTURBATIONS,
    color_shift,
    grayscale,
    patch_shuffle,
)

Images = NDArray[np.float32]


def random_images(n: int = 5, c: int = 3, h: int = 8, w: int = 8, seed: int = 0) -> Images:
    return np.random.default_rng(seed).random((n, c, h, w), dtype=np.float32)


PERTURBATIONS: list[Callable[[Images, int], Images]] = [grayscale, patch_shuffle, color_shift]


@pytest.mark.parametrize("fn", PERTURBATIONS)
def test_new_float32_array_of_same_shape_input_untouched(
    fn: Callable[[Images, int], Images],
) -> None:
    images = random_images()
    before = images.copy()
    out = fn(images, 0)
    assert out.shape == images.shape
    assert out.dtype == np.float32
    assert not np.shares_memory(out, images)
    np.testing.assert_array_equal(images, before)


@pytest.mark.parametrize("fn", PERTURBATIONS)
def test_deterministic_given_seed(fn: Callable[[Images, int], Images]) -> None:
    images = random_images(n=20)
    np.testing.assert_array_equal(fn(images, 3), fn(images, 3))


@pytest.mark.parametrize("fn", [patch_shuffle, color_shift])
def test_seed_changes_the_draw(fn: Callable[[Images, int], Images]) -> None:
    images = random_images(n=20)
    assert not np.array_equal(fn(images, 0), fn(images, 1))


@pytest.mark.parametrize("fn", PERTURBATIONS)
def test_accepts_float64_and_empty(fn: Callable[[Images, int], Images]) -> None:
    images64 = random_images().astype(np.float64)
    out = fn(images64, 0)  # type: ignore[arg-type]
    assert out.dtype == np.float32
    empty = np.zeros((0, 3, 8, 8), dtype=np.float32)
    assert fn(empty, 0).shape == (0, 3, 8, 8)


@pytest.mark.parametrize("fn", PERTURBATIONS)
def test_rejects_non_image_arrays(fn: Callable[[Images, int], Images]) -> None:
    with pytest.raises(ValueError, match=r"shape \(n, channels, height, width\).*\(4, 3\)"):
        fn(np.zeros((4, 3), dtype=np.float32), 0)


# --------------------------------------------------------------------------- grayscale


def test_grayscale_hand_checked_pixel() -> None:
    images = np.zeros((1, 3, 2, 2), dtype=np.float32)
    images[0, :, 0, 0] = (1.0, 0.5, 0.25)
    out = grayscale(images)
    # 0.299 * 1 + 0.587 * 0.5 + 0.114 * 0.25 = 0.299 + 0.2935 + 0.0285
    assert out[0, :, 0, 0] == pytest.approx([0.621] * 3, abs=1e-6)
    assert np.all(out[0, :, 1, 1] == 0.0)


def test_grayscale_equalises_channels_and_matches_formula() -> None:
    images = random_images()
    out = grayscale(images)
    np.testing.assert_array_equal(out[:, 0], out[:, 1])
    np.testing.assert_array_equal(out[:, 0], out[:, 2])
    expected = 0.299 * images[:, 0] + 0.587 * images[:, 1] + 0.114 * images[:, 2]
    np.testing.assert_allclose(out[:, 0], expected, rtol=1e-6)


def test_grayscale_of_one_channel_is_a_copy() -> None:
    images = random_images(c=1)
    out = grayscale(images)
    np.testing.assert_array_equal(out, images)
    assert not np.shares_memory(out, images)


@pytest.mark.parametrize("fn", [grayscale, color_shift])
def test_colour_perturbations_need_one_or_three_channels(
    fn: Callable[[Images, int], Images],
) -> None:
    with pytest.raises(ValueError, match=r"1 .* or 3 .* channels; got 4"):
        fn(random_images(c=4), 0)


# --------------------------------------------------------------------------- patch_shuffle


def test_patch_shuffle_keeps_every_pixel_value_per_channel_and_changes_images() -> None:
    images = random_images(n=10, h=8, w=8)
    out = patch_shuffle(images, seed=0, patches=4)
    for i in range(len(images)):
        assert not np.array_equal(out[i], images[i])
        for c in range(3):
            np.testing.assert_array_equal(
                np.sort(out[i, c], axis=None), np.sort(images[i, c], axis=None)
            )


def test_patch_shuffle_moves_whole_tiles() -> None:
    images = random_images(n=3, h=8, w=8)
    out = patch_shuffle(images, seed=1, patches=2)
    for i in range(3):
        tiles_in = {images[i, :, r : r + 4, c : c + 4].tobytes() for r in (0, 4) for c in (0, 4)}
        tiles_out = {out[i, :, r : r + 4, c : c + 4].tobytes() for r in (0, 4) for c in (0, 4)}
        assert tiles_in == tiles_out


def test_patch_shuffle_never_identity_even_with_two_tiles_per_side() -> None:
    # 4 tiles have 24 orders; over 200 images an identity draw is near certain, and it
    # must be replaced
    images = random_images(n=200, h=4, w=4)
    out = patch_shuffle(images, seed=0, patches=2)
    changed = np.any(out.reshape(200, -1) != images.reshape(200, -1), axis=1)
    assert changed.all()


def test_patch_shuffle_leaves_the_remainder_in_place() -> None:
    images = random_images(n=4, h=10, w=9)
    out = patch_shuffle(images, seed=0, patches=4)  # tiles of 2 x 2 cover 8 x 8
    np.testing.assert_array_equal(out[:, :, 8:, :], images[:, :, 8:, :])
    np.testing.assert_array_equal(out[:, :, :, 8:], images[:, :, :, 8:])
    for i in range(4):
        np.testing.assert_array_equal(
            np.sort(out[i, :, :8, :8], axis=None), np.sort(images[i, :, :8, :8], axis=None)
        )


def test_patch_shuffle_one_patch_is_a_copy() -> None:
    images = random_images()
    np.testing.assert_array_equal(patch_shuffle(images, patches=1), images)


@pytest.mark.parametrize("patches", [0, 9, 2.0, True])
def test_patch_shuffle_rejects_bad_patches(patches: object) -> None:
    with pytest.raises(
        ValueError, match=r"patch_shuffle\(patches=.*from 1 to min\(height, width\) = 8"
    ):
        patch_shuffle(random_images(), patches=patches)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- color_shift


def test_color_shift_keeps_each_pixels_channel_multiset_and_never_identity() -> None:
    images = random_images(n=50)
    out = color_shift(images, seed=0)
    np.testing.assert_array_equal(np.sort(out, axis=1), np.sort(images, axis=1))
    for i in range(len(images)):
        assert not np.array_equal(out[i], images[i])
        # one permutation per image: each output channel is a whole input channel
        matches = [[np.array_equal(out[i, a], images[i, b]) for b in range(3)] for a in range(3)]
        assert all(sum(row) == 1 for row in matches)


def test_color_shift_uses_all_five_orders() -> None:
    images = np.broadcast_to(
        np.asarray([0.0, 0.5, 1.0], dtype=np.float32)[None, :, None, None], (200, 3, 1, 1)
    )
    out = color_shift(images, seed=0)
    orders = {tuple(row) for row in out[:, :, 0, 0].tolist()}
    assert orders == {
        (0.0, 1.0, 0.5),
        (0.5, 0.0, 1.0),
        (0.5, 1.0, 0.0),
        (1.0, 0.0, 0.5),
        (1.0, 0.5, 0.0),
    }


def test_color_shift_of_one_channel_is_a_copy() -> None:
    images = random_images(c=1)
    np.testing.assert_array_equal(color_shift(images), images)


# --------------------------------------------------------------------------- registry


def test_registry_names_and_functions() -> None:
    assert set(IMAGE_PERTURBATIONS) == {"mask_color", "mask_shape", "color_shift"}
    assert IMAGE_PERTURBATIONS["mask_color"][0] is grayscale
    assert IMAGE_PERTURBATIONS["mask_shape"][0] is patch_shuffle
    assert IMAGE_PERTURBATIONS["color_shift"][0] is color_shift
    images = random_images()
    for fn, description in IMAGE_PERTURBATIONS.values():
        assert description and "\n" not in description
        assert fn(images, 0).shape == images.shape
