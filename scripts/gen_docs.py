"""Generate docs/errors.md, docs/cli.md and docs/audit-schema.json from the source, or check them.

    python scripts/gen_docs.py           # rewrite the generated pages
    python scripts/gen_docs.py --check   # exit 1, naming the page, when one is stale

Every ``AuditkitError`` carries a ``slug``, and its message ends with a link to the
heading of that slug on docs/errors.md. The slugs are collected from the source by AST
(every ``slug="..."`` keyword, and the ``slug`` argument of helpers that take one, like
``rulepack._fail``), so a new error cannot ship without its entry: the page is generated,
and ``tests/integration/test_docs_build.py`` fails while it is stale. The CLI reference is
the ``--help`` of every click command at a fixed width.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "auditkit"
DOCS = ROOT / "docs"
#: click wraps help at the terminal's width; a fixed one keeps the page the same everywhere
HELP_WIDTH = 100

#: (module path prefix, section title, topical page); the first prefix that matches wins
AREAS: tuple[tuple[str, str, str], ...] = (
    ("auditkit/experiment/", "Model files", "bad-input.md"),
    ("auditkit/datasets/", "Data sets", "bad-input.md"),
    ("auditkit/rulepack.py", "Rule packs", "bad-input.md"),
    ("auditkit/checks/", "Rule packs", "bad-input.md"),
    ("auditkit/script/", "Script mode", "script-mode.md"),
    ("auditkit/sources/", "Logged runs: compare's sources", "sources.md"),
    ("auditkit/compare.py", "Logged runs: compare's sources", "sources.md"),
    ("auditkit/execute/", "Running: executors and workers", "bad-input.md"),
    ("auditkit/report/", "Writing reports", "bad-input.md"),
    ("", "Command line", "bad-input.md"),
)


@dataclass(frozen=True)
class Raise:
    """One place that raises an error with a slug."""

    slug: str
    error: str  #: the exception class's name
    module: str  #: path relative to the repository root
    message: str  #: the message's literal text, ``…`` for each interpolated value


def _placeholder(node: ast.expr) -> str:
    """A filled-in value: ``<name>`` for a plain name or attribute, else ``…``."""
    if isinstance(node, ast.FormattedValue):
        node = node.value
    if isinstance(node, ast.Name):
        return f"<{node.id}>"
    if isinstance(node, ast.Attribute):
        return f"<{node.attr}>"
    return "…"


def _text(node: ast.expr | None) -> str:
    """The literal text of a message expression, a placeholder for every computed part."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            _text(v) if isinstance(v, ast.Constant) else _placeholder(v) for v in node.values
        )
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _text(node.left) + _text(node.right)
    return "…"


def _slug_helpers(tree: ast.Module) -> dict[str, tuple[int, int, str]]:
    """Functions of a module that take a ``slug`` and a ``message`` parameter.

    Each maps to (index of ``slug``, index of ``message``, the error class it builds).
    """
    helpers: dict[str, tuple[int, int, str]] = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.FunctionDef):
            continue
        names = [a.arg for a in node.args.args]
        if "slug" not in names or "message" not in names:
            continue
        built = [
            c.func.id
            for c in ast.walk(node)
            if isinstance(c, ast.Call)
            and isinstance(c.func, ast.Name)
            and any(k.arg == "slug" for k in c.keywords)
        ]
        if built:
            helpers[node.name] = (names.index("slug"), names.index("message"), built[0])
    return helpers


