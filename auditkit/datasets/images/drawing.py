"""Drawing the coloured shapes of :func:`~auditkit.datasets.shapes`: masks and rendering.

Each split is rendered in one vectorised pass: anti-aliased coverage of every image's
shape, blended between a background grey and the fill colour, plus Gaussian noise.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

__all__ = ["COLOR_RGB", "SHAPE_NAMES", "Drawn", "draw"]

_Mask = Callable[[NDArray[np.float32], NDArray[np.float32]], NDArray[np.bool_]]


# Every shape is a region of the square [-1, 1] x [-1, 1] in coordinates relative to the
# shape's centre and scale (u to the right, v downwards), so one position/scale draw
# places any of them and each fits inside the image whatever its scale.
def _circle(u: NDArray[np.float32], v: NDArray[np.float32]) -> NDArray[np.bool_]:
    return np.asarray(u * u + v * v <= 1.0)


def _square(u: NDArray[np.float32], v: NDArray[np.float32]) -> NDArray[np.bool_]:
    # side 1.7 rather than 2: a full-size square would have ~30% more area than the
    # circle, and area alone would then separate the classes
    return np.asarray(np.maximum(np.abs(u), np.abs(v)) <= 0.85)


def _triangle(u: NDArray[np.float32], v: NDArray[np.float32]) -> NDArray[np.bool_]:
    # apex up at (0, -1), base from (-1, 0.8) to (1, 0.8)
    return np.asarray((v <= 0.8) & (np.abs(u) <= (v + 1.0) / 1.8))


def _diamond(u: NDArray[np.float32], v: NDArray[np.float32]) -> NDArray[np.bool_]:
    return np.asarray(np.abs(u) + np.abs(v) <= 1.0)


def _cross(u: NDArray[np.float32], v: NDArray[np.float32]) -> NDArray[np.bool_]:
    au, av = np.abs(u), np.abs(v)
    return np.asarray(((au <= 0.35) & (av <= 1.0)) | ((av <= 0.35) & (au <= 1.0)))


def _ring(u: NDArray[np.float32], v: NDArray[np.float32]) -> NDArray[np.bool_]:
    rho = u * u + v * v
    return np.asarray((rho <= 1.0) & (rho >= 0.55**2))


_MASKS: Final[dict[str, _Mask]] = {
    "circle": _circle,
    "square": _square,
    "triangle": _triangle,
    "diamond": _diamond,
    "cross": _cross,
    "ring": _ring,
}

#: every shape :func:`shapes` can draw
SHAPE_NAMES: Final[tuple[str, ...]] = tuple(_MASKS)

#: every colour :func:`shapes` can fill a shape with: name -> (red, green, blue) in [0, 1]
COLOR_RGB: Final[Mapping[str, tuple[float, float, float]]] = {
    "red": (0.90, 0.10, 0.10),
    "green": (0.10, 0.80, 0.15),
    "blue": (0.15, 0.30, 0.95),
    "yellow": (0.95, 0.90, 0.10),
    "cyan": (0.10, 0.85, 0.90),
    "magenta": (0.90, 0.15, 0.85),
    "orange": (1.00, 0.55, 0.05),
    "white": (0.95, 0.95, 0.95),
}

#: shape half-extent as a fraction of the image side: large enough to be legible at 16 px,
#: varied enough that neither area nor position alone gives the class away
_SCALE: Final = (0.22, 0.40)
#: per-image brightness multiplier of the fill colour
_BRIGHTNESS: Final = (0.8, 1.0)
#: per-image grey level of the background, kept dark so every colour stands out from it
_BACKGROUND: Final = (0.0, 0.12)
#: sub-pixel samples per axis: coverage is measured on a 4 x 4 grid inside each pixel, so
#: edges are anti-aliased and small shapes keep their outline
_SUPERSAMPLE: Final = 4


class Drawn:
    """One split's images and the factors they were drawn from."""

    __slots__ = ("colors", "images", "labels")

    def __init__(
        self, images: NDArray[np.float32], labels: NDArray[np.int64], colors: NDArray[np.int64]
    ) -> None:
        self.images = images
        self.labels = labels
        self.colors = colors

    def agreement(self, n_colors: int) -> float:
        """Fraction of rows whose colour index is their label's (``label % n_colors``)."""
        return float(np.mean(self.colors == self.labels % n_colors))

    def statistics(self, n_classes: int, n_colors: int) -> dict[str, Any]:
        """Per-split counts and the mean pixel value, JSON-ready."""
        return {
            "rows": int(self.labels.shape[0]),
            "label_counts": np.bincount(self.labels, minlength=n_classes).tolist(),
            "color_counts": np.bincount(self.colors, minlength=n_colors).tolist(),
            "mean_pixel": float(self.images.mean(dtype=np.float64)),
        }


