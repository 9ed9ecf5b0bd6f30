"""The seed's step 2 from the command line: `duelist llm --trainer grpo|rloo` on tiny models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from duelist.tui.cli.main import main
from tiny_models import build_bert, build_llama_policy

pytest.importorskip("trl")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("policy")
    return {"rm": build_bert(root / "rm"), "policy": build_llama_policy(root / "policy")}


def _prompts(path: Path, chat: bool) -> Path:
    texts = ["tell me about the sun", "why is the river blue", "what is a big red car",
             "explain the moon"]
    rows = [{"prompt": [{"role": "user", "content": t}] if chat else t} for t in texts]
    path.write_text(json.dumps(rows))
    return path


@pytest.mark.parametrize(("trainer", "chat"), [("grpo", False), ("rloo", True)])
def test_llm_trains_a_policy_on_the_reward_model(models, tmp_path, monkeypatch, capsys,
                                                 trainer, chat):
    monkeypatch.chdir(tmp_path)
    data = _prompts(tmp_path / "prompts.json", chat)
    code = main(["llm", "--trainer", trainer, "--model", str(models["policy"]),
                 "--rl-reward-model-path", str(models["rm"]), "--data-path", str(data),
                 "--project-name", "pol", "--max-steps", "2", "--batch-size", "4",
                 "--num-generations", "4", "--max-new-tokens", "4", "--lr", "1e-4"])
    err = capsys.readouterr().err
    assert code == 0, err
    out = tmp_path / "pol"
    meta = json.loads((out / "duelist-policy.json").read_text())
    assert meta["trainer"] == trainer and meta["steps"] == 2
    assert meta["reward_function"] == "duelist_rm" and meta["reward_last"] is not None
    assert (out / "config.json").exists() and any(out.glob("*.safetensors"))
    assert "mean reward" in err and f"policy: {out}" in err
    assert not (tmp_path / ".pol.work").exists()


def test_ppo_is_refused_in_one_line(models, tmp_path, capsys):
    code = main(["llm", "--trainer", "ppo", "--model", str(models["policy"]),
                 "--rl-reward-model-path", str(models["rm"]), "--data-path", "x.json"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1
    assert "TRL no longer ships PPO" in err[0] and "grpo" in err[0] and "rloo" in err[0]


@pytest.mark.parametrize(("extra", "words"), [
    ([], "--rl-reward-model-path is required"),
    (["--rl-reward-model-path", "RM", "--batch-size", "6"], "multiple of --num-generations"),
])
def test_bad_policy_flags_are_one_line(models, tmp_path, capsys, extra, words):
    data = _prompts(tmp_path / "p.json", False)
    extra = [str(models["rm"]) if e == "RM" else e for e in extra]
    code = main(["llm", "--trainer", "grpo", "--model", str(models["policy"]),
                 "--data-path", str(data), *extra])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and words in err[0]


def test_python_api_takes_the_seeds_params(models, tmp_path):
    """As the guide's step 2: a params object with trainer and rl_reward_model_path."""
    from duelist.engine import PolicyParams, train_policy

    out = train_policy(PolicyParams(
        model=str(models["policy"]), trainer="grpo", rl_reward_model_path=str(models["rm"]),
        data_path=str(_prompts(tmp_path / "p.json", False)), project_name="grpo-with-reward",
        project_root=str(tmp_path), max_steps=1, batch_size=4, num_generations=4,
        max_new_tokens=3))
    assert out == tmp_path / "grpo-with-reward" and (out / "duelist-policy.json").exists()