def collect_raises(package: Path = PACKAGE) -> list[Raise]:
    """Every place in the package that builds an error with a literal slug, in source order."""
    found: list[Raise] = []
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        module = path.relative_to(package.parent).as_posix()
        helpers = _slug_helpers(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            slug = next((k.value for k in node.keywords if k.arg == "slug"), None)
            if isinstance(slug, ast.Constant) and isinstance(slug.value, str):
                error = ast.unparse(node.func)
                message = node.args[0] if node.args else None
                found.append(Raise(slug.value, error, module, _text(message)))
            elif isinstance(node.func, ast.Name) and node.func.id in helpers:
                slug_at, message_at, error = helpers[node.func.id]
                if len(node.args) > slug_at:
                    arg = node.args[slug_at]
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        text = _text(node.args[message_at])
                        found.append(Raise(arg.value, error, module, text))
    return found


def collect_slugs(package: Path = PACKAGE) -> set[str]:
    """Every slug the package's errors carry."""
    return {r.slug for r in collect_raises(package)}


def _exit_codes(package: Path) -> dict[str, int]:
    """Error class name → its exit code, from the classes' ``exit_code`` and their bases."""
    sys.path.insert(0, str(package.parent))
    from auditkit.errors import ExitCode

    bases: dict[str, list[str]] = {}
    own: dict[str, int] = {}
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef):
                continue
            bases[node.name] = [ast.unparse(b).split(".")[-1] for b in node.bases]
            for item in node.body:
                target: ast.expr | None = None
                value: ast.expr | None = None
                if isinstance(item, ast.AnnAssign):
                    target, value = item.target, item.value
                elif isinstance(item, ast.Assign) and len(item.targets) == 1:
                    target, value = item.targets[0], item.value
                if (
                    isinstance(target, ast.Name)
                    and target.id == "exit_code"
                    and isinstance(value, ast.Attribute)
                ):
                    own[node.name] = int(ExitCode[value.attr])

    def code(name: str) -> int | None:
        if name in own:
            return own[name]
        for base in bases.get(name, []):
            found = code(base)
            if found is not None:
                return found
        return None

    return {name: c for name in bases if (c := code(name)) is not None}


def _area(module: str) -> tuple[str, str]:
    for prefix, title, page in AREAS:
        if module.startswith(prefix):
            return title, page
    raise AssertionError("the last area matches every module")


def _code(text: str) -> str:
    """``text`` as a Markdown code span, so that ``*``, ``_`` or ``<`` in it print as typed."""
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _anchor(title: str) -> str:
    """The id MkDocs (and GitHub) give a heading: lower case, punctuation dropped, dashes."""
    kept = "".join(ch for ch in title.lower() if ch.isalnum() or ch in " -_")
    return "-".join(kept.split())


def errors_page(package: Path = PACKAGE) -> str:
    """The text of docs/errors.md: one heading per slug, grouped by where it is raised."""
    codes = _exit_codes(package)
    by_slug: dict[str, list[Raise]] = defaultdict(list)
    for found in collect_raises(package):
        by_slug[found.slug].append(found)
    sections: dict[str, list[str]] = defaultdict(list)
    pages: dict[str, str] = {}
    for slug in sorted(by_slug):
        raises = by_slug[slug]
        title, page = _area(raises[0].module)
        pages[title] = page
        errors = sorted({r.error for r in raises})
        exits = sorted({codes[e] for e in errors if e in codes})
        modules = sorted({r.module for r in raises})
        lines = [
            f"### {slug}",
            "",
            "Raised as "
            + ", ".join(f"`{e}`" for e in errors)
            + (" · exit code " + ", ".join(str(c) for c in exits) if exits else "")
            + " · in "
            + ", ".join(f"`{m}`" for m in modules)
            + ".",
            "",
        ]
        messages = list(dict.fromkeys(r.message for r in raises))
        for message in messages:
            # one line per message; a message's own newlines read as spaces here
            flat = _code(" ".join(message.split()))
            lines.append(f"- {flat}" if len(messages) > 1 else f"> {flat}")
        sections[title].append("\n".join(lines))
    order = list(dict.fromkeys(title for _, title, _ in AREAS))
    out = [
        "<!-- Generated by scripts/gen_docs.py from the source; do not edit by hand. -->",
        "",
        "# Error messages",
        "",
        "Every error auditkit raises on purpose ends with `(slug); see …/errors.md#slug`, a link",
        "to the entry of that slug below. Each entry names the exception, the exit code and the",
        "module that raises it, and the message, with `<name>` or `…` for the values it fills in",
        "(the file, line and value at fault). The message itself says what happened, why it",
        "matters and what to do; the page of each section explains the input in full. Exit codes",
        "are listed in",
        "the [CLI reference](cli.md#exit-codes).",
        "",
        "Sections: " + ", ".join(f"[{t}](#{_anchor(t)})" for t in order if t in sections) + ".",
        "",
    ]
    for title in order:
        if title not in sections:
            continue
        out += [f"## {title}", "", f"More on these inputs: [{pages[title]}]({pages[title]}).", ""]
        out += [entry + "\n" for entry in sections[title]]
    return "\n".join(out).rstrip("\n") + "\n"


