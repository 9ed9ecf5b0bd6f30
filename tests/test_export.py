"""Resolution policies and exported files: counts, formats, loadability, atomicity."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from duelist.engine.errors import DuelistError
from duelist.engine.preferences.export import COLUMNS, export_pairs
from duelist.engine.preferences.resolve import register_policy, resolve_pairs
from duelist.engine.preferences.votes import Outcome
from duelist.store import NewAnnotation, NewComparison, Store
from duelist.tui.cli.main import main

# comparison -> [(annotator, choice), ...] in time order; None = undo the previous one
VOTES: dict[str, list] = {
    "agree": [("alice", "a"), ("bob", "a")],
    "two_to_one": [("alice", "a"), ("bob", "b"), ("carol", "a")],
    "split": [("alice", "a"), ("bob", "b")],
    "ties": [("alice", "tie"), ("bob", "tie")],
    "both_bad": [("alice", "both_bad")],
    "skipped": [("alice", "skip")],
    "undone": [("alice", "b"), None, ("alice", "a")],
    "changed_mind": [("alice", "b"), ("alice", "a")],
    "b_wins": [("alice", "b"), ("bob", "b"), ("carol", "skip")],
    "unjudged": [],
}


@pytest.fixture
def judged(db_path: Path) -> Path:
    with Store.open(db_path) as store:
        for name, votes in VOTES.items():
            placed = store.add_comparison(NewComparison(
                prompt=f"prompt {name}", response_a=f"A of {name}", response_b=f"B of {name}",
                source="t.jsonl"))
            last = None
            for vote in votes:
                if vote is None:
                    store.undo_annotation(last.id)
                    continue
                last = store.add_annotation(NewAnnotation(placed.id, vote[0], vote[1]))
    return db_path


def _winners(resolution) -> dict[str, str]:
    return {p.prompt.removeprefix("prompt "): p.chosen.split()[0] for p in resolution.pairs}


def test_majority_counts(judged: Path) -> None:
    with Store.open(judged) as store:
        r = resolve_pairs(store)
    assert _winners(r) == {"agree": "A", "two_to_one": "A", "undone": "A", "changed_mind": "A",
                           "b_wins": "B"}
    # judged = 8: the only-skipped comparison is counted under "skip", not "judged"
    assert r.counts == {"judged": 8, "pairs": 5, "tie": 1, "both_bad": 1, "skip": 1, "conflict": 1}
    two = next(p for p in r.pairs if p.prompt.endswith("two_to_one"))
    assert two.provenance["votes"] == "a=2 b=1"
    assert two.provenance["annotators"] == "alice,bob,carol"
    assert two.weight == pytest.approx(2 / 3)
    b = next(p for p in r.pairs if p.prompt.endswith("b_wins"))
    assert (b.chosen, b.rejected) == ("B of b_wins", "A of b_wins")
    assert b.provenance["annotators"] == "alice,bob"


def test_unanimous_counts(judged: Path) -> None:
    with Store.open(judged) as store:
        r = resolve_pairs(store, policy="unanimous")
    assert set(_winners(r)) == {"agree", "undone", "changed_mind", "b_wins"}
    assert r.counts == {"judged": 8, "pairs": 4, "tie": 1, "both_bad": 1, "skip": 1, "conflict": 2}


def test_plugged_in_weighted_policy(judged: Path) -> None:
    def weighted(votes, weights):
        score = sum((weights or {}).get(v.annotator, 1.0) * {"a": 1, "b": -1}.get(v.choice, 0)
                    for v in votes)
        return Outcome("a" if score > 0 else "b" if score < 0 else "conflict", 1.0)

    register_policy("test_weighted", weighted)
    with Store.open(judged) as store:
        r = resolve_pairs(store, policy="test_weighted", weights={"bob": 5.0})
    winners = _winners(r)
    assert winners["two_to_one"] == "B" and winners["split"] == "B"


def test_unknown_policy(judged: Path, capsys) -> None:
    assert main(["export", str(judged.parent / "o.jsonl"), "--db", str(judged),
                 "--policy", "loudest"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and "unknown resolution policy 'loudest'" in err[0]


@pytest.mark.parametrize("fmt,name", [("jsonl", "p.jsonl"), ("json", "p.json"), ("csv", "p.csv"),
                                      ("parquet", "p.parquet"), ("hf", "p_hf")])
def test_export_loads_in_datasets(judged: Path, tmp_path: Path, capsys, fmt: str, name: str) -> None:
    import datasets

    out = tmp_path / name
    assert main(["export", str(out), "--db", str(judged)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote 5 pairs to {out} ({fmt}, policy majority)" in printed
    # "judged" as in `duelist stats`: the only-skipped comparison is not counted in it
    assert "5 pairs from 8 judged comparisons; left out: 1 ties, 1 both-bad, 1 conflicts; " \
        "1 more only skipped" in printed
    if fmt == "hf":
        ds = datasets.load_from_disk(str(out))
    elif fmt == "parquet":
        ds = datasets.Dataset.from_parquet(str(out))
    else:
        ds = datasets.load_dataset("json" if fmt != "csv" else "csv", data_files=str(out),
                                   split="train")
    assert ds.num_rows == 5
    assert list(ds.column_names) == list(COLUMNS)
    row = next(r for r in ds if r["prompt"] == "prompt two_to_one")
    assert (row["chosen"], row["rejected"], row["votes"]) == ("A of two_to_one", "B of two_to_one",
                                                               "a=2 b=1")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_export_reimports_as_preferences(judged: Path, tmp_path: Path) -> None:
    out = tmp_path / "pairs.jsonl"
    assert main(["export", str(out), "--db", str(judged)]) == 0
    fresh = tmp_path / "fresh.db"
    assert main(["import", str(out), "--db", str(fresh)]) == 0
    with Store.open(judged) as a, Store.open(fresh) as b:
        before = {(p.prompt, p.chosen, p.rejected) for p in resolve_pairs(a).pairs}
        after = {(p.prompt, p.chosen, p.rejected) for p in resolve_pairs(b).pairs}
    assert before == after and len(after) == 5


def test_export_overwrites_atomically_and_keeps_old_on_failure(judged: Path, tmp_path: Path) -> None:
    from duelist.engine.preferences.pair import PreferencePair

    out = tmp_path / "p.jsonl"
    out.write_text("old\n")
    with Store.open(judged) as store:
        pairs = resolve_pairs(store).pairs
    export_pairs(pairs, out)
    assert len(out.read_text().splitlines()) == 5
    # A lone surrogate cannot be encoded as UTF-8: the write fails after 5 good rows.
    bad = [*pairs, PreferencePair("p", "c", "r\ud800")]
    with pytest.raises(UnicodeEncodeError):
        export_pairs(bad, out)
    assert len(out.read_text().splitlines()) == 5  # the earlier export is intact
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".p.jsonl")] == []


def test_export_errors(tmp_path: Path, judged: Path, capsys) -> None:
    cases = [
        (["export", str(tmp_path / "x.txt"), "--db", str(judged)], "pass --format"),
        (["export", str(tmp_path / "nope" / "x.jsonl"), "--db", str(judged)], "does not exist"),
        (["export", str(tmp_path / "x.jsonl"), "--db", str(tmp_path / "missing.db")],
         "no such database"),
        (["export", str(tmp_path), "--db", str(judged), "--format", "jsonl"], "is a directory"),
    ]
    empty = tmp_path / "empty.db"
    Store.open(empty).close()
    cases.append((["export", str(tmp_path / "e.jsonl"), "--db", str(empty)], "nothing to export"))
    for argv, fragment in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.splitlines()
        assert len(err) == 1 and fragment in err[0], (argv, err)


def test_direct_export_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(DuelistError, match="unknown export format"):
        export_pairs([], tmp_path / "x.jsonl", "xml")


def test_reward_trainer_accepts_export(judged: Path, tmp_path: Path) -> None:
    """The exported file goes straight into TRL's RewardTrainer, as a user would do it."""
    datasets = pytest.importorskip("datasets")
    from tiny_models import build_llama
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from trl import RewardConfig, RewardTrainer

    out = tmp_path / "pairs.jsonl"
    assert main(["export", str(out), "--db", str(judged)]) == 0
    ds = datasets.load_dataset("json", data_files=str(out), split="train")
    model_dir = build_llama(tmp_path / "tiny")
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, num_labels=1)
    args = RewardConfig(output_dir=str(tmp_path / "run"), max_steps=2, per_device_train_batch_size=2,
                        report_to=[], save_strategy="no", logging_steps=1, max_length=64,
                        bf16=False, gradient_checkpointing=False, use_cpu=True)
    trainer = RewardTrainer(model=model, args=args, train_dataset=ds, processing_class=tok)
    result = trainer.train()
    assert result.global_step == 2
    assert json.loads(json.dumps(result.metrics))["train_loss"] > 0
