"""The view model and the views built from it: wording, old documents, figures, LaTeX, terminal."""

from __future__ import annotations

import io
import re

import pytest

from auditkit.checks.reliance import reliance_exhibits
from auditkit.exhibits import exhibit_to_json
from auditkit.report import plots
from auditkit.report.exhibit_view import TableView
from auditkit.report.html import render_html
from auditkit.report.latex import latex_escape, render_latex
from auditkit.report.terminal import THEME, make_console, render_terminal, summary_style
from auditkit.report.view import build_view, condition_words, duration, summary_line
from tests.gold.fixtures import load_full, old_format


@pytest.fixture(scope="module")
def full() -> dict:
    return load_full()


def test_summary_line_has_pytests_shape() -> None:
    verdicts = {"supported": 2, "fragile": 1, "inconclusive": 1, "refuted": 0}
    assert summary_line(verdicts, 192.4) == "2 supported, 1 fragile, 1 inconclusive in 3m12s"
    assert summary_line({}, 0.4) == "no claims in 0.4s"
    assert duration(3725) == "1h02m05s"


def test_condition_words() -> None:
    assert condition_words("batch_size=512") == "batch size 512"
    assert condition_words("shuffle_test") == "shuffle test"


def test_every_negative_result_says_what_was_found_in_words(full: dict) -> None:
    view = build_view(full)
    by_verdict = {c.verdict: c for c in view.claims}
    assert set(by_verdict) == {"supported", "fragile", "inconclusive", "refuted"}
    fragile = by_verdict["fragile"]
    assert fragile.findings[0] == (
        "The gain reverses at batch size 512 (-1.20 pts, 95% CI -2.00 to -0.40)."
    )
    assert fragile.headline == fragile.findings[0]
    inconclusive = by_verdict["inconclusive"]
    assert inconclusive.findings[0] == "3 seeds cannot detect a 5.0-point gain; about 4 are needed."
    assert any(f.startswith("The tests disagree: paired t-test") for f in inconclusive.findings)
    refuted = by_verdict["refuted"]
    # its reported +1.00 pts lies above the measured interval: said first, plainly
    assert refuted.findings[0].startswith("The reported gain (+1.00 pts) is not reproduced")
    assert refuted.findings[1].startswith("The variant is no better than the baseline")
    assert by_verdict["supported"].headline == ""
    assert by_verdict["supported"].findings == ("The gain holds under all 3 perturbations tested.",)


@pytest.mark.parametrize("verdict", ["inconclusive", "fragile"])
def test_the_power_sentence_appears_only_when_more_seeds_are_needed_than_ran(
    full: dict, verdict: str
) -> None:
    index = next(i for i, c in enumerate(full["claims"]) if c["verdict"] == verdict)
    claim = full["claims"][index]
    ran = len(claim["seeds"])

    def power_sentences(needed: int) -> list[str]:
        claim["seeds_needed"] = needed
        findings = build_view(full).claims[index].findings
        return [f for f in findings if "seeds cannot detect" in f or "would be needed" in f]

    assert len(power_sentences(ran + 1)) == 1
    # "10 seeds cannot detect a 3.1-point gain; about 3 are needed" contradicts itself
    assert power_sentences(ran) == []
    assert power_sentences(max(ran - 1, 2)) == []


def test_a_small_sample_note_becomes_a_sentence(full: dict) -> None:
    full["claims"][2]["small_sample_note"] = "with 3 seeds the exact tests cannot decide"
    view = build_view(full)
    assert "With 3 seeds the exact tests cannot decide." in view.claims[2].findings


def test_an_old_audit_json_renders_without_the_new_sections(full: dict) -> None:
    old = old_format(full)
    view = build_view(old)
    assert view.heatmap is None and view.agreement is None
    assert view.confusion == () and view.exhibits == ()
    assert all(c.conditions == () and c.agreement == () for c in view.claims)
    # a negative result still says something: the verdict layer's reason
    assert view.claims[1].headline == old["claims"][1]["reason"]
    html = render_html(view)
    for section in ('id="perturbations"', 'id="agreement"', 'id="confusion"', 'class="exhibits"'):
        assert section not in html
    assert 'id="methods"' in html and 'id="provenance"' in html


def test_missing_estimates_render_as_n_a(full: dict) -> None:
    # every run of a condition failed, a claim has no estimate, a reliance cell is empty
    full["claims"][1]["conditions"][0].update(mean=None, low=None, high=None)
    full["claims"][3].update(gain=None, verdict="refuted")
    _rule(full, "AK302")["exhibits"][1]["rows"][0][2] = None
    view = build_view(full)
    assert view.claims[1].conditions[1].gain == "n/a"
    assert [p.label for p in view.claims[1].plot.conditions] == [
        "nominal",
        "batch size 512",
        "shuffle test",
    ]
    assert view.claims[3].gain == "n/a" and view.claims[3].plot.conditions[0].label != "nominal"
    (reliance,) = [s for s in view.exhibits if s.rule == "AK302"]
    assert reliance.items[1].rows[0][2] == "n/a"  # type: ignore[union-attr]
    assert "n/a" in render_html(view)


