"""Simulated annotators with known behaviour: the stats must find what we planted."""

from __future__ import annotations

from collections import Counter

import pytest
from duelist.engine.quality import reliability_weights, store_report, weighted_vote
from duelist.engine.quality.annotator_stats import latest_labels
from duelist.store import Store

from bench.sim.annotators import SimAnnotator, populate, standard_team


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    path = tmp_path_factory.mktemp("sim") / "team.db"
    store = Store.open(path)
    team = [*standard_team(), SimAnnotator("fay", "speeder", accuracy=0.9)]
    truth = populate(store, team, n_items=400, overlap=3, gold_every=10, seed=7)
    yield store, truth
    store.close()


def test_flags_find_the_planted_behaviour(simulated):
    store, _ = simulated
    report = store_report(store)
    flags = {a.annotator: a.flags for a in report.annotators}
    assert flags["ada"] == [] and flags["bob"] == []
    assert "random" in flags["cat"] and "left-biased" not in flags["cat"]
    assert "left-biased" in flags["dan"]
    assert "adversarial" in flags["eve"]
    assert "too fast" in flags["fay"] and "random" not in flags["fay"]
    stats = {a.annotator: a for a in report.annotators}
    assert stats["dan"].left_p < 1e-6 < stats["ada"].left_p
    assert stats["ada"].gold_accuracy > 0.8 > 0.5 > stats["eve"].gold_accuracy
    # The two good annotators agree far above chance; the adversary is negative.
    kappas = {(p.first, p.second): p.kappa for p in report.pairs}
    assert kappas[("ada", "bob")] > 0.5
    assert kappas[("ada", "eve")] < 0
    assert report.overlapping_items > 300
    assert report.fleiss_kappa is not None and report.krippendorff_alpha is not None


def _majority(labels):
    ranked = Counter(labels.values()).most_common()
    if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
        return None
    return ranked[0][0]


def test_reliability_weighting_beats_majority(simulated):
    store, truth = simulated
    items = latest_labels(store.judgement_facts())
    gold = store.gold_answers()
    weights = reliability_weights(items, gold)
    assert weights["ada"] > weights["cat"] and weights["bob"] > weights["eve"]
    ordinary = [cid for cid in items if cid not in gold]
    majority = sum(_majority(items[c]) == truth[c] for c in ordinary) / len(ordinary)
    weighted = sum(weighted_vote(items[c], weights) == truth[c] for c in ordinary) / len(ordinary)
    print(f"\nresolution accuracy on {len(ordinary)} simulated items: "
          f"majority {majority:.3f}, reliability-weighted {weighted:.3f}")
    assert weighted > majority + 0.05


def test_weighted_policy_through_resolve_pairs(simulated):
    """The policy export and training use: `resolve_pairs(store, "weighted")`."""
    from duelist.engine.preferences.resolve import policies, resolve_pairs

    store, truth = simulated
    assert "weighted" in policies()
    gold = store.gold_answers()

    def accuracy(policy: str) -> float:
        pairs = [p for p in resolve_pairs(store, policy).pairs if p.comparison_id not in gold]
        right = 0
        for p in pairs:
            c = store.get_comparison(p.comparison_id)
            right += (p.chosen == c.response_a) == (truth[c.id] == "a")
        return right / (len(truth) - len(gold))

    maj, wtd = accuracy("majority"), accuracy("weighted")
    print(f"\nresolve_pairs accuracy: majority {maj:.3f}, weighted {wtd:.3f}")
    assert wtd > maj + 0.05
    # Explicit weights win over the estimate: trusting only 'eve' (the adversary)
    # must make the weighted policy worse than majority.
    only_eve = {"ada": 0.01, "bob": 0.01, "cat": 0.01, "dan": 0.01, "eve": 5.0}
    bad = resolve_pairs(store, "weighted", weights=only_eve).pairs
    right = sum((p.chosen == store.get_comparison(p.comparison_id).response_a)
                == (truth[p.comparison_id] == "a") for p in bad if p.comparison_id not in gold)
    assert right / (len(truth) - len(gold)) < maj
