"""A worker process of the local executor: ``python -m auditkit.execute.worker FD``.

The worker talks to the audit over the socket ``FD`` (pickled messages through a
``multiprocessing`` connection). It imports the model file once, then performs jobs until
told to stop, streaming each run's result back as soon as it is known. Its stdout and
stderr (the user's prints, torch's warnings) go to a log file, never to the terminal the
progress bar draws on.

Messages, audit to worker: ``("init", ContextSource, threads, device)``,
``("job", job_id, Job)``, ``("stop",)``. Worker to audit: ``("ready", pid)``,
``("init_error", text)``, ``("result", job_id, RunResult, RunInfo)``, ``("done", job_id)``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from multiprocessing.connection import Connection


def _watch_parent(parent: int) -> None:
    # A worker whose audit was killed (kill -9 leaves no chance to say goodbye) must
    # not train on for nobody: exit as soon as the parent is gone.
    while True:
        if os.getppid() != parent:
            os._exit(3)
        time.sleep(0.5)


def serve(conn: Connection) -> int:
    """Answer the audit's messages on ``conn`` until it says stop or goes away."""
    try:
        message = conn.recv()
    except (EOFError, OSError):
        return 0
    _, source, threads, device = message
    import torch

    torch.set_num_threads(threads)
    # Fails when already set or when parallel work already ran; the default is fine then.
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)
    from auditkit.execute.core import load_context
    from auditkit.execute.jobs import run_job

    try:
        context = load_context(source, device=device)
    except BaseException as exc:
        conn.send(("init_error", "".join(traceback.format_exception(exc))))
        return 1
    worker = f"local:{os.getpid()}"
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):
            return 0
        if message[0] == "stop":
            return 0
        _, job_id, job = message
        for result, info in run_job(job, context):
            conn.send(("result", job_id, result, dataclasses.replace(info, worker=worker)))
        conn.send(("done", job_id))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: serve the connection on the file descriptor given as the argument."""
    args = list(sys.argv[1:] if argv is None else argv)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()
    conn = Connection(int(args[0]))
    try:
        return serve(conn)
    finally:
        conn.close()


if __name__ == "__main__":
    raise SystemExit(main())
