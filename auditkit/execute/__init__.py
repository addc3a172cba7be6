"""Execution: run specs in, run results out; user-code errors are recorded, never raised."""
