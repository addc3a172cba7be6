"""Where the shipped templates live; the HTML and the LaTeX views both load from here."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def templates_dir() -> Path:
    """Folder of the shipped templates: ``auditkit/templates`` in a wheel, else ``templates/``."""
    packaged = Path(str(files("auditkit"))) / "templates"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"
