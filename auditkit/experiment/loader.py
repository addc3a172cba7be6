"""Load a user's model file by path and find the experiment it declares."""

from __future__ import annotations

import hashlib
import importlib.util
import shlex
import sys
import traceback
from pathlib import Path
from types import ModuleType

from auditkit.errors import AuditkitError, ModelFileError
from auditkit.experiment.contract import Experiment, ExperimentSpec


def _user_frame(exc: BaseException, path: Path) -> str:
    """``file:line`` of the deepest traceback frame inside the user's file, if any."""
    where = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename).resolve() == path:
            where = f"{frame.filename}:{frame.lineno}"
    return where


def _module_name(path: Path) -> str:
    # A unique, importable-looking name: two model files called model.py must not clash.
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    return f"auditkit_user_{path.stem}_{digest}"


def _exec_module(path: Path) -> ModuleType:
    try:
        source = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ModelFileError(
            f"{path}: the model file is not UTF-8 text (byte {exc.start}); save it as UTF-8",
            slug="model-not-utf8",
        ) from None
    try:
        code = compile(source, str(path), "exec")
    except SyntaxError as exc:
        line = (exc.text or "").rstrip("\n")
        caret = f"\n    {line}\n    {' ' * max((exc.offset or 1) - 1, 0)}^" if line else ""
        raise ModelFileError(
            f"{path}:{exc.lineno}:{exc.offset}: syntax error: {exc.msg}{caret}\n"
            "Fix the line above; auditkit imports the model file like any Python module.",
            slug="model-syntax-error",
        ) from None
    name = _module_name(path)
    spec = importlib.util.spec_from_loader(name, loader=None, origin=str(path))
    assert spec is not None  # spec_from_loader only returns None for a None name
    module = importlib.util.module_from_spec(spec)
    module.__file__ = str(path)
    # Sibling imports (``from helpers import Net``) must work as they do for ``python model.py``.
    sys.path.insert(0, str(path.parent))
    sys.modules[name] = module
    try:
        exec(code, module.__dict__)
    except AuditkitError as exc:
        # Raised by auditkit's own API while the file ran (a bad dataset argument,
        # a duplicate variant): already a clear message; add where the user's code was.
        where = _user_frame(exc, path)
        prefix = f"{where}: " if where and not exc.message.startswith(where) else ""
        raise type(exc)(prefix + exc.message, slug=exc.slug) from None
    except SystemExit as exc:
        raise ModelFileError(
            f"{path}: the model file called sys.exit({exc.code!r}) while being imported; "
            "keep script code under `if __name__ == '__main__':`",
            slug="model-exit",
        ) from None
    except ModuleNotFoundError as exc:
        where = _user_frame(exc, path) or str(path)
        if not exc.name:
            raise _import_error(exc, where) from None
        top = exc.name.split(".")[0]
        package = PYPI_NAMES.get(top, top)
        # A missing module is a set-up problem, not a bug: say which module, which
        # environment, and the command that installs it there; no traceback.
        raise ModelFileError(
            f"{where}: the model file imports {exc.name!r}, which is not installed in the "
            f"Python environment auditkit runs in ({sys.prefix}). Install it there:\n"
            f"    {shlex.quote(sys.executable)} -m pip install {package}\n"
            "or run auditkit from the environment that has it. If it is a module of your "
            f"own, put {top}.py beside the model file.",
            slug="model-missing-module",
        ) from None
    except Exception as exc:
        raise _import_error(exc, _user_frame(exc, path) or str(path)) from None
    finally:
        sys.path.remove(str(path.parent))
    return module


#: import names whose PyPI package is named otherwise
PYPI_NAMES = {
    "sklearn": "scikit-learn",
    "cv2": "opencv-python",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "skimage": "scikit-image",
    "bs4": "beautifulsoup4",
}


def _import_error(exc: BaseException, where: str) -> ModelFileError:
    """The error for a model file whose import raised ``exc``, with the user's traceback."""
    # Start the traceback at the user's file: the frame of this loader's exec() would
    # read as if auditkit itself had crashed.
    user_tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
    tb = "".join(traceback.format_exception(type(exc), exc, user_tb)).rstrip()
    return ModelFileError(
        f"{where}: importing the model file raised {type(exc).__name__}: {exc}\n"
        "auditkit runs the whole file to find the experiment; fix the error (full "
        f"traceback below) or move script code under `if __name__ == '__main__':`.\n{tb}",
        slug="model-import-error",
    )


def load_experiment(path: str | Path, *, name: str | None = None) -> ExperimentSpec:
    """Import a model file and return the experiment it declares, validated.

    Parameters
    ----------
    path
        Path of the model file (``examples/spr/model.py``).
    name
        Name of the experiment to use when the file declares several.

    Returns
    -------
    ExperimentSpec

    Raises
    ------
    ModelFileError
        The file is missing, has a syntax error, raises on import, declares no
        experiment (or several without ``name``), or declares an invalid one.
    """
    given = Path(path)
    if not given.is_file():
        hint = " (it is a folder; pass the .py file inside it)" if given.is_dir() else ""
        raise ModelFileError(
            f"{given}: no such model file{hint}; pass the path of a Python file that "
            "declares an auditkit.Experiment, e.g. examples/spr/model.py",
            slug="model-not-found",
        )
    resolved = given.resolve()
    module = _exec_module(resolved)
    found = {obj.name: obj for obj in vars(module).values() if isinstance(obj, Experiment)}
    if not found:
        raise ModelFileError(
            f"{given}: declares no auditkit.Experiment; create one at module level, e.g. "
            "exp = auditkit.Experiment('my-study', data=auditkit.datasets.spr())",
            slug="no-experiment",
        )
    if name is not None:
        if name not in found:
            raise ModelFileError(
                f"{given}: --experiment {name!r} is not declared here; the file declares "
                f"{', '.join(repr(n) for n in found)}",
                slug="unknown-experiment",
            )
        chosen = found[name]
    elif len(found) > 1:
        raise ModelFileError(
            f"{given}: declares {len(found)} experiments ({', '.join(repr(n) for n in found)}); "
            "choose one with --experiment NAME",
            slug="several-experiments",
        )
    else:
        chosen = next(iter(found.values()))
    return chosen.freeze(str(given))


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as hex (provenance and cache keys)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
