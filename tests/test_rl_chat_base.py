"""A decoder base that ships a chat template: Duelist trains and scores on that template.

TRL's RewardTrainer tokenizes conversational pairs with the tokenizer's chat template
(trl/data_utils.py `_tokenize`); GRPO/RLOO given a reward dir as a path render chat data
with it too. So for such a base (here a tiny Llama with a Qwen2-like ChatML template):
- training encodes every pair exactly as RewardTrainer would (`encoding.kind` is
  "chat-template"), and the dir keeps the base's template;
- `reward_function(dir)` inside a real GRPOTrainer gives Duelist's fp32 scores, long
  prompt and empty completion included;
- the dir handed to GRPOTrainer as a path on chat data gives the same rewards (the
  same ids, so equal within fp32 noise);
- a dir trained before this ("decoder-concat" in duelist.json) is still scored that way.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rl_helpers import LONG_PROMPT, run_tiny
from tiny_models import (
    CHATML_TEMPLATE,
    build_chat_llama,
    build_llama_policy,
    synthetic_pairs,
    write_pairs_json,
)

pytest.importorskip("trl")

SYSTEM = {"role": "system", "content": "please help"}


def _rows(n: int) -> list[dict]:
    """Synthetic pairs, half of them with a multi-turn chat prompt."""
    rows = synthetic_pairs(n)
    for i, r in enumerate(rows):
        if i % 2:
            r["prompt"] = [SYSTEM, {"role": "user", "content": r["prompt"]},
                           {"role": "assistant", "content": "a tree"},
                           {"role": "user", "content": "tell me more"}]
    return rows


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from duelist.engine import RewardParams, train

    root = tmp_path_factory.mktemp("rl-chat")
    base = build_chat_llama(root / "base")
    data = write_pairs_json(root / "pairs.json", _rows(48))
    params = RewardParams(model=str(base), data_path=str(data), project_root=str(root),
                          project_name="rm-chat", epochs=3, lr=3e-3, batch_size=8,
                          logging_steps=4)
    train(params)
    return {"rm": Path(params.output_dir), "base": base, "root": root,
            "policy": build_llama_policy(root / "policy")}


def test_training_encodes_pairs_as_reward_trainer_does(trained):
    """Duelist's training input for a chat pair is RewardTrainer's, token for token."""
    from duelist.engine import RewardModel
    from duelist.engine.ingest.values import flatten_chat
    from transformers import AutoTokenizer
    from trl.data_utils import _tokenize

    tok = AutoTokenizer.from_pretrained(trained["base"])
    rm = RewardModel.load(trained["rm"])
    meta = json.loads((trained["rm"] / "duelist.json").read_text())
    assert meta["encoding"]["kind"] == rm.encoder.kind == "chat-template"
    for row in _rows(6):
        prompt = row["prompt"] if isinstance(row["prompt"], list) else \
            [{"role": "user", "content": row["prompt"]}]
        text = flatten_chat(prompt) if isinstance(row["prompt"], list) else row["prompt"]
        for key in ("chosen", "rejected"):
            want = _tokenize(tok, [*prompt, {"role": "assistant", "content": row[key]}])
            assert rm.encoder.encode(text, row[key]).input_ids == want["input_ids"]
    assert meta["metrics"]["valid_accuracy"] >= 0.8, meta["metrics"]  # it learned on it


def test_dir_keeps_the_base_template_and_says_what_the_path_route_does(trained):
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(trained["rm"])
    assert tok.chat_template == CHATML_TEMPLATE
    meta = json.loads((trained["rm"] / "duelist.json").read_text())
    note = meta["rl"]["path_route"]
    assert meta["rl"]["chat_template"] == "base"
    assert "trained and scores with" in note and "reward_function" in note
    assert note.count(". ") == 0 and note in (trained["rm"] / "README.md").read_text()


def test_truncation_keeps_the_template_frame_and_cuts_the_prompt_from_the_left(trained):
    from duelist.engine import RewardModel

    rm = RewardModel.load(trained["rm"])
    enc = rm.encoder
    out = enc.encode(f"System: please help\n\nUser: {LONG_PROMPT} sun", "the moon is good")
    tokens = rm.tokenizer.convert_ids_to_tokens(out.input_ids)
    assert out.truncated and len(tokens) == enc.max_length
    # the opening is kept; the prompt region (system text, turn markers, the long user
    # text) is cut from the left, so what stays is the end of the user's turn
    assert tokens[:2] == ["<|im_start|>", "system"] and "please" not in tokens
    assert tokens[-10:] == ["river", "sun", "<|im_end|>", "<|im_start|>", "assistant",
                            "the", "moon", "is", "good", "<|im_end|>"]
    long_reply = enc.encode("User: what is it", " ".join(["good"] * 300))
    tokens = rm.tokenizer.convert_ids_to_tokens(long_reply.input_ids)
    assert long_reply.truncated and len(tokens) == enc.max_length
    # the template's opening (with its default system turn), the prompt cut away whole,
    # the bridge to the response, the response cut at its end, the closing <|im_end|>
    assert tokens[:13] == ["<|im_start|>", "system", "you", "are", "a", "help", "<|im_end|>",
                           "<|im_start|>", "user", "<|im_end|>", "<|im_start|>", "assistant",
                           "good"]
    assert tokens[-2:] == ["good", "<|im_end|>"]


def _seen(trainer) -> tuple[list, list, list[float]]:
    prompts, completions, rewards = [], [], []
    for p, c, r in trainer.seen:
        prompts += p
        completions += c
        rewards += [row[0] for row in r]
    return prompts, completions, rewards


def test_grpo_callable_rewards_equal_duelist_fp32(trained):
    from duelist.engine import RewardModel, reward_function

    prompts = [[SYSTEM, {"role": "user", "content": "what is the sun"}],
               [SYSTEM, {"role": "user", "content": LONG_PROMPT}]]
    fn = reward_function(trained["rm"], precision="fp32")
    trainer = run_tiny("grpo", trained["policy"], [{"prompt": p} for p in prompts], [fn],
                       trained["root"] / "grpo-fn")
    p, c, got = _seen(trainer)
    assert len(got) == 8 and max(got) - min(got) > 0.05
    assert any(m[0]["content"] == "" for m in c), "no empty completion reached the reward"
    assert any(m[-1]["content"] == LONG_PROMPT for m in p)
    rm = RewardModel.load(trained["rm"])
    rm.precision = "fp32"
    want = rm.score_batch(p, c)
    assert max(abs(a - b) for a, b in zip(got, want, strict=True)) <= 1e-4


@pytest.mark.parametrize("bf16", [False, True], ids=["fp32", "trl-default-bf16"])
def test_grpo_given_the_dir_as_a_path_scores_like_duelist(trained, bf16):
    """TRL's path route on chat data renders with the kept template: Duelist's very ids,
    so its rewards equal Duelist's (fp32) or rank like them (TRL's default bf16)."""
    from duelist.engine import RewardModel
    from scipy.stats import spearmanr

    prompts = [[SYSTEM, {"role": "user", "content": "tell me about the sun"}],
               [{"role": "user", "content": "why is the river blue"}]]
    trainer = run_tiny("grpo", trained["policy"], [{"prompt": p} for p in prompts],
                       str(trained["rm"]), trained["root"] / f"grpo-path-{bf16}", bf16=bf16)
    p, c, got = _seen(trainer)
    rm = RewardModel.load(trained["rm"])
    rm.precision = "fp32"
    want = rm.score_batch(p, c)
    assert len(got) == 8 and max(got) - min(got) > 0.05
    if not bf16:
        assert max(abs(a - b) for a, b in zip(got, want, strict=True)) <= 1e-4
        assert spearmanr(got, want).statistic >= 0.99
        return
    # TRL's bf16 autocast rounds every activation to bf16 (8 bits of mantissa), not only
    # the reward: errors up to 0.014 were seen in full-suite runs (0.01 alone), so allow
    # 0.02, and only rewards further apart than twice that keep a guaranteed order.
    assert max(abs(a - b) for a, b in zip(got, want, strict=True)) <= 2e-2
    for i in range(len(got)):
        for j in range(len(got)):
            if want[i] - want[j] > 0.04:
                assert got[i] > got[j]


def test_a_dir_trained_as_decoder_concat_is_scored_that_way(trained, tmp_path):
    """Backward compatibility: duelist.json's encoding.kind wins over the tokenizer."""
    import shutil

    from duelist.engine import RewardModel

    old = tmp_path / "old"
    shutil.copytree(trained["rm"], old)
    meta = json.loads((old / "duelist.json").read_text())
    meta["encoding"]["kind"] = "decoder-concat"
    (old / "duelist.json").write_text(json.dumps(meta))
    rm = RewardModel.load(old)
    assert rm.encoder.kind == "decoder-concat"
    ids = rm.encoder.encode("what is the sun", "a tree").input_ids
    assert rm.tokenizer.convert_ids_to_tokens(ids)[-1] == "<|im_end|>"  # eos, no template
    assert "<|im_start|>" not in rm.tokenizer.convert_ids_to_tokens(ids)


def test_a_template_that_refuses_the_turns_gets_the_prompt_as_one_user_message(tmp_path):
    """Templates like Mistral's raise on a system turn: the prompt is then one user
    message (what a plain-text prompt gets), not a crash in the middle of training."""
    from duelist.engine.models.encoding import PairEncoder
    from tiny_models import chat_tokenizer

    tok = chat_tokenizer()
    tok.chat_template = ("{% for m in messages %}{% if m['role'] == 'system' %}"
                         "{{ raise_exception('no system turn') }}{% endif %}"
                         "<|im_start|>{{ m['role'] }} {{ m['content'] }}<|im_end|>{% endfor %}")
    enc = PairEncoder(tok, 64)
    ids = enc.encode("System: please help\n\nUser: what is the sun", "a tree").input_ids
    tokens = tok.convert_ids_to_tokens(ids)
    assert tokens[:2] == ["<|im_start|>", "user"] and tokens.count("<|im_start|>") == 2
    assert "please" in tokens and "sun" in tokens
