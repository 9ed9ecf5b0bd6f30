"""RewardParams, the training flags, the split, batching and launch commands (no training)."""

from __future__ import annotations

import argparse
import shlex

import pytest
from duelist.engine.errors import ParamsError
from duelist.engine.models.precision import cpu_has_fast_bf16, resolve_mixed_precision
from duelist.engine.preferences.pair import PreferencePair
from duelist.engine.training.launch import build_worker_command, visible_gpu_count, worker_args
from duelist.engine.training.params import RewardParams, check_project_name
from duelist.engine.training.split import split_pairs
from duelist.tui.cli.main import build_parser

SEED_BASIC = """llm --model gpt2 --trainer reward --data-path ./preferences.json
  --prompt-text-column prompt --text-column chosen --rejected-text-column rejected
  --project-name my-reward-model --epochs 3 --batch-size 8"""
SEED_LORA = """llm --model meta-llama/Llama-2-7b-hf --trainer reward --data-path ./preferences.json
  --prompt-text-column prompt --text-column chosen --rejected-text-column rejected
  --project-name llama-reward-lora --peft --lora-r 16 --lora-alpha 32 --quantization int4"""
SEED_CODE = """llm --model bert-base-uncased --trainer reward --data-path ./code_preferences.json
  --prompt-text-column instruction --text-column good_code --rejected-text-column bad_code
  --project-name code-reward-model --max-seq-length 512"""
EVERY_FLAG = """train --model m --trainer reward --data-path d.json --prompt-text-column p
  --text-column c --rejected-text-column r --project-name proj --epochs 2 --batch-size 4
  --lr 2e-5 --warmup-ratio 0.05 --weight-decay 0.1 --gradient-accumulation 2
  --max-seq-length 128 --num-labels 1 --use-margin --peft --lora-r 8 --lora-alpha 16 --lora-dropout 0.1
  --target-modules q_proj,v_proj --quantization int8 --mixed-precision bf16
  --gradient-checkpointing --seed 7 --valid-split 0.25 --eval-strategy steps --eval-steps 5
  --early-stopping-patience 2 --early-stopping-threshold 0.02 --load-best-model-at-end
  --merge-adapter --resume --num-processes 2 --accelerate-config acc.yaml
  --trust-remote-code --ensemble 1 --no-freeze-embeddings --attention eager --db x.db"""


def parse(cmd: str) -> argparse.Namespace:
    return build_parser().parse_args(shlex.split(cmd))


def params_of(cmd: str) -> RewardParams:
    from duelist.tui.cli.train_flags import params_from_args

    return params_from_args(parse(cmd))


def test_defaults_follow_the_guide_tables() -> None:
    p = RewardParams()
    assert (p.trainer, p.epochs, p.batch_size, p.lr, p.warmup_ratio, p.weight_decay) == (
        "reward", 3, 8, 1e-5, 0.1, 0.01)
    assert (p.gradient_accumulation, p.max_seq_length, p.num_labels) == (1, 512, 1)
    assert (p.peft, p.lora_r, p.lora_alpha, p.quantization) == (False, 16, 32, None)
    assert p.gradient_checkpointing is False and p.trust_remote_code is False
    assert p.model is None  # -> the embedded MiniLM


def test_every_field_has_help() -> None:
    from dataclasses import fields

    assert all(f.metadata.get("help") for f in fields(RewardParams))


@pytest.mark.parametrize("cmd", [SEED_BASIC, SEED_LORA, SEED_CODE])
def test_seed_commands_parse_verbatim(cmd: str) -> None:
    args = parse(cmd)
    assert args.command == "llm" and args.trainer == "reward"
    p = params_of(cmd)
    assert p.data_path.endswith("preferences.json")
    assert p.project_name == args.project_name


def test_seed_values_land_in_params() -> None:
    p = params_of(SEED_CODE)
    assert (p.model, p.prompt_text_column, p.text_column, p.rejected_text_column) == (
        "bert-base-uncased", "instruction", "good_code", "bad_code")
    assert p.max_seq_length == 512 and p.epochs == 3
    lora = params_of(SEED_LORA)
    assert lora.peft and lora.lora_r == 16 and lora.lora_alpha == 32
    assert lora.quantization == "int4"


