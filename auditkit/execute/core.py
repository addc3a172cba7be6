"""What every executor shares: the run context, ``run_one``, and the values they yield."""

from __future__ import annotations

import sysconfig
import tempfile
import time
import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from auditkit.conditions import Transform
from auditkit.perturb import apply_transform, cv_fold
from auditkit.train.outcome import TrainingError, TrainOutcome
from auditkit.types import RunResult, RunSpec, apply_overrides

# torch and the model-file machinery load where a model file's runs need them: a script
# audit's runs are subprocesses, and importing torch costs seconds.
if TYPE_CHECKING:
    import torch

    from auditkit.experiment import ExperimentSpec
    from auditkit.train.encode import EncodedData


@dataclass(frozen=True, slots=True, kw_only=True)
class ContextSource:
    """How a worker process rebuilds an audit's ``RunContext``: picklable, small.

    The user's builders cannot be pickled (they live in a module imported by path), so
    a worker re-imports the model file once and encodes the data itself; both are
    deterministic, and the model file's digest proves it read the same file.
    """

    #: absolute path of the model file
    model_file: str
    #: ``--experiment``, when the file declares several
    experiment: str | None
    #: torch device name, e.g. ``"cpu"`` or ``"cuda"``
    device: str
    #: SHA-256 of the model file the audit planned with
    model_sha256: str
    #: the model file's text, for a worker that cannot see the file (a remote Ray node)
    model_text: str
    #: JSON-ready facts that key cached runs (see ``store.run_key``)
    key_facts: Mapping[str, object] = field(default_factory=dict)


class Runner(Protocol):
    """Performs runs that auditkit does not train itself: a user's own script (script mode).

    Executors ship a runner to worker processes and Ray actors as it is, so it must
    pickle; it captures every failure of the user's code in the ``RunResult``.
    """

    @property
    def name(self) -> str:
        """Names the audit in the run store (``auditkit cache info``)."""
        ...

    @property
    def origin(self) -> str:
        """What a worker loads, for messages, e.g. ``"the script audit 'audit.yaml'"``."""
        ...

    def run(self, run: RunSpec, *, device: str) -> RunResult:
        """Perform ``run`` and return its result; never raises for the user's failures."""
        ...


@dataclass(frozen=True, slots=True)
class RunContext:
    """What every run of one audit shares.

    A model-file audit has ``spec`` and ``data`` and trains with auditkit's loop; a
    script audit has neither and a ``runner`` that performs each run instead.
    """

    spec: ExperimentSpec | None
    data: EncodedData | None
    #: the device a model file's runs train on; None for a runner (its scripts choose
    #: their own device, recorded as ``"cpu"``)
    device: torch.device | None
    #: JSON-ready facts that key cached runs (see ``store.run_key``)
    key_facts: dict[str, object]
    #: how worker processes rebuild this context (a model file's source, or the runner
    #: itself); None: runs stay in this process
    source: ContextSource | Runner | None = None
    #: variant -> ``"torch"`` or ``"sklearn"`` (None: the builder raised)
    frameworks: Mapping[str, str | None] = field(default_factory=dict)
    #: performs each run instead of auditkit's training loop (script mode)
    runner: Runner | None = None

    @property
    def name(self) -> str:
        """The audit's name, kept with each stored run."""
        if self.runner is not None:
            return self.runner.name
        return self.model_spec.name

    @property
    def model_spec(self) -> ExperimentSpec:
        """The model file's experiment; only a model-file audit has one."""
        if self.spec is None:
            raise TypeError("this run context performs runs with a runner, not a model file")
        return self.spec

    @property
    def model_data(self) -> EncodedData:
        """The model file's encoded data; only a model-file audit has it."""
        if self.data is None:
            raise TypeError("this run context performs runs with a runner, not a model file")
        return self.data

    @property
    def model_device(self) -> torch.device:
        """The device a model file's runs train on; only a model-file audit has one."""
        if self.device is None:
            raise TypeError("this run context performs runs with a runner, not a model file")
        return self.device

    @property
    def device_name(self) -> str:
        """The device recorded with each run, e.g. ``"cpu"`` or ``"cuda:0"``."""
        return "cpu" if self.device is None else str(self.device)


