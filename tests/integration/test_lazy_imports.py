"""``import auditkit``, ``auditkit --help`` and a script audit load neither torch nor scikit-learn.

Each case runs a real Python subprocess with ``-X importtime``, which lists on stderr
every module the process imported: the test reads the list, not a timing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import auditkit
from tests.conftest import REPO

#: packages whose import alone takes seconds; a script audit needs neither
HEAVY = ("torch", "sklearn")


def _imported(args: list[str], cwd: Path) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Modules a ``python -X importtime ARGS`` subprocess imported, and the process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    modules = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and line.count("|") == 2
    }
    # the header line ("import time: self [us] | cumulative | imported package") is no module
    assert "encodings" in modules, done.stderr[-2000:]
    return modules, done


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_importing_auditkit_and_its_cli_loads_no_torch(tmp_path: Path) -> None:
    modules, done = _imported(["-c", "import auditkit, auditkit.cli"], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "auditkit.cli" in modules
    assert _heavy(modules) == []


def test_help_loads_neither_torch_nor_scipy(tmp_path: Path) -> None:
    modules, done = _imported(["-m", "auditkit.cli", "--help"], tmp_path)
    assert done.returncode == 0 and "check" in done.stdout, done.stderr[-2000:]
    assert _heavy(modules) == [] and "scipy" not in modules


@pytest.mark.slow
def test_a_script_audit_with_two_jobs_loads_no_torch(tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(
        REPO / "examples" / "scripts",
        project,
        ignore=shutil.ignore_patterns(".auditkit", "outputs"),
    )
    command = ["-m", "auditkit.cli", "check", "--seeds", "2", "--jobs", "2", "--no-cache"]
    command += ["-q", "--out", "out", "--", "python", "print_only.py"]
    modules, done = _imported(command, project)
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    doc = json.loads((project / "out" / "audit.json").read_text(encoding="utf-8"))
    assert doc["runs"] and all(r["error"] is None for r in doc["runs"])
    # the audit itself ran (statistics loaded), but never torch or scikit-learn
    assert "auditkit.script.audit" in modules and "auditkit.stats" in modules
    assert _heavy(modules) == []


def test_every_public_name_is_importable() -> None:
    for name in auditkit.__all__:
        assert getattr(auditkit, name) is not None, name
    from auditkit import BagOfTokens, Experiment, datasets

    assert Experiment is auditkit.Experiment and BagOfTokens is auditkit.BagOfTokens
    assert callable(datasets.spr) and auditkit.datasets.spr is datasets.spr
    assert set(auditkit.__all__) <= set(dir(auditkit))
    with pytest.raises(AttributeError, match="no attribute 'Experimant'"):
        _ = auditkit.Experimant
