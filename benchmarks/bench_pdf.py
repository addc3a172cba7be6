"""PDF layout time of two real audits: the SPR example's and a default-pack 10-class one's.

Run: .venv/bin/python benchmarks/bench_pdf.py [AUDIT_JSON ...]
(with audit.json files, it times their PDFs and trains nothing)

Both audits are run first (training is not timed; the run store in a temporary folder
makes a second invocation of this script train again, on purpose, so it needs no state):

(a) the example: ``auditkit check examples/spr/model.py --rules quick``;
(b) a default-pack audit of a 10-class problem: ``benchmarks/digits10_model.py``
    (scikit-learn's digits, a linear baseline against an MLP, every default rule).

Then each audit's ``report.pdf`` is laid out REPEATS times from its audit.json
(``render_pdf(render_html(build_view(doc)))``, the code path of ``--pdf``); the figure
is the median wall time, with the page count. Targets (issue 16): (a) <= 5 s and
(b) <= 20 s on 2 cores.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from auditkit.report.html import render_html  # noqa: E402
from auditkit.report.pdf import render_pdf  # noqa: E402
from auditkit.report.view import build_view  # noqa: E402

REPEATS = 3


def audit(model: Path, rules: str, out: Path) -> dict[str, object]:
    """Run ``auditkit check`` on ``model`` in a fresh process; return its audit.json."""
    command = [sys.executable, "-m", "auditkit.cli", "check", str(model), "--rules", rules]
    subprocess.run(
        [*command, "--out", str(out), "-q"],
        cwd=out.parent,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,  # a claim that is not supported exits 1; the report is what matters
    )
    doc: dict[str, object] = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    return doc


def pdf_time(doc: dict[str, object]) -> tuple[float, int]:
    """Median seconds to lay out the PDF of ``doc`` (after one warm-up), and its pages."""
    html = render_html(build_view(doc))
    render_pdf(html)  # warm-up: fonts, WeasyPrint's imports
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        render_pdf(html)
        times.append(time.perf_counter() - start)
    import weasyprint

    pages = len(weasyprint.HTML(string=html).render().pages)  # not timed: the page count
    return statistics.median(times), pages


def main() -> None:
    print(f"PDF layout, median of {REPEATS} after a warm-up; {os.cpu_count()} CPUs")
    if len(sys.argv) > 1:  # audit.json files given: time their PDFs, train nothing
        for name in sys.argv[1:]:
            seconds, pages = pdf_time(json.loads(Path(name).read_text(encoding="utf-8")))
            print(f"{name:40s} {seconds:6.2f} s  {pages:3d} pages")
        return
    with tempfile.TemporaryDirectory() as tmp:
        cases = [
            ("(a) SPR example, quick pack", REPO / "examples" / "spr" / "model.py", "quick", 5.0),
            (
                "(b) digits 10 classes, default pack",
                REPO / "benchmarks" / "digits10_model.py",
                "default",
                20.0,
            ),
        ]
        for i, (label, model, rules, target) in enumerate(cases):
            doc = audit(model, rules, Path(tmp) / f"audit{i}")
            seconds, pages = pdf_time(doc)
            verdict = "meets" if seconds <= target else "MISSES"
            print(f"{label:40s} {seconds:6.2f} s  {pages:3d} pages  ({verdict} <= {target:g} s)")


if __name__ == "__main__":
    main()
