"""The app shell: help generated from bindings, the screen registry, guidelines,
queue orders, position randomization, and the `duelist annotate` command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from annotate_helpers import make_app, make_project, wait_for
from duelist.engine.application.annotation_session import is_swapped, shown_choice, true_choice
from duelist.engine.application.queue_orders import (
    RandomOrder,
    SequentialOrder,
    UncertaintyOrder,
    make_order,
)
from duelist.store import NewAnnotation, Score, Store
from duelist.tui.app import DuelistApp
from duelist.tui.cli.main import main
from duelist.tui.screens import app_keys as registry
from duelist.tui.screens.annotate import AnnotateScreen
from duelist.tui.screens.guidelines import GuidelinesScreen
from duelist.tui.screens.help import HelpScreen, key_label
from duelist.tui.text.prompt_turns import split_history, split_turns
from duelist.tui.widgets.key_hints import screen_bindings


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_every_binding_and_registered_screen_is_in_help(db_path: Path) -> None:
    make_project(db_path, 1)
    app = make_app(db_path)
    sections = dict(app.help_sections(AnnotateScreen.__new__(AnnotateScreen)))
    rows = {k: d for rows in sections.values() for k, d in rows}
    for b in screen_bindings(AnnotateScreen) + screen_bindings(DuelistApp):
        assert rows.get(key_label(b)) == (b.tooltip or b.description)
    for entry in registry.SCREENS:
        assert rows.get(entry.key) == entry.description
    assert rows["1 / a / ←"] == "A (left, or top when stacked) is better" and "click" in rows


def test_registry_keys_do_not_collide() -> None:
    taken = [k for b in screen_bindings(AnnotateScreen) + screen_bindings(DuelistApp)
             for k in b.key.split(",")]
    keys = [e.key for e in registry.SCREENS]
    assert len(keys) == len(set(keys))
    assert not set(keys) & set(taken)
    assert len({e.name for e in registry.SCREENS}) == len(registry.SCREENS)


@pytest.mark.anyio
async def test_registering_a_screen_adds_key_palette_and_help(db_path: Path, monkeypatch) -> None:
    make_project(db_path, 1)
    extra = registry.AppScreen("Z", "zzz", "Test screen",
                               "duelist.tui.screens.guidelines:GuidelinesScreen")
    monkeypatch.setattr(registry, "SCREENS", [*registry.SCREENS, extra])
    # A factory taking the app: GuidelinesScreen needs text, so wrap it.
    monkeypatch.setattr(registry.AppScreen, "build",
                        lambda self, app: GuidelinesScreen("# hello from Z"))
    app = make_app(db_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        assert ("Z", "Test screen") in app.screen.sections[-1][1]
        await pilot.press("escape", "Z")
        await wait_for(pilot, lambda: isinstance(app.screen, GuidelinesScreen), "Z screen")
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert "Test screen" in commands


@pytest.mark.anyio
async def test_guidelines_from_file_and_default(db_path: Path, tmp_path: Path) -> None:
    make_project(db_path, 1)
    guide = tmp_path / "rules.md"
    guide.write_text("# House rules\n\nPrefer **short** answers.\n")
    for path, needle in ((guide, "House rules"), (None, "guidelines")):
        app = make_app(db_path, guidelines=str(path) if path else None)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("g")
            await wait_for(pilot, lambda a=app: isinstance(a.screen, GuidelinesScreen), "guidelines")
            assert needle.lower() in app.screen.text.lower()
            await pilot.press("g")
            assert isinstance(app.screen, AnnotateScreen)


def test_swap_is_reproducible_and_choices_map_both_ways() -> None:
    a = [is_swapped(1, "ann", i) for i in range(200)]
    assert a == [is_swapped(1, "ann", i) for i in range(200)]
    assert 70 < sum(a) < 130
    assert a != [is_swapped(1, "bob", i) for i in range(200)]
    assert a != [is_swapped(2, "ann", i) for i in range(200)]
    for swapped in (False, True):
        for pick in ("left", "right"):
            assert shown_choice(true_choice(pick, swapped), swapped).startswith(
                "A" if pick == "left" else "B")
        for pick in ("tie", "both_bad", "skip"):
            assert true_choice(pick, swapped) == pick


def test_queue_orders(db_path: Path) -> None:
    ids = make_project(db_path, 30)
    with Store.open(db_path) as store:
        seq, note = make_order("sequential", store, "q", 0)
        assert isinstance(seq, SequentialOrder) and note is None
        assert seq.next(after_id=ids[4], exclude=set()).id == ids[5]
        rnd, _ = make_order("random", store, "q", 3)
        assert isinstance(rnd, RandomOrder)
        picks = [rnd.next(after_id=i, exclude=set()).id for i in ids[:10]]
        assert picks == [rnd.next(after_id=i, exclude=set()).id for i in ids[:10]]
        assert picks != ids[1:11]
        unc, note = make_order("uncertainty", store, "q", 0)
        assert isinstance(unc, UncertaintyOrder) and "No model scores" in note
        assert unc.model_id is None and unc.next(after_id=ids[4], exclude=set()).id == ids[5]
        model = store.register_model(str(db_path.parent / "m"), "m")
        store.put_scores([Score(model.id, ids[9], 0.5, 0.49), Score(model.id, ids[3], 2.0, -1.0)])
        unc, note = make_order("uncertainty", store, "q", 0)
        assert isinstance(unc, UncertaintyOrder) and note is None
        assert unc.next(after_id=0, exclude=set()).id == ids[9]
        assert unc.next(after_id=0, exclude={ids[9]}).id == ids[3]
        store.add_annotation(NewAnnotation(ids[9], "q", "a"))
        assert unc.next(after_id=0, exclude=set()).id == ids[3]


@pytest.mark.anyio
async def test_uncertainty_without_scores_notifies_and_falls_back(db_path: Path) -> None:
    ids = make_project(db_path, 3)
    app = make_app(db_path, order="uncertainty")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert app.screen.session.current.id == ids[0]
        assert any("No model scores" in str(n.message) for n in app._notifications)


def test_dialogue_turns_and_history() -> None:
    turns = split_turns("\n\nHuman: hi\n\nAssistant: hello\n\nHuman: bye?\n\nAssistant:")
    assert [(t.role, t.text) for t in turns] == [
        ("user", "hi"), ("assistant", "hello"), ("user", "bye?")]
    older, recent = split_history(turns)
    assert [t.text for t in older] == ["hi", "hello"] and [t.text for t in recent] == ["bye?"]
    msgs = [{"role": "system", "content": "be nice"}, {"role": "user", "content": "q"}]
    assert [(t.role, t.text) for t in split_turns("ignored", msgs)] == [
        ("system", "be nice"), ("user", "q")]
    assert [(t.role, t.text) for t in split_turns("plain question")] == [("", "plain question")]


def test_cli_errors_are_one_line(db_path: Path, tmp_path: Path, capsys) -> None:
    make_project(db_path, 1)
    code = main(["annotate", "--db", str(db_path), "--guidelines", str(tmp_path / "nope.md")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert err[0].startswith("duelist: error: ") and "nope.md" in err[0]
    bad = tmp_path / "bad.db"
    bad.write_text("not sqlite")
    assert main(["--db", str(bad)]) == 2  # annotate is the default command
    assert "not a SQLite database" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["annotate", "--order", "sideways"])


def test_counts_taken_during_a_judgement_are_refused(db_path: Path) -> None:
    from duelist.engine.application.annotation_session import Session

    make_project(db_path, 4)
    with Store.open(db_path) as store:
        s = Session(store, "c")
        s.start()
        changes = s.changes
        counted = s.count_progress()  # e.g. in a thread...
        s.judge("left", 5)  # ...while the annotator judges
        assert not s.apply_progress(counted, changes)
        assert s.progress.total is None
        s.load_progress()
        assert (s.progress.mine, s.progress.overall, s.progress.total) == (1, 1, 4)
        s.judge("tie", 5)
        assert (s.progress.mine, s.progress.overall) == (2, 2)