def source_device(source: ContextSource | Runner) -> str:
    """The torch device a worker loading ``source`` uses (a runner's scripts: the CPU's)."""
    return source.device if isinstance(source, ContextSource) else "cpu"


def source_origin(source: ContextSource | Runner) -> str:
    """What a worker loads, for messages: the model file, or the runner's origin."""
    return repr(source.model_file) if isinstance(source, ContextSource) else source.origin


def load_context(source: ContextSource | Runner, *, device: str | None = None) -> RunContext:
    """Rebuild an audit's ``RunContext`` in a worker from its ``ContextSource``.

    Parameters
    ----------
    source
        What the audit shipped: a model file's source, or a runner (used as it is).
    device
        Overrides ``source.device``, e.g. the GPU assigned to this worker.

    Returns
    -------
    RunContext

    Raises
    ------
    ModelFileError
        The model file cannot be imported here.
    """
    if not isinstance(source, ContextSource):
        return RunContext(
            spec=None,
            data=None,
            device=None,
            key_facts={},
            source=source,
            runner=source,
        )
    import torch

    from auditkit.experiment import file_digest, load_experiment
    from auditkit.train.encode import encode

    path = Path(source.model_file)
    if not path.is_file() or file_digest(path) != source.model_sha256:
        # A node without the file (or with another version of it): import the text the
        # audit planned with, from a private folder.
        folder = Path(tempfile.mkdtemp(prefix="auditkit-model-"))
        path = folder / Path(source.model_file).name
        path.write_text(source.model_text, encoding="utf-8")
    spec = load_experiment(path, name=source.experiment)
    return RunContext(
        spec=spec,
        data=encode(spec.data),
        device=torch.device(device or source.device),
        key_facts=dict(source.key_facts),
        source=source,
    )


#: folders whose frames are never the user's: auditkit itself, the standard library and
#: installed packages (torch, scikit-learn); the innermost frame outside them is the
#: user's line at fault
_NOT_USER = tuple(
    str(Path(p).resolve())
    for p in {
        str(Path(__file__).resolve().parents[1]),
        sysconfig.get_paths()["stdlib"],
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
    }
)


def user_frame(exc: BaseException) -> str | None:
    """``file:line in function: source line`` of the innermost user-code frame of ``exc``.

    Follows ``__cause__`` (a ``TrainingError`` raised from the user's ``KeyError``) and
    returns None when no frame of the traceback lies outside auditkit, the standard
    library and installed packages.
    """
    for error in (exc, exc.__cause__):
        if error is None:
            continue
        frames = [
            f
            for f in traceback.extract_tb(error.__traceback__)
            if not str(Path(f.filename).resolve()).startswith(_NOT_USER)
            and not f.filename.startswith("<")
        ]
        if frames:
            frame = frames[-1]
            code = f": {frame.line.strip()}" if frame.line else ""
            return f"{frame.filename}:{frame.lineno} in {frame.name}{code}"
    return None


def describe_failure(exc: BaseException, *, variant: str, origin: str) -> str:
    """The text a failed run records: a short summary paragraph, then the traceback.

    The summary (the text before the first blank line) is what the terminal and the HTML
    report show: the error in one line, and where in the user's code it happened
    (``file:line``), since a traceback through auditkit's loop hides the user's line.

    Parameters
    ----------
    exc
        The exception the run raised.
    variant, origin
        The variant's name and where its builder is defined.
    """
    if isinstance(exc, TrainingError):
        head = f"TrainingError: variant {variant!r} ({origin}): {exc}"
        where = user_frame(exc) or (f"{exc.where}" if exc.where else None)
    else:
        message = str(exc).strip().splitlines()
        head = f"{type(exc).__name__}: {message[0] if message else ''}".rstrip(": ")
        where = user_frame(exc)
    summary = head + (f"\n  at {where}" if where else "")
    tb = "".join(traceback.format_exception(exc)).rstrip()
    return f"{summary}\n\n{tb}"


def failed_result(run: RunSpec, error: str, *, device: str, duration: float = 0.0) -> RunResult:
    """A ``RunResult`` for ``run`` that failed (or never ran) with ``error``."""
    return RunResult(
        spec=run,
        test_metrics={},
        dev_metrics={},
        curves=(),
        best_epoch=None,
        test_predictions=(),
        duration_s=duration,
        device=device,
        error=error,
    )


