"""Small-sample guards, and the shape of the public API."""

from __future__ import annotations

import ast
import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest

import auditkit.stats as stats_api
from auditkit.stats import (
    can_reach_significance,
    min_attainable_p_value,
    min_n_for_significance,
    sign_flip_test,
    wilcoxon_test,
)


@pytest.mark.parametrize("n", range(1, 9))
def test_floor_is_reached_by_the_exact_tests(n: int) -> None:
    d = np.arange(1.0, n + 1)
    if n >= 2:
        assert sign_flip_test(d).p_value == min_attainable_p_value(n)
        assert wilcoxon_test(d).p_value == pytest.approx(min_attainable_p_value(n, test="wilcoxon"))
        two = min_attainable_p_value(n, alternative="two-sided")
        assert sign_flip_test(d, alternative="two-sided").p_value == two


def test_design_statement_n_le_5() -> None:
    # DESIGN.md §6: "with n <= 5 the exact non-parametric tests cannot reach p < 0.05"
    # holds for two-sided tests; one-sided, n = 5 reaches 1/32.
    for n in range(0, 6):
        assert not can_reach_significance(n, 0.05, alternative="two-sided")
    assert can_reach_significance(6, 0.05, alternative="two-sided")
    assert not can_reach_significance(4, 0.05)
    assert can_reach_significance(5, 0.05)
    assert min_n_for_significance(0.05) == 5
    assert min_n_for_significance(0.05, alternative="two-sided") == 6
    assert min_n_for_significance(0.0625) == 4  # exact power of two
    assert min_n_for_significance(0.01) == 7


def test_guard_errors() -> None:
    with pytest.raises(ValueError, match="test="):
        min_attainable_p_value(5, test="t")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n="):
        min_attainable_p_value(-1)


def test_two_observation_minimum_everywhere() -> None:
    one = [0.3]
    functions = (
        stats_api.paired_t_test,
        stats_api.sign_flip_test,
        stats_api.bootstrap_ci,
        stats_api.wilcoxon_test,
        stats_api.effect_size_dz,
        stats_api.probability_of_improvement,
    )
    for f in functions:
        with pytest.raises(ValueError, match="at least 2"):
            f(one)
    with pytest.raises(ValueError, match="at least 2"):
        stats_api.tost(one, delta=0.1)
    with pytest.raises(ValueError, match="at least 2"):
        stats_api.aso(one, [1.0, 2.0])


def test_public_api_and_frozen_results() -> None:
    for name in stats_api.__all__:
        obj = getattr(stats_api, name)
        assert obj.__doc__, name
        if isinstance(obj, type) and dataclasses.is_dataclass(obj):
            params = obj.__dataclass_params__  # type: ignore[attr-defined]
            assert params.frozen, name
            assert hasattr(obj, "__slots__"), name


def test_stats_imports_nothing_it_must_not() -> None:
    allowed_auditkit = {"auditkit.stats", "auditkit.errors"}
    root = Path(stats_api.__file__).parent
    for path in root.glob("*.py"):
        tree = ast.parse(path.read_text())
        modules = itertools.chain.from_iterable(
            [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
        )
        for mod in modules:
            top = mod.split(".")[0]
            assert top not in {"torch", "yaml", "sklearn", "jinja2", "matplotlib"}, (path, mod)
            if top == "auditkit":
                assert any(mod == a or mod.startswith(a + ".") for a in allowed_auditkit), (
                    path,
                    mod,
                )


def test_huge_values_get_a_clear_error() -> None:
    with pytest.raises(ValueError, match="Rescale"):
        stats_api.paired_t_test([1e200, 0.0])
    with pytest.raises(ValueError, match="non-finite"):
        stats_api.bootstrap_ci([1.0, float("inf")])
