"""The bad-input matrix: every row of docs/bad-input.md, through the real CLI entry point.

Each case writes its bad input into a temporary folder, runs ``auditkit.cli.main`` in
process and checks the exit code, the key part of the message (naming the offending
file, line or value) and that no traceback reaches the user. Two model-file cases are not
usage errors: a variant that builds the wrong thing, or a forward() of the wrong shape, is
a *run* failure, recorded in audit.json while the audit goes on; they are checked at the
end of this file.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch

import auditkit
from auditkit.cli import main
from auditkit.errors import ExitCode
from tests.conftest import REPO, TINY_MODEL

# --------------------------------------------------------------------------- inputs

#: a small valid experiment head for model files that only need to load
HEADER = """
import auditkit as ak
from torch import nn
data = ak.datasets.spr(rule="shape_count", n_train=40, n_dev=20, n_test=20, seed=0)
"""

TWO_VARIANTS = """
@exp.variant(baseline=True)
def a(info): return nn.Linear(1, 2)
@exp.variant
def b(info): return nn.Linear(1, 2)
"""

#: a model file over the CSV folder ``data/`` beside it
CSV_MODEL = """
import auditkit as ak
from torch import nn
exp = ak.Experiment("csv", data=ak.datasets.spr_csv("data"))
@exp.variant(baseline=True)
def a(info): return nn.Linear(1, 2)
@exp.variant
def b(info): return nn.Linear(1, 2)
exp.claim("b", over="a", metric="accuracy")
"""

GOOD_CSV = {
    "train": "id,sequence,label\nt0,▲r ■g,0\nt1,●b ◆y ▲r,1\nt2,◆ ■,1\n",
    "dev": "id,sequence,label\nd0,▲r ■g ●b,1\nd1,◆y,0\n",
    "test": "id,sequence,label\ns0,■r ■r,0\ns1,●g ●,1\n",
}

#: a model file of scikit-learn variants over the dataset expression DATA, on line 3
ARRAY_MODEL = """
import auditkit as ak
exp = ak.Experiment("arrays", data=DATA)
from sklearn.linear_model import LogisticRegression
@exp.variant(baseline=True)
def a(info): return LogisticRegression()
@exp.variant
def b(info): return LogisticRegression()
exp.claim("b", over="a", metric="accuracy")
"""


def _arrays(data: str) -> str:
    return ARRAY_MODEL.replace("DATA", data)


GOOD_PACK = """\
pack: mine
schema: 1
settings: {seeds: 4, alpha: 0.05}
rules:
  - id: AK101
    name: seed-variance
    check: seed_sweep
    severity: high
    why: Seeds move metrics.
    fix: Use more seeds.
