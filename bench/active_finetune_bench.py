"""The active-learning question again, with Duelist's REAL training: full MiniLM fine-tuning.

    .venv/bin/python bench/active_finetune_bench.py --seeds 0 --out /tmp/i19-ft-seed0.json
    .venv/bin/python bench/active_real_bench.py --combine /tmp/i19-ft-seed*.json

Why a second script: bench/active_real_bench.py uses a frozen encoder so that seven
orders x ten seeds fit a shared 2-core machine. A rule could help only by reshaping
the encoder, which a frozen encoder cannot show. This one trains every round with
`engine/training.train` (the `duelist train` path, all weights, from the embedded
MiniLM), scores pool and held-out pairs with the trained model through
`bench/sim/head_features.py` (rewards and the head's input in one pass, which is what
`expected_change` and `diverse_uncertain` need), and picks labels with
`bench/sim/acquisition.py`. It is small by necessity (a pool of --pool-size pairs,
--test-size held-out pairs, a few rounds): read its spread before its means.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench.sim, from the checkout
from active_real_bench import DEFAULT_DATA, report, split_by_prompt, start


def train_round(rows: list[dict[str, str]], work: Path, seed: int, args: argparse.Namespace):
    """Train on `rows` with the product's trainer; return the loaded RewardModel."""
    from duelist.engine.training.params import RewardParams
    from duelist.engine.training.train import train

    data = work / "pairs.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    params = RewardParams.from_dict({
        "data_path": str(data), "project_root": str(work), "project_name": "rm",
        "epochs": args.epochs, "lr": args.lr, "batch_size": 8, "seed": seed,
        "max_seq_length": args.max_length, "valid_split": 0.0, "eval_strategy": "no",
        "logging_steps": 10_000})
    return train(params)


def run_seed(all_rows: list[dict[str, str]], seed: int, args: argparse.Namespace) -> dict:
    from bench.sim.acquisition import Pool, select_batch
    from bench.sim.head_features import head_inputs

    pool_idx, test_idx = split_by_prompt(all_rows, seed, args.test_share)
    rng = np.random.default_rng(seed)
    pool_idx = rng.permutation(pool_idx)[:args.pool_size]
    test_idx = rng.permutation(test_idx)[:args.test_size]
    first = [int(i) for i in rng.choice(len(pool_idx), size=args.round, replace=False)]
    result = {"seed": seed, "n_pool": len(pool_idx), "n_test": len(test_idx), "orders": {},
              "ceiling": float("nan"), "learner": "finetune"}
    test_rows = [all_rows[i] for i in test_idx]
    for order in args.orders:
        t0 = time.monotonic()
        labelled = list(first)
        order_rng = np.random.default_rng([seed, 99, len(order)])
        curve_n, curve_acc = [], []
        while True:
            with tempfile.TemporaryDirectory(prefix="i19-ft-") as tmp:
                rm = train_round([all_rows[pool_idx[i]] for i in labelled], Path(tmp), seed, args)
                taken = set(labelled)
                open_local = [i for i in range(len(pool_idx)) if i not in taken]
                need_pool = len(labelled) < args.budget
                prompts = [r["prompt"] for r in test_rows]
                responses = [r["chosen"] for r in test_rows] + [r["rejected"] for r in test_rows]
                prompts = prompts + prompts
                if need_pool:
                    op = [all_rows[pool_idx[i]] for i in open_local]
                    # sides as shown: the stored A/B, not chosen/rejected (the labels are unknown)
                    prompts += [r["prompt"] for r in op] * 2
                    responses += [r["chosen"] for r in op] + [r["rejected"] for r in op]
                scores, feats = head_inputs(rm, prompts, responses)
                del rm
            nt = len(test_rows)
            curve_n.append(len(labelled))
            curve_acc.append(float(np.mean(scores[:nt] > scores[nt:2 * nt])))
            print(f"  seed {seed} {order} {len(labelled)} labels: {curve_acc[-1]:.3f} "
                  f"({time.monotonic() - t0:.0f} s)", file=sys.stderr, flush=True)
            if not need_pool:
                break
            no = len(open_local)
            s_c, s_r = scores[2 * nt:2 * nt + no], scores[2 * nt + no:]
            f_c, f_r = feats[2 * nt:2 * nt + no], feats[2 * nt + no:]
            # Randomise which side is A so no rule can key on "chosen is first".
            flip = order_rng.random(no) < 0.5
            pool = Pool(score_a=np.where(flip, s_r, s_c), score_b=np.where(flip, s_c, s_r),
                        feat_a=np.where(flip[:, None], f_r, f_c),
                        feat_b=np.where(flip[:, None], f_c, f_r))
            picked = select_batch(order, pool, args.round, seed=order_rng)
            labelled += [open_local[i] for i in picked]
        result["orders"][order] = {"labels": curve_n, "accuracy": curve_acc,
                                   "seconds": round(time.monotonic() - t0, 1)}
        print(f"seed {seed} {order:>18}: " + " ".join(
            f"{n}:{a:.3f}" for n, a in zip(curve_n, curve_acc, strict=True)), flush=True)
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--orders", nargs="+", default=["random", "uncertainty", "expected_change"],
                   choices=["random", "uncertainty", "uncertainty_random", "diverse_uncertain",
                            "expected_change"])
    p.add_argument("--round", type=int, default=50)
    p.add_argument("--budget", type=int, default=200)
    p.add_argument("--pool-size", type=int, default=400)
    p.add_argument("--test-size", type=int, default=250)
    p.add_argument("--test-share", type=float, default=0.25)
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args(argv)
    started = start(args)
    if started is None:
        return 2
    rows, t0 = started
    results = [run_seed(rows, s, args) for s in args.seeds]
    report(results, [50, 100, 150, 200], args, t0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