def test_the_full_document_renders_every_section(full: dict) -> None:
    html = render_html(build_view(full))
    for section in (
        'id="verdicts"',
        'id="perturbations"',
        'id="agreement"',
        'id="claim-1"',
        'id="confusion"',
        'id="exhibits-ak201"',
        'id="exhibits-ak301"',
        'id="exhibits-ak302"',
        'id="exhibits-ak401"',
        'id="rules"',
        'id="methods"',
        'id="provenance"',
    ):
        assert section in html
    # per claim: scores strip plot, forest plot, agreement table; plus curves and the two
    # reliance plots (order, shape and colour)
    assert html.count('class="figure" role="img"') == 2 * 4 + 3
    assert "http://" not in html.replace("http://www.w3.org/", "")
    assert not re.search(r"<(script|link|img|iframe)\b", html)
    assert "<style>\n/* auditkit report" in html  # inlined, not escaped


def test_methods_and_provenance_say_what_was_run(full: dict) -> None:
    view = build_view(full)
    assert "on the same 3 seeds (0, 1, 2)" in view.methods
    assert "batch size: batch size 128, batch size 512" in view.methods
    assert "Wilcoxon signed-rank (exact)" in view.methods
    keys = dict(view.provenance)
    for key in ("model file sha256", "data fingerprint", "rule pack sha256", "seeds", "wall time"):
        assert keys[key]
    assert keys["git commit"] == full["provenance"]["git commit"]
    assert keys["torch version"] == full["provenance"]["torch version"]


def test_methods_name_what_ran_and_what_was_skipped_and_why(full: dict) -> None:
    skipped = next(r for r in full["rules"] if r["outcome"] == "skipped")
    full["rules"][0]["outcome"] = "error"
    errored = full["rules"][0]
    methods = build_view(full).methods
    ran = [r for r in full["rules"] if r["outcome"] not in ("skipped", "error")]
    assert f"ran {len(ran)} rule(s): " in methods
    ran_sentence = methods.split(f"ran {len(ran)} rule(s): ", 1)[1].split(". ", 1)[0]
    # a skipped rule or one that could not be evaluated is never listed as run
    assert skipped["id"] not in ran_sentence and errored["id"] not in ran_sentence
    assert all(r["id"] in ran_sentence for r in ran)
    assert (
        f"It skipped 1 rule(s), which did not apply ({skipped['id']} {skipped['name']}: "
        f"{skipped['reason'].rstrip('.')})." in methods
    )
    assert f"1 rule(s) could not be evaluated ({errored['id']} {errored['name']})." in methods


def test_figures_are_deterministic_and_carry_no_metadata(full: dict) -> None:
    view = build_view(full)
    claim = view.claims[1]
    first = plots.draw_forest(claim.plot, prefix="a")
    assert first == plots.draw_forest(claim.plot, prefix="a")
    assert first.startswith("<svg ") and 'class="figure" role="img"' in first
    assert "<title>Gain of gru over bag under perturbations</title>" in first
    for volatile in ("<metadata", "<dc:date", "Matplotlib v", "<?xml", "<!DOCTYPE"):
        assert volatile not in first
    # every id is prefixed, so several figures can share one page
    assert all(i.startswith("a-") for i in re.findall(r'\bid="([^"]+)"', first))
    assert "batch size 512" in first  # text stays text (svg.fonttype none)


def test_latex_escapes_what_latex_treats_specially() -> None:
    assert latex_escape("50% of a_b & $x$ #1 {y} ~ ^ \\") == (
        r"50\% of a\_b \& \$x\$ \#1 \{y\} \textasciitilde{} \textasciicircum{} \textbackslash{}"
    )
    assert latex_escape("±0.50, α, -1.20 [-2.00, +0.40]") == (
        r"$\pm$0.50, $\alpha$, $-$1.20 [$-$2.00, +0.40]"
    )
    assert latex_escape("seed-to-seed 2026-01-01") == "seed-to-seed 2026-01-01"


def test_latex_has_the_claims_table_and_the_methods(full: dict) -> None:
    tex = render_latex(build_view(full))
    assert r"\begin{tabular}{llrrrrrl}" in tex and r"\bottomrule" in tex
    assert r"gru vs bag & cwa & 79.50 $\pm$ 0.50" in tex
    assert r"\textsc{fragile}" in tex and r"\textsc{refuted}" in tex
    assert r"\paragraph{Methods.} We retrained every variant" in tex
    assert "The gain reverses at batch size 512 ($-$1.20 pts" in tex
    assert tex.count("{") == tex.count("}")  # escaping kept the braces balanced


