"""Loading model files: every bad file gets a clear message and exit code 4."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from auditkit.cli import main
from auditkit.errors import DataError, ModelFileError
from auditkit.experiment import load_experiment
from tests.conftest import TINY_MODEL

HEADER = """
import auditkit as ak
from torch import nn
data = ak.datasets.spr(rule="shape_count", n_train=40, n_dev=20, n_test=20, seed=0)
"""


def _load_error(write_model: Callable[[str], Path], source: str) -> str:
    path = write_model(source)
    with pytest.raises(ModelFileError) as info:
        load_experiment(path)
    return str(info.value)


def test_tiny_model_loads(write_model: Callable[[str], Path]) -> None:
    spec = load_experiment(write_model(TINY_MODEL))
    assert spec.name == "tiny"
    assert spec.baseline == "bag"
    assert [c.label for c in spec.claims] == ["gru > bag on accuracy"]


def test_syntax_error_names_file_and_line(write_model: Callable[[str], Path]) -> None:
    message = _load_error(write_model, "import auditkit\n\ndef broken(:\n    pass\n")
    assert "model.py:3:" in message
    assert "syntax error" in message
    assert "def broken(:" in message


def test_import_error_inside_user_code_names_the_line(write_model: Callable[[str], Path]) -> None:
    message = _load_error(write_model, "x = 1\ny = {}['missing']\n")
    assert "model.py:2: importing the model file raised KeyError" in message
    assert "'missing'" in message


def test_a_module_that_is_not_installed_says_how_to_install_it(
    write_model: Callable[[str], Path],
) -> None:
    message = _load_error(write_model, "x = 1\nimport not_a_module_anywhere\n")
    assert "model.py:2: the model file imports 'not_a_module_anywhere', which is not " in message
    assert "-m pip install not_a_module_anywhere" in message


def test_no_experiment(write_model: Callable[[str], Path]) -> None:
    message = _load_error(write_model, "x = 1\n")
    assert "declares no auditkit.Experiment" in message
    assert "ak.Experiment" in message or "auditkit.Experiment(" in message


def test_two_experiments_need_a_choice(write_model: Callable[[str], Path]) -> None:
    source = HEADER + 'a = ak.Experiment("one", data=data)\nb = ak.Experiment("two", data=data)\n'
    message = _load_error(write_model, source)
    assert "declares 2 experiments ('one', 'two')" in message
    assert "--experiment NAME" in message


def test_no_baseline(write_model: Callable[[str], Path]) -> None:
    source = (
        HEADER
        + """
exp = ak.Experiment("e", data=data)
@exp.variant
def a(info): return nn.Linear(1, 2)
@exp.variant
def b(info): return nn.Linear(1, 2)
exp.claim("b", over="a", metric="accuracy")
"""
    )
    message = _load_error(write_model, source)
    assert "has no baseline among its variants (a, b)" in message
    assert "@exp.variant(baseline=True)" in message


def test_two_baselines(write_model: Callable[[str], Path]) -> None:
    source = (
        HEADER
        + """
exp = ak.Experiment("e", data=data)
@exp.variant(baseline=True)
def a(info): return nn.Linear(1, 2)
@exp.variant(baseline=True)
def b(info): return nn.Linear(1, 2)
exp.claim("b", over="a", metric="accuracy")
"""
    )
    assert "marks 2 variants as baseline (a, b)" in _load_error(write_model, source)


def test_claim_over_unknown_variant_suggests_the_closest(
    write_model: Callable[[str], Path],
) -> None:
    source = (
        HEADER
        + """
exp = ak.Experiment("e", data=data)
@exp.variant(baseline=True)
def gru(info): return nn.Linear(1, 2)
@exp.variant
def relational(info): return nn.Linear(1, 2)
exp.claim("relationl", over="gru", metric="accuracy")
"""
    )
    message = _load_error(write_model, source)
    assert "model.py:11: claim variant='relationl' names no variant" in message
    assert "Did you mean 'relational'?" in message


def test_unknown_experiment_metric(write_model: Callable[[str], Path]) -> None:
    source = (
        HEADER
        + """
exp = ak.Experiment("e", data=data, metrics=["accuracy", "hwaa"])
@exp.variant(baseline=True)
def a(info): return nn.Linear(1, 2)
"""
    )
    message = _load_error(write_model, source)
    assert "unknown metric 'hwaa'" in message
    assert "Did you mean 'hwa'?" in message


def test_claim_metric_not_in_experiment(write_model: Callable[[str], Path]) -> None:
    source = (
        HEADER
        + """
exp = ak.Experiment("e", data=data, metrics=["accuracy"])
@exp.variant(baseline=True)
def a(info): return nn.Linear(1, 2)
@exp.variant
def b(info): return nn.Linear(1, 2)
exp.claim("b", metric="swa")
"""
    )
    message = _load_error(write_model, source)
    assert "claim metric='swa' is not one of the experiment's metrics" in message
    assert "Add it to Experiment(metrics=[...])" in message


def test_no_claims(write_model: Callable[[str], Path]) -> None:
    source = (
        HEADER
        + """
exp = ak.Experiment("e", data=data)
@exp.variant(baseline=True)
def a(info): return nn.Linear(1, 2)
"""
    )
    assert "makes no claims" in _load_error(write_model, source)


def test_bad_dataset_argument_is_reported_at_the_users_line(
    write_model: Callable[[str], Path],
) -> None:
    path = write_model("import auditkit as ak\n\nd = ak.datasets.spr(rule='nope')\n")
    with pytest.raises(DataError) as info:
        load_experiment(path)
    message = str(info.value)
    assert "model.py:3:" in message
    assert "'nope'" in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="no such model file"):
        load_experiment(tmp_path / "absent.py")


def test_sys_exit_in_model_file(write_model: Callable[[str], Path]) -> None:
    assert "called sys.exit(1)" in _load_error(write_model, "import sys\nsys.exit(1)\n")


@pytest.mark.parametrize(
    "source",
    ["def broken(:\n", "x = 1\n", "import auditkit as ak\nak.datasets.spr(rule='nope')\n"],
)
def test_cli_exits_4_without_a_traceback(
    write_model: Callable[[str], Path],
    in_tmp: Path,
    capsys: pytest.CaptureFixture[str],
    source: str,
) -> None:
    path = write_model(source)
    assert main(["check", str(path), "--rules", "quick"]) == 4
    err = capsys.readouterr().err
    assert "error:" in err
    assert "Traceback" not in err


def test_token_weighted_selection_metric_on_images_is_refused(
    write_model: Callable[[str], Path],
) -> None:
    source = """
import auditkit as ak
from torch import nn
exp = ak.Experiment(
    "img",
    data=ak.datasets.shapes(n_train=30, n_dev=6, n_test=6, size=8),
    train=ak.TrainConfig(select_metric="hwa"),
)
@exp.variant(baseline=True)
def a(info): return nn.Linear(1, 2)
@exp.variant
def b(info): return nn.Linear(1, 2)
exp.claim("b", over="a", metric="accuracy")
"""
    with pytest.raises(ModelFileError, match=r"select_metric='hwa'\) weights rows") as info:
        load_experiment(write_model(source))
    assert info.value.slug == "metric-needs-tokens"
