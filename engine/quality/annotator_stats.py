"""Per-annotator statistics and the flags a lead acts on.

What each number answers:
- left-pick rate + two-sided binomial p: does this person favour a SIDE of the
  screen? Sides come from `shown_swapped`: with it off, left is the stored A.
- agreement with the majority: on shared items, how often they side with the
  plurality of the OTHER annotators (leave-one-out, so nobody agrees with
  themselves).
- agreement with the model: how often they pick what the current model scores
  higher (a drifting annotator, or a drifting model, shows up here).
- too fast: judgements quicker than a reading-time floor that grows with the
  text's length; nobody reads 3,000 characters in a second.
- gold accuracy: the share of known-answer items they got right.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from duelist.engine.quality.binomial import binom_greater, binom_less, binom_two_sided

DECISIVE = ("a", "b", "tie", "both_bad")


@dataclass(frozen=True, slots=True)
class ReadingFloor:
    """Fastest believable time for a judgement: base + characters / skim speed.

    The defaults are deliberately lenient (skimming at 5x reading speed,
    roughly 100 characters a second), so a flag means "could not have read it".
    """

    base_s: float = 1.0
    chars_per_s: float = 100.0
    cap_s: float = 20.0

    def seconds(self, text_chars: int) -> float:
        return min(self.cap_s, self.base_s + max(0, text_chars) / self.chars_per_s)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a statistic becomes a flag. Evidence first: a small sample flags nothing."""

    min_items: int = 20  # judgements needed before bias / random flags
    bias_p: float = 0.01  # two-sided p-value for position bias
    bias_rate: float = 0.15  # and |left rate - 0.5| at least this
    random_p: float = 0.05  # one-sided: agreement no better than a coin -> random
    adversarial_p: float = 0.01  # one-sided: agreement worse than a coin
    too_fast_rate: float = 0.25  # share of judgements under the reading floor


DEFAULT_FLOOR = ReadingFloor()
DEFAULT_THRESHOLDS = Thresholds()


@dataclass
class AnnotatorStats:
    annotator: str
    count: int = 0  # live, decisive judgements
    skips: int = 0
    median_s: float | None = None
    left_picks: int = 0
    sided: int = 0  # judgements that picked a side (a or b)
    left_rate: float | None = None
    left_p: float | None = None
    majority_agree: int = 0
    majority_n: int = 0
    majority_rate: float | None = None
    model_agree: int = 0
    model_n: int = 0
    model_rate: float | None = None
    too_fast: int = 0
    timed: int = 0
    too_fast_rate: float | None = None
    gold_correct: int = 0
    gold_n: int = 0
    gold_accuracy: float | None = None
    weight: float | None = None
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def latest_labels(facts: Iterable) -> dict[int, dict[str, str]]:
    """comparison id -> {annotator: their latest live decisive label}."""
    items: dict[int, dict[str, str]] = defaultdict(dict)
    for f in facts:
        if f.choice in DECISIVE:
            items[f.comparison_id][f.annotator] = f.choice
    return dict(items)


def _rate(k: int, n: int) -> float | None:
    return k / n if n else None


def annotator_stats(facts: list, *, margins: Mapping[int, object] | None = None,
                    floor: ReadingFloor = DEFAULT_FLOOR,
                    thresholds: Thresholds = DEFAULT_THRESHOLDS,
                    weights: Mapping[str, float] | None = None) -> list[AnnotatorStats]:
    """Stats for every annotator in `facts` (JudgementFacts), sorted by name.

    `margins` maps comparison id -> an object with `.margin` (score_a - score_b)
    from the current model; None when there is no model yet.
    """
    items = latest_labels(facts)
    by_name: dict[str, AnnotatorStats] = {}
    durations: dict[str, list[float]] = defaultdict(list)
    for f in facts:
        st = by_name.setdefault(f.annotator, AnnotatorStats(f.annotator))
        if f.choice == "skip":
            st.skips += 1
            continue
        st.count += 1
        if f.duration_ms is not None:
            secs = f.duration_ms / 1000.0
            durations[f.annotator].append(secs)
            st.timed += 1
            st.too_fast += secs < floor.seconds(f.text_chars)
        if f.choice in ("a", "b"):
            st.sided += 1
            st.left_picks += (f.choice == "a") != f.shown_swapped
            m = margins.get(f.comparison_id) if margins else None
            if m is not None and m.margin != 0:
                st.model_n += 1
                st.model_agree += (f.choice == "a") == (m.margin > 0)
        if f.gold is not None:
            st.gold_n += 1
            st.gold_correct += f.choice == f.gold
    for labels in items.values():
        if len(labels) < 2:
            continue
        for a, label in labels.items():
            counts = Counter(lab for o, lab in labels.items() if o != a).most_common()
            if len(counts) > 1 and counts[0][1] == counts[1][1]:
                continue  # the others are split: no majority to agree with
            by_name[a].majority_n += 1
            by_name[a].majority_agree += label == counts[0][0]
    for name, st in by_name.items():
        if durations[name]:
            st.median_s = statistics.median(durations[name])
        st.left_rate = _rate(st.left_picks, st.sided)
        st.left_p = binom_two_sided(st.left_picks, st.sided) if st.sided else None
        st.majority_rate = _rate(st.majority_agree, st.majority_n)
        st.model_rate = _rate(st.model_agree, st.model_n)
        st.too_fast_rate = _rate(st.too_fast, st.timed)
        st.gold_accuracy = _rate(st.gold_correct, st.gold_n)
        if weights is not None:
            st.weight = weights.get(name)
        st.flags = flags_for(st, thresholds)
    return [by_name[n] for n in sorted(by_name)]


def flags_for(st: AnnotatorStats, t: Thresholds = DEFAULT_THRESHOLDS) -> list[str]:
    """Human-readable warnings, most serious first."""
    flags: list[str] = []
    # Accuracy evidence: gold answers and agreement with the others, pooled. Either
    # alone is thin early on; a coin-flipper sits near 1/2 on both.
    k, n = st.gold_correct + st.majority_agree, st.gold_n + st.majority_n
    if n >= t.min_items:
        if binom_less(k, n) < t.adversarial_p:
            flags.append("adversarial")
        elif binom_greater(k, n) > t.random_p:
            flags.append("random")
    if (st.sided >= t.min_items and st.left_p is not None and st.left_p < t.bias_p
            and abs((st.left_rate or 0.5) - 0.5) >= t.bias_rate):
        flags.append("left-biased" if (st.left_rate or 0) > 0.5 else "right-biased")
    if st.timed >= 10 and (st.too_fast_rate or 0) >= t.too_fast_rate:
        flags.append("too fast")
    return flags