def test_every_flag_parses_into_params() -> None:
    p = params_of(EVERY_FLAG)
    assert p.to_dict() | {"project_root": "."} == {
        "model": "m", "trainer": "reward", "data_path": "d.json", "prompt_text_column": "p",
        "text_column": "c", "rejected_text_column": "r", "project_name": "proj", "epochs": 2,
        "batch_size": 4, "lr": 2e-5, "warmup_ratio": 0.05, "weight_decay": 0.1,
        "gradient_accumulation": 2, "max_seq_length": 128, "num_labels": 1, "use_margin": True, "peft": True,
        "lora_r": 8, "lora_alpha": 16, "lora_dropout": 0.1, "target_modules": "q_proj,v_proj",
        "quantization": "int8", "mixed_precision": "bf16", "gradient_checkpointing": True,
        "merge_adapter": True, "freeze_embeddings": False, "attention": "eager", "seed": 7,
        "valid_split": 0.25, "eval_strategy": "steps",
        "eval_steps": 5, "early_stopping_patience": 2, "early_stopping_threshold": 0.02,
        "load_best_model_at_end": True, "resume": True, "num_processes": 2,
        "accelerate_config": "acc.yaml", "trust_remote_code": True, "ensemble": 1,
        "logging_steps": 10, "save_steps": None, "max_steps": -1, "project_root": "."}


@pytest.mark.parametrize(("kwargs", "needle"), [
    ({"trainer": "sft"}, "--trainer 'sft'"),
    ({"merge_adapter": True}, "--merge-adapter needs --peft"),
    ({"quantization": "int4"}, "--quantization int4 needs --peft"),
    ({"lora_r": 8}, "--lora-r only apply with --peft"),
    ({"num_labels": 3}, "--num-labels 3"),
    ({"epochs": 0}, "--epochs must be a positive integer"),
    ({"valid_split": 1.5}, "--valid-split"),
    ({"eval_strategy": "steps"}, "--eval-steps"),
    ({"load_best_model_at_end": True, "valid_split": 0.0}, "--valid-split is 0"),
    ({"early_stopping_patience": 2, "eval_strategy": "no"}, "--eval-strategy is no"),
    ({"mixed_precision": "fp8"}, "choose from fp16, bf16, no"),
    ({"project_name": "../escape"}, "must not contain '..'"),
    ({"project_name": "/tmp/abs"}, "absolute path"),
    ({"project_name": "a/../../b"}, "'..'"),
])
def test_contradictions_are_one_line_params_errors(kwargs: dict, needle: str) -> None:
    with pytest.raises(ParamsError) as info:
        RewardParams(**kwargs)
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_project_name_may_nest_inside_the_project() -> None:
    check_project_name("models/run-1")
    p = RewardParams(project_name="models/run-1", project_root="/proj")
    assert str(p.output_dir) == "/proj/models/run-1"
    assert str(p.run_dir) == "/proj/models/run-1.run"


def test_from_dict_rejects_unknown_keys(tmp_path) -> None:
    bad = tmp_path / "p.json"
    bad.write_text('{"epochs": 2, "learning_rate": 1}')
    with pytest.raises(ParamsError, match=r"unknown parameter.*learning_rate"):
        RewardParams.from_json_file(bad)
    good = tmp_path / "g.json"
    good.write_text(RewardParams(epochs=2).to_json())
    assert RewardParams.from_json_file(good).epochs == 2


def _pairs(n_prompts: int, per_prompt: int) -> list[PreferencePair]:
    return [PreferencePair(f"prompt {i}", f"good {j}", f"bad {j}")
            for i in range(n_prompts) for j in range(per_prompt)]


def test_split_groups_by_prompt_and_is_seeded() -> None:
    pairs = _pairs(50, 3)
    a, b = split_pairs(pairs, 0.2, 42), split_pairs(list(reversed(pairs)), 0.2, 42)
    assert {p.prompt for p in a.train}.isdisjoint({p.prompt for p in a.valid})
    assert len({p.prompt for p in a.valid}) == 10 and len(a.train) + len(a.valid) == 150
    assert {p.prompt for p in a.valid} == {p.prompt for p in b.valid}  # order-free
    assert {p.prompt for p in split_pairs(pairs, 0.2, 7).valid} != {p.prompt for p in a.valid}
    assert split_pairs(pairs, 0.0, 42).valid == []


