"""Script mode end to end: real scripts run as real subprocesses, audited and reported."""

from __future__ import annotations

import json
import random
import shutil
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from auditkit.cli import main
from tests.conftest import REPO, reliance_rows

pytestmark = pytest.mark.slow

EXAMPLES = REPO / "examples" / "scripts"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of examples/scripts as the working directory (``.auditkit/`` lands there)."""
    folder = tmp_path / "project"
    shutil.copytree(EXAMPLES, folder, ignore=shutil.ignore_patterns(".auditkit", "outputs"))
    monkeypatch.chdir(folder)
    yield folder


def _doc(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "audit.json").read_text(encoding="utf-8")))


def _rule(doc: dict[str, Any], rule_id: str) -> dict[str, Any]:
    return next(r for r in doc["rules"] if r["id"] == rule_id)


def _write(folder: Path, name: str, source: str) -> None:
    (folder / name).write_text(textwrap.dedent(source), encoding="utf-8")


def test_zero_set_up_audit_of_a_print_only_script(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", "--seeds", "3", "--out", "out", "--", "python", "print_only.py"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "AK104" in out and "script-seeds" in out
    doc = _doc(project / "out")
    nominal = [r for r in doc["runs"] if r["spec"]["condition"] == "nominal"]
    assert len(nominal) == 3 and all(r["error"] is None for r in nominal)
    scores = [r["test_metrics"]["test_accuracy"] for r in nominal]
    # printed as "Test Accuracy: 60.50%": read as a fraction, and the report says so
    assert all(0.3 < s < 1.0 for s in scores)
    assert len(set(scores)) > 1, "the shim's seeds must reach the script's random.sample"
    prov = doc["provenance"]
    assert "printed as" in prov["metric notes"] and "stdout" in prov["metrics read from"]
    assert "data/SPR_BENCH/train.csv" in prov["files read"]
    assert "data/SPR_BENCH/test.csv" in prov["files read"]
    assert _rule(doc, "AK104")["outcome"] == "pass"
    assert _rule(doc, "AK103")["outcome"] == "pass"
    assert _rule(doc, "AK102")["outcome"] == "skipped"
    # the files the run read became the audit's data, so data rules ran on them
    assert "data/SPR_BENCH/train.csv" in doc["experiment"]["data"]["name"]
    assert _rule(doc, "AK203")["outcome"] != "skipped"
    trace = nominal[0]["trace"]
    assert trace["argv"][0] == sys.executable and trace["env"]["AUDITKIT_SEED"] == "0"
    assert (project / "out" / "report.html").exists()
    # same seeds, same machine: same metrics, run again without the store
    assert main(["check", "--seeds", "3", "--only", "AK104", "--no-cache", "--out", "again",
                 "-q", "--", "python", "print_only.py"]) == 0  # fmt: skip
    again = [r["test_metrics"] for r in _doc(project / "again")["runs"]]
    assert again == [r["test_metrics"] for r in nominal]


SETTINGS_AND_METRICS = """\
    import random
    print("epochs: 2")
    print("lr: 0.01")
    print(f"steps: {100 + random.randrange(50)}")
    print(f"val_acc: {0.5 + random.random() / 10:.6f}")
