"""Split checks: dev/test shift, random re-splits, leakage, data provenance, label-noise ceiling.

Five checks of the 2xx family, one module each; what they share is in ``_common``:

- :mod:`.shift` (AK201 ``split_shift``) compares dev and test, and shows the data's
  per-split statistics as a table (:mod:`.table`);
- :mod:`.resplit` (AK202 ``resplit``) retrains both arms of every claim on a random
  re-split of the pooled rows and hands the claim's gain there on to the verdict;
- :mod:`.duplicates` (AK203 ``duplicates``) finds test rows copied from train or dev, and
  the gain on the rows never seen;
- :mod:`.provenance` (AK204 ``data_provenance``) compares the data consumed with the data
  declared;
- :mod:`.noise` (AK205 ``noise_ceiling``) bounds test accuracy by the label noise.

Four only inspect the data and the nominal runs; ``resplit`` plans runs of its own. The
pure helpers (:func:`compare_splits`, :func:`find_duplicates`, :func:`chance_match_rate`,
:func:`noise_from_metadata`, :func:`match_declaration`) take plain values and are
unit-tested on tiny inputs.
"""

from __future__ import annotations

from auditkit.checks.splits._common import FAMILY
from auditkit.checks.splits.duplicates import (
    Duplicates,
    DuplicateScan,
    DuplicatesParams,
    UnseenRowGain,
    chance_match_rate,
    find_array_duplicates,
    find_duplicates,
)
from auditkit.checks.splits.noise import (
    NoiseCeiling,
    NoiseCeilingParams,
    NoiseEstimate,
    noise_from_metadata,
)
from auditkit.checks.splits.provenance import (
    DataProvenance,
    DataProvenanceParams,
    data_origin,
    match_declaration,
    missing_paths,
)
from auditkit.checks.splits.resplit import RESPLIT_CONDITION, Resplit, ResplitParams
from auditkit.checks.splits.shift import (
    AssociationShift,
    SplitComparison,
    SplitShift,
    SplitShiftParams,
    association_shift,
    compare_array_splits,
    compare_splits,
)
from auditkit.checks.splits.table import split_table

__all__ = [
    "FAMILY",
    "RESPLIT_CONDITION",
    "AssociationShift",
    "DataProvenance",
    "DataProvenanceParams",
    "DuplicateScan",
    "Duplicates",
    "DuplicatesParams",
    "NoiseCeiling",
    "NoiseCeilingParams",
    "NoiseEstimate",
    "Resplit",
    "ResplitParams",
    "SplitComparison",
    "SplitShift",
    "SplitShiftParams",
    "UnseenRowGain",
    "association_shift",
    "chance_match_rate",
    "compare_array_splits",
    "compare_splits",
    "data_origin",
    "find_array_duplicates",
    "find_duplicates",
    "match_declaration",
    "missing_paths",
    "noise_from_metadata",
    "split_table",
]
