"""Multiple-comparison corrections: Holm–Bonferroni (FWER) and Benjamini–Hochberg (FDR)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["benjamini_hochberg", "holm"]


def _as_p_values(p_values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    p = np.asarray(p_values, dtype=np.float64)
    if p.ndim == 0:
        p = p.reshape(1)
    if p.ndim != 1:
        raise ValueError(f"p_values must be one-dimensional, got an array of shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError(
            "p_values contains NaN or inf; compute every claim's p-value (or drop the claim) "
            "before correcting, since a missing test changes the correction of the others"
        )
    if np.any((p < 0.0) | (p > 1.0)):
        raise ValueError(f"p_values must lie in [0, 1], got min={p.min()!r}, max={p.max()!r}")
    return p


def holm(p_values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Holm–Bonferroni step-down adjusted p-values.

    Parameters
    ----------
    p_values : array-like of shape (m,)
        Unadjusted p-values of the m hypotheses (every claim in the audit).

    Returns
    -------
    ndarray of shape (m,)
        Adjusted p-values in the input order. Rejecting where ``adjusted <= alpha``
        controls the family-wise error rate at ``alpha``.

    Notes
    -----
    With the p-values sorted ascending, ``p_(1) <= ... <= p_(m)``, the adjusted value of
    the i-th smallest is ``max_{j <= i} min(1, (m - j + 1) * p_(j))``. The running
    maximum makes the adjusted values monotone in the raw ones; forgetting it (or using
    ``(m - i)`` with a 1-based ``i``) is a common bug in significance libraries. Ties get
    equal adjusted values. Equals
    ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]``.

    Examples
    --------
    >>> holm([0.01, 0.04, 0.03]).round(4).tolist()
    [0.03, 0.06, 0.06]
    """
    p = _as_p_values(p_values)
    m = p.size
    if m == 0:
        return p.copy()
    # stable sort: ties keep a deterministic order; the running max equalises them anyway.
    order = np.argsort(p, kind="stable")
    factors = np.arange(m, 0, -1, dtype=np.float64)  # m, m-1, ..., 1
    stepped = np.minimum(1.0, np.maximum.accumulate(factors * p[order]))
    out = np.empty(m, dtype=np.float64)
    out[order] = stepped
    return out


def benjamini_hochberg(p_values: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Benjamini–Hochberg step-up adjusted p-values (false discovery rate).

    Parameters
    ----------
    p_values : array-like of shape (m,)
        Unadjusted p-values.

    Returns
    -------
    ndarray of shape (m,)
        Adjusted p-values ("q-values" in the BH sense) in the input order. Rejecting
        where ``adjusted <= q`` controls the FDR at ``q`` for independent or positively
        dependent tests.

    Notes
    -----
    With p-values sorted ascending, the adjusted value of the i-th smallest is
    ``min_{j >= i} min(1, m / j * p_(j))`` (a running minimum from the largest down).
    Equals ``multipletests(p, method="fdr_bh")[1]``.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03]).round(4).tolist()
    [0.03, 0.04, 0.04]
    """
    p = _as_p_values(p_values)
    m = p.size
    if m == 0:
        return p.copy()
    order = np.argsort(p, kind="stable")
    ranks = np.arange(1, m + 1, dtype=np.float64)
    scaled = p[order] * (m / ranks)
    stepped = np.minimum(1.0, np.minimum.accumulate(scaled[::-1])[::-1])
    out = np.empty(m, dtype=np.float64)
    out[order] = stepped
    return out
