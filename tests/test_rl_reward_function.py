"""The RL hand-off, callable route: `reward_function(dir)` inside TRL's real trainers.

Done means: a real GRPOTrainer runs 2 steps on CPU with a tiny policy and
`reward_funcs=[reward_function(dir)]`, and the rewards it computed equal Duelist's fp32
scores for plain and chat prompts, a prompt longer than the model's positions, and an
empty completion.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rl_helpers import LONG_PROMPT, run_tiny
from tiny_models import build_bert, build_llama_policy

pytest.importorskip("trl")


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("rl")
    return {"rm": spread_out(build_bert(root / "rm")), "policy": build_llama_policy(root / "policy"),
            "root": root}


def spread_out(rm_dir: Path) -> Path:
    """A random tiny head gives rewards within ~1e-5 of each other, which any 1e-4
    check would pass; scaling the head spreads them over O(1) so the checks bite."""
    import torch
    from transformers import AutoModelForSequenceClassification

    net = AutoModelForSequenceClassification.from_pretrained(rm_dir)
    with torch.no_grad():
        net.classifier.weight.mul_(3000.0)
    net.save_pretrained(rm_dir)
    return rm_dir


def _duelist_fp32(rm_dir: Path, prompts: list[str], completions: list[str]) -> list[float]:
    from duelist.engine import RewardModel

    rm = RewardModel.load(rm_dir)
    rm.precision = "fp32"
    return rm.score_batch(prompts, completions)


def _text(x):  # what Duelist's import makes of a chat prompt / completion
    if isinstance(x, str):
        return x
    return "\n\n".join(f"{m['role'].title()}: {m['content']}" for m in x) if x[0]["role"] != \
        "assistant" else x[0]["content"]


@pytest.mark.parametrize("chat", [False, True], ids=["plain", "chat"])
def test_grpo_rewards_equal_duelist_fp32(dirs, chat):
    from duelist.engine import reward_function

    prompts = ["what is the sun", LONG_PROMPT]
    if chat:
        prompts = [[{"role": "system", "content": "please help"}, {"role": "user", "content": p}]
                   for p in prompts]
    fn = reward_function(dirs["rm"], precision="fp32")
    assert fn.__name__ == "duelist_rm"
    trainer = run_tiny("grpo", dirs["policy"], [{"prompt": p} for p in prompts], [fn],
                       dirs["root"] / f"grpo-{chat}")
    assert trainer.state.global_step == 2
    seen_p, seen_c, got = [], [], []
    for p, c, r in trainer.seen:
        seen_p += p
        seen_c += c
        got += [row[0] for row in r]
    assert len(got) == 8  # 2 steps x 1 prompt x 4 generations
    assert max(got) - min(got) > 0.05  # rewards that differ, so the comparison means something
    p_text, c_text = [_text(p) for p in seen_p], [_text(c) for c in seen_c]
    assert any(c == "" for c in c_text), "no empty completion reached the reward function"
    assert any(p.endswith(LONG_PROMPT) for p in p_text)
    want = _duelist_fp32(dirs["rm"], p_text, c_text)
    assert max(abs(a - b) for a, b in zip(got, want, strict=True)) <= 1e-4


def test_auto_precision_orders_each_group_like_fp32(dirs):
    """bf16 where native, yet the order inside every prompt group equals fp32's."""
    from duelist.engine import reward_function
    from tiny_models import synthetic_pairs

    rows = synthetic_pairs(64, n_prompts=8)
    prompts = [r["prompt"] for r in rows for _ in (0, 1)]
    comps = [r[k] for r in rows for k in ("chosen", "rejected")]
    fast = reward_function(dirs["rm"])(prompts, comps)
    exact = reward_function(dirs["rm"], precision="fp32")(prompts, comps)
    for p in set(prompts):
        idx = [i for i, q in enumerate(prompts) if q == p]
        assert sorted(idx, key=lambda i: (fast[i], i)) == sorted(idx, key=lambda i: (exact[i], i))


def test_reward_model_accepts_chat_prompts(dirs):
    from duelist.engine import RewardModel

    rm = RewardModel.load(dirs["rm"])
    rm.precision = "fp32"
    chat = [{"role": "user", "content": "what is the sun"}]
    assert rm.score(chat, "the sun is big") == rm.score("User: what is the sun", "the sun is big")
    reply = [{"role": "assistant", "content": "the sun is big"}]
    assert rm.score_batch([chat], [reply]) == rm.score_batch(["User: what is the sun"],
                                                             ["the sun is big"])
    ranked = rm.rank(chat, ["a good answer", "", "bad"])
    assert sorted(r for r, _ in ranked) == sorted(["a good answer", "", "bad"])
    assert ranked == rm.rank("User: what is the sun", ["a good answer", "", "bad"])


def test_bad_inputs_are_one_line(dirs):
    from duelist.engine import reward_function
    from duelist.engine.errors import InputError

    fn = reward_function(dirs["rm"], precision="fp32")
    with pytest.raises(InputError, match="2 prompts but 1 completions"):
        fn(["a", "b"], ["c"])
    with pytest.raises(InputError, match="a prompt must be text"):
        fn([3], ["c"])
    with pytest.raises(InputError, match="has no reward statistics"):
        reward_function(dirs["rm"], normalize=True)


def test_rloo_rewards_equal_duelist_fp32(dirs):
    """RLOOTrainer calls reward functions the same way: same exact rewards."""
    from duelist.engine import reward_function

    prompts = [[{"role": "user", "content": "what is the sun"}],
               [{"role": "user", "content": LONG_PROMPT}]]
    trainer = run_tiny("rloo", dirs["policy"], [{"prompt": p} for p in prompts],
                       [reward_function(dirs["rm"], precision="fp32")], dirs["root"] / "rloo")
    assert trainer.state.global_step == 2
    for p, c, r in trainer.seen:
        want = _duelist_fp32(dirs["rm"], [_text(x) for x in p], [_text(x) for x in c])
        assert max(abs(row[0] - w) for row, w in zip(r, want, strict=True)) <= 1e-4


def test_ensembles_score_like_duelist_and_refuse_normalize(dirs, tmp_path):
    from duelist.engine import RewardModel, reward_function
    from duelist.engine.errors import InputError
    from duelist.engine.scoring.ensemble import Ensemble

    members = [RewardModel.load(dirs["rm"]), RewardModel.load(spread_out(build_bert(
        tmp_path / "rm2", seed=1)))]
    ens = Ensemble(members, how="mean")
    fn = reward_function(ens, precision="fp32")
    prompts, comps = ["what is the sun", LONG_PROMPT], ["the sun is big", ""]
    assert fn(prompts, comps) == ens.score_batch(prompts, comps)
    with pytest.raises(InputError, match="single model dir"):
        reward_function(ens, normalize=True)
