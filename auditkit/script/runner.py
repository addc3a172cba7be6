"""Performing one script run: a real subprocess in its own folder, traced and read back.

``ScriptRunner`` is the ``execute.core.Runner`` of script audits: executors ship it to
worker processes and Ray actors, which call ``run`` for each ``RunSpec``. A run

1. builds its folder (``workdir``): a mirror of the project with the run's own copy of the
   declared data (perturbed under a file perturbation, ``RunSpec.transform``);
2. starts the command with the run's seed in the template (``{seed}``), in the
   environment (``AUDITKIT_SEED``, ``PYTHONHASHSEED``, ``PL_GLOBAL_SEED``) and through the
   start-up shim, which also records seed calls and files opened;
3. waits (``timeout``), then reads the trace, the metrics and ``predictions.csv`` back.

Every failure of the script (non-zero exit, timeout, no metric found, a NaN metric) is a
failed ``RunResult`` carrying the output's tail; nothing here raises for the user's code.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import hashlib
import io
import math
import os
import signal
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditkit.execute.core import failed_result
from auditkit.script.readback import ReadBack, read_metrics
from auditkit.script.spec import ScriptSpec, resolve_program
from auditkit.script.trace import ParsedTrace, parse_trace
from auditkit.script.workdir import copy_files, mirror, remove
from auditkit.types import RunResult, RunSpec, ScriptTrace

#: lines of stdout and of stderr kept in a run's trace and failure message
TAIL_LINES = 25
#: where the start-up shim lives; first on every run's PYTHONPATH
SHIM_DIR = Path(__file__).resolve().parent / "shim"
#: Linux: PR_SET_PDEATHSIG, so a script dies with the audit (kill -9 included)
_PR_SET_PDEATHSIG = 1


_PRCTL: Any
try:
    # loaded here, in the parent: the child between fork and exec calls it and nothing else
    _PRCTL = ctypes.CDLL(None, use_errno=True).prctl
except (OSError, AttributeError):  # not Linux
    _PRCTL = None


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _tail(text: str, n: int = TAIL_LINES) -> str:
    return "\n".join(text.splitlines()[-n:])


def _output(folder: Path) -> tuple[str, str]:
    """A finished run's stdout, and the last lines of its stdout and stderr."""
    out_text = (folder / "stdout.log").read_text(encoding="utf-8", errors="replace")
    err_text = (folder / "stderr.log").read_text(encoding="utf-8", errors="replace")
    tail = _tail(out_text)
    if err_text.strip():
        tail += "\n--- stderr ---\n" + _tail(err_text)
    return out_text, tail


