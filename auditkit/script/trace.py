"""Reading the start-up shim's trace file into ``SeedCall`` and ``FileAccess`` values.

The shim (``auditkit/script/shim/sitecustomize.py``) appends one JSON object per line to
the run's ``trace.jsonl`` as things happen:

- ``{"event": "start", "pid": N, "seed": 3, "reseed": false, "argv": [...]}``, once per
  Python process of the run;
- ``{"event": "seeded", "what": "random"|"numpy"|"torch", "seed": 3}``: the shim's own
  seeding at start-up;
- ``{"event": "seed_call", "function": "torch.manual_seed", "value": "42", "applied":
  "42", "where": "/abs/train.py:31"}``: a seed call of the script;
- ``{"event": "open", "path": "/abs/path", "mode": "read"|"write", "exists": true}``;
- ``{"event": "missing", "path": "/abs/path", "how": "os.path.exists"}``: a path the script
  looked for that did not exist;
- ``{"event": "exit"}`` when a process ends normally.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from auditkit.types import FileAccess, FileMode, SeedCall

#: files larger than this are listed without a hash
HASH_LIMIT = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedTrace:
    """What a run's trace file says, paths made project-relative."""

    seed_calls: tuple[SeedCall, ...]
    files: tuple[FileAccess, ...]
    missing: tuple[str, ...]
    #: the shim's own seeding: what it seeded (``random``, ``numpy``, ``torch``)
    seeded: tuple[str, ...]
    #: Python processes that started under the shim
    processes: int


def file_sha256(path: Path) -> str | None:
    """SHA-256 (hex) of a file, None when missing or larger than ``HASH_LIMIT``."""
    try:
        if path.stat().st_size > HASH_LIMIT:
            return None
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return digest.hexdigest()
    except OSError:
        return None


def relative(path: str, roots: tuple[Path, ...]) -> str:
    """``path`` relative to the first of ``roots`` that holds it, else as given."""
    for root in roots:
        try:
            return Path(os.path.normpath(path)).relative_to(root).as_posix()
        except ValueError:
            continue
    return path


def _where(where: str, roots: tuple[Path, ...]) -> str:
    file, _, line = where.rpartition(":")
    return f"{relative(file, roots)}:{line}" if file else where


def parse_trace(path: Path, *, roots: tuple[Path, ...]) -> ParsedTrace:
    """Read ``trace.jsonl``; size and hash every file as it is now (after the run).

    Parameters
    ----------
    path
        The trace file (missing: the script never started Python, e.g. a shell script).
    roots
        Folders paths are made relative to, in order: the run's mirror, the project.

    Returns
    -------
    ParsedTrace
    """
    calls: list[SeedCall] = []
    files: dict[tuple[str, str], FileAccess] = {}
    missing: dict[str, None] = {}
    seeded: dict[str, None] = {}
    processes = 0
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line cut short by a kill
        kind = event.get("event")
        if kind == "start":
            processes += 1
        elif kind == "seeded":
            seeded[str(event.get("what"))] = None
        elif kind == "seed_call":
            calls.append(
                SeedCall(
                    function=str(event.get("function", "")),
                    value=str(event.get("value", "")),
                    where=_where(str(event.get("where", "?")), roots),
                    applied=str(event.get("applied", "")),
                )
            )
        elif kind == "open":
            full = str(event.get("path", ""))
            mode: FileMode = "write" if event.get("mode") == "write" else "read"
            key = (full, mode)
            if key in files:
                old = files[key]
                files[key] = FileAccess(
                    path=old.path, mode=old.mode, exists=old.exists, count=old.count + 1
                )
            else:
                files[key] = FileAccess(
                    path=full, mode=mode, exists=bool(event.get("exists", True))
                )
        elif kind == "missing":
            missing[str(event.get("path", ""))] = None
    out = []
    for (full, _), access in files.items():
        target = Path(full)
        size = target.stat().st_size if target.is_file() else None
        out.append(
            FileAccess(
                path=relative(full, roots),
                mode=access.mode,
                exists=access.exists,
                size=size,
                sha256=file_sha256(target) if size is not None else None,
                count=access.count,
            )
        )
    return ParsedTrace(
        seed_calls=tuple(calls),
        files=tuple(out),
        missing=tuple(relative(m, roots) for m in missing),
        seeded=tuple(seeded),
        processes=processes,
    )
