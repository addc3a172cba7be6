"""Script mode's parts: templates, metric read-back, the shim's trace, the project mirror."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from auditkit.errors import UsageError
from auditkit.runfiles import At, read_events, reduce_series
from auditkit.script.readback import parse_printed, read_metrics
from auditkit.script.runner import SHIM_DIR, read_predictions
from auditkit.script.spec import parse_claim
from auditkit.script.template import CommandTemplate, Style
from auditkit.script.trace import parse_trace
from auditkit.script.workdir import copy_files, mirror
from auditkit.types import Direction


def test_template_fills_placeholders_and_appends_settings_in_each_style() -> None:
    t = CommandTemplate.parse("python train.py --arch {arch} --seed {seed}")
    assert t.placeholders() == ("arch", "seed")
    argv = t.render({"arch": "gru", "seed": 3}, [("epochs", 8), ("amp", True)])
    assert argv == ["python", "train.py", "--arch", "gru", "--seed", "3", "--epochs", "8", "--amp"]
    hydra = CommandTemplate.parse("python train.py seed={seed}", style=Style.HYDRA)
    assert hydra.render({"seed": 1}, [("model.kind", "gru"), ("amp", False)]) == [
        "python",
        "train.py",
        "seed=1",
        "model.kind=gru",
        "amp=false",
    ]


def test_template_errors_name_the_placeholder() -> None:
    t = CommandTemplate.parse("python t.py --lr {lr}", origin="a.yaml:2")
    with pytest.raises(UsageError, match=r"a.yaml:2: the placeholder \{lr\} is not defined"):
        t.check_defined(["arch"])
    with pytest.raises(UsageError, match="malformed placeholder"):
        CommandTemplate.parse("python t.py --x {oops")
    with pytest.raises(UsageError, match="cannot split"):
        CommandTemplate.parse("python 't.py")


@pytest.mark.parametrize(
    ("command", "expected", "shown"),
    [
        (
            "python t.py --seed 7 --x 1",
            ["python", "t.py", "--seed", "{seed}", "--x", "1"],
            "--seed 7",
        ),
        ("python t.py --seed=7", ["python", "t.py", "--seed={seed}"], "--seed=7"),
        ("python t.py trainer.seed=7", ["python", "t.py", "trainer.seed={seed}"], "trainer.seed=7"),
        ("python t.py --seeds 7", ["python", "t.py", "--seeds", "7"], ""),
    ],
)
def test_a_literal_seed_argument_becomes_the_seed_placeholder(
    command: str, expected: list[str], shown: str
) -> None:
    template, replaced = CommandTemplate.parse(command).with_seed_placeholder()
    assert list(template.args) == expected and replaced == shown


def test_printed_metrics_last_wins_and_percentages_are_normalised() -> None:
    values, notes = parse_printed(
        "epoch 1 | val_acc: 0.50\nval_acc: 0.61, loss=0.3\nTest Accuracy: 94.20%\nf1 = 7e-1\n"
    )
    assert values["val_acc"] == pytest.approx(0.61)
    assert values["test_accuracy"] == pytest.approx(0.942)
    assert values["f1"] == pytest.approx(0.7) and values["loss"] == pytest.approx(0.3)
    assert notes == {"test_accuracy": "printed as 94.20%, read as 0.942"}


def test_metric_sources_in_order_first_match_wins(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    stdout = "test_acc: 0.5\n"
    found = read_metrics(wanted=["test_acc"], stdout=stdout, out_dir=out)
    assert (found.source, found.values) == ("stdout", {"test_acc": 0.5})
    hf = tmp_path / "outputs" / "all_results.json"
    hf.parent.mkdir()
    hf.write_text(json.dumps({"eval_test_acc": 0.7, "epoch": 3}))
    found = read_metrics(wanted=["test_acc"], stdout=stdout, out_dir=out, written=[hf])
    assert (found.source, found.values) == ("all_results.json", {"test_acc": 0.7})
    csv_file = tmp_path / "logs" / "metrics.csv"
    csv_file.parent.mkdir()
    csv_file.write_text("epoch,step,test_acc,val_loss\n0,10,,0.5\n1,20,0.65,\n")
    found = read_metrics(wanted=["test_acc"], stdout="", out_dir=out, written=[csv_file])
    assert (found.source, found.values) == ("Lightning metrics.csv", {"test_acc": 0.65})
    (out / "metrics.json").write_text(json.dumps({"test": {"acc": 0.8}}))
    found = read_metrics(wanted=["test_acc"], stdout=stdout, out_dir=out, written=[hf])
    assert (found.source, found.values) == ("metrics.json", {"test_acc": 0.8})
    missing = read_metrics(wanted=["f1"], stdout="nothing here", out_dir=out, written=[hf])
    assert missing.source == "" and "metrics.json: holds test/acc" in missing.tried
    assert missing.tried[-1] == "stdout: no `name: value` lines"


def _record(payload: bytes) -> bytes:
    # TFRecord framing: length, its CRC, the payload, its CRC (the reader skips CRCs)
    return struct.pack("<Q", len(payload)) + b"\0" * 4 + payload + b"\0" * 4


def _field(number: int, payload: bytes) -> bytes:
    return bytes([number << 3 | 2, len(payload)]) + payload


def test_tensorboard_scalars_are_read_without_tensorboard(tmp_path: Path) -> None:
    def event(tag: str, value: float) -> bytes:
        item = _field(1, tag.encode()) + bytes([2 << 3 | 5]) + struct.pack("<f", value)
        return _field(5, _field(1, item))

    path = tmp_path / "events.out.tfevents.1.host"
    path.write_bytes(_record(b"\x09" + b"\0" * 8) + _record(event("test/acc", 0.5))
                     + _record(event("test/acc", 0.75)))  # fmt: skip
    assert reduce_series(read_events([path]).scalars, At.LAST) == {"test/acc": 0.75}


def test_tensorboard_file_of_torch_summary_writer(tmp_path: Path) -> None:
    pytest.importorskip("tensorboard", reason="torch's SummaryWriter needs tensorboard")
    from torch.utils.tensorboard import SummaryWriter

    writer = SummaryWriter(str(tmp_path))
    for step, value in enumerate((0.4, 0.6, 0.9)):
        writer.add_scalar("test/acc", value, step)
    writer.close()
    (path,) = tmp_path.glob("events.out.tfevents*")
    steps, values = zip(*read_events([path]).scalars["test/acc"], strict=True)
    assert steps == (0, 1, 2) and values == pytest.approx((0.4, 0.6, 0.9))


def test_claims_in_words() -> None:
    claim = parse_claim("relational > gru on test_acc, reported +2.1 points", "a.yaml:9")
    assert (claim.variant, claim.baseline, claim.metric) == ("relational", "gru", "test_acc")
    assert claim.reported == pytest.approx(0.021)
    lower = parse_claim("big < small on loss, reported 0.05", "x")
    assert lower.direction is Direction.DECREASE and lower.reported == pytest.approx(0.05)
    with pytest.raises(UsageError, match=r"a\.yaml:9: claim 'gru is best'"):
        parse_claim("gru is best", "a.yaml:9")


def test_shim_seeds_records_seed_calls_and_files(tmp_path: Path) -> None:
    script = tmp_path / "s.py"
    script.write_text(
        "import os, random\n"
        "a = random.random()\n"
        "random.seed(42)\n"
        "os.path.exists('nope/train.csv')\n"
        "open('data.txt').read()\n"
        "open('out.txt', 'w').write('x')\n"
        "print(a)\n"
    )
    (tmp_path / "data.txt").write_text("hello")

    def run(seed: int, reseed: bool) -> tuple[str, Path]:
        trace = tmp_path / f"trace-{seed}-{reseed}.jsonl"
        trace.unlink(missing_ok=True)  # the shim appends
        env = {
            **os.environ,
            "PYTHONPATH": str(SHIM_DIR),
            "AUDITKIT_TRACE": str(trace),
            "AUDITKIT_SEED": str(seed),
            "AUDITKIT_RESEED": "1" if reseed else "0",
        }
        out = subprocess.run(
            [sys.executable, "s.py"], cwd=tmp_path, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        return out.stdout, trace

    first, trace = run(3, False)
    assert first == run(3, False)[0] != run(4, False)[0]
    parsed = parse_trace(trace, roots=(tmp_path,))
    (call,) = parsed.seed_calls
    assert (call.function, call.value, call.applied, call.where) == (
        "random.seed",
        "42",
        "42",
        "s.py:3",
    )
    assert "random" in parsed.seeded and parsed.processes == 1
    files = {(f.path, f.mode): f for f in parsed.files}
    assert files[("data.txt", "read")].size == 5 and files[("data.txt", "read")].exists
    assert files[("out.txt", "write")].sha256 is not None
    assert parsed.missing == ("nope/train.csv",)
    _, reseeded = run(3, True)
    (call,) = parse_trace(reseeded, roots=(tmp_path,)).seed_calls
    assert call.applied == "45"


def test_the_shim_is_inert_outside_script_runs() -> None:
    env = {**os.environ, "PYTHONPATH": str(SHIM_DIR)}
    env.pop("AUDITKIT_TRACE", None)
    out = subprocess.run(
        [sys.executable, "-c", "import random; print(random.seed.__module__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "random"


def test_mirror_links_code_and_copies_declared_data(tmp_path: Path) -> None:
    project = tmp_path / "p"
    (project / "src").mkdir(parents=True)
    (project / "data").mkdir()
    (project / ".auditkit").mkdir()
    (project / "src" / "model.py").write_text("x = 1\n")
    (project / "train.py").write_text("print(1)\n")
    (project / "data" / "train.csv").write_text("id,label\n1,a\n")
    (project / "data" / "notes.txt").write_text("n")
    work = tmp_path / "work"
    mirror(project, work, exclude=["data/train.csv"])
    copy_files(project, work, ["data/train.csv"])
    assert (work / "src" / "model.py").stat().st_ino == (project / "src" / "model.py").stat().st_ino
    assert not (work / ".auditkit").exists()
    # a small file the script might rewrite is a copy of its own
    assert (work / "data" / "notes.txt").stat().st_ino != (
        project / "data" / "notes.txt"
    ).stat().st_ino
    copied = work / "data" / "train.csv"
    assert copied.read_text() == "id,label\n1,a\n"
    assert copied.stat().st_ino != (project / "data" / "train.csv").stat().st_ino
    copied.write_text("changed")
    assert (project / "data" / "train.csv").read_text() == "id,label\n1,a\n"


def test_predictions_are_read_as_integers(tmp_path: Path) -> None:
    path = tmp_path / "predictions.csv"
    path.write_text("id,label,prediction\n1,0,1\n2,1,1\n")
    assert read_predictions(path) == ((1, 1), 2)
    path.write_text("id,label,prediction\n1,cat,dog\n2,dog,dog\n3,ant,cat\n")
    assert read_predictions(path) == ((2, 2, 1), 3)
    assert read_predictions(tmp_path / "none.csv") == ((), None)


def test_test_time_evaluations_become_runs_whose_metrics_fold_into_the_nominal_ones() -> None:
    from auditkit.script.plan import EVALUATION_PREFIX, evaluation_runs, fold_evaluations
    from auditkit.types import RunResult, RunSpec

    nominal = RunSpec(variant="gru", init_seed=1, order_seed=1)
    runs, dropped = evaluation_runs([nominal], ["shuffle", "no_such_perturbation"])
    assert dropped == ["no_such_perturbation"]
    (run,) = runs
    assert str(run.condition) == f"{EVALUATION_PREFIX}shuffle" and run.init_seed == 1
    assert run.transform and "shuffle" in str(run.transform)

    def result(spec: RunSpec, acc: float) -> RunResult:
        return RunResult(
            spec=spec,
            test_metrics={"test_acc": acc},
            dev_metrics={},
            curves=(),
            best_epoch=None,
            test_predictions=(),
            duration_s=1.0,
            device="script",
        )

    folded = fold_evaluations({nominal: result(nominal, 0.9), run: result(run, 0.6)})
    assert folded[nominal].perturbed_metrics == {"shuffle": {"test_acc": 0.6}}
    assert folded[run].perturbed_metrics == {}


def test_dev_probes_read_the_scripts_dev_metric_or_yield_nothing() -> None:
    from auditkit.script.plan import EVALUATION_PREFIX, dev_twin, evaluation_runs, fold_evaluations
    from auditkit.types import RunResult, RunSpec

    assert dev_twin("test_acc", ["test_acc", "val_acc"]) == "val_acc"
    assert dev_twin("Test Accuracy", ["Dev Accuracy"]) == "Dev Accuracy"
    assert dev_twin("acc", ["dev_acc"]) is None  # which split "acc" is on is unknown
    assert dev_twin("contest_acc", ["condev_acc"]) is None

    nominal = RunSpec(variant="gru", init_seed=1, order_seed=1)
    probes = ["permute_color", "permute_color@dev"]
    runs, dropped = evaluation_runs([nominal], probes, dev=False)
    assert dropped == ["permute_color@dev"] and len(runs) == 1
    test_run, dev_run = evaluation_runs([nominal], probes)[0]
    assert str(dev_run.condition) == f"{EVALUATION_PREFIX}permute_color@dev"
    assert str(dev_run.transform) == "file:permute_color_test:split=dev:seed=0"

    def result(spec: RunSpec, metrics: dict[str, float | None]) -> RunResult:
        return RunResult(
            spec=spec,
            test_metrics=metrics,
            dev_metrics={},
            curves=(),
            best_epoch=None,
            test_predictions=(1, 0),
            duration_s=1.0,
            device="script",
        )

    folded = fold_evaluations(
        {
            nominal: result(nominal, {"test_acc": 0.9, "dev_acc": 0.95}),
            test_run: result(test_run, {"test_acc": 0.7, "dev_acc": 0.95}),
            dev_run: result(dev_run, {"test_acc": 0.9, "dev_acc": 0.6}),
        }
    )[nominal]
    assert folded.perturbed_metrics == {
        "permute_color": {"test_acc": 0.7, "dev_acc": 0.95},
        "permute_color@dev": {"test_acc": 0.6},
    }
    assert folded.dev_metrics == {"test_acc": 0.95}
    # the dev run's predictions are of test rows: not the dev probe's
    assert set(folded.perturbed_predictions) == {"permute_color"}
    # a script without a dev metric: the dev probe yields nothing, nothing else changes
    bare = fold_evaluations(
        {nominal: result(nominal, {"test_acc": 0.9}), dev_run: result(dev_run, {"test_acc": 0.9})}
    )[nominal]
    assert bare.perturbed_metrics == {} and bare.dev_metrics == {}
    # the dev twin is the nominal run's dev score whatever rules ran
    alone = fold_evaluations({nominal: result(nominal, {"test_acc": 0.9, "val_acc": 0.8})})
    assert alone[nominal].dev_metrics == {"test_acc": 0.8}


def test_zero_set_up_keeps_literal_braces_and_fills_only_its_own_placeholders(
    tmp_path: Path,
) -> None:
    from auditkit.script.spec import from_command

    (tmp_path / "train.py").write_text("print('acc: 1')\n")
    spec = from_command(
        ["python", "train.py", "--cfg", '{"lr": 1}', "--out", "{run_dir}/m", "--seed", "3"],
        project=tmp_path,
    )
    argv = spec.template.render({"seed": 5, "run_dir": "/r", "data_dir": "/d"})
    assert argv[2:] == ["--cfg", '{"lr": 1}', "--out", "/r/m", "--seed", "5"]
    assert spec.seed_argument == "--seed 3"


# -- what keys stored script runs ---------------------------------------------------------

AUDIT_YAML = """\
name: keys
command: python train.py
variants:
  base: "--arm base"
  new: "--arm new"
