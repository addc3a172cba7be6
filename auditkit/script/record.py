"""What a script audit records of its project: code digest, commit, seed routes, files.

The code's digest and the shim's key the stored runs; the files the runs read and wrote
and their confusion matrices go to audit.json.
"""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from auditkit.pipeline import is_report_dir
from auditkit.script.spec import ScriptSpec
from auditkit.script.workdir import LINK_WHOLE, SKIP
from auditkit.types import RunResult, ScriptFacts

#: suffixes of the project files whose contents key stored script runs (the code)
CODE_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".toml", ".cfg", ".ini", ".sh")
#: code files larger than this are keyed by size and time, not contents
CODE_HASH_LIMIT = 2 * 1024 * 1024


def code_digest(project: Path, *, ignore: Iterable[Path] = ()) -> str:
    """SHA-256 over the project's code and configuration files (paths and contents).

    Changing the script invalidates its stored runs; data files and outputs do not count,
    nor do auditkit's own files: the report folders of earlier audits (their audit.json
    would otherwise key the next audit's runs, so that no run is ever reused) and the
    files in ``ignore`` (the audit file, whose command, variants and metrics key the runs
    through the spec's fingerprint instead).
    """
    digest = hashlib.sha256()
    root_dir = project.resolve()
    # project-relative, as each file's ``rel`` below: one comparison per file, no resolve
    # (the folder is resolved, not the file: a linked audit file keeps its own name)
    where = [p.parent.resolve() / p.name for p in ignore]
    skipped = {w.relative_to(root_dir).as_posix() for w in where if w.is_relative_to(root_dir)}
    for root, dirs, files in os.walk(project):
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in SKIP
            and d not in LINK_WHOLE
            and not (Path(root) / d / "pyvenv.cfg").exists()
            and not is_report_dir(Path(root) / d)
        )
        for name in sorted(files):
            if not name.endswith(CODE_SUFFIXES):
                continue
            path = Path(root) / name
            rel = path.relative_to(project).as_posix()
            if rel in skipped:
                continue
            try:
                stat = path.stat()
                digest.update(rel.encode())
                if stat.st_size > CODE_HASH_LIMIT:
                    digest.update(f"{stat.st_size}:{stat.st_mtime_ns}".encode())
                else:
                    digest.update(path.read_bytes())
            except OSError:
                continue
    return digest.hexdigest()


def git_commit(project: Path) -> str:
    """The project's git commit, with ``+dirty`` for uncommitted changes; "" outside git."""
    try:
        head = subprocess.run(
            ["git", "-C", str(project), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        if head.returncode != 0:
            return ""
        dirty = subprocess.run(
            ["git", "-C", str(project), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


def seed_routes(spec: ScriptSpec) -> tuple[str, ...]:
    """How the run's seed reaches the script, in words."""
    routes = []
    if "seed" in spec.template.placeholders():
        routes.append(
            f"the command's {spec.seed_argument} (replaced by each run's seed)"
            if spec.seed_argument
            else "the {seed} placeholder of the command"
        )
    routes.append("the environment (AUDITKIT_SEED, PYTHONHASHSEED, PL_GLOBAL_SEED)")
    routes.append("the start-up shim (random, NumPy and torch seeded before the script runs)")
    if spec.reseed:
        routes.append("--reseed (the script's own constant seed calls offset by the run's seed)")
    return tuple(routes)


def facts_of(spec: ScriptSpec) -> ScriptFacts:
    """What checks may know of the audit."""
    return ScriptFacts(
        command=spec.template.text(),
        project=spec.project,
        data_files=dict(spec.data_files),
        data_declared=spec.declared and bool(spec.data_files),
        data_dir=spec.data_dir,
        reseed=spec.reseed,
        seed_routes=seed_routes(spec),
    )


def confusion_of(results: Iterable[RunResult]) -> dict[str, dict[str, Any]]:
    """Per variant, the confusion matrix summed over the nominal runs that wrote predictions.

    Read from each run's ``out/predictions.csv`` (columns id, label, prediction); labels
    are numbered in sorted order of every label and prediction seen, as in the runs.
    """
    rows: dict[str, list[list[tuple[str, str]]]] = {}
    for result in results:
        if not result.ok or result.trace is None or not result.spec.condition.is_nominal:
            continue
        path = Path(result.trace.run_dir) / "out" / "predictions.csv"
        try:
            with path.open(encoding="utf-8", newline="") as handle:
                pairs = [
                    (str(r.get("label", "")).strip(), str(r.get("prediction", "")).strip())
                    for r in csv.DictReader(handle)
                ]
        except (OSError, ValueError, csv.Error):
            continue
        rows.setdefault(result.spec.variant, []).append(pairs)
    out: dict[str, dict[str, Any]] = {}
    for variant, runs in rows.items():
        values = sorted({v for pairs in runs for pair in pairs for v in pair})
        index = {v: i for i, v in enumerate(values)}
        matrix = [[0] * len(values) for _ in values]
        for pairs in runs:
            for label, prediction in pairs:
                matrix[index[label]][index[prediction]] += 1
        out[variant] = {"labels": values, "matrix": matrix, "runs": len(runs)}
    return out


def files_summary(results: Iterable[RunResult]) -> dict[str, list[str]]:
    """Files the nominal runs read and wrote, and missing paths they looked for."""
    read: dict[str, str] = {}
    written: dict[str, str] = {}
    missing: dict[str, None] = {}
    for result in results:
        if result.trace is None or not result.spec.condition.is_nominal:
            continue
        for f in result.trace.files:
            size = f"{f.size:,} bytes" if f.size is not None else "gone after the run"
            if f.mode == "read" and f.exists:
                read.setdefault(f.path, size)
            elif f.mode == "read":
                missing[f.path] = None
            else:
                written.setdefault(f.path, size)
        missing.update(dict.fromkeys(result.trace.missing_probes))
    return {
        "files read": [f"{p} ({s})" for p, s in read.items()],
        "files written": [f"{p} ({s})" for p, s in written.items()],
        "missing paths looked for": [p for p in missing if p not in read],
    }


def file_sha(path: Path) -> str:
    """SHA-256 of a file's bytes; "" when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()
