"""Seeded perturbations of image arrays that each remove or alter one factor.

Every function takes float images of shape (n, C, H, W) and returns a new float32 array
of the same shape; the input is never modified. They mirror the token perturbations:
``mask_color`` removes colour and keeps shape, ``mask_shape`` removes global shape and
keeps colour, so the drop in accuracy under each measures a model's reliance on that
factor. Only numpy is used: this module sits below the checks layer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Final

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "IMAGE_PERTURBATIONS",
    "LUMA_WEIGHTS",
    "ImagePerturb",
    "color_shift",
    "grayscale",
    "patch_shuffle",
]

#: ITU-R BT.601 luma weights of red, green and blue
LUMA_WEIGHTS: Final[tuple[float, float, float]] = (0.299, 0.587, 0.114)

ImagePerturb = Callable[[NDArray[np.float32], int], NDArray[np.float32]]

# the five channel orders other than (0, 1, 2): color_shift picks one of them uniformly
_SHIFTS: Final = np.asarray([(0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0)], np.int64)


def _as_images(images: NDArray[np.float32], function: str) -> NDArray[np.float32]:
    array = np.asarray(images, dtype=np.float32)
    if array.ndim != 4:
        raise ValueError(
            f"{function}: images must have shape (n, channels, height, width); got an array "
            f"of shape {array.shape}"
        )
    return array


def _check_color(array: NDArray[np.float32], function: str) -> None:
    if array.shape[1] not in (1, 3):
        raise ValueError(
            f"{function}: images must have 1 (grayscale) or 3 (RGB) channels; got "
            f"{array.shape[1]} in shape {array.shape}"
        )


def grayscale(images: NDArray[np.float32], seed: int = 0) -> NDArray[np.float32]:
    """Replace colour by luminance: ``0.299 R + 0.587 G + 0.114 B`` in every channel.

    Shape, position and brightness survive; hue does not, so a model that reads colour
    loses that information while one that reads shape keeps it. ``seed`` is unused
    (the transformation is deterministic) and kept so every perturbation has the same
    signature.

    Parameters
    ----------
    images
        Array of shape (n, C, H, W) with C = 3 (RGB) or 1 (already gray: returned as
        an unchanged copy).
    seed
        Unused.

    Returns
    -------
    NDArray[np.float32]
        New array of shape (n, C, H, W) whose channels are all equal.

    Raises
    ------
    ValueError
        When ``images`` is not 4-dimensional or has a channel count other than 1 or 3.
    """
    array = _as_images(images, "grayscale")
    _check_color(array, "grayscale")
    if array.shape[1] == 1:
        return array.copy()
    r, g, b = (np.float32(w) for w in LUMA_WEIGHTS)
    luma = r * array[:, 0] + g * array[:, 1] + b * array[:, 2]  # (n, H, W)
    return np.repeat(luma[:, None], 3, axis=1).astype(np.float32, copy=False)


def patch_shuffle(
    images: NDArray[np.float32], seed: int = 0, patches: int = 4
) -> NDArray[np.float32]:
    """Cut each image into a ``patches`` x ``patches`` grid of tiles and permute the tiles.

    Each image gets its own random permutation, never the identity when there are at
    least two tiles (an identity draw is replaced by a cyclic shift of the tiles), so
    the global shape is scrambled while every pixel value is kept: each image's
    per-channel histogram is exactly unchanged, and local texture survives inside each
    tile. When H or W is not divisible by ``patches``, the tiles are
    ``H // patches`` x ``W // patches`` pixels from the top-left corner, and the
    remaining bottom rows and right columns stay in place, unshuffled.

    Parameters
    ----------
    images
        Array of shape (n, C, H, W), any number of channels.
    seed
        Seed of the permutations; the same seed gives the same output.
    patches
        Tiles per side, from 1 (no change) to ``min(H, W)``.

    Returns
    -------
    NDArray[np.float32]
        New array of shape (n, C, H, W).

    Raises
    ------
    ValueError
        When ``images`` is not 4-dimensional, or ``patches`` is not an integer from 1 to
        ``min(H, W)``.
    """
    array = _as_images(images, "patch_shuffle")
    n, c, height, width = array.shape
    if (
        not isinstance(patches, int | np.integer)
        or isinstance(patches, bool)
        or not 1 <= patches <= min(height, width)
    ):
        raise ValueError(
            f"patch_shuffle(patches={patches!r}): must be an integer from 1 to "
            f"min(height, width) = {min(height, width)} for images of shape {array.shape}"
        )
    p = int(patches)
    out = array.copy()
    tiles = p * p
    if tiles < 2 or n == 0:
        return out
    th, tw = height // p, width // p
    # (n, C, p, th, p, tw) -> (n, p*p, C, th, tw): one row of tiles per image
    grid = array[:, :, : p * th, : p * tw].reshape(n, c, p, th, p, tw)
    flat = grid.transpose(0, 2, 4, 1, 3, 5).reshape(n, tiles, c, th, tw)
    order = np.argsort(np.random.default_rng(seed).random((n, tiles)), axis=1)
    identity = np.all(order == np.arange(tiles), axis=1)
    order[identity] = np.roll(np.arange(tiles), 1)
    shuffled = np.take_along_axis(flat, order[:, :, None, None, None], axis=1)
    back = shuffled.reshape(n, p, p, c, th, tw).transpose(0, 3, 1, 4, 2, 5)
    out[:, :, : p * th, : p * tw] = back.reshape(n, c, p * th, p * tw)
    return out


def color_shift(images: NDArray[np.float32], seed: int = 0) -> NDArray[np.float32]:
    """Permute the RGB channels of each image with a random non-identity permutation.

    Each image gets one of the five channel orders other than RGB, uniformly (e.g. red
    becomes blue), so colours change to other saturated colours while shape, edges and
    each pixel's set of channel values are kept; luminance changes a little, since the
    luma weights differ per channel. Unlike :func:`grayscale` this keeps colour as a
    signal but moves it, so a model that learned "red means class 0" is misled rather
    than starved. Gray images (C = 1) are returned as an unchanged copy.

    Parameters
    ----------
    images
        Array of shape (n, C, H, W) with C = 3 or 1.
    seed
        Seed of the permutations; the same seed gives the same output.

    Returns
    -------
    NDArray[np.float32]
        New array of shape (n, C, H, W).

    Raises
    ------
    ValueError
        When ``images`` is not 4-dimensional or has a channel count other than 1 or 3.
    """
    array = _as_images(images, "color_shift")
    _check_color(array, "color_shift")
    if array.shape[1] == 1:
        return array.copy()
    choice = np.random.default_rng(seed).integers(0, len(_SHIFTS), array.shape[0])
    order = _SHIFTS[choice]  # (n, 3)
    return np.take_along_axis(array, order[:, :, None, None], axis=1).astype(np.float32, copy=True)


#: image perturbations: name -> (function, one-line description); the names match the
#: token perturbations so that the factor-isolation rule can use either kind of data
IMAGE_PERTURBATIONS: Mapping[str, tuple[ImagePerturb, str]] = {
    "mask_color": (grayscale, "colour removed (grayscale) from every test image"),
    "mask_shape": (patch_shuffle, "every test image cut into 4 x 4 tiles and the tiles shuffled"),
    "color_shift": (color_shift, "RGB channels of every test image permuted at random"),
}
