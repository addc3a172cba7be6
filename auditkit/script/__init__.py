"""Script mode: audit a user's own, unmodified training script (``auditkit check -- CMD``).

A script audit declares (or, in the zero-set-up form, infers) a command template, variants
as argument sets, data files, metrics and claims. Each run is a real subprocess in its own
folder that mirrors the project, with seeds passed through the template, the environment
and a start-up shim; metrics are read back from files or the script's output. The runs go
through the same run store, executors, statistics, verdicts and reports as model files.
"""