def draw(
    rng: np.random.Generator,
    *,
    n: int,
    size: int,
    shape_names: Sequence[str],
    color_names: Sequence[str],
    shortcut: float,
    noise: float,
) -> Drawn:
    """Draw and render one split of ``n`` images of shape (n, 3, size, size)."""
    n_classes, n_colors = len(shape_names), len(color_names)
    # Every draw happens whatever the options, in a fixed order, so that options which
    # only change colours (shortcut) leave the labels, positions, scales and noise as
    # they were. Balanced labels: each class n // k or n // k + 1 times, in random order.
    labels = rng.permutation(np.arange(n, dtype=np.int64) % n_classes)
    radius = rng.uniform(_SCALE[0] * size, _SCALE[1] * size, n)
    # the centre keeps the whole [-1, 1]^2 box of the shape inside the image
    cx = radius + rng.random(n) * (size - 2 * radius)
    cy = radius + rng.random(n) * (size - 2 * radius)
    brightness = rng.uniform(*_BRIGHTNESS, n)
    background = rng.uniform(*_BACKGROUND, n)
    random_color = rng.integers(0, n_colors, n, dtype=np.int64)
    planted = rng.random(n) < shortcut
    colors = np.where(planted, labels % n_colors, random_color)

    coverage = _coverage(labels, cx, cy, radius, size, shape_names)  # (n, size, size)
    rgb = np.asarray([COLOR_RGB[c] for c in color_names], dtype=np.float64)[colors]
    fill = (rgb * brightness[:, None])[:, :, None, None]  # (n, 3, 1, 1)
    cover = coverage[:, None, :, :]  # (n, 1, size, size)
    blended = background[:, None, None, None] * (1.0 - cover) + fill * cover
    images = blended.astype(np.float32)
    if noise > 0:
        # drawn last, so turning noise off changes nothing else
        images += np.float32(noise) * rng.standard_normal(images.shape, dtype=np.float32)
    np.clip(images, 0.0, 1.0, out=images)
    return Drawn(images, labels, colors)


def _coverage(
    labels: NDArray[np.int64],
    cx: NDArray[np.float64],
    cy: NDArray[np.float64],
    radius: NDArray[np.float64],
    size: int,
    shape_names: Sequence[str],
) -> NDArray[np.float32]:
    """Fraction of each pixel the image's shape covers, shape (n, size, size).

    Pixel ``(i, j)`` spans ``[j, j + 1] x [i, i + 1]`` in image coordinates; coverage is
    the fraction of a ``_SUPERSAMPLE`` x ``_SUPERSAMPLE`` grid of points inside it that
    the shape contains. Looping over the grid points (not materialising them) keeps the
    memory at one (n, size, size) array per shape.
    """
    coverage = np.zeros((labels.shape[0], size, size), dtype=np.float32)
    pixel = np.arange(size, dtype=np.float32)
    offsets = (np.arange(_SUPERSAMPLE, dtype=np.float32) + 0.5) / _SUPERSAMPLE
    for k, shape_name in enumerate(shape_names):
        rows = np.flatnonzero(labels == k)
        if rows.size == 0:
            continue
        mask = _MASKS[shape_name]
        scale = radius[rows].astype(np.float32)[:, None, None]
        x0 = cx[rows].astype(np.float32)[:, None, None]
        y0 = cy[rows].astype(np.float32)[:, None, None]
        hits = np.zeros((rows.size, size, size), dtype=np.float32)
        for dy in offsets:
            v = ((pixel + dy)[None, :, None] - y0) / scale
            for dx in offsets:
                u = ((pixel + dx)[None, None, :] - x0) / scale
                hits += mask(u, v)
        coverage[rows] = hits / np.float32(_SUPERSAMPLE * _SUPERSAMPLE)
    return coverage