def _wait(
    argv: list[str], cwd: Path, env: Mapping[str, str], folder: Path, timeout: float | None
) -> tuple[int | None, bool]:
    """Run the script to its end, output to ``folder``; (exit code, timed out).

    The script runs in its own process group, killed with it on a timeout or an interrupt.

    Raises
    ------
    OSError
        When the program cannot be started.
    """
    exit_code: int | None = None
    timed_out = False
    with (
        (folder / "stdout.log").open("wb") as stdout,
        (folder / "stderr.log").open("wb") as stderr,
    ):
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
            preexec_fn=_die_with_parent if os.name == "posix" else None,
        )
        try:
            exit_code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            with contextlib.suppress(OSError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        finally:
            if proc.poll() is None:  # interrupted (Ctrl-C): take the script down too
                with contextlib.suppress(OSError):
                    os.killpg(proc.pid, signal.SIGKILL)
    return exit_code, timed_out


@dataclass(frozen=True, slots=True, kw_only=True)
class ScriptRunner:
    """Performs the runs of one script audit; picklable.

    Parameters
    ----------
    spec
        The audit.
    state_dir
        Absolute folder of auditkit's state; runs go to ``state_dir/script-runs/``.
    key
        Digest of the audit's key facts; with the run id it names the run's folder.
    git_commit
        The project's commit, recorded with every run.
    """

    spec: ScriptSpec
    state_dir: str
    key: str
    git_commit: str = ""

    @property
    def name(self) -> str:
        """The audit's name, kept with each stored run."""
        return self.spec.name

    @property
    def origin(self) -> str:
        """What a worker loads, for messages."""
        return f"the script audit {self.spec.origin!r}"

    def folder(self, run: RunSpec) -> Path:
        """The run's folder, ``.auditkit/script-runs/<id>/``."""
        digest = hashlib.sha256(f"{self.key}\n{run.run_id}".encode()).hexdigest()[:16]
        return Path(self.state_dir) / "script-runs" / digest

    def command(self, run: RunSpec, *, work: Path, out: Path) -> list[str]:
        """The run's command line: placeholders filled, settings appended."""
        spec = self.spec
        variant = spec.variant(run.variant)
        values: dict[str, object] = dict(spec.settings)
        values.update(variant.values)
        values.update(run.overrides)
        data_dir = work / spec.data_dir if spec.data_dir else work
        values.update(seed=run.init_seed, run_dir=str(out), data_dir=str(data_dir))
        used = set(spec.template.placeholders())
        # settings the template has no placeholder for are appended in the script's style;
        # a perturbed setting (batch size) reaches the script only through its placeholder
        appended = dict(spec.settings)
        appended.update(variant.values)
        extra = [(k, v) for k, v in appended.items() if k not in used]
        argv = spec.template.render(values, extra)
        argv.extend(variant.args)
        argv[0] = resolve_program(argv[0])
        project = spec.project
        run_folder = str(work.parent)
        # an absolute path into the project points into the run's mirror instead
        return [
            str(work / Path(a).relative_to(project))
            if a.startswith(f"{project}/") and not a.startswith(run_folder)
            else a
            for a in argv
        ]

    def environment(self, run: RunSpec, *, work: Path, out: Path, trace: Path) -> dict[str, str]:
        """The variables auditkit sets for a run (added to the inherited environment)."""
        seed = str(run.init_seed)
        inherited = os.environ.get("PYTHONPATH", "")
        env = {
            "AUDITKIT_SEED": seed,
            "PYTHONHASHSEED": seed,
            "PL_GLOBAL_SEED": seed,
            "AUDITKIT_RUN_DIR": str(out),
            "AUDITKIT_TRACE": str(trace),
            "AUDITKIT_RESEED": "1" if self.spec.reseed else "0",
            "PYTHONPATH": os.pathsep.join(p for p in (str(SHIM_DIR), inherited) if p),
        }
        env.update(dict(self.spec.env))
        return env

    def run(self, run: RunSpec, *, device: str = "cpu") -> RunResult:
        """Perform ``run``; failures of the script come back as a failed result.

        Parameters
        ----------
        run
            The run: variant, seed (``init_seed``), condition, settings (``overrides``)
            and file perturbation (``transform``).
        device
            Unused: a script chooses its own device; kept for the ``Runner`` interface.

        Returns
        -------
        RunResult
        """
        folder = self.folder(run)
        remove(folder)  # a run killed half-way left its folder: start afresh
        work, out = folder / "work", folder / "out"
        out.mkdir(parents=True)
        project = Path(self.spec.project)
        start = time.perf_counter()
        try:
            self._prepare(run, project, work)
        except Exception as exc:  # a perturbation that cannot be written fails this run only
            return self._failed(
                run,
                f"DataError: cannot prepare the run's data ({run.transform or 'copies'}): "
                f"{type(exc).__name__}: {exc}",
                start,
            )
        trace_file = folder / "trace.jsonl"
        argv = self.command(run, work=work, out=out)
        env_changes = self.environment(run, work=work, out=out, trace=trace_file)
        cwd = work / self.spec.cwd
        try:
            exit_code, timed_out = _wait(
                argv, cwd, {**os.environ, **env_changes}, folder, self.spec.timeout
            )
        except OSError as exc:
            return self._failed(
                run, f"CommandError: cannot start {argv[0]!r}: {exc.strerror or exc}", start
            )
        wall = time.perf_counter() - start
        out_text, tail = _output(folder)
        parsed = parse_trace(trace_file, roots=(work, project))
        found = self._read_back(parsed, out_text, out=out, work=work, cwd=cwd)
        predictions, n_predictions = read_predictions(out / "predictions.csv")
        remove(work)
        trace = ScriptTrace(
            argv=tuple(argv),
            env=env_changes,
            run_dir=str(folder),
            exit_code=exit_code,
            timed_out=timed_out,
            wall_s=wall,
            tail=tail,
            metric_source=found.source,
            metric_notes=dict(found.notes),
            seed_calls=parsed.seed_calls,
            files=parsed.files,
            missing_probes=parsed.missing,
            git_commit=self.git_commit,
            predictions=n_predictions,
        )
        error = self._error(run, trace, found)
        return RunResult(
            spec=run,
            test_metrics={} if error else dict(found.values),
            dev_metrics={},
            curves=(),
            best_epoch=None,
            test_predictions=() if error else predictions,
            duration_s=wall,
            device="script",
            error=error,
            trace=trace,
        )

    def _read_back(
        self, parsed: ParsedTrace, out_text: str, *, out: Path, work: Path, cwd: Path
    ) -> ReadBack:
        """The run's metrics: from ``metrics_file`` if declared, files it wrote, or stdout."""
        written = [
            work / f.path if not Path(f.path).is_absolute() else Path(f.path)
            for f in parsed.files
            if f.mode == "write"
        ]
        explicit = None
        if self.spec.metrics_file:
            rendered = self.spec.metrics_file.format_map(
                {"run_dir": str(out), "data_dir": str(work / self.spec.data_dir)}
            )
            explicit = cwd / rendered
        return read_metrics(
            wanted=self.spec.metrics,
            stdout=out_text,
            out_dir=out,
            explicit=explicit,
            written=written,
        )

    def _prepare(self, run: RunSpec, project: Path, work: Path) -> None:
        declared = [rel for _, rel in self.spec.data_files]
        mirror(project, work, exclude=declared)
        if run.transform:
            from auditkit.script.datafiles import declare_files
            from auditkit.script.fileperturb import parse_transform, write_perturbed

            files = declare_files(project, dict(self.spec.data_files))
            write_perturbed(files, parse_transform(str(run.transform)), dest=work)
        else:
            copy_files(project, work, declared)

    def _failed(self, run: RunSpec, error: str, start: float) -> RunResult:
        return failed_result(run, error, device="script", duration=time.perf_counter() - start)

    def _error(self, run: RunSpec, trace: ScriptTrace, found: ReadBack) -> str | None:
        command = " ".join(trace.argv)
        if trace.timed_out:
            return (
                f"TimeoutError: the script did not finish within {self.spec.timeout:g}s and was "
                f"stopped: {command}\n{trace.tail}"
            )
        if trace.exit_code:
            return f"ScriptError: exit code {trace.exit_code}: {command}\n{trace.tail}"
        if not found.source:
            wanted = ", ".join(self.spec.metrics) or "any metric"
            return (
                f"MetricsNotFound: the script exited 0 but no source held {wanted}. Tried: "
                + "; ".join(found.tried)
                + ". Print `name: value` lines at the end (e.g. `test_acc: 0.91`), or write "
                "them to $AUDITKIT_RUN_DIR/metrics.json. A script that catches its own crash "
                f"and exits 0 looks like this too. Last output:\n{trace.tail}"
            )
        bad = [k for k, v in found.values.items() if not math.isfinite(v)]
        if bad:
            return (
                f"NaN: the script reported {', '.join(f'{k}={found.values[k]}' for k in bad)} "
                f"(diverged, or an undefined metric): {command}\n{trace.tail}"
            )
        return None


def read_predictions(path: Path) -> tuple[tuple[int, ...], int | None]:
    """Predictions of a run's ``predictions.csv`` (columns id, label, prediction) as ints.

    Values that are all integers are kept; other labels are numbered in sorted order of
    every label and prediction seen.

    Returns
    -------
    tuple
        The predictions, shape (n_rows,), and the row count (None without the file).
    """
    if not path.is_file():
        return (), None
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    except (OSError, ValueError, csv.Error):
        return (), None
    values = [str(r.get("prediction", "")).strip() for r in rows]
    if all(v.lstrip("-").isdigit() for v in values):
        return tuple(int(v) for v in values), len(rows)
    labels = {str(r.get("label", "")).strip() for r in rows} | set(values)
    index = {v: i for i, v in enumerate(sorted(labels))}
    return tuple(index[v] for v in values), len(rows)


def env_summary(env: Mapping[str, str]) -> str:
    """The seed-carrying variables of a run's environment, for the report."""
    keys = ("AUDITKIT_SEED", "PYTHONHASHSEED", "PL_GLOBAL_SEED")
    return ", ".join(f"{k}={env[k]}" for k in keys if k in env)
