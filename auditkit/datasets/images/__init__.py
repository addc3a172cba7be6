"""Images: the seeded coloured-shapes generator and the image-folder loader.

- :mod:`~auditkit.datasets.images.shapes`: :func:`shapes`, one coloured shape per image,
  labelled by shape, with an optional planted colour shortcut;
- :mod:`~auditkit.datasets.images.folder`: :func:`image_folder`, one subfolder per class.
"""

from __future__ import annotations

from auditkit.datasets.images.folder import IMAGE_EXTENSIONS, image_folder
from auditkit.datasets.images.shapes import COLOR_RGB, SHAPE_NAMES, shapes

__all__ = ["COLOR_RGB", "IMAGE_EXTENSIONS", "SHAPE_NAMES", "image_folder", "shapes"]
