"""The example's quick audit on a quiet and on a busy machine: torch threads, before and after.

    python benchmarks/bench_threads.py                  # medians of 3, load of 4 spinners
    python benchmarks/bench_threads.py --reps 1         # a quick look

Runs ``auditkit check examples/spr/model.py --rules quick --no-cache`` in five set-ups,
side by side (the set-ups alternate within each repetition, so a change in the machine's
other load hits them alike):

- quiet: ``old`` (auditkit at ``--old-ref``, torch's default threads) and ``new`` (this tree);
- busy, under ``--load`` busy-spinning processes this script starts and stops itself:
  ``old``, ``old`` with ``OMP_NUM_THREADS=1`` (the single-thread time), and ``new``.

Prints each median and the ratios the issue sets targets for: busy ``new`` over busy
single-thread (target at most 1.2) and quiet ``new`` over quiet ``old`` (target at most 1,
within noise). ``--old-ref`` is the commit before auditkit chose threads itself; its tree
is unpacked with ``git archive`` into a temporary folder, no checkout is touched.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
#: main before torch threads were chosen from cores, quota and model size
OLD_REF = "67e41af"


def _spin(stop: multiprocessing.synchronize.Event) -> None:
    x = 0
    while not stop.is_set():
        for i in range(10_000):
            x += i * i


def _old_tree(ref: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="akbench-old-"))
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "auditkit"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def _audit(root: Path, out: Path, extra: dict[str, str]) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "AUDITKIT_THREADS")}
    env["PYTHONPATH"] = str(root)
    env.update(extra)
    command = [sys.executable, "-m", "auditkit.cli", "check", "examples/spr/model.py"]
    command += ["--rules", "quick", "--no-cache", "--out", str(out), "--quiet"]
    start = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    took = time.perf_counter() - start
    if done.returncode not in (0, 1, 2):  # verdict exit codes; anything else is a failure
        raise SystemExit(f"audit failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--load", type=int, default=4, help="busy-spinning processes")
    parser.add_argument("--old-ref", default=OLD_REF)
    args = parser.parse_args()
    old = _old_tree(args.old_ref)
    out = Path(tempfile.mkdtemp(prefix="akbench-out-"))
    setups = {
        "quiet old": (old, {}, False),
        "quiet new": (REPO, {}, False),
        "busy old": (old, {}, True),
        "busy old 1-thread": (old, {"OMP_NUM_THREADS": "1"}, True),
        "busy new": (REPO, {}, True),
    }
    times: dict[str, list[float]] = {name: [] for name in setups}
    print(f"{os.cpu_count()} cores, load average before: {os.getloadavg()}", flush=True)
    try:
        for rep in range(args.reps):
            for name, (root, extra, busy) in setups.items():
                stop = multiprocessing.Event()
                spinners = [
                    multiprocessing.Process(target=_spin, args=(stop,), daemon=True)
                    for _ in range(args.load if busy else 0)
                ]
                for spinner in spinners:
                    spinner.start()
                try:
                    took = _audit(root, out / name.replace(" ", "-"), extra)
                finally:
                    stop.set()
                    for spinner in spinners:
                        spinner.join()
                times[name].append(took)
                print(f"rep {rep + 1} {name:18s} {took:7.1f} s  load {os.getloadavg()[0]:.1f}",
                      flush=True)  # fmt: skip
    finally:
        shutil.rmtree(old, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
    med = {name: statistics.median(values) for name, values in times.items()}
    print()
    for name, value in med.items():
        print(f"median {name:18s} {value:7.1f} s")
    print()
    print(f"busy new / busy old 1-thread: {med['busy new'] / med['busy old 1-thread']:.2f} "
          "(target <= 1.2)")  # fmt: skip
    print(f"busy new / busy old:          {med['busy new'] / med['busy old']:.2f}")
    print(f"quiet new / quiet old:        {med['quiet new'] / med['quiet old']:.2f} "
          "(target <= 1, within noise)")  # fmt: skip
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
