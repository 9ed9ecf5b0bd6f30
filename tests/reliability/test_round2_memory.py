"""Round two, item 8: work and memory bounded by a fixed budget, not by input size.
Fast checks here; peak-RSS figures come from bench/memory_bench.py (BENCHMARKS.md)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from duelist.engine.models.encoding import PairEncoder

from reliability._cli import run, write_rows


def _encoders():
    from tiny_models import bert_tokenizer, decoder_tokenizer

    return [bert_tokenizer(), decoder_tokenizer(add_bos=True)]


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("response, prompt", [
    ("hello world " * 200_000, "a prompt"),
    ("x" * 50_000 + " hello " + "world " * 10, "p"),  # a giant [UNK] word first
    ("short answer", "question " * 300_000),
    ("the " * 100_000, "x" * 60_000),
], ids=["long-response", "giant-unk-word", "long-prompt", "both-long"])
def test_long_texts_encode_exactly_as_before(which: int, response: str, prompt: str) -> None:
    tok = _encoders()[which]
    enc = PairEncoder(tok, 64)
    full = PairEncoder(tok, 64)
    full._char_cap = 10**12  # the old behaviour: tokenize whole texts
    a, b = enc.encode(prompt, response), full.encode(prompt, response)
    assert a.input_ids == b.input_ids and a.token_type_ids == b.token_type_ids
    assert a.truncated == b.truncated


def test_a_huge_response_is_not_tokenized_whole() -> None:
    enc = PairEncoder(_encoders()[0], 64)
    text = "word " * 1_000_000  # 5 MB
    t = time.perf_counter()
    enc.encode("p", text)
    assert time.perf_counter() - t < 0.5  # whole: several seconds on this machine


@pytest.mark.parametrize("n, flags, ok", [(101, [], False), (100, [], True),
                                          (300, ["--pairs-per-prompt", "5"], True),
                                          (150, ["--max-responses", "0"], True),
                                          (150, ["--max-responses", "200"], True)])
def test_responses_row_cap(n: int, flags: list[str], ok: bool, tmp_path: Path, capsys) -> None:
    row = {"prompt": "p", "responses": [f"answer {i}" for i in range(n)]}
    code, _out, err = run(capsys, "import", "--db", tmp_path / "x.db", *flags,
                         write_rows(tmp_path / "b.jsonl", [row]))
    if ok:
        assert code == 0, err
    else:
        assert code == 2 and "--pairs-per-prompt" in err and "--max-responses" in err, err


def test_sampling_a_huge_row_does_not_build_every_pair(tmp_path: Path, capsys) -> None:
    row = {"prompt": "p", "responses": [f"a{i}" for i in range(3000)]}  # 4.5M pairs
    t = time.perf_counter()
    code, out, err = run(capsys, "import", "--db", tmp_path / "x.db", "--pairs-per-prompt", "10",
                         write_rows(tmp_path / "b.jsonl", [row]))
    assert code == 0 and "10 comparisons added" in out, err
    assert time.perf_counter() - t < 5


def test_a_csv_header_of_100k_columns_is_checked_in_linear_time(tmp_path: Path, capsys) -> None:
    names = ["prompt", "chosen", "rejected", *[f"c{i}" for i in range(100_000)]]
    (tmp_path / "w.csv").write_text(",".join(names) + "\n" + ",".join(["x"] * len(names)) + "\n")
    t = time.perf_counter()
    code, _, err = run(capsys, "import", "--db", tmp_path / "x.db", tmp_path / "w.csv")
    assert time.perf_counter() - t < 10, "quadratic duplicate check is back"
    assert code == 2 or code == 0, err
