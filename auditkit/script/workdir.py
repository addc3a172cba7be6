"""A run's folder: a mirror of the project with the run's own copy of the declared data.

Layout of ``.auditkit/script-runs/<id>/``:

- ``work/``: the mirror, and the script's working directory. Folders are real folders;
  code files and files over 1 MiB are hard links to the project's (symbolic links across
  file systems), smaller files are copies, so paths the script builds from ``__file__`` or
  from its working directory stay inside the mirror, and a results file it rewrites is
  its own. A large file it rewrites in place is still the project's.
  Declared data files are real copies (perturbed copies under a file perturbation), so a
  run cannot change the project's data. Removed after the run.
- ``out/``: ``{run_dir}`` and ``$AUDITKIT_RUN_DIR``, where ``metrics.json`` and
  ``predictions.csv`` go; kept.
- ``trace.jsonl``, ``stdout.log``, ``stderr.log``: kept.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path

#: folders never mirrored: state, version control, caches
SKIP = frozenset({".auditkit", ".git", ".hg", ".svn", "__pycache__", ".mypy_cache", ".ruff_cache"})
#: folders linked as a whole instead of mirrored file by file
LINK_WHOLE = frozenset({"node_modules", ".venv", "venv", ".tox", ".pytest_cache", "wandb"})
#: a folder with more entries than this is linked as a whole (a dataset of images, say)
MAX_ENTRIES = 2000
#: code files are linked (scripts do not rewrite them); other files up to this size are
#: copied, so that a run rewriting a results file does not change the project's
COPY_LIMIT = 1024 * 1024
CODE = (".py", ".pyi", ".pyx", ".so", ".pth", ".ipynb")


def _link_file(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:
        # another file system, or links not allowed: a symbolic link still reads the same
        target.symlink_to(source)


def mirror(project: Path, dest: Path, *, exclude: Iterable[str] = ()) -> None:
    """Mirror ``project`` into ``dest`` (created), leaving out project-relative ``exclude``.

    Parameters
    ----------
    project
        The project root.
    dest
        The mirror's root; must not exist inside a mirrored folder.
    exclude
        Project-relative POSIX paths of files not to mirror (the declared data files,
        which the run gets as copies).
    """
    skip = set(exclude)
    dest.mkdir(parents=True, exist_ok=True)
    stack = [(project, dest)]
    while stack:
        source, target = stack.pop()
        try:
            entries = list(os.scandir(source))
        except OSError:
            continue
        for entry in entries:
            src = Path(entry.path)
            rel = src.relative_to(project).as_posix()
            out = target / entry.name
            if entry.name in SKIP or rel in skip:
                continue
            if entry.is_dir(follow_symlinks=True):
                # a folder holding no declared file may be linked whole (cheap)
                holds_data = any(s.startswith(f"{rel}/") for s in skip)
                whole = entry.is_symlink() or entry.name in LINK_WHOLE or _has_venv(src)
                if not holds_data and (whole or _too_big(src)):
                    out.symlink_to(os.path.realpath(src), target_is_directory=True)
                    continue
                out.mkdir()
                stack.append((src, out))
            elif entry.is_file(follow_symlinks=True):
                real = Path(os.path.realpath(src))
                if not entry.name.endswith(CODE) and real.stat().st_size <= COPY_LIMIT:
                    # a script may rewrite a results file it finds in its working
                    # directory: a copy keeps the project's own file as it was
                    shutil.copyfile(real, out)
                else:
                    _link_file(real, out)


def _has_venv(folder: Path) -> bool:
    return (folder / "pyvenv.cfg").exists()


def _too_big(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            for count, _ in enumerate(entries):
                if count >= MAX_ENTRIES:
                    return True
    except OSError:
        return False
    return False


def copy_files(project: Path, dest: Path, relpaths: Iterable[str]) -> None:
    """Copy each project-relative file into the mirror at ``dest`` (a real copy)."""
    for rel in relpaths:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink() or target.exists():
            target.unlink()
        shutil.copyfile(project / rel, target)


def remove(path: Path) -> None:
    """Remove a folder tree without following its links (best effort)."""
    shutil.rmtree(path, ignore_errors=True)
