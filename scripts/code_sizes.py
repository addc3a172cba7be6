"""Print the package's long modules and long functions (issue 13's limits).

Run: .venv/bin/python scripts/code_sizes.py [auditkit]

A module's length is its line count; a function's is ``end_lineno - lineno + 1`` (its
docstring included), from the AST. The limits: no module over 700 lines, and no function
over 80 lines without a comment saying why.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path


def main(root: Path) -> None:
    """Print modules over 600 and 700 lines and functions over 80 lines under ``root``."""
    big_files: list[tuple[int, str]] = []
    long_funcs: list[tuple[int, str]] = []
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        big_files.append((source.count("\n"), str(path)))
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > 80:
                    long_funcs.append((length, f"{path}:{node.lineno} {node.name}"))
    over_600 = sorted((f for f in big_files if f[0] > 600), reverse=True)
    print(f"files over 600 lines: {len(over_600)}")
    for n, name in over_600:
        print(f"   {n} {name}")
    print(f"files over 700 lines: {sum(n > 700 for n, _ in big_files)}")
    print(f"functions over 80 lines: {len(long_funcs)}")
    for n, name in sorted(long_funcs, reverse=True):
        print(f"   {n} {name}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "auditkit"))
