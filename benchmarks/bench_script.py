"""Script mode's overhead, side by side with running the same command in a shell loop.

    python benchmarks/bench_script.py                 # 10-second script, medians of 3
    python benchmarks/bench_script.py --seconds 2 --reps 1 --cpu-seconds 2   # a quick look

Prints three figures:

1. per run: ``ScriptRunner.run`` (project mirror, start-up shim, trace, metric read-back)
   against ``subprocess.run`` of the same command, alternating, median of ``--reps``;
   the target is at most 5 % of the script's wall time;
2. whole audit: ``auditkit check --seeds N -- python job.py`` against a shell loop over the
   same N seeds (the audit's fixed start-up, importing torch, included);
3. ``--jobs 2``: an audit of a single-threaded CPU-bound script with two worker processes,
   against the sequential shell loop; the target is at most 0.6 x on 2 free cores.

The job script imports NumPy, reads a CSV file, then sleeps (``--mode sleep``, default for
1 and 2, so the figure is not the noise of a shared machine) or computes (``cpu``, for 3).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

JOB = """\
import os, random, sys, time
import numpy as np
seconds, mode = float(sys.argv[1]), sys.argv[2]
rows = open("data.csv").read().splitlines()
seed = int(os.environ.get("AUDITKIT_SEED", "0"))
if mode == "sleep":
    time.sleep(seconds)
else:
    end, x = time.process_time() + seconds, 0.0
    while time.process_time() < end:
        x += sum(i * i for i in range(1000))
print(f"acc: {0.5 + random.random() / 10 + len(rows) * 0:.6f}")
"""


def _project() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="akbench-"))
    (folder / "job.py").write_text(textwrap.dedent(JOB))
    (folder / "data.csv").write_text("id,label\n" + "".join(f"{i},{i % 2}\n" for i in range(5000)))
    return folder


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    env["OMP_NUM_THREADS"] = "1"
    return env


def per_run(seconds: float, reps: int) -> None:
    """Figure 1: one run through ScriptRunner against subprocess.run, alternating."""
    sys.path.insert(0, str(REPO))
    from auditkit.script.runner import ScriptRunner
    from auditkit.script.spec import from_command
    from auditkit.types import RunSpec

    folder = _project()
    os.chdir(folder)
    spec = from_command(["python", "job.py", str(seconds), "sleep"], project=folder)
    runner = ScriptRunner(spec=spec, state_dir=str(folder / ".auditkit"), key="bench")
    bare, audited = [], []
    for rep in range(reps):
        start = time.perf_counter()
        subprocess.run([sys.executable, "job.py", str(seconds), "sleep"], check=True,
                       capture_output=True, env=_env())  # fmt: skip
        bare.append(time.perf_counter() - start)
        start = time.perf_counter()
        result = runner.run(RunSpec(variant=spec.baseline, init_seed=rep, order_seed=rep))
        audited.append(time.perf_counter() - start)
        assert result.ok, result.error
    b, a = statistics.median(bare), statistics.median(audited)
    print(
        f"per run, {seconds:g}s script, median of {reps}: shell {b:.3f}s, auditkit runner "
        f"{a:.3f}s, overhead {a - b:+.3f}s = {100 * (a - b) / b:+.1f}% (target <= 5%)"
    )


def _loop(folder: Path, n: int, seconds: float, mode: str) -> float:
    start = time.perf_counter()
    subprocess.run(
        ["bash", "-c", f"for s in $(seq 0 {n - 1}); do AUDITKIT_SEED=$s "
         f"{sys.executable} job.py {seconds} {mode} >/dev/null; done"],
        cwd=folder, check=True, env=_env(),
    )  # fmt: skip
    return time.perf_counter() - start


def _audit(folder: Path, n: int, seconds: float, mode: str, jobs: int) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "auditkit", "check", "--seeds", str(n), "--only", "AK104",
         "--no-cache", "-q", "--jobs", str(jobs), "--out", str(folder / "report"), "--",
         "python", "job.py", str(seconds), mode],
        cwd=folder, check=True, env=_env(), stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return time.perf_counter() - start


def whole(n: int, seconds: float, reps: int, mode: str, jobs: int, label: str) -> None:
    """Figures 2 and 3: a whole audit against the shell loop, alternating."""
    folder = _project()
    loops, audits = [], []
    for _ in range(reps):
        loops.append(_loop(folder, n, seconds, mode))
        audits.append(_audit(folder, n, seconds, mode, jobs))
    loop, audit = statistics.median(loops), statistics.median(audits)
    print(
        f"{label}: {n} runs of a {seconds:g}s {mode} script, median of {reps}: shell loop "
        f"{loop:.2f}s, auditkit check --jobs {jobs} {audit:.2f}s, ratio {audit / loop:.3f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3, help="seeds per audit (figure 2)")
    parser.add_argument("--cpu-seconds", type=float, default=10.0, help="job length, figure 3")
    parser.add_argument("--parallel-runs", type=int, default=6, help="seeds per audit, figure 3")
    parser.add_argument("--skip", choices=["1", "2", "3"], action="append", default=[])
    args = parser.parse_args()
    print(f"cores available: {len(os.sched_getaffinity(0))}; python {sys.version.split()[0]}")
    if "1" not in args.skip:
        per_run(args.seconds, args.reps)
    if "2" not in args.skip:
        whole(args.runs, args.seconds, args.reps, "sleep", 0, "whole audit, sequential")
    if "3" not in args.skip:
        whole(
            args.parallel_runs, args.cpu_seconds, args.reps, "cpu", 2, "--jobs 2 (target <= 0.6x)"
        )


if __name__ == "__main__":
    main()