"""


def test_zero_set_up_audits_what_varies_or_reads_as_a_metric_and_shows_its_spread(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(project, "settings.py", SETTINGS_AND_METRICS)
    code = main(["check", "--seeds", "3", "--only", "AK104", "--out", "o", "--",
                 "python", "settings.py"])  # fmt: skip
    out = " ".join(capsys.readouterr().out.split())
    assert code == 0, out
    doc = _doc(project / "o")
    # epochs and lr are the same in every run and do not read as metrics: settings
    assert doc["experiment"]["metrics"] == ["steps", "val_acc"]
    nominal = [r["test_metrics"] for r in doc["runs"] if r["spec"]["condition"] == "nominal"]
    assert all(set(m) == {"epochs", "lr", "steps", "val_acc"} for m in nominal)
    (acc,) = [r for r in doc["experiment"]["script"]["seed spread"] if r["metric"] == "val_acc"]
    values = [m["val_acc"] for m in nominal]
    assert acc["n"] == 3 and acc["low"] == min(values) and acc["high"] == max(values)
    # no claim: the terminal shows the seed spread, not an empty claims table
    assert "No claim was declared, so no verdict: the metrics' spread over seeds" in out
    assert "p (Holm)" not in out
    assert f"val_acc {acc['mean']:.4g} {acc['sd']:.3g} {min(values):.4g} to" in out


HARD_CODED = """\
    import random
    random.seed(1234)
    print(f"acc: {0.5 + random.random() / 10:.6f}")
"""


def test_a_hard_coded_seed_is_named_with_its_line_and_reseed_makes_it_auditable(
    project: Path,
) -> None:
    _write(project, "fixed.py", HARD_CODED)
    args = ["check", "--seeds", "3", "--only", "AK103", "--only", "AK104", "-q"]
    assert main([*args, "--out", "fixed", "--", "python", "fixed.py"]) == 0
    doc = _doc(project / "fixed")
    ak104 = _rule(doc, "AK104")
    assert ak104["outcome"] == "fail"
    assert "random.seed(1234) at fixed.py:2" in ak104["reason"]
    assert _rule(doc, "AK103")["outcome"] == "fail"
    assert "bit-identical" in _rule(doc, "AK103")["reason"]

    assert main([*args, "--reseed", "--out", "reseeded", "--", "python", "fixed.py"]) == 0
    doc = _doc(project / "reseeded")
    assert _rule(doc, "AK104")["outcome"] == "warn"
    assert "--reseed" in _rule(doc, "AK104")["reason"]
    assert _rule(doc, "AK103")["outcome"] == "pass"
    assert "--reseed" in doc["provenance"]["seed routes"]
    calls = doc["runs"][1]["trace"]["seed_calls"]
    assert calls[0]["value"] == "1234" and calls[0]["applied"] == str(1234 + 1)


def test_a_literal_seed_argument_becomes_the_runs_seed(project: Path) -> None:
    _write(
        project,
        "takes_seed.py",
        """\
        import argparse, random
        p = argparse.ArgumentParser()
        p.add_argument("--seed", type=int)
        random.seed(p.parse_args().seed)
        print(f"acc: {random.random():.6f}")
        """,
    )
    assert main(["check", "--seeds", "2", "--only", "AK104", "-q", "--out", "o", "--",
                 "python", "takes_seed.py", "--seed", "7"]) == 0  # fmt: skip
    doc = _doc(project / "o")
    assert [r["trace"]["argv"][-1] for r in doc["runs"]] == ["0", "1"]
    assert _rule(doc, "AK104")["outcome"] == "pass"
    assert "--seed 7" in doc["provenance"]["seed routes"]


def test_declared_hydra_audit_gives_claims_verdicts(project: Path) -> None:
    code = main(["check", "audit_hydra.yaml", "--seeds", "2", "--only", "AK101",
                 "--only", "AK104", "--out", "hydra", "-q"])  # fmt: skip
    doc = _doc(project / "hydra")
    assert code in (0, 1)
    (claim,) = doc["claims"]
    assert claim["label"] == "pairs > unigrams on test_acc"
    assert claim["verdict"] in ("supported", "fragile", "inconclusive", "refuted")
    assert doc["summary"]["runs"] == {"total": 4, "failed": 0, "cached": 0}
    argv = {r["spec"]["variant"]: r["trace"]["argv"] for r in doc["runs"]}
    assert "model.features=pairs" in argv["pairs"] and "seed=1" in " ".join(argv["pairs"])
    assert doc["experiment"]["source"] == "script"


def test_declared_torch_audit_with_predictions(project: Path) -> None:
    audit = (project / "audit_torch.yaml").read_text().replace("epochs: 4", "epochs: 1")
    (project / "audit_torch.yaml").write_text(audit)
    code = main(["check", "audit_torch.yaml", "--seeds", "2", "--only", "AK101",
                 "--out", "torch", "-q", "--jobs", "2"])  # fmt: skip
    doc = _doc(project / "torch")
    assert code in (0, 1)
    assert doc["summary"]["runs"]["failed"] == 0
    assert doc["claims"][0]["reported"] == pytest.approx(0.03)
    assert all(r["trace"]["predictions"] == 200 for r in doc["runs"])
    assert doc["confusion"]["gru"]["runs"] == 2
    assert sum(map(sum, doc["confusion"]["gru"]["matrix"])) == 400
    assert "--epochs" in doc["runs"][0]["trace"]["argv"]


FLAKY = """\
    import os, sys, time
    seed = int(os.environ["AUDITKIT_SEED"])
    print("training...")
    if seed == 1:
        sys.exit(3)
    if seed == 2:
        time.sleep(60)
    if seed == 3:
        print("loss: nan")
        print("acc: nan")
        sys.exit(0)
    print(f"acc: {0.7 + seed / 100}")
