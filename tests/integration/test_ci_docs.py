"""docs/ci.md: its workflow and pre-commit hook are valid and gate on the claims."""

from __future__ import annotations

import csv
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from auditkit.cli import main
from tests.conftest import REPO
from tests.sources_data import RUNS

DOC = REPO / "docs" / "ci.md"


def _yaml_blocks() -> list[Any]:
    text = DOC.read_text(encoding="utf-8")
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, flags=re.S)]


def _hook() -> dict[str, Any]:
    (config,) = [b for b in _yaml_blocks() if isinstance(b, dict) and "repos" in b]
    hook: dict[str, Any] = config["repos"][0]["hooks"][0]
    return hook


def _export(path: Path, *, refuted: bool) -> Path:
    """results/wandb_export.csv: gru vs rel (supported), and twin (refuted) if asked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Name", "State", "config.model", "config.seed", "accuracy"])
        for v, s, a, _ in RUNS:
            if refuted or v != "twin":
                writer.writerow([f"{v}-{s}", "finished", v, s, a])
    return path


def test_workflow_uploads_the_report_whatever_the_verdict() -> None:
    workflow, extra_step, _ = _yaml_blocks()
    steps = workflow["jobs"]["audit"]["steps"]
    audit = next(s for s in steps if s.get("name") == "Audit the logged runs")
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact"))
    assert "auditkit compare mlflow:" in audit["run"] and "--out audit-report" in audit["run"]
    assert upload["if"] == "always()" and upload["with"]["path"] == "audit-report/"
    # YAML 1.1 (PyYAML) reads the key `on` as True; GitHub reads it as "on"
    assert set(workflow.get("on", workflow.get(True))) == {"push", "pull_request"}
    # the committed-export step is a list of one step, for the same job
    assert "results/wandb_export.csv" in extra_step[0]["run"]


def test_hook_command_fails_on_a_refuted_claim(in_tmp: Path) -> None:
    hook = _hook()
    assert hook["language"] == "system" and hook["pass_filenames"] is False
    argv = shlex.split(hook["entry"])
    assert argv[:2] == ["auditkit", "compare"]
    _export(in_tmp / "results" / "wandb_export.csv", refuted=True)
    assert main(argv[1:]) == 1
    _export(in_tmp / "results" / "wandb_export.csv", refuted=False)
    assert main(argv[1:]) == 0
    assert (in_tmp / ".auditkit" / "pre-commit" / "report.html").is_file()


@pytest.mark.slow
def test_hook_through_pre_commit(tmp_path: Path) -> None:
    # the test extra installs pre-commit beside this Python
    pre_commit = shutil.which("pre-commit", path=str(Path(sys.executable).parent))
    assert pre_commit is not None, "pre-commit is missing: install auditkit[test]"
    repo = tmp_path / "project"
    repo.mkdir()
    config = "\n".join(
        re.findall(r"```yaml\n(repos:.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    )
    (repo / ".pre-commit-config.yaml").write_text(config)
    export = _export(repo / "results" / "wandb_export.csv", refuted=True)
    env = {
        **os.environ,
        # `auditkit` on PATH is this environment's, running this checkout's package
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(REPO),
        "PRE_COMMIT_HOME": str(tmp_path / "cache"),
    }
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run([*git, "init", "-q"], cwd=repo, check=True, env=env)
    subprocess.run([*git, "add", "-A"], cwd=repo, check=True, env=env)

    # one run, the refusal (the passing case is the in-process test above)
    refused = subprocess.run(
        [pre_commit, "run", "--files", str(export.relative_to(repo))],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "claims still hold (auditkit compare)" in refused.stdout
    assert "1 supported, 1 refuted" in refused.stdout