"""


@dataclass(frozen=True)
class Case:
    """One row of the matrix: what to write, what to run, what the message must say."""

    #: the argument list after ``auditkit``; ``{model}`` and ``{tmp}`` are filled in
    args: tuple[str, ...]
    #: the key text of the message, with ``{tmp}`` filled in
    expected: str
    #: the model file's source (written as model.py), when the case needs one
    model: str | None = TINY_MODEL
    #: extra files to write, relative path -> text or bytes
    files: dict[str, str | bytes] = field(default_factory=dict)
    #: the message ends with the traceback of the user's own code (an exception raised
    #: while importing the model file): allowed, but no frame of auditkit may show
    user_traceback: bool = False


def _check(*extra: str) -> tuple[str, ...]:
    return ("check", "{model}", "--rules", "quick", *extra)


def _csv(**splits: str | bytes) -> dict[str, str | bytes]:
    return {f"data/{s}.csv": content for s, content in {**GOOD_CSV, **splits}.items()}


def _pack(text: str) -> dict[str, str | bytes]:
    return {"pack.yaml": text}


def _runs(text: str) -> dict[str, str | bytes]:
    return {"runs.csv": text}


CASES: dict[str, Case] = {
    # ----------------------------------------------------------------- model files
    "model-syntax-error": Case(
        _check(),
        "{tmp}/model.py:3:12: syntax error: invalid syntax",
        model="import auditkit\n\ndef broken(:\n    pass\n",
    ),
    "model-import-error": Case(
        _check(),
        "{tmp}/model.py:2: importing the model file raised ZeroDivisionError: division by zero",
        model="x = 1\ny = x / 0\n",
        user_traceback=True,
    ),
    "model-missing-module": Case(
        _check(),
        "{tmp}/model.py:2: the model file imports 'sklearnn', which is not "
        "installed in the Python environment auditkit runs in (",
        model="x = 1\nfrom sklearnn.linear_model import LogisticRegression\n",
    ),
    "model-no-experiment": Case(
        _check(), "{tmp}/model.py: declares no auditkit.Experiment", model="x = 1\n"
    ),
    "model-two-experiments": Case(
        _check(),
        "{tmp}/model.py: declares 2 experiments ('one', 'two'); choose one with --experiment NAME",
        model=HEADER + 'a = ak.Experiment("one", data=data)\nb = ak.Experiment("two", data=data)\n',
    ),
    "model-unknown-experiment": Case(
        _check("--experiment", "tinyy"),
        "{tmp}/model.py: --experiment 'tinyy' is not declared here; the file declares 'tiny'",
    ),
    "model-no-baseline": Case(
        _check(),
        "{tmp}/model.py: experiment 'e' has no baseline among its variants (a, b)",
        model=HEADER
        + 'exp = ak.Experiment("e", data=data)\n'
        + TWO_VARIANTS.replace("(baseline=True)", "")
        + 'exp.claim("b", over="a", metric="accuracy")\n',
    ),
    "model-unknown-metric": Case(
        _check(),
        "{tmp}/model.py: Experiment('e') lists unknown metric 'hwaa'",
        model=HEADER
        + 'exp = ak.Experiment("e", data=data, metrics=["accuracy", "hwaa"])\n'
        + TWO_VARIANTS
        + 'exp.claim("b", over="a", metric="accuracy")\n',
    ),
    "model-metric-abbreviation": Case(
        _check(),
        "{tmp}/model.py: Experiment('e') lists unknown metric 'acc'. Did you mean 'accuracy'?",
        model=HEADER
        + 'exp = ak.Experiment("e", data=data, metrics=["acc"])\n'
        + TWO_VARIANTS
        + 'exp.claim("b", over="a", metric="acc")\n',
    ),
    "model-claim-unknown-variant": Case(
        _check(),
        "{tmp}/model.py:11: claim variant='c' names no variant",
        model=HEADER
        + 'exp = ak.Experiment("e", data=data)\n'
        + TWO_VARIANTS
        + 'exp.claim("c", over="a", metric="accuracy")\n',
    ),
    "model-claim-metric-not-in-experiment": Case(
        _check(),
        "{tmp}/model.py:11: claim metric='swa' is not one of the experiment's metrics",
        model=HEADER
        + 'exp = ak.Experiment("e", data=data, metrics=["accuracy"])\n'
        + TWO_VARIANTS
        + 'exp.claim("b", over="a", metric="swa")\n',
    ),
    "model-claim-reported-in-percent": Case(
        _check(),
        "{tmp}/model.py:11: claim reported=2.0: a gain of +2 on accuracy is impossible: "
        "accuracy lies between 0 and 1, so a gain lies within ±1. Gains are written in metric "
        "units: reported=0.02 for '+2 points'.",
        model=HEADER
        + 'exp = ak.Experiment("e", data=data, metrics=["accuracy"])\n'
        + TWO_VARIANTS
        + 'exp.claim("b", over="a", metric="accuracy", reported=2.0)\n',
    ),
    "compare-reported-in-percent": Case(
        ("compare", "{tmp}/runs.csv", "--baseline", "gru", "--reported", "3.1"),
        "--reported 3.1: a gain of +3.1 on accuracy is impossible: accuracy lies between 0 "
        "and 1, so a gain lies within ±1. Gains are written in metric units: reported=0.031 "
        "for '+3.1 points'.",
        model=None,
        files=_runs("variant,seed,accuracy\ngru,0,0.7\ngru,1,0.7\nrel,0,0.72\nrel,1,0.73\n"),
    ),
    "model-missing-file": Case(
        ("check", "{tmp}/absent.py", "--rules", "quick"),
        "{tmp}/absent.py: no such model file",
        model=None,
    ),
    "model-folder-not-file": Case(
        ("check", "{tmp}/folder", "--rules", "quick"),
        "{tmp}/folder: no such model file (it is a folder; pass the .py file inside it)",
        model=None,
        files={"folder/model.py": TINY_MODEL},
    ),
    # ----------------------------------------------------------------- data (CSV folders)
    "data-empty-split": Case(
        _check(),
        "{tmp}/model.py:4: data/dev.csv: the file is empty, so the dev split would have no rows",
        model=CSV_MODEL,
        files=_csv(dev=""),
    ),
    "data-one-class": Case(
        _check(),
        "{tmp}/model.py:4: data: every row of train.csv, dev.csv and test.csv has label 1",
        model=CSV_MODEL,
        files={f"data/{s}.csv": f"id,sequence,label\n{s}0,▲r,1\n{s}1,■g,1\n" for s in GOOD_CSV},
    ),
    "data-not-utf8": Case(
        _check(),
        "{tmp}/model.py:4: data/test.csv:3: not valid UTF-8: byte 0xff",
        model=CSV_MODEL,
        files=_csv(test="id,sequence,label\ns0,▲r,0\ns1,".encode() + b"\xff,1\n"),
    ),
    "data-missing-column": Case(
        _check(),
        "{tmp}/model.py:4: data/train.csv:1: header has columns ['id', 'sequence']; "
        "expected id,sequence,label (missing label)",
        model=CSV_MODEL,
        files=_csv(train="id,sequence\nt0,▲r\nt1,■g\n"),
    ),
    "data-unknown-token": Case(
        _check(),
        "{tmp}/model.py:4: data/train.csv:2: unknown token '■x'",
        model=CSV_MODEL,
        files=_csv(train="id,sequence,label\nt0,▲r ■x,0\nt1,■g,1\n"),
    ),
    "data-label-not-integer": Case(
        _check(),
        "{tmp}/model.py:4: data/train.csv:3: label 'x' is not an integer",
        model=CSV_MODEL,
        files=_csv(train="id,sequence,label\nt0,▲r,0\nt1,■g,x\n"),
    ),
    # ----------------------------------------------------------------- rule packs
    "pack-unknown-check": Case(
        _check("--rules", "{tmp}/pack.yaml"),
        "{tmp}/pack.yaml:7: rule AK101 (seed-variance): unknown check 'seed_swep'",
        files=_pack(GOOD_PACK.replace("check: seed_sweep", "check: seed_swep")),
    ),
    "pack-wrong-param-type": Case(
        _check("--rules", "{tmp}/pack.yaml"),
        "{tmp}/pack.yaml:9: rule AK101 (seed-variance): bad params: vary=3 must be 'both'",
        files=_pack(GOOD_PACK.replace("    why:", "    params: {vary: 3}\n    why:")),
    ),
    "pack-duplicate-id": Case(
        _check("--rules", "{tmp}/pack.yaml"),
        "{tmp}/pack.yaml:11: rule AK101 (seed-again): "
        "'AK101' is already used by the rule at line 5",
        files=_pack(
            GOOD_PACK + GOOD_PACK.split("rules:\n", 1)[1].replace("seed-variance", "seed-again")
        ),
    ),
    "pack-yaml-syntax-error": Case(
        _check("--rules", "{tmp}/pack.yaml"),
        "{tmp}/pack.yaml:9: YAML syntax error",
        files=_pack(GOOD_PACK.replace("severity: high", "severity: [high")),
    ),
    "pack-unknown-name": Case(
        _check("--rules", "quik"),
        "--rules 'quik' is neither a shipped pack nor a file",
    ),
    "pack-missing-why": Case(
        _check("--rules", "{tmp}/pack.yaml"),
        "{tmp}/pack.yaml:5: rule AK101 (seed-variance): missing or empty 'why'",
        files=_pack(GOOD_PACK.replace("    why: Seeds move metrics.\n", "")),
    ),
    # ----------------------------------------------------------------- check's flags
    "flag-negative-seeds": Case(_check("--seeds", "-1"), "--seeds -1 is too few"),
    "flag-one-seed": Case(_check("--seeds", "1"), "--seeds 1 is too few"),
    "flag-unknown-device": Case(
        _check("--device", "tpu"), "--device 'tpu' is not a device; use auto, cpu, cuda or cuda:N"
    ),
    "flag-cuda-without-gpu": Case(
        _check("--device", "cuda"), "sees no CUDA device; use --device cpu"
    ),
    "flag-unwritable-out": Case(
        _check("--out", "{tmp}/file/sub"),
        "--out '{tmp}/file/sub' cannot be written",
        files={"file": ""},
    ),
    "flag-negative-jobs": Case(_check("--jobs", "-1"), "--jobs -1 is negative"),
    "flag-only-names-no-rule": Case(
        _check("--only", "AK999"), "--only/--skip 'AK999' names no rule"
    ),
    "flag-unknown-option": Case(_check("--bogus"), "No such option '--bogus'"),
    # ----------------------------------------------------------------- compare's CSV
    "compare-missing-columns": Case(
        ("compare", "{tmp}/runs.csv", "--baseline", "gru"),
        "{tmp}/runs.csv:1: missing column(s) variant; found model, seed, accuracy",
        model=None,
        files=_runs("model,seed,accuracy\ngru,0,0.7\n"),
    ),
    "compare-unpaired-seeds": Case(
        ("compare", "{tmp}/runs.csv", "--baseline", "gru"),
        "{tmp}/runs.csv: seeds are not paired for rel vs gru (condition 'nominal'): "
        "only gru has seeds [1], only rel has [2]",
        model=None,
        files=_runs("variant,seed,accuracy\ngru,0,0.7\ngru,1,0.7\nrel,0,0.72\nrel,2,0.72\n"),
    ),
    "data-nan-feature": Case(
        _check(),
        "{tmp}/model.py:3: data.csv:3: column 'x' holds 'nan', which is not a finite number",
        model=_arrays('ak.datasets.features_csv("data.csv")'),
        files={"data.csv": "x,y,label\n1.0,2,0\nnan,3,1\n2,3,0\n1,1,1\n2,2,0\n3,3,1\n"},
    ),
    "data-image-folder-missing": Case(
        _check(),
        "{tmp}/model.py:3: photos: the image folder does not exist",
        model=_arrays('ak.datasets.image_folder("photos")'),
    ),
    "data-unknown-sklearn-dataset": Case(
        _check(),
        "{tmp}/model.py:3: sklearn_dataset('cancer'): unknown dataset. Did you mean "
        "'breast_cancer'?",
        model=_arrays('ak.datasets.sklearn_dataset("cancer")'),
    ),
    "model-token-metric-on-features": Case(
        _check(),
        "{tmp}/model.py: Experiment('arrays') lists metric 'hwa', which weights rows by the "
        "shapes and colours of their tokens, but the data is features",
        model=_arrays('ak.datasets.sklearn_dataset("iris"), metrics=["accuracy", "hwa"]'),
    ),
    "model-bad-design": Case(
        _check(),
        "{tmp}/model.py: Experiment('arrays', design=5) must be None or "
        "auditkit.CrossValidation(folds=5)",
        model=_arrays('ak.datasets.sklearn_dataset("iris"), design=5'),
    ),
    "compare-non-numeric-cell": Case(
        ("compare", "{tmp}/runs.csv", "--baseline", "gru"),
        "{tmp}/runs.csv:2: column 'accuracy' holds 'n/a', which is not a number",
        model=None,
        files=_runs("variant,seed,accuracy\ngru,0,n/a\n"),
    ),
    "compare-huge-metric": Case(
        ("compare", "{tmp}/runs.csv", "--baseline", "gru"),
        "{tmp}/runs.csv:3: column 'loss' holds 5e150, beyond ±1e+150",
        model=None,
        files=_runs("variant,seed,loss\ngru,0,1\ngru,1,5e150\nrel,0,2\nrel,1,3\n"),
    ),
}


def _params() -> list[object]:
    params: list[object] = []
    for key, case in CASES.items():
        marks = []
        if key == "flag-cuda-without-gpu":
            marks.append(
                pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA")
            )
        params.append(pytest.param(case, id=key, marks=marks))
    return params


@pytest.mark.parametrize("case", _params())
def test_bad_input_exits_4_with_a_clear_message(
    case: Case, in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if case.model is not None:
        (in_tmp / "model.py").write_text(textwrap.dedent(case.model), encoding="utf-8")
    for relative, content in case.files.items():
        path = in_tmp / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        path.write_bytes(data)
    tmp = str(in_tmp)
    args = [a.replace("{model}", str(in_tmp / "model.py")).replace("{tmp}", tmp) for a in case.args]
    code = main(args)
    captured = capsys.readouterr()
    output = captured.out + captured.err
    if case.user_traceback:
        assert 'Traceback (most recent call last):\n  File "' + tmp in output
        assert str(Path(auditkit.__file__).parent) not in output
    else:
        assert "Traceback" not in output
    assert "internal error" not in output
    assert code == 4, output
    assert case.expected.replace("{tmp}", tmp) in captured.err


# --------------------------------------------------------------------------- run failures


@pytest.mark.parametrize(
    ("old", "new", "error", "where"),
    [
        pytest.param(
            "    return Gru(info)",
            "    return 3",
            "the variant builder returned int",
            "def gru(info):",
            id="model-variant-returns-int",
        ),
        pytest.param(
            "    return Gru(info)",
            "    Gru(info)",
            "the variant builder returned NoneType; it must return a torch.nn.Module whose "
            "forward(batch) returns logits, or a scikit-learn estimator with fit and predict "
            "(a builder without `return` returns None)",
            "def gru(info):",
            id="model-variant-forgets-return",
        ),
        pytest.param(
            "        return self.head(states[:, -1])",
            "        return self.head(states)",
            "forward(batch) returned a tensor of shape",
            "    def forward(self, batch):\n        states, _",
            id="model-forward-wrong-shape",
        ),
        pytest.param(
            '        states, _ = self.gru(self.embed(batch["tokens"]))',
            '        states, _ = self.gru(self.embed(batch["x"]))',
            "forward(batch) read batch['x'], and this data's batches have no such key; they "
            "have 'color', 'mask', 'shape', 'tokens'.",
            '        states, _ = self.gru(self.embed(batch["x"]))',
            id="model-forward-wrong-batch-key",
        ),
    ],
)
def test_broken_variant_is_a_recorded_run_failure_shown_with_its_line(
    write_model: Callable[[str], Path],
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    old: str,
    new: str,
    error: str,
    where: str,
) -> None:
    assert old in TINY_MODEL
    source = TINY_MODEL.replace(old, new)
    model = write_model(source)
    # the 1-based line the message must point at: the user's line at fault
    line = source[: source.index(where)].count("\n") + 1
    monkeypatch.setenv("COLUMNS", "400")  # one message per line, paths unbroken
    code = main(["check", str(model), "--rules", "quick", "--seeds", "2", "--out", "o"])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    # no run of the variant succeeded: the audit exits with its own code, not 0
    assert code == ExitCode.RUNS_FAILED == 6
    doc = json.loads((in_tmp / "o" / "audit.json").read_text())
    failed = [r for r in doc["runs"] if r["error"]]
    assert len(failed) == 2
    assert all(r["spec"]["variant"] == "gru" for r in failed)
    assert f"variant 'gru' ({model}:" in failed[0]["error"]
    assert error in failed[0]["error"]
    (claim,) = doc["claims"]
    assert claim["verdict"] == "inconclusive"
    assert "only 0 of 2 seed pairs succeeded (2 runs failed)" in claim["reason"]
    # the terminal shows the first error, where in the user's file, and the exit code
    out = captured.out
    assert "FAILED gru: 2 of 2 runs failed; the first (gru[nominal,init=0,order=0]):" in out
    assert error in " ".join(out.split())
    assert f"at {model}:{line} " in out
    assert "(exit code 6)" in out
    # and so does the HTML report
    html = (in_tmp / "o" / "report.html").read_text()
    assert '<section id="failures">' in html
    assert f"at {model}:{line} " in html


def test_a_missing_module_names_the_environment_and_the_install_command(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (in_tmp / "model.py").write_text("import sklearn\nimport not_installed_mod\n")
    assert main(["check", str(in_tmp / "model.py")]) == 4
    err = capsys.readouterr().err
    assert f"runs in ({sys.prefix}). Install it there:" in err
    assert f"{sys.executable} -m pip install not_installed_mod\n" in err
    assert "Traceback" not in err
    # an import name whose package is named otherwise gets the package's name
    from auditkit.experiment.loader import PYPI_NAMES

    assert PYPI_NAMES["sklearn"] == "scikit-learn"


def test_docs_table_lists_every_case() -> None:
    """docs/bad-input.md shows each case's key text, so the table and the tests agree."""
    doc = (REPO / "docs" / "bad-input.md").read_text(encoding="utf-8")
    rows = [line for line in doc.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) - 1 == len(CASES) + 2  # the header and the two run failures
    for key, case in CASES.items():
        assert case.expected.replace("{tmp}/", "") in doc, key
