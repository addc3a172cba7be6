"""Execution: run specs in, run results out; user-code errors are recorded, never raised.

``LocalExecutor`` (a pool of worker processes, or this process) and ``RayExecutor`` (a Ray
cluster, an optional extra) share ``BaseExecutor``: the run store, seed batching into
jobs, the wall-time budget. Both map any ``RunSpec`` to a ``RunResult`` through
``core.run_one`` (or, for stacked seeds, ``train.batched``).
"""
