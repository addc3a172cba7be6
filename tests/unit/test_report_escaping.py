"""User text (variant, claim and metric names) is escaped in every view: HTML, SVG and LaTeX.

The PDF (tests/integration/test_report_pdf.py) and the browser
(tests/integration/test_report_browser.py) check the same hostile document.
"""

from __future__ import annotations

import re

from auditkit.report.html import render_html
from auditkit.report.latex import render_latex
from auditkit.report.view import build_view
from tests.gold.fixtures import HOSTILE_METRIC, HOSTILE_VARIANT, hostile, load_full


def test_html_escapes_user_text_everywhere() -> None:
    html = render_html(build_view(hostile(load_full())))
    # nothing the user wrote became markup: no script, image, iframe or bold element
    assert not re.search(r"<(script|img|iframe|b)\b", html, flags=re.I)
    assert "&lt;script&gt;alert(&#34;v&#34;)&lt;/script&gt;" in html
    assert "acc&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;/title&gt;&lt;script&gt;document.title=" in html
    assert "&lt;b&gt;key&lt;/b&gt;" in html  # rule evidence
    # inside the SVG figures, matplotlib escapes text and we escape the <title>
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert svgs and all("<script" not in s for s in svgs)
    assert any("&lt;script&gt;" in s for s in svgs)
    # in an attribute (the heatmap's tooltip) the quote cannot close the attribute
    assert 'title="&lt;script&gt;alert(&#34;v&#34;)&lt;/script&gt; &gt; bag on swa &amp; ' in html


def test_matplotlib_does_not_read_dollars_as_math() -> None:
    html = render_html(build_view(hostile(load_full())))
    assert "$x^2$" in html  # the label, verbatim: not rendered as mathtext


def test_latex_escapes_user_text() -> None:
    tex = render_latex(build_view(hostile(load_full())))
    assert HOSTILE_VARIANT not in tex and HOSTILE_METRIC not in tex
    assert r"\textless{}script\textgreater{}alert(\"v\")" not in tex  # quotes are plain
    assert r"\textless{}script\textgreater{}alert(" in tex
    assert r"\$x\textasciicircum{}2\$ 50\% \textbackslash{}textbf\{y\} \{\#c\}" in tex
    assert r"\&" in tex