def test_terminal_uses_named_styles_and_ends_with_the_summary(full: dict) -> None:
    view = build_view(full)
    buf = io.StringIO()
    console = make_console(file=buf, width=100)
    console.record = True
    render_terminal(view, console)
    lines = buf.getvalue().rstrip().splitlines()
    assert "1 supported, 1 fragile, 1 inconclusive, 1 refuted in 3m12s" in lines[-1]
    assert summary_style(view) == "summary.refuted"
    for style in ("verdict.fragile", "outcome.fail", "summary.supported", "evidence"):
        assert style in THEME.styles
    text = buf.getvalue()
    assert "AK401 batch-size-sensitivity" in text and "FAIL" in text
    assert "· The gain reverses at batch size 512" in text
    assert "batch sizes: 32, 128, 512" in text  # rule evidence


def test_terminal_table_keeps_numbers_whole_at_80_columns(full: dict) -> None:
    buf = io.StringIO()
    render_terminal(build_view(full), make_console(file=buf, width=80))
    text = buf.getvalue()
    assert "+5.00 [-1.21, +11.21]" in text
    assert "INCONCLUSIVE" in text
    assert max(len(line) for line in text.splitlines()) <= 80


@pytest.mark.parametrize("width", [80, 120])
def test_terminal_claims_stay_whole_at_80_and_120_columns(full: dict, width: int) -> None:
    """CI logs and `| tee` are 80 columns: a claim must not break into fragments."""
    view = build_view(full)
    buf = io.StringIO()
    render_terminal(view, make_console(file=buf, width=width))
    lines = buf.getvalue().splitlines()
    assert all(len(line) <= width for line in lines), max(map(len, lines))
    for claim in view.claims:
        # the verdict and the whole claim on one line, the whole interval on one line
        assert any(claim.verdict.upper() in line and claim.label in line for line in lines)
        assert any(f"{claim.gain} {claim.interval}" in line for line in lines)
        assert any(f"{claim.baseline_mean} → {claim.variant_mean}" in line for line in lines)
    assert ("Δ pts [95% CI]" in buf.getvalue()) == (width >= 100)


def test_reliance_rows_show_the_dev_drop_and_the_dev_test_difference(full: dict) -> None:
    # without dev probes (the fixture, and audits stored before them) no dev columns
    assert "drop on dev" not in render_html(build_view(full))
    rows = [
        {"variant": "bag", "factor": "shape", "drop_mean": 0.21, "low": 0.17, "high": 0.25},
        {
            "variant": "gru",
            "factor": "color",
            "drop_mean": 0.004,
            "low": -0.01,
            "high": 0.018,
            "dev_drop_mean": 0.4,
            "dev_low": 0.35,
            "dev_high": 0.45,
            "dev_minus_test": 0.396,
            "dev_minus_test_low": 0.33,
            "dev_minus_test_high": 0.46,
        },
    ]
    exhibits = reliance_exhibits(rows, "accuracy", "Shape and colour reliance")
    _rule(full, "AK302")["exhibits"] = [exhibit_to_json(e) for e in exhibits]
    (section,) = [s for s in build_view(full).exhibits if s.rule == "AK302"]
    table = section.items[1]
    assert isinstance(table, TableView)
    assert table.columns[2:] == ("accuracy drop (pts)", "drop on dev (pts)", "dev − test (pts)")
    assert table.rows[1][3] == "+40.00 [+35.00, +45.00]"
    assert table.rows[1][4] == "+39.60 [+33.00, +46.00]"
    assert table.rows[0][3] == "n/a"
    html = render_html(build_view(full))
    assert "drop on dev" in html and "dev − test" in html and table.rows[1][3] in html


def _rule(doc: dict, rule_id: str) -> dict:
    (found,) = [r for r in doc["rules"] if r["id"] == rule_id]
    return found


def test_terminal_without_claims_shows_no_empty_claims_table(full: dict) -> None:
    doc = {**full, "claims": [], "summary": {**full["summary"], "verdicts": {}}}
    buf = io.StringIO()
    render_terminal(build_view(doc), make_console(file=buf, width=100))
    text = " ".join(buf.getvalue().split())
    assert "No claim was declared, so no verdict." in text
    assert "p (Holm)" not in text and "Δ pts" not in text
    # a script audit records the metrics' spread over seeds: the terminal shows it instead
    spread = {"variant": "gru", "metric": "test_acc", "n": 3, "mean": 0.61, "sd": 0.02,
              "low": 0.59, "high": 0.63}  # fmt: skip
    script = {"command": "python train.py", "seed spread": [spread]}
    doc["experiment"] = {**full["experiment"], "source": "script", "script": script}
    buf = io.StringIO()
    render_terminal(build_view(doc), make_console(file=buf, width=100))
    row = " ".join(next(ln for ln in buf.getvalue().splitlines() if "test_acc" in ln).split())
    assert row == "gru test_acc 0.61 0.02 0.59 to 0.63 3"
    assert "the metrics' spread over seeds" in " ".join(buf.getvalue().split())
