"""Statistics on paired per-seed differences: pure functions on numpy arrays (DESIGN.md §6).

Every function takes arrays with documented shapes, returns a frozen result that carries the
point estimate and its interval together, and takes an explicit ``random_state`` wherever it
resamples (fixed to 0 by default, so that re-running an audit reproduces its report).
Nothing here knows about models, training, YAML or reports.

Differences are always *variant minus baseline*, one per seed, so "greater" means the
variant is better.
"""

from __future__ import annotations

from auditkit.stats._validation import MAX_MAGNITUDE
from auditkit.stats.aso import AlmostStochasticOrder, aso, violation_ratio
from auditkit.stats.classify import GainClass, classify_gain, gain_t_test
from auditkit.stats.correction import benjamini_hochberg, holm
from auditkit.stats.equivalence import TOST, tost
from auditkit.stats.example_level import (
    ExampleBootstrap,
    McNemarTest,
    PairedTable,
    mcnemar_test,
    paired_bootstrap_examples,
    paired_table,
)
from auditkit.stats.guards import (
    can_reach_significance,
    min_attainable_p_value,
    min_n_for_significance,
)
from auditkit.stats.paired import (
    EffectSize,
    GainInteraction,
    ProbabilityOfImprovement,
    WilcoxonTest,
    corrected_resampled_t_test,
    effect_size_dz,
    gain_interaction_test,
    probability_of_improvement,
    wilcoxon_test,
)
from auditkit.stats.power import (
    decision_alpha,
    minimum_detectable_effect,
    seeds_needed,
    t_test_power,
)
from auditkit.stats.resampling import (
    EXACT_SIGN_FLIP_MAX_N,
    BootstrapCI,
    SignFlipTest,
    bootstrap_ci,
    sign_flip_test,
)
from auditkit.stats.selective import SelectiveInteraction, selective_interaction_test
from auditkit.stats.ttest import TTest, paired_t_test

__all__ = [
    "EXACT_SIGN_FLIP_MAX_N",
    "MAX_MAGNITUDE",
    "TOST",
    "AlmostStochasticOrder",
    "BootstrapCI",
    "EffectSize",
    "ExampleBootstrap",
    "GainClass",
    "GainInteraction",
    "McNemarTest",
    "PairedTable",
    "ProbabilityOfImprovement",
    "SelectiveInteraction",
    "SignFlipTest",
    "TTest",
    "WilcoxonTest",
    "aso",
    "benjamini_hochberg",
    "bootstrap_ci",
    "can_reach_significance",
    "classify_gain",
    "corrected_resampled_t_test",
    "decision_alpha",
    "effect_size_dz",
    "gain_interaction_test",
    "gain_t_test",
    "holm",
    "mcnemar_test",
    "min_attainable_p_value",
    "min_n_for_significance",
    "minimum_detectable_effect",
    "paired_bootstrap_examples",
    "paired_t_test",
    "paired_table",
    "probability_of_improvement",
    "seeds_needed",
    "selective_interaction_test",
    "sign_flip_test",
    "t_test_power",
    "tost",
    "violation_ratio",
    "wilcoxon_test",
]
