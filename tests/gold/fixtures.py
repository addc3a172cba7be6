"""Report test fixtures: the full audit document, a hostile copy, an old-format copy, a scrubber."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

GOLD = Path(__file__).resolve().parent
FULL = GOLD / "audit_full.json"

#: user text that would run, load or restyle something if a view forgot to escape it
HOSTILE_VARIANT = '<script>alert("v")</script>'
HOSTILE_METRIC = 'acc"><img src=x onerror=alert(1)>'
HOSTILE_LABEL = " & <b>bold</b> $x^2$ 50% \\textbf{y} {#c} <iframe src=http://127.0.0.1:9/>"
HOSTILE_NAME = "</title><script>document.title='pwned'</script>"

#: fields that newer audits add; an old audit.json has none of them
OPTIONAL_CLAIM_FIELDS = (
    "agreement",
    "conditions",
    "seeds_needed",
    "min_detectable_effect",
    "small_sample_note",
    "fragile_under",
    "invalid",
)
OPTIONAL_DOC_FIELDS = ("confusion",)


def load_full() -> dict[str, Any]:
    """The full fixture: a real tiny audit with every optional section (make_fixture.py)."""
    doc: dict[str, Any] = json.loads(FULL.read_text(encoding="utf-8"))
    return doc


def _replace(value: Any, old: str, new: str) -> Any:
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_replace(v, old, new) for v in value]
    if isinstance(value, dict):
        return {_replace(k, old, new): _replace(v, old, new) for k, v in value.items()}
    return value


def hostile(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with HTML, JS and LaTeX in its variant names, claims, metric and title."""
    doc = _replace(copy.deepcopy(doc), "gru", HOSTILE_VARIANT)
    for claim in doc["claims"]:
        if claim["metric"] == "accuracy":
            claim["metric"] = HOSTILE_METRIC
            claim["label"] = claim["label"].replace("accuracy", HOSTILE_METRIC)
        claim["label"] += HOSTILE_LABEL
        claim["reason"] += " <iframe src=http://127.0.0.1:9/>"
    doc["experiment"]["name"] = HOSTILE_NAME
    doc["rules"][0]["evidence"] = {"<b>key</b>": "<img src=x>"}
    return doc


def old_format(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` as an audit.json written before the optional sections existed."""
    doc = copy.deepcopy(doc)
    for claim in doc["claims"]:
        for key in OPTIONAL_CLAIM_FIELDS:
            claim.pop(key, None)
    for key in OPTIONAL_DOC_FIELDS:
        doc.pop(key, None)
    for rule in doc["rules"]:
        rule.pop("evidence", None)
        rule.pop("exhibits", None)
    doc["runs"] = [r for r in doc["runs"] if r["spec"]["condition"] == "nominal"]
    del doc["experiment"]["data"]["metadata"]["splits"]
    return doc


_SCRUBS = (
    # matplotlib's SVG changes with its version; the figures have their own tests.
    (re.compile(r"<svg\b[^>]*>\s*<title>(.*?)</title>.*?</svg>", re.S), r"<svg>\1</svg>"),
    (re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?"), "DATE"),
    (re.compile(r"\b(?:\d+h)?(?:\d+m)?\d+(?:\.\d+)?s\b"), "DURATION"),
    (re.compile(r"\b\d+\.\d+\.\d+(?:[.+][\w.]+)?\b"), "VERSION"),
    (re.compile(r"Linux-[\w.\-]+|macOS-[\w.\-]+|Windows-[\w.\-]+"), "PLATFORM"),
    (re.compile(r"(?<=[\s\"'(>])/(?:[\w.\-]+/)+[\w.\-]+"), "PATH"),
)


def scrub(text: str) -> str:
    """Replace volatile fields (dates, durations, versions, paths, plots) by placeholders."""
    for pattern, replacement in _SCRUBS:
        text = pattern.sub(replacement, text)
    return text
