"""What a script-mode run did, as the runner records it and the checks read it.

Re-exported by :mod:`auditkit.types`; this module imports nothing else from auditkit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

#: how a script opened a file
FileMode = Literal["read", "write"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FileAccess:
    """One file a script run opened, deduplicated per path and mode (script mode)."""

    #: project-relative when inside the run's mirror (``"SPR_BENCH/train.csv"``), else absolute
    path: str
    mode: FileMode
    #: whether the file existed when it was opened; False: the script tried a missing path
    exists: bool
    #: bytes after the run; None when the file is gone or never existed
    size: int | None = None
    #: SHA-256 (hex) after the run; None for a missing or very large file
    sha256: str | None = None
    #: how often it was opened
    count: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class SeedCall:
    """A seed call a script made after start-up, as the start-up shim recorded it."""

    #: e.g. ``"random.seed"``, ``"numpy.random.seed"``, ``"torch.manual_seed"``
    function: str
    #: the argument as written by ``repr``, e.g. ``"42"``
    value: str
    #: ``file:line`` of the call, project-relative where possible
    where: str
    #: what the shim passed on: ``value``, or ``value`` offset by the run's seed (``--reseed``)
    applied: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptTrace:
    """What one run of a user's script did: command, exit, output, seeds, files, metrics."""

    #: the command as run
    argv: tuple[str, ...]
    #: the environment variables auditkit set for the run (not the whole environment)
    env: Mapping[str, str]
    #: the run's folder, ``.auditkit/script-runs/<id>/`` (absolute)
    run_dir: str
    #: the process's exit code; None when it was stopped (timeout)
    exit_code: int | None
    timed_out: bool
    wall_s: float
    #: last lines of stdout and stderr
    tail: str
    #: where the metrics were read from, e.g. ``"metrics.json"`` or ``"stdout"``; "" if nowhere
    metric_source: str = ""
    #: metric -> how its value was read, e.g. ``"printed as 94.20%, read as 0.942"``
    metric_notes: Mapping[str, str] = field(default_factory=dict)
    seed_calls: tuple[SeedCall, ...] = ()
    files: tuple[FileAccess, ...] = ()
    #: paths the script looked for (``os.path.exists`` and kin) that did not exist
    missing_probes: tuple[str, ...] = ()
    #: git commit of the project, or ""
    git_commit: str = ""
    #: rows of ``predictions.csv``; None when the script wrote none
    predictions: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptFacts:
    """What a check may know about a script audit as a whole (``AssessContext.script``)."""

    #: the command template, e.g. ``"python train.py --seed {seed}"``
    command: str
    #: absolute project root, mirrored into every run's folder
    project: str
    #: role (``train``, ``dev``, ``test`` or a name) -> project-relative path of a data file
    data_files: Mapping[str, str] = field(default_factory=dict)
    #: True when the user declared the data; False: zero set-up (discovered from a run, or none)
    data_declared: bool = False
    #: project-relative folder of the data, "" when none
    data_dir: str = ""
    #: ``--reseed``: the script's own seed calls were offset by the run's seed
    reseed: bool = False
    #: how the seed reached the script: of ``placeholder``, ``argument``, ``env``, ``shim``
    seed_routes: tuple[str, ...] = ()
