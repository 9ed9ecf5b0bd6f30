"""The queue's default order is random: on real preferences no model order beat it
(BENCHMARKS.md, "Active learning on real preferences"). The help says what the others
are for, and `duelist annotate` with no --order really serves items in random order."""

from __future__ import annotations

from duelist.engine.application.queue_orders import RandomOrder, make_order
from duelist.store import Store
from duelist.tui.cli.cmd_annotate import DEFAULT_ORDER, ORDER_HELP
from duelist.tui.cli.main import build_parser


def test_annotate_and_web_default_to_random() -> None:
    assert DEFAULT_ORDER == "random"
    assert build_parser().parse_args(["annotate", "--db", "x.db"]).order == "random"
    assert build_parser().parse_args(["web", "--db", "x.db"]).order == "random"
    for order in ("sequential", "uncertainty", "disagreement"):
        assert f"'{order}'" in ORDER_HELP  # every other order is explained
    assert "not to save labels" in ORDER_HELP


def test_the_default_order_serves_a_shuffled_queue(store: Store) -> None:
    from duelist.store import NewAnnotation, NewComparison

    store.insert_comparisons(NewComparison(f"p{i}", f"a{i}", f"b{i}") for i in range(40))
    order, notice = make_order(DEFAULT_ORDER, store, "ann", seed=0)
    assert isinstance(order, RandomOrder) and notice is None
    served = []
    for _ in range(10):
        item = order.next(after_id=served[-1] if served else 0, exclude=set())
        store.add_annotation(NewAnnotation(comparison_id=item.id, annotator="ann", choice="a"))
        served.append(item.id)
    assert len(set(served)) == 10 and served != sorted(served)
