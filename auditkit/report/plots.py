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

from auditkit.report.view import ClaimPlot, CurvesPlot, IntervalPoint

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

#: masked factor -> (colour, marker)
FACTOR_STYLE = {
    "shape": ("#0072B2", "o"),
    "color": ("#E69F00", "s"),
    "order": ("#009E73", "^"),
}

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
    ax: Any, rows: Sequence[IntervalPoint], styles: dict[str, tuple[str, str]], k: float = 100.0
) -> None:
    for y, row in enumerate(rows):
        colour, marker = styles.get(row.status, ("#000000", "o"))
        ax.errorbar(
            [k * row.mean],
            [y],
            xerr=[[k * (row.mean - row.low)], [k * (row.high - row.mean)]],
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
        _interval_rows(ax, rows, STATUS_STYLE, k)
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


def draw_curves(plot: CurvesPlot, *, prefix: str) -> Markup:
    """Train (solid) and validation (dashed) loss per epoch, one colour per batch size.

    Thin lines are single runs (seeds); the thick line is their mean per epoch, drawn
    over the epochs every run reached.

    Parameters
    ----------
    plot
        The runs' curves.
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
    colours = {b: order[i % len(order)] for i, b in enumerate(plot.batch_sizes)}
    n = len(plot.variants)
    cols = min(n, 3)
    rows = -(-n // cols)
    with _style():
        fig = _figure(6.6, 2.3 * rows)
        axes = np.atleast_1d(fig.subplots(rows, cols, sharey=True, squeeze=False)).ravel()
        for ax, (variant, lines) in zip(axes, plot.variants, strict=False):
            for size in plot.batch_sizes:
                group = [line for line in lines if line.batch_size == size]
                if not group:
                    continue
                for line in group:
                    for ys, ls in ((line.train_loss, "-"), (line.dev_loss, "--")):
                        ax.plot(line.epochs, ys, color=colours[size], ls=ls, lw=0.7, alpha=0.35)
                length = min(len(line.epochs) for line in group)
                epochs = group[0].epochs[:length]
                for attr, ls in (("train_loss", "-"), ("dev_loss", "--")):
                    mean = np.mean([getattr(line, attr)[:length] for line in group], axis=0)
                    ax.plot(epochs, mean, color=colours[size], ls=ls, lw=1.8)
            ax.set_title(variant, loc="left")
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        for ax in axes[n:]:
            ax.set_visible(False)
        axes[0].set_ylabel("loss")
        handles = [Line2D([], [], color=colours[b], lw=1.8, label=f"batch {b}") for b in colours]
        handles += [
            Line2D([], [], color="#5f6368", ls="-", label="train"),
            Line2D([], [], color="#5f6368", ls="--", label="validation"),
        ]
        fig.legend(handles=handles, loc="outside right upper")
        return _to_svg(fig, prefix=prefix, title="Training and validation loss per epoch")


def draw_reliance(rows: Sequence[IntervalPoint], *, prefix: str) -> Markup:
    """Metric drop, with its interval, when one factor is masked at test time.

    Parameters
    ----------
    rows
        One point per variant and factor; ``status`` holds the factor.
    prefix
        Page-unique prefix for the SVG's ids.

    Returns
    -------
    Markup
        Inline SVG.
    """
    from matplotlib.lines import Line2D

    with _style():
        fig = _figure(6.6, 0.9 + 0.28 * len(rows))
        ax = fig.subplots()
        ax.axvline(0, color="#5f6368", lw=0.8, zorder=1)
        _interval_rows(ax, rows, FACTOR_STYLE)
        ax.set_xlabel("drop in the metric when the factor is masked (points)")
        present = [f for f in FACTOR_STYLE if any(r.status == f for r in rows)]
        handles = [
            Line2D([], [], color=FACTOR_STYLE[f][0], marker=FACTOR_STYLE[f][1], ls="", label=f)
            for f in present
        ]
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        return _to_svg(fig, prefix=prefix, title="Reliance on shape, colour and order")
