"""RL rewards per second: `reward_function(DIR)` vs the same DIR as a path, inside TRL.

Both routes run TRL 1.16's own `GRPOTrainer._calculate_rewards` (the code that scores
rollouts during GRPO/RLOO training), in the same process, on the same hh responses,
interleaved, `--repeats` times each:
- path: `GRPOTrainer(reward_funcs=DIR)`: TRL loads the dir with
  AutoModelForSequenceClassification, renders chat data with the dir's chat template,
  and scores under its default bf16 autocast;
- callable: `GRPOTrainer(reward_funcs=[reward_function(DIR)])` (Duelist's encoder and
  fast scorer; bf16 where native, near ties within a prompt group re-checked in fp32).
Rollouts arrive in batches of `--batch` completions (prompt groups of 2: each hh pair's
chosen and rejected response), as GRPO hands them to its reward functions.

Only responses TRL's path route can take AS DUELIST ENCODES THEM are used: chat-rendered
input within the dir's max_length (longer ones crash TRL's path route past the model's
positions, and below that TRL sees text Duelist would have truncated).

Reported: rewards/s of each route (median over repeats), their ratio, Spearman of each
route against Duelist's fp32 scores, and whether the callable's order inside every
prompt group equals fp32's.

Usage:
    .venv/bin/python bench/reward_fn_bench.py --model DIR [--pairs 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

HH = Path(__file__).resolve().parents[2] / "shared" / "data" / "hh_train.json"
_TURN = re.compile(r"\n\n(Human|Assistant): ")


def hh_messages(prompt: str) -> list[dict[str, str]]:
    """An hh prompt ("\\n\\nHuman: ...\\n\\nAssistant:") as chat messages."""
    parts = _TURN.split("\n\n" + prompt.strip().removesuffix("Assistant:").rstrip() + " ")
    messages = []
    for role, content in zip(parts[1::2], parts[2::2], strict=True):
        messages.append({"role": "user" if role == "Human" else "assistant",
                         "content": content.strip()})
    return messages


def trainer(policy: Path, reward_funcs: object, out: Path) -> object:
    from datasets import Dataset
    from transformers import AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    tok = AutoTokenizer.from_pretrained(str(policy))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        args = GRPOConfig(output_dir=str(out), per_device_train_batch_size=2, num_generations=2,
                          report_to="none", use_cpu=True, save_strategy="no", disable_tqdm=True)
        return GRPOTrainer(model=str(policy), reward_funcs=reward_funcs, args=args,
                           train_dataset=Dataset.from_list([{"prompt": "x"}]),
                           processing_class=tok)


def run_route(t: object, prompts: list, completions: list, batch: int) -> tuple[float, list]:
    rewards: list[float] = []
    t0 = time.perf_counter()
    for s in range(0, len(prompts), batch):
        p, c = prompts[s:s + batch], completions[s:s + batch]
        out = t._calculate_rewards([{"prompt": x} for x in p], p, c, [[0]] * len(p))
        rewards += [row[0] for row in out.tolist()]
    return time.perf_counter() - t0, rewards


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="Duelist model dir (with its chat template)")
    ap.add_argument("--pairs", type=int, default=200, help="hh pairs (after the first 300)")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch", type=int, default=16, help="completions per reward call")
    ap.add_argument("--fn-batch-size", type=int, default=None,
                    help="reward_function's batch_size (default: the scorer's)")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch intra-op threads for both routes (default: torch's)")
    args = ap.parse_args()
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if not HH.exists():
        print(f"no {HH}; nothing to benchmark", file=sys.stderr)
        return 1
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from duelist.engine import RewardModel, reward_function
    from scipy.stats import spearmanr
    from tiny_models import build_llama_policy
    from transformers import AutoTokenizer

    rows = json.loads(HH.read_text())[300:300 + args.pairs]
    tok = AutoTokenizer.from_pretrained(args.model)
    rm = RewardModel.load(args.model)
    limit = rm.encoder.max_length  # Duelist truncates past it; TRL's path route never does
    prompts, completions = [], []
    for r in rows:
        msgs = hh_messages(r["prompt"])
        group = [[{"role": "assistant", "content": r[k].strip()}] for k in ("chosen", "rejected")]
        lengths = [len(tok(tok.apply_chat_template(msgs + g, tokenize=False),
                           add_special_tokens=False)["input_ids"]) for g in group]
        if max(lengths) <= limit:
            prompts += [msgs, msgs]
            completions += group
    n = len(prompts)
    with tempfile.TemporaryDirectory(prefix="i13-bench-") as tmp:
        policy = build_llama_policy(Path(tmp) / "policy")
        path_t = trainer(policy, args.model, Path(tmp) / "a")
        fn = reward_function(args.model, batch_size=args.fn_batch_size)
        call_t = trainer(policy, [fn], Path(tmp) / "b")
        times: dict[str, list[float]] = {"path": [], "callable": []}
        got: dict[str, list[float]] = {}
        for _ in range(args.repeats):
            for name, t in (("path", path_t), ("callable", call_t)):
                secs, got[name] = run_route(t, prompts, completions, args.batch)
                times[name].append(secs)
    rm.precision = "fp32"
    exact = rm.score_batch(prompts, completions)
    rate = {k: n / statistics.median(v) for k, v in times.items()}
    same_order = all((got["callable"][i] > got["callable"][i + 1]) == (exact[i] > exact[i + 1])
                     for i in range(0, n, 2))
    report = {
        "responses": n, "pairs_kept": n // 2, "max_length": limit, "pairs_offered": len(rows), "batch": args.batch,
        "repeats": args.repeats, "fn_batch_size": args.fn_batch_size,
        "threads": __import__("torch").get_num_threads(),
        "path_rewards_per_s": round(rate["path"], 1),
        "callable_rewards_per_s": round(rate["callable"], 1),
        "speedup": round(rate["callable"] / rate["path"], 2),
        "times_s": {k: [round(x, 2) for x in v] for k, v in times.items()},
        "spearman_path_vs_fp32": round(float(spearmanr(got["path"], exact).statistic), 4),
        "spearman_callable_vs_fp32": round(float(spearmanr(got["callable"], exact).statistic), 4),
        "callable_max_abs_diff_vs_fp32": float(max(abs(a - b) for a, b in
                                                   zip(got["callable"], exact, strict=True))),
        "path_max_abs_diff_vs_fp32": float(max(abs(a - b) for a, b in
                                               zip(got["path"], exact, strict=True))),
        "callable_group_order_equals_fp32": same_order,
        "callable_pairs_refined_last_call": fn.last_refined,
    }
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