"""


def test_failed_runs_are_recorded_with_their_output_and_the_audit_goes_on(
    project: Path,
) -> None:
    _write(project, "flaky.py", FLAKY)
    assert main(["check", "--seeds", "5", "--only", "AK104", "--run-timeout", "3", "-q",
                 "--out", "flaky", "--", "python", "flaky.py"]) == 0  # fmt: skip
    doc = _doc(project / "flaky")
    errors = {r["spec"]["init_seed"]: r["error"] for r in doc["runs"]}
    assert errors[0] is None and errors[4] is None
    assert errors[1].startswith("ScriptError: exit code 3") and "training..." in errors[1]
    assert errors[2].startswith("TimeoutError")
    assert errors[3].startswith("NaN")
    assert doc["summary"]["runs"]["failed"] == 3


def test_a_script_that_never_reports_a_metric_exits_4_saying_what_was_tried(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(project, "silent.py", "try:\n    1 / 0\nexcept ZeroDivisionError:\n    print('oops')\n")
    code = main(["check", "--seeds", "2", "-q", "--", "python", "silent.py"])
    err = capsys.readouterr().err
    assert code == 4
    assert "no run reported the metrics" in err and "Tried: metrics.json" in err
    assert "oops" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "audit", "words"),
    [
        (["--", "no-such-program-xyz", "train.py"], None, ["'no-such-program-xyz' is not found"]),
        (["--", "python", "missing.py"], None, ["the script 'missing.py' does not exist"]),
        (["--device", "cpu", "--", "python", "print_only.py"], None, ["--device apply to model"]),
        (
            ["a.yaml"],
            "command: python print_only.py --arch {arch}\nvariants: {x: '--y 1'}\n",
            ["a.yaml:1", "{arch} is not defined"],
        ),
        (
            ["a.yaml"],
            "command: python print_only.py\nvariants: {x: ''}\ndata: {train: nope/train.csv}\n",
            ["a.yaml:3", "'nope/train.csv'", "does not exist"],
        ),
        (
            ["a.yaml"],
            "command: python print_only.py\nvariant: {x: ''}\n",
            ["a.yaml:2", "unknown key 'variant'", "did you mean 'variants'"],
        ),
        (
            ["a.yaml"],
            "command: python print_only.py\nvariants: {a: '', b: ''}\nclaims: [c > a on acc]\n",
            ["a.yaml:3", "variant 'c'"],
        ),
    ],
)
def test_bad_script_input_exits_4_naming_it(
    project: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    audit: str | None,
    words: list[str],
) -> None:
    if audit is not None:
        (project / "a.yaml").write_text(audit)
    code = main(["check", "-q", *args])
    err = capsys.readouterr().err
    assert code == 4, err
    for word in words:
        assert word.lower() in err.lower(), (word, err)
    assert "Traceback" not in err


def test_declared_audit_of_the_print_only_script(project: Path) -> None:
    code = main(["check", "audit_print.yaml", "--seeds", "2", "--only", "AK104",
                 "--only", "AK207", "--out", "printed", "-q"])  # fmt: skip
    assert code == 0
    doc = _doc(project / "printed")
    assert doc["experiment"]["script"]["declared"] is True
    assert doc["experiment"]["script"]["data files"]["test"] == "data/SPR_BENCH/test.csv"
    assert _rule(doc, "AK207")["outcome"] == "pass"
    # the runs read the declared files (their copies in each run's mirror of the project)
    for run in doc["runs"]:
        read = {f["path"] for f in run["trace"]["files"] if f["mode"] == "read"}
        assert "data/SPR_BENCH/train.csv" in read


def test_an_audit_file_declares_its_data_for_the_provenance_rule(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = (project / "audit_print.yaml").read_text(encoding="utf-8")
    args = ["--seeds", "2", "--only", "AK204", "-q"]
    # nothing declared: skipped, and the advice is the audit file's key, not a model file's
    assert main(["check", "audit_print.yaml", *args, "--out", "none"]) == 0
    reason = _rule(_doc(project / "none"), "AK204")["reason"]
    assert "expect_data: {source: ...} to the audit file" in reason
    assert "Experiment(" not in reason
    (project / "good.yaml").write_text(base + "expect_data: {source: SPR_BENCH}\n")
    assert main(["check", "good.yaml", *args, "--out", "good"]) == 0
    assert _rule(_doc(project / "good"), "AK204")["outcome"] == "pass"
    (project / "other.yaml").write_text(base + "expect_data: {source: CIFAR-10}\n")
    main(["check", "other.yaml", *args, "--out", "other"])  # no claim to fail: exit 0
    failed = _rule(_doc(project / "other"), "AK204")
    assert failed["outcome"] == "fail" and "CIFAR-10" in failed["reason"]
    capsys.readouterr()
    (project / "bad.yaml").write_text(base + "expect_data: {sorce: SPR_BENCH}\n")
    assert main(["check", "bad.yaml", *args, "--out", "bad"]) == 4
    err = capsys.readouterr().err
    assert "bad.yaml:10: expect_data has unknown key 'sorce'" in err and "source" in err


def test_the_batch_size_rule_reaches_a_script_through_its_placeholder(project: Path) -> None:
    _write(
        project,
        "batches.py",
        """\
        import argparse, random
        p = argparse.ArgumentParser()
        p.add_argument("--arch")
        p.add_argument("--batch-size", type=int)
        a = p.parse_args()
        print(f"acc: {0.7 + random.random() / 100 - a.batch_size / 10000:.6f}")
        """,
    )
    (project / "b.yaml").write_text(
        "command: python batches.py --arch {arch} --batch-size {batch_size}\n"
        "settings: {batch_size: 32}\n"
        "variants: {small: {arch: s}, big: {arch: b}}\n"
        "claims: [big > small on acc]\n"
    )
    assert main(["check", "b.yaml", "--seeds", "2", "--only", "AK401", "-q", "--out", "b"]) in (
        0,
        1,
    )
    doc = _doc(project / "b")
    sizes = {r["trace"]["argv"][r["trace"]["argv"].index("--batch-size") + 1] for r in doc["runs"]}
    assert "32" in sizes and len(sizes) >= 3
    assert _rule(doc, "AK401")["outcome"] != "skipped"


def test_data_in_a_folder_linked_into_the_project_is_found_and_copied(
    project: Path, tmp_path: Path
) -> None:
    # the usual set-up: SPR_BENCH lives elsewhere and the project links to it
    outside = tmp_path / "shared" / "data"
    shutil.move(str(project / "data"), outside)
    (project / "data").symlink_to(outside, target_is_directory=True)
    assert main(["check", "--seeds", "2", "--only", "AK207", "--only", "AK206", "-q",
                 "--out", "linked", "--", "python", "print_only.py"]) == 0  # fmt: skip
    doc = _doc(project / "linked")
    assert "data/SPR_BENCH/train.csv" in doc["experiment"]["data"]["name"]
    assert _rule(doc, "AK207")["outcome"] == "pass"
    perturbed = [r for r in doc["runs"] if r["spec"]["transform"]]
    assert perturbed and all(r["error"] is None for r in perturbed)
    # the perturbed runs wrote their copies in their own folders, never through the link
    assert len(list(outside.rglob("*.csv"))) == 3


COLOUR_READER = """\
    import csv, random
    from collections import Counter

    def read(name):
        with open(f"data/{name}.csv", encoding="utf-8") as handle:
            return [(row["sequence"].split(), row["label"]) for row in csv.DictReader(handle)]

    # learns the label of each first-token colour from train: it reads colour alone
    votes = {}
    for tokens, label in random.sample(read("train"), 300):
        votes.setdefault(tokens[0][1:], Counter())[label] += 1
    rule = {c: v.most_common(1)[0][0] for c, v in votes.items()}

    def accuracy(rows):
        right = sum(rule.get(t[0][1:], "0") == y or random.random() < 0.04 for t, y in rows)
        return right / len(rows)

    print(f"dev_acc: {accuracy(read('dev')):.4f}")
    print(f"test_acc: {accuracy(read('test')):.4f}")
