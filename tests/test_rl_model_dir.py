"""The RL hand-off, path route: what a trained model dir carries for TRL and OpenRLHF.

- The dir has a pad token, config.pad_token_id, Duelist's chat template, mean/std in
  config.json and duelist.json, and the one-sentence path-route caveat.
- Handed to a real GRPOTrainer as `reward_funcs=DIR` on chat data, it gives Duelist's
  own rewards (a decoder: identical input; an encoder: identical ids, see
  BENCHMARKS.md for the MiniLM Spearman without token types).
- `duelist score` scores empty responses, and `--normalize` uses the saved statistics.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from duelist.tui.cli.main import main
from rl_helpers import run_tiny
from tiny_models import BUILDERS, build_llama_policy, synthetic_pairs, write_pairs_json

pytest.importorskip("trl")


def _train(root: Path, kind: str) -> Path:
    from duelist.engine import RewardParams, train

    base = BUILDERS[kind](root / f"base-{kind}")
    data = write_pairs_json(root / f"pairs-{kind}.json", synthetic_pairs(48))
    params = RewardParams(model=str(base), data_path=str(data), project_root=str(root),
                          project_name=f"rm-{kind}", epochs=2, lr=3e-3, batch_size=8,
                          logging_steps=4)
    train(params)
    return params.output_dir


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("rl-dir")
    return {"bert": _train(root, "bert"), "llama": _train(root, "llama"), "root": root,
            "policy": build_llama_policy(root / "policy")}


@pytest.mark.parametrize("kind", ["bert", "llama"])
def test_dir_carries_what_rl_trainers_read(trained, kind):
    from transformers import AutoTokenizer

    out = trained[kind]
    cfg = json.loads((out / "config.json").read_text())
    meta = json.loads((out / "duelist.json").read_text())
    tok = AutoTokenizer.from_pretrained(out)
    assert tok.pad_token_id is not None and cfg["pad_token_id"] == tok.pad_token_id
    assert "duelist-reward-template" in tok.chat_template
    stats = meta["reward_stats"]
    # every validation response, already scored by the final validation (issue 16)
    assert stats["n"] == 2 * meta["counts"]["valid"] > 0 and stats["std"] > 0
    assert stats["responses"] == "validation"
    assert f"over {stats['n']} validation responses" in (out / "README.md").read_text()
    assert cfg["mean"] == pytest.approx(stats["mean"]) and cfg["std"] == pytest.approx(stats["std"])
    note = meta["rl"]["path_route"]
    assert "reward_function" in note and note.count(". ") == 0  # one sentence
    assert note in (out / "README.md").read_text()
    assert ("token-type ids" in note) == (kind == "bert")


@pytest.mark.parametrize("kind", ["bert", "llama"])
def test_chat_template_renders_duelists_input_ids(trained, kind):
    from duelist.engine import RewardModel
    from transformers import AutoTokenizer

    rm = RewardModel.load(trained[kind])
    tok = AutoTokenizer.from_pretrained(trained[kind])
    prompt = [{"role": "system", "content": "please help"},
              {"role": "user", "content": "what is the sun"}]
    for reply in ("the sun is a good happy tree", ""):
        text = tok.apply_chat_template([*prompt, {"role": "assistant", "content": reply}],
                                       tokenize=False)
        ids = tok(text, add_special_tokens=False)["input_ids"]
        assert ids == rm.encoder.encode("System: please help\n\nUser: what is the sun",
                                        reply).input_ids


@pytest.mark.parametrize("bf16", [False, True], ids=["fp32", "trl-default-bf16"])
def test_grpo_given_the_dir_as_a_path_scores_like_duelist(trained, bf16):
    """A decoder dir: TRL's own path route on chat data gives Duelist's rewards (exactly
    in fp32; under TRL's default bf16 autocast, within bf16 rounding and in the same order)."""
    from duelist.engine import RewardModel
    from scipy.stats import spearmanr

    prompts = [[{"role": "user", "content": "tell me about the sun"}],
               [{"role": "user", "content": "why is the river blue"}]]
    trainer = run_tiny("grpo", trained["policy"], [{"prompt": p} for p in prompts],
                       str(trained["llama"]), trained["root"] / f"grpo-path-{bf16}", bf16=bf16)
    rm = RewardModel.load(trained["llama"])
    rm.precision = "fp32"
    got, want = [], []
    for p, c, r in trainer.seen:
        got += [row[0] for row in r]
        want += rm.score_batch(p, c)
    assert len(got) == 8
    assert max(got) - min(got) > 0.05
    assert max(abs(a - b) for a, b in zip(got, want, strict=True)) <= (5e-3 if bf16 else 1e-4)
    assert spearmanr(got, want).statistic >= 0.99


def test_score_cli_scores_empty_responses_and_normalizes(trained, tmp_path, capsys):
    src = tmp_path / "gens.jsonl"
    rows = [{"prompt": "what is it", "response": "a good answer"},
            {"prompt": "what is it", "response": ""},
            {"prompt": "what is it", "response": "   "},
            {"prompt": "what is it", "response": None}]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    out, out_n = tmp_path / "out.jsonl", tmp_path / "out_n.jsonl"
    model = str(trained["bert"])
    assert main(["score", str(src), str(out), "--model", model, "--no-progress"]) == 0
    assert main(["score", str(src), str(out_n), "--model", model, "--no-progress",
                 "--normalize"]) == 0
    raw = [json.loads(x)["reward"] for x in out.read_text().splitlines()]
    norm = [json.loads(x)["reward"] for x in out_n.read_text().splitlines()]
    assert len(raw) == 4 and all(isinstance(v, float) for v in raw)
    stats = json.loads((trained["bert"] / "duelist.json").read_text())["reward_stats"]
    for r, n in zip(raw, norm, strict=True):
        assert n == pytest.approx((r - stats["mean"]) / stats["std"], abs=1e-3)
    capsys.readouterr()


def test_normalize_without_statistics_is_one_line(tmp_path, capsys):
    from tiny_models import build_bert

    bare = build_bert(tmp_path / "bare")
    src = tmp_path / "g.jsonl"
    src.write_text(json.dumps({"prompt": "p", "response": "r"}) + "\n")
    code = main(["score", str(src), str(tmp_path / "o.jsonl"), "--model", str(bare),
                 "--normalize", "--no-progress"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "no reward statistics" in err[0]
    assert not (tmp_path / "o.jsonl").exists()


def test_without_validation_the_statistics_score_training_responses(tmp_path):
    from duelist.engine import RewardParams, train

    base = BUILDERS["bert"](tmp_path / "base")
    data = write_pairs_json(tmp_path / "pairs.json", synthetic_pairs(24))
    params = RewardParams(model=str(base), data_path=str(data), project_root=str(tmp_path),
                          project_name="rm", epochs=1, lr=3e-3, batch_size=8, valid_split=0.0)
    train(params)
    meta = json.loads((params.output_dir / "duelist.json").read_text())
    stats = meta["reward_stats"]
    assert stats["responses"] == "training" and stats["n"] == 2 * meta["counts"]["train"] == 48
    assert stats["std"] > 0
