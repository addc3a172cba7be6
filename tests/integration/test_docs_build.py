"""The documentation site builds without a warning, and every error's link lands on its entry.

Every ``AuditkitError`` ends with ``(slug); see <docs/errors.md>#slug``. These tests build
docs/ with the real ``mkdocs build --strict``, collect the slugs from the source, and check
that each has its own heading on the page the messages name, both in the Markdown a user
opens and in the built site.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from auditkit.cli import main
from auditkit.errors import DataError, errors_page
from auditkit.experiment.loader import load_experiment
from tests.conftest import REPO


def _gen_docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_docs", REPO / "scripts" / "gen_docs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["gen_docs"] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


GEN = _gen_docs()


def _headings(markdown: str) -> set[str]:
    return set(re.findall(r"^### (\S+)$", markdown, flags=re.MULTILINE))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert "WARNING" not in built.stderr, built.stderr
    return out


def test_every_slug_has_an_entry_in_the_built_site(site: Path) -> None:
    slugs = GEN.collect_slugs()
    # both ways of giving a slug are collected: the keyword, and rulepack._fail's argument
    assert {"bad-seeds", "csv-header", "pack-shape", "bad-params"} <= slugs
    assert len(slugs) > 100
    html = (site / "errors.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'<h3 id="([^"]+)"', html))
    assert slugs <= ids, f"no entry in the built errors page for {sorted(slugs - ids)}"
    # a slug's anchor must not be taken by a section title, which would rename it
    assert not set(re.findall(r'<h2 id="([^"]+)"', html)) & slugs
    for page in ("index", "first-model-file", "cli", "audit-json", "bad-input"):
        assert (site / f"{page}.html").is_file(), page


def test_generated_pages_are_current() -> None:
    assert GEN.main(["--check"]) == 0, "run: python scripts/gen_docs.py"
    cli = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    for command in ("auditkit check", "auditkit compare", "auditkit report", "auditkit rules"):
        assert f"## {command}\n" in cli, command
    assert "| 6 | `RUNS_FAILED` |" in cli


def test_a_new_slug_without_an_entry_is_caught(tmp_path: Path) -> None:
    package = tmp_path / "auditkit"
    package.mkdir()
    (package / "new.py").write_text(
        textwrap.dedent(
            """
            from auditkit.errors import DataError, RulePackError

            def _fail(path, line, message, slug):
                return RulePackError(f"{path}:{line}: {message}", slug=slug)

            def read(value):
                if value:
                    raise DataError(f"{value!r} is new", slug="brand-new-error")
                raise _fail("p.yaml", 3, "a new pack mistake", "brand-new-pack-error")
            """
        )
    )
    found = {r.slug: r for r in GEN.collect_raises(package)}
    assert set(found) == {"brand-new-error", "brand-new-pack-error"}
    assert found["brand-new-error"].message == "<value> is new"
    assert found["brand-new-pack-error"].error == "RulePackError"
    documented = _headings((REPO / "docs" / "errors.md").read_text(encoding="utf-8"))
    assert not set(found) & documented  # so the stale check above would fail on them


def test_a_printed_link_opens_the_entry_of_its_slug(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--seeds", "1", str(REPO / "examples" / "spr" / "model.py")]) == 4
    printed = capsys.readouterr()
    link = re.search(r"\((bad-seeds)\); see (\S+)#(\S+)", printed.out + printed.err)
    assert link is not None, printed
    path = Path(link.group(2))
    assert path == errors_page() and path.is_file()
    assert link.group(3) == "bad-seeds"
    assert "bad-seeds" in _headings(path.read_text(encoding="utf-8"))
    assert str(DataError("x", slug="csv-header")).endswith(f"see {path}#csv-header")


def test_a_page_a_message_names_exists(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    audit = tmp_path / "audit.yaml"
    audit.write_text("- not a mapping\n")
    assert main(["check", str(audit)]) == 4
    printed = capsys.readouterr()
    pages = re.findall(r"(/\S+\.md)\b", printed.out + printed.err)
    assert len(pages) == 2, printed  # script-mode.md in the text, errors.md in the link
    for page in pages:
        assert Path(page).is_file(), page


def test_the_first_model_file_page_declares_a_valid_experiment(tmp_path: Path) -> None:
    page = (REPO / "docs" / "first-model-file.md").read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", page, flags=re.DOTALL)
    assert code is not None
    model = tmp_path / "model.py"
    model.write_text(code.group(1))
    spec = load_experiment(model)
    assert list(spec.variants) == ["linear", "mlp", "mlp_no_dropout"]
    assert spec.baseline == "linear"
    assert [c.kind for c in spec.claims] == ["claim", "ablation"]


def test_the_readme_links_open(site: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", readme)
    local = [link for link in links if not link.startswith(("http://", "https://", "#"))]
    assert "docs/errors.md" in local
    for link in local:
        target, _, anchor = link.partition("#")
        assert (REPO / target).exists(), f"README.md links to {link}, which does not exist"
        if anchor and target.startswith("docs/") and target.endswith(".md"):
            html = (site / target.removeprefix("docs/")).with_suffix(".html")
            assert f'id="{anchor}"' in html.read_text(encoding="utf-8"), link
