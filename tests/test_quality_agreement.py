"""Agreement math against small examples worked by hand (in the comments)."""

from __future__ import annotations

import pytest
from duelist.engine.quality import (
    ReadingFloor,
    annotator_stats,
    binom_two_sided,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    pairwise_cohen,
    weighted_vote,
)
from duelist.store.quality import JudgementFacts


def test_cohen_kappa_by_hand():
    # Items 1-4 both 'a'; 5-6 r1 'a', r2 'b'; 7-9 both 'b'; 10 r1 'b', r2 'a'.
    # p_o = 7/10. r1 has 6 a / 4 b, r2 has 5 a / 5 b:
    # p_e = 0.6*0.5 + 0.4*0.5 = 0.5, so kappa = (0.7 - 0.5) / (1 - 0.5) = 0.4.
    r1 = list("aaaaaabbbb")
    r2 = list("aaaabbbbba")
    assert cohen_kappa(r1, r2) == pytest.approx(0.4)
    assert cohen_kappa(r1, r1) == pytest.approx(1.0)
    # Perfect disagreement on a balanced split: p_o = 0, p_e = 0.5 -> -1.
    assert cohen_kappa(list("abab"), list("baba")) == pytest.approx(-1.0)
    assert cohen_kappa([], []) is None


def test_fleiss_and_alpha_by_hand():
    # Four items, three raters each: aaa, aab, bbb, abb.
    # P_i = 1, 1/3, 1, 1/3 -> P_bar = 2/3; label shares 6/12 each -> P_e = 1/2;
    # Fleiss kappa = (2/3 - 1/2) / (1/2) = 1/3.
    # Krippendorff: coincidences o_aa = 4, o_bb = 4, o_ab = o_ba = 2; n = 12,
    # D_o = 4/12, D_e = (144 - 72) / 132, alpha = 1 - (1/3)(132/72) = 7/18.
    items = {
        1: {"x": "a", "y": "a", "z": "a"},
        2: {"x": "a", "y": "a", "z": "b"},
        3: {"x": "b", "y": "b", "z": "b"},
        4: {"x": "a", "y": "b", "z": "b"},
        5: {"x": "a"},  # a single rating: no agreement information, ignored
    }
    k, n = fleiss_kappa(items)
    assert n == 4
    assert k == pytest.approx(1 / 3)
    alpha, n = krippendorff_alpha(items)
    assert n == 4
    assert alpha == pytest.approx(7 / 18)


def test_pairwise_cohen_uses_shared_items_only():
    items = {
        1: {"x": "a", "y": "a"},
        2: {"x": "b", "y": "b"},
        3: {"x": "a", "z": "b"},
    }
    pairs = {(a, b): (k, n) for a, b, k, n in pairwise_cohen(items)}
    assert pairs[("x", "y")] == (pytest.approx(1.0), 2)
    assert pairs[("x", "z")][1] == 1
    assert pairs[("y", "z")] == (None, 0)


def test_binomial_two_sided_by_hand():
    # 0 of 5: P(0) + P(5) = 2/32.
    assert binom_two_sided(0, 5) == pytest.approx(0.0625)
    # 7 of 10: P(X<=3) + P(X>=7) = 2 * (1 + 10 + 45 + 120) / 1024 = 0.34375.
    assert binom_two_sided(7, 10) == pytest.approx(0.34375)
    assert binom_two_sided(5, 10) == pytest.approx(1.0)


def _fact(i, who, choice, swapped=False, ms=5000, chars=300, gold=None, cid=None):
    return JudgementFacts(annotation_id=i, comparison_id=cid if cid is not None else i,
                          annotator=who, choice=choice, shown_swapped=swapped, duration_ms=ms,
                          text_chars=chars, gold=gold, created_at="")


def test_left_pick_comes_from_choice_and_swap():
    # 'a' unswapped = left; 'b' swapped = left; 'a' swapped = right; 'b' unswapped = right.
    facts = [_fact(1, "u", "a", False), _fact(2, "u", "b", True), _fact(3, "u", "a", True),
             _fact(4, "u", "b", False), _fact(5, "u", "b", True), _fact(6, "u", "tie")]
    (st,) = annotator_stats(facts)
    assert st.sided == 5
    assert st.left_picks == 3
    assert st.left_rate == pytest.approx(0.6)
    assert st.count == 6


def test_too_fast_uses_a_floor_that_grows_with_text():
    floor = ReadingFloor(base_s=1.0, chars_per_s=100.0, cap_s=20.0)
    assert floor.seconds(0) == 1.0
    assert floor.seconds(900) == pytest.approx(10.0)
    assert floor.seconds(100_000) == 20.0
    # 3 s is fine for 100 characters (floor 2 s) but too fast for 900 (floor 10 s).
    facts = [_fact(1, "u", "a", ms=3000, chars=100), _fact(2, "u", "a", ms=3000, chars=900)]
    (st,) = annotator_stats(facts, floor=floor)
    assert (st.too_fast, st.timed) == (1, 2)
    assert st.median_s == pytest.approx(3.0)


def test_gold_accuracy_and_model_agreement():
    class M:
        def __init__(self, margin):
            self.margin = margin

    facts = [_fact(1, "u", "a", gold="a"), _fact(2, "u", "b", gold="a"), _fact(3, "u", "a"),
             _fact(4, "u", "a")]
    margins = {1: M(1.0), 2: M(-0.5), 3: M(-2.0), 4: M(0.0)}  # 4 is a tie: not counted
    (st,) = annotator_stats(facts, margins=margins)
    assert (st.gold_correct, st.gold_n) == (1, 2)
    assert st.gold_accuracy == pytest.approx(0.5)
    assert (st.model_agree, st.model_n) == (2, 3)


def test_majority_agreement_is_leave_one_out():
    # Item 1: x=a, y=a, z=b. Item 2: x=a, y=b. Each annotator is compared with
    # the OTHERS only, and a split among the others gives no majority to count.
    facts = [_fact(1, "x", "a", cid=1), _fact(2, "y", "a", cid=1), _fact(3, "z", "b", cid=1),
             _fact(4, "x", "a", cid=2), _fact(5, "y", "b", cid=2)]
    stats = {s.annotator: s for s in annotator_stats(facts)}
    # x vs others: item 1 others {a, b} split -> skipped; item 2 others {b} -> disagree.
    assert (stats["x"].majority_agree, stats["x"].majority_n) == (0, 1)
    assert (stats["z"].majority_agree, stats["z"].majority_n) == (0, 1)
    assert (stats["y"].majority_agree, stats["y"].majority_n) == (0, 1)


def test_weighted_vote():
    assert weighted_vote({"x": "a", "y": "b", "z": "b"}, {"x": 3.0, "y": 1.0, "z": 1.0}) == "a"
    assert weighted_vote({"x": "a", "y": "b"}, {"x": 1.0, "y": 1.0}) is None
    assert weighted_vote({"x": "skip"}, {}) is None
