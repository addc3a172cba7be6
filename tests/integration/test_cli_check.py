"""``auditkit check`` end to end on a tiny real experiment, in a temporary folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from auditkit.cli import main
from auditkit.rulepack import load_rulepack
from tests.conftest import REPO, TINY_MODEL

pytestmark = pytest.mark.slow


def test_check_writes_json_and_html_and_resumes_from_the_store(
    write_model: Callable[[str], Path], in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = write_model(TINY_MODEL)
    code = main(["check", str(model), "--rules", "quick", "--seeds", "3", "--out", "first"])
    out = capsys.readouterr().out
    doc = json.loads((in_tmp / "first" / "audit.json").read_text())
    assert doc["format"] == 2
    assert code == doc["exit_code"]
    assert code in (0, 1)
    (claim,) = doc["claims"]
    assert claim["verdict"] in {"supported", "inconclusive", "refuted"}
    assert claim["seeds"] == [0, 1, 2]
    assert len(doc["runs"]) == 6
    assert doc["summary"]["runs"] == {"total": 6, "failed": 0, "cached": 0}
    assert doc["rules"][0]["id"] == "AK101"
    html = (in_tmp / "first" / "report.html").read_text()
    assert "gru &gt; bag on accuracy" in html
    assert claim["verdict"] in html
    # terminal: the verdict table and a pytest-style summary line
    assert "AK101 seed-variance" in out
    assert f"1 {claim['verdict']} in " in out
    assert os.path.realpath(in_tmp / ".auditkit" / "last") == str((in_tmp / "first").resolve())

    # a second audit reuses every finished run and reaches the same numbers
    main(["check", str(model), "--rules", "quick", "--seeds", "3", "--out", "second", "-q"])
    again = json.loads((in_tmp / "second" / "audit.json").read_text())
    assert again["summary"]["runs"]["cached"] == 6
    assert again["claims"][0]["gains"] == claim["gains"]

    # changing the model file invalidates its runs
    model.write_text(model.read_text() + "\n# edited\n")
    main(["check", str(model), "--rules", "quick", "--seeds", "3", "--out", "third", "-q"])
    third = json.loads((in_tmp / "third" / "audit.json").read_text())
    assert third["summary"]["runs"]["cached"] == 0

    # re-render without retraining
    (in_tmp / "first" / "report.html").unlink()
    assert main(["report", str(in_tmp / "first" / "audit.json")]) == 0
    assert (in_tmp / "first" / "report.html").read_text() == html


def test_failing_variant_is_recorded_and_the_audit_goes_on(
    write_model: Callable[[str], Path], in_tmp: Path
) -> None:
    source = TINY_MODEL.replace(
        '        states, _ = self.gru(self.embed(batch["tokens"]))',
        "        raise RuntimeError('boom in forward')",
    )
    model = write_model(source)
    code = main(["check", str(model), "--rules", "quick", "--seeds", "2", "--out", "o", "-q"])
    doc = json.loads((in_tmp / "o" / "audit.json").read_text())
    assert doc["summary"]["runs"]["failed"] == 2
    (claim,) = doc["claims"]
    assert claim["verdict"] == "inconclusive"
    assert "only 0 of 2 seed pairs succeeded (2 runs failed)" in claim["reason"]
    failed = [r for r in doc["runs"] if r["error"]]
    assert "RuntimeError: boom in forward" in failed[0]["error"]
    assert code == 6  # no run of gru succeeded: no claim on it can be judged
    assert (
        main(
            [
                "check",
                str(model),
                "--rules",
                "quick",
                "--seeds",
                "2",
                "--out",
                "p",
                "-q",
                "--strict",
            ]
        )
        == 6  # a failed arm outranks an inconclusive claim under --strict
    )


def test_json_format_prints_the_document(
    write_model: Callable[[str], Path], in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = write_model(TINY_MODEL)
    main(
        ["check", str(model), "--rules", "quick", "--seeds", "2", "--format", "json", "--out", "j"]
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads((in_tmp / "j" / "audit.json").read_text())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--seeds", "1"], "--seeds 1 is too few"),
        (["--device", "tpu"], "--device 'tpu' is not a device"),
        (["--rules", "nopack"], "--rules 'nopack' is neither a shipped pack nor a file"),
        (["--only", "AK999"], "--only/--skip 'AK999' names no rule"),
        (["--bogus"], "No such option '--bogus'"),
        (["--seeds", "x"], "--seeds 'x' is not a seed count, 'auto' or a range MIN..MAX"),
    ],
)
def test_bad_flags_exit_4_with_a_message(
    write_model: Callable[[str], Path],
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    expected: str,
) -> None:
    model = write_model(TINY_MODEL)
    assert main(["check", str(model), *args]) == 4
    err = capsys.readouterr().err
    assert expected in err
    assert "Traceback" not in err


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
def test_cuda_without_a_gpu_exits_4(
    write_model: Callable[[str], Path], in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(write_model(TINY_MODEL)), "--device", "cuda"]) == 4
    assert "sees no CUDA device; use --device cpu" in capsys.readouterr().err


def test_unwritable_out_exits_4(
    write_model: Callable[[str], Path], in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = in_tmp / "file"
    blocker.write_text("")
    assert main(["check", str(write_model(TINY_MODEL)), "--out", str(blocker / "sub")]) == 4
    assert "cannot be written" in capsys.readouterr().err


def test_no_rules_selected_exits_5(write_model: Callable[[str], Path], in_tmp: Path) -> None:
    model = write_model(TINY_MODEL)
    skip = [a for r in load_rulepack("quick").rules for a in ("--skip", r.id)]
    assert main(["check", str(model), "--rules", "quick", *skip, "--out", "n", "-q"]) == 5


def test_rules_list_and_explain(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "list"]) == 0
    out = capsys.readouterr().out
    assert "quick" in out and "default" in out and "AK101" in out
    assert main(["rules", "explain", "seed-variance"]) == 0
    out = capsys.readouterr().out
    assert "Why it matters." in out and "How to fix." in out
    assert main(["rules", "explain", "AK999"]) == 4


def test_python_dash_m_entry_point() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "auditkit", "rules", "list"],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "AK101" in out.stdout