def cli_page() -> str:
    """The text of docs/cli.md: every command's ``--help`` and the exit codes."""
    import click

    sys.path.insert(0, str(ROOT))
    from auditkit.cli import cli
    from auditkit.errors import ExitCode

    out = [
        "<!-- Generated by scripts/gen_docs.py from the click commands; do not edit by hand. -->",
        "",
        "# Command-line reference",
        "",
        "The `--help` of every `auditkit` command, as the installed version prints it.",
        "",
    ]

    def walk(command: click.Command, name: str, parent: click.Context | None) -> None:
        # the command's own context_settings (the group's "-h" for help) as click applies
        # them when it runs: click caches each command's help option on first use, so a
        # context built without them would print whichever the process happened to see first
        settings = {
            **command.context_settings,
            "terminal_width": HELP_WIDTH,
            "max_content_width": HELP_WIDTH,
        }
        ctx = click.Context(command, info_name=name, parent=parent, **settings)
        out.extend([f"## {ctx.command_path}", "", "```text", command.get_help(ctx), "```", ""])
        if isinstance(command, click.Group):
            for sub in command.list_commands(ctx):
                child = command.get_command(ctx, sub)
                if child is not None and not child.hidden:
                    walk(child, sub, ctx)

    walk(cli, "auditkit", None)
    out += ["## Exit codes", "", "| code | name | meaning |", "|---|---|---|"]
    source = (PACKAGE / "errors.py").read_text(encoding="utf-8")
    for code in ExitCode:
        out.append(f"| {int(code)} | `{code.name}` | {_exit_meaning(source, code.name)} |")
    return "\n".join(out).rstrip("\n") + "\n"


def _exit_meaning(source: str, name: str) -> str:
    """The ``#:`` comment of an ExitCode member: on its line, or the lines just above it."""
    lines = source.splitlines()
    for i, line in enumerate(lines):
        if line.strip().startswith(f"{name} = "):
            if "#:" in line:
                return line.split("#:", 1)[1].strip()
            above: list[str] = []
            j = i - 1
            while j >= 0 and lines[j].strip().startswith("#:"):
                above.insert(0, lines[j].strip()[2:].strip())
                j -= 1
            return " ".join(above)
    raise KeyError(name)


def schema_page() -> str:
    """docs/audit-schema.json: the JSON Schema of audit.json, from the document's types."""
    import json

    from auditkit.report.auditdoc import document_schema

    return json.dumps(document_schema(), indent=2, ensure_ascii=False) + "\n"


PAGES = {"errors.md": errors_page, "cli.md": cli_page, "audit-schema.json": schema_page}


def _words(text: str) -> list[str]:
    return text.split()


def stale_pages() -> list[str]:
    """The generated pages whose committed text differs from what the code gives now.

    Compared word by word: how click wraps a help text may change between its versions,
    which is no reason to fail a build; an option, a command or a message that changes is.
    """
    stale = []
    for name, build in PAGES.items():
        path = DOCS / name
        if not path.exists() or _words(path.read_text(encoding="utf-8")) != _words(build()):
            stale.append(f"docs/{name}")
    return stale


def main(argv: list[str] | None = None) -> int:
    """Write the generated pages, or with ``--check`` report those that are stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a page is stale")
    args = parser.parse_args(argv)
    if not args.check:
        for name, build in PAGES.items():
            (DOCS / name).write_text(build(), encoding="utf-8")
        return 0
    stale = stale_pages()
    if stale:
        print(f"stale: {', '.join(stale)}; run python scripts/gen_docs.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
