"""MkDocs hook (mkdocs.yml ``hooks:``): refuse to build from stale generated pages.

docs/errors.md and docs/cli.md are generated from the code by scripts/gen_docs.py and
committed, so that they read on GitHub and in a checkout as in the site. A build from
pages older than the code would publish a wrong CLI reference or miss an error's entry,
so the build fails instead, naming the command that brings them up to date.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError


def on_pre_build(config: Any) -> None:
    """Fail the build when a generated page differs from what the code gives now."""
    if "gen_docs" not in sys.modules:
        path = Path(__file__).with_name("gen_docs.py")
        spec = importlib.util.spec_from_file_location("gen_docs", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["gen_docs"] = module
        spec.loader.exec_module(module)
    stale = sys.modules["gen_docs"].stale_pages()
    if stale:
        raise PluginError(
            f"{', '.join(stale)}: out of date with the code; run: python scripts/gen_docs.py"
        )
