"""Figures for the HTML and PDF reports: matplotlib drawn to inline SVG.

Every figure is drawn from a ``*Plot`` dataclass of the view model, never from
``audit.json`` directly, and returns SVG markup ready to inline: no XML prologue, no
metadata (matplotlib writes a date and its version there, which would make the gold
files change every run), identifiers prefixed so that several figures can share one
page, and text kept as ``<text>`` so it can be searched, copied and read aloud.

Colours are the Okabe–Ito palette, which readers with any common colour-vision
deficiency can tell apart, and every colour is doubled by a marker shape or a line
style so that a grey-scale print still reads.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from markupsafe import Markup, escape

from auditkit.exhibits import Curves, IntervalPlot
from auditkit.report.exhibit_view import POINT_KINDS
from auditkit.report.view import ClaimPlot, IntervalPoint

#: Okabe & Ito (2008), "Color Universal Design"
OKABE_ITO = (
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#F0E442",  # yellow (last: too light for lines on white)
    "#000000",
)

#: condition status -> (colour, marker); the same colours as the verdicts in report.css
STATUS_STYLE = {
    "nominal": ("#000000", "o"),
    "holds": ("#009E73", "o"),
    "reversed": ("#D55E00", "v"),
    "vanished": ("#E69F00", "D"),
    "inconclusive": ("#0072B2", "s"),
}

#: the groups of an interval plot (e.g. the factors probed), in order: (colour, marker)
GROUP_STYLE = (
    ("#0072B2", "o"),
    ("#E69F00", "s"),
    ("#009E73", "^"),
    ("#D55E00", "v"),
    ("#CC79A7", "D"),
    ("#56B4E9", "P"),
    ("#000000", "X"),
)

#: a curve's style -> matplotlib's line style
_LINE_STYLES = {"solid": "-", "dashed": "--"}

_RC: dict[str, Any] = {
    # Fixed salt and no dates: the same figure gives the same bytes on every run.
    "svg.hashsalt": "auditkit",
    # Text stays text: searchable, and escaped by matplotlib like any XML text.
    "svg.fonttype": "none",
    # User text (variant and metric names) is never parsed as mathtext: "$x$" stays "$x$".
    "text.parse_math": False,
    "text.usetex": False,
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.labelsize": 8.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#5f6368",
    "axes.labelcolor": "#1d1d1f",
    "xtick.color": "#5f6368",
    "ytick.color": "#5f6368",
    "legend.frameon": False,
    "legend.fontsize": 8,
    "lines.linewidth": 1.4,
}

_ROOT_SIZE = re.compile(r'<svg([^>]*?) width="[^"]*" height="[^"]*"')
_IDS = re.compile(r'\bid="([^"]+)"')


@contextmanager
def _style() -> Iterator[None]:
    import matplotlib as mpl

    # matplotlib types its keys as a Literal of every rcParam; this dict is checked at run time.
    with mpl.rc_context(cast(Any, _RC)):
        yield


def _figure(width: float, height: float) -> Any:
    # Figure without pyplot: no global state, no GUI backend, safe in any thread.
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _to_svg(fig: Any, *, prefix: str, title: str) -> Markup:
    """Serialise ``fig`` as inline SVG with a ``<title>`` and page-unique ids."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    # Ids repeat from figure to figure ("axes_1", marker hashes); prefix them all.
    ids = set(_IDS.findall(svg))
    svg = _IDS.sub(lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    svg = re.sub(
        r"(url\(#|href=\"#)([^)\"]+)",
        lambda m: f"{m.group(1)}{prefix}-{m.group(2)}" if m.group(2) in ids else m.group(0),
        svg,
    )
    # The CSS sizes the figure (max-width: 100%); the viewBox keeps the proportions.
    svg = _ROOT_SIZE.sub(r'<svg\1 class="figure" role="img"', svg, count=1)
    head, _, body = svg.partition(">")
    # The title is the accessible name; user text in it is escaped here.
    return Markup(f"{head}><title>{escape(title)}</title>{body}".strip())


def _rope_band(ax: Any, rope: float, k: float = 100.0) -> None:
    if rope > 0:
        ax.axvspan(-k * rope, k * rope, color="#d9d9de", alpha=0.6, lw=0, zorder=0)
    ax.axvline(0, color="#5f6368", lw=0.8, zorder=1)


def draw_claim(plot: ClaimPlot, *, prefix: str) -> Markup:
    """Per-seed scores of both arms, paired by seed, and the per-seed gains.

    Parameters
    ----------
    plot
        The claim's figure data.
    prefix
        Page-unique prefix for the SVG's ids.

    Returns
    -------
    Markup
        Inline SVG.
    """
    k = plot.factor  # 100 for points, 1 for a metric on its own scale
    with _style():
        fig = _figure(6.6, 2.5)
        left, right = fig.subplots(1, 2, width_ratios=(1, 1.3))
        base = [k * v for v in plot.baseline]
        var = [k * v for v in plot.variant]
        for b, v in zip(base, var, strict=True):
            left.plot([0, 1], [b, v], color="#b0b0b8", lw=0.8, zorder=1)
        left.scatter([0] * len(base), base, color="#0072B2", marker="o", s=22, zorder=2)
        left.scatter([1] * len(var), var, color="#E69F00", marker="s", s=22, zorder=2)
        left.set_xticks([0, 1], [plot.baseline_name, plot.variant_name])
        left.set_xlim(-0.4, 1.4)
        left.set_ylabel(f"test {plot.metric} ({plot.unit_words})")
        left.set_title("per-seed scores", loc="left")

        gains = [k * g for g in plot.gains]
        n = len(gains)
        # Deterministic spread (by seed index) so equal gains do not hide each other.
        ys = [0.18 + 0.3 * i / max(1, n - 1) for i in range(n)]
        _rope_band(right, plot.rope)
        right.scatter(gains, ys, color="#5f6368", marker="o", s=16, zorder=2, label="one seed")
        if plot.gain is not None:
            g = plot.gain
            right.errorbar(
                [k * g.mean],
                [-0.2],
                xerr=[[k * (g.mean - g.low)], [k * (g.high - g.mean)]],
                fmt="o",
                color="#000000",
                capsize=3,
                zorder=3,
                label="mean and CI",
            )
        if plot.reported is not None:
            right.axvline(
                k * plot.reported, color="#D55E00", ls="--", lw=1.2, label="reported gain"
            )
        # Both axes say what they hold: the strip's rows are the seeds (spread only so
        # that equal gains stay visible) and, below them, their mean with its interval.
        right.set_yticks(
            [0.33, -0.2] if plot.gain is not None else [0.33],
            [f"{n} seeds", "mean, CI"] if plot.gain is not None else [f"{n} seeds"],
        )
        right.tick_params(axis="y", length=0)
        right.set_ylim(-0.5, 0.7)
        right.spines["left"].set_visible(False)
        right.set_xlabel(
            f"gain of {plot.variant_name} over {plot.baseline_name} in {plot.metric} "
            f"({plot.unit_words})" + ("; grey: equivalence region" if plot.rope > 0 else "")
        )
        right.set_title("per-seed gains", loc="left")
        right.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return _to_svg(
            fig,
            prefix=prefix,
            title=f"Per-seed {plot.metric} of {plot.baseline_name} and {plot.variant_name}",
        )


def draw_sequential(plot: ClaimPlot, *, prefix: str) -> Markup:
    """``--seeds auto``: the estimate and its repeated interval at each look, against seeds.

    Parameters
    ----------
    plot
        The claim's figure data; ``plot.looks`` must not be empty.
    prefix
        Page-unique prefix for the SVG's ids.

    Returns
    -------
    Markup
        Inline SVG.
    """
    looks = plot.looks
    k = plot.factor  # 100 for points, 1 for a metric on its own scale
    with _style():
        fig = _figure(4.2, 2.2)
        ax = fig.subplots()
        xs = [int(look.label) for look in looks]
        if plot.rope > 0:
            ax.axhspan(-k * plot.rope, k * plot.rope, color="#d9d9de", alpha=0.6, lw=0)
        ax.axhline(0, color="#5f6368", lw=0.8, zorder=1)
        ax.fill_between(
            xs,
            [k * look.low for look in looks],
            [k * look.high for look in looks],
            color="#56B4E9",
            alpha=0.35,
            lw=0,
            label="repeated CI",
        )
        # the band has no width at a single look (a claim decided at its first): bars too
        ax.errorbar(
            xs,
            [k * look.mean for look in looks],
            yerr=[
                [k * (look.mean - look.low) for look in looks],
                [k * (look.high - look.mean) for look in looks],
            ],
            fmt="none",
            ecolor="#56B4E9",
            elinewidth=1.5,
            capsize=3,
        )
        ax.plot(
            xs,
            [k * look.mean for look in looks],
            color="#0072B2",
            marker="o",
            ms=4,
            label="mean gain",
        )
        if plot.reported is not None:
            ax.axhline(k * plot.reported, color="#D55E00", ls="--", lw=1.0, label="reported")
        ax.set_xticks(xs)
        ax.set_xlabel("seeds per arm")
        ax.set_ylabel(f"gain in {plot.metric} ({plot.unit_words})")
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return _to_svg(
            fig,
            prefix=prefix,
            title=f"Gain of {plot.variant_name} over {plot.baseline_name} against seeds used",
        )


def _interval_rows(
    ax: Any,
    rows: Sequence[IntervalPoint],
    styles: dict[str, tuple[str, str]],
    *,
    scale: float = 100.0,
) -> None:
    for y, row in enumerate(rows):
        colour, marker = styles.get(row.status, ("#000000", "o"))
        ax.errorbar(
            [scale * row.mean],
            [y],
            xerr=[[scale * (row.mean - row.low)], [scale * (row.high - row.mean)]],
            fmt=marker,
            color=colour,
            ms=5,
            capsize=2.5,
            zorder=3,
        )
    ax.set_yticks(range(len(rows)), [r.label for r in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)


def draw_forest(plot: ClaimPlot, *, prefix: str) -> Markup:
    """The gain and its interval at the nominal setting and under every perturbation.

    Parameters
    ----------
    plot
        The claim's figure data; ``plot.conditions`` must not be empty.
    prefix
        Page-unique prefix for the SVG's ids.

    Returns
    -------
    Markup
        Inline SVG.
    """
    from matplotlib.lines import Line2D

    rows = plot.conditions
    k = plot.factor  # 100 for points, 1 for a metric on its own scale
    with _style():
        fig = _figure(6.6, 0.9 + 0.28 * len(rows))
        ax = fig.subplots()
        _rope_band(ax, plot.rope, k)
        _interval_rows(ax, rows, STATUS_STYLE, scale=k)
        if plot.reported is not None:
            ax.axvline(k * plot.reported, color="#D55E00", ls="--", lw=1.0)
        ax.set_xlabel(f"gain in {plot.metric} ({plot.unit_words}) with its interval")
        present = [s for s in STATUS_STYLE if any(r.status == s for r in rows)]
        handles = [
            Line2D([], [], color=STATUS_STYLE[s][0], marker=STATUS_STYLE[s][1], ls="", label=s)
            for s in present
        ]
        if plot.reported is not None:
            handles.append(Line2D([], [], color="#D55E00", ls="--", label="reported"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return _to_svg(
            fig,
            prefix=prefix,
            title=f"Gain of {plot.variant_name} over {plot.baseline_name} under perturbations",
        )


def draw_curves(plot: Curves, *, prefix: str) -> Markup:
    """Lines of y against x, one panel per :attr:`Curve.panel` and one colour per label.

    Faint curves (single runs) are drawn thin and pale under the others (their mean);
    the line style tells a second series apart (``Curves.styles`` names each style).

    Parameters
    ----------
    plot
        The curves exhibit.
    prefix
        Page-unique prefix for the SVG's ids.

    Returns
    -------
    Markup
        Inline SVG.
    """
    import numpy as np
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    # Dark, well-separated colours first: blue, orange, green, vermillion, purple, sky.
    order = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9")
    labels = list(plot.legend) + [c.label for c in plot.curves if c.label not in plot.legend]
    labels = list(dict.fromkeys(labels))
    colours = {label: order[i % len(order)] for i, label in enumerate(labels)}
    panels = list(dict.fromkeys(c.panel for c in plot.curves))
    n = len(panels)
    cols = min(n, 3)
    rows = -(-n // cols)
    with _style():
        fig = _figure(6.6, 2.3 * rows)
        axes = np.atleast_1d(fig.subplots(rows, cols, sharey=True, squeeze=False)).ravel()
        for ax, panel in zip(axes, panels, strict=False):
            for curve in (c for c in plot.curves if c.panel == panel):
                ax.plot(
                    curve.x,
                    curve.y,
                    color=colours[curve.label],
                    ls=_LINE_STYLES[curve.style],
                    lw=0.7 if curve.faint else 1.8,
                    alpha=0.35 if curve.faint else 1.0,
                )
            if panel:
                ax.set_title(panel, loc="left")
            ax.set_xlabel(plot.x_label)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for ax in axes[n:]:
            ax.set_visible(False)
        axes[0].set_ylabel(plot.y_label)
        handles = [Line2D([], [], color=colours[label], lw=1.8, label=label) for label in labels]
        handles += [
            Line2D([], [], color="#5f6368", ls=_LINE_STYLES[style], label=words)
            for style, words in plot.styles
        ]
        fig.legend(handles=handles, loc="outside right upper")
        return _to_svg(fig, prefix=prefix, title=plot.title)


def draw_interval_plot(
    plot: IntervalPlot, *, prefix: str, scale: float = 100.0, unit: str = "points"
) -> Markup:
    """Estimates with their intervals, one row each, coloured by group, against a reference.

    Parameters
    ----------
    plot
        The interval-plot exhibit.
    prefix
        Page-unique prefix for the SVG's ids.
    scale, unit
        For estimates of a metric or a gain: the factor that draws them in the metric's
        unit (100 for points of a 0-1 metric, else 1) and that unit's words.

    Returns
    -------
    Markup
        Inline SVG.
    """
    from matplotlib.lines import Line2D

    if plot.value_kind in POINT_KINDS:
        unit = f" ({unit})"
    else:
        scale, unit = 1.0, ""
    groups = list(dict.fromkeys(p.group for p in plot.points if p.group))
    styles = {g: GROUP_STYLE[i % len(GROUP_STYLE)] for i, g in enumerate(groups)}
    rows = [
        IntervalPoint(
            label=p.label,
            mean=scale * p.estimate,
            low=scale * p.low,
            high=scale * p.high,
            status=p.group,
        )
        for p in plot.points
    ]
    with _style():
        fig = _figure(6.6, 0.9 + 0.28 * len(rows))
        ax = fig.subplots()
        if plot.reference is not None:
            ax.axvline(scale * plot.reference, color="#5f6368", lw=0.8, zorder=1)
        # the rows are in display units already: draw them unscaled
        _interval_rows(ax, rows, styles, scale=1.0)
        ax.set_xlabel(f"{plot.axis}{unit}")
        if groups:
            handles = [
                Line2D([], [], color=styles[g][0], marker=styles[g][1], ls="", label=g)
                for g in groups
            ]
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return _to_svg(fig, prefix=prefix, title=plot.title)


def draw_exhibit(
    exhibit: IntervalPlot | Curves, *, prefix: str, scale: float = 100.0, unit: str = "points"
) -> Markup:
    """Draw a figure exhibit with the renderer of its kind.

    Parameters
    ----------
    exhibit
        An interval plot or curves.
    prefix
        Page-unique prefix for the SVG's ids.
    scale, unit
        How metric values and gains are drawn (see :func:`draw_interval_plot`).

    Returns
    -------
    Markup
        Inline SVG.
    """
    if isinstance(exhibit, IntervalPlot):
        return draw_interval_plot(exhibit, prefix=prefix, scale=scale, unit=unit)
    return draw_curves(exhibit, prefix=prefix)
