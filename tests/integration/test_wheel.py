"""The built wheel, installed (not editable) into a fresh venv, finds its rules and templates."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from tests.conftest import REPO, TINY_MODEL

pytestmark = pytest.mark.slow


def _run(
    cmd: list[str], cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, env=env, check=False)
    assert out.returncode in (0, 1), f"{cmd} exited {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out


def test_wheel_installs_and_audits(tmp_path: Path) -> None:
    # Build from a copy of the tracked sources, so stray files in the checkout cannot help.
    src = tmp_path / "src"
    shutil.copytree(
        REPO,
        src,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", ".auditkit", "dist", "__pycache__", "*.egg-info"
        ),
    )
    dist = tmp_path / "dist"
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dist),
            str(src),
        ],
        cwd=tmp_path,
    )
    (wheel,) = dist.glob("auditkit-*.whl")

    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    # The dependencies (torch and the rest) come from the test environment's
    # site-packages through a .pth line; auditkit itself only from the wheel. Paths in a
    # .pth line are appended after the venv's own site-packages, and the .pth files inside
    # them (our editable install's) are not processed.
    purelib = Path(
        subprocess.check_output(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            text=True,
        ).strip()
    )
    (purelib / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        cwd=tmp_path,
    )

    work = tmp_path / "work"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = _run(
        [str(python), "-c", "import auditkit; print(auditkit.__file__)"], cwd=work, env=env
    )
    assert str(purelib) in where.stdout, where.stdout  # the wheel's copy, not the checkout

    auditkit = env_dir / "bin" / "auditkit"
    listing = _run([str(auditkit), "rules", "list"], cwd=work, env=env)
    assert "AK101" in listing.stdout
    assert str(purelib / "auditkit" / "rules") in listing.stdout

    (work / "model.py").write_text(TINY_MODEL)
    # an error's link names the errors page the wheel ships, and that page has its entry
    bad = subprocess.run(
        [str(auditkit), "check", "model.py", "--seeds", "1"],
        cwd=work, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode == 4, bad.stdout + bad.stderr
    page = purelib / "auditkit" / "docs" / "errors.md"
    assert f"(bad-seeds); see {page}#bad-seeds" in " ".join((bad.stdout + bad.stderr).split())
    assert "\n### bad-seeds\n" in page.read_text(encoding="utf-8")
    _run(
        [
            str(auditkit),
            "check",
            "model.py",
            "--rules",
            "quick",
            "--seeds",
            "2",
            "--out",
            "out",
            "-q",
        ],
        cwd=work,
        env=env,
    )
    assert (work / "out" / "audit.json").is_file()
    html = (work / "out" / "report.html").read_text()
    assert "<style>" in html and "verdict-" in html  # the packaged template and CSS

    # script mode: the start-up shim ships in the wheel and seeds the script's runs
    (work / "s.py").write_text("import random\nprint(f'acc: {random.random()}')\n")
    _run(
        [str(auditkit), "check", "--seeds", "2", "--only", "AK104", "--out", "script", "-q",
         "--", "python", "s.py"],
        cwd=work,
        env=env,
    )  # fmt: skip
    runs = json.loads((work / "script" / "audit.json").read_text())["runs"]
    assert runs[0]["trace"]["env"]["PYTHONPATH"].startswith(str(purelib / "auditkit"))
    assert runs[0]["test_metrics"] != runs[1]["test_metrics"]
