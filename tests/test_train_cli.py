"""The AutoTrain guide's reward commands, run for real with tiny local models.

`aitraining llm ...` becomes `duelist llm ...` (and `duelist train ...`); only the
model is swapped for a tiny local one (no hub here).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from duelist.store import Store
from tiny_models import build_bert, build_gpt2, synthetic_pairs, write_pairs_json

DUELIST = [sys.executable, "-m", "duelist.tui.cli.main"]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "120"}


def duelist(cmd: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*DUELIST, *shlex.split(cmd)], cwd=cwd, capture_output=True,
                          text=True, env=ENV, timeout=600)


def test_seed_basic_command_trains_with_llm_alias(tmp_path: Path) -> None:
    build_gpt2(tmp_path / "gpt2")
    write_pairs_json(tmp_path / "preferences.json", synthetic_pairs(40))
    r = duelist("llm --model ./gpt2 --trainer reward --data-path ./preferences.json "
                "--prompt-text-column prompt --text-column chosen --rejected-text-column rejected "
                "--project-name my-reward-model --epochs 3 --batch-size 8", tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert f"model: {tmp_path / 'my-reward-model'}" in r.stdout
    assert "validation accuracy" in r.stdout and "pairs/s" in r.stdout
    meta = json.loads((tmp_path / "my-reward-model" / "duelist.json").read_text())
    assert meta["config"]["epochs"] == 3 and meta["config"]["batch_size"] == 8
    assert meta["counts"]["train"] + meta["counts"]["valid"] == 40
    assert (tmp_path / "my-reward-model.run" / "events.jsonl").exists()


def test_seed_code_command_with_other_columns_records_the_run(tmp_path: Path) -> None:
    build_bert(tmp_path / "bert-base-uncased")
    rows = [{"instruction": r["prompt"], "good_code": r["chosen"], "bad_code": r["rejected"]}
            for r in synthetic_pairs(32)]
    write_pairs_json(tmp_path / "code_preferences.json", rows)
    Store.open(tmp_path / "duelist.db").close()
    r = duelist("train --model ./bert-base-uncased --trainer reward "
                "--data-path ./code_preferences.json --prompt-text-column instruction "
                "--text-column good_code --rejected-text-column bad_code "
                "--project-name code-reward-model --max-seq-length 512 --epochs 1", tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    with Store.open(tmp_path / "duelist.db") as store:
        (run,) = store.list_runs()
        assert run.status == "done" and run.config["text_column"] == "good_code"
        assert store.current_model().path == str(tmp_path / "code-reward-model")


def test_ensemble_trains_k_seeds_then_ranks_with_a_spread(tmp_path: Path) -> None:
    """`duelist train --ensemble 2` end to end: two seed dirs, a manifest, a run in the
    store, the ensemble as the current model, and `rank` showing the members' spread."""
    build_bert(tmp_path / "bert")
    write_pairs_json(tmp_path / "pairs.json", synthetic_pairs(32))
    Store.open(tmp_path / "duelist.db").close()
    r = duelist("train --model ./bert --data-path ./pairs.json --project-name ens "
                "--ensemble 2 --epochs 2 --lr 2e-3 --max-seq-length 32 --seed 5", tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert (tmp_path / "ens-seed5" / "config.json").exists()
    assert (tmp_path / "ens-seed6" / "config.json").exists()
    manifest = json.loads((tmp_path / "ens" / "ensemble.json").read_text())
    assert manifest["members"] == ["../ens-seed5", "../ens-seed6"]
    with Store.open(tmp_path / "duelist.db") as store:
        (run,) = store.list_runs()
        assert run.status == "done" and run.config["ensemble"] == 2
        assert store.current_model().path == str(tmp_path / "ens")
    r = duelist("rank --model ./ens --prompt 'what is it' 'a good answer' 'bad bad'", tmp_path)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "±" in r.stdout and "good answer" in r.stdout


def test_seed_lora_int4_command_without_cuda_is_one_line(tmp_path: Path) -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    build_gpt2(tmp_path / "llama")
    write_pairs_json(tmp_path / "preferences.json", synthetic_pairs(16))
    r = duelist("llm --model ./llama --trainer reward --data-path ./preferences.json "
                "--prompt-text-column prompt --text-column chosen --rejected-text-column rejected "
                "--project-name llama-reward-lora --peft --lora-r 16 --lora-alpha 32 "
                "--quantization int4", tmp_path)
    assert r.returncode == 2
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith("duelist: error:") and "CUDA" in last
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "llama-reward-lora").exists()


def test_seed_python_api_with_lora(tmp_path: Path) -> None:
    """The guide's Python API example, with `from duelist.engine import ...`."""
    from duelist.engine import RewardModel, RewardParams, train

    base = build_gpt2(tmp_path / "gpt2")
    write_pairs_json(tmp_path / "preferences.json", synthetic_pairs(24))
    config = RewardParams(
        model=str(base), trainer="reward", data_path=str(tmp_path / "preferences.json"),
        prompt_text_column="prompt", text_column="chosen", rejected_text_column="rejected",
        project_name="my-reward-model", epochs=1, batch_size=8, lr=1e-5, warmup_ratio=0.1,
        peft=True, lora_r=16, lora_alpha=32, project_root=str(tmp_path))
    reward_model = train(config)
    assert isinstance(reward_model, RewardModel)
    assert (tmp_path / "my-reward-model" / "adapter_config.json").exists()
    loaded = RewardModel.load(tmp_path / "my-reward-model")
    loaded.precision = reward_model.precision = "fp32"
    assert loaded.score("p", "r") == pytest.approx(reward_model.score("p", "r"), abs=1e-5)


@pytest.mark.parametrize(("cmd", "needle"), [
    ("train --bogus 1", "unrecognized arguments: --bogus"),
    ("llm --trainer sft", "invalid choice: 'sft'"),
    ("llm --data-path x.json", "required: --trainer"),
    ("train --epochs two", "invalid int value"),
    ("train --lora-r 8 --data-path p.json", "--lora-r only apply with --peft"),
    ("train --peft --merge-adapter --quantization int2", "invalid choice: 'int2'"),
    ("train --project-name ../out --data-path p.json", "must not contain '..'"),
    ("train --data-path missing.json", "missing.json: no such file"),
    ("train --db none.db", "no --data-path given and no project database"),
    ("train --ensemble 0 --data-path p.json", "--ensemble must be a positive integer"),
])
def test_bad_flags_are_one_clear_line(tmp_path: Path, cmd: str, needle: str) -> None:
    (tmp_path / "p.json").write_text("[]")
    r = duelist(cmd, tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], r.stderr


def test_cli_modules_do_not_import_torch() -> None:
    code = ("import sys, duelist.tui.cli.cmd_train, duelist.tui.cli.cmd_llm, "
            "duelist.tui.cli.train_command, duelist.tui.cli.train_runner; "
            "bad = [m for m in ('torch', 'transformers', 'trl') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