def test_length_grouped_sampler_covers_every_index_once_in_similar_length_batches() -> None:
    from duelist.engine.training.batching import LengthGroupedSampler

    lengths = [(i * 37) % 200 + 1 for i in range(403)]
    s = LengthGroupedSampler(lengths, batch_size=8, seed=1)
    s.set_epoch(0)
    order = list(s)
    assert sorted(order) == list(range(403))
    batches = [order[i:i + 8] for i in range(0, len(order), 8)]
    spread = sum(max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches)
    assert spread / len(batches) < 20  # random batches would spread ~170
    assert max(lengths[i] for i in batches[0]) == max(lengths)  # longest first: OOM early
    s.set_epoch(1)
    assert list(s) != order
    s.set_epoch(0)
    assert list(s) == order  # deterministic per epoch (resume)


def test_collator_keeps_token_types_and_pads_right() -> None:
    from duelist.engine.training.batching import PreferenceCollator

    batch = PreferenceCollator(pad_token_id=0)([
        {"chosen_ids": [5, 6, 7], "rejected_ids": [5, 8],
         "chosen_token_type_ids": [0, 1, 1], "rejected_token_type_ids": [0, 1]}])
    assert batch["input_ids"].tolist() == [[5, 6, 7], [5, 8, 0]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 1, 0]]
    assert batch["token_type_ids"].tolist() == [[0, 1, 1], [0, 1, 0]]


def test_launch_command_single_process_without_gpus() -> None:
    cmd = build_worker_command(worker_args("p.json", db="x.db", run_id=3), gpu_count=0,
                               python="py")
    assert cmd == ["py", "-m", "duelist.engine.training.worker", "--params", "p.json", "--db", "x.db",
                   "--run-id", "3"]


def test_launch_command_uses_accelerate_for_many_gpus_or_when_asked() -> None:
    args = worker_args("p.json")
    multi = build_worker_command(args, gpu_count=4, python="py")
    assert multi == ["py", "-m", "accelerate.commands.launch", "--num_processes", "4",
                     "--multi_gpu", "-m", "duelist.engine.training.worker", "--params", "p.json"]
    # Without GPUs, accelerate's simple launcher would start ONE process: its torchrun
    # path does start two, and the worker then asks for the CPU (gloo).
    asked = build_worker_command(args, num_processes=2, gpu_count=0, python="py")
    assert asked[:5] == ["py", "-m", "accelerate.commands.launch", "--num_processes", "2"]
    assert asked[5:12] == ["--multi_gpu", "--num_machines", "1", "--mixed_precision", "no",
                           "--dynamo_backend", "no"]
    cfg = build_worker_command(args, accelerate_config="fsdp.yaml", gpu_count=8, python="py")
    assert cfg[3:5] == ["--config_file", "fsdp.yaml"] and "--multi_gpu" not in cfg
    assert cfg[-4:] == ["-m", "duelist.engine.training.worker", "--params", "p.json"]
    one = build_worker_command(args, num_processes=1, gpu_count=1, python="py")
    assert one[1:3] == ["-m", "duelist.engine.training.worker"]


def test_cpu_ranks_ask_accelerate_for_the_cpu() -> None:
    from duelist.engine.training.launch import cpu_distributed_env

    assert cpu_distributed_env({"WORLD_SIZE": "2"}, cuda_available=False) == \
        {"ACCELERATE_USE_CPU": "true"}
    assert cpu_distributed_env({"WORLD_SIZE": "2"}, cuda_available=True) == {}
    assert cpu_distributed_env({}, cuda_available=False) == {}  # not distributed
    assert cpu_distributed_env({"WORLD_SIZE": "2", "ACCELERATE_USE_CPU": "false"},
                               cuda_available=False) == {}  # the user's own choice stands


def test_gpu_count_from_cuda_visible_devices() -> None:
    assert visible_gpu_count({"CUDA_VISIBLE_DEVICES": "0,1,2"}) == 3
    assert visible_gpu_count({"CUDA_VISIBLE_DEVICES": ""}) == 0
    assert visible_gpu_count({"CUDA_VISIBLE_DEVICES": "-1"}) == 0


def test_precision_detection_reads_cpu_flags() -> None:
    assert cpu_has_fast_bf16(frozenset({"avx2", "avx512_bf16"}))
    assert cpu_has_fast_bf16(frozenset({"amx_bf16"}))
    assert not cpu_has_fast_bf16(frozenset({"avx2", "avx512f"}))
    assert resolve_mixed_precision("no", "cpu") == "no"
    assert resolve_mixed_precision("fp16", "cpu") in ("bf16", "no")  # no fp16 autocast on CPU
    expected = "bf16" if cpu_has_fast_bf16() else "no"
    assert resolve_mixed_precision(None, "cpu") == expected