metrics: [acc]
claims:
  - new > base on acc
"""


def test_where_an_audit_file_is_named_or_declares_a_variant_does_not_key_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from auditkit.script.spec import load_audit_file

    (tmp_path / "train.py").write_text("print('acc: 0.5')\n", encoding="utf-8")
    (tmp_path / "audit.yaml").write_text(AUDIT_YAML, encoding="utf-8")
    (tmp_path / "moved.yaml").write_text("# a comment moves every line\n" + AUDIT_YAML)
    monkeypatch.chdir(tmp_path)
    relative = load_audit_file("audit.yaml")
    absolute = load_audit_file(str(tmp_path / "audit.yaml"))
    moved = load_audit_file("moved.yaml")
    assert relative.variants[1].origin != absolute.variants[1].origin != moved.variants[1].origin
    assert relative.fingerprint() == absolute.fingerprint() == moved.fingerprint()
    changed = AUDIT_YAML.replace("--arm new", "--arm newer")
    (tmp_path / "changed.yaml").write_text(changed, encoding="utf-8")
    assert load_audit_file("changed.yaml").fingerprint() != relative.fingerprint()


def test_code_digest_skips_report_folders_and_the_audit_file(tmp_path: Path) -> None:
    from auditkit.script.record import code_digest

    (tmp_path / "train.py").write_text("print('acc: 0.5')\n", encoding="utf-8")
    (tmp_path / "audit.yaml").write_text(AUDIT_YAML, encoding="utf-8")
    before = code_digest(tmp_path, ignore=[tmp_path / "audit.yaml"])
    # an earlier audit's report folder inside the project
    report = tmp_path / "report"
    report.mkdir()
    (report / "audit.json").write_text('{"format": 2, "auditkit_version": "0.1.0"}')
    # the audit file gains a claim: what it declares keys runs through the spec instead
    (tmp_path / "audit.yaml").write_text(AUDIT_YAML + "  - base > new on acc\n")
    assert code_digest(tmp_path, ignore=[tmp_path / "audit.yaml"]) == before
    # a code change, or a JSON config the script may read, still keys them
    (tmp_path / "conf.json").write_text('{"lr": 0.1}', encoding="utf-8")
    with_config = code_digest(tmp_path, ignore=[tmp_path / "audit.yaml"])
    assert with_config != before
    # another program's audit.json is no report: a config, maybe
    (report / "audit.json").write_text('{"format": 2, "checks": []}', encoding="utf-8")
    assert code_digest(tmp_path, ignore=[tmp_path / "audit.yaml"]) != with_config
