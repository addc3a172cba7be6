"""auditkit's start-up shim for script runs (script mode); inert outside them.

auditkit puts this folder first on a script run's ``PYTHONPATH``, so every Python process
of the run imports this module before the script starts. When ``AUDITKIT_TRACE`` names a
trace file, it

- seeds ``random`` now, and NumPy and torch as soon as the script imports them (an
  import hook, so a script that never imports torch does not pay for it), with the
  run's seed (``AUDITKIT_SEED``);
- records every later seed call the script makes (``random.seed``,
  ``numpy.random.seed``, ``numpy.random.default_rng``, ``torch.manual_seed``,
  ``torch.cuda.manual_seed[_all]``; ``set_seed`` and ``seed_everything`` helpers call
  these) with its argument and the ``file:line`` in the script's own code; with
  ``AUDITKIT_RESEED=1`` an integer argument is offset by the run's seed;
- records, through Python's audit hooks, every file opened for reading or writing, and
  the paths the script looked for (``os.path.exists`` and kin) that did not exist.

Each event is one JSON object per line, appended as it happens (a killed run keeps what
it did so far). The format is documented in ``auditkit.script.trace``. The module uses
the standard library only and imports nothing of auditkit: it runs in the user's Python.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def _install() -> None:
    # Over 80 lines on purpose: the audit hook, the seed recorders and the import hook below
    # close over one trace file, lock and state, and ``del _install`` leaves none of them
    # as a name in the user's process; split up, they would share that state as globals.
    trace = os.environ.get("AUDITKIT_TRACE")
    if not trace:
        return
    import json
    import random
    import threading

    seed = int(os.environ.get("AUDITKIT_SEED", "0"))
    reseed = os.environ.get("AUDITKIT_RESEED") == "1"
    here = os.path.dirname(os.path.abspath(__file__))
    fd = os.open(trace, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    lock = threading.Lock()
    # busy: the shim itself is at work (its own opens are not the script's);
    # seeding: inside a recorded seed call (torch.manual_seed calls the CUDA one itself)
    state = {"busy": False, "seeding": False}

    def emit(event: dict[str, object]) -> None:
        line = (json.dumps(event, default=repr) + "\n").encode("utf-8", "replace")
        with lock:
            os.write(fd, line)

    # Library code is not the script's: its files and frames are left out of the trace.
    library = tuple(
        sorted(
            {
                os.path.join(os.path.realpath(p), "")
                for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, here)
            }
            | {os.path.join(p, "") for p in sys.path if "-packages" in p}
            | {
                "/proc/",
                "/dev/",
                "/sys/",
                "/etc/",
                "/usr/lib/",
                "/usr/share/",
                "/tmp/torchinductor",
            }
        )
    )
    code_suffixes = (".py", ".pyc", ".so", ".pth", ".pyi", ".json.lock")

    def is_library(path: str) -> bool:
        return path.startswith(library) or os.path.realpath(path).startswith(library)

    def user_frame() -> str | None:
        """``file:line`` of the script's code that made the call; None for a library's own.

        A seed helper (``set_seed``) called by the script counts as the script's call; a
        library seeding a generator of its own while it is imported does not.
        """
        frame: Any = sys._getframe(2)
        while frame is not None:
            name = frame.f_code.co_filename
            if name.startswith("<frozen importlib"):
                return None  # reached through an import: the library's own seeding
            if not name.startswith("<") and not is_library(os.path.abspath(name)):
                return f"{os.path.abspath(name)}:{frame.f_lineno}"
            frame = frame.f_back
        return None

    exists = os.path.exists
    seen: set[tuple[str, str]] = set()

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if state["busy"]:
            return
        if event == "open":
            path, mode, flags = args[0], args[1], args[2]
            if not isinstance(path, str):
                return
            if path.endswith(code_suffixes):
                return
            state["busy"] = True
            try:
                full = os.path.abspath(path)
                if is_library(full) or full == trace:
                    return
                if isinstance(mode, str):
                    writing = any(c in mode for c in "wax+")
                else:
                    writing = bool(
                        int(flags or 0) & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND)
                    )
                kind = "write" if writing else "read"
                if (full, kind) in seen:
                    return
                seen.add((full, kind))
                emit({"event": "open", "path": full, "mode": kind, "exists": exists(full)})
            finally:
                state["busy"] = False

    def probe(name: str, original: Any) -> Any:
        def wrapper(path: Any, *args: Any, **kwargs: Any) -> Any:
            result = original(path, *args, **kwargs)
            if not result and not state["busy"]:
                try:
                    full = os.path.abspath(os.fspath(path))
                except TypeError:
                    return result
                if isinstance(full, str) and not is_library(full) and ("miss", full) not in seen:
                    caller = sys._getframe(1).f_code.co_filename
                    if not is_library(os.path.abspath(caller)):
                        seen.add(("miss", full))
                        emit({"event": "missing", "path": full, "how": name})
            return result

        return wrapper

    for name in ("exists", "isfile", "isdir"):
        setattr(os.path, name, probe(f"os.path.{name}", getattr(os.path, name)))
    import pathlib

    for name in ("exists", "is_file", "is_dir"):
        setattr(pathlib.Path, name, probe(f"Path.{name}", getattr(pathlib.Path, name)))

    def offset(value: object) -> object:
        if reseed and isinstance(value, int) and not isinstance(value, bool):
            return (value + seed) % (2**32)
        return value

    def recorder(function: str, original: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if state["busy"] or state["seeding"] or not args:
                return original(*args, **kwargs)
            where = user_frame()
            if where is None:  # a library's own seeding: neither recorded nor offset
                return original(*args, **kwargs)
            value = args[0]
            applied = offset(value)
            state["busy"] = True
            try:
                emit(
                    {
                        "event": "seed_call",
                        "function": function,
                        "value": repr(value),
                        "applied": repr(applied),
                        "where": where,
                    }
                )
            finally:
                state["busy"] = False
            state["seeding"] = True
            try:
                return original(applied, *args[1:], **kwargs)
            finally:
                state["seeding"] = False

        wrapper.__wrapped__ = original  # type: ignore[attr-defined]
        return wrapper

    random_module: Any = random

    emit(
        {
            "event": "start",
            "pid": os.getpid(),
            "seed": seed,
            "reseed": reseed,
            "argv": list(sys.argv),
        }
    )
    random.seed(seed)
    emit({"event": "seeded", "what": "random", "seed": seed})
    random_module.seed = recorder("random.seed", random.seed)

    def after_numpy_random(module: Any) -> None:
        module.seed(seed)
        emit({"event": "seeded", "what": "numpy", "seed": seed})
        module.seed = recorder("numpy.random.seed", module.seed)
        original_rng = module.default_rng
        recorded_rng = recorder("numpy.random.default_rng", original_rng)

        def default_rng(*args: Any, **kwargs: Any) -> Any:
            # default_rng() without a seed draws fresh entropy: nothing to record
            if args and isinstance(args[0], int):
                return recorded_rng(*args, **kwargs)
            return original_rng(*args, **kwargs)

        module.default_rng = default_rng

    def after_torch(module: Any) -> None:
        module.manual_seed(seed)
        emit({"event": "seeded", "what": "torch", "seed": seed})
        wrapped = recorder("torch.manual_seed", module.manual_seed)
        module.manual_seed = wrapped
        rnd = getattr(module, "random", None)
        if rnd is not None:
            rnd.manual_seed = wrapped
        cuda = getattr(module, "cuda", None)
        for name in ("manual_seed", "manual_seed_all"):
            if cuda is not None and hasattr(cuda, name):
                setattr(cuda, name, recorder(f"torch.cuda.{name}", getattr(cuda, name)))

    hooks = {"numpy.random": after_numpy_random, "torch": after_torch}

    class PostImport:
        """Runs a hook right after a module's own code ran (seeding what it defines)."""

        def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
            if name not in hooks:
                return None
            finders: list[Any] = list(sys.meta_path)
            for finder in finders:
                if finder is self or not hasattr(finder, "find_spec"):
                    continue
                spec = finder.find_spec(name, path, target)
                if spec is not None:
                    break
            else:
                return None
            loader = getattr(spec, "loader", None)
            if loader is None or not hasattr(loader, "exec_module"):
                return spec
            run = loader.exec_module

            def exec_module(module: Any) -> None:
                run(module)
                hooks.pop(name)(module)

            loader.exec_module = exec_module
            return spec

    meta_path: list[Any] = sys.meta_path
    meta_path.insert(0, PostImport())
    for name in list(hooks):
        if name in sys.modules:  # imported before us (rare): seed it now
            hooks.pop(name)(sys.modules[name])
    sys.addaudithook(hook)

    import atexit

    atexit.register(lambda: emit({"event": "exit"}))


_install()
del _install

# A sitecustomize of the user's own environment, further down the path, still runs.
_here = os.path.dirname(os.path.abspath(__file__))
_rest = [p for p in sys.path if os.path.abspath(p or ".") != _here]
if "sitecustomize" in sys.modules:
    _self = sys.modules.pop("sitecustomize")
    _saved = sys.path[:]
    sys.path[:] = _rest
    try:
        __import__("sitecustomize")
    except ImportError:
        pass
    finally:
        sys.path[:] = _saved
        sys.modules["sitecustomize"] = sys.modules.get("sitecustomize", _self)