"""


def _colour_cue_rows(n: int, seed: int) -> list[str]:
    """Rows whose label is the first shape (▲ or not), with a colour that always agrees."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        label = i % 2
        first = ("▲" if label else rng.choice("■●◆")) + ("r" if label else rng.choice("gby"))
        rest = [rng.choice("▲■●◆") + rng.choice("rgby") for _ in range(rng.randrange(2, 6))]
        rows.append(f"{i},{' '.join([first, *rest])},{label}")
    return rows


def test_ak302_finds_colour_reliance_of_a_script_through_the_permuted_colour_probe(
    project: Path,
) -> None:
    for split, n, seed in (("train", 400, 1), ("dev", 120, 2), ("test", 160, 3)):
        path = project / "data" / f"{split}.csv"
        path.write_text("\n".join(["id,sequence,label", *_colour_cue_rows(n, seed)]) + "\n")
    _write(project, "colour.py", COLOUR_READER)
    code = main(["check", "--seeds", "3", "--only", "AK302", "--out", "colour", "-q", "--",
                 "python", "colour.py"])  # fmt: skip
    doc = _doc(project / "colour")
    assert code in (0, 1)
    assert doc["summary"]["runs"]["failed"] == 0
    conditions = {r["spec"]["condition"] for r in doc["runs"]}
    # the in-distribution probes and their dev twins ran as scripts on perturbed files
    assert {"test-time:permute_color", "test-time:permute_color@dev"} <= conditions
    assert {"test-time:permute_shape", "test-time:mask_color"} <= conditions
    rule = _rule(doc, "AK302")
    assert rule["outcome"] != "skipped", rule
    rows = {r["factor"]: r for r in reliance_rows(doc, "AK302") if r["variant"] == "colour"}
    permuted = rows["color (permuted)"]
    # permuting the first colours across rows leaves about half the rows right: a drop
    # near 0.45 on test and on dev; the shape probe leaves the colour reader untouched
    assert permuted["drop_mean"] > 0.25 and permuted["low"] > 0.1
    assert permuted["dev_drop_mean"] > 0.25
    assert abs(rows["shape (permuted)"]["drop_mean"]) < 0.05
    assert rows["color"]["drop_mean"] > 0.25  # the mask, reported as its own probe
    # the data says nothing of its labelling rule, so the reliance is measured, not judged
    assert rule["outcome"] == "pass" and "no reliance is judged a shortcut" in rule["reason"]
