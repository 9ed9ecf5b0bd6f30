"""Self-consistency repeats (`--repeat-rate`) and the stats that report them, plus
the judgements section of `duelist stats` (strength, notes, review counts)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from annotate_helpers import make_app, make_project
from duelist.engine.application.annotation_session import Session
from duelist.engine.application.judgement_stats import wilson
from duelist.engine.application.repeats import MIN_GAP
from duelist.engine.preferences.resolve import resolve_pairs
from duelist.store import NewAnnotation, Store
from duelist.tui.cli.main import main


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_repeats_show_old_items_swapped_and_never_count_twice(db_path: Path) -> None:
    make_project(db_path, 20)
    with Store.open(db_path) as store:
        s = Session(store, "ann", seed=1, repeat_rate=1.0)
        s.start()
        seen: list[tuple[int, bool, bool]] = []  # (comparison, is repeat, shown swapped)
        for _ in range(14):
            item = s.current
            seen.append((item.id, s.is_repeat, s.swapped(item.id)))
            s.judge("left", 100)
        firsts = {cid: sw for cid, rep, sw in seen if not rep}
        repeats = [(cid, sw) for cid, rep, sw in seen if rep]
        assert repeats, "rate 1.0 serves repeats once items are old enough"
        # the first one repeats the oldest judgement, only after MIN_GAP newer items
        assert seen.index((repeats[0][0], True, repeats[0][1])) >= MIN_GAP + 1
        for cid, sw in repeats:
            assert sw != firsts[cid]  # the other layout
        # annotations hold one judgement per item; repeats live apart
        assert len(store.annotations_for(annotator="ann")) == len(firsts)
        assert store.db.execute("SELECT COUNT(*) FROM repeats").fetchone()[0] == len(repeats)
        assert len(resolve_pairs(store).pairs) == len(firsts)
        # always "left": with the sides swapped, that is the other response each time
        pairs = store.repeat_pairs()
        assert len(pairs) == len(repeats) and all(p.original != p.repeat for p in pairs)


def test_undo_returns_to_the_first_showing_not_the_repeat(db_path: Path) -> None:
    make_project(db_path, 12)
    with Store.open(db_path) as store:
        s = Session(store, "ann", seed=1, repeat_rate=1.0)
        s.start()
        for _ in range(MIN_GAP + 2):
            s.judge("left", 100)
        assert s.is_repeat
        ann = s.undo()  # the newest real judgement, not the repeat on screen
        assert ann is not None and not s.is_repeat and s.current.id == ann.comparison_id


def test_zero_rate_serves_no_repeats(db_path: Path) -> None:
    make_project(db_path, 10)
    with Store.open(db_path) as store:
        s = Session(store, "ann", seed=1)
        s.start()
        for _ in range(10):
            assert not s.is_repeat
            s.judge("right", 100)


def test_wilson_interval() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    lo, hi = wilson(8, 10)
    assert lo == pytest.approx(0.4902, abs=1e-3) and hi == pytest.approx(0.9433, abs=1e-3)
    assert wilson(5, 5)[1] == 1.0


@pytest.mark.anyio
async def test_annotate_app_with_repeat_rate_reports_self_agreement(db_path: Path,
                                                                    capsys) -> None:
    make_project(db_path, 16)
    app = make_app(db_path, annotator="ann", repeat_rate=1.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        for _ in range(12):
            await pilot.press("1")
        await pilot.pause()
        n_repeats = sum(1 for i in app.session.repeated)
    assert n_repeats > 0
    assert main(["stats", "--db", str(db_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)["judgements"]
    sa = data["self_agreement"]["ann"]
    assert sa["n"] == n_repeats and sa["agree"] == 0  # "1" = left = the other side each time
    assert sa["low"] == 0.0 and 0 < sa["high"] < 1


def test_stats_text_shows_strength_notes_review_and_self_agreement(db_path: Path,
                                                                   capsys) -> None:
    make_project(db_path, 3)
    with Store.open(db_path) as s:
        s.add_annotations_bulk([
            NewAnnotation(1, "ann", "a", strength=3, rationale="A shows the \x1b[31mcode"),
            NewAnnotation(1, "bob", "b"), NewAnnotation(2, "ann", "b", strength=1)])
        original = s.annotations_for(annotator="ann")[0]
        s.add_repeat(original.id, "a", True)
        s.add_adjudication(1, "lead", "a")
    assert main(["stats", "--db", str(db_path)]) == 0
    out = capsys.readouterr().out
    assert "ann: slightly 1, much 1" in out and "bob: ungraded 1" in out
    assert "review       1 to review (disagreements, missed gold), 1 adjudicated" in out
    assert "notes        1 rationale notes, newest first:" in out
    assert "#1 ann (a): A shows the code" in out and "\x1b" not in out
    assert "ann: 100% (1/1, 21%-100%)" in out
