"""Every format x every shape, imported into a real store and read back."""

from __future__ import annotations

from pathlib import Path

import pytest
from duelist.engine.ingest import ReadOptions
from duelist.engine.ingest.importer import import_files
from duelist.engine.preferences.resolve import resolve_pairs
from duelist.store import Store
from ingest_helpers import FORMATS, write_rows

PAIRS = [
    {"prompt": "Sort a list in Python", "response_a": "sorted(xs)", "response_b": "xs.sort"},
    {"prompt": "Capital of France?", "response_a": "Paris.", "response_b": "Lyon, I think."},
]
RESPONSES = [
    {"prompt": "Name a prime", "responses": ["7", "9", "15"]},
    {"prompt": "Say hi", "responses": ["Hello!", "hi"]},
]
PREFERENCES = [
    {"prompt": "Explain ML", "chosen": "Learning patterns from data.", "rejected": "Robots."},
    {"prompt": "2+2?", "chosen": "4", "rejected": "5"},
    {"prompt": "Best editor?", "chosen": "Whatever you are fluent in.", "rejected": "Only vim."},
]
RATINGS = [
    {"prompt": "Tell a joke", "response": "A pun about bread.", "score": 3},
    {"prompt": "Tell a joke", "response": "Knock knock.", "score": 1},
    {"prompt": "Tell a joke", "response": "A clever one-liner.", "score": 5},
    {"prompt": "Define API", "response": "Application Programming Interface.", "score": 4.5},
    {"prompt": "Define API", "response": "A kind of fruit.", "score": 0.5},
]
AB = [
    {"prompt": "Greet", "response_a": "Hello there", "response_b": "Yo", "winner": "A"},
    {"prompt": "Add", "response_a": "1+1=3", "response_b": "1+1=2", "winner": "B"},
    {"prompt": "Colour", "response_a": "Blue", "response_b": "Azure", "winner": "tie"},
]

SHAPES = {"pairs": PAIRS, "responses": RESPONSES, "preferences": PREFERENCES,
          "ratings": RATINGS, "ab": AB}
# comparisons each shape yields, and the (prompt, chosen, rejected) pairs it implies
EXPECTED_COMPARISONS = {"pairs": 2, "responses": 3 + 1, "preferences": 3, "ratings": 2, "ab": 3}
EXPECTED_PAIRS = {
    "pairs": set(),
    "responses": set(),
    "preferences": {(r["prompt"], r["chosen"], r["rejected"]) for r in PREFERENCES},
    "ratings": {("Tell a joke", "A clever one-liner.", "Knock knock."),
                ("Define API", "Application Programming Interface.", "A kind of fruit.")},
    "ab": {("Greet", "Hello there", "Yo"), ("Add", "1+1=2", "1+1=3")},
}


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("shape", list(SHAPES))
def test_round_trip(tmp_path: Path, fmt: str, shape: str) -> None:
    path = write_rows(tmp_path / f"{shape}_data", SHAPES[shape], fmt)
    with Store.open(tmp_path / "d.db") as store:
        summary = import_files(store, [path])
        assert summary.files[0].shape == shape
        assert summary.added == EXPECTED_COMPARISONS[shape]
        assert store.count_comparisons() == EXPECTED_COMPARISONS[shape]
        comps = list(store.iter_comparisons())
        assert {c.source for c in comps} == {path.name}
        resolution = resolve_pairs(store)
        got = {(p.prompt, p.chosen, p.rejected) for p in resolution.pairs}
        assert got == EXPECTED_PAIRS[shape]
        judged_by = {a.annotator for a in store.iter_live_annotations()}
        assert judged_by == ({f"import:{path.name}"} if EXPECTED_PAIRS[shape] else set())
        if shape == "ab":
            assert resolution.counts["tie"] == 1
        # the same file again adds nothing, judgements included
        again = import_files(store, [path])
        assert (again.added, again.judgements, again.present) == (0, 0, EXPECTED_COMPARISONS[shape])
        assert len(list(store.iter_live_annotations())) == len(EXPECTED_PAIRS[shape]) + (
            1 if shape == "ab" else 0)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "csv"])
def test_chat_prompt_is_flattened_and_kept(tmp_path: Path, fmt: str) -> None:
    messages = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": "What is 2+2?"},
                {"role": "assistant", "content": "4."},
                {"role": "user", "content": "And 3+3?"}]
    rows = [{"prompt": messages, "chosen": "6", "rejected": "7"}]
    path = write_rows(tmp_path / "chat", rows, fmt)
    with Store.open(tmp_path / "d.db") as store:
        import_files(store, [path])
        (c,) = list(store.iter_comparisons())
    assert c.prompt == "System: Be brief.\n\nUser: What is 2+2?\n\nAssistant: 4.\n\nUser: And 3+3?"
    assert c.prompt_messages == messages


def test_trl_conversational_responses(tmp_path: Path) -> None:
    rows = [{"prompt": [{"role": "user", "content": "Hi"}],
             "chosen": [{"role": "assistant", "content": "Hello! How can I help?"}],
             "rejected": [{"role": "assistant", "content": "What."}]}]
    path = write_rows(tmp_path / "conv", rows, "jsonl")
    with Store.open(tmp_path / "d.db") as store:
        import_files(store, [path])
        (pair,) = resolve_pairs(store).pairs
    assert (pair.prompt, pair.chosen, pair.rejected) == ("User: Hi", "Hello! How can I help?", "What.")


def test_human_assistant_prompt_kept_verbatim(tmp_path: Path) -> None:
    prompt = "Human: Hi\n\nAssistant: Hello.\n\nHuman: Tell me a fact.\n\nAssistant:"
    path = write_rows(tmp_path / "hh", [{"prompt": prompt, "chosen": "Fact.", "rejected": "No."}],
                      "json")
    with Store.open(tmp_path / "d.db") as store:
        import_files(store, [path])
        (c,) = list(store.iter_comparisons())
    assert c.prompt == prompt and c.prompt_messages is None