def completed_result(
    run: RunSpec, outcome: TrainOutcome, *, device: str, duration: float
) -> RunResult:
    """The ``RunResult`` of ``run`` that trained to ``outcome`` on ``device``.

    An outcome that names its own device (a scikit-learn fit runs on the CPU whatever
    the audit's device) keeps it.
    """
    return RunResult(
        spec=run,
        test_metrics=outcome.test_metrics,
        dev_metrics=outcome.dev_metrics,
        curves=outcome.curves,
        best_epoch=outcome.best_epoch,
        test_predictions=outcome.test_predictions,
        duration_s=duration,
        device=outcome.device or device,
        perturbed_metrics=outcome.perturbed_metrics,
        perturbed_predictions=outcome.perturbed_predictions,
        # dev predictions are read only beside dev probes; other runs need not store them
        dev_predictions=(
            outcome.dev_predictions if any(e.split == "dev" for e in run.evaluations) else ()
        ),
    )


#: encoded data per (dataset fingerprint, fold, transform): a worker encodes each once
_TRANSFORMED: dict[tuple[str, tuple[int, int] | None, Transform | None], EncodedData] = {}


def data_for(context: RunContext, transform: Transform | None, data_seed: int = 0) -> EncodedData:
    """The encoded data a run trains on: as declared, or under a train-and-test transform.

    In a cross-validated design the run's data seed first picks its fold. A transformed
    dataset is encoded with vocabularies of its own training split, as a user training
    on that data would; each is built once per process.
    """
    from auditkit.train.encode import encode

    spec = context.model_spec
    design = spec.design
    if transform is None and design is None:
        return context.model_data
    fold = design.fold_of(data_seed) if design is not None else None
    key = (spec.data.fingerprint(), fold, transform)
    if key not in _TRANSFORMED:
        if len(_TRANSFORMED) > 64:  # folds x transforms of one audit; keep memory bounded
            _TRANSFORMED.clear()
        data = spec.data
        if design is not None:
            data = cv_fold(data, design, data_seed)
        if transform is not None:
            data = apply_transform(data, transform)
        _TRANSFORMED[key] = encode(data)
    return _TRANSFORMED[key]


def run_one(run: RunSpec, context: RunContext) -> RunResult:
    """Train and evaluate one run, capturing any exception from user code.

    Parameters
    ----------
    run
        The run to perform.
    context
        The experiment, encoded data and device.

    Returns
    -------
    RunResult
        With ``error`` set (and empty metrics) when the user's code raised.
    """
    if context.runner is not None:
        return context.runner.run(run, device=context.device_name)
    from auditkit.train.loop import train_and_evaluate

    spec = context.model_spec
    variant = spec.variants[run.variant]
    config = apply_overrides(spec.train, run.overrides)
    start = time.perf_counter()
    try:
        outcome = train_and_evaluate(
            variant.builder,
            data_for(context, run.transform, run.order_seed),
            config,
            init_seed=run.init_seed,
            order_seed=run.order_seed,
            metrics=spec.metrics,
            device=context.model_device,
            # training keys the perturbed metrics by the evaluations' text form
            evaluations=tuple(map(str, run.evaluations)),
        )
    except Exception as exc:  # user code: record, never stop the audit
        error = describe_failure(exc, variant=run.variant, origin=variant.origin)
    else:
        return completed_result(
            run, outcome, device=context.device_name, duration=time.perf_counter() - start
        )
    return failed_result(
        run, error, device=context.device_name, duration=time.perf_counter() - start
    )


@dataclass(frozen=True, slots=True)
class Finished:
    """One finished run, and whether it came from the store."""

    result: RunResult
    cached: bool
    #: seeds trained together in the run's stacked model (1: alone)
    batch_size: int = 1
    #: how the run was executed, when noteworthy (seed-batching fallback, retry)
    note: str = ""
    #: True when the run never ran (``--budget`` ran out)
    undone: bool = False

    @property
    def status(self) -> str:
        """``cached``, ``ok``, ``failed`` or ``undone``."""
        if self.undone:
            return "undone"
        if self.cached:
            return "cached"
        return "ok" if self.result.ok else "failed"
