"""Annotation quality: agreement, annotator stats, reliability, and simulated judges.

Stdlib only (no numpy/scipy/torch), so the TUI's stats screen imports it freely.
"""

from duelist.engine.quality.agreement import (
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_cohen,
)
from duelist.engine.quality.annotator_stats import (
    AnnotatorStats,
    ReadingFloor,
    Thresholds,
    annotator_stats,
    flags_for,
)
from duelist.engine.quality.binomial import binom_greater, binom_less, binom_two_sided
from duelist.engine.quality.reliability import estimate_accuracy, reliability_weights, weighted_vote
from duelist.engine.quality.report import PairKappa, QualityReport, build_report, store_report

__all__ = [
    "AnnotatorStats", "PairKappa", "QualityReport", "ReadingFloor", "Thresholds",
    "annotator_stats", "binom_greater", "binom_less", "binom_two_sided", "build_report",
    "cohen_kappa", "estimate_accuracy", "flags_for", "fleiss_kappa", "krippendorff_alpha",
    "pairwise_cohen", "reliability_weights", "store_report", "weighted_vote",
]