def test_pairs_per_prompt_is_seeded_and_order_free(tmp_path: Path) -> None:
    rows = [{"prompt": f"P{i}", "responses": [f"r{i}-{k}" for k in range(5)]} for i in range(4)]
    first = write_rows(tmp_path / "one", rows, "jsonl")
    second = write_rows(tmp_path / "two", list(reversed(rows)), "jsonl")

    dbs = iter(range(100))

    def pairs_of(path: Path, seed: int) -> set:
        with Store.open(tmp_path / f"{next(dbs)}.db") as store:
            s = import_files(store, [path], ReadOptions(pairs_per_prompt=2, seed=seed))
            assert s.added == 4 * 2
            return {c.hash for c in store.iter_comparisons()}

    assert pairs_of(first, 1) == pairs_of(second, 1)  # file order does not matter
    assert pairs_of(first, 1) != pairs_of(first, 2)  # the seed does


def test_all_ordered_pairs_from_ratings(tmp_path: Path) -> None:
    rows = [{"prompt": "Q", "response": f"answer {s} ({k})", "score": s}
            for k, s in enumerate((1, 2, 2, 3))]
    path = write_rows(tmp_path / "r", rows, "csv")
    with Store.open(tmp_path / "d.db") as store:
        s = import_files(store, [path], ReadOptions(all_ordered_pairs=True))
        # 6 pairs of 4, minus the one pair with equal scores
        assert s.added == 5 and s.judgements == 5
        pairs = resolve_pairs(store).pairs
    assert all(int(p.chosen.split()[1]) > int(p.rejected.split()[1]) for p in pairs)


def test_gold_column_and_orientation(tmp_path: Path) -> None:
    rows = [{"prompt": "Q1", "response_a": "right", "response_b": "wrong", "gold": "A"},
            {"prompt": "Q2", "response_a": "meh", "response_b": "fine", "gold": "b"},
            {"prompt": "Q3", "response_a": "x", "response_b": "y", "gold": ""}]
    path = write_rows(tmp_path / "gold", rows, "jsonl")
    with Store.open(tmp_path / "d.db") as store:
        import_files(store, [path])
        golds = {c.prompt: (c.gold, c.response_a) for c in store.iter_comparisons()}
    assert golds == {"Q1": ("a", "right"), "Q2": ("b", "meh"), "Q3": (None, "x")}


def test_custom_columns_autotrain_names(tmp_path: Path) -> None:
    rows = [{"instruction": "Sort", "good_code": "sorted(x)", "bad_code": "x.sort", "id": 7}]
    path = write_rows(tmp_path / "code", rows, "csv")
    from duelist.engine.ingest import ColumnMap

    opts = ReadOptions(columns=ColumnMap(prompt="instruction", chosen="good_code",
                                         rejected="bad_code"))
    with Store.open(tmp_path / "d.db") as store:
        s = import_files(store, [path], opts)
        assert s.files[0].ignored == ["id"]
        (pair,) = resolve_pairs(store).pairs
    assert (pair.prompt, pair.chosen, pair.rejected) == ("Sort", "sorted(x)", "x.sort")


def test_preferences_not_always_stored_as_a(tmp_path: Path) -> None:
    """chosen is not always put in slot A, so position carries no signal."""
    rows = [{"prompt": f"Q{i}", "chosen": f"good {i}", "rejected": f"bad {i}"} for i in range(40)]
    path = write_rows(tmp_path / "p", rows, "jsonl")
    with Store.open(tmp_path / "d.db") as store:
        import_files(store, [path])
        choices = [a.choice for a in store.iter_live_annotations()]
        assert 5 < choices.count("a") < 35
        assert {p.chosen.split()[0] for p in resolve_pairs(store).pairs} == {"good"}


def test_utf8_bom_and_utf16(tmp_path: Path) -> None:
    text = 'prompt,chosen,rejected\n"Café?","Oui ☕","Non"\n'
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    u16 = tmp_path / "u16.csv"
    u16.write_bytes(text.encode("utf-16"))
    with Store.open(tmp_path / "d.db") as store:
        s = import_files(store, [bom, u16])
        assert s.added == 1 and s.comparisons == 2
        (c,) = list(store.iter_comparisons())
    assert c.prompt == "Café?"


def test_reimport_teaches_gold_to_stored_twins(tmp_path: Path) -> None:
    """Issue 14: a re-import with a gold column (or a flipped copy) gives stored
    comparisons without gold their answer, in the stored orientation; an answer
    already stored is never overwritten."""
    plain = [{"prompt": "Q1", "response_a": "right", "response_b": "wrong"},
             {"prompt": "Q2", "response_a": "meh", "response_b": "fine", "gold": "a"}]
    gold = [{"prompt": "Q1", "response_a": "wrong", "response_b": "right", "gold": "b"},  # flipped
            {"prompt": "Q2", "response_a": "meh", "response_b": "fine", "gold": "b"}]
    with Store.open(tmp_path / "d.db") as store:
        import_files(store, [write_rows(tmp_path / "plain", plain, "jsonl")])
        s = import_files(store, [write_rows(tmp_path / "gold", gold, "jsonl")])
        golds = {c.prompt: c.gold for c in store.iter_comparisons()}
    assert (s.added, s.golds_learned) == (0, 1)
    assert "1 already present learned their gold answer" in s.line()
    assert golds == {"Q1": "a", "Q2": "a"}  # Q1 learned 'right' = a; Q2 kept its answer
