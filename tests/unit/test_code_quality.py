"""The project's own static checks, run as tests so the README's test command covers them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def _run(*cmd: str) -> None:
    out = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)
    assert out.returncode == 0, f"{' '.join(cmd)} failed:\n{out.stdout}\n{out.stderr}"


def test_ruff_lint() -> None:
    _run(str(BIN / "ruff"), "check", ".")


def test_ruff_format() -> None:
    _run(str(BIN / "ruff"), "format", "--check", ".")


def test_mypy_strict() -> None:
    _run(sys.executable, "-m", "mypy")


def test_layers() -> None:
    # experiment -> plan -> runs -> statistics -> verdicts -> report, never backwards
    _run(str(BIN / "lint-imports"))
